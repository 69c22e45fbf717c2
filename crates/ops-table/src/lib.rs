//! Aligned plain-text tables, for the human-readable output of tools and
//! the `Display` of reports.
//!
//! A [`Table`] has a header per column and an [`Align`]ment (text to the
//! left, numbers to the right); its `Display` pads every column to its
//! widest cell, separates columns by two spaces and leaves no trailing
//! blanks. No borders, no colours, no terminal queries: the output is the
//! same on a terminal, in a pipe and in a test. The crate has no
//! dependencies, so libraries (ops-logscan's reports) and binaries (through
//! ops-cli) share it without pulling anything in.
//!
//! # Example
//!
//! ```
//! use ops_table::{Align, Table};
//!
//! let mut table = Table::new(&[("mount", Align::Left), ("used", Align::Right), ("fs", Align::Left)]);
//! table.row(["/", "41%", "ext4"]);
//! table.row(["/var/lib/docker", "93%", "xfs"]);
//! assert_eq!(
//!     table.to_string(),
//!     "mount            used  fs\n\
//!      /                 41%  ext4\n\
//!      /var/lib/docker   93%  xfs\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Plain string formatting: nothing here needs `unsafe`.
#![forbid(unsafe_code)]
// Public items are the crate's documentation.
#![warn(missing_docs)]

use std::fmt::{self, Write};

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

/// A table of text cells, printed with columns padded to their widest cell
/// (counted in `char`s: a wide CJK character or an emoji counts as one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns.iter().map(|(h, a)| ((*h).to_owned(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank, extra ones are dropped.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.columns.len(), String::new());
        self.rows.push(row);
        self
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(self.columns[i].0.chars().count()))
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.columns.len()).map(width).collect();
        let header = self
            .columns
            .iter()
            .map(|(h, _)| h.clone())
            .collect::<Vec<_>>();
        let mut line = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            line.clear();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let w = widths[i];
                // Writing to a String cannot fail.
                let _ = match self.columns[i].1 {
                    Align::Right => write!(line, "{cell:>w$}"),
                    Align::Left => write!(line, "{cell:<w$}"),
                };
            }
            // No blanks at the end of a line: a last column of text, or
            // empty last cells, would leave them.
            f.write_str(line.trim_end_matches(' '))?;
            f.write_str("\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let mut t = Table::new(&[("ip", Align::Left), ("count", Align::Right)]);
        t.row(["10.0.0.1", "7"]).row(["::1", "1234567"]);
        assert_eq!(
            t.to_string(),
            "ip          count\n10.0.0.1        7\n::1       1234567\n"
        );
    }

    #[test]
    fn rows_are_fitted_to_the_columns_and_lines_end_without_blanks() {
        let mut t = Table::new(&[("user", Align::Left), ("note", Align::Left)]);
        assert!(t.is_empty());
        assert_eq!(t.to_string(), "user  note\n");
        t.row(["zoë"]).row(["root", "x", "dropped"]);
        assert!(!t.is_empty());
        // "zoë" is three characters wide, whatever its bytes; its missing
        // note is blank, and no line ends in a blank.
        assert_eq!(t.to_string(), "user  note\nzoë\nroot  x\n");
    }
}

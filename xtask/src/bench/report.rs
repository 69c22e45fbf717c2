//! The results table (stdout and `docs/benchmarks.md`) and the SVG chart.

use std::fmt::Write as _;

use super::measure::Stats;

/// What became of one row's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Checked and equal to the expectation.
    Ok,
    /// A reference floor or a decompressor: nothing to check.
    Unchecked,
    Wrong(String),
    Failed(String),
    /// A program the row needs is not installed.
    Missing(String),
}

impl Verdict {
    fn label(&self) -> String {
        match self {
            Verdict::Ok => "ok".to_owned(),
            Verdict::Unchecked => "-".to_owned(),
            Verdict::Wrong(_) => "WRONG".to_owned(),
            Verdict::Failed(_) => "FAILED".to_owned(),
            Verdict::Missing(p) => format!("skipped: no {p}"),
        }
    }
}

/// One measured (or skipped) command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) tool: String,
    pub(crate) command: String,
    /// Bytes of (uncompressed) input the command reads.
    pub(crate) bytes: u64,
    pub(crate) stats: Option<Stats>,
    pub(crate) verdict: Verdict,
    /// The logscan row of a section, the reference of its ratios.
    pub(crate) baseline: bool,
}

impl Row {
    /// Input bytes per second of wall time, in GB/s.
    pub(crate) fn throughput_gbps(&self) -> Option<f64> {
        let s = self.stats?;
        (s.wall_s > 0.0).then(|| self.bytes as f64 / s.wall_s / 1e9)
    }
}

/// A titled group of rows; ratios are against its baseline row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) rows: Vec<Row>,
}

impl Section {
    fn baseline_gbps(&self) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.baseline)
            .and_then(Row::throughput_gbps)
    }
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

/// The ratio time_tool / time_logscan, computed on throughput so that a row
/// on a different amount of input (goaccess's slice) compares fairly.
fn ratio(row: &Row, baseline_gbps: Option<f64>) -> Option<f64> {
    let base = baseline_gbps?;
    let own = row.throughput_gbps()?;
    (own > 0.0).then(|| base / own)
}

/// A Markdown table, columns padded so it also reads well as plain text.
pub(crate) fn table(section: &Section) -> String {
    let header = [
        "tool",
        "command",
        "median s",
        "CPU s",
        "peak RSS MiB",
        "GB/s",
        "ratio",
        "answer",
    ];
    let base = section.baseline_gbps();
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for row in &section.rows {
        let s = row.stats;
        cells.push(vec![
            row.tool.replace('|', "\\|"),
            format!("`{}`", row.command.replace('|', "\\|")),
            fmt_opt(s.map(|s| s.wall_s), 2),
            fmt_opt(s.map(|s| s.cpu_s), 2),
            fmt_opt(s.map(|s| s.max_rss_kib as f64 / 1024.0), 1),
            fmt_opt(row.throughput_gbps(), 3),
            fmt_opt(ratio(row, base), 2),
            row.verdict.label(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in cells.iter().enumerate() {
        let padded: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                // Numbers right-aligned, text left-aligned.
                if (2..7).contains(&c) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", padded.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(c, w)| {
                    if (2..7).contains(&c) {
                        format!("{}:", "-".repeat(w.saturating_sub(1).max(1)))
                    } else {
                        "-".repeat(*w.max(&1))
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", rule.join(" | "));
        }
    }
    out
}

/// Why rows were marked WRONG, FAILED or skipped, one line each.
pub(crate) fn notes(section: &Section) -> Vec<String> {
    section
        .rows
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Wrong(why) => Some(format!("{} ({}): WRONG: {why}", r.tool, section.title)),
            Verdict::Failed(why) => Some(format!("{} ({}): FAILED: {why}", r.tool, section.title)),
            Verdict::Missing(p) => Some(format!(
                "{} ({}): skipped, `{p}` is not installed",
                r.tool, section.title
            )),
            _ => None,
        })
        .collect()
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of throughput, one panel per section, one bar per
/// measured tool; the baseline (logscan) bar is highlighted. Unchecked rows
/// (the `wc -l` floors) are left out: they solve no task, and at several
/// GB/s they would shrink every other bar to a sliver.
pub(crate) fn svg(sections: &[Section]) -> String {
    const WIDTH: f64 = 760.0;
    const LABEL: f64 = 190.0;
    const BAR_MAX: f64 = 470.0;
    const ROW: f64 = 26.0;
    const TITLE: f64 = 34.0;
    let panels: Vec<(&Section, Vec<&Row>)> = sections
        .iter()
        .map(|s| {
            let rows = s
                .rows
                .iter()
                .filter(|r| r.throughput_gbps().is_some() && r.verdict != Verdict::Unchecked)
                .collect();
            (s, rows)
        })
        .collect();
    let height: f64 = panels
        .iter()
        .map(|(_, rows)| TITLE + ROW * rows.len() as f64 + 12.0)
        .sum::<f64>()
        + 16.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let mut y = 8.0;
    for (section, rows) in &panels {
        let _ = writeln!(
            out,
            r#"<text x="8" y="{:.1}" font-size="15" font-weight="bold">{}: GB/s, higher is better</text>"#,
            y + 20.0,
            escape_xml(section.title.split(", ").next().unwrap_or_default())
        );
        y += TITLE;
        let max = rows
            .iter()
            .filter_map(|r| r.throughput_gbps())
            .fold(0.0_f64, f64::max);
        for row in rows {
            let gbps = row.throughput_gbps().unwrap_or(0.0);
            let w = if max > 0.0 { gbps / max * BAR_MAX } else { 0.0 };
            let (fill, weight) = if row.baseline {
                ("#d9480f", "bold")
            } else {
                ("#868e96", "normal")
            };
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="{weight}">{}</text>"#,
                LABEL - 8.0,
                y + 15.0,
                escape_xml(&row.tool)
            );
            let _ = writeln!(
                out,
                r#"<rect class="bar" x="{LABEL}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}: {gbps:.3} GB/s</title></rect>"#,
                y + 3.0,
                w.max(1.0),
                ROW - 8.0,
                escape_xml(&row.tool)
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-weight="{weight}">{gbps:.3}</text>"#,
                LABEL + w.max(1.0) + 6.0,
                y + 15.0
            );
            y += ROW;
        }
        y += 12.0;
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tool: &str, wall: Option<f64>, baseline: bool, verdict: Verdict) -> Row {
        Row {
            tool: tool.to_owned(),
            command: format!("{tool} x | sort"),
            bytes: 2_000_000_000,
            stats: wall.map(|w| Stats {
                wall_s: w,
                cpu_s: w * 2.0,
                max_rss_kib: 2048,
            }),
            verdict,
            baseline,
        }
    }

    fn section() -> Section {
        Section {
            title: "Task <1>, 2 GB".to_owned(),
            rows: vec![
                row("logscan", Some(1.0), true, Verdict::Ok),
                row("py | sort", Some(20.0), false, Verdict::Wrong("x".into())),
                row("goaccess", None, false, Verdict::Missing("goaccess".into())),
                row("wc -l", Some(0.5), false, Verdict::Unchecked),
            ],
        }
    }

    #[test]
    fn table_has_ratios_and_verdicts() {
        let t = table(&section());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 6, "{t}");
        assert!(lines[0].starts_with("| tool "), "{t}");
        assert!(lines[1].contains("---:"), "{t}");
        // 2 GB in 1 s, ratio 1; 2 GB in 20 s is 0.1 GB/s, ratio 20.
        assert!(
            lines[2].contains("2.000") && lines[2].contains("1.00"),
            "{t}"
        );
        assert!(
            lines[3].contains("0.100") && lines[3].contains("20.00"),
            "{t}"
        );
        assert!(
            lines[3].contains("WRONG") && lines[3].contains("| py \\| sort "),
            "{t}"
        );
        assert!(lines[4].contains("skipped: no goaccess"), "{t}");
        // Every line is padded to the same width.
        let widths: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{t}");
    }

    #[test]
    fn notes_explain_bad_rows() {
        let n = notes(&section());
        assert_eq!(n.len(), 2);
        assert!(n[0].starts_with("py | sort") && n[0].contains("WRONG"));
        assert!(n[1].contains("not installed"));
    }

    #[test]
    fn svg_has_a_bar_per_measured_tool() {
        let s = svg(&[section()]);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        assert_eq!(s.matches(r#"class="bar""#).count(), 2, "{s}");
        assert!(s.contains(">logscan</text>") && s.contains(">py | sort</text>"));
        assert!(!s.contains(">goaccess</text>") && !s.contains(">wc -l</text>"));
        assert_eq!(s.matches("#d9480f").count(), 1, "one highlighted bar");
        assert!(s.contains(">Task &lt;1&gt;: GB/s"), "{s}");
        // The fastest bar gets the full width.
        assert!(s.contains(r#"width="470.0""#), "{s}");
    }
}

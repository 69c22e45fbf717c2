//! The options of every bench suite: `--flag`, `--name VALUE` or
//! `--name=VALUE`, with the same error messages throughout.

use std::ffi::OsString;
use std::ops::RangeInclusive;
use std::vec;

use ops_loggen::parse_size;

/// Walks a suite's arguments one option at a time.
pub(crate) struct Opts {
    args: vec::IntoIter<OsString>,
    /// The whole current argument, for "unknown argument".
    arg: String,
    /// Its name: the part before `=`.
    name: String,
    /// The part after `=`, if any.
    inline: Option<String>,
}

impl Opts {
    pub(crate) fn new(args: Vec<OsString>) -> Opts {
        Opts {
            args: args.into_iter(),
            arg: String::new(),
            name: String::new(),
            inline: None,
        }
    }

    /// The next option's name (`--size` for `--size=1MB`), or `None` after
    /// the last.
    pub(crate) fn next_name(&mut self) -> Result<Option<&str>, String> {
        let Some(raw) = self.args.next() else {
            return Ok(None);
        };
        self.arg = raw
            .into_string()
            .map_err(|a| format!("argument `{}` is not UTF-8", a.to_string_lossy()))?;
        (self.name, self.inline) = match self.arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (self.arg.clone(), None),
        };
        Ok(Some(&self.name))
    }

    /// The current option's value: after its `=`, else the next argument.
    pub(crate) fn value(&mut self) -> Result<String, String> {
        match self.inline.take() {
            Some(v) => Ok(v),
            None => self
                .args
                .next()
                .and_then(|v| v.into_string().ok())
                .ok_or_else(|| format!("option `{}` needs a value", self.name)),
        }
    }

    /// The value as a whole number in `range`.
    pub(crate) fn number(&mut self, range: RangeInclusive<u64>) -> Result<u64, String> {
        let v = self.value()?;
        v.parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "{}: `{v}` is not a number in {}..={}",
                    self.name,
                    range.start(),
                    range.end()
                )
            })
    }

    /// The value as a byte size (`10MB`, `1GiB`).
    pub(crate) fn size(&mut self) -> Result<u64, String> {
        let v = self.value()?;
        parse_size(&v).map_err(|e| format!("{}: {e}", self.name))
    }

    /// The error for an argument no option of the suite matches.
    pub(crate) fn unknown(&self) -> String {
        format!("unknown argument `{}`", self.arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Opts {
        Opts::new(list.iter().map(OsString::from).collect())
    }

    #[test]
    fn values_inline_or_next() {
        let mut o = opts(&["--size=2MB", "--runs", "3", "--quick"]);
        assert_eq!(o.next_name(), Ok(Some("--size")));
        assert_eq!(o.size(), Ok(2_000_000));
        assert_eq!(o.next_name(), Ok(Some("--runs")));
        assert_eq!(o.number(1..=9), Ok(3));
        assert_eq!(o.next_name(), Ok(Some("--quick")));
        assert_eq!(o.next_name(), Ok(None));
    }

    #[test]
    fn errors_name_the_option() {
        let mut o = opts(&["--runs", "0"]);
        o.next_name().unwrap();
        assert_eq!(
            o.number(1..=9),
            Err("--runs: `0` is not a number in 1..=9".to_owned())
        );
        let mut o = opts(&["--runs"]);
        o.next_name().unwrap();
        assert_eq!(o.value(), Err("option `--runs` needs a value".to_owned()));
        let mut o = opts(&["--fast=yes"]);
        o.next_name().unwrap();
        assert_eq!(o.unknown(), "unknown argument `--fast=yes`");
        let mut o = opts(&["--size", "12 parsecs"]);
        o.next_name().unwrap();
        assert!(o.size().unwrap_err().starts_with("--size: "));
    }
}

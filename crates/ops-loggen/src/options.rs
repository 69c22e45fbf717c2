//! What to generate: [`Kind`], [`Quirks`] and the validated [`GenOptions`].

use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::str::FromStr;

use crate::Error;

/// Which log format to generate.
///
/// Non-exhaustive: more formats (plain syslog, JSON lines) may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `/var/log/auth.log` as written by rsyslog: sshd, sudo, cron, systemd.
    Auth,
    /// nginx/Apache "combined" access log.
    Access,
}

impl Kind {
    /// The name used on command lines: `auth` or `access`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::Access => "access",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "auth" => Ok(Kind::Auth),
            "access" => Ok(Kind::Access),
            _ => Err(Error::UnknownKind { name: s.to_owned() }),
        }
    }
}

/// A set of deliberate irregularities to mix into the output.
///
/// Without quirks every line follows the documented grammar of its kind,
/// is valid ASCII, ends in `\n`, and is easy for `awk` or `grep` to agree
/// with; each quirk breaks one of those promises on a small share of lines
/// (about one line in a few hundred; long lines about one in 16 000). Quirks
/// that do not apply to the chosen [`Kind`] are ignored.
///
/// Combine with `|`; parse from a comma-separated list of
/// [`NAMES`](Self::NAMES), or `all`, or `none`:
///
/// ```
/// use ops_loggen::Quirks;
/// let q: Quirks = "crlf,nul".parse()?;
/// assert_eq!(q, Quirks::CRLF | Quirks::NUL_BYTES);
/// assert!(Quirks::all().contains(q));
/// assert_eq!(q.to_string(), "crlf,nul");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Quirks(u32);

impl Quirks {
    /// Some lines end in `\r\n` instead of `\n`.
    pub const CRLF: Quirks = Quirks(1 << 0);
    /// The last line has no line terminator.
    pub const NO_FINAL_NEWLINE: Quirks = Quirks(1 << 1);
    /// Bytes that are not UTF-8 (`\xff\xfe`, Latin-1 `\xe9`) inside user
    /// names, request paths and user agents.
    pub const INVALID_UTF8: Quirks = Quirks(1 << 2);
    /// NUL bytes inside lines, and runs of NULs at the start of a line as
    /// left by a crash.
    pub const NUL_BYTES: Quirks = Quirks(1 << 3);
    /// Rare lines longer than
    /// [`long_line_bytes`](GenOptionsBuilder::long_line_bytes): huge user
    /// names, sudo commands or user agents.
    pub const LONG_LINES: Quirks = Quirks(1 << 4);
    /// Auth: RFC 3339 timestamps with microseconds
    /// (`2026-11-20T10:00:00.123456+00:00 host sshd[123]: ...`).
    pub const ISO_TIMESTAMPS: Quirks = Quirks(1 << 5);
    /// Auth: `host sshd: ...` without `[pid]`.
    pub const MISSING_PID: Quirks = Quirks(1 << 6);
    /// Auth: empty user names (two spaces), and names containing spaces,
    /// `from`, or a fake `from <ip> port <n>`.
    pub const ODD_USERS: Quirks = Quirks(1 << 7);
    /// Auth: lines from other programs (`sudo`, `myapp[77]`, `sshd-keygen`,
    /// `sshdx`, `logger`) whose text contains
    /// `Failed password for root from 1.2.3.4 port 22 ssh2`.
    pub const DECOYS: Quirks = Quirks(1 << 8);
    /// Access: backslash-escaped quotes in the request and user agent.
    pub const ESCAPED_QUOTES: Quirks = Quirks(1 << 9);
    /// Access: requests logged as `"-"`, e.g. `"-" 400 0 "-" "-"`.
    pub const EMPTY_REQUESTS: Quirks = Quirks(1 << 10);
    /// Access: extra fields after the user agent (` 0.123 "10.0.1.7:8080"`).
    pub const EXTRA_FIELDS: Quirks = Quirks(1 << 11);
    /// Access: truncated lines and garbage lines.
    pub const MALFORMED: Quirks = Quirks(1 << 12);
    /// Access: Common Log Format lines, without referer and user agent.
    pub const COMMON_FORMAT: Quirks = Quirks(1 << 13);

    /// Every quirk with its name, in bit order.
    pub const NAMES: &'static [(&'static str, Quirks)] = &[
        ("crlf", Quirks::CRLF),
        ("no-final-newline", Quirks::NO_FINAL_NEWLINE),
        ("invalid-utf8", Quirks::INVALID_UTF8),
        ("nul", Quirks::NUL_BYTES),
        ("long-lines", Quirks::LONG_LINES),
        ("iso-timestamps", Quirks::ISO_TIMESTAMPS),
        ("missing-pid", Quirks::MISSING_PID),
        ("odd-users", Quirks::ODD_USERS),
        ("decoys", Quirks::DECOYS),
        ("escaped-quotes", Quirks::ESCAPED_QUOTES),
        ("empty-requests", Quirks::EMPTY_REQUESTS),
        ("extra-fields", Quirks::EXTRA_FIELDS),
        ("malformed", Quirks::MALFORMED),
        ("common-format", Quirks::COMMON_FORMAT),
    ];

    /// No quirks: clean, regular output (the default).
    pub const fn none() -> Quirks {
        Quirks(0)
    }

    /// Every quirk.
    pub const fn all() -> Quirks {
        Quirks((1 << 14) - 1)
    }

    /// Whether no quirk is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every quirk in `other` is also in `self`.
    pub const fn contains(self, other: Quirks) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the quirks of `other` added.
    pub const fn with(self, other: Quirks) -> Quirks {
        Quirks(self.0 | other.0)
    }

    /// `self` with the quirks of `other` removed.
    pub const fn without(self, other: Quirks) -> Quirks {
        Quirks(self.0 & !other.0)
    }

    /// The quirk called `name` (see [`NAMES`](Self::NAMES)).
    pub fn from_name(name: &str) -> Option<Quirks> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, q)| q)
    }
}

impl BitOr for Quirks {
    type Output = Quirks;

    fn bitor(self, rhs: Quirks) -> Quirks {
        self.with(rhs)
    }
}

impl BitOrAssign for Quirks {
    fn bitor_assign(&mut self, rhs: Quirks) {
        *self = self.with(rhs);
    }
}

impl fmt::Display for Quirks {
    /// Comma-separated names, `all` or `none`, as accepted by `parse`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        if *self == Quirks::all() {
            return f.write_str("all");
        }
        let mut first = true;
        for &(name, q) in Self::NAMES {
            if self.contains(q) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

impl FromStr for Quirks {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "all" => return Ok(Quirks::all()),
            "none" | "" => return Ok(Quirks::none()),
            _ => {}
        }
        let mut set = Quirks::none();
        for part in s.split(',') {
            let part = part.trim();
            set |= Quirks::from_name(part).ok_or_else(|| Error::UnknownQuirk {
                name: part.to_owned(),
                expected: Self::NAMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        }
        Ok(set)
    }
}

/// Validated settings for [`generate`](crate::generate); build with
/// [`GenOptions::builder`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenOptions {
    kind: Kind,
    size_bytes: u64,
    seed: u64,
    quirks: Quirks,
    long_line_bytes: usize,
}

impl GenOptions {
    /// Default target size: 1 MiB.
    pub const DEFAULT_SIZE_BYTES: u64 = 1 << 20;
    /// Default length of a [`Quirks::LONG_LINES`] line: 128 KiB.
    pub const DEFAULT_LONG_LINE_BYTES: usize = 128 << 10;

    /// A builder with defaults: 1 MiB, seed 0, no quirks.
    pub fn builder(kind: Kind) -> GenOptionsBuilder {
        GenOptionsBuilder {
            opts: GenOptions {
                kind,
                size_bytes: Self::DEFAULT_SIZE_BYTES,
                seed: 0,
                quirks: Quirks::none(),
                long_line_bytes: Self::DEFAULT_LONG_LINE_BYTES,
            },
        }
    }

    /// Log format.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Output stops at the first line end at or after this many bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// Seed of the pseudo-random stream; equal options give equal bytes.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Enabled irregularities.
    pub fn quirks(&self) -> Quirks {
        self.quirks
    }

    /// Minimum length of a [`Quirks::LONG_LINES`] line.
    pub fn long_line_bytes(&self) -> usize {
        self.long_line_bytes
    }
}

/// Builder for [`GenOptions`]; [`build`](Self::build) checks the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptionsBuilder {
    opts: GenOptions,
}

impl GenOptionsBuilder {
    /// Smallest accepted [`long_line_bytes`](Self::long_line_bytes).
    pub const MIN_LONG_LINE_BYTES: usize = 1 << 10;
    /// Largest accepted [`long_line_bytes`](Self::long_line_bytes).
    pub const MAX_LONG_LINE_BYTES: usize = 64 << 20;

    /// Target size in bytes (default 1 MiB); `0` gives empty output.
    pub fn size_bytes(mut self, size_bytes: u64) -> Self {
        self.opts.size_bytes = size_bytes;
        self
    }

    /// Seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.opts.seed = seed;
        self
    }

    /// Irregularities to include (default none).
    pub fn quirks(mut self, quirks: Quirks) -> Self {
        self.opts.quirks = quirks;
        self
    }

    /// Minimum length of lines made by [`Quirks::LONG_LINES`] (default
    /// 128 KiB; 1 KiB to 64 MiB).
    pub fn long_line_bytes(mut self, bytes: usize) -> Self {
        self.opts.long_line_bytes = bytes;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] when `long_line_bytes` is out of range.
    pub fn build(self) -> Result<GenOptions, Error> {
        let long = self.opts.long_line_bytes;
        if !(Self::MIN_LONG_LINE_BYTES..=Self::MAX_LONG_LINE_BYTES).contains(&long) {
            return Err(Error::InvalidOption {
                option: "long_line_bytes",
                reason: format!(
                    "{long} is outside {}..={}",
                    Self::MIN_LONG_LINE_BYTES,
                    Self::MAX_LONG_LINE_BYTES
                ),
            });
        }
        Ok(self.opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quirk_names_roundtrip_and_cover_all_bits() {
        let mut union = Quirks::none();
        for &(name, q) in Quirks::NAMES {
            assert_eq!(Quirks::from_name(name), Some(q));
            assert_eq!(q.to_string(), name);
            assert_eq!(name.parse::<Quirks>().ok(), Some(q));
            assert!(!union.contains(q), "{name} shares a bit");
            union |= q;
        }
        assert_eq!(union, Quirks::all());
        assert_eq!("all".parse::<Quirks>().ok(), Some(Quirks::all()));
        assert_eq!("none".parse::<Quirks>().ok(), Some(Quirks::none()));
        assert_eq!(Quirks::all().to_string(), "all");
        assert_eq!(Quirks::none().to_string(), "none");
        let two = Quirks::CRLF | Quirks::DECOYS;
        assert_eq!(two.to_string().parse::<Quirks>().ok(), Some(two));
        assert_eq!(two.without(Quirks::CRLF), Quirks::DECOYS);
    }

    #[test]
    fn unknown_quirk_is_named_in_error() {
        let err = "crlf, bogus".parse::<Quirks>().err().map(|e| e.to_string());
        let msg = err.unwrap_or_default();
        assert!(msg.contains("`bogus`"), "{msg}");
        assert!(msg.contains("no-final-newline"), "{msg}");
    }

    #[test]
    fn kind_parses() {
        assert_eq!("auth".parse::<Kind>().ok(), Some(Kind::Auth));
        assert_eq!("access".parse::<Kind>().ok(), Some(Kind::Access));
        assert!("Auth".parse::<Kind>().is_err());
        assert_eq!(Kind::Access.to_string(), "access");
    }

    #[test]
    fn builder_validates_long_line_bytes() {
        let ok = GenOptions::builder(Kind::Auth)
            .size_bytes(10)
            .seed(3)
            .quirks(Quirks::all())
            .long_line_bytes(4096)
            .build();
        let opts = ok.ok();
        assert_eq!(opts.as_ref().map(GenOptions::long_line_bytes), Some(4096));
        assert_eq!(opts.as_ref().map(GenOptions::seed), Some(3));
        for bad in [0, 1023, (64 << 20) + 1] {
            let err = GenOptions::builder(Kind::Access)
                .long_line_bytes(bad)
                .build();
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("`long_line_bytes`"), "{bad}: {msg}");
        }
    }
}

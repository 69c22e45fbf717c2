//! The access-log formats.

use std::fmt;
use std::str::FromStr;

use super::clf;
#[cfg(feature = "json")]
use super::json::JsonFields;
use super::nginx::NginxFormat;
use super::record::AccessRecord;
use crate::Error;

/// How access-log lines are written.
///
/// [`LogFormat::parse`] reads a name (`combined`, `common`, `json`) or,
/// failing that, an nginx `log_format` string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LogFormat {
    /// The combined log format of nginx and Apache,
    /// `%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"`.
    ///
    /// Read exactly as [`Common`](LogFormat::Common): referer, user agent
    /// and any fields after them are not needed, so they are not checked.
    /// A user agent missing its closing quote does not spoil a line.
    Combined,
    /// The common log format, `%h %l %u [%t] "%r" %>s %b`.
    ///
    /// The request is a quoted string in which `\"` does not close the
    /// quotes (a quote is closing when an even number of backslashes
    /// precede it); it may be `-` or junk, leaving method and path absent.
    /// The status is three digits, the byte count digits or `-`.
    Common,
    /// An nginx `log_format`.
    Nginx(NginxFormat),
    /// JSON lines, with these field names.
    #[cfg(feature = "json")]
    Json(JsonFields),
}

impl LogFormat {
    /// `combined`, `common` or `json` (any case, surrounding blanks
    /// ignored); anything else is compiled as an nginx `log_format`
    /// string (see [`NginxFormat::compile`] for its errors).
    pub fn parse(text: &str) -> Result<LogFormat, Error> {
        let name = text.trim();
        if name.eq_ignore_ascii_case("combined") {
            Ok(LogFormat::Combined)
        } else if name.eq_ignore_ascii_case("common") {
            Ok(LogFormat::Common)
        } else if name.eq_ignore_ascii_case("json") {
            #[cfg(feature = "json")]
            {
                Ok(LogFormat::Json(JsonFields::default()))
            }
            #[cfg(not(feature = "json"))]
            {
                Err(Error::InvalidOption {
                    option: "format",
                    reason: "json needs ops-logscan's `json` feature".to_owned(),
                })
            }
        } else {
            NginxFormat::compile(text).map(LogFormat::Nginx)
        }
    }

    /// Parses one line (without its line terminator); `None` when the line
    /// does not match the format. Never panics, whatever the bytes.
    #[inline]
    pub fn parse_line<'a>(&self, line: &'a [u8]) -> Option<AccessRecord<'a>> {
        match self {
            LogFormat::Combined | LogFormat::Common => clf::parse(line),
            LogFormat::Nginx(f) => f.parse(line),
            #[cfg(feature = "json")]
            LogFormat::Json(f) => f.parse(line),
        }
    }

    /// Whether lines carry a time, so that a time range can apply.
    pub fn has_time(&self) -> bool {
        match self {
            LogFormat::Combined | LogFormat::Common => true,
            LogFormat::Nginx(f) => f.has_time(),
            #[cfg(feature = "json")]
            LogFormat::Json(f) => !f.time.is_empty(),
        }
    }

    /// Whether lines carry a request time (latency).
    pub fn has_latency(&self) -> bool {
        match self {
            LogFormat::Combined | LogFormat::Common => false,
            LogFormat::Nginx(f) => f.has_latency(),
            #[cfg(feature = "json")]
            LogFormat::Json(f) => !f.request_time.is_empty(),
        }
    }
}

impl FromStr for LogFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<LogFormat, Error> {
        LogFormat::parse(s)
    }
}

/// The name, or the nginx format string.
impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogFormat::Combined => f.write_str("combined"),
            LogFormat::Common => f.write_str("common"),
            LogFormat::Nginx(n) => n.fmt(f),
            #[cfg(feature = "json")]
            LogFormat::Json(_) => f.write_str("json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_format_strings() {
        assert_eq!(
            LogFormat::parse(" Combined ").ok(),
            Some(LogFormat::Combined)
        );
        assert_eq!("common".parse::<LogFormat>().ok(), Some(LogFormat::Common));
        #[cfg(feature = "json")]
        assert_eq!(
            LogFormat::parse("JSON").ok(),
            Some(LogFormat::Json(JsonFields::default()))
        );
        let f = LogFormat::parse("$remote_addr $status");
        assert!(matches!(f, Ok(LogFormat::Nginx(_))));
        assert_eq!(
            f.map(|f| f.to_string()).ok().as_deref(),
            Some("$remote_addr $status")
        );
        assert!(matches!(
            LogFormat::parse("combined2"),
            Err(Error::Format { position: 0, .. })
        ));
        assert!(LogFormat::Combined.has_time() && !LogFormat::Combined.has_latency());
    }

    #[test]
    fn common_and_combined_read_alike() {
        let line = br#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(
            LogFormat::Common.parse_line(line),
            LogFormat::Combined.parse_line(line)
        );
        assert!(LogFormat::Common.parse_line(line).is_some());
    }
}

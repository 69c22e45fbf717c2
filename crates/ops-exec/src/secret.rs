//! Values that may be secret, and scrubbing them out of text.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;

/// What every secret value is shown as in logs, errors and dry-run output.
pub const REDACTED: &str = "***";

/// Whether a value may be shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) enum Visibility {
    /// Shown as it is.
    #[default]
    Plain,
    /// Shown as [`REDACTED`], and scrubbed from the stderr tail that errors
    /// carry.
    Secret,
}

/// An argument or environment value with its visibility. `Debug` shows a
/// secret as `***`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Value {
    pub(crate) raw: OsString,
    pub(crate) visibility: Visibility,
}

impl Value {
    pub(crate) fn new(raw: impl Into<OsString>, visibility: Visibility) -> Value {
        Value {
            raw: raw.into(),
            visibility,
        }
    }

    /// The value as logs show it: quoted, or `***`.
    pub(crate) fn shown(&self) -> Cow<'_, str> {
        match self.visibility {
            Visibility::Plain => crate::words::quote_word(&self.raw),
            Visibility::Secret => Cow::Borrowed(REDACTED),
        }
    }

    pub(crate) fn is_secret(&self) -> bool {
        self.visibility == Visibility::Secret
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.visibility {
            Visibility::Plain => fmt::Debug::fmt(&self.raw, f),
            Visibility::Secret => f.write_str(REDACTED),
        }
    }
}

/// Replaces every occurrence of any of `secrets` in `text` by [`REDACTED`].
/// Longer secrets are replaced first, so that one secret inside another
/// does not leave a part of the longer one behind.
pub(crate) fn scrub(text: &[u8], secrets: &[&OsStr]) -> Vec<u8> {
    let mut needles: Vec<&[u8]> = secrets
        .iter()
        .map(|s| s.as_bytes())
        .filter(|s| !s.is_empty())
        .collect();
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = text.to_vec();
    for needle in needles {
        out = replace_all(&out, needle, REDACTED.as_bytes());
    }
    out
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(with);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scrubs_every_occurrence_longest_first() {
        let s = [OsStr::new("abc"), OsStr::new("abcdef"), OsStr::new("")];
        let out = scrub(b"x abcdef y abc abcabc", &s);
        assert_eq!(out, b"x *** y *** ******");
    }

    #[test]
    fn debug_hides_secrets() {
        let v = Value::new("hunter2", Visibility::Secret);
        assert_eq!(format!("{v:?}"), "***");
        assert_eq!(v.shown(), "***");
        let p = Value::new("a b", Visibility::Plain);
        assert_eq!(p.shown(), "'a b'");
    }

    proptest! {
        #[test]
        fn no_secret_survives(
            secret in "[a-z]{1,6}",
            parts in proptest::collection::vec("[a-z ]{0,8}", 0..6),
        ) {
            let text = parts.join(&secret);
            let out = scrub(text.as_bytes(), &[OsStr::new(&secret)]);
            let out = String::from_utf8(out).unwrap();
            // The marker holds no letters, so no letter sequence can
            // straddle it: any remaining occurrence came from the text.
            prop_assert!(!out.contains(&secret), "{out:?} still holds {secret:?}");
        }
    }
}

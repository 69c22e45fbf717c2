//! Shell words: splitting a command line the way a POSIX shell would (no
//! expansion, no operators), and quoting words back for display.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::error::Error;

/// Splits `line` into words with POSIX shell quoting rules: whitespace
/// separates words, `'...'` and `"..."` quote, `\` escapes. Nothing is
/// expanded: `$HOME`, `*` and `~` stay as they are, and `|`, `;` or `>`
/// are ordinary characters, so the result never means more than the words.
///
/// Unterminated quotes and a trailing backslash are errors naming the line;
/// a `#` at the start of a word starts a comment (as in a shell).
///
/// ```
/// let words = ops_exec::split_words(r#"git commit -m "fix: don't panic""#)?;
/// assert_eq!(words, ["git", "commit", "-m", "fix: don't panic"]);
/// assert!(ops_exec::split_words("echo 'unterminated").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn split_words(line: &str) -> Result<Vec<String>, Error> {
    shlex::split(line).ok_or_else(|| Error::Invalid {
        reason: format!(
            "cannot split {line:?} into words: unterminated quote or trailing backslash"
        ),
    })
}

/// Quotes one word for a POSIX shell, so that [`split_words`] (or `sh`)
/// reads it back unchanged: words of only letters, digits and
/// `@%+=:,./_-` stay as they are (as Python's `shlex.quote`), others go in
/// single quotes. Used for every command line this crate shows (logs,
/// errors, dry-run). Non-UTF-8 bytes are shown lossily, and a NUL byte
/// (which no argument can hold) as `\0`.
pub fn quote_word(word: &OsStr) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(word.as_bytes());
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text;
    }
    let shown = text.replace('\0', "\\0");
    Cow::Owned(format!("'{}'", shown.replace('\'', "'\\''")))
}

/// Words joined with spaces, each quoted by [`quote_word`].
pub(crate) fn join_quoted<'a, I>(words: I) -> String
where
    I: IntoIterator<Item = Cow<'a, str>>,
{
    let mut line = String::new();
    for word in words {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_like_a_shell_without_expanding() {
        let w = split_words(r#"a 'b c' "d \"e\"" f\ g $HOME | *"#).unwrap();
        assert_eq!(w, ["a", "b c", "d \"e\"", "f g", "$HOME", "|", "*"]);
        assert_eq!(split_words("  ").unwrap(), Vec::<String>::new());
        let err = split_words("say \"hi").unwrap_err().to_string();
        assert!(err.contains("say \\\"hi"), "{err}");
        assert!(split_words("trailing \\").is_err());
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(
            quote_word(OsStr::new("plain-word_1.txt")),
            "plain-word_1.txt"
        );
        assert_eq!(quote_word(OsStr::new("two words")), "'two words'");
        assert_eq!(quote_word(OsStr::new("")), "''");
        assert_eq!(quote_word(OsStr::new("a\0b")), "'a\\0b'");
        assert_eq!(quote_word(OsStr::new("it's")), "'it'\\''s'");
        assert_eq!(quote_word(OsStr::new("BatchMode=yes")), "BatchMode=yes");
        let bad = OsStr::from_bytes(b"caf\xe9");
        assert_eq!(split_words(&quote_word(bad)).unwrap(), ["caf\u{fffd}"]);
    }

    proptest! {
        #[test]
        fn quoting_round_trips(words in proptest::collection::vec("[^\\x00]{0,12}", 0..6)) {
            let line = join_quoted(words.iter().map(|w| quote_word(OsStr::new(w))));
            prop_assert_eq!(split_words(&line).unwrap(), words);
        }
    }
}

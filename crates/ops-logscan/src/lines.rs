//! Splitting a block of bytes into lines.

/// A line handed to an analyzer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line within the length limit, without its `\n` or `\r\n`.
    Text(&'a [u8]),
    /// A line over the length limit: it is counted, never parsed.
    Oversized,
}

/// Calls `f` for every line of `block`.
///
/// A block is what the scanning driver hands an analyzer: whole lines, each
/// ending in `\n` except perhaps the last line of the input. One `\r` before
/// the `\n` (or at the very end) is removed, so CRLF and LF files read alike.
/// A line longer than `max_line` bytes (terminator excluded) is reported as
/// [`Line::Oversized`].
#[inline]
pub fn for_each_line<'a>(block: &'a [u8], max_line: usize, mut f: impl FnMut(Line<'a>)) {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', block) {
        f(classify(&block[start..end], max_line));
        start = end + 1;
    }
    if start < block.len() {
        f(classify(&block[start..], max_line));
    }
}

#[inline]
fn classify(line: &[u8], max_line: usize) -> Line<'_> {
    let line = match line {
        [rest @ .., b'\r'] => rest,
        _ => line,
    };
    if line.len() > max_line {
        Line::Oversized
    } else {
        Line::Text(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(block: &[u8], max: usize) -> Vec<Line<'_>> {
        let mut v = Vec::new();
        for_each_line(block, max, |l| v.push(l));
        v
    }

    #[test]
    fn lf_crlf_and_unterminated_last_line() {
        assert_eq!(
            lines(b"a\r\nbb\n\nc", 10),
            vec![
                Line::Text(b"a"),
                Line::Text(b"bb"),
                Line::Text(b""),
                Line::Text(b"c")
            ]
        );
        assert!(lines(b"", 10).is_empty());
        assert_eq!(lines(b"\r\n", 10), vec![Line::Text(b"")]);
    }

    #[test]
    fn nul_and_invalid_utf8_are_just_bytes() {
        assert_eq!(lines(b"a\0b\xff\n", 10), vec![Line::Text(b"a\0b\xff")]);
    }

    #[test]
    fn oversized_lines_are_flagged_by_length_without_terminator() {
        assert_eq!(
            lines(b"abc\r\nabcd\n", 3),
            vec![Line::Text(b"abc"), Line::Oversized]
        );
    }
}

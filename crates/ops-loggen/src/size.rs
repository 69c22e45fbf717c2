//! Parsing human-written sizes such as `50MB` or `1.5GiB`.

use crate::Error;

/// Parses a byte count with an optional unit.
///
/// Accepts a decimal number, optionally with a fraction, followed by an
/// optional unit, case-insensitively and with optional spaces between:
///
/// | unit | factor |
/// | --- | --- |
/// | none, `B` | 1 (no fraction allowed) |
/// | `KB`, `MB`, `GB`, `TB` | 10³, 10⁶, 10⁹, 10¹² |
/// | `KiB`, `MiB`, `GiB`, `TiB` | 2¹⁰, 2²⁰, 2³⁰, 2⁴⁰ |
/// | `K`, `M`, `G`, `T` | 2¹⁰ … 2⁴⁰, as in GNU `head -c` |
///
/// A fraction is exact and rounds down to whole bytes: `1.5GB` is
/// 1 500 000 000 and `0.1KiB` is 102.
///
/// ```
/// use ops_loggen::parse_size;
/// assert_eq!(parse_size("50MB")?, 50_000_000);
/// assert_eq!(parse_size("1GiB")?, 1 << 30);
/// assert!(parse_size("12 parsecs").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidSize`] for an empty string, a missing number, an unknown
/// unit, a fractional byte count, or a size above `u64::MAX`.
pub fn parse_size(input: &str) -> Result<u64, Error> {
    let fail = |reason| Error::InvalidSize {
        input: input.to_owned(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(fail("empty size"));
    }
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (int_part, rest) = s.split_at(int_len);
    let (frac_part, rest) = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            after_dot.split_at(n)
        }
        None => ("", rest),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(fail(
            "expected a number, optionally followed by a unit such as MiB",
        ));
    }
    let unit = rest.trim_start();
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => {
            return Err(fail(
                "unknown unit (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)",
            ));
        }
    };

    let too_large = || fail("larger than 2^64 - 1 bytes");
    let whole = if int_part.is_empty() {
        0
    } else {
        int_part.parse::<u64>().map_err(|_| too_large())?
    };
    let mut total = whole.checked_mul(factor).ok_or_else(too_large)?;

    // Digits past the 19th cannot change the result for any factor here
    // (factor / 10^19 < 1), so they are ignored rather than overflowing.
    let frac_digits = &frac_part[..frac_part.len().min(19)];
    if !frac_digits.is_empty() {
        let numer = frac_digits.parse::<u128>().map_err(|_| too_large())?;
        let denom = 10u128.pow(frac_digits.len() as u32);
        let frac_bytes = numer * u128::from(factor) / denom;
        if factor == 1 && numer != 0 {
            return Err(fail("a byte count cannot have a fraction"));
        }
        // frac_bytes < factor <= 2^40, so the cast is lossless.
        total = total.checked_add(frac_bytes as u64).ok_or_else(too_large)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("123", 123),
            ("123B", 123),
            ("50MB", 50_000_000),
            ("50mb", 50_000_000),
            ("50MiB", 50 << 20),
            ("50 MiB", 50 << 20),
            (" 7kib ", 7 << 10),
            ("1GiB", 1 << 30),
            ("1G", 1 << 30),
            ("2K", 2048),
            ("1.5GB", 1_500_000_000),
            ("1.5GiB", 3 << 29),
            ("0.1KiB", 102),
            (".5KB", 500),
            ("3.KB", 3_000),
            ("1.0", 1),
            ("2TB", 2_000_000_000_000),
            ("1TiB", 1 << 40),
            ("16777215TiB", 16_777_215 << 40),
            ("18446744073709551615", u64::MAX),
            ("0.0000000000000000000001GiB", 0),
        ];
        for &(input, want) in cases {
            let got = parse_size(input);
            assert_eq!(got.ok(), Some(want), "{input}");
        }
    }

    #[test]
    fn rejected_forms() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("MB", "expected a number"),
            (".", "expected a number"),
            ("-5MB", "expected a number"),
            ("5 parsecs", "unknown unit"),
            ("5MBs", "unknown unit"),
            ("1.2.3", "unknown unit"),
            ("5e6", "unknown unit"),
            ("1.5", "fraction"),
            ("1.5B", "fraction"),
            ("16777216TiB", "larger than"),
            ("18446744073709551616", "larger than"),
        ];
        for &(input, why) in cases {
            let msg = parse_size(input)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(msg.contains(why), "{input:?}: {msg:?}");
            assert!(
                msg.contains(&format!("`{input}`")),
                "names the input: {msg}"
            );
        }
    }
}

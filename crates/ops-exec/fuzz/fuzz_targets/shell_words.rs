//! A command line from outside (`Command::parse`) splits or fails cleanly,
//! and every word shown in logs reads back as the same word.
#![no_main]

use std::ffi::OsStr;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    let _ = ops_exec::Command::parse(line);
    let Ok(words) = ops_exec::split_words(line) else {
        return;
    };
    // A NUL cannot be in an argument; it is shown as `\0`.
    if words.iter().any(|w| w.contains('\0')) {
        return;
    }
    let shown: Vec<String> = words
        .iter()
        .map(|w| ops_exec::quote_word(OsStr::new(w)).into_owned())
        .collect();
    let again = ops_exec::split_words(&shown.join(" ")).expect("quoted words split");
    assert_eq!(again, words);
});

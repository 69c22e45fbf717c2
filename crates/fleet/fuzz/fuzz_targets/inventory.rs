//! An inventory is a file someone typed: any text is hosts or an error
//! naming its line, and every host it gives reads back from its display.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match fleet::parse_inventory(&text) {
        Ok(hosts) => {
            for host in &hosts {
                let shown = host.to_string();
                let back = fleet::parse_inventory(&shown).expect("a host's display parses");
                assert_eq!(back.len(), 1, "{shown:?}");
                assert_eq!(
                    (&back[0].user, &back[0].name, back[0].port),
                    (&host.user, &host.name, host.port),
                    "{shown:?}"
                );
            }
        }
        Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count(), "{e}"),
    }
});

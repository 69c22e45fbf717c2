//! Input shared by the benches.

use ops_loggen::{GenOptions, Kind, generate};

/// About 8 MiB of generated auth log (seed 1, no quirks); `fallback` if
/// the generator refuses, so a bench never panics on its own input.
pub(crate) fn generated_auth(fallback: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = GenOptions::builder(Kind::Auth)
        .size_bytes(8 << 20)
        .seed(1)
        .build();
    if let Ok(opts) = opts
        && generate(&opts, &mut out).is_ok()
    {
        return out;
    }
    fallback()
}

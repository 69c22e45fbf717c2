//! `cargo xtask`: workspace automation.

fn main() {
    eprintln!("usage: cargo xtask <gen-logs|bench|ci>");
    std::process::exit(2);
}

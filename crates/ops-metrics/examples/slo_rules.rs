//! Prints Prometheus rules for the SLOs of a spec file:
//! `cargo run -p ops-metrics --example slo_rules -- testdata/slo/services.yml > slo_rules.yml`.

use ops_metrics::{SloSpec, WORKBOOK_ALERTS};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: slo_rules SPEC.yml")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let spec = SloSpec::parse(&path, &text)?;
    print!("{}", spec.rules(&WORKBOOK_ALERTS));
    Ok(())
}

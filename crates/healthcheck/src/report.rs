//! Printing outcomes: an aligned table or one JSON object.

use std::io::{self, Write};

use ops_cli::{Align, Table};

use crate::probe::Outcome;

/// The table: target, status, latency, attempts, detail.
pub(crate) fn table(out: &mut impl Write, outcomes: &[Outcome]) -> io::Result<()> {
    let mut table = Table::new(&[
        ("TARGET", Align::Left),
        ("STATUS", Align::Left),
        ("LATENCY", Align::Right),
        ("ATTEMPTS", Align::Right),
        ("DETAIL", Align::Left),
    ]);
    for o in outcomes {
        table.row([
            o.target.clone(),
            if o.healthy { "healthy" } else { "UNHEALTHY" }.to_string(),
            o.latency_ms
                .map_or_else(|| "-".to_string(), |ms| format!("{ms:.1} ms")),
            o.attempts.to_string(),
            o.detail.clone(),
        ]);
    }
    write!(out, "{table}")?;
    let bad = outcomes.iter().filter(|o| !o.healthy).count();
    writeln!(out, "\n{} healthy, {bad} unhealthy", outcomes.len() - bad)
}

#[derive(serde::Serialize)]
struct Summary<'a> {
    healthy: usize,
    unhealthy: usize,
    targets: &'a [Outcome],
}

/// One JSON object: counts and every target's outcome.
pub(crate) fn json(out: &mut impl Write, outcomes: &[Outcome]) -> io::Result<()> {
    let bad = outcomes.iter().filter(|o| !o.healthy).count();
    let summary = Summary {
        healthy: outcomes.len() - bad,
        unhealthy: bad,
        targets: outcomes,
    };
    serde_json::to_writer(&mut *out, &summary)?;
    writeln!(out)
}

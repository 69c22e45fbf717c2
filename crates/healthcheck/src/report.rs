//! Printing outcomes: an aligned table or one JSON object.

use std::io::{self, Write};

use crate::probe::Outcome;

/// The table: target, status, latency, attempts, detail.
pub(crate) fn table(out: &mut impl Write, outcomes: &[Outcome]) -> io::Result<()> {
    let rows: Vec<[String; 5]> = outcomes
        .iter()
        .map(|o| {
            [
                o.target.clone(),
                if o.healthy { "healthy" } else { "UNHEALTHY" }.to_string(),
                o.latency_ms
                    .map_or_else(|| "-".to_string(), |ms| format!("{ms:.1} ms")),
                o.attempts.to_string(),
                o.detail.clone(),
            ]
        })
        .collect();
    let head = ["TARGET", "STATUS", "LATENCY", "ATTEMPTS", "DETAIL"];
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 5]| -> io::Result<()> {
        // Left-aligned text, right-aligned numbers; the last column free.
        writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
        )
    };
    line(out, head)?;
    for r in &rows {
        line(out, [&r[0], &r[1], &r[2], &r[3], &r[4]])?;
    }
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

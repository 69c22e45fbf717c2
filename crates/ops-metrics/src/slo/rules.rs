//! SLO spec files and the Prometheus rules generated from them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;

use super::{BurnRateAlert, Objective, Severity};
use crate::SloError;
use crate::duration::{format_duration, parse_duration};

/// Where an SLI query takes its range: `{{window}}` becomes `5m`, `1h`, ...
pub const WINDOW_PLACEHOLDER: &str = "{{window}}";

/// The most SLOs one spec may hold, and the longest text of one field: a
/// spec is a hand-written file, and the bounds keep a bad one from
/// generating gigabytes of rules.
const MAX_SLOS: usize = 1_000;
const MAX_FIELD: usize = 16 << 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    slos: Vec<RawSlo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlo {
    name: String,
    objective: f64,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    description: Option<String>,
    sli: RawSli,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSli {
    errors: String,
    total: String,
}

/// One SLO of a spec file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// Its name, the `slo` label of everything generated for it
    /// (`[A-Za-z0-9_.-]+`).
    pub name: String,
    /// The objective.
    pub objective: Objective,
    /// The SLO window (default 30 days).
    pub window: Duration,
    /// What it is about, for the alerts' annotations.
    pub description: Option<String>,
    /// PromQL for the rate of bad events, with [`WINDOW_PLACEHOLDER`].
    pub errors: String,
    /// PromQL for the rate of all events, with [`WINDOW_PLACEHOLDER`].
    pub total: String,
    /// More labels for the recorded series and alerts (`team: payments`).
    pub labels: BTreeMap<String, String>,
}

/// A parsed and validated SLO spec file.
///
/// ```
/// use ops_metrics::{SloSpec, WORKBOOK_ALERTS};
///
/// let spec = SloSpec::parse("slo.yml", r#"
/// slos:
///   - name: api-availability
///     objective: 99.9
///     window: 30d
///     sli:
///       errors: sum(rate(http_requests_total{job="api",code=~"5.."}[{{window}}]))
///       total: sum(rate(http_requests_total{job="api"}[{{window}}]))
///     labels:
///       team: payments
/// "#)?;
/// assert_eq!(spec.slos[0].objective.error_budget(), 0.001);
/// let rules = spec.rules(&WORKBOOK_ALERTS);
/// assert!(rules.contains("record: \"slo:sli_error:ratio_rate5m\""));
/// assert!(rules.contains("(14.4 * 0.001)"));
/// # Ok::<(), ops_metrics::SloError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SloSpec {
    /// The SLOs, in file order.
    pub slos: Vec<Slo>,
}

fn label_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

impl SloSpec {
    /// Parses a spec (YAML; JSON is YAML too). `file` names it in errors.
    ///
    /// The file is `slos:`, a list of SLOs, each with `name`, `objective`
    /// (a percentage), optional `window` (default `30d`), optional
    /// `description`, `sli.errors` and `sli.total` (PromQL rates with
    /// `{{window}}` as the range), and optional `labels`. Unknown keys are
    /// errors, so a misspelt key does not silently fall back to a default.
    pub fn parse(file: &str, text: &str) -> Result<SloSpec, SloError> {
        let raw: RawSpec = serde_saphyr::from_str(text).map_err(|e| SloError::Spec {
            file: file.to_owned(),
            message: e.to_string().lines().next().unwrap_or("").to_owned(),
        })?;
        if raw.slos.len() > MAX_SLOS {
            return Err(SloError::Spec {
                file: file.to_owned(),
                message: format!("{} SLOs, at most {MAX_SLOS}", raw.slos.len()),
            });
        }
        let mut seen = std::collections::HashSet::new();
        let mut slos = Vec::with_capacity(raw.slos.len());
        for r in raw.slos {
            let invalid = |message: String| SloError::Invalid {
                file: file.to_owned(),
                slo: r.name.clone(),
                message,
            };
            if r.name.is_empty()
                || r.name.len() > 128
                || !r
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(invalid(
                    "name must be 1 to 128 of [A-Za-z0-9_.-]".to_owned(),
                ));
            }
            if !seen.insert(r.name.clone()) {
                return Err(invalid("a second SLO of this name".to_owned()));
            }
            let objective =
                Objective::from_percent(r.objective).map_err(|e| invalid(e.to_string()))?;
            let window = match &r.window {
                Some(w) => parse_duration(w).map_err(|e| invalid(format!("window: {e}")))?,
                None => Duration::from_secs(30 * 86_400),
            };
            for (key, query) in [("sli.errors", &r.sli.errors), ("sli.total", &r.sli.total)] {
                if !query.contains(WINDOW_PLACEHOLDER) {
                    return Err(invalid(format!(
                        "{key} has no {WINDOW_PLACEHOLDER} for the rate's range"
                    )));
                }
                if query.len() > MAX_FIELD {
                    return Err(invalid(format!("{key} is longer than {MAX_FIELD} bytes")));
                }
            }
            for (k, v) in &r.labels {
                if !label_name_ok(k) || matches!(k.as_str(), "slo" | "severity") {
                    return Err(invalid(format!(
                        "label {k:?}: want [A-Za-z_][A-Za-z0-9_]*, not slo, severity or __*"
                    )));
                }
                if v.len() > MAX_FIELD {
                    return Err(invalid(format!(
                        "label {k:?} is longer than {MAX_FIELD} bytes"
                    )));
                }
            }
            if r.description.as_ref().is_some_and(|d| d.len() > MAX_FIELD) {
                return Err(invalid(format!(
                    "description is longer than {MAX_FIELD} bytes"
                )));
            }
            slos.push(Slo {
                name: r.name.clone(),
                objective,
                window,
                description: r.description.clone(),
                errors: r.sli.errors.clone(),
                total: r.sli.total.clone(),
                labels: r.labels.clone(),
            });
        }
        Ok(SloSpec { slos })
    }

    /// Prometheus rules (a rule file's YAML) for every SLO: one group per
    /// SLO with
    ///
    /// - `slo:sli_error:ratio_rate<W>` for every window the alerts use and
    ///   for the SLO window: errors / total over W;
    /// - `slo:error_budget_remaining:ratio`: 1 - the error ratio over the
    ///   SLO window / the budget (negative when overspent);
    /// - alerts `SLOErrorBudgetBurn` with `severity` `page` and `ticket`,
    ///   each firing when any of its conditions holds: the error ratio over
    ///   both the long and the short window above burn rate x budget.
    ///
    /// The output passes `promtool check rules`.
    pub fn rules(&self, alerts: &[BurnRateAlert]) -> String {
        let mut out = String::from(
            "# Generated by ops-metrics from an SLO spec: multi-window, multi-burn-rate\n\
             # alerts as in the SRE workbook (\"Alerting on SLOs\").\ngroups:\n",
        );
        for slo in &self.slos {
            slo_group(&mut out, slo, alerts);
        }
        out
    }
}

fn record_name(window: Duration) -> String {
    format!("slo:sli_error:ratio_rate{}", format_duration(window))
}

fn slo_group(out: &mut String, slo: &Slo, alerts: &[BurnRateAlert]) {
    let mut windows: Vec<Duration> = alerts.iter().flat_map(|a| [a.short, a.long]).collect();
    windows.push(slo.window);
    windows.sort();
    windows.dedup();
    let mut labels = slo.labels.clone();
    labels.insert("slo".to_owned(), slo.name.clone());
    let selector = format!("{{slo={}}}", promql_str(&slo.name));
    let budget = number(slo.objective.error_budget());

    let _ = writeln!(out, "  - name: {}", yaml_str(&format!("slo:{}", slo.name)));
    out.push_str("    rules:\n");
    for w in &windows {
        let range = format_duration(*w);
        let expr = format!(
            "({}) / ({})",
            slo.errors.replace(WINDOW_PLACEHOLDER, &range),
            slo.total.replace(WINDOW_PLACEHOLDER, &range)
        );
        let _ = writeln!(out, "      - record: {}", yaml_str(&record_name(*w)));
        let _ = writeln!(out, "        expr: {}", yaml_str(&expr));
        write_labels(out, &labels, None);
    }
    let _ = writeln!(
        out,
        "      - record: {}",
        yaml_str("slo:error_budget_remaining:ratio")
    );
    let expr = format!("1 - {}{selector} / {budget}", record_name(slo.window));
    let _ = writeln!(out, "        expr: {}", yaml_str(&expr));
    write_labels(out, &labels, None);

    for severity in [Severity::Page, Severity::Ticket] {
        let conditions: Vec<String> = alerts
            .iter()
            .filter(|a| a.severity == severity)
            .map(|a| {
                let threshold = format!("({} * {budget})", number(a.burn_rate));
                format!(
                    "({long}{selector} > {threshold} and {short}{selector} > {threshold})",
                    long = record_name(a.long),
                    short = record_name(a.short),
                )
            })
            .collect();
        if conditions.is_empty() {
            continue;
        }
        let _ = writeln!(out, "      - alert: {}", yaml_str("SLOErrorBudgetBurn"));
        let _ = writeln!(out, "        expr: {}", yaml_str(&conditions.join(" or ")));
        write_labels(out, &labels, Some(severity));
        let what = slo
            .description
            .clone()
            .unwrap_or_else(|| format!("SLO {}", slo.name));
        let rates: Vec<String> = alerts
            .iter()
            .filter(|a| a.severity == severity)
            .map(|a| {
                format!(
                    "{}x over {} and {}",
                    number(a.burn_rate),
                    format_duration(a.long),
                    format_duration(a.short)
                )
            })
            .collect();
        out.push_str("        annotations:\n");
        let _ = writeln!(
            out,
            "          summary: {}",
            yaml_str(&format!(
                "{what}: error budget burning {}",
                if severity == Severity::Page {
                    "fast"
                } else {
                    "steadily"
                }
            ))
        );
        let _ = writeln!(
            out,
            "          description: {}",
            yaml_str(&format!(
                "{what} ({}% over {}) is spending its error budget at a rate that fires at {}.",
                number(slo.objective.ratio() * 100.0),
                format_duration(slo.window),
                rates.join(" or ")
            ))
        );
    }
}

fn write_labels(out: &mut String, labels: &BTreeMap<String, String>, severity: Option<Severity>) {
    out.push_str("        labels:\n");
    if let Some(s) = severity {
        let _ = writeln!(out, "          severity: {}", yaml_str(s.as_str()));
    }
    for (k, v) in labels {
        let _ = writeln!(out, "          {k}: {}", yaml_str(v));
    }
}

/// A number as a person writes it: `0.001`, `14.4`, `6`.
fn number(v: f64) -> String {
    let s = format!("{v:.12}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// A YAML double-quoted scalar: `\`, `"` and control characters escaped.
fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A PromQL string literal.
fn promql_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WORKBOOK_ALERTS;
    use proptest::prelude::*;

    const SPEC: &str = r#"
slos:
  - name: api
    objective: 99.9
    sli:
      errors: sum(rate(req_total{code=~"5.."}[{{window}}]))
      total: sum(rate(req_total[{{window}}]))
"#;

    #[test]
    fn defaults_and_windows() {
        let spec = SloSpec::parse("s.yml", SPEC).unwrap();
        assert_eq!(spec.slos[0].window, Duration::from_secs(30 * 86_400));
        let rules = spec.rules(&WORKBOOK_ALERTS);
        for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
            assert!(
                rules.contains(&format!("record: \"slo:sli_error:ratio_rate{w}\"")),
                "{w}"
            );
        }
        assert_eq!(rules.matches("alert: \"SLOErrorBudgetBurn\"").count(), 2);
    }

    #[test]
    fn spec_errors_name_the_file_and_slo() {
        let cases = [
            ("slos: [", "s.yml: "),
            (
                "slos:\n  - name: a\n    objective: 99.9\n    colour: red\n",
                "s.yml: ",
            ),
            (
                &SPEC.replace("99.9", "100"),
                "s.yml: slo \"api\": objective 100 is not between 0 and 100 percent",
            ),
            (
                &SPEC.replace("objective: 99.9", "objective: 99.9\n    window: 0d"),
                "s.yml: slo \"api\": window: invalid duration \"0d\"",
            ),
            (
                &SPEC.replace("[{{window}}]))\n      total", "[5m]))\n      total"),
                "s.yml: slo \"api\": sli.errors has no {{window}}",
            ),
            (
                &SPEC.replace("name: api", "name: \"a b\""),
                "s.yml: slo \"a b\": name must be",
            ),
            (
                &SPEC.replace("    sli:", "    labels: {severity: x}\n    sli:"),
                "s.yml: slo \"api\": label \"severity\"",
            ),
        ];
        for (text, want) in cases {
            let err = SloSpec::parse("s.yml", text).unwrap_err().to_string();
            assert!(
                err.starts_with(want),
                "{err:?} does not start with {want:?}"
            );
        }
        let twice = format!("{SPEC}{}", &SPEC[SPEC.find("  - name").unwrap()..]);
        let err = SloSpec::parse("s.yml", &twice).unwrap_err().to_string();
        assert!(err.contains("a second SLO of this name"), "{err}");
    }

    #[test]
    fn quoting() {
        assert_eq!(yaml_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(promql_str("x\"y"), "\"x\\\"y\"");
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(6.0), "6");
        assert_eq!(number(1.0 - 0.999), "0.001");
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = SloSpec::parse("fuzz.yml", &text);
        }

        #[test]
        fn parse_never_panics_on_near_specs(
            name in "[a-z -]{0,8}",
            objective in "(99\\.9|0|100|-1|abc|1e400|99)",
            window in "(30d|5m|0s|x|1h30m|)",
            label in "[a-z_]{0,5}",
        ) {
            let text = format!(
                "slos:\n  - name: {name}\n    objective: {objective}\n    window: {window}\n    sli:\n      errors: e[{{{{window}}}}]\n      total: t[{{{{window}}}}]\n    labels:\n      {label}: v\n"
            );
            if let Ok(spec) = SloSpec::parse("p.yml", &text) {
                // Whatever parses generates rules.
                prop_assert!(spec.rules(&WORKBOOK_ALERTS).contains("SLOErrorBudgetBurn"));
            }
        }

        /// Every string goes through yaml_str as a valid YAML scalar that
        /// reads back as itself.
        #[test]
        fn yaml_strings_round_trip(s in "\\PC{0,40}") {
            let doc = format!("v: {}\n", yaml_str(&s));
            let back: BTreeMap<String, String> = serde_saphyr::from_str(&doc).unwrap();
            prop_assert_eq!(&back["v"], &s);
        }
    }
}

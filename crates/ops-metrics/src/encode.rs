//! Exposition formats, content negotiation, and the helper the collectors
//! write their families with.

use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// A text exposition format.
///
/// Both carry the same samples; they differ in framing. OpenMetrics names
/// a counter family without `_total` in `# TYPE` (`# TYPE x counter`,
/// sample `x_total`), writes `# UNIT` lines, escapes `"` in help text,
/// may carry exemplars and ends with `# EOF`. Text 0.0.4, which
/// `promtool check metrics`, Prometheus before 2.5 and most other scrapers
/// read, names the family as the sample (`# TYPE x_total counter`), has no
/// `# UNIT`, no exemplars and no `# EOF`, writes info metrics as gauges
/// named `_info`, and escapes only `\` and newlines in help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// The Prometheus text format 0.0.4.
    #[default]
    Text004,
}

impl Format {
    /// The format to answer a request with, from its `Accept` header:
    /// OpenMetrics when the client accepts `application/openmetrics-text`
    /// at least as much as any `text/plain` or wildcard range, text 0.0.4
    /// otherwise (and without a header).
    ///
    /// ```
    /// use ops_metrics::Format;
    ///
    /// // What Prometheus 2.x sends.
    /// let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
    /// assert_eq!(Format::from_accept(Some("text/plain")), Format::Text004);
    /// assert_eq!(Format::from_accept(None), Format::Text004);
    /// ```
    pub fn from_accept(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text004;
        };
        let mut openmetrics = 0.0f64;
        let mut text = 0.0f64;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut q = 1.0;
            for param in parts {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|q| q.is_finite())
                        .unwrap_or(0.0);
                }
            }
            match media.as_str() {
                "application/openmetrics-text" => openmetrics = openmetrics.max(q),
                "text/plain" | "text/*" | "*/*" => text = text.max(q),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics >= text {
            Format::OpenMetrics
        } else {
            Format::Text004
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text004 => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        }
    }
}

/// Writes every metric of `registry` to `out` in `format`.
///
/// ```
/// use ops_metrics::{Format, encode};
/// use prometheus_client::metrics::counter::Counter;
/// use prometheus_client::registry::Registry;
///
/// let mut registry = Registry::default();
/// let requests: Counter = Counter::default();
/// registry.register("requests", "Requests served", requests.clone());
/// requests.inc();
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert_eq!(text, "# HELP requests_total Requests served.\n# TYPE requests_total counter\nrequests_total 1\n");
///
/// let mut om = String::new();
/// encode(&mut om, &registry, Format::OpenMetrics)?;
/// assert!(om.starts_with("# HELP requests Requests served.\n# TYPE requests counter\n"));
/// assert!(om.ends_with("# EOF\n"));
/// # Ok::<(), std::fmt::Error>(())
/// ```
pub fn encode<W: std::fmt::Write>(
    out: &mut W,
    registry: &Registry,
    format: Format,
) -> Result<(), std::fmt::Error> {
    match format {
        Format::OpenMetrics => prometheus_client::encoding::text::encode(out, registry),
        Format::Text004 => prometheus_client::encoding::prometheus_text::encode(out, registry),
    }
}

/// A metric family's name, help, unit and type.
pub(crate) struct Desc {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) unit: Option<Unit>,
    pub(crate) kind: MetricType,
}

impl Desc {
    pub(crate) const fn counter(
        name: &'static str,
        help: &'static str,
        unit: Option<Unit>,
    ) -> Desc {
        Desc {
            name,
            help,
            unit,
            kind: MetricType::Counter,
        }
    }

    pub(crate) const fn gauge(name: &'static str, help: &'static str, unit: Option<Unit>) -> Desc {
        Desc {
            name,
            help,
            unit,
            kind: MetricType::Gauge,
        }
    }
}

/// Writes one family with its samples; nothing at all when there are none.
pub(crate) fn family<L, I>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    kind: MetricType,
    samples: I,
) -> Result<(), std::fmt::Error>
where
    L: EncodeLabelSet,
    I: IntoIterator<Item = (L, f64)>,
{
    let mut samples = samples.into_iter().peekable();
    if samples.peek().is_none() {
        return Ok(());
    }
    let mut metric = encoder.encode_descriptor(name, help, unit, kind)?;
    for (labels, value) in samples {
        let mut sample = metric.encode_family(&labels)?;
        if kind == MetricType::Counter {
            sample.encode_counter::<NoLabelSet, _, f64>(&value, None)?;
        } else {
            sample.encode_gauge(&value)?;
        }
    }
    Ok(())
}

/// [`family`] for a static description.
pub(crate) fn desc_family<L, I>(
    encoder: &mut DescriptorEncoder<'_>,
    desc: &Desc,
    samples: I,
) -> Result<(), std::fmt::Error>
where
    L: EncodeLabelSet,
    I: IntoIterator<Item = (L, f64)>,
{
    family(
        encoder,
        desc.name,
        desc.help,
        desc.unit.as_ref(),
        desc.kind,
        samples,
    )
}

/// One unlabelled sample, when there is a value.
pub(crate) fn single(
    encoder: &mut DescriptorEncoder<'_>,
    desc: &Desc,
    value: Option<f64>,
) -> Result<(), std::fmt::Error> {
    desc_family(encoder, desc, value.map(|v| ([] as [(&str, &str); 0], v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_negotiation() {
        let cases = [
            (Some("application/openmetrics-text"), Format::OpenMetrics),
            (
                Some("application/openmetrics-text; version=0.0.1"),
                Format::OpenMetrics,
            ),
            (
                Some("text/plain;q=0.9, application/openmetrics-text;q=0.5"),
                Format::Text004,
            ),
            (Some("application/openmetrics-text;q=0"), Format::Text004),
            (Some("*/*"), Format::Text004),
            (Some("application/json"), Format::Text004),
            (Some(""), Format::Text004),
            (
                Some("APPLICATION/OpenMetrics-Text;Q=1"),
                Format::OpenMetrics,
            ),
            (Some("application/openmetrics-text;q=abc"), Format::Text004),
        ];
        for (accept, want) in cases {
            assert_eq!(Format::from_accept(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(
            Format::Text004.content_type(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(
            Format::OpenMetrics
                .content_type()
                .starts_with("application/openmetrics-text; version=1.0.0")
        );
    }
}

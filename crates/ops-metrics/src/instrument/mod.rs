//! Ready-made metric sets for opskit's crates, each behind a feature.
//!
//! Each set is a cheap-to-clone handle (the metrics inside are shared),
//! registered into a prometheus-client
//! [`Registry`](prometheus_client::registry::Registry) once, and fed by the
//! listener hook of the crate it measures (ops-resilience's
//! `RetryListener` and `BreakerListener`, ops-exec's `CommandListener`)
//! or by plain `record_*` calls.

/// Implements `EncodeLabelValue` through the type's `as_str`, so label
/// values are snake_case (`half_open`) rather than variant names.
#[cfg(any(feature = "exec", feature = "resilience"))]
macro_rules! label_value {
    ($($t:ty),+) => {$(
        impl prometheus_client::encoding::EncodeLabelValue for $t {
            fn encode(
                &self,
                encoder: &mut prometheus_client::encoding::LabelValueEncoder<'_>,
            ) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    )+};
}

#[cfg(feature = "exec")]
pub(crate) mod exec;
#[cfg(feature = "logscan")]
pub(crate) mod logscan;
#[cfg(feature = "resilience")]
pub(crate) mod resilience;

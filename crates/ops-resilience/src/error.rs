//! The error of every builder and constructor in the crate.

/// A policy, breaker or limiter was configured with values that cannot
/// work; the message names the setting and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting is out of its range.
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// The setting, as its builder method is named (`max_attempts`).
        setting: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(setting: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            setting,
            reason: reason.into(),
        }
    }

    /// The setting that was rejected.
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::Invalid { setting, .. } => setting,
        }
    }
}

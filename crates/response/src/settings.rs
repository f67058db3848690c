//! The response settings of a node, in `<data_dir>/response.toml` (every key optional):
//!
//! ```toml
//! [alerts]
//! overdue_secs = 900          # a recipient that has not answered by then is overdue
//! reannounce_after_secs = 900 # then the alert is sent again (a new round); 0: never
//!
//! [evidence]
//! max_bytes = 8388608         # largest file attached to an incident
//!
//! [[subscription]]            # any number; see `notify` for the keys
//! name = "soc"
//! webhook = { url = "https://soc.example/hook", secret = "change me" }
//! ```

use serde::{Deserialize, Serialize};

use crate::{ResponseError, Result};

/// The file name under the data directory.
pub const FILE_NAME: &str = "response.toml";

/// Alert timing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Seconds after which a recipient that has not answered is overdue.
    pub overdue_secs: u64,
    /// Seconds after which an alert some recipient has not answered is re-announced
    /// (0: never).
    pub reannounce_after_secs: u64,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            overdue_secs: 900,
            reannounce_after_secs: 900,
        }
    }
}

/// Evidence limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for EvidenceSettings {
    fn default() -> Self {
        EvidenceSettings {
            max_bytes: crate::evidence::DEFAULT_MAX_BYTES,
        }
    }
}

/// Everything in `response.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Alert timing.
    pub alerts: AlertSettings,
    /// Evidence limits.
    pub evidence: EvidenceSettings,
    /// Notification subscriptions (`[[subscription]]`, see [`crate::notify`]).
    #[serde(rename = "subscription")]
    pub subscriptions: Vec<crate::notify::Subscription>,
}

impl Settings {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Settings> {
        let settings: Settings = toml::from_str(text)
            .map_err(|e| ResponseError::Invalid(format!("{FILE_NAME}: {e}")))?;
        for s in &settings.subscriptions {
            let filtered = !s.types.is_empty()
                || !s.tlp.is_empty()
                || !s.labels.is_empty()
                || !s.sectors.is_empty()
                || !s.countries.is_empty()
                || s.min_severity.is_some()
                || s.constituency_hits;
            if s.governance && filtered {
                return Err(ResponseError::Invalid(format!(
                    "{FILE_NAME}: subscription {:?}: `governance = true` receives the \
                     communities' proposals and decisions and takes no object filter \
                     (types, tlp, labels, sectors, countries, min_severity, \
                     constituency_hits); use a second subscription for objects",
                    s.name
                )));
            }
        }
        Ok(settings)
    }
}

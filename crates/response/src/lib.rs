//! Coordinated response between nodes: incidents (STIX `incident` with the OASIS incident
//! core extension) and their timelines, alerts and acknowledgements, requests for
//! assistance, constituency routing and the notifications it raises.
//!
//! Everything this crate creates is a STIX object stored through
//! [`concord_store::import::import_values`]; it reaches peers only through federation and
//! the outbound policy. Who said what is never taken from an object's own claims: it is
//! the store's provenance (the origin whose signature was verified on receipt; none means
//! created here). Objects addressed to some peers carry `recipients` in Concord's
//! extension, which the policy's `builtin.recipients` rule enforces.
//!
//! I/O beyond the store: [`evidence`] keeps file contents under `<data_dir>/evidence`,
//! and [`notify`] delivers to subscribers (webhook, SMTP), each delivery in its own task
//! with a time limit; [`governance`] finds the communities' proposals and decisions for
//! the subscriptions that take them. Settings come from the caller ([`settings`], [`constituency`]).
//!
//! | object | STIX | how it is told apart |
//! |---|---|---|
//! | incident | `incident` + incident core extension | [`ext::RESPONSE_EXT`] `kind = "incident"` |
//! | alert | a new version of an incident (or report) | `alert` in [`ext::RESPONSE_EXT`], `recipients` |
//! | acknowledgement | `opinion` referring to the alert | `kind = "ack"`, `status` |
//! | request for assistance | `note` referring to the incident | `kind = "request"` |
//! | answer to a request | `note` referring to the request | `kind = "request-response"` |
//! | constituency | a new version of the node's `identity` | `kind = "constituency"` |
//! | "your constituency is affected" | `note` referring to the object | `kind = "constituency-notification"` |
//! | evidence | `artifact` (SHA-256, `payload_bin`) linked to the incident | its custody notes |
//! | chain-of-custody entry | `note` referring to the artifact | `kind = "custody"`, `verified` |
//!
//! ```
//! use concord_response::incident::{self, NewIncident};
//! use concord_store::sqlite::SqliteStore;
//!
//! let store = SqliteStore::open_in_memory().unwrap();
//! let opened = incident::open(&store, &NewIncident {
//!     name: "Ransomware at a hospital".into(),
//!     severity: Some("high".into()),
//!     ..NewIncident::default()
//! }).unwrap();
//! let view = incident::show(&store, "node-a", &opened).unwrap();
//! assert_eq!(view["investigation_status"], "new");
//! assert_eq!(view["determination"], "suspected");
//! ```

pub mod alert;
pub mod constituency;
pub mod evidence;
pub mod ext;
pub mod governance;
pub mod incident;
pub mod notify;
pub mod request;
pub mod settings;
pub mod timeline;

use concord_stix::Timestamp;
use concord_store::import::{ObjectResult, import_values};
use concord_store::{Outcome, Store, StoreError};
use serde_json::Value;

/// A coordinated-response operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The caller's input is wrong (names the field).
    #[error("{0}")]
    Invalid(String),
    /// The object asked about is not held here.
    #[error("{0}")]
    NotFound(String),
    /// The operation is not allowed for this node (not addressed, not the origin, ...).
    #[error("{0}")]
    Refused(String),
    /// An object this crate built was rejected by validation (a bug, or bad input that
    /// slipped through), with the reasons.
    #[error("{id}: rejected: {reasons}")]
    Rejected {
        /// The object id.
        id: String,
        /// The violations, as text.
        reasons: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, ResponseError>;

/// Stores objects through the one import path; a rejection or a conflicting version is
/// an error naming the object.
pub fn store_objects(store: &dyn Store, values: Vec<Value>) -> Result<Vec<Outcome>> {
    let mut results = Vec::new();
    import_values(store, values, 1000, &mut |b| results.extend_from_slice(b))?;
    let mut outcomes = Vec::new();
    for r in results {
        match r {
            ObjectResult::Accepted {
                id,
                outcome: Outcome::Conflict,
                ..
            } => {
                return Err(ResponseError::Rejected {
                    id,
                    reasons: "this version is already held with other content".into(),
                });
            }
            ObjectResult::Accepted { outcome, .. } => outcomes.push(outcome),
            ObjectResult::Rejected { id, reasons, .. } => {
                return Err(ResponseError::Rejected {
                    id: id.unwrap_or_default(),
                    reasons: reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
        }
    }
    Ok(outcomes)
}

/// The current time, with millisecond precision.
pub fn now() -> String {
    Timestamp::now_millis()
}

/// A `modified` for the next version of an object last modified at `prev`: now, or one
/// millisecond after `prev` if the clock has not moved past it.
pub fn next_modified(prev: &str) -> String {
    let now = chrono::Utc::now();
    // Compare at the precision written (milliseconds).
    let now = Timestamp::parse(&Timestamp::format_millis(now)).map_or(now, |t| t.instant());
    match Timestamp::parse(prev) {
        Ok(p) if p.instant() >= now => {
            Timestamp::format_millis(p.instant() + chrono::Duration::milliseconds(1))
        }
        _ => Timestamp::format_millis(now),
    }
}

/// The version key of an object (its `modified`, else `created`), as provenance uses it.
pub fn version_of(v: &Value) -> &str {
    v.get("modified")
        .or_else(|| v.get("created"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The node that created a held version: the verified origin of a received one, or
/// `me` for one created here (no provenance, or this node's own signature only).
pub fn origin_of(store: &dyn Store, me: &str, v: &Value) -> Result<String> {
    let id = v.get("id").and_then(Value::as_str).unwrap_or("");
    Ok(match store.provenance(id, version_of(v))? {
        Some(p) if !p.received_from.is_empty() => p.origin,
        _ => me.to_owned(),
    })
}

/// Whether a held version was created here: no provenance, or only this node's own
/// signature (`received_from` empty), as the federation signer stores it.
pub fn is_local(store: &dyn Store, v: &Value) -> Result<bool> {
    let id = v.get("id").and_then(Value::as_str).unwrap_or("");
    Ok(store
        .provenance(id, version_of(v))?
        .is_none_or(|p| p.received_from.is_empty()))
}

/// The current version of an object, or `NotFound` naming it.
pub fn get_current(store: &dyn Store, id: &str) -> Result<Value> {
    concord_stix::id::parse_id(id)
        .map_err(|e| ResponseError::Invalid(format!("{id:?} is not a STIX id: {e}")))?;
    store
        .get(id)?
        .map(|s| s.value())
        .ok_or_else(|| ResponseError::NotFound(format!("{id} is not held on this node")))
}

/// The peers named by `to`: `all`, `country:XX`, `sector:NAME`, or peer names / node ids.
/// Returns node ids, sorted; an unknown name or an empty result is an error.
pub fn resolve_peers(store: &dyn Store, to: &[String]) -> Result<Vec<String>> {
    let peers = store.peers()?;
    let mut out = std::collections::BTreeSet::new();
    for t in to.iter().flat_map(|t| t.split(',')).map(str::trim) {
        if t.is_empty() {
            continue;
        }
        if t == "all" {
            out.extend(peers.iter().map(|p| p.node_id.clone()));
        } else if let Some(c) = t.strip_prefix("country:") {
            out.extend(
                peers
                    .iter()
                    .filter(|p| {
                        p.country
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case(c))
                    })
                    .map(|p| p.node_id.clone()),
            );
        } else if let Some(s) = t.strip_prefix("sector:") {
            out.extend(
                peers
                    .iter()
                    .filter(|p| p.sectors.iter().any(|x| x == s))
                    .map(|p| p.node_id.clone()),
            );
        } else {
            let p = peers
                .iter()
                .find(|p| p.node_id == t || p.name == t)
                .ok_or_else(|| {
                    ResponseError::Invalid(format!("no peer {t:?} (see `concord peer list`)"))
                })?;
            out.insert(p.node_id.clone());
        }
    }
    if out.is_empty() {
        return Err(ResponseError::Invalid(format!(
            "{to:?} names no peer (use `all`, `country:XX`, `sector:NAME` or peer names)"
        )));
    }
    Ok(out.into_iter().collect())
}

/// Display names of nodes: peers by their registered name; `me` as `this node`.
pub fn node_names(
    store: &dyn Store,
    me: &str,
) -> Result<std::collections::HashMap<String, String>> {
    let mut m: std::collections::HashMap<String, String> = store
        .peers()?
        .into_iter()
        .map(|p| (p.node_id, p.name))
        .collect();
    m.insert(me.to_owned(), "this node".into());
    Ok(m)
}

/// The TLP marking refs of an object (to give derived objects the same level).
pub fn tlp_refs(v: &Value) -> Vec<Value> {
    v.get("object_marking_refs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|r| {
                    r.as_str()
                        .and_then(concord_stix::Tlp::from_marking_id)
                        .is_some()
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

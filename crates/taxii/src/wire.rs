//! TAXII 2.1 wire types and media types, shared by the server routes and the client.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The media type of every TAXII 2.1 resource.
pub const TAXII_MEDIA_TYPE: &str = "application/taxii+json;version=2.1";
/// The media type of STIX 2.1 content that collections hold.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";
/// Header: `date_added` of the first object of a response.
pub const DATE_ADDED_FIRST: &str = "X-TAXII-Date-Added-First";
/// Header: `date_added` of the last object of a response.
pub const DATE_ADDED_LAST: &str = "X-TAXII-Date-Added-Last";

/// The discovery resource (`GET /taxii2/`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Discovery {
    /// Name of the server.
    pub title: String,
    /// What it serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whom to contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The default API root (URL or path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Every API root (URLs or paths).
    #[serde(default)]
    pub api_roots: Vec<String>,
}

/// An API root resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiRootInfo {
    /// Name of the API root.
    pub title: String,
    /// What it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// TAXII versions it speaks, as media types.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Largest request body accepted, in bytes.
    #[serde(default)]
    pub max_content_length: u64,
}

/// A collection resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollectionInfo {
    /// Collection id.
    pub id: String,
    /// Name.
    pub title: String,
    /// What it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Alias usable in URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Whether the caller may read.
    pub can_read: bool,
    /// Whether the caller may write.
    pub can_write: bool,
    /// Media types of its content.
    #[serde(default)]
    pub media_types: Vec<String>,
}

/// The collections resource.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Collections {
    /// The collections the caller may see.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<CollectionInfo>,
}

/// An envelope of STIX objects (`GET`/`POST .../objects/`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Envelope {
    /// Whether more pages follow.
    #[serde(default)]
    pub more: bool,
    /// The token for the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<Value>,
}

/// One record of a manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestRecord {
    /// Object id.
    pub id: String,
    /// When the server added this version.
    pub date_added: String,
    /// The version (`modified`, else `created`, else `date_added`).
    pub version: String,
    /// Media type of the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// One object's entry in a status resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusDetail {
    /// Object id (empty if the object had none).
    pub id: String,
    /// Object version (empty if it had none).
    pub version: String,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The status resource of a `POST .../objects/`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Status {
    /// Status id.
    pub id: String,
    /// `pending` or `complete`.
    pub status: String,
    /// When the request arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timestamp: Option<String>,
    /// Objects in the request.
    pub total_count: u64,
    /// Objects stored (or already held).
    pub success_count: u64,
    /// Details of the successes.
    #[serde(default)]
    pub successes: Vec<StatusDetail>,
    /// Objects rejected.
    pub failure_count: u64,
    /// Details of the failures, with reasons.
    #[serde(default)]
    pub failures: Vec<StatusDetail>,
    /// Objects not yet processed.
    pub pending_count: u64,
    /// Details of the pending objects.
    #[serde(default)]
    pub pendings: Vec<StatusDetail>,
}

/// A TAXII error message.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorMessage {
    /// Short human-readable summary.
    pub title: String,
    /// What went wrong and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Identifier of this occurrence (for the operator's log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// Stable machine-readable code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The HTTP status, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<String>,
    /// Structured details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

/// The version string TAXII gives an object: `modified`, else `created`, else `date_added`.
pub fn object_version<'a>(object: &'a Value, date_added: &'a str) -> &'a str {
    object
        .get("modified")
        .or_else(|| object.get("created"))
        .and_then(Value::as_str)
        .unwrap_or(date_added)
}

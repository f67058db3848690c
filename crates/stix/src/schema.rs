//! The STIX 2.1 object types: their family, required properties and which object
//! types each reference property may point to. Validation reads these tables.

/// The family of an object type, which decides its common properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// STIX Domain Object.
    Sdo,
    /// STIX Relationship Object (`relationship`, `sighting`).
    Sro,
    /// STIX Cyber-observable Object.
    Sco,
    /// `marking-definition`, `extension-definition`, `language-content`.
    Meta,
    /// A type the specification does not define (spec section 11).
    Custom,
}

/// Every STIX Domain Object type of STIX 2.1.
pub const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// Both STIX Relationship Object types.
pub const SRO_TYPES: &[&str] = &["relationship", "sighting"];

/// All 18 STIX Cyber-observable Object types.
pub const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// The meta object types.
pub const META_TYPES: &[&str] = &[
    "marking-definition",
    "extension-definition",
    "language-content",
];

/// The family of a type name.
pub fn family(ty: &str) -> Family {
    if SDO_TYPES.contains(&ty) {
        Family::Sdo
    } else if SRO_TYPES.contains(&ty) {
        Family::Sro
    } else if SCO_TYPES.contains(&ty) {
        Family::Sco
    } else if META_TYPES.contains(&ty) {
        Family::Meta
    } else {
        Family::Custom
    }
}

/// What a reference property may point to.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Only these types.
    Types(&'static [&'static str]),
    /// Any SDO or SCO (not an SRO, not a meta object).
    SdoOrSco,
    /// Any SCO.
    Sco,
    /// Any SCO or `relationship` (observed-data's `object_refs`).
    ScoOrRelationship,
    /// Any SDO (custom SDO-like types included).
    Sdo,
    /// Any object.
    Any,
}

impl Target {
    /// Whether `ty` is an allowed target.
    pub fn allows(self, ty: &str) -> bool {
        match self {
            Target::Types(ts) => ts.contains(&ty),
            Target::SdoOrSco => matches!(family(ty), Family::Sdo | Family::Sco | Family::Custom),
            Target::Sco => matches!(family(ty), Family::Sco | Family::Custom),
            Target::ScoOrRelationship => {
                matches!(family(ty), Family::Sco | Family::Custom) || ty == "relationship"
            }
            Target::Sdo => matches!(family(ty), Family::Sdo | Family::Custom),
            Target::Any => true,
        }
    }

    /// A short description for error messages.
    pub fn describe(self) -> String {
        match self {
            Target::Types(ts) => ts.join(" or "),
            Target::SdoOrSco => "an SDO or SCO".into(),
            Target::Sco => "an SCO".into(),
            Target::ScoOrRelationship => "an SCO or relationship".into(),
            Target::Sdo => "an SDO".into(),
            Target::Any => "any object".into(),
        }
    }
}

const IDENTITY: Target = Target::Types(&["identity"]);
const MARKING: Target = Target::Types(&["marking-definition"]);
const SOFTWARE: Target = Target::Types(&["software"]);
const FILE_OR_ARTIFACT: Target = Target::Types(&["file", "artifact"]);
const EMAIL_ADDR: Target = Target::Types(&["email-addr"]);
const ADDR: Target = Target::Types(&["ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"]);

/// The allowed targets of a top-level reference property of a given type.
/// `None` means the property is not one the spec constrains (custom or unknown).
pub fn ref_target(ty: &str, prop: &str) -> Option<Target> {
    let t = match (ty, prop) {
        (_, "created_by_ref") => IDENTITY,
        (_, "object_marking_refs") => MARKING,
        ("relationship", "source_ref" | "target_ref") => Target::SdoOrSco,
        ("sighting", "sighting_of_ref") => Target::Sdo,
        ("sighting", "observed_data_refs") => Target::Types(&["observed-data"]),
        ("sighting", "where_sighted_refs") => Target::Types(&["identity", "location"]),
        ("observed-data", "object_refs") => Target::ScoOrRelationship,
        ("report" | "note" | "opinion" | "grouping", "object_refs") => Target::Any,
        ("language-content", "object_ref") => Target::Any,
        ("malware", "sample_refs") => FILE_OR_ARTIFACT,
        ("malware", "operating_system_refs") => SOFTWARE,
        (
            "malware-analysis",
            "host_vm_ref" | "operating_system_ref" | "installed_software_refs",
        ) => SOFTWARE,
        ("malware-analysis", "sample_ref") => {
            Target::Types(&["file", "artifact", "network-traffic"])
        }
        ("malware-analysis", "analysis_sco_refs") => Target::Sco,
        ("file", "parent_directory_ref") => Target::Types(&["directory"]),
        ("file", "contains_refs") => Target::Sco,
        ("file", "content_ref") => Target::Types(&["artifact"]),
        ("directory", "contains_refs") => Target::Types(&["file", "directory"]),
        ("domain-name", "resolves_to_refs") => {
            Target::Types(&["ipv4-addr", "ipv6-addr", "domain-name"])
        }
        ("email-addr", "belongs_to_ref") => Target::Types(&["user-account"]),
        ("email-message", "from_ref" | "sender_ref" | "to_refs" | "cc_refs" | "bcc_refs") => {
            EMAIL_ADDR
        }
        ("email-message", "raw_email_ref") => Target::Types(&["artifact"]),
        ("ipv4-addr" | "ipv6-addr", "resolves_to_refs") => Target::Types(&["mac-addr"]),
        ("ipv4-addr" | "ipv6-addr", "belongs_to_refs") => Target::Types(&["autonomous-system"]),
        ("network-traffic", "src_ref" | "dst_ref") => ADDR,
        ("network-traffic", "src_payload_ref" | "dst_payload_ref") => Target::Types(&["artifact"]),
        ("network-traffic", "encapsulates_refs" | "encapsulated_by_ref") => {
            Target::Types(&["network-traffic"])
        }
        ("process", "opened_connection_refs") => Target::Types(&["network-traffic"]),
        ("process", "creator_user_ref") | ("windows-registry-key", "creator_user_ref") => {
            Target::Types(&["user-account"])
        }
        ("process", "image_ref") => Target::Types(&["file"]),
        ("process", "parent_ref" | "child_refs") => Target::Types(&["process"]),
        _ => return None,
    };
    Some(t)
}

/// Required properties of a type beyond the common ones of its family.
/// Alternatives ("one of") are checked separately in `validate`.
pub fn required(ty: &str) -> &'static [&'static str] {
    match ty {
        "attack-pattern" | "campaign" | "course-of-action" | "identity" | "incident"
        | "infrastructure" | "intrusion-set" | "threat-actor" | "tool" | "vulnerability" => {
            &["name"]
        }
        "grouping" => &["context", "object_refs"],
        "indicator" => &["pattern", "pattern_type", "valid_from"],
        "malware" => &["is_family"],
        "malware-analysis" => &["product"],
        "note" => &["content", "object_refs"],
        "observed-data" => &["first_observed", "last_observed", "number_observed"],
        "opinion" => &["opinion", "object_refs"],
        "report" => &["name", "published", "object_refs"],
        "relationship" => &["relationship_type", "source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["is_multipart"],
        "mutex" | "software" => &["name"],
        "network-traffic" => &["protocols"],
        "extension-definition" => &[
            "created_by_ref",
            "name",
            "schema",
            "version",
            "extension_types",
        ],
        "language-content" => &["object_ref", "contents"],
        _ => &[],
    }
}

/// Properties (at any depth) that hold timestamps.
pub fn is_timestamp_property(prop: &str) -> bool {
    matches!(
        prop,
        "created"
            | "modified"
            | "valid_from"
            | "valid_until"
            | "first_seen"
            | "last_seen"
            | "first_observed"
            | "last_observed"
            | "published"
            | "start"
            | "stop"
            | "ctime"
            | "mtime"
            | "atime"
            | "date"
            | "created_time"
            | "modified_time"
            | "accessed_time"
            | "validity_not_before"
            | "validity_not_after"
            | "account_created"
            | "account_expires"
            | "credential_last_changed"
            | "account_first_login"
            | "account_last_login"
            | "analysis_started"
            | "analysis_ended"
            | "submitted"
            | "object_modified"
            | "private_key_usage_period_not_before"
            | "private_key_usage_period_not_after"
    )
}

/// The open vocabulary or enumeration values of `opinion`, which the spec closes.
pub const OPINION_VALUES: &[&str] = &[
    "strongly-disagree",
    "disagree",
    "neutral",
    "agree",
    "strongly-agree",
];

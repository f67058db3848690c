//! Checks an object against the MUSTs of STIX 2.1 that hold for every object of its
//! type: identifiers, timestamps, required properties, reference targets, value ranges,
//! TLP marking definitions and property names.

use serde_json::{Map, Value};

use crate::id::{check_type_name, parse_id, type_of};
use crate::markings::{TLP2_EXTENSION, standard_tlp};
use crate::schema::{self, Family};
use crate::timestamp::Timestamp;
use crate::violation::Violation;

struct Checker<'a> {
    obj: &'a Map<String, Value>,
    id: Option<String>,
    out: Vec<Violation>,
    /// `created` and `modified` as parsed (for [`validate_keeping_times`]).
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
}

impl<'a> Checker<'a> {
    fn fail(&mut self, path: impl Into<String>, rule: &'static str, message: impl Into<String>) {
        self.out.push(Violation {
            object_id: self.id.clone(),
            path: path.into(),
            rule,
            message: message.into(),
        });
    }

    fn has(&self, prop: &str) -> bool {
        self.obj.get(prop).is_some_and(|v| !v.is_null())
    }

    fn str_prop(&mut self, prop: &str) -> Option<&'a str> {
        let obj: &'a Map<String, Value> = self.obj;
        match obj.get(prop) {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                let kind = json_kind(other);
                self.fail(
                    format!("$.{prop}"),
                    "type",
                    format!("must be a string, found {kind}"),
                );
                None
            }
        }
    }

    fn timestamp(&mut self, prop: &str, millis: bool) -> Option<Timestamp> {
        let s = self.str_prop(prop)?;
        let parsed = if millis {
            Timestamp::parse_millis(s)
        } else {
            Timestamp::parse(s)
        };
        match parsed {
            Ok(t) => Some(t),
            Err(e) => {
                self.fail(format!("$.{prop}"), "timestamp", e.to_string());
                None
            }
        }
    }

    fn require(&mut self, prop: &str, ty: &str) {
        if !self.has(prop) {
            self.fail(
                format!("$.{prop}"),
                "required",
                format!("property `{prop}` is required for type `{ty}`"),
            );
        }
    }

    fn order(&mut self, earlier: &str, later: &str, strict: bool) {
        let (Some(a), Some(b)) = (self.peek_ts(earlier), self.peek_ts(later)) else {
            return;
        };
        let bad = if strict {
            b.instant() <= a.instant()
        } else {
            b.instant() < a.instant()
        };
        if bad {
            let rel = if strict {
                "later than"
            } else {
                "later than or equal to"
            };
            self.fail(
                format!("$.{later}"),
                "order",
                format!("`{later}` must be {rel} `{earlier}`"),
            );
        }
    }

    fn peek_ts(&self, prop: &str) -> Option<Timestamp> {
        self.obj
            .get(prop)?
            .as_str()
            .and_then(|s| Timestamp::parse(s).ok())
    }

    fn int_range(&mut self, prop: &str, min: i64, max: i64) {
        let Some(v) = self.obj.get(prop) else { return };
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => {}
            _ => self.fail(
                format!("$.{prop}"),
                "range",
                format!("must be an integer from {min} to {max}, found {v}"),
            ),
        }
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Validates one object given as a JSON map. Returns every violation found; an empty
/// list means the object is valid.
pub fn validate(obj: &Map<String, Value>) -> Vec<Violation> {
    validate_keeping_times(obj).0
}

/// [`validate`], also giving `created` and `modified` as parsed (each `None` when absent
/// or invalid), so that a valid object's timestamps are not parsed twice.
pub(crate) fn validate_keeping_times(
    obj: &Map<String, Value>,
) -> (Vec<Violation>, Option<Timestamp>, Option<Timestamp>) {
    let mut c = Checker {
        obj,
        id: obj.get("id").and_then(Value::as_str).map(str::to_owned),
        out: Vec::new(),
        created: None,
        modified: None,
    };
    check(&mut c);
    (c.out, c.created, c.modified)
}

fn check(c: &mut Checker<'_>) {
    let obj = c.obj;

    let Some(ty) = c.str_prop("type") else {
        if !obj.contains_key("type") {
            c.fail("$.type", "required", "property `type` is required");
        }
        return;
    };
    if let Err(e) = check_type_name(ty) {
        c.fail("$.type", "type-name", e.to_string());
        return;
    }
    if ty == "bundle" {
        c.fail(
            "$.type",
            "nested-bundle",
            "a bundle may not appear as an object",
        );
        return;
    }
    let family = schema::family(ty);

    match c.str_prop("id") {
        None if !obj.contains_key("id") => c.fail("$.id", "required", "property `id` is required"),
        None => {}
        Some(id) => match parse_id(id) {
            Err(e) => c.fail("$.id", "id", e.to_string()),
            Ok((prefix, _)) if prefix != ty => c.fail(
                "$.id",
                "id-prefix",
                format!("identifier prefix `{prefix}` does not match type `{ty}`"),
            ),
            Ok(_) => {}
        },
    }

    check_common(c, ty, family);
    for prop in schema::required(ty) {
        c.require(prop, ty);
    }
    check_type_specific(c, ty);
    check_properties(c, ty, family);
}

fn check_common(c: &mut Checker<'_>, ty: &str, family: Family) {
    let sdo_like = matches!(family, Family::Sdo | Family::Sro)
        || matches!(ty, "language-content" | "extension-definition")
        || (family == Family::Custom && c.has("created"));
    let needs_spec_version = family != Family::Sco;
    let present = c.obj.contains_key("spec_version");
    match c.str_prop("spec_version") {
        Some("2.1") => {}
        Some(other) => {
            let other = other.to_owned();
            c.fail(
                "$.spec_version",
                "spec-version",
                format!("must be \"2.1\", found {other:?}"),
            );
        }
        None if needs_spec_version && !present => {
            c.fail(
                "$.spec_version",
                "required",
                format!("property `spec_version` is required for type `{ty}`"),
            );
        }
        None => {}
    }
    if sdo_like || ty == "marking-definition" {
        c.require("created", ty);
    }
    if sdo_like {
        c.require("modified", ty);
    }
    let created = c.timestamp("created", true);
    let modified = c.timestamp("modified", true);
    (c.created, c.modified) = (created, modified);
    if let (Some(cr), Some(m)) = (created, modified)
        && m.instant() < cr.instant()
    {
        c.fail(
            "$.modified",
            "order",
            "`modified` must be later than or equal to `created`",
        );
    }
    if let Some(v) = c.obj.get("revoked")
        && !v.is_boolean()
    {
        c.fail("$.revoked", "type", "must be a boolean");
    }
    c.int_range("confidence", 0, 100);
    if let Some(v) = c.obj.get("labels")
        && !v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
    {
        c.fail("$.labels", "type", "must be a non-empty list of strings");
    }
    if let Some(v) = c.obj.get("external_references") {
        match v.as_array() {
            Some(list) => {
                for (i, er) in list.iter().enumerate() {
                    if !er.get("source_name").is_some_and(Value::is_string) {
                        c.fail(
                            format!("$.external_references[{i}].source_name"),
                            "required",
                            "each external reference needs a string `source_name`",
                        );
                    }
                }
            }
            None => c.fail("$.external_references", "type", "must be a list"),
        }
    }
    if let Some(v) = c.obj.get("granular_markings") {
        match v.as_array() {
            Some(list) => {
                for (i, gm) in list.iter().enumerate() {
                    let has_ref = gm.get("marking_ref").is_some();
                    let has_lang = gm.get("lang").is_some();
                    if has_ref == has_lang {
                        c.fail(
                            format!("$.granular_markings[{i}]"),
                            "granular-marking",
                            "a granular marking needs exactly one of `marking_ref` or `lang`",
                        );
                    }
                    if gm
                        .get("selectors")
                        .and_then(Value::as_array)
                        .is_none_or(|s| s.is_empty())
                    {
                        c.fail(
                            format!("$.granular_markings[{i}].selectors"),
                            "required",
                            "a granular marking needs a non-empty list of `selectors`",
                        );
                    }
                }
            }
            None => c.fail("$.granular_markings", "type", "must be a list"),
        }
    }
    if let Some(v) = c.obj.get("extensions") {
        match v.as_object() {
            Some(exts) => {
                for key in exts.keys() {
                    let ok = key.ends_with("-ext")
                        || (key.starts_with("extension-definition--") && parse_id(key).is_ok())
                        || key.starts_with("x-");
                    if !ok {
                        c.fail(
                            format!("$.extensions.{key}"),
                            "extension-key",
                            "extension keys must be an extension-definition id or a predefined `*-ext` name",
                        );
                    }
                }
            }
            None => c.fail("$.extensions", "type", "must be an object"),
        }
    }
}

fn check_type_specific(c: &mut Checker<'_>, ty: &str) {
    match ty {
        "indicator" => {
            c.timestamp("valid_from", false);
            c.timestamp("valid_until", false);
            c.order("valid_from", "valid_until", true);
        }
        "observed-data" => {
            c.timestamp("first_observed", false);
            c.timestamp("last_observed", false);
            c.order("first_observed", "last_observed", false);
            c.int_range("number_observed", 1, 999_999_999);
            if !c.has("object_refs") && !c.has("objects") {
                c.fail(
                    "$.object_refs",
                    "required",
                    "observed-data needs `object_refs` (or the deprecated `objects`)",
                );
            }
        }
        "sighting" => {
            c.order("first_seen", "last_seen", false);
            c.int_range("count", 0, 999_999_999);
        }
        "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" => {
            c.order("first_seen", "last_seen", false);
        }
        "report" => {
            c.timestamp("published", false);
        }
        "location" => {
            let latlong = c.has("latitude") && c.has("longitude");
            if !c.has("region") && !c.has("country") && !latlong {
                c.fail(
                    "$",
                    "required",
                    "a location needs `region`, `country`, or `latitude` and `longitude`",
                );
            }
            if c.has("latitude") != c.has("longitude") {
                c.fail(
                    "$.latitude",
                    "required",
                    "`latitude` and `longitude` must be given together",
                );
            }
        }
        "malware" => {
            if c.obj.get("is_family").is_some_and(|v| !v.is_boolean()) {
                c.fail("$.is_family", "type", "must be a boolean");
            }
            if c.obj.get("is_family") == Some(&Value::Bool(true)) {
                c.require("name", ty);
            }
        }
        "malware-analysis" if !c.has("result") && !c.has("analysis_sco_refs") => {
            c.fail(
                "$.result",
                "required",
                "malware-analysis needs `result` or `analysis_sco_refs`",
            );
        }
        "opinion" => {
            if let Some(op) = c.str_prop("opinion")
                && !schema::OPINION_VALUES.contains(&op)
            {
                let op = op.to_owned();
                c.fail(
                    "$.opinion",
                    "enum",
                    format!("{op:?} is not one of {}", schema::OPINION_VALUES.join(", ")),
                );
            }
        }
        "file" if !c.has("hashes") && !c.has("name") => {
            c.fail("$", "required", "a file needs `hashes` or `name`");
        }
        "artifact" => {
            if c.has("payload_bin") && c.has("url") {
                c.fail(
                    "$.url",
                    "exclusive",
                    "an artifact has `payload_bin` or `url`, not both",
                );
            }
            if c.has("url") && !c.has("hashes") {
                c.fail(
                    "$.hashes",
                    "required",
                    "an artifact with `url` needs `hashes`",
                );
            }
        }
        "network-traffic" => {
            if !c.has("src_ref") && !c.has("dst_ref") {
                c.fail(
                    "$",
                    "required",
                    "network-traffic needs `src_ref` or `dst_ref`",
                );
            }
            c.int_range("src_port", 0, 65535);
            c.int_range("dst_port", 0, 65535);
        }
        "process" | "user-account" | "windows-registry-key" | "x509-certificate" => {
            let common = [
                "type",
                "id",
                "spec_version",
                "object_marking_refs",
                "granular_markings",
                "defanged",
                "extensions",
            ];
            if c.obj.keys().all(|k| common.contains(&k.as_str())) {
                c.fail(
                    "$",
                    "required",
                    format!("a `{ty}` needs at least one property of its own"),
                );
            }
        }
        "marking-definition" => check_marking(c),
        _ => {}
    }
    if let Some(v) = c.obj.get("hashes") {
        let ok = v.as_object().is_some_and(|h| {
            !h.is_empty()
                && h.iter()
                    .all(|(k, v)| (3..=250).contains(&k.len()) && v.is_string())
        });
        if !ok {
            c.fail(
                "$.hashes",
                "hashes",
                "must be a non-empty map of algorithm name (3-250 chars) to string",
            );
        }
    }
}

fn check_marking(c: &mut Checker<'_>) {
    let Some(id) = c.id.clone() else { return };
    let uses_tlp2 = c
        .obj
        .get("extensions")
        .and_then(|e| e.get(TLP2_EXTENSION))
        .is_some();
    match standard_tlp(&id) {
        Some((name, tlp2)) => {
            if c.obj.get("name").and_then(Value::as_str) != Some(name) {
                c.fail("$.name", "tlp", format!("the standard TLP marking {id} must be named {name:?}"));
            }
            if let Some(level) = tlp2 {
                let got = c
                    .obj
                    .get("extensions")
                    .and_then(|e| e.get(TLP2_EXTENSION))
                    .and_then(|e| e.get("tlp_2_0"))
                    .and_then(Value::as_str);
                if got != Some(level) {
                    c.fail(
                        format!("$.extensions.{TLP2_EXTENSION}.tlp_2_0"),
                        "tlp",
                        format!("the standard TLP 2.0 marking {id} must carry tlp_2_0 = {level:?}"),
                    );
                }
            }
        }
        None if uses_tlp2 => c.fail(
            "$.id",
            "tlp",
            "a TLP 2.0 marking definition must use its standard id (see FIRST TLP 2.0 STIX definitions)",
        ),
        None => {
            let has_def = c.has("definition_type") && c.has("definition");
            if !has_def && !c.has("extensions") {
                c.fail("$.definition", "required", "a marking definition needs `definition_type` and `definition`, or `extensions`");
            }
            if c.obj.get("definition_type").and_then(Value::as_str) == Some("tlp") {
                c.fail("$.id", "tlp", "a TLP marking definition must use one of the standard TLP ids");
            }
        }
    }
}

fn check_properties(c: &mut Checker<'_>, ty: &str, family: Family) {
    let known = family != Family::Custom;
    for (key, value) in c.obj {
        // Paths are written only for violations (validation runs for every import).
        let path = || format!("$.{key}");
        let name_ok = (3..=250).contains(&key.len())
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok && key != "id" {
            c.out.push(Violation {
                object_id: c.id.clone(),
                path: path(),
                rule: "property-name",
                message: "property names must be 3-250 characters of a-z, 0-9 and '_'".into(),
            });
        }
        if known
            && !matches!(key.as_str(), "created" | "modified")
            && schema::is_timestamp_property(key)
        {
            if let Some(s) = value.as_str() {
                if let Err(e) = Timestamp::parse(s) {
                    c.out.push(Violation {
                        object_id: c.id.clone(),
                        path: path(),
                        rule: "timestamp",
                        message: e.to_string(),
                    });
                }
            } else {
                c.out.push(Violation {
                    object_id: c.id.clone(),
                    path: path(),
                    rule: "timestamp",
                    message: format!("must be a timestamp string, found {}", json_kind(value)),
                });
            }
        }
    }
    check_encodings(c.obj, &At::Root, &mut c.out, c.id.as_deref());
    // Type violations after the shape ones, as a reader expects them.
    let mut typed = Vec::new();
    let mut refs = Refs {
        ty,
        id: c.id.as_deref(),
        out: &mut c.out,
        typed: &mut typed,
    };
    refs.walk(c.obj, &At::Root);
    c.out.extend(typed);
}

/// A JSON path into the object being checked (`$.external_references[2].url`), written
/// out only for a violation: validation runs for every imported object, and nearly all
/// are valid.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root => f.write_str("$"),
            At::Key(parent, key) => write!(f, "{parent}.{key}"),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Checks every `*_ref` and `*_refs` property of an object: each must be an identifier
/// (violations to `out`) and, at the top level, point to an object of a type the
/// property allows (to `typed`); `marking_ref` anywhere must point to a marking
/// definition.
struct Refs<'a> {
    ty: &'a str,
    id: Option<&'a str>,
    out: &'a mut Vec<Violation>,
    typed: &'a mut Vec<Violation>,
}

impl Refs<'_> {
    fn walk(&mut self, map: &Map<String, Value>, at: &At<'_>) {
        let top = matches!(at, At::Root);
        for (key, value) in map {
            let path = At::Key(at, key);
            if key.ends_with("_ref") {
                match value.as_str() {
                    Some(s) => self.one(s, key, top, &path),
                    None => self.bad(&path, "must be an identifier string".into()),
                }
            } else if key.ends_with("_refs") {
                match value.as_array() {
                    Some(list) => {
                        for (i, item) in list.iter().enumerate() {
                            let p = At::Index(&path, i);
                            match item.as_str() {
                                Some(s) => self.one(s, key, top, &p),
                                None => self.bad(&p, "must be an identifier string".into()),
                            }
                        }
                    }
                    None => self.bad(&path, "must be a list of identifiers".into()),
                }
            } else if let Some(inner) = value.as_object() {
                self.walk(inner, &path);
            } else if let Some(list) = value.as_array() {
                for (i, item) in list.iter().enumerate() {
                    if let Some(inner) = item.as_object() {
                        self.walk(inner, &At::Index(&path, i));
                    }
                }
            }
        }
    }

    /// One reference `target` of property `key` at `path`.
    fn one(&mut self, target: &str, key: &str, top: bool, path: &At<'_>) {
        if let Err(e) = parse_id(target) {
            return self.bad(path, e.to_string());
        }
        let allowed = if top {
            schema::ref_target(self.ty, key)
        } else {
            None
        };
        let message = match allowed {
            None if key == "marking_ref" && type_of(target) != Some("marking-definition") => {
                format!("{target} must point to a marking-definition")
            }
            None => return,
            Some(allowed) => {
                let target_ty = type_of(target).unwrap_or_default();
                if allowed.allows(target_ty) {
                    return;
                }
                format!(
                    "`{key}` must point to {}, not to {target_ty} ({target})",
                    allowed.describe()
                )
            }
        };
        self.typed.push(Violation {
            object_id: self.id.map(str::to_owned),
            path: path.to_string(),
            rule: "ref-type",
            message,
        });
    }

    fn bad(&mut self, path: &At<'_>, message: String) {
        self.out.push(Violation {
            object_id: self.id.map(str::to_owned),
            path: path.to_string(),
            rule: "ref",
            message,
        });
    }
}

/// Whether `s` is RFC 4648 base64 (standard alphabet, padded).
fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2
        && b[..b.len() - pad]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

/// Checks `*_bin` (base64) and `*_hex` string properties at every depth.
fn check_encodings(
    map: &Map<String, Value>,
    at: &At<'_>,
    out: &mut Vec<Violation>,
    id: Option<&str>,
) {
    for (key, value) in map {
        let path = At::Key(at, key);
        if let Some(s) = value.as_str() {
            let bad = if key.ends_with("_bin") && !is_base64(s) {
                Some("must be base64 (RFC 4648) binary data")
            } else if key.ends_with("_hex")
                && (s.len() % 2 != 0 || !s.bytes().all(|c| c.is_ascii_hexdigit()))
            {
                Some("must be an even number of hexadecimal digits")
            } else {
                None
            };
            if let Some(msg) = bad {
                out.push(Violation {
                    object_id: id.map(str::to_owned),
                    path: path.to_string(),
                    rule: "encoding",
                    message: msg.into(),
                });
            }
        } else if let Some(inner) = value.as_object() {
            check_encodings(inner, &path, out, id);
        } else if let Some(list) = value.as_array() {
            for (i, item) in list.iter().enumerate() {
                if let Some(inner) = item.as_object() {
                    check_encodings(inner, &At::Index(&path, i), out, id);
                }
            }
        }
    }
}

//! A validated STIX object: its JSON kept whole (unknown and custom properties included)
//! plus the fields the rest of Concord reads often.

use serde_json::{Map, Value};

use crate::Tlp;
use crate::observable::{self, Observable};
use crate::schema::{self, Family};
use crate::timestamp::Timestamp;
use crate::validate::validate_keeping_times;
use crate::violation::{Invalid, Violation};

/// A STIX 2.1 object that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    map: Map<String, Value>,
    id: String,
    ty: String,
    family: Family,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
    /// RFC 8785 text, computed once at validation (importers call it on another thread
    /// than the one that writes).
    canonical: String,
    /// The store's columns, once the map was taken out ([`Object::take_map`]).
    kept: Option<Box<KeptColumns>>,
}

/// [`Columns`], owned.
#[derive(Debug, Clone, PartialEq)]
struct KeptColumns {
    created: Option<String>,
    modified: Option<String>,
    spec_version: String,
    created_by_ref: Option<String>,
    revoked: bool,
    confidence: Option<i64>,
    lang: Option<String>,
    marking_refs: Vec<String>,
    granular_level: Tlp,
}

/// The common properties of an object as [`Object::columns`] reads them; each is what
/// the accessor of the same name returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns<'a> {
    /// `created`.
    pub created: Option<&'a str>,
    /// `modified`.
    pub modified: Option<&'a str>,
    /// `spec_version` (2.1 when absent).
    pub spec_version: &'a str,
    /// `created_by_ref`.
    pub created_by_ref: Option<&'a str>,
    /// `revoked` (false when absent).
    pub revoked: bool,
    /// `confidence`.
    pub confidence: Option<i64>,
    /// `lang`.
    pub lang: Option<&'a str>,
    /// `object_marking_refs`.
    pub marking_refs: Vec<&'a str>,
    /// The strictest TLP level among `granular_markings` (CLEAR when none is a TLP
    /// level): with the object markings' level, what `visibility::highest_level` says.
    pub granular_level: Tlp,
}

impl Columns<'_> {
    /// The version key, as [`Object::version`].
    pub fn version(&self) -> &str {
        self.modified.or(self.created).unwrap_or("")
    }
}

/// A reference from an object to another, found at a property path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    /// JSON path of the property (`$.created_by_ref`, `$.object_refs[2]`).
    pub path: String,
    /// The id referred to.
    pub target: String,
}

impl Object {
    /// Validates a JSON value and wraps it. Every violation is reported, not only the first.
    pub fn from_value(value: Value) -> Result<Self, Invalid> {
        match value {
            Value::Object(map) => Self::from_map(map),
            other => Err(Invalid {
                violations: vec![Violation {
                    object_id: None,
                    path: "$".into(),
                    rule: "shape",
                    message: format!(
                        "a STIX object must be a JSON object, found {}",
                        crate::validate::json_kind(&other)
                    ),
                }],
            }),
        }
    }

    /// Validates a JSON map and wraps it.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, Invalid> {
        let (violations, created, modified) = validate_keeping_times(&map);
        if !violations.is_empty() {
            return Err(Invalid { violations });
        }
        // Validation guarantees these are present and well-formed.
        let ty = map
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let id = map
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let canonical = crate::canonical::to_string(&map);
        Ok(Self {
            family: schema::family(&ty),
            canonical,
            map,
            id,
            ty,
            created,
            modified,
            kept: None,
        })
    }

    /// Parses JSON text holding one object.
    pub fn from_json(text: &str) -> Result<Self, Invalid> {
        let value: Value = serde_json::from_str(text).map_err(|e| Invalid {
            violations: vec![Violation {
                object_id: None,
                path: "$".into(),
                rule: "json",
                message: format!("not valid JSON: {e}"),
            }],
        })?;
        Self::from_value(value)
    }

    /// The `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `type`.
    pub fn type_name(&self) -> &str {
        &self.ty
    }

    /// The family of the type.
    pub fn family(&self) -> Family {
        self.family
    }

    /// `created`, if present.
    pub fn created(&self) -> Option<Timestamp> {
        self.created
    }

    /// `modified`, if present.
    pub fn modified(&self) -> Option<Timestamp> {
        self.modified
    }

    /// The version key (spec section 3.6): `modified`, else `created`, else empty for
    /// unversioned objects such as SCOs.
    pub fn version(&self) -> &str {
        if let Some(k) = &self.kept {
            return k.modified.as_deref().or(k.created.as_deref()).unwrap_or("");
        }
        self.str("modified")
            .or_else(|| self.str("created"))
            .unwrap_or("")
    }

    /// The version as nanoseconds since the Unix epoch (0 for unversioned objects), for
    /// ordering versions whose timestamps differ in precision.
    pub fn version_nanos(&self) -> i64 {
        self.modified
            .or(self.created)
            .and_then(|t| t.instant().timestamp_nanos_opt())
            .unwrap_or(0)
    }

    /// The JSON map (not to be read once [`Object::take_map`] took it).
    fn map(&self) -> &Map<String, Value> {
        debug_assert!(self.kept.is_none(), "{}: the map was taken out", self.id);
        &self.map
    }

    /// Takes the JSON map out, for an importer that frees it as soon as the object is
    /// validated (on the thread that built it, while the object waits for the store's
    /// writer). The object keeps what a store writes: [`Object::id`],
    /// [`Object::type_name`], the timestamps and version, [`Object::columns`] and the
    /// canonical text. Nothing else may be read from it afterwards: property accessors
    /// would see an object without properties. The columns are copied (on the calling
    /// thread, which frees them with the object) rather than moved out of the map, whose
    /// every block goes back to the thread that built it.
    pub fn take_map(&mut self) -> Map<String, Value> {
        let c = self.columns();
        let kept = KeptColumns {
            created: c.created.map(str::to_owned),
            modified: c.modified.map(str::to_owned),
            spec_version: c.spec_version.to_owned(),
            created_by_ref: c.created_by_ref.map(str::to_owned),
            revoked: c.revoked,
            confidence: c.confidence,
            lang: c.lang.map(str::to_owned),
            marking_refs: c.marking_refs.iter().map(|&m| m.to_owned()).collect(),
            granular_level: c.granular_level,
        };
        self.kept = Some(Box::new(kept));
        std::mem::take(&mut self.map)
    }

    /// A string property.
    pub fn str(&self, prop: &str) -> Option<&str> {
        self.map().get(prop).and_then(Value::as_str)
    }

    /// Any property.
    pub fn get(&self, prop: &str) -> Option<&Value> {
        self.map().get(prop)
    }

    /// `spec_version` (SCOs may omit it; it then means 2.1).
    pub fn spec_version(&self) -> &str {
        self.str("spec_version").unwrap_or("2.1")
    }

    /// `created_by_ref`.
    pub fn created_by_ref(&self) -> Option<&str> {
        self.str("created_by_ref")
    }

    /// `revoked` (false when absent).
    pub fn revoked(&self) -> bool {
        self.map()
            .get("revoked")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `confidence`.
    pub fn confidence(&self) -> Option<i64> {
        self.map().get("confidence").and_then(Value::as_i64)
    }

    /// `lang`.
    pub fn lang(&self) -> Option<&str> {
        self.str("lang")
    }

    /// The common properties a store keeps in columns, read in one pass over the map: a
    /// map lookup compares the key with several held keys, each in its own allocation,
    /// which costs a cache miss apiece when another thread built the object.
    pub fn columns(&self) -> Columns<'_> {
        if let Some(k) = &self.kept {
            return Columns {
                created: k.created.as_deref(),
                modified: k.modified.as_deref(),
                spec_version: &k.spec_version,
                created_by_ref: k.created_by_ref.as_deref(),
                revoked: k.revoked,
                confidence: k.confidence,
                lang: k.lang.as_deref(),
                marking_refs: k.marking_refs.iter().map(String::as_str).collect(),
                granular_level: k.granular_level,
            };
        }
        let mut c = Columns {
            created: None,
            modified: None,
            spec_version: "2.1",
            created_by_ref: None,
            revoked: false,
            confidence: None,
            lang: None,
            marking_refs: Vec::new(),
            granular_level: Tlp::Clear,
        };
        for (key, value) in self.map() {
            match key.as_str() {
                "created" => c.created = value.as_str(),
                "modified" => c.modified = value.as_str(),
                "spec_version" => c.spec_version = value.as_str().unwrap_or("2.1"),
                "created_by_ref" => c.created_by_ref = value.as_str(),
                "revoked" => c.revoked = value.as_bool().unwrap_or(false),
                "confidence" => c.confidence = value.as_i64(),
                "lang" => c.lang = value.as_str(),
                "object_marking_refs" => {
                    if let Some(a) = value.as_array() {
                        c.marking_refs = a.iter().filter_map(Value::as_str).collect();
                    }
                }
                "granular_markings" => c.granular_level = crate::visibility::granular_level(value),
                _ => {}
            }
        }
        c
    }

    /// `object_marking_refs`.
    pub fn marking_refs(&self) -> Vec<&str> {
        self.map()
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Every reference the object makes, at any depth (`*_ref`, `*_refs`).
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        walk_refs(self.map(), "$", &mut out);
        out
    }

    /// The observable values the object carries (see [`observable::extract`]).
    pub fn observables(&self) -> Vec<Observable> {
        observable::extract(&self.ty, self.map())
    }

    /// The text full-text search should find the object by: names, descriptions,
    /// patterns, aliases, labels, note and opinion text, and observable values.
    pub fn search_text(&self) -> String {
        const PROPS: &[&str] = &[
            "name",
            "description",
            "pattern",
            "content",
            "abstract",
            "explanation",
            "value",
            "subject",
            "body",
            "path",
            "key",
            "context",
            "product",
            "user_id",
            "account_login",
            "display_name",
            "x_mitre_shortname",
        ];
        const LISTS: &[&str] = &[
            "aliases",
            "labels",
            "roles",
            "goals",
            "authors",
            "protocols",
        ];
        let mut text = String::new();
        for p in PROPS {
            if let Some(s) = self.str(p) {
                text.push_str(s);
                text.push('\n');
            }
        }
        for p in LISTS {
            if let Some(a) = self.map().get(*p).and_then(Value::as_array) {
                for s in a.iter().filter_map(Value::as_str) {
                    text.push_str(s);
                    text.push('\n');
                }
            }
        }
        if let Some(h) = self.map().get("hashes").and_then(Value::as_object) {
            for s in h.values().filter_map(Value::as_str) {
                text.push_str(s);
                text.push('\n');
            }
        }
        if let Some(refs) = self
            .map
            .get("external_references")
            .and_then(Value::as_array)
        {
            for r in refs {
                if let Some(s) = r.get("external_id").and_then(Value::as_str) {
                    text.push_str(s);
                    text.push('\n');
                }
            }
        }
        text
    }

    /// The RFC 8785 canonical JSON text of the object.
    pub fn canonical_json(&self) -> String {
        self.canonical.clone()
    }

    /// Whether [`Object::take_map`] took the properties out (then only the columns and
    /// the canonical text remain to be read).
    pub fn map_taken(&self) -> bool {
        self.kept.is_some()
    }

    /// The object's RFC 8785 canonical JSON, borrowed (what signatures cover).
    pub fn canonical_str(&self) -> &str {
        &self.canonical
    }

    /// The object's properties.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.map()
    }

    /// The object as a JSON value.
    pub fn into_value(self) -> Value {
        debug_assert!(self.kept.is_none(), "{}: the map was taken out", self.id);
        Value::Object(self.map)
    }
}

fn walk_refs(map: &Map<String, Value>, base: &str, out: &mut Vec<Reference>) {
    for (key, value) in map {
        let path = format!("{base}.{key}");
        if key.ends_with("_ref") {
            if let Some(s) = value.as_str() {
                out.push(Reference {
                    path,
                    target: s.to_owned(),
                });
            }
        } else if key.ends_with("_refs") {
            for (i, s) in value.as_array().into_iter().flatten().enumerate() {
                if let Some(s) = s.as_str() {
                    out.push(Reference {
                        path: format!("{path}[{i}]"),
                        target: s.to_owned(),
                    });
                }
            }
        } else if let Some(inner) = value.as_object() {
            walk_refs(inner, &path, out);
        } else if let Some(list) = value.as_array() {
            for (i, item) in list.iter().enumerate() {
                if let Some(inner) = item.as_object() {
                    walk_refs(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

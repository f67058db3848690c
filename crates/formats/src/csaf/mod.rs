//! CSAF 2.0 advisories (OASIS) to STIX 2.1.
//!
//! | CSAF | STIX 2.1 (Concord) |
//! |---|---|
//! | document | `report` (name = title, `published` = current release date, `created` = initial release, `report_types` = `vulnerability`, description = document notes, external references = document references and the tracking id), created by the publisher's `identity` |
//! | `document.distribution.tlp.label` | TLP marking on every SDO and SRO (`WHITE` = `clear`) |
//! | product tree (branches, full product names, relationships) | one `software` SCO per product id (name, vendor and version from the branches, `cpe`) |
//! | vulnerability | `vulnerability` (name = CVE or title, description = its notes, external references `cve`, `cwe`, ids and references); its scores (CVSS v2/v3/v4 as given), product status and threats in Concord's CSAF extension |
//! | product status | `relationship` vulnerability → software, `relationship_type` = the status (`known-affected`, `fixed`, `known-not-affected`, ...) |
//! | remediation | `course-of-action` (name = category, description = details, URL) and a `remediates` relationship to the vulnerability |
//!
//! A document that fails a mandatory test of section 6.1 ([`mandatory`]) is rejected as a
//! whole: one error per failure, naming the test id and the JSON path, and nothing of it
//! is imported.
//!
//! 39 of the mandatory tests of section 6.1 are implemented.

pub mod cvss;
pub mod mandatory;
mod tracking;

use std::collections::HashMap;

use concord_stix::Tlp;
use serde_json::{Map, Value, json};

use crate::error::{FormatError, Item};
use crate::source::{Source, feed_time, stable_id};

/// The id of the extension definition of Concord's CSAF view.
pub const EXTENSION_ID: &str = "extension-definition--8f1c7c52-61a4-4f6e-9d77-2c0bd3f5f3a1";

/// The extension definition object (emitted by every CSAF import).
pub fn extension_definition() -> Value {
    json!({
        "type": "extension-definition", "spec_version": "2.1", "id": EXTENSION_ID,
        "created_by_ref": concord_stix::concord_ext::CONCORD_IDENTITY,
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "name": "Concord CSAF view",
        "description": "What a CSAF 2.0 advisory says about a vulnerability that STIX has no \
            property for: its scores (CVSS v2, v3, v4 as given), product status, threats and \
            flags, and the advisory's tracking data.",
        "schema": "https://example.invalid/concord/extension/csaf/v1",
        "version": "1.0.0",
        "extension_types": ["property-extension"]
    })
}

/// Reads one CSAF document and hands over its STIX objects, or one error per failed
/// mandatory test. Returns the number of vulnerabilities imported.
pub fn read<R: std::io::Read>(
    reader: R,
    source: &Source,
    each: &mut dyn FnMut(Item) -> bool,
) -> Result<usize, FormatError> {
    let doc: Value = serde_json::from_reader(std::io::BufReader::new(reader))
        .map_err(|e| FormatError::json(&e))?;
    let items = convert(&doc, source);
    let n = items
        .iter()
        .filter(|i| matches!(i, Item::Object(v) if v["type"] == "vulnerability"))
        .count();
    for i in items {
        if !each(i) {
            break;
        }
    }
    Ok(n)
}

fn s<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

/// Converts a parsed CSAF document (checked first with [`mandatory::check`]).
pub fn convert(doc: &Value, source: &Source) -> Vec<Item> {
    let mut errors = Vec::new();
    for (p, what) in [
        ("/document/csaf_version", "csaf_version"),
        ("/document/category", "category"),
        ("/document/title", "title"),
        ("/document/publisher/name", "publisher name"),
        ("/document/tracking/id", "tracking id"),
        (
            "/document/tracking/current_release_date",
            "current release date",
        ),
        (
            "/document/tracking/initial_release_date",
            "initial release date",
        ),
    ] {
        if s(doc, p).is_none() {
            errors.push(FormatError::path(
                format!("${}", p.replace('/', ".")),
                format!("a CSAF document needs its {what}"),
            ));
        }
    }
    if errors.is_empty() && s(doc, "/document/csaf_version") != Some("2.0") {
        errors.push(FormatError::path(
            "$.document.csaf_version",
            "only CSAF 2.0 is read",
        ));
    }
    errors.extend(mandatory::check(doc));
    if !errors.is_empty() {
        return errors.into_iter().map(Item::Error).collect();
    }
    Converter::new(doc, source).run()
}

struct Converter<'a> {
    doc: &'a Value,
    source: &'a Source,
    namespace: String,
    tracking: String,
    created: String,
    modified: String,
    author: String,
    tlp: Option<Tlp>,
    out: Vec<Item>,
    refs: Vec<String>,
    products: HashMap<String, String>,
}

impl<'a> Converter<'a> {
    fn new(doc: &'a Value, source: &'a Source) -> Self {
        let namespace = s(doc, "/document/publisher/namespace")
            .or(s(doc, "/document/publisher/name"))
            .unwrap_or_default()
            .to_owned();
        let time = |p| {
            s(doc, p)
                .and_then(feed_time)
                .unwrap_or_else(|| source.now.clone())
        };
        let modified = time("/document/tracking/current_release_date");
        let mut created = time("/document/tracking/initial_release_date");
        if created > modified {
            created = modified.clone();
        }
        let tlp = s(doc, "/document/distribution/tlp/label")
            .and_then(|l| l.parse::<concord_stix::Tlp>().ok());
        Converter {
            doc,
            source,
            tracking: s(doc, "/document/tracking/id")
                .unwrap_or_default()
                .to_owned(),
            author: stable_id("identity", &["csaf-publisher", &namespace]),
            namespace,
            created,
            modified,
            tlp: tlp.or(source.tlp),
            out: Vec::new(),
            refs: Vec::new(),
            products: HashMap::new(),
        }
    }

    fn sdo(&self, ty: &str, id: String) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(id));
        m.insert("created".into(), json!(self.created));
        m.insert("modified".into(), json!(self.modified));
        m.insert("created_by_ref".into(), json!(self.author));
        if let Some(t) = self.tlp {
            m.insert("object_marking_refs".into(), json!([t.marking_id()]));
        }
        m
    }

    fn emit(&mut self, m: Map<String, Value>) -> String {
        let id = m["id"].as_str().unwrap_or_default().to_owned();
        self.refs.push(id.clone());
        self.out.push(Item::Object(Value::Object(m)));
        id
    }

    fn run(mut self) -> Vec<Item> {
        self.out.push(Item::Object(extension_definition()));
        let publisher = self
            .doc
            .pointer("/document/publisher")
            .cloned()
            .unwrap_or_default();
        self.out.push(Item::Object(json!({
            "type": "identity", "spec_version": "2.1", "id": self.author,
            "created": self.created, "modified": self.modified,
            "name": publisher.get("name").and_then(Value::as_str).unwrap_or("CSAF publisher"),
            "identity_class": "organization",
            "roles": [publisher.get("category").and_then(Value::as_str).unwrap_or("other")],
        })));
        self.products();
        let vulns: Vec<Value> = self
            .doc
            .get("vulnerabilities")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, v) in vulns.iter().enumerate() {
            self.vulnerability(i, v);
        }
        self.report();
        self.out
    }

    fn products(&mut self) {
        let Some(tree) = self.doc.get("product_tree").cloned() else {
            return;
        };
        #[derive(Default, Clone)]
        struct Ctx {
            vendor: Option<String>,
            version: Option<String>,
            family: Option<String>,
        }
        fn walk(v: &Value, ctx: &Ctx, out: &mut Vec<(Value, Ctx)>) {
            for b in v
                .get("branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut c = ctx.clone();
                let name = b.get("name").and_then(Value::as_str).map(str::to_owned);
                match b.get("category").and_then(Value::as_str) {
                    Some("vendor") => c.vendor = name,
                    Some("product_version") => c.version = name,
                    Some("product_name" | "product_family") => c.family = name,
                    _ => {}
                }
                if let Some(p) = b.get("product") {
                    out.push((p.clone(), c.clone()));
                }
                walk(b, &c, out);
            }
        }
        let mut found = Vec::new();
        walk(&tree, &Ctx::default(), &mut found);
        for f in tree
            .get("full_product_names")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            found.push((f.clone(), Ctx::default()));
        }
        for r in tree
            .get("relationships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(f) = r.get("full_product_name") {
                found.push((f.clone(), Ctx::default()));
            }
        }
        for (p, ctx) in found {
            let (Some(pid), Some(name)) = (
                p.get("product_id").and_then(Value::as_str),
                p.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let mut m = Map::new();
            m.insert("type".into(), json!("software"));
            m.insert("spec_version".into(), json!("2.1"));
            m.insert("name".into(), json!(name));
            if let Some(cpe) = p
                .pointer("/product_identification_helper/cpe")
                .and_then(Value::as_str)
                .and_then(cpe23)
            {
                m.insert("cpe".into(), json!(cpe));
            }
            if let Some(v) = ctx.vendor {
                m.insert("vendor".into(), json!(v));
            }
            if let Some(v) = ctx.version {
                m.insert("version".into(), json!(v));
            }
            let sco = crate::observable::finish_sco("software", m);
            let id = sco["id"].as_str().unwrap_or_default().to_owned();
            self.products.insert(pid.to_owned(), id.clone());
            if !self.refs.contains(&id) {
                self.refs.push(id);
                self.out.push(Item::Object(sco));
            }
        }
    }

    fn notes_text(v: &Value) -> Option<String> {
        let parts: Vec<String> = v
            .get("notes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|n| {
                let text = n.get("text").and_then(Value::as_str)?;
                Some(match n.get("title").and_then(Value::as_str) {
                    Some(t) => format!("{t}: {text}"),
                    None => text.to_owned(),
                })
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n\n"))
    }

    fn references(v: &Value) -> Vec<Value> {
        v.get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let url = r.get("url").and_then(Value::as_str)?;
                let mut x = json!({"source_name": "csaf-reference", "url": url});
                if let Some(sum) = r.get("summary").and_then(Value::as_str) {
                    x["description"] = json!(sum);
                }
                Some(x)
            })
            .collect()
    }

    fn vulnerability(&mut self, i: usize, v: &Value) {
        let key = v
            .get("cve")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("#{i}"));
        let vid = stable_id("vulnerability", &[&self.namespace, &self.tracking, &key]);
        let mut m = self.sdo("vulnerability", vid.clone());
        let name = v
            .get("cve")
            .or(v.get("title"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                v.pointer("/ids/0/text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("{} vulnerability {}", self.tracking, i + 1));
        m.insert("name".into(), json!(name));
        if let Some(d) = Self::notes_text(v) {
            m.insert("description".into(), json!(d));
        }
        let mut ext_refs = Vec::new();
        if let Some(cve) = v.get("cve").and_then(Value::as_str) {
            ext_refs.push(json!({"source_name": "cve", "external_id": cve}));
        }
        if let Some(cwe) = v.pointer("/cwe/id").and_then(Value::as_str) {
            let mut r = json!({"source_name": "cwe", "external_id": cwe});
            if let Some(n) = v.pointer("/cwe/name").and_then(Value::as_str) {
                r["description"] = json!(n);
            }
            ext_refs.push(r);
        }
        for id in v.get("ids").and_then(Value::as_array).into_iter().flatten() {
            if let (Some(sys), Some(t)) = (
                id.get("system_name").and_then(Value::as_str),
                id.get("text").and_then(Value::as_str),
            ) {
                ext_refs.push(json!({"source_name": sys, "external_id": t}));
            }
        }
        ext_refs.extend(Self::references(v));
        if !ext_refs.is_empty() {
            m.insert("external_references".into(), json!(ext_refs));
        }
        let mut ext = Map::new();
        ext.insert("extension_type".into(), json!("property-extension"));
        for k in [
            "scores",
            "product_status",
            "threats",
            "flags",
            "title",
            "discovery_date",
            "release_date",
        ] {
            if let Some(x) = v.get(k) {
                ext.insert(k.into(), x.clone());
            }
        }
        ext.insert("advisory".into(), json!(self.tracking));
        m.insert("extensions".into(), json!({ EXTENSION_ID: ext }));
        self.emit(m);
        // Product status: relationships vulnerability -> software.
        if let Some(ps) = v.get("product_status").and_then(Value::as_object) {
            for (status, ids) in ps {
                let rel = status.replace('_', "-");
                for pid in ids
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let Some(sw) = self.products.get(pid).cloned() else {
                        continue;
                    };
                    let rid = stable_id("relationship", &[&vid, &rel, &sw]);
                    let mut r = self.sdo("relationship", rid);
                    r.insert("relationship_type".into(), json!(rel));
                    r.insert("source_ref".into(), json!(vid));
                    r.insert("target_ref".into(), json!(sw));
                    self.emit(r);
                }
            }
        }
        for (j, rem) in v
            .get("remediations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let cid = stable_id("course-of-action", &[&vid, &j.to_string()]);
            let mut c = self.sdo("course-of-action", cid.clone());
            let category = rem
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or("remediation");
            c.insert(
                "name".into(),
                json!(format!("{name}: {}", category.replace('_', " "))),
            );
            if let Some(d) = rem.get("details").and_then(Value::as_str) {
                c.insert("description".into(), json!(d));
            }
            if let Some(u) = rem.get("url").and_then(Value::as_str) {
                c.insert(
                    "external_references".into(),
                    json!([{"source_name": "csaf-remediation", "url": u}]),
                );
            }
            self.emit(c);
            let rid = stable_id("relationship", &[&cid, "remediates", &vid]);
            let mut r = self.sdo("relationship", rid);
            r.insert("relationship_type".into(), json!("remediates"));
            r.insert("source_ref".into(), json!(cid));
            r.insert("target_ref".into(), json!(vid));
            self.emit(r);
        }
    }

    fn report(&mut self) {
        let d = self.doc.get("document").cloned().unwrap_or_default();
        let rid = stable_id("report", &[&self.namespace, &self.tracking]);
        let mut m = self.sdo("report", rid);
        m.insert(
            "name".into(),
            json!(
                d.get("title")
                    .and_then(Value::as_str)
                    .unwrap_or(&self.tracking)
            ),
        );
        m.insert("published".into(), json!(self.modified));
        m.insert("report_types".into(), json!(["vulnerability"]));
        if let Some(c) = d.get("category").and_then(Value::as_str) {
            m.insert("labels".into(), json!([c]));
        }
        if let Some(n) = Self::notes_text(&d) {
            m.insert("description".into(), json!(n));
        }
        let mut ext_refs = vec![json!({"source_name": "csaf", "external_id": self.tracking})];
        ext_refs.extend(Self::references(&d));
        m.insert("external_references".into(), json!(ext_refs));
        let mut refs = std::mem::take(&mut self.refs);
        if refs.is_empty() {
            refs.push(self.author.clone());
        }
        m.insert("object_refs".into(), json!(refs));
        let tracking = d.get("tracking").cloned().unwrap_or_default();
        let mut ext = json!({"extension_type": "property-extension", "advisory": self.tracking});
        for k in ["version", "status"] {
            if let Some(x) = tracking.get(k) {
                ext[k] = x.clone();
            }
        }
        m.insert("extensions".into(), json!({ EXTENSION_ID: ext }));
        let _ = self.source;
        self.out.push(Item::Object(Value::Object(m)));
    }
}

/// A CPE as STIX wants it (a CPE 2.3 formatted string): 2.3 names are kept, CPE 2.2 URIs
/// (`cpe:/a:vendor:product:1.0`, which CSAF allows) are rebound (NISTIR 7695, 6.1.3:
/// empty components become `*`, special characters are quoted with `\\`).
pub fn cpe23(cpe: &str) -> Option<String> {
    if cpe.starts_with("cpe:2.3:") {
        return Some(cpe.to_owned());
    }
    let rest = cpe.strip_prefix("cpe:/")?;
    let mut parts: Vec<String> = rest.split(':').map(str::to_owned).collect();
    if parts.is_empty() || parts.len() > 7 || !matches!(parts[0].as_str(), "a" | "o" | "h") {
        return None;
    }
    parts.resize(7, String::new());
    let mut out = String::from("cpe:2.3");
    for p in &parts {
        out.push(':');
        if p.is_empty() {
            out.push('*');
            continue;
        }
        let decoded = percent_decode(p);
        for ch in decoded.chars() {
            if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.' {
                out.push(ch);
            } else {
                out.push('\\');
                out.push(ch);
            }
        }
    }
    out.push_str(":*:*:*:*");
    Some(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or(""), 16)
        {
            out.push(x);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_22_uris_become_23_strings() {
        assert_eq!(
            cpe23("cpe:/o:redhat:rhel_aus:7.6::server").unwrap(),
            "cpe:2.3:o:redhat:rhel_aus:7.6:*:server:*:*:*:*:*"
        );
        assert_eq!(
            cpe23("cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha").unwrap(),
            "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha:*:*:*:*:*:*:*"
        );
        assert_eq!(
            cpe23("cpe:/a:x:y%21z").unwrap(),
            "cpe:2.3:a:x:y\\!z:*:*:*:*:*:*:*:*"
        );
        assert!(cpe23("nonsense").is_none());
    }
}

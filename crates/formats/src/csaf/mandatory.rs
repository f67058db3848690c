//! The mandatory tests of CSAF 2.0 section 6.1 that Concord runs before it imports a
//! document; a document that fails one is rejected with the test id and the JSON path.
//!
//! Implemented: 6.1.1 (missing product id definition), 6.1.2 (multiple product id
//! definitions), 6.1.3 (circular product id definition), 6.1.4 (missing product group
//! id), 6.1.5 (multiple product group ids), 6.1.6 (contradicting product status), 6.1.7
//! (several scores of one CVSS version per product), 6.1.8 (CVSS object without its
//! required properties or with a malformed vector; partial: not the whole CVSS schema),
//! 6.1.9 (CVSS v3 base score and severity computed from the vector), 6.1.10 (CVSS v3
//! base properties contradicting the vector), 6.1.14 (revision history not sorted),
//! 6.1.16 (version not the latest revision), 6.1.17 (a pre-release or 0 version not in
//! draft), 6.1.18 (a released document with revision 0), 6.1.19 (pre-release revision
//! numbers), 6.1.20 (a released document with a pre-release version), 6.1.21 (missing
//! revision), 6.1.22 (the same revision number twice), 6.1.23 (the same CVE twice),
//! 6.1.24 (the same involvement twice), 6.1.25 (one hash algorithm twice in a file hash),
//! 6.1.26 (a category named like a profile), 6.1.27.1–6.1.27.11 (the profiles' required
//! parts), 6.1.28 (translation into the source language), 6.1.29 (remediation without
//! products), 6.1.30 (integer and semantic versions mixed), 6.1.31 (version ranges in
//! `product_version`), 6.1.32 (flag without products), 6.1.33 (several VEX flags for one
//! product).
//!
//! Not implemented: 6.1.11 (CWE names: needs the CWE catalogue), 6.1.12 (language tags:
//! needs the IANA registry), 6.1.13 (purl syntax), 6.1.15 (translator without
//! `source_lang`).

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::cvss;
use crate::error::FormatError;

/// The ids of the implemented tests.
pub const IMPLEMENTED: &[&str] = &[
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.14",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

pub(super) struct Check {
    pub(super) out: Vec<FormatError>,
}

impl Check {
    pub(super) fn fail(
        &mut self,
        test: &'static str,
        path: impl Into<String>,
        msg: impl Into<String>,
    ) {
        let mut e = FormatError::path(path, format!("CSAF mandatory test {test}: {}", msg.into()));
        e.test = Some(test);
        self.out.push(e);
    }
}

pub(super) fn arr<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    v.get(k)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn strs<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = (usize, &'a str)> {
    arr(v, k).filter_map(|(i, x)| x.as_str().map(|s| (i, s)))
}

/// Product ids defined in the product tree, with their paths.
fn definitions(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(tree) = doc.get("product_tree") else {
        return out;
    };
    fn branches(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
        for (i, b) in arr(v, "branches") {
            let p = format!("{path}.branches[{i}]");
            if let Some(id) = b.pointer("/product/product_id").and_then(Value::as_str) {
                out.push((id.to_owned(), format!("{p}.product.product_id")));
            }
            branches(b, &p, out);
        }
    }
    branches(tree, "$.product_tree", &mut out);
    for (i, f) in arr(tree, "full_product_names") {
        if let Some(id) = f.get("product_id").and_then(Value::as_str) {
            out.push((
                id.to_owned(),
                format!("$.product_tree.full_product_names[{i}].product_id"),
            ));
        }
    }
    for (i, r) in arr(tree, "relationships") {
        if let Some(id) = r
            .pointer("/full_product_name/product_id")
            .and_then(Value::as_str)
        {
            out.push((
                id.to_owned(),
                format!("$.product_tree.relationships[{i}].full_product_name.product_id"),
            ));
        }
    }
    out
}

/// Every product id reference outside the definitions, with its path.
fn references(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(tree) = doc.get("product_tree") {
        for (i, g) in arr(tree, "product_groups") {
            for (j, id) in strs(g, "product_ids") {
                out.push((
                    id.to_owned(),
                    format!("$.product_tree.product_groups[{i}].product_ids[{j}]"),
                ));
            }
        }
        for (i, r) in arr(tree, "relationships") {
            for k in ["product_reference", "relates_to_product_reference"] {
                if let Some(id) = r.get(k).and_then(Value::as_str) {
                    out.push((
                        id.to_owned(),
                        format!("$.product_tree.relationships[{i}].{k}"),
                    ));
                }
            }
        }
    }
    for (v, vuln) in arr(doc, "vulnerabilities") {
        let vp = format!("$.vulnerabilities[{v}]");
        if let Some(ps) = vuln.get("product_status").and_then(Value::as_object) {
            for (status, ids) in ps {
                for (j, id) in ids.as_array().into_iter().flatten().enumerate() {
                    if let Some(id) = id.as_str() {
                        out.push((id.to_owned(), format!("{vp}.product_status.{status}[{j}]")));
                    }
                }
            }
        }
        for k in ["scores", "remediations", "threats", "flags"] {
            let field = if k == "scores" {
                "products"
            } else {
                "product_ids"
            };
            for (i, x) in arr(vuln, k) {
                for (j, id) in strs(x, field) {
                    out.push((id.to_owned(), format!("{vp}.{k}[{i}].{field}[{j}]")));
                }
            }
        }
    }
    out
}

fn group_references(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (v, vuln) in arr(doc, "vulnerabilities") {
        for k in ["remediations", "threats", "flags"] {
            for (i, x) in arr(vuln, k) {
                for (j, id) in strs(x, "group_ids") {
                    out.push((
                        id.to_owned(),
                        format!("$.vulnerabilities[{v}].{k}[{i}].group_ids[{j}]"),
                    ));
                }
            }
        }
    }
    out
}

/// Runs the implemented mandatory tests; returns every failure.
pub fn check(doc: &Value) -> Vec<FormatError> {
    let mut c = Check { out: Vec::new() };
    let d = doc.get("document").cloned().unwrap_or(Value::Null);
    let defs = definitions(doc);
    let defined: HashSet<&str> = defs.iter().map(|(id, _)| id.as_str()).collect();
    // 6.1.1, 6.1.2
    for (id, path) in references(doc) {
        if !defined.contains(id.as_str()) {
            c.fail(
                "6.1.1",
                path,
                format!("product id {id:?} is not defined in the product tree"),
            );
        }
    }
    let mut seen = HashMap::new();
    for (id, path) in &defs {
        if let Some(first) = seen.insert(id.as_str(), path.as_str()) {
            c.fail(
                "6.1.2",
                path.clone(),
                format!("product id {id:?} is already defined at {first}"),
            );
        }
    }
    // 6.1.3
    if let Some(tree) = doc.get("product_tree") {
        for (i, r) in arr(tree, "relationships") {
            let own = r
                .pointer("/full_product_name/product_id")
                .and_then(Value::as_str);
            for k in ["product_reference", "relates_to_product_reference"] {
                if own.is_some() && r.get(k).and_then(Value::as_str) == own {
                    c.fail(
                        "6.1.3",
                        format!("$.product_tree.relationships[{i}].{k}"),
                        "a relationship defines a product in terms of itself",
                    );
                }
            }
        }
        // 6.1.4, 6.1.5
        let mut groups = HashMap::new();
        for (i, g) in arr(tree, "product_groups") {
            if let Some(id) = g.get("group_id").and_then(Value::as_str) {
                let p = format!("$.product_tree.product_groups[{i}].group_id");
                if groups.insert(id.to_owned(), p.clone()).is_some() {
                    c.fail(
                        "6.1.5",
                        p,
                        format!("product group id {id:?} is defined twice"),
                    );
                }
            }
        }
        for (id, path) in group_references(doc) {
            if !groups.contains_key(&id) {
                c.fail(
                    "6.1.4",
                    path,
                    format!("product group id {id:?} is not defined"),
                );
            }
        }
        // 6.1.31
        fn ranges(v: &Value, path: &str, c: &mut Check) {
            for (i, b) in arr(v, "branches") {
                let p = format!("{path}.branches[{i}]");
                if b.get("category").and_then(Value::as_str) == Some("product_version")
                    && let Some(name) = b.get("name").and_then(Value::as_str)
                {
                    let lower = name.to_lowercase();
                    let words = [
                        "after", "all", "before", "earlier", "later", "prior", "versions",
                    ];
                    if name.contains(['<', '>'])
                        || lower.split_whitespace().any(|w| words.contains(&w))
                    {
                        c.fail(
                            "6.1.31",
                            format!("{p}.name"),
                            format!("{name:?} is a version range, not a version"),
                        );
                    }
                }
                ranges(b, &p, c);
            }
        }
        ranges(tree, "$.product_tree", &mut c);
    } else {
        for (id, path) in group_references(doc) {
            c.fail(
                "6.1.4",
                path,
                format!("product group id {id:?} is not defined"),
            );
        }
    }
    let mut cves = HashMap::new();
    for (v, vuln) in arr(doc, "vulnerabilities") {
        let vp = format!("$.vulnerabilities[{v}]");
        // 6.1.6
        if let Some(ps) = vuln.get("product_status").and_then(Value::as_object) {
            let mut group_of: HashMap<&str, &str> = HashMap::new();
            for (status, ids) in ps {
                let group = match status.as_str() {
                    "first_affected" | "known_affected" | "last_affected" => "affected",
                    "known_not_affected" => "not affected",
                    "first_fixed" | "fixed" => "fixed",
                    "under_investigation" => "under investigation",
                    _ => continue,
                };
                for (j, id) in ids.as_array().into_iter().flatten().enumerate() {
                    let Some(id) = id.as_str() else { continue };
                    if let Some(g) = group_of.insert(id, group)
                        && g != group
                    {
                        c.fail(
                            "6.1.6",
                            format!("{vp}.product_status.{status}[{j}]"),
                            format!("product {id:?} is both {g} and {group}"),
                        );
                    }
                }
            }
        }
        // 6.1.7, 6.1.8, 6.1.9, 6.1.10
        let mut scored: HashSet<(String, String)> = HashSet::new();
        for (i, s) in arr(vuln, "scores") {
            let sp = format!("{vp}.scores[{i}]");
            for key in ["cvss_v2", "cvss_v3"] {
                let Some(cv) = s.get(key) else { continue };
                let ver = cv
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                for (_, p) in strs(s, "products") {
                    if !scored.insert((p.to_owned(), format!("{key}/{ver}"))) {
                        c.fail(
                            "6.1.7",
                            format!("{sp}.{key}"),
                            format!("product {p:?} has a second {key} score of version {ver}"),
                        );
                    }
                }
                let vector = cv.get("vectorString").and_then(Value::as_str);
                let score = cv.get("baseScore").and_then(Value::as_f64);
                if vector.is_none()
                    || score.is_none()
                    || ver.is_empty()
                    || (key == "cvss_v3" && cv.get("baseSeverity").is_none())
                {
                    c.fail("6.1.8", format!("{sp}.{key}"), "a CVSS object needs version, vectorString, baseScore (and baseSeverity for v3)");
                    continue;
                }
                if key == "cvss_v2" {
                    if let Some(want) = vector.and_then(cvss::v2_base_score)
                        && (score.unwrap_or_default() - want).abs() > 0.001
                    {
                        c.fail(
                            "6.1.9",
                            format!("{sp}.cvss_v2.baseScore"),
                            format!("the vector's base score is {want}"),
                        );
                    }
                    continue;
                }
                let vector = vector.unwrap_or_default();
                if !vector.starts_with(&format!("CVSS:{ver}/"))
                    || cvss::base_score(vector).is_none()
                {
                    c.fail(
                        "6.1.8",
                        format!("{sp}.cvss_v3.vectorString"),
                        format!("{vector:?} is not a CVSS {ver} base vector"),
                    );
                    continue;
                }
                if let Some(want) = cvss::base_score(vector) {
                    if (score.unwrap_or_default() - want).abs() > 0.001 {
                        c.fail(
                            "6.1.9",
                            format!("{sp}.cvss_v3.baseScore"),
                            format!("the vector's base score is {want}"),
                        );
                    }
                    let sev = cv.get("baseSeverity").and_then(Value::as_str).unwrap_or("");
                    if sev != cvss::severity(want) {
                        c.fail(
                            "6.1.9",
                            format!("{sp}.cvss_v3.baseSeverity"),
                            format!("the vector's severity is {}", cvss::severity(want)),
                        );
                    }
                }
                let m = cvss::metrics(vector).unwrap_or_default();
                for (abbr, prop, names) in cvss::PROPERTIES {
                    let Some(given) = cv.get(*prop).and_then(Value::as_str) else {
                        continue;
                    };
                    let in_vector = m.iter().find(|(k, _)| k == abbr).map(|(_, v)| *v);
                    let expected = names
                        .iter()
                        .find(|(a, _)| Some(*a) == in_vector)
                        .map(|(_, n)| *n);
                    if expected != Some(given) {
                        c.fail(
                            "6.1.10",
                            format!("{sp}.cvss_v3.{prop}"),
                            format!(
                                "{given} contradicts the vector ({abbr}:{})",
                                in_vector.unwrap_or("?")
                            ),
                        );
                    }
                }
            }
        }
        // 6.1.23
        if let Some(cve) = vuln.get("cve").and_then(Value::as_str)
            && let Some(first) = cves.insert(cve.to_owned(), vp.clone())
        {
            c.fail(
                "6.1.23",
                format!("{vp}.cve"),
                format!("{cve} is already used at {first}"),
            );
        }
        // 6.1.24
        let mut inv = HashSet::new();
        for (i, x) in arr(vuln, "involvements") {
            let key = (x.get("party").cloned(), x.get("date").cloned());
            if !inv.insert(format!("{key:?}")) {
                c.fail(
                    "6.1.24",
                    format!("{vp}.involvements[{i}]"),
                    "the same party and date twice",
                );
            }
        }
        // 6.1.29
        for (i, r) in arr(vuln, "remediations") {
            if r.get("product_ids").is_none() && r.get("group_ids").is_none() {
                c.fail(
                    "6.1.29",
                    format!("{vp}.remediations[{i}]"),
                    "a remediation must name products or product groups",
                );
            }
        }
        // 6.1.32, 6.1.33
        let mut flagged = HashSet::new();
        for (i, f) in arr(vuln, "flags") {
            if f.get("product_ids").is_none() && f.get("group_ids").is_none() {
                c.fail(
                    "6.1.32",
                    format!("{vp}.flags[{i}]"),
                    "a flag must name products or product groups",
                );
            }
            for (j, p) in strs(f, "product_ids") {
                if !flagged.insert(p.to_owned()) {
                    c.fail(
                        "6.1.33",
                        format!("{vp}.flags[{i}].product_ids[{j}]"),
                        format!("product {p:?} has a second VEX justification flag"),
                    );
                }
            }
            let members: Vec<String> = strs(f, "group_ids")
                .flat_map(|(_, g)| group_members(doc, g))
                .collect();
            for p in members {
                if !flagged.insert(p.clone()) {
                    c.fail(
                        "6.1.33",
                        format!("{vp}.flags[{i}].group_ids"),
                        format!("product {p:?} has a second VEX justification flag"),
                    );
                }
            }
        }
    }
    // 6.1.25
    hashes(doc, &mut c);
    super::tracking::revisions(&d, &mut c);
    profiles(doc, &d, &mut c);
    // 6.1.28
    if let (Some(l), Some(s)) = (
        d.get("lang").and_then(Value::as_str),
        d.get("source_lang").and_then(Value::as_str),
    ) && l.eq_ignore_ascii_case(s)
    {
        c.fail(
            "6.1.28",
            "$.document.lang",
            "a translation must not be into its source language",
        );
    }
    c.out
}

fn group_members(doc: &Value, group: &str) -> Vec<String> {
    doc.pointer("/product_tree/product_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|g| g.get("group_id").and_then(Value::as_str) == Some(group))
        .flat_map(|g| {
            strs(g, "product_ids")
                .map(|(_, p)| p.to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn hashes(doc: &Value, c: &mut Check) {
    fn walk(v: &Value, path: String, c: &mut Check) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(hs)) = m.get("hashes") {
                    for (i, h) in hs.iter().enumerate() {
                        let mut algos = HashSet::new();
                        for (j, fh) in arr(h, "file_hashes") {
                            if let Some(a) = fh.get("algorithm").and_then(Value::as_str)
                                && !algos.insert(a.to_owned())
                            {
                                c.fail(
                                    "6.1.25",
                                    format!("{path}.hashes[{i}].file_hashes[{j}]"),
                                    format!("algorithm {a} used twice for one file"),
                                );
                            }
                        }
                    }
                }
                for (k, x) in m {
                    walk(x, format!("{path}.{k}"), c);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{path}[{i}]"), c);
                }
            }
            _ => {}
        }
    }
    if let Some(t) = doc.get("product_tree") {
        walk(t, "$.product_tree".into(), c);
    }
}

fn profiles(doc: &Value, d: &Value, c: &mut Check) {
    let category = d.get("category").and_then(Value::as_str).unwrap_or("");
    const OFFICIAL: &[&str] = &[
        "csaf_base",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    ];
    if !OFFICIAL.contains(&category) {
        let norm: String = category
            .to_lowercase()
            .chars()
            .filter(|ch| !matches!(ch, '-' | '_') && !ch.is_whitespace())
            .collect();
        let bare = norm.strip_prefix("csaf").unwrap_or(&norm);
        if category.to_lowercase().starts_with("csaf_") {
            c.fail(
                "6.1.26",
                "$.document.category",
                format!("{category:?} starts with csaf_ but is no CSAF profile"),
            );
        } else if [
            "securityincidentresponse",
            "informationaladvisory",
            "securityadvisory",
            "vex",
        ]
        .contains(&bare)
        {
            c.fail(
                "6.1.26",
                "$.document.category",
                format!("{category:?} is too close to a profile name"),
            );
        }
    }
    let notes_ok = arr(d, "notes").any(|(_, n)| {
        matches!(
            n.get("category").and_then(Value::as_str),
            Some("description" | "details" | "general" | "summary")
        )
    });
    let refs_ok = arr(d, "references")
        .any(|(_, r)| r.get("category").and_then(Value::as_str) == Some("external"));
    let vulns: Vec<&Value> = arr(doc, "vulnerabilities").map(|(_, v)| v).collect();
    match category {
        "csaf_security_incident_response" | "csaf_informational_advisory" => {
            if !notes_ok {
                c.fail(
                    "6.1.27.1",
                    "$.document.notes",
                    "the profile needs a note of category description, details, general or summary",
                );
            }
            if !refs_ok {
                c.fail(
                    "6.1.27.2",
                    "$.document.references",
                    "the profile needs an external reference",
                );
            }
            if category == "csaf_informational_advisory" && doc.get("vulnerabilities").is_some() {
                c.fail(
                    "6.1.27.3",
                    "$.vulnerabilities",
                    "an informational advisory has no vulnerabilities",
                );
            }
        }
        "csaf_security_advisory" | "csaf_vex" => {
            if doc.get("product_tree").is_none() {
                c.fail(
                    "6.1.27.4",
                    "$.product_tree",
                    "the profile needs a product tree",
                );
            }
            if vulns.is_empty() {
                c.fail(
                    "6.1.27.11",
                    "$.vulnerabilities",
                    "the profile needs vulnerabilities",
                );
            }
            for (i, v) in vulns.iter().enumerate() {
                let vp = format!("$.vulnerabilities[{i}]");
                if v.get("notes").is_none() {
                    c.fail(
                        "6.1.27.5",
                        format!("{vp}.notes"),
                        "each vulnerability needs notes",
                    );
                }
                if category == "csaf_security_advisory" && v.get("product_status").is_none() {
                    c.fail(
                        "6.1.27.6",
                        format!("{vp}.product_status"),
                        "each vulnerability needs a product status",
                    );
                }
                if category != "csaf_vex" {
                    continue;
                }
                let ps = v.get("product_status");
                let has = |k: &str| ps.and_then(|p| p.get(k)).is_some();
                if ![
                    "fixed",
                    "known_affected",
                    "known_not_affected",
                    "under_investigation",
                ]
                .iter()
                .any(|k| has(k))
                {
                    c.fail("6.1.27.7", format!("{vp}.product_status"), "a VEX vulnerability needs fixed, known_affected, known_not_affected or under_investigation");
                }
                if v.get("cve").is_none() && v.get("ids").is_none() {
                    c.fail(
                        "6.1.27.8",
                        vp.clone(),
                        "a VEX vulnerability needs a cve or ids",
                    );
                }
                let covered = |k: &str, field: &str, cat: Option<&str>| -> HashSet<String> {
                    arr(v, k)
                        .filter(|(_, x)| {
                            cat.is_none_or(|c| x.get("category").and_then(Value::as_str) == Some(c))
                        })
                        .flat_map(|(_, x)| {
                            let mut ids: Vec<String> =
                                strs(x, field).map(|(_, p)| p.to_owned()).collect();
                            ids.extend(
                                strs(x, "group_ids").flat_map(|(_, g)| group_members(doc, g)),
                            );
                            ids
                        })
                        .collect()
                };
                let impact: HashSet<String> = covered("flags", "product_ids", None)
                    .union(&covered("threats", "product_ids", Some("impact")))
                    .cloned()
                    .collect();
                for (j, p) in ps
                    .map(|p| strs(p, "known_not_affected").collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    if !impact.contains(p) {
                        c.fail(
                            "6.1.27.9",
                            format!("{vp}.product_status.known_not_affected[{j}]"),
                            format!("product {p:?} needs an impact statement"),
                        );
                    }
                }
                let actions = covered("remediations", "product_ids", None);
                for (j, p) in ps
                    .map(|p| strs(p, "known_affected").collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    if !actions.contains(p) {
                        c.fail(
                            "6.1.27.10",
                            format!("{vp}.product_status.known_affected[{j}]"),
                            format!("product {p:?} needs an action statement"),
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

//! MISP warning lists (`misp-warninglists` `list.json` files: `string`, `substring`,
//! `hostname`, `cidr` and `regex` lists): known-benign values (private address ranges,
//! hashes of the empty file, sandbox and vendor domains, block-page host names) that make
//! false positives when they become indicators.
//!
//! An indicator with a value on a list is *flagged*: it gets the label
//! `warninglist:<list name>` ([`WarningLists::flag`]). Matching leaves flagged indicators
//! out ([`excluded`]) unless an analyst has added the label [`OVERRIDE`] to the
//! indicator. Being labels, the flag and the override are part of the indicator and are
//! seen by anyone who holds it.

use std::net::IpAddr;

use regex::Regex;
use serde_json::Value;

use crate::error::FormatError;
use crate::export::{PlainValue, plain_values};
use crate::observable::Kind;

/// The label prefix of a warning-list flag.
pub const FLAG_PREFIX: &str = "warninglist:";
/// The label by which an analyst keeps a flagged indicator in matching.
pub const OVERRIDE: &str = "warninglist:override";

/// How a list's entries match.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ListType {
    String,
    Substring,
    Hostname,
    Cidr,
    Regex,
}

/// One warning list.
#[derive(Debug, Clone)]
pub struct WarningList {
    /// Its name.
    pub name: String,
    ty: ListType,
    entries: Vec<String>,
    cidrs: Vec<(IpAddr, u8)>,
    regexes: Vec<Regex>,
    kinds: Vec<Kind>,
}

/// A value found on a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The list's name.
    pub list: String,
    /// The value.
    pub value: String,
}

fn kinds_of(attribute: &str) -> &'static [Kind] {
    match attribute {
        "ip-src" | "ip-dst" | "ip-src|port" | "ip-dst|port" => &[Kind::Ipv4, Kind::Ipv6],
        "domain|ip" => &[Kind::Domain, Kind::Ipv4, Kind::Ipv6],
        "hostname" | "domain" => &[Kind::Domain],
        "url" | "uri" | "link" => &[Kind::Url],
        "md5" | "filename|md5" => &[Kind::Md5],
        "sha1" | "filename|sha1" => &[Kind::Sha1],
        "sha256" | "filename|sha256" => &[Kind::Sha256],
        "sha512" | "filename|sha512" => &[Kind::Sha512],
        "email" | "email-src" | "email-dst" | "target-email" | "whois-registrant-email" => {
            &[Kind::Email]
        }
        "AS" => &[Kind::Asn],
        _ => &[],
    }
}

/// A MISP regex (`/pattern/flags`, PCRE) as a Rust regex: delimiters and the `i` flag
/// understood, escapes of ordinary punctuation (`\@`) dropped.
fn misp_regex(s: &str) -> Option<Regex> {
    let (body, flags) = match s.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((b, f)) => (b, f),
        None => (s, ""),
    };
    let mut out = String::new();
    if flags.contains('i') {
        out.push_str("(?i)");
    }
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
        {
            if n.is_ascii_alphanumeric() || "\\.+*?()|[]{}^$#&-~/".contains(n) {
                out.push('\\');
            }
            out.push(n);
            chars.next();
            continue;
        }
        out.push(c);
    }
    Regex::new(&out).ok()
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, p.parse().ok()?),
        None => (s, if s.contains(':') { 128 } else { 32 }),
    };
    let a: IpAddr = a.trim().parse().ok()?;
    let max = if a.is_ipv4() { 32 } else { 128 };
    (p <= max).then_some((a, p))
}

fn bits(a: IpAddr) -> (u128, u8) {
    match a {
        IpAddr::V4(v) => (u128::from(u32::from(v)) << 96, 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

/// Whether network `inner` lies inside network `outer`.
fn inside(inner: (IpAddr, u8), outer: (IpAddr, u8)) -> bool {
    let ((i, imax), (o, omax)) = (bits(inner.0), bits(outer.0));
    if imax != omax || inner.1 < outer.1 {
        return false;
    }
    // Both families sit in the top bits of a u128, so a prefix length masks either.
    let prefix = u32::from(outer.1);
    if prefix == 0 {
        return true;
    }
    let mask = !0u128 << (128 - prefix);
    (i & mask) == (o & mask)
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    host.split(':').next().unwrap_or(host)
}

impl WarningList {
    /// Parses a MISP `list.json`.
    pub fn parse(bytes: &[u8]) -> Result<WarningList, FormatError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| FormatError::json(&e))?;
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| FormatError::path("$.name", "a warning list needs a name"))?
            .to_owned();
        let ty = match v.get("type").and_then(Value::as_str).unwrap_or("string") {
            "string" => ListType::String,
            "substring" => ListType::Substring,
            "hostname" => ListType::Hostname,
            "cidr" => ListType::Cidr,
            "regex" => ListType::Regex,
            t => {
                return Err(FormatError::path(
                    "$.type",
                    format!("unknown warning list type {t:?}"),
                ));
            }
        };
        let entries: Vec<String> = v
            .get("list")
            .and_then(Value::as_array)
            .ok_or_else(|| FormatError::path("$.list", "a warning list needs a list"))?
            .iter()
            .filter_map(Value::as_str)
            .map(|s| match ty {
                ListType::Regex => s.to_owned(),
                _ => s.trim().trim_end_matches('.').to_lowercase(),
            })
            .collect();
        let mut kinds: Vec<Kind> = v
            .get("matching_attributes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .flat_map(|a| kinds_of(a).iter().copied())
            .collect();
        kinds.sort();
        kinds.dedup();
        let cidrs = if ty == ListType::Cidr {
            entries.iter().filter_map(|e| parse_cidr(e)).collect()
        } else {
            Vec::new()
        };
        let regexes = if ty == ListType::Regex {
            entries.iter().filter_map(|e| misp_regex(e)).collect()
        } else {
            Vec::new()
        };
        Ok(WarningList {
            name,
            ty,
            entries,
            cidrs,
            regexes,
            kinds,
        })
    }

    /// Whether a plain value is on this list.
    pub fn contains(&self, pv: &PlainValue) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&pv.kind) {
            return false;
        }
        let v = pv.value.to_lowercase();
        match self.ty {
            ListType::String => self.entries.contains(&v),
            ListType::Substring => self.entries.iter().any(|e| v.contains(e.as_str())),
            ListType::Hostname => {
                let host = if pv.kind == Kind::Url {
                    host_of(&v)
                } else {
                    &v
                };
                self.entries
                    .iter()
                    .any(|e| host == e || host.ends_with(&format!(".{e}")))
            }
            ListType::Cidr => {
                parse_cidr(&v).is_some_and(|net| self.cidrs.iter().any(|c| inside(net, *c)))
            }
            ListType::Regex => self.regexes.iter().any(|r| r.is_match(&pv.value)),
        }
    }
}

/// A set of warning lists.
#[derive(Debug, Clone, Default)]
pub struct WarningLists {
    /// The lists.
    pub lists: Vec<WarningList>,
}

impl WarningLists {
    /// The values of an indicator that are on a list.
    pub fn hits(&self, obj: &Value) -> Vec<Hit> {
        let mut out = Vec::new();
        for pv in plain_values(obj) {
            for l in &self.lists {
                if l.contains(&pv) {
                    out.push(Hit {
                        list: l.name.clone(),
                        value: pv.value.clone(),
                    });
                }
            }
        }
        out
    }

    /// Flags an indicator: adds `warninglist:<name>` labels for its hits (the labels are
    /// kept sorted so that the same hits always give the same object). Returns the hits.
    pub fn flag(&self, obj: &mut Value) -> Vec<Hit> {
        let hits = self.hits(obj);
        if hits.is_empty() {
            return hits;
        }
        let mut labels: Vec<String> = obj
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        for h in &hits {
            let l = format!("{FLAG_PREFIX}{}", h.list);
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        obj["labels"] = Value::from(labels);
        hits
    }
}

/// Whether matching must leave an indicator out: it carries a warning-list flag and no
/// analyst override.
pub fn excluded(obj: &Value) -> bool {
    let labels: Vec<&str> = obj
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    labels
        .iter()
        .any(|l| l.starts_with(FLAG_PREFIX) && *l != OVERRIDE)
        && !labels.contains(&OVERRIDE)
}

/// The warning-list files under `dir`, sorted: every `*.json` but `schema.json`, in `dir`
/// and in its sub-folders at any depth (the MISP repository keeps each list as
/// `lists/<name>/list.json`). Hidden folders (`.git`) are not entered.
///
/// # Errors
/// `dir` (or a folder under it) cannot be read.
pub fn list_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let kind = entry.file_type()?;
            if kind.is_dir() || (kind.is_symlink() && path.is_dir()) {
                if !hidden {
                    folders.push(path);
                }
            } else if path.extension().is_some_and(|x| x == "json")
                && !path.ends_with("schema.json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ind(pattern: &str) -> Value {
        json!({"type": "indicator", "pattern_type": "stix", "pattern": pattern})
    }

    #[test]
    fn list_types() {
        let cidr = WarningList::parse(br#"{"name": "rfc1918", "type": "cidr", "list": ["10.0.0.0/8", "192.168.0.0/16"], "matching_attributes": ["ip-dst"]}"#).unwrap();
        let host = WarningList::parse(br#"{"name": "umbrella", "type": "hostname", "list": ["hit-block.opendns.com"], "matching_attributes": ["domain", "url"]}"#).unwrap();
        let re = WarningList::parse(br#"{"name": "contacts", "type": "regex", "list": ["/^(security|abuse)\\@.*\\..*$/i"], "matching_attributes": ["email-dst"]}"#).unwrap();
        let lists = WarningLists {
            lists: vec![cidr, host, re],
        };
        assert_eq!(lists.hits(&ind("[ipv4-addr:value = '10.1.2.3']")).len(), 1);
        assert_eq!(
            lists
                .hits(&ind("[ipv4-addr:value ISSUBSET '10.1.0.0/16']"))
                .len(),
            1
        );
        assert!(
            lists
                .hits(&ind("[ipv4-addr:value ISSUBSET '10.0.0.0/7']"))
                .is_empty()
        );
        assert!(
            lists
                .hits(&ind("[ipv4-addr:value = '11.1.2.3']"))
                .is_empty()
        );
        assert_eq!(
            lists
                .hits(&ind("[url:value = 'http://x.hit-block.opendns.com/a']"))
                .len(),
            1
        );
        assert_eq!(
            lists
                .hits(&ind("[email-addr:value = 'Abuse@example.org']"))
                .len(),
            1
        );
        let mut i = ind("[domain-name:value = 'hit-block.opendns.com']");
        lists.flag(&mut i);
        assert!(excluded(&i));
        i["labels"].as_array_mut().unwrap().push(json!(OVERRIDE));
        assert!(!excluded(&i));
    }

    #[test]
    fn list_files_finds_lists_in_sub_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("lists/rfc1918")).unwrap();
        std::fs::create_dir_all(root.join(".git/objects")).unwrap();
        std::fs::write(root.join("lists/rfc1918/list.json"), "{}").unwrap();
        std::fs::write(root.join("top.json"), "{}").unwrap();
        std::fs::write(root.join("schema.json"), "{}").unwrap();
        std::fs::write(root.join("lists/README.md"), "").unwrap();
        std::fs::write(root.join(".git/objects/x.json"), "{}").unwrap();
        let found: Vec<_> = list_files(root)
            .unwrap()
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(found, ["lists/rfc1918/list.json", "top.json"]);
    }
}

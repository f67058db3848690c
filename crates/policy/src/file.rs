//! The policy file (`policy.toml`): [`Policy`] and its parser, which names line, column
//! and key in every error and never panics.

use std::collections::BTreeSet;
use std::ops::Range;

use concord_stix::Tlp;
use concord_stix::concord_ext::{Classification, Pap};
use ipnet::IpNet;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::VolumeLimit;
use crate::agreement::{
    Agreement, DEFAULT_DENY_CATEGORIES, Detectors, IpScope, PeerList, Redaction,
};

/// Properties `drop` may not name: an object's identity and markings always travel.
const UNDROPPABLE: &[&str] = &[
    "type",
    "id",
    "spec_version",
    "created",
    "modified",
    "object_marking_refs",
    "granular_markings",
    "extensions",
];

/// A node's outbound policy, parsed from its `policy.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The TLP level of objects that carry no TLP marking.
    pub unmarked_tlp: Tlp,
    /// What the detectors look for.
    pub detectors: Detectors,
    /// The agreements, in file order (the first whose selector matches a peer applies).
    pub(crate) agreements: Vec<Agreement>,
}

/// Why a policy file was rejected: where, which key, what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.toml line {line}, column {column}: {}{kind}", key_prefix(key))]
pub struct PolicyError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The key at fault as a path (`agreement[1].tlp`), empty for syntax errors.
    pub key: String,
    /// What is wrong.
    pub kind: PolicyErrorKind,
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("{key}: ")
    }
}

/// What is wrong in a policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// Not valid TOML.
    #[error("TOML syntax: {0}")]
    Syntax(String),
    /// A key the format does not know (a typo would otherwise be ignored silently).
    #[error("unknown key (expected one of: {0})")]
    UnknownKey(String),
    /// A required key is absent.
    #[error("missing key `{0}`")]
    MissingKey(&'static str),
    /// A value of the wrong TOML type.
    #[error("expected {expected}, found {found}")]
    Type {
        /// What the key takes.
        expected: &'static str,
        /// What was there.
        found: &'static str,
    },
    /// A value of the right type that means nothing here.
    #[error("{0}")]
    Value(String),
}

/// Line and column (1-based, in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

struct Doc<'t> {
    text: &'t str,
}

type Res<T> = Result<T, PolicyError>;

/// A table entry with its spans.
type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

impl Doc<'_> {
    fn err(&self, span: Range<usize>, key: &str, kind: PolicyErrorKind) -> PolicyError {
        let (line, column) = line_col(self.text, span.start);
        PolicyError {
            line,
            column,
            key: key.to_owned(),
            kind,
        }
    }

    fn value_err(&self, span: Range<usize>, key: &str, msg: String) -> PolicyError {
        self.err(span, key, PolicyErrorKind::Value(msg))
    }

    /// The entries of a table in file order, after checking every key is allowed.
    fn entries<'a, 'i>(
        &self,
        table: &'a DeTable<'i>,
        path: &str,
        allowed: &[&str],
    ) -> Res<Vec<Entry<'a, 'i>>> {
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (k, _) in &entries {
            if !allowed.contains(&k.get_ref().as_ref()) {
                return Err(self.err(
                    k.span(),
                    &join(path, k.get_ref()),
                    PolicyErrorKind::UnknownKey(allowed.join(", ")),
                ));
            }
        }
        Ok(entries)
    }

    fn ty(&self, v: &Spanned<DeValue<'_>>, key: &str, expected: &'static str) -> PolicyError {
        self.err(
            v.span(),
            key,
            PolicyErrorKind::Type {
                expected,
                found: v.get_ref().type_str(),
            },
        )
    }

    fn string<'a>(&self, v: &'a Spanned<DeValue<'_>>, key: &str) -> Res<&'a str> {
        v.get_ref()
            .as_str()
            .ok_or_else(|| self.ty(v, key, "a string"))
    }

    fn bool(&self, v: &Spanned<DeValue<'_>>, key: &str) -> Res<bool> {
        v.get_ref()
            .as_bool()
            .ok_or_else(|| self.ty(v, key, "true or false"))
    }

    fn uint(&self, v: &Spanned<DeValue<'_>>, key: &str, max: u64) -> Res<u64> {
        let Some(i) = v.get_ref().as_integer() else {
            return Err(self.ty(v, key, "an integer"));
        };
        let parsed = u64::from_str_radix(i.as_str(), i.radix()).ok();
        match parsed {
            Some(n) if n <= max => Ok(n),
            _ => Err(self.value_err(
                v.span(),
                key,
                format!("must be an integer from 0 to {max}, found {}", i.as_str()),
            )),
        }
    }

    /// A list of strings, each checked (and converted) by `each`.
    fn list<T>(
        &self,
        v: &Spanned<DeValue<'_>>,
        key: &str,
        mut each: impl FnMut(&str) -> Result<T, String>,
    ) -> Res<Vec<T>> {
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.ty(v, key, "a list of strings"));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let k = format!("{key}[{i}]");
            let s = self.string(item, &k)?;
            out.push(each(s).map_err(|m| self.value_err(item.span(), key, m))?);
        }
        Ok(out)
    }

    fn table<'a, 'i>(&self, v: &'a Spanned<DeValue<'i>>, key: &str) -> Res<&'a DeTable<'i>> {
        v.get_ref()
            .as_table()
            .ok_or_else(|| self.ty(v, key, "a table"))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn parse_classification(s: &str) -> Option<Classification> {
    match s.trim().to_ascii_lowercase().as_str() {
        "general" => Some(Classification::General),
        "important" => Some(Classification::Important),
        "core" => Some(Classification::Core),
        _ => None,
    }
}

fn category(s: &str) -> Result<String, String> {
    let c = s.trim().to_ascii_lowercase();
    if c.is_empty() {
        Err("a category may not be empty".into())
    } else {
        Ok(c)
    }
}

fn valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

const TOP_KEYS: &[&str] = &["unmarked_tlp", "detectors", "agreement"];
const DETECTOR_KEYS: &[&str] = &[
    "email",
    "phone",
    "user_account",
    "individual",
    "constituency",
    "constituency_category",
];
const AGREEMENT_KEYS: &[&str] = &[
    "name",
    "peers",
    "countries",
    "communities",
    "sectors",
    "tlp",
    "pap",
    "require_pap",
    "max_classification",
    "deny_categories",
    "redact_categories",
    "redaction",
    "volume_limit",
];
const REDACTION_KEYS: &[&str] = &[
    "drop",
    "hash_emails",
    "hash_phones",
    "hash_user_accounts",
    "hash_names",
    "ipv4_prefix",
    "ipv6_prefix",
    "ip_scope",
];

impl Policy {
    /// Parses a policy file. Never panics; an error names line, column and key.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let doc = Doc { text };
        let root = DeTable::parse(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            doc.err(
                span,
                "",
                PolicyErrorKind::Syntax(e.message().trim().to_owned()),
            )
        })?;
        let mut policy = Policy {
            unmarked_tlp: Tlp::Amber,
            detectors: Detectors::default(),
            agreements: Vec::new(),
        };
        for (k, v) in doc.entries(root.get_ref(), "", TOP_KEYS)? {
            match k.get_ref().as_ref() {
                "unmarked_tlp" => {
                    let s = doc.string(v, "unmarked_tlp")?;
                    policy.unmarked_tlp = s
                        .parse()
                        .map_err(|e| doc.value_err(v.span(), "unmarked_tlp", format!("{e}")))?;
                }
                "detectors" => policy.detectors = parse_detectors(&doc, v)?,
                _ => {
                    let Some(list) = v.get_ref().as_array() else {
                        return Err(doc.ty(v, "agreement", "a list of tables ([[agreement]])"));
                    };
                    for (i, item) in list.iter().enumerate() {
                        let a = parse_agreement(&doc, item, &format!("agreement[{i}]"))?;
                        if policy.agreements.iter().any(|b| b.name == a.name) {
                            let span = doc
                                .table(item, "")
                                .ok()
                                .and_then(|t| t.get_key_value("name"))
                                .map_or(item.span(), |(k, _)| k.span());
                            return Err(doc.value_err(
                                span,
                                &format!("agreement[{i}].name"),
                                format!("a second agreement named {:?}", a.name),
                            ));
                        }
                        policy.agreements.push(a);
                    }
                }
            }
        }
        Ok(policy)
    }

    /// The policy a new node starts with: [`crate::DEFAULT_POLICY`] parsed.
    pub fn builtin_default() -> Policy {
        // DEFAULT_POLICY is a constant tested to parse (tests::default_policy_parses); the
        // fallback only exists so that this function cannot panic.
        Policy::parse(crate::DEFAULT_POLICY).unwrap_or(Policy {
            unmarked_tlp: Tlp::Amber,
            detectors: Detectors::default(),
            agreements: Vec::new(),
        })
    }

    /// The agreements in file order.
    pub fn agreements(&self) -> &[Agreement] {
        &self.agreements
    }

    /// The agreement of that name.
    pub fn agreement(&self, name: &str) -> Option<&Agreement> {
        self.agreements.iter().find(|a| a.name == name)
    }
}

fn parse_detectors(doc: &Doc<'_>, v: &Spanned<DeValue<'_>>) -> Res<Detectors> {
    let table = doc.table(v, "detectors")?;
    let mut d = Detectors::default();
    for (k, v) in doc.entries(table, "detectors", DETECTOR_KEYS)? {
        let key = join("detectors", k.get_ref());
        match k.get_ref().as_ref() {
            "email" => d.email = doc.bool(v, &key)?,
            "phone" => d.phone = doc.bool(v, &key)?,
            "user_account" => d.user_account = doc.bool(v, &key)?,
            "individual" => d.individual = doc.bool(v, &key)?,
            "constituency" => {
                d.constituency = doc.list(v, &key, |s| {
                    let s = s.trim();
                    s.parse::<IpNet>()
                        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                        .map(|n| n.trunc())
                        .map_err(|_| format!("{s:?} is not an IP network (CIDR)"))
                })?;
            }
            _ => {
                d.constituency_category =
                    category(doc.string(v, &key)?).map_err(|m| doc.value_err(v.span(), &key, m))?;
            }
        }
    }
    Ok(d)
}

fn parse_agreement(doc: &Doc<'_>, v: &Spanned<DeValue<'_>>, path: &str) -> Res<Agreement> {
    let table = doc.table(v, path)?;
    let entries = doc.entries(table, path, AGREEMENT_KEYS)?;
    let mut a = Agreement {
        name: String::new(),
        peers: PeerList::Named(Vec::new()),
        countries: Vec::new(),
        sectors: Vec::new(),
        communities: Vec::new(),
        tlp: Vec::new(),
        pap: None,
        require_pap: false,
        max_classification: Classification::General,
        deny_categories: DEFAULT_DENY_CATEGORIES
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        redact_categories: Vec::new(),
        redaction: Redaction::default(),
        volume_limit: None,
    };
    let (mut has_name, mut has_tlp) = (false, false);
    let mut deny_span = None;
    for (k, v) in entries {
        let key = join(path, k.get_ref());
        match k.get_ref().as_ref() {
            "name" => {
                let s = doc.string(v, &key)?;
                if !valid_name(s) {
                    return Err(doc.value_err(
                        v.span(),
                        &key,
                        format!("{s:?}: a name is 1-64 letters, digits, '-' or '_'"),
                    ));
                }
                a.name = s.to_owned();
                has_name = true;
            }
            "peers" => {
                a.peers = match v.get_ref().as_str() {
                    Some("*") => PeerList::All,
                    Some(other) => {
                        return Err(doc.value_err(
                            v.span(),
                            &key,
                            format!("{other:?}: expected \"*\" or a list of node ids or names"),
                        ));
                    }
                    None => PeerList::Named(doc.list(v, &key, |s| match s.trim() {
                        "" => Err("a peer may not be empty".into()),
                        "*" => Err("\"*\" stands alone: peers = \"*\"".into()),
                        p => Ok(p.to_owned()),
                    })?),
                }
            }
            "countries" => {
                a.countries = doc.list(v, &key, |s| {
                    let s = s.trim();
                    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
                        Ok(s.to_ascii_uppercase())
                    } else {
                        Err(format!("{s:?} is not an ISO 3166 two-letter country code"))
                    }
                })?;
            }
            "communities" => {
                a.communities = doc.list(v, &key, |s| match s.trim() {
                    "" => Err("a community may not be empty".into()),
                    c => Ok(c.to_owned()),
                })?;
            }
            "sectors" => a.sectors = doc.list(v, &key, |s| Ok(s.trim().to_ascii_lowercase()))?,
            "tlp" => {
                a.tlp = doc.list(v, &key, |s| match s.parse() {
                    Ok(Tlp::Red) => Err("TLP:RED never leaves a node; remove it".into()),
                    Ok(t) => Ok(t),
                    Err(e) => Err(format!("{e}")),
                })?;
                has_tlp = true;
            }
            "pap" => {
                a.pap = Some(doc.list(v, &key, |s| {
                    Pap::parse(s).ok_or_else(|| format!("unknown PAP level {s:?}"))
                })?);
            }
            "require_pap" => a.require_pap = doc.bool(v, &key)?,
            "max_classification" => {
                let s = doc.string(v, &key)?;
                a.max_classification = parse_classification(s).ok_or_else(|| {
                    doc.value_err(
                        v.span(),
                        &key,
                        format!("unknown classification {s:?} (general, important, core)"),
                    )
                })?;
            }
            "deny_categories" => {
                a.deny_categories = doc.list(v, &key, category)?;
                deny_span = Some((v.span(), key.clone()));
            }
            "redact_categories" => a.redact_categories = doc.list(v, &key, category)?,
            "redaction" => a.redaction = parse_redaction(doc, v, &key)?,
            _ => a.volume_limit = Some(parse_volume(doc, v, &key)?),
        }
    }
    if !has_name {
        return Err(doc.err(v.span(), path, PolicyErrorKind::MissingKey("name")));
    }
    if !has_tlp {
        return Err(doc.err(v.span(), path, PolicyErrorKind::MissingKey("tlp")));
    }
    dedup(&mut a.deny_categories);
    dedup(&mut a.redact_categories);
    match deny_span {
        // The default negative list gives way to what the agreement sends redacted.
        None => a
            .deny_categories
            .retain(|c| !a.redact_categories.contains(c)),
        Some((span, key)) => {
            if let Some(c) = a
                .deny_categories
                .iter()
                .find(|c| a.redact_categories.contains(c))
            {
                return Err(doc.value_err(
                    span,
                    &key,
                    format!("{c:?} is in both deny_categories and redact_categories"),
                ));
            }
        }
    }
    Ok(a)
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    v.retain(|s| seen.insert(s.clone()));
}

fn parse_redaction(doc: &Doc<'_>, v: &Spanned<DeValue<'_>>, path: &str) -> Res<Redaction> {
    let table = doc.table(v, path)?;
    let mut r = Redaction::default();
    for (k, v) in doc.entries(table, path, REDACTION_KEYS)? {
        let key = join(path, k.get_ref());
        match k.get_ref().as_ref() {
            "drop" => {
                r.drop = doc.list(v, &key, |s| {
                    if UNDROPPABLE.contains(&s) {
                        Err(format!(
                            "{s:?} cannot be dropped: an object's identity and markings always travel"
                        ))
                    } else if s.is_empty() {
                        Err("a property name may not be empty".into())
                    } else {
                        Ok(s.to_owned())
                    }
                })?;
            }
            "hash_emails" => r.hash_emails = doc.bool(v, &key)?,
            "hash_phones" => r.hash_phones = doc.bool(v, &key)?,
            "hash_user_accounts" => r.hash_user_accounts = doc.bool(v, &key)?,
            "hash_names" => r.hash_names = doc.bool(v, &key)?,
            "ipv4_prefix" => r.ipv4_prefix = Some(doc.uint(v, &key, 32)? as u8),
            "ipv6_prefix" => r.ipv6_prefix = Some(doc.uint(v, &key, 128)? as u8),
            _ => {
                r.ip_scope = match doc.string(v, &key)? {
                    "constituency" => IpScope::Constituency,
                    "all" => IpScope::All,
                    other => {
                        return Err(doc.value_err(
                            v.span(),
                            &key,
                            format!("{other:?}: expected \"constituency\" or \"all\""),
                        ));
                    }
                }
            }
        }
    }
    Ok(r)
}

fn parse_volume(doc: &Doc<'_>, v: &Spanned<DeValue<'_>>, path: &str) -> Res<VolumeLimit> {
    let table = doc.table(v, path)?;
    let (mut objects, mut per_secs) = (None, None);
    for (k, v) in doc.entries(table, path, &["objects", "per_secs"])? {
        let key = join(path, k.get_ref());
        let n = doc.uint(v, &key, u64::MAX)?;
        if n == 0 && k.get_ref() == "per_secs" {
            return Err(doc.value_err(v.span(), &key, "must be at least 1".into()));
        }
        if k.get_ref() == "objects" {
            objects = Some(n);
        } else {
            per_secs = Some(n);
        }
    }
    match (objects, per_secs) {
        (Some(objects), Some(per_secs)) => Ok(VolumeLimit { objects, per_secs }),
        (None, _) => Err(doc.err(v.span(), path, PolicyErrorKind::MissingKey("objects"))),
        (_, None) => Err(doc.err(v.span(), path, PolicyErrorKind::MissingKey("per_secs"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, text.find('=').unwrap()), (1, 3));
        let second_eq = text.rfind('=').unwrap();
        assert_eq!(line_col(text, second_eq), (2, 4));
        assert_eq!(line_col(text, 10_000).0, 3);
    }
}

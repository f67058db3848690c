//! Constituency routing. A node declares its constituency (IP ranges, autonomous
//! systems, domain suffixes, sectors) in `<data_dir>/constituency.toml`; [`publish`]
//! writes it into a new version of the node's `identity` (response extension,
//! `kind = "constituency"`, with the node id), so peers learn it through ordinary sync.
//! A claim counts only when the identity's verified origin is the node it names.
//!
//! [`explain`] names the member responsible for an IP address (longest prefix among
//! overlapping ranges), an AS number (`AS64500`) or a domain (longest suffix). [`scan`]
//! looks at sightings, incidents and observed data recorded here and creates, for each
//! other member whose constituency they touch, a `note` addressed to it ("your
//! constituency is affected"): `proposed` (distribution `node`, stays here until
//! [`send`]) or `sent` (distribution `peers`), per the file's `notify` setting.
//!
//! ```toml
//! ip_ranges = ["198.51.100.0/24", "2001:db8::/32"]
//! asns = [64500]
//! domain_suffixes = ["example.be"]
//! sectors = ["government"]
//! notify = "send"   # or "propose" (the default)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use concord_stix::concord_ext::{self, Distribution, Grading};
use concord_store::{ListQuery, Order, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{ResponseError, Result, ext, now, store_objects};

/// The file name under the data directory.
pub const FILE_NAME: &str = "constituency.toml";

/// Whether notifications are only proposed or sent at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Notify {
    /// Created here, distribution `node`, until someone sends it.
    #[default]
    Propose,
    /// Sent to the member at once.
    Send,
}

/// A node's constituency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Constituency {
    /// CIDR ranges (IPv4 and IPv6).
    pub ip_ranges: Vec<String>,
    /// Autonomous system numbers.
    pub asns: Vec<u32>,
    /// Domain suffixes (`example.be`, `be`).
    pub domain_suffixes: Vec<String>,
    /// Sectors.
    pub sectors: Vec<String>,
    /// What [`scan`] does with the notifications it creates (not published).
    #[serde(skip_serializing)]
    pub notify: Notify,
}

impl Constituency {
    /// Parses the file's text; every range and suffix is checked.
    pub fn parse(text: &str) -> Result<Constituency> {
        let c: Constituency = toml::from_str(text)
            .map_err(|e| ResponseError::Invalid(format!("{FILE_NAME}: {e}")))?;
        for r in &c.ip_ranges {
            Cidr::parse(r)
                .map_err(|e| ResponseError::Invalid(format!("{FILE_NAME}: ip_ranges: {e}")))?;
        }
        for d in &c.domain_suffixes {
            if normalise_domain(d).is_empty() {
                return Err(ResponseError::Invalid(format!(
                    "{FILE_NAME}: domain_suffixes: {d:?} is empty"
                )));
            }
        }
        Ok(c)
    }
}

/// An IP network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: u128,
    len: u8,
    v6: bool,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x::/n` or a single address.
    pub fn parse(s: &str) -> std::result::Result<Cidr, String> {
        let (a, l) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let ip: IpAddr = a.parse().map_err(|_| format!("{s:?} is not an IP range"))?;
        let (addr, max, v6) = bits(ip);
        let len = if l.is_empty() {
            max
        } else {
            l.parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{s:?}: bad prefix length"))?
        };
        Ok(Cidr {
            addr: addr & mask(len, max),
            len,
            v6,
        })
    }

    /// Whether the network holds the address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, max, v6) = bits(ip);
        v6 == self.v6 && a & mask(self.len, max) == self.addr
    }

    /// The prefix length.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Whether this is a zero-length prefix (the whole address space).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn bits(ip: IpAddr) -> (u128, u8, bool) {
    match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32, false),
        IpAddr::V6(v) => (u128::from(v), 128, true),
    }
}

fn mask(len: u8, max: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let full: u128 = if max == 128 {
            u128::MAX
        } else {
            (1u128 << max) - 1
        };
        full & !((1u128 << (max - len)) - 1).min(full)
    }
}

fn normalise_domain(d: &str) -> String {
    d.trim().trim_matches('.').to_ascii_lowercase()
}

/// A member of the federation whose constituency is known here.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    /// Its node id.
    pub node_id: String,
    /// Its organisation's name.
    pub name: String,
    /// Its declared constituency.
    pub constituency: Constituency,
}

/// Writes the constituency into a new version of the node's identity (`identity_id`,
/// created here), unless the current version already says the same. Returns whether a
/// new version was written.
pub fn publish(store: &dyn Store, me: &str, identity_id: &str, c: &Constituency) -> Result<bool> {
    let current = crate::get_current(store, identity_id)?;
    let mut props = ext::props(json!({
        "kind": "constituency", "node_id": me,
        "ip_ranges": c.ip_ranges, "asns": c.asns,
        "domain_suffixes": c.domain_suffixes.iter().map(|d| normalise_domain(d)).collect::<Vec<_>>(),
        "sectors": c.sectors,
    }));
    // STIX forbids empty lists.
    props.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    let mut held = ext::get(&current).cloned().unwrap_or_default();
    held.remove("extension_type");
    if held == props {
        return Ok(false);
    }
    let mut v = current.clone();
    ext::set(&mut v, props);
    v["modified"] = json!(crate::next_modified(crate::version_of(&current)));
    store_objects(store, vec![v])?;
    Ok(true)
}

/// Every member whose constituency is known here (this node's included), with claims
/// whose verified origin is not the node they name left out (and logged).
pub fn members(store: &dyn Store, me: &str) -> Result<Vec<Member>> {
    let mut out = Vec::new();
    let mut q = ListQuery {
        types: vec!["identity".into()],
        order: Order::BySeq,
        limit: 1000,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&q)?;
        for o in &page.objects {
            let v = o.value();
            if ext::kind(&v) != Some("constituency") {
                continue;
            }
            let claimed = ext::str_prop(&v, "node_id").unwrap_or("").to_owned();
            let origin = crate::origin_of(store, me, &v)?;
            if claimed != origin {
                tracing::warn!(identity = %v["id"], %claimed, %origin, "Constituency claim ignored: its origin is another node.");
                continue;
            }
            let mut props = ext::get(&v).cloned().unwrap_or_default();
            for k in ["extension_type", "kind", "node_id"] {
                props.remove(k);
            }
            let Ok(c) = serde_json::from_value::<Constituency>(Value::Object(props)) else {
                tracing::warn!(identity = %v["id"], "Constituency claim ignored: malformed.");
                continue;
            };
            out.push(Member {
                node_id: claimed,
                name: v["name"].as_str().unwrap_or("").to_owned(),
                constituency: c,
            });
        }
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
    }
    Ok(out)
}

/// One member's claim on a value.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Claim {
    /// The member's node id.
    pub node_id: String,
    /// Its name.
    pub name: String,
    /// The rule that matched (`198.51.100.0/24`, `AS64500`, `example.be`).
    pub rule: String,
    /// Its specificity (prefix length, 32 for an AS, labels of the suffix).
    pub specificity: u32,
}

/// Which member is responsible for a value, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Route {
    /// The value asked about.
    pub value: String,
    /// `ip`, `asn` or `domain`.
    pub kind: String,
    /// The responsible member: the most specific claim.
    pub responsible: Option<Claim>,
    /// Every claim, most specific first.
    pub claims: Vec<Claim>,
    /// Why, for people.
    pub reason: String,
}

/// Names the member responsible for an IP address, an AS number (`AS64500` or
/// `64500`) or a domain name.
pub fn explain(members: &[Member], value: &str) -> Result<Route> {
    let value = value.trim();
    let mut claims = Vec::new();
    let kind;
    if let Ok(ip) = value.parse::<IpAddr>() {
        kind = "ip";
        for m in members {
            for r in &m.constituency.ip_ranges {
                if let Ok(c) = Cidr::parse(r)
                    && c.contains(ip)
                {
                    claims.push(claim(m, r.clone(), u32::from(c.len())));
                }
            }
        }
    } else if let Ok(n) = value
        .strip_prefix("AS")
        .or_else(|| value.strip_prefix("as"))
        .unwrap_or(value)
        .parse::<u32>()
    {
        kind = "asn";
        for m in members {
            if m.constituency.asns.contains(&n) {
                claims.push(claim(m, format!("AS{n}"), 32));
            }
        }
    } else if value.contains('.') || value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        kind = "domain";
        let d = normalise_domain(value);
        for m in members {
            for s in &m.constituency.domain_suffixes {
                let s = normalise_domain(s);
                if d == s || d.ends_with(&format!(".{s}")) {
                    let labels = s.split('.').count() as u32;
                    claims.push(claim(m, s, labels));
                }
            }
        }
    } else {
        return Err(ResponseError::Invalid(format!(
            "{value:?} is not an IP address, an AS number (AS64500) or a domain name"
        )));
    }
    claims.sort_by(|a, b| {
        b.specificity
            .cmp(&a.specificity)
            .then_with(|| a.node_id.cmp(&b.node_id))
    });
    let responsible = claims.first().cloned();
    let reason = match (&responsible, claims.len()) {
        (None, _) => format!("no known member claims this {kind}"),
        (Some(c), 1) => format!(
            "{} is the only member whose constituency holds it ({})",
            c.name, c.rule
        ),
        (Some(c), n) => format!(
            "{} holds the most specific {} ({}) of {n} claims",
            c.name,
            match kind {
                "ip" => "prefix",
                "domain" => "domain suffix",
                _ => "claim",
            },
            c.rule
        ),
    };
    Ok(Route {
        value: value.to_owned(),
        kind: kind.to_owned(),
        responsible,
        claims,
        reason,
    })
}

fn claim(m: &Member, rule: String, specificity: u32) -> Claim {
    Claim {
        node_id: m.node_id.clone(),
        name: m.name.clone(),
        rule,
        specificity,
    }
}

/// The victim-side values of an object: the addresses, domains and AS numbers of the
/// observed data it is or refers to.
fn victim_values(store: &dyn Store, v: &Value) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut observed = Vec::new();
    match v["type"].as_str() {
        Some("observed-data") => observed.push(v.clone()),
        Some("sighting") => {
            for r in v["observed_data_refs"].as_array().into_iter().flatten() {
                if let Some(o) = r.as_str().and_then(|id| store.get(id).ok().flatten()) {
                    observed.push(o.value());
                }
            }
        }
        Some("incident") => {
            if let Some(id) = v["id"].as_str() {
                for rel in store.relationships(id)? {
                    if let Some(o) = store.get(&rel.id)? {
                        let o = o.value();
                        match o["type"].as_str() {
                            Some("observed-data") => observed.push(o),
                            Some(
                                "ipv4-addr" | "ipv6-addr" | "domain-name" | "autonomous-system",
                            ) => sco_value(&o, &mut out),
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => {}
    }
    for od in observed {
        for r in od["object_refs"].as_array().into_iter().flatten() {
            if let Some(o) = r.as_str().and_then(|id| store.get(id).ok().flatten()) {
                sco_value(&o.value(), &mut out);
            }
        }
        if let Some(objs) = od["objects"].as_object() {
            for o in objs.values() {
                sco_value(o, &mut out);
            }
        }
    }
    Ok(out)
}

fn sco_value(o: &Value, out: &mut BTreeSet<String>) {
    match o["type"].as_str() {
        Some("ipv4-addr" | "ipv6-addr" | "domain-name") => {
            if let Some(s) = o["value"].as_str() {
                out.insert(s.split('/').next().unwrap_or(s).to_owned());
            }
        }
        Some("autonomous-system") => {
            if let Some(n) = o["number"].as_u64() {
                out.insert(format!("AS{n}"));
            }
        }
        _ => {}
    }
}

/// Looks at sightings, incidents and observed data created here after `after` (a
/// `seq`), and creates a notification for every other member whose constituency they
/// touch. Returns the notifications created and the `seq` to continue from.
pub fn scan(store: &dyn Store, me: &str, notify: Notify, after: i64) -> Result<(Vec<String>, i64)> {
    // Read the members only when there is something to look at.
    let mut members_cache: Option<Vec<Member>> = None;
    let mut created = Vec::new();
    let mut cursor = after;
    let mut q = ListQuery {
        types: vec!["sighting".into(), "incident".into(), "observed-data".into()],
        order: Order::BySeq,
        cursor: Some(after),
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list(&q)?;
        for o in &page.objects {
            cursor = cursor.max(o.seq);
            let v = o.value();
            if !crate::is_local(store, &v)? {
                continue;
            }
            if members_cache.is_none() {
                members_cache = Some(members(store, me)?);
            }
            let members = members_cache.as_deref().unwrap_or_default();
            if members.iter().all(|m| m.node_id == me) {
                continue;
            }
            let mut hits: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
            for value in victim_values(store, &v)? {
                let route = explain(members, &value)?;
                if let Some(c) = route.responsible
                    && c.node_id != me
                {
                    hits.entry(c.node_id).or_default().push((value, c.rule));
                }
            }
            for (member, matches) in hits {
                if let Some(id) = notification(store, &v, &member, &matches, notify)? {
                    created.push(id);
                }
            }
        }
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => break,
        }
    }
    Ok((created, cursor))
}

fn notification(
    store: &dyn Store,
    about: &Value,
    member: &str,
    matches: &[(String, String)],
    notify: Notify,
) -> Result<Option<String>> {
    let about_id = about["id"].as_str().unwrap_or_default();
    let id = crate::incident::derived_id(
        "note",
        &format!(
            "notification {about_id} {} {member}",
            crate::version_of(about)
        ),
    );
    if store.get(&id)?.is_some() {
        return Ok(None);
    }
    let values: Vec<&str> = matches.iter().map(|(v, _)| v.as_str()).collect();
    let rules: BTreeSet<&str> = matches.iter().map(|(_, r)| r.as_str()).collect();
    let ts = now();
    let mut v = json!({
        "type": "note", "spec_version": "2.1", "id": id,
        "created": ts, "modified": ts,
        "abstract": "Your constituency is affected",
        "content": format!(
            "Your constituency is affected: {} seen in {about_id} ({}).",
            values.join(", "),
            rules.into_iter().collect::<Vec<_>>().join(", ")
        ),
        "object_refs": [about_id],
    });
    let markings = crate::tlp_refs(about);
    if !markings.is_empty() {
        v["object_marking_refs"] = json!(markings);
    }
    let state = match notify {
        Notify::Propose => "proposed",
        Notify::Send => "sent",
    };
    ext::set(
        &mut v,
        ext::props(
            json!({"kind": "constituency-notification", "member": member,
            "values": values, "state": state}),
        ),
    );
    Grading {
        distribution: match notify {
            Notify::Propose => Distribution::Node,
            Notify::Send => Distribution::Peers,
        },
        hops: 0,
        ..Grading::default()
    }
    .apply(&mut v);
    concord_ext::set_recipients(&mut v, &[member.to_owned()]);
    store_objects(store, vec![v])?;
    tracing::info!(notification = %id, %member, about = %about_id, state, "Constituency notification created.");
    Ok(Some(id))
}

/// Sends a proposed notification (a new version with distribution `peers`).
pub fn send(store: &dyn Store, id: &str) -> Result<Value> {
    let cur = crate::get_current(store, id)?;
    if ext::kind(&cur) != Some("constituency-notification") {
        return Err(ResponseError::Invalid(format!(
            "{id} is not a constituency notification"
        )));
    }
    if !crate::is_local(store, &cur)? {
        return Err(ResponseError::Refused(format!(
            "{id} was created by another node"
        )));
    }
    if ext::str_prop(&cur, "state") == Some("sent") {
        return Ok(cur);
    }
    let mut v = cur.clone();
    let mut props = ext::get(&v).cloned().unwrap_or_default();
    props.remove("extension_type");
    props.insert("state".into(), json!("sent"));
    ext::set(&mut v, props);
    Grading {
        distribution: Distribution::Peers,
        hops: 0,
        ..Grading::default()
    }
    .apply(&mut v);
    v["modified"] = json!(crate::next_modified(crate::version_of(&cur)));
    store_objects(store, vec![v.clone()])?;
    Ok(v)
}

/// Constituency notifications held here (created here or received), newest first.
pub fn notifications(store: &dyn Store, me: &str) -> Result<Vec<Value>> {
    let page = store.list(&ListQuery {
        types: vec!["note".into()],
        order: Order::NewestFirst,
        limit: 1000,
        ..ListQuery::default()
    })?;
    let mut out = Vec::new();
    for o in page.objects {
        let v = o.value();
        if ext::kind(&v) == Some("constituency-notification") {
            let origin = crate::origin_of(store, me, &v)?;
            out.push(json!({
                "id": v["id"], "origin": origin, "local": origin == me,
                "member": ext::str_prop(&v, "member"), "state": ext::str_prop(&v, "state"),
                "content": v["content"], "about": v["object_refs"],
            }));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, ranges: &[&str], suffixes: &[&str], asns: &[u32]) -> Member {
        Member {
            node_id: id.into(),
            name: format!("CERT-{id}"),
            constituency: Constituency {
                ip_ranges: ranges.iter().map(|s| s.to_string()).collect(),
                domain_suffixes: suffixes.iter().map(|s| s.to_string()).collect(),
                asns: asns.to_vec(),
                ..Constituency::default()
            },
        }
    }

    #[test]
    fn longest_prefix_and_longest_suffix_win() {
        let all = [
            m("b", &["198.51.0.0/16", "2001:db8::/32"], &["be"], &[64500]),
            m("c", &["198.51.100.0/24"], &["gov.be"], &[64501]),
        ];
        let r = explain(&all, "198.51.100.7").unwrap();
        assert_eq!(r.responsible.unwrap().node_id, "c");
        assert_eq!(r.claims.len(), 2);
        assert!(r.reason.contains("most specific prefix"), "{}", r.reason);
        assert_eq!(
            explain(&all, "198.51.7.1")
                .unwrap()
                .responsible
                .unwrap()
                .node_id,
            "b"
        );
        assert!(explain(&all, "203.0.113.1").unwrap().responsible.is_none());
        assert_eq!(
            explain(&all, "2001:db8::1")
                .unwrap()
                .responsible
                .unwrap()
                .rule,
            "2001:db8::/32"
        );
        assert_eq!(
            explain(&all, "AS64501")
                .unwrap()
                .responsible
                .unwrap()
                .node_id,
            "c"
        );
        assert_eq!(
            explain(&all, "mail.health.gov.be")
                .unwrap()
                .responsible
                .unwrap()
                .node_id,
            "c"
        );
        assert_eq!(
            explain(&all, "www.example.BE.")
                .unwrap()
                .responsible
                .unwrap()
                .node_id,
            "b"
        );
        // A suffix matches whole labels only.
        assert!(explain(&all, "notbe").unwrap().responsible.is_none());
        assert!(explain(&all, "not a value!").is_err());
    }

    #[test]
    fn cidrs_parse_and_contain() {
        let c = Cidr::parse("10.1.2.3/8").unwrap();
        assert!(c.contains("10.200.0.1".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(
            !Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(Constituency::parse("ip_ranges = [\"nope\"]").is_err());
        assert!(Constituency::parse("colour = 1").is_err());
    }
}

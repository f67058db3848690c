//! Exports for the tools CERTs run: plain lists per observable kind, CSV, a hosts-file
//! block list, and Suricata rules. Each works one indicator at a time (constant memory):
//! the caller hands current indicators to [`Exporter::add`] and writes what it returns.

use std::collections::HashSet;
use std::io::Write;

use concord_pattern::Literal;
use concord_pattern::observables::extract;
use serde_json::Value;

use crate::observable::{self, Kind};

/// One plain value of an indicator's pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlainValue {
    /// Its kind.
    pub kind: Kind,
    /// The normalised value.
    pub value: String,
}

/// The plain values an indicator's STIX pattern compares with (`=`, `IN`, `ISSUBSET`),
/// for the kinds exports know; other comparisons are left out.
pub fn plain_values(indicator: &Value) -> Vec<PlainValue> {
    if indicator.get("type").and_then(Value::as_str) != Some("indicator")
        || indicator.get("pattern_type").and_then(Value::as_str) != Some("stix")
    {
        return Vec::new();
    }
    let Some(p) = indicator.get("pattern").and_then(Value::as_str) else {
        return Vec::new();
    };
    let Ok(pattern) = concord_pattern::parse(p) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for o in extract(&pattern) {
        let keys: Vec<&str> = o
            .path
            .steps
            .iter()
            .map(|st| match st {
                concord_pattern::ast::PathStep::Key(k) => k.as_str(),
                _ => "*",
            })
            .collect();
        let kind = match (o.path.object_type.as_str(), keys.as_slice()) {
            ("network-traffic", ["dst_ref" | "src_ref", "value"]) => Kind::Ipv4,
            (ty, keys) => match Kind::of_path(ty, keys) {
                Some(k) if observable::KINDS.contains(&k) => k,
                _ => continue,
            },
        };
        let raw = match &o.value {
            Literal::Str(s) => s.clone(),
            Literal::Int(n) => n.to_string(),
            _ => continue,
        };
        let kind = kind.for_value(&raw);
        if let Ok(value) = observable::normalise(kind, &raw) {
            let v = PlainValue { kind, value };
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// The export formats that work indicator by indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flat {
    /// One value per line.
    Lines,
    /// CSV: `value,kind,indicator_id,valid_from,valid_until,confidence,labels,tlp`.
    Csv,
    /// `0.0.0.0 domain` lines.
    Hosts,
    /// Suricata rules for IP addresses, networks and domains.
    Suricata,
}

/// Writes indicators in a [`Flat`] format, skipping repeated values.
pub struct Exporter {
    format: Flat,
    kinds: Vec<Kind>,
    seen: HashSet<(Kind, String)>,
    sids: HashSet<u32>,
    now: Option<String>,
    /// Values written.
    pub written: usize,
}

impl Exporter {
    /// An exporter; `kinds` limits which values are written (all if empty).
    pub fn new(format: Flat, kinds: Vec<Kind>) -> Self {
        Exporter {
            format,
            kinds,
            seen: HashSet::new(),
            sids: HashSet::new(),
            now: None,
            written: 0,
        }
    }

    /// Leaves out indicators whose `valid_until` is not after `now` (expired, or gone
    /// from their feed).
    pub fn at(mut self, now: impl Into<String>) -> Self {
        self.now = Some(now.into());
        self
    }

    /// What goes before the first value.
    pub fn header(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            Flat::Csv => writeln!(
                out,
                "value,kind,indicator_id,valid_from,valid_until,confidence,labels,tlp"
            ),
            Flat::Hosts => writeln!(out, "# Concord block list (hosts format)"),
            Flat::Suricata => writeln!(out, "# Concord indicators as Suricata rules"),
            Flat::Lines => Ok(()),
        }
    }

    /// Writes the values of one object (non-indicators are skipped).
    pub fn add(&mut self, obj: &Value, out: &mut dyn Write) -> std::io::Result<()> {
        if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
            return Ok(());
        }
        if let (Some(now), Some(until)) = (
            self.now.as_deref(),
            obj.get("valid_until").and_then(Value::as_str),
        ) && expired(until, now)
        {
            return Ok(());
        }
        for pv in plain_values(obj) {
            if !self.kinds.is_empty() && !self.kinds.contains(&pv.kind) {
                continue;
            }
            if !self.seen.insert((pv.kind, pv.value.clone())) {
                continue;
            }
            let written = match self.format {
                Flat::Lines => {
                    writeln!(out, "{}", pv.value)?;
                    true
                }
                Flat::Csv => {
                    let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("");
                    let labels: Vec<&str> = obj
                        .get("labels")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let tlp = crate::misp::import::tlp_of_refs(obj)
                        .map(|t| t.as_str())
                        .unwrap_or("");
                    let conf = obj
                        .get("confidence")
                        .map(|c| c.to_string())
                        .unwrap_or_default();
                    let mut w = csv::Writer::from_writer(Vec::new());
                    w.write_record([
                        pv.value.as_str(),
                        pv.kind.name(),
                        s("id"),
                        s("valid_from"),
                        s("valid_until"),
                        conf.as_str(),
                        labels.join("|").as_str(),
                        tlp,
                    ])
                    .map_err(std::io::Error::other)?;
                    out.write_all(
                        &w.into_inner()
                            .map_err(|e| std::io::Error::other(e.to_string()))?,
                    )?;
                    true
                }
                Flat::Hosts if pv.kind == Kind::Domain && !pv.value.contains('*') => {
                    writeln!(out, "0.0.0.0 {}", pv.value)?;
                    true
                }
                Flat::Suricata => match suricata_rule(obj, &pv, &mut self.sids) {
                    Some(r) => {
                        writeln!(out, "{r}")?;
                        true
                    }
                    None => false,
                },
                Flat::Hosts => false,
            };
            if written {
                self.written += 1;
            }
        }
        Ok(())
    }
}

/// A Suricata rule for an address, network or domain value; `None` for other kinds.
/// The `sid` is derived from the indicator id and value (stable between exports), in the
/// range Suricata leaves for local rules, and made unique within one export.
pub fn suricata_rule(obj: &Value, pv: &PlainValue, sids: &mut HashSet<u32>) -> Option<String> {
    let id = obj.get("id").and_then(Value::as_str).unwrap_or("");
    let name = obj.get("name").and_then(Value::as_str).unwrap_or(&pv.value);
    let msg: String = format!("Concord {} {}", pv.kind.name(), name)
        .chars()
        .filter(|c| !matches!(c, '"' | ';' | '\\' | '\n' | '\r'))
        .take(200)
        .collect();
    let mut sid = 1_000_000 + (fnv(&format!("{id}|{}", pv.value)) % 999_000) as u32;
    while !sids.insert(sid) {
        sid = if sid >= 1_998_999 { 1_000_000 } else { sid + 1 };
    }
    let meta = format!("metadata:concord_id {id};");
    match pv.kind {
        Kind::Ipv4 | Kind::Ipv6 => Some(format!(
            "alert ip $HOME_NET any -> {} any (msg:\"{msg} (outbound)\"; classtype:trojan-activity; {meta} sid:{sid}; rev:1;)",
            pv.value
        )),
        Kind::Domain if !pv.value.contains('*') => Some(format!(
            "alert dns $HOME_NET any -> any any (msg:\"{msg} (DNS query)\"; dns.query; dotprefix; content:\".{}\"; nocase; endswith; classtype:trojan-activity; {meta} sid:{sid}; rev:1;)",
            pv.value
        )),
        _ => None,
    }
}

fn expired(until: &str, now: &str) -> bool {
    match (
        concord_stix::Timestamp::parse(until),
        concord_stix::Timestamp::parse(now),
    ) {
        (Ok(u), Ok(n)) => u.instant() <= n.instant(),
        _ => false,
    }
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

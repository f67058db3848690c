//! What every importer shares: the feed or file an object came from (its identity,
//! labels, confidence, TLP), deterministic ids, timestamps, and the indicator it makes of
//! one plain value.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use concord_stix::Tlp;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::observable::{self, Kind};

/// The namespace of Concord's deterministic ids for imported objects (UUIDv5): the same
/// source and value always give the same id, so a re-import is `unchanged`.
pub const NAMESPACE: Uuid = uuid::uuid!("5b0f6a53-7bd1-4c57-9d43-0b2b6f1f4a8e");

/// A deterministic id of type `ty` over `parts` (joined with a unit separator).
pub fn stable_id(ty: &str, parts: &[&str]) -> String {
    let mut key = String::from(ty);
    for p in parts {
        key.push('\u{1f}');
        key.push_str(p);
    }
    format!("{ty}--{}", Uuid::new_v5(&NAMESPACE, key.as_bytes()))
}

/// The feed or file objects come from, and what the importer adds to each of them.
#[derive(Debug, Clone)]
pub struct Source {
    /// The source's name (feed name or file name); part of every id it mints.
    pub name: String,
    /// Labels added to every indicator.
    pub labels: Vec<String>,
    /// Confidence (0-100) given to every indicator.
    pub confidence: Option<u8>,
    /// TLP marking of every object.
    pub tlp: Option<Tlp>,
    /// "Now" (RFC 3339 with milliseconds), used where the input has no time of its own.
    pub now: String,
}

impl Source {
    /// A source with no labels, confidence or TLP.
    pub fn new(name: impl Into<String>, now: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            labels: Vec::new(),
            confidence: None,
            tlp: None,
            now: now.into(),
        }
    }

    /// The id of the source's identity object.
    pub fn identity_id(&self) -> String {
        stable_id("identity", &["source", &self.name])
    }

    /// The source's identity object (the feed as an organisation).
    pub fn identity(&self) -> Value {
        json!({
            "type": "identity", "spec_version": "2.1", "id": self.identity_id(),
            "created": self.now, "modified": self.now,
            "name": self.name, "identity_class": "organization"
        })
    }

    /// The marking refs every object gets.
    pub fn marking_refs(&self) -> Vec<&'static str> {
        self.tlp.map(Tlp::marking_id).into_iter().collect()
    }

    /// The indicator of one normalised value, with a deterministic id over (source,
    /// kind, value). `valid_from` is the value's own first-seen time if the feed gives
    /// one, else "now".
    pub fn indicator(
        &self,
        kind: Kind,
        value: &str,
        valid_from: Option<&str>,
        description: Option<&str>,
        labels: &[String],
    ) -> Value {
        let kind = kind.for_value(value);
        let id = stable_id("indicator", &[&self.name, kind.name(), value]);
        let t = valid_from.unwrap_or(&self.now);
        let mut ind = json!({
            "type": "indicator", "spec_version": "2.1", "id": id,
            "created": t, "modified": t,
            "created_by_ref": self.identity_id(),
            "name": value,
            "indicator_types": ["malicious-activity"],
            "pattern": observable::pattern(kind, value), "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": t,
        });
        let mut all: Vec<String> = self.labels.clone();
        for l in labels {
            if !l.is_empty() && !all.contains(l) {
                all.push(l.clone());
            }
        }
        if !all.is_empty() {
            ind["labels"] = json!(all);
        }
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            ind["description"] = json!(d);
        }
        if let Some(c) = self.confidence {
            ind["confidence"] = json!(c.min(100));
        }
        let refs = self.marking_refs();
        if !refs.is_empty() {
            ind["object_marking_refs"] = json!(refs);
        }
        ind
    }
}

/// A STIX timestamp (UTC, milliseconds) of an instant.
pub fn stix_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Written field by field (chrono's `format` parses its format string on every call,
    // a visible cost when every MISP attribute has its own time); the same text as
    // `format("%Y-%m-%dT%H:%M:%S%.3fZ")`, which years outside 0-9999 and leap seconds
    // still go through.
    if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    }
    let mut s = String::with_capacity(24);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_millis()
    );
    s
}

/// Seconds since 1970 (as MISP writes them, a number or a string of digits) as a STIX
/// timestamp.
pub fn unix_time(v: &Value) -> Option<String> {
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single().map(stix_time)
}

/// The times feeds write (`2021-01-17 07:30:05`, `2016-11-12 15:02`, `2016-11-10`,
/// RFC 3339, or seconds since 1970) as a STIX timestamp, read as UTC.
pub fn feed_time(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(stix_time(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(stix_time(t.and_utc()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| stix_time(t.and_utc()));
    }
    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()) {
        return unix_time(&Value::String(s.into()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            unix_time(&json!("1603642920")).unwrap(),
            "2020-10-25T16:22:00.000Z"
        );
        assert_eq!(
            feed_time("2021-01-17 07:30:05").unwrap(),
            "2021-01-17T07:30:05.000Z"
        );
        assert_eq!(feed_time("2016-11-10").unwrap(), "2016-11-10T00:00:00.000Z");
        assert_eq!(feed_time("1441008970").unwrap(), "2015-08-31T08:16:10.000Z");
        assert!(feed_time("yesterday").is_none());
    }

    /// `stix_time` writes its fields itself; it must stay chrono's text exactly.
    #[test]
    fn stix_time_is_chronos_format() {
        let chrono_text = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut secs: Vec<i64> = vec![
            0,
            -1,
            -62_167_219_200, // 0000-01-01
            -62_167_219_201, // year -1
            253_402_300_799, // 9999-12-31T23:59:59
            253_402_300_800, // 10000-01-01
            1_603_642_920,
        ];
        secs.extend((0..2_000).map(|i| 1_700_000_000 + i * 7_919_377));
        for s in secs {
            for nanos in [0, 1_000_000, 999_999_999, 123_456_789, 1_500_000_000] {
                let Some(t) = DateTime::<Utc>::from_timestamp(s, nanos) else {
                    continue;
                };
                assert_eq!(stix_time(t), chrono_text(t), "{s} s {nanos} ns");
            }
        }
    }

    #[test]
    fn ids_are_stable_and_objects_valid() {
        let s = Source::new("feed", "2026-01-01T00:00:00.000Z");
        let a = s.indicator(Kind::Ipv4, "198.51.100.1", None, None, &[]);
        let b = s.indicator(Kind::Ipv4, "198.51.100.1", None, None, &[]);
        assert_eq!(a, b);
        concord_stix::Object::from_value(a).unwrap();
        concord_stix::Object::from_value(s.identity()).unwrap();
    }
}

//! The MISP feed layout: `manifest.json` (event uuid -> info, organisation, tags,
//! timestamp, ...), one `<uuid>.json` file per event, and `hashes.csv` (MD5 of each
//! attribute value, event uuid). Reading the manifest and deciding which events changed
//! since the last import; writing a feed directory a MISP instance can subscribe to.
//! Fetching is the caller's business (files or HTTP).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use md5::{Digest, Md5};
use serde_json::{Map, Value, json};

use crate::error::FormatError;

/// One event as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The event uuid (also its file name without `.json`).
    pub uuid: String,
    /// Its `timestamp` (seconds since 1970), which grows when the event changes.
    pub timestamp: i64,
    /// Its `info`.
    pub info: String,
}

/// Parses `manifest.json`. An entry without a readable uuid or timestamp is an error
/// naming its path; the other entries are still returned.
pub fn parse_manifest(bytes: &[u8]) -> Result<(Vec<ManifestEntry>, Vec<FormatError>), FormatError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_lowercase();
        if head.contains("<html") || head.contains("<!doctype") {
            FormatError::input("manifest.json is an HTML page, not a MISP feed manifest")
        } else {
            FormatError::json(&e)
        }
    })?;
    let Some(map) = v.as_object() else {
        return Err(FormatError::path(
            "$",
            "manifest.json must be an object of event uuid -> event",
        ));
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (uuid, e) in map {
        let ok_uuid = uuid::Uuid::parse_str(uuid).is_ok() && uuid.len() == 36;
        let ts = match e.get("timestamp") {
            Some(Value::String(s)) => s.parse::<i64>().ok(),
            Some(Value::Number(n)) => n.as_i64(),
            _ => None,
        };
        match (ok_uuid, ts) {
            (true, Some(timestamp)) => out.push(ManifestEntry {
                uuid: uuid.to_ascii_lowercase(),
                timestamp,
                info: e
                    .get("info")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            }),
            (false, _) => errors.push(FormatError::path(
                format!("$[{uuid:?}]"),
                "not an event uuid",
            )),
            (true, None) => errors.push(FormatError::path(
                format!("$[{uuid:?}].timestamp"),
                "an event needs a numeric timestamp",
            )),
        }
    }
    Ok((out, errors))
}

/// The entries to fetch: those whose timestamp is newer than the one recorded at the last
/// import (`seen`: uuid -> timestamp), or not seen before.
pub fn changed<'a>(
    entries: &'a [ManifestEntry],
    seen: &BTreeMap<String, i64>,
) -> Vec<&'a ManifestEntry> {
    entries
        .iter()
        .filter(|e| seen.get(&e.uuid).is_none_or(|t| e.timestamp > *t))
        .collect()
}

/// The MD5 (hex) of a value, as `hashes.csv` lists it.
pub fn md5_hex(s: &str) -> String {
    let d = Md5::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a feed directory from `{"Event": …}` documents: one file per event, the
/// manifest and hashes.csv. Returns the number of events written.
pub fn write_feed(dir: &Path, events: &[Value]) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut manifest = Map::new();
    let mut hashes = std::io::BufWriter::new(std::fs::File::create(dir.join("hashes.csv"))?);
    for doc in events {
        let ev = doc.get("Event").unwrap_or(doc);
        let Some(uuid) = ev.get("uuid").and_then(Value::as_str) else {
            continue;
        };
        std::fs::write(
            dir.join(format!("{uuid}.json")),
            serde_json::to_vec(&json!({"Event": ev}))?,
        )?;
        let mut entry = Map::new();
        for k in [
            "info",
            "Orgc",
            "Tag",
            "timestamp",
            "date",
            "threat_level_id",
            "analysis",
        ] {
            if let Some(v) = ev.get(k) {
                entry.insert(k.into(), v.clone());
            }
        }
        manifest.insert(uuid.to_owned(), Value::Object(entry));
        let attrs = super::event_attributes(ev);
        for a in attrs {
            if let Some(v) = a.get("value").and_then(Value::as_str) {
                for part in v.split('|') {
                    writeln!(hashes, "{},{uuid}", md5_hex(part))?;
                }
            }
        }
    }
    hashes.flush()?;
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec(&Value::Object(manifest))?,
    )?;
    Ok(events.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_and_changes() {
        let m = br#"{"57e27c3d-17a8-4c3b-8195-493e950d210f": {"info": "a", "timestamp": "1474460824"},
            "not-a-uuid": {"timestamp": "1"}, "5721c2e4-05ec-4af3-9264-411b950d210f": {"info": "b"}}"#;
        let (entries, errors) = parse_manifest(m).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(errors.len(), 2);
        let mut seen = BTreeMap::new();
        assert_eq!(changed(&entries, &seen).len(), 1);
        seen.insert(entries[0].uuid.clone(), 1474460824);
        assert!(changed(&entries, &seen).is_empty());
        assert!(
            parse_manifest(b"<html><body>Login</body></html>")
                .unwrap_err()
                .to_string()
                .contains("HTML")
        );
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}

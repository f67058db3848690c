//! Re-import without new versions: an importer mints timestamps from "now" where its
//! input has none, so the same record imported twice differs only in `created`,
//! `modified` and a later `valid_from`. [`settle`] compares a freshly converted object
//! with the version already held and keeps the held one when nothing else changed.

use serde_json::Value;

/// Compares `new` with the `held` current version of the same id. When they differ only
/// in `created`, `modified` and a `valid_from` not earlier than the held one, `new`
/// becomes the held version (so the store reports `unchanged`) and `true` is returned.
/// Otherwise `new` keeps its content but takes the held `created` (STIX: `created` is
/// the same in every version) and `false` is returned.
pub fn settle(new: &mut Value, held: &Value) -> bool {
    if new == held {
        return true;
    }
    let (Some(n), Some(h)) = (new.as_object(), held.as_object()) else {
        return false;
    };
    if !h.contains_key("modified") {
        return false;
    }
    let mut cmp = n.clone();
    for k in ["created", "modified"] {
        match h.get(k) {
            Some(v) => cmp.insert(k.into(), v.clone()),
            None => cmp.remove(k),
        };
    }
    if let (Some(nv), Some(hv)) = (
        n.get("valid_from").and_then(Value::as_str),
        h.get("valid_from").and_then(Value::as_str),
    ) && later_or_same(nv, hv)
    {
        cmp.insert("valid_from".into(), Value::from(hv));
    }
    if &cmp == h {
        *new = held.clone();
        return true;
    }
    if let (Some(hc), Some(m)) = (h.get("created").cloned(), new.as_object_mut()) {
        let newer = m
            .get("modified")
            .and_then(Value::as_str)
            .zip(hc.as_str())
            .is_some_and(|(nm, c)| later_or_same(nm, c));
        if newer {
            m.insert("created".into(), hc);
        }
    }
    false
}

/// For sources whose times are not versions (plain feeds): when `new` differs from the
/// `held` version but is not newer than it (a value back in a feed after it expired,
/// with its old first-seen time), its `modified` becomes just after the held one, so
/// that it is the current version.
pub fn bump(new: &mut Value, held: &Value) {
    let (Some(n), Some(h)) = (
        new.get("modified").and_then(Value::as_str),
        held.get("modified").and_then(Value::as_str),
    ) else {
        return;
    };
    if later_or_same(h, n)
        && let Ok(t) = concord_stix::Timestamp::parse(h)
    {
        let next = t.instant() + chrono::Duration::milliseconds(1);
        new["modified"] = Value::from(concord_stix::Timestamp::format_millis(next));
    }
}

fn later_or_same(a: &str, b: &str) -> bool {
    match (
        concord_stix::Timestamp::parse(a),
        concord_stix::Timestamp::parse(b),
    ) {
        (Ok(x), Ok(y)) => x.instant() >= y.instant(),
        _ => a >= b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_timestamps_differ() {
        let held = json!({"type": "indicator", "id": "indicator--1", "created": "2024-01-01T00:00:00.000Z",
            "modified": "2024-01-01T00:00:00.000Z", "valid_from": "2024-01-01T00:00:00.000Z", "pattern": "[a:b = 'c']"});
        let mut again = json!({"type": "indicator", "id": "indicator--1", "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z", "valid_from": "2025-01-01T00:00:00.000Z", "pattern": "[a:b = 'c']"});
        assert!(settle(&mut again, &held));
        assert_eq!(again, held);
        let mut changed = json!({"type": "indicator", "id": "indicator--1", "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z", "valid_from": "2025-01-01T00:00:00.000Z", "pattern": "[a:b = 'd']"});
        assert!(!settle(&mut changed, &held));
        assert_eq!(changed["created"], "2024-01-01T00:00:00.000Z");
        assert_eq!(changed["modified"], "2025-01-01T00:00:00.000Z");
    }
}

//! Redaction: the copy of an object an agreement lets go. Drops properties, replaces
//! e-mail addresses, phone numbers, user accounts and individuals' names by keyed hashes
//! (HMAC-SHA256 with the node's redaction key) that keep the value's shape, and truncates
//! IP addresses to a prefix, everywhere in the JSON.

use std::collections::BTreeMap;
use std::ops::Range;

use concord_stix::concord_ext::EXTENSION_ID;
use concord_stix::schema::{self, Family};
use concord_stix::sco_id;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::agreement::{IpScope, Redaction};
use crate::detect::{
    self, IpMode, Kind, MAX_DEPTH, REDACTED_DOMAIN, REDACTED_PHONE_PREFIX, Scan, escape_pattern,
};

/// What a redaction did, by kind (for the decision's reasons).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Dropped property paths.
    pub dropped: Vec<String>,
    /// Replacements made, per rule suffix (`email`, `phone`, ...).
    pub counts: BTreeMap<&'static str, usize>,
}

/// Keyed hash of `value` under a domain `tag`.
fn mac(key: &[u8], tag: &str, value: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(tag.as_bytes());
    m.update(&[0]);
    m.update(value.as_bytes());
    m.finalize().into_bytes().into()
}

fn hex16(b: &[u8; 32]) -> String {
    b[..8].iter().map(|x| format!("{x:02x}")).collect()
}

/// `h-<16 hex>@redacted.invalid`: still an e-mail address.
pub(crate) fn hash_email(key: &[u8], email: &str) -> String {
    format!(
        "h-{}@{REDACTED_DOMAIN}",
        hex16(&mac(key, "email", &email.to_lowercase()))
    )
}

/// `+999` and 11 digits: still a `+E.164` number, in a country code the ITU reserves.
pub(crate) fn hash_phone(key: &[u8], phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let b = mac(key, "phone", &digits);
    let n = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) % 100_000_000_000;
    format!("{REDACTED_PHONE_PREFIX}{n:011}")
}

/// `h-<16 hex>`: a login, user id, display name or person's name.
pub(crate) fn hash_token(key: &[u8], tag: &str, value: &str) -> String {
    format!("h-{}", hex16(&mac(key, tag, value)))
}

/// A keyed identifier of the same type (a v4-shaped UUID from the HMAC of the old id),
/// so references between redacted objects still meet.
pub(crate) fn keyed_id(key: &[u8], id: &str) -> String {
    let ty = id.split("--").next().unwrap_or("");
    let b = mac(key, "id", id);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&b[..16]);
    format!(
        "{ty}--{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

/// Properties whose values are never rewritten by literal replacement: identity,
/// references, timestamps and fixed vocabularies the validator checks.
fn structural(key: &str) -> bool {
    matches!(
        key,
        "type"
            | "id"
            | "spec_version"
            | "created"
            | "modified"
            | "identity_class"
            | "extension_type"
    ) || key.ends_with("_ref")
        || key.ends_with("_refs")
        || schema::is_timestamp_property(key)
}

/// The plan of one redaction.
struct Plan<'a> {
    r: &'a Redaction,
    key: &'a [u8],
    constituency: &'a [IpNet],
    /// Literal values (logins, names) and their replacements, longest first; values
    /// shorter than 3 characters only replace whole strings.
    literals: Vec<(String, String, &'static str)>,
    applied: Applied,
}

/// Redacts a copy of `object` by `r`. `constituency` says which addresses
/// `ip_scope = "constituency"` truncates.
pub(crate) fn redact(
    object: &Value,
    r: &Redaction,
    constituency: &[IpNet],
    key: &[u8],
) -> (Value, Applied) {
    let mut copy = object.clone();
    let mut plan = Plan {
        r,
        key,
        constituency,
        literals: Vec::new(),
        applied: Applied::default(),
    };
    if !r.drop.is_empty() {
        drop_props(&mut copy, &r.drop, "$", 0, &mut plan.applied.dropped);
    }
    // Literal values come from a scan of the (dropped) copy.
    let found = detect::scan(
        Scan {
            email: false,
            phone: false,
            account: r.hash_user_accounts,
            name: r.hash_names,
            ip: IpMode::None,
        },
        &copy,
    );
    for f in found {
        let (tag, count) = if f.kind == Kind::Name {
            ("name", "name")
        } else {
            ("account", "user-account")
        };
        let replacement = hash_token(key, tag, &f.value);
        let mut variants = vec![f.value.clone()];
        let escaped = escape_pattern(&f.value);
        if escaped != f.value {
            variants.push(escaped);
        }
        for v in variants {
            if !plan.literals.iter().any(|(l, ..)| *l == v) {
                plan.literals.push((v, replacement.clone(), count));
            }
        }
    }
    plan.literals
        .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    rewrite(&mut copy, &mut plan, "", 0);
    fix_sco_id(object, &mut copy, r, key, &mut plan.applied);
    (copy, plan.applied)
}

fn drop_props(v: &mut Value, names: &[String], path: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            let doomed: Vec<String> = map
                .keys()
                .filter(|k| names.iter().any(|n| n == *k))
                .cloned()
                .collect();
            for k in doomed {
                map.remove(&k);
                out.push(format!("{path}.{k}"));
            }
            for (k, item) in map.iter_mut() {
                // Concord's grading and the markings always travel whole.
                if k == EXTENSION_ID || k == "granular_markings" {
                    continue;
                }
                drop_props(item, names, &format!("{path}.{k}"), depth + 1, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                drop_props(item, names, &format!("{path}[{i}]"), depth + 1, out);
            }
        }
        _ => {}
    }
}

fn rewrite(v: &mut Value, plan: &mut Plan<'_>, key: &str, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(_) if detect::is_binary(key) => {}
        Value::String(s) => {
            let new = if key == "pattern" {
                rewrite_pattern(s, plan)
            } else {
                rewrite_str(s, plan, key, true)
            };
            if let Some(new) = new {
                *s = new;
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, plan, key, depth + 1);
            }
        }
        Value::Object(map) => {
            let old = std::mem::take(map);
            let mut new = Map::new();
            for (k, mut item) in old {
                // Concord's grading travels as it is.
                if k == EXTENSION_ID {
                    new.insert(k, item);
                    continue;
                }
                rewrite(&mut item, plan, &k, depth + 1);
                // Keys: only the regex-found kinds, never property names of STIX shape.
                let nk = if k
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    || k.starts_with("extension-definition--")
                {
                    k
                } else {
                    rewrite_str(&k, plan, "", false).unwrap_or(k)
                };
                new.insert(nk, item);
            }
            *map = new;
        }
        _ => {}
    }
}

/// A STIX pattern is rewritten inside its quoted string literals only, so that a
/// login like `user` cannot break an object path like `user-account:account_login`.
fn rewrite_pattern(s: &str, plan: &mut Plan<'_>) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut rest = s;
    while let Some(open) = rest.find('\'') {
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        // The closing quote is the first one not escaped by a backslash.
        let mut end = None;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(end) = end else {
            // Unterminated: the rest is one literal.
            match rewrite_str(body, plan, "pattern_literal", true) {
                Some(new) => {
                    out.push_str(&new);
                    changed = true;
                }
                None => out.push_str(body),
            }
            return changed.then_some(out);
        };
        match rewrite_str(&body[..end], plan, "pattern_literal", true) {
            Some(new) => {
                out.push_str(&new);
                changed = true;
            }
            None => out.push_str(&body[..end]),
        }
        out.push('\'');
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Applies every replacement to one string; `None` if nothing changed.
/// [`rewrite_once`] until nothing changes (at most four passes): a truncated address can
/// complete a phone number that was not one before, and that one must go too.
fn rewrite_str(s: &str, plan: &mut Plan<'_>, key: &str, literals: bool) -> Option<String> {
    let mut current = rewrite_once(s, plan, key, literals)?;
    for _ in 0..3 {
        match rewrite_once(&current, plan, key, literals) {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    Some(current)
}

fn rewrite_once(s: &str, plan: &mut Plan<'_>, key: &str, literals: bool) -> Option<String> {
    let r = plan.r;
    let key_material = plan.key;
    // Ids of personal SCO types become keyed ids wherever they appear.
    if let Some((ty, _)) = s.split_once("--")
        && ((ty == "email-addr" && r.hash_emails) || (ty == "user-account" && r.hash_user_accounts))
        && concord_stix::id::parse_id(s).is_ok()
    {
        *plan.applied.counts.entry("id").or_default() += 1;
        return Some(keyed_id(key_material, s));
    }
    let mut edits: Vec<(Range<usize>, String, &'static str)> = Vec::new();
    let free = |edits: &Vec<(Range<usize>, String, &'static str)>, r: &Range<usize>| {
        !edits
            .iter()
            .any(|(e, ..)| e.start < r.end && r.start < e.end)
    };
    if r.ipv4_prefix.is_some() || r.ipv6_prefix.is_some() {
        for (range, net) in detect::ip_literals(s) {
            let in_scope =
                r.ip_scope == IpScope::All || plan.constituency.iter().any(|c| c.contains(&net));
            let prefix = if net.addr().is_ipv4() {
                r.ipv4_prefix
            } else {
                r.ipv6_prefix
            };
            if let Some(p) = prefix
                && in_scope
                && p < net.prefix_len()
                && let Ok(t) = IpNet::new(net.addr(), p)
            {
                edits.push((range, t.trunc().to_string(), "ip"));
            }
        }
    }
    if r.hash_emails {
        for range in detect::emails(s) {
            if free(&edits, &range) {
                let h = hash_email(key_material, &s[range.clone()]);
                edits.push((range, h, "email"));
            }
        }
    }
    if r.hash_phones {
        for range in detect::phones(s, key) {
            if free(&edits, &range) {
                let h = hash_phone(key_material, &s[range.clone()]);
                edits.push((range, h, "phone"));
            }
        }
    }
    let mut out = if edits.is_empty() {
        None
    } else {
        edits.sort_by_key(|(r, ..)| r.start);
        let mut text = String::with_capacity(s.len());
        let mut at = 0;
        for (range, rep, what) in &edits {
            text.push_str(&s[at..range.start]);
            text.push_str(rep);
            at = range.end;
            *plan.applied.counts.entry(what).or_default() += 1;
        }
        text.push_str(&s[at..]);
        Some(text)
    };
    if literals && !structural(key) && !plan.literals.is_empty() {
        let mut text = out.clone().unwrap_or_else(|| s.to_owned());
        let mut changed = false;
        for (lit, rep, what) in &plan.literals {
            let hit = if lit.chars().count() < 3 {
                text == *lit
            } else {
                text.contains(lit.as_str())
            };
            if hit {
                text = if lit.chars().count() < 3 {
                    rep.clone()
                } else {
                    text.replace(lit.as_str(), rep)
                };
                changed = true;
                *plan.applied.counts.entry(what).or_default() += 1;
            }
        }
        if changed {
            out = Some(text);
        }
    }
    out
}

/// An SCO whose id-contributing properties changed gets the id of its new content
/// (deterministic, like any SCO), unless it already got a keyed id.
fn fix_sco_id(
    original: &Value,
    copy: &mut Value,
    r: &Redaction,
    key: &[u8],
    applied: &mut Applied,
) {
    let Some(ty) = copy.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return;
    };
    if schema::family(&ty) != Family::Sco
        || (ty == "email-addr" && r.hash_emails)
        || (ty == "user-account" && r.hash_user_accounts)
    {
        return;
    }
    let Some(props) = sco_id::contributing_properties(&ty) else {
        return;
    };
    let changed = props.iter().any(|p| original.get(*p) != copy.get(*p));
    if !changed {
        return;
    }
    let Some(map) = copy.as_object_mut() else {
        return;
    };
    let new_id = sco_id::deterministic_id(&ty, map)
        .unwrap_or_else(|| keyed_id(key, map.get("id").and_then(Value::as_str).unwrap_or(&ty)));
    map.insert("id".into(), Value::String(new_id));
    *applied.counts.entry("id").or_default() += 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_keep_shape_and_depend_on_the_key() {
        let a = hash_email(b"k1", "Alice@Example.org");
        assert_eq!(a, hash_email(b"k1", "alice@example.org"));
        assert_ne!(a, hash_email(b"k2", "alice@example.org"));
        assert!(a.ends_with("@redacted.invalid") && a.len() == 18 + 17);
        let p = hash_phone(b"k", "+49 30 1234567");
        assert!(p.starts_with("+999") && p.len() == 15);
        assert!(detect::is_hashed_token(&hash_token(
            b"k", "name", "Jane Doe"
        )));
        let id = keyed_id(b"k", "email-addr--2d1c1b2c-7b43-5d56-8b5f-9a7bb7ed1c5a");
        assert!(concord_stix::id::parse_id(&id).is_ok() && id.starts_with("email-addr--"));
    }

    #[test]
    fn truncates_in_scope_addresses_and_recomputes_the_sco_id() {
        let r = Redaction {
            ipv4_prefix: Some(24),
            ..Redaction::default()
        };
        let nets = ["10.0.0.0/8".parse().unwrap()];
        let obj = json!({"type": "ipv4-addr", "spec_version": "2.1",
            "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "10.1.2.3"});
        let (copy, applied) = redact(&obj, &r, &nets, b"k");
        assert_eq!(copy["value"], "10.1.2.0/24");
        assert_ne!(copy["id"], obj["id"]);
        assert_eq!(applied.counts.get("ip"), Some(&1));
        let outside = json!({"type": "note", "content": "8.8.8.8 and 10.9.9.9"});
        let (copy, _) = redact(&outside, &r, &nets, b"k");
        assert_eq!(copy["content"], "8.8.8.8 and 10.9.9.0/24");
    }
}

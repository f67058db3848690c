//! Detectors: find personal data and constituency addresses in an object's JSON and
//! assign the categories an analyst did not set. Also the finders redaction uses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::sync::LazyLock;

use ipnet::IpNet;
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::agreement::{Detectors, PERSONAL_INFORMATION};
use crate::file::Policy;

/// Nesting deeper than this is not looked into (and [`crate::decide`] withholds such an
/// object): STIX objects are shallow, and recursion stays bounded.
pub const MAX_DEPTH: usize = 64;

/// The domain of hashed e-mail addresses (`h-<hex>@redacted.invalid`).
pub(crate) const REDACTED_DOMAIN: &str = "redacted.invalid";

/// The country code that hashed phone numbers start with (`+999…`, reserved by the ITU).
pub(crate) const REDACTED_PHONE_PREFIX: &str = "+999";

/// One category a detector assigned, and where it found the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detection {
    /// The category assigned (`personal-information`, `victim-identity`, ...).
    pub category: String,
    /// The detector's rule name (`detector.email`, `detector.phone`,
    /// `detector.user-account`, `detector.individual`, `detector.constituency`).
    pub rule: String,
    /// JSON path of the string it was found in (`$.description`, `$.object_refs[0]`).
    pub path: String,
    /// The value found (an address, number, login or name). It is the node's own data:
    /// show it to the operator, but [`crate::Reason`]s never repeat it.
    pub value: String,
}

/// What a finder found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Email,
    Phone,
    Account,
    Name,
    Ip,
}

impl Kind {
    pub(crate) fn rule(self) -> &'static str {
        match self {
            Kind::Email => "detector.email",
            Kind::Phone => "detector.phone",
            Kind::Account => "detector.user-account",
            Kind::Name => "detector.individual",
            Kind::Ip => "detector.constituency",
        }
    }
}

/// Which IP addresses a scan reports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IpMode<'a> {
    None,
    Inside(&'a [IpNet]),
}

/// What a scan looks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan<'a> {
    pub email: bool,
    pub phone: bool,
    pub account: bool,
    pub name: bool,
    pub ip: IpMode<'a>,
}

impl<'a> Scan<'a> {
    pub(crate) fn of_detectors(d: &'a Detectors) -> Self {
        Scan {
            email: d.email,
            phone: d.phone,
            account: d.user_account,
            name: d.individual,
            ip: if d.constituency.is_empty() {
                IpMode::None
            } else {
                IpMode::Inside(&d.constituency)
            },
        }
    }
}

/// A value found at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub kind: Kind,
    pub path: String,
    pub value: String,
    /// For [`Kind::Ip`]: the network (a host address is a /32 or /128).
    pub net: Option<IpNet>,
}

/// Categories detectors assign to `object`, each with its rule and JSON path, in
/// document order (keys sorted).
pub fn detect(policy: &Policy, object: &Value) -> Vec<Detection> {
    let d = &policy.detectors;
    scan(Scan::of_detectors(d), object)
        .into_iter()
        .map(|f| Detection {
            category: if f.kind == Kind::Ip {
                d.constituency_category.clone()
            } else {
                PERSONAL_INFORMATION.to_owned()
            },
            rule: f.kind.rule().to_owned(),
            path: f.path,
            value: f.value,
        })
        .collect()
}

/// Every value the scan asks for, in document order.
pub(crate) fn scan(opts: Scan<'_>, object: &Value) -> Vec<Found> {
    let mut out = Vec::new();
    let ty = object.get("type").and_then(Value::as_str).unwrap_or("");
    if let Some(map) = object.as_object() {
        // Properties whose whole value is personal, by the object's type.
        let whole: &[(&str, Kind)] = match ty {
            "user-account" if opts.account => &[
                ("user_id", Kind::Account),
                ("account_login", Kind::Account),
                ("display_name", Kind::Account),
            ],
            "identity"
                if opts.name
                    && object.get("identity_class").and_then(Value::as_str)
                        == Some("individual") =>
            {
                &[("name", Kind::Name)]
            }
            "email-addr" if opts.name => &[("display_name", Kind::Name)],
            _ => &[],
        };
        for (prop, kind) in whole {
            if let Some(s) = map.get(*prop).and_then(Value::as_str)
                && !s.trim().is_empty()
                && !is_hashed_token(s)
            {
                out.push(Found {
                    kind: *kind,
                    path: format!("$.{prop}"),
                    value: s.to_owned(),
                    net: None,
                });
            }
        }
    }
    walk(opts, object, "$", "", 0, &mut out);
    out
}

fn walk(opts: Scan<'_>, v: &Value, path: &str, key: &str, depth: usize, out: &mut Vec<Found>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(_) if is_binary(key) => {}
        Value::String(s) => scan_string(opts, s, path, key, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(opts, item, &format!("{path}[{i}]"), key, depth + 1, out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = format!("{path}.{}", path_segment(k));
                // Keys can hold data too (custom dictionaries keyed by address).
                scan_regex_kinds(opts, k, &p, out);
                walk(opts, item, &p, k, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Properties holding encoded bytes (`*_bin` base64, `*_hex`): not text, so not looked
/// into (a `+` and digits in base64 are no phone number) and never rewritten.
pub(crate) fn is_binary(key: &str) -> bool {
    key.ends_with("_bin") || key.ends_with("_hex")
}

/// A key as a path segment: property names as they are, any other key (which may be
/// data, such as an address in a custom dictionary) as `<key>`, so that paths in reasons
/// never repeat a value.
fn path_segment(k: &str) -> &str {
    let shaped = k
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !k.bytes().all(|b| b.is_ascii_digit());
    if shaped { k } else { "<key>" }
}

fn scan_string(opts: Scan<'_>, s: &str, path: &str, key: &str, out: &mut Vec<Found>) {
    if opts.account
        && matches!(key, "account_login" | "user_id")
        && !s.trim().is_empty()
        && !is_hashed_token(s)
    {
        let f = found(Kind::Account, path, s);
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if opts.account && key == "pattern" {
        for lit in pattern_account_literals(s) {
            if !lit.is_empty() && !is_hashed_token(&lit) {
                out.push(found(Kind::Account, path, &lit));
            }
        }
    }
    if opts.phone {
        // The same finder redaction uses: phone properties and +E.164 anywhere.
        for r in phones(s, key) {
            out.push(found(Kind::Phone, path, &s[r]));
        }
    }
    let rest = Scan {
        phone: false,
        ..opts
    };
    scan_regex_kinds(rest, s, path, out);
}

fn found(kind: Kind, path: &str, value: &str) -> Found {
    Found {
        kind,
        path: path.to_owned(),
        value: value.to_owned(),
        net: None,
    }
}

/// E-mail addresses, `+E.164` numbers and IP addresses in one string.
fn scan_regex_kinds(opts: Scan<'_>, s: &str, path: &str, out: &mut Vec<Found>) {
    if opts.email {
        for r in emails(s) {
            out.push(found(Kind::Email, path, &s[r]));
        }
    }
    if opts.phone {
        for r in e164_numbers(s) {
            out.push(found(Kind::Phone, path, &s[r]));
        }
    }
    let IpMode::Inside(nets) = opts.ip else {
        return;
    };
    for (r, net) in ip_literals(s) {
        if nets.iter().any(|c| c.contains(&net)) {
            out.push(Found {
                kind: Kind::Ip,
                path: path.to_owned(),
                value: s[r].to_owned(),
                net: Some(net),
            });
        }
    }
}

/// `h-` and 16 hex digits: the shape of a hashed login, id or name.
pub(crate) fn is_hashed_token(s: &str) -> bool {
    s.len() == 18
        && s.starts_with("h-")
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[\p{L}\p{N}._%+\-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?\.)+\p{L}[\p{L}\p{N}\-]*[\p{L}\p{N}]",
    )
    .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

/// Byte ranges of e-mail addresses in `s`, except already hashed ones.
pub(crate) fn emails(s: &str) -> Vec<Range<usize>> {
    if !s.contains('@') {
        return Vec::new();
    }
    EMAIL
        .find_iter(s)
        .filter(|m| {
            let domain = m.as_str().rsplit('@').next().unwrap_or("");
            !domain.eq_ignore_ascii_case(REDACTED_DOMAIN)
        })
        .map(|m| m.range())
        .collect()
}

static E164: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\+[1-9][0-9]*(?:(?:[ .\-]|[ ]?\(|\)[ ]?)[0-9]+\)?)*")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// Byte ranges of numbers written as `+E.164` (a `+`, a country code, 8 to 15 digits in
/// all, single spaces, dots, dashes or parentheses between groups) in any text.
pub(crate) fn e164_numbers(s: &str) -> Vec<Range<usize>> {
    if !s.contains('+') {
        return Vec::new();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for m in E164.find_iter(s) {
        let start = m.start();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'+') {
            continue;
        }
        let mut end = m.end();
        // Too many digits: the number probably ran into the next one; cut groups off.
        while digit_count(&s[start..end]) > 15 {
            match s[start..end].rfind([' ', '.', '-', '(', ')']) {
                Some(i) if i > 1 => end = start + i,
                _ => break,
            }
        }
        let text = s[start..end].trim_end_matches([' ', '.', '-', '(']);
        let end = start + text.len();
        let digits = digit_count(text);
        if !(8..=15).contains(&digits) || text.starts_with(REDACTED_PHONE_PREFIX) {
            continue;
        }
        if end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'@') {
            continue;
        }
        out.push(start..end);
    }
    out
}

/// Properties meant to hold phone numbers.
pub(crate) fn is_phone_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "contact_information"
        || ["phone", "telephone", "mobile", "fax"]
            .iter()
            .any(|w| k.contains(w))
}

static PHONE_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\+?\(?[0-9][0-9 ().\-/]{5,}[0-9]")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

/// Phone numbers in a property meant to hold them: runs of 7 to 15 digits with the
/// usual separators (ISO dates excepted), not already hashed.
fn phone_runs(s: &str) -> Vec<Range<usize>> {
    PHONE_RUN
        .find_iter(s)
        .filter(|m| {
            let t = m.as_str();
            (7..=15).contains(&digit_count(t))
                && !ISO_DATE.is_match(t)
                && !t.starts_with(REDACTED_PHONE_PREFIX)
        })
        .map(|m| m.range())
        .collect()
}

/// Phone numbers a redaction replaces in a string held under `key`.
pub(crate) fn phones(s: &str, key: &str) -> Vec<Range<usize>> {
    let mut out = if is_phone_key(key) {
        phone_runs(s)
    } else {
        Vec::new()
    };
    for r in e164_numbers(s) {
        if !out.iter().any(|o| o.start < r.end && r.start < o.end) {
            out.push(r);
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

static PATTERN_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)user-account:(?:account_login|user_id|display_name)\s*(?:NOT\s+)?(?:(?:=|!=|LIKE|MATCHES)\s*'((?:[^'\\]|\\.)*)'|IN\s*\(((?:[^)'\\]|'(?:[^'\\]|\\.)*')*)\))",
    )
    .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

static QUOTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"'((?:[^'\\]|\\.)*)'").unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

/// The string literals a STIX pattern compares user accounts with (unescaped).
pub(crate) fn pattern_account_literals(pattern: &str) -> Vec<String> {
    if !pattern.contains("user-account:") && !pattern.to_ascii_lowercase().contains("user-account:")
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in PATTERN_ACCOUNT.captures_iter(pattern) {
        if let Some(one) = c.get(1) {
            out.push(unescape_pattern(one.as_str()));
        }
        if let Some(list) = c.get(2) {
            for q in QUOTED.captures_iter(list.as_str()) {
                if let Some(m) = q.get(1) {
                    out.push(unescape_pattern(m.as_str()));
                }
            }
        }
    }
    out
}

fn unescape_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How a value is written inside a STIX pattern's quoted string.
pub(crate) fn escape_pattern(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,3})?")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:/[0-9]{1,3})?")
        .unwrap_or_else(|e| unreachable!("constant regex: {e}"))
});

/// Splits `addr[/len]` into the address and network; `None` if it is not one.
fn literal_net(text: &str) -> Option<(IpNet, usize)> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let ip: IpAddr = addr
        .parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| addr.parse::<Ipv6Addr>().map(IpAddr::V6))
        .ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match prefix
        .and_then(|p| p.parse::<u8>().ok())
        .filter(|p| *p <= max)
    {
        Some(p) => IpNet::new(ip, p).ok().map(|n| (n, text.len())),
        None => IpNet::new(ip, max).ok().map(|n| (n, addr.len())),
    }
}

/// IP address and CIDR literals in `s`: byte range and network.
pub(crate) fn ip_literals(s: &str) -> Vec<(Range<usize>, IpNet)> {
    let bytes = s.as_bytes();
    let mut out: Vec<(Range<usize>, IpNet)> = Vec::new();
    if s.contains(':') {
        for m in IPV6.find_iter(s) {
            let start = m.start();
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue;
            }
            let Some((net, len)) = literal_net(m.as_str())
                .or_else(|| literal_net(m.as_str().trim_end_matches(['.', ':'])))
            else {
                continue;
            };
            let end = start + len;
            if !net.addr().is_ipv6() || net.addr().is_unspecified() {
                continue;
            }
            if end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                continue;
            }
            out.push((start..end, net));
        }
    }
    if s.contains('.') {
        for m in IPV4.find_iter(s) {
            let start = m.start();
            if start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'.') {
                continue;
            }
            if out.iter().any(|(r, _)| r.start <= start && start < r.end) {
                continue;
            }
            let Some((net, len)) = literal_net(m.as_str()) else {
                continue;
            };
            let end = start + len;
            let next_digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
            if next_digit(end) || (bytes.get(end) == Some(&b'.') && next_digit(end + 1)) {
                continue;
            }
            out.push((start..end, net));
        }
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, rs: Vec<Range<usize>>) -> Vec<&str> {
        rs.into_iter().map(|r| &s[r]).collect()
    }

    #[test]
    fn emails_anywhere_but_not_hashed_ones() {
        let s = "[email-addr:value = 'Alice.B@example.org'] OR mail h-0123456789abcdef@redacted.invalid, bob@x.co.";
        assert_eq!(texts(s, emails(s)), ["Alice.B@example.org", "bob@x.co"]);
        assert!(emails("user@localhost and 2026-11-22T00:00:00Z").is_empty());
    }

    #[test]
    fn e164_only_when_clearly_formatted() {
        let s = "call +49 30 1234567 or +1 (555) 010-9999; not 0301234567, not +0100, \
                 not 2026-11-22T00:00:00+01:00, not +999 12345678901";
        assert_eq!(
            texts(s, e164_numbers(s)),
            ["+49 30 1234567", "+1 (555) 010-9999"]
        );
        let run_on = "+49 30 12345678 2026 11";
        assert_eq!(texts(run_on, e164_numbers(run_on)), ["+49 30 12345678"]);
    }

    #[test]
    fn phone_properties_take_local_formats() {
        let s = "030 1234567, updated 2026-11-22";
        assert_eq!(texts(s, phones(s, "x_phone")), ["030 1234567"]);
        assert!(phones(s, "description").is_empty());
    }

    #[test]
    fn account_literals_in_patterns() {
        let p = "[user-account:account_login = 'jdoe'] OR [user-account:user_id IN ('1001', 'o\\'neil')] AND [file:name = 'x']";
        assert_eq!(pattern_account_literals(p), ["jdoe", "1001", "o'neil"]);
        assert_eq!(escape_pattern("o'neil"), "o\\'neil");
    }

    #[test]
    fn ip_literals_v4_v6_and_cidr() {
        let s = "from 10.1.2.3, 192.0.2.0/24, [2001:db8::1]:443, fe80::/10; not 1.2.3.4.5, \
                 v10:20:30.000Z, std::io, 00:11:22:33:44:55";
        let got: Vec<String> = ip_literals(s)
            .into_iter()
            .map(|(_, n)| n.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "10.1.2.3/32",
                "192.0.2.0/24",
                "2001:db8::1/128",
                "fe80::/10"
            ]
        );
    }

    #[test]
    fn hashed_tokens() {
        assert!(is_hashed_token("h-0123456789abcdef"));
        assert!(!is_hashed_token("h-0123456789abcdeg"));
        assert!(!is_hashed_token("jdoe"));
    }
}

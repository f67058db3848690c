//! Property tests over random objects, provenances and policies: nothing denied is ever
//! sent, redacted values are gone from the whole JSON, what is sent is valid STIX, and
//! `decide` is deterministic.

use concord_policy::{Decision, Policy, Verdict, decide, detect};
use concord_stix::Tlp;
use concord_stix::concord_ext::{Distribution, EXTENSION_ID, Grading, PAP_IDS, Pap};
use concord_stix::markings::TLP_IDS;
use ipnet::IpNet;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{ctx, peer};

const CATEGORIES: &[&str] = &[
    "personal-information",
    "victim-identity",
    "critical-infrastructure",
    "vulnerability-detail",
    "malware-sample",
];

// ---- Values ----

fn email() -> impl Strategy<Value = String> {
    (
        "[a-z]{3,8}",
        "[g-z]{3,6}",
        prop::sample::select(vec!["example.org", "victim.example", "corp.net"]),
    )
        .prop_map(|(a, b, d)| format!("{a}.{b}@{d}"))
}

fn name() -> impl Strategy<Value = String> {
    ("[A-Z][a-z]{2,6}", "[A-Z][a-z]{2,8}").prop_map(|(a, b)| format!("{a} {b}"))
}

fn login() -> impl Strategy<Value = String> {
    "[g-z]{4,8}[0-9]{2}"
}

fn sid() -> impl Strategy<Value = String> {
    "[0-9]{6,9}".prop_map(|n| format!("S-1-5-21-{n}"))
}

fn phone() -> impl Strategy<Value = String> {
    ("[1-8][0-9]?", "[1-9][0-9]{2}", "[0-9]{3,4}", "[0-9]{3}")
        .prop_map(|(cc, a, b, c)| format!("+{cc} {a} {b} {c}"))
}

fn ip() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..=255, 0u8..=255, 1u8..=254).prop_map(|(a, b, c)| format!("10.{a}.{b}.{c}")),
        (1u8..=254).prop_map(|c| format!("198.51.100.{c}")),
        (1u16..=0xfffe, 1u16..=0xfffe).prop_map(|(a, b)| format!("2001:db8:{a:x}::{b:x}")),
        (1u16..=0xfffe).prop_map(|b| format!("2001:4860::{b:x}")),
    ]
}

/// Free text with some of the values mixed in.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!["beacon", "seen", "phishing", "report", "C2", "from", "to", "and"])
                .prop_map(str::to_owned),
            1 => email(),
            1 => name(),
            1 => login(),
            1 => phone(),
            1 => ip(),
        ],
        1..8,
    )
    .prop_map(|w| w.join(" "))
}

// ---- Objects ----

const TS: &str = "2026-11-22T00:00:00.000Z";

fn grading() -> impl Strategy<Value = Option<Grading>> {
    prop::option::of(
        (
            prop::sample::select(vec!["general", "important", "core"]),
            prop::sample::subsequence(CATEGORIES.to_vec(), 0..=2),
            prop::sample::select(vec![
                Distribution::Node,
                Distribution::Peers,
                Distribution::Federation,
                Distribution::Federation,
            ]),
            0u32..4,
        )
            .prop_map(|(c, cats, distribution, hops)| Grading {
                classification: serde_json::from_value(json!(c)).unwrap(),
                categories: cats.into_iter().map(str::to_owned).collect(),
                distribution,
                hops,
            }),
    )
}

fn markings() -> impl Strategy<Value = Vec<&'static str>> {
    let ids: Vec<&'static str> = TLP_IDS
        .iter()
        .map(|(i, ..)| *i)
        .chain(PAP_IDS.iter().map(|(i, ..)| *i))
        .collect();
    prop::sample::subsequence(ids, 0..=2)
}

fn body() -> impl Strategy<Value = Value> {
    prop_oneof![
        (text(), email()).prop_map(|(t, e)| json!({
            "type": "note", "id": "note--6d1c9c4e-2b7a-4f0e-9a51-0c4b8f3d2e11",
            "created": TS, "modified": TS, "content": t,
            "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],
            "x_contacts": { e: "primary" },
        })),
        (email(), login(), ip(), text()).prop_map(|(e, l, i, t)| {
            let ty = if i.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
            json!({
                "type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": TS, "modified": TS, "valid_from": TS, "pattern_type": "stix",
                "pattern": format!("[email-addr:value = '{e}'] OR [user-account:account_login = '{l}'] OR [{ty}:value = '{i}']"),
                "description": t,
                "external_references": [{"source_name": "case", "description": format!("{e} {l}")}],
            })
        }),
        (name(), email(), phone(), text()).prop_map(|(n, e, p, t)| json!({
            "type": "identity", "id": "identity--3c6b9f0a-1d2e-4f5a-8b7c-9d0e1f2a3b4c",
            "created": TS, "modified": TS, "name": n.clone(), "identity_class": "individual",
            "contact_information": format!("{e}, {p}"),
            "description": format!("{n}: {t}"),
        })),
        (login(), sid(), name()).prop_map(|(l, s, n)| json!({
            "type": "user-account", "id": "user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c",
            "account_login": l, "user_id": s, "display_name": n,
        })),
        (email(), name()).prop_map(|(e, n)| json!({
            "type": "email-addr", "id": "email-addr--2d1c1b2c-7b43-5d56-8b5f-9a7bb7ed1c5a",
            "value": e, "display_name": n,
        })),
        ip().prop_map(|i| {
            let ty = if i.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
            json!({"type": ty, "id": format!("{ty}--ff26c055-6336-5bc5-b98d-13d6226742dd"), "value": i})
        }),
        Just(json!({
            "type": "observed-data", "id": "observed-data--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
            "created": TS, "modified": TS, "first_observed": TS, "last_observed": TS,
            "number_observed": 1,
            "object_refs": ["user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c",
                            "email-addr--2d1c1b2c-7b43-5d56-8b5f-9a7bb7ed1c5a"],
        })),
    ]
}

fn object() -> impl Strategy<Value = Value> {
    (body(), markings(), grading(), any::<bool>()).prop_map(|(mut v, marks, g, granular)| {
        v["spec_version"] = json!("2.1");
        if let Some((first, rest)) = marks.split_first() {
            if granular {
                v["object_marking_refs"] = json!(rest);
                v["granular_markings"] = json!([{"marking_ref": first, "selectors": ["type"]}]);
            } else {
                v["object_marking_refs"] = json!(marks);
            }
            if v["object_marking_refs"] == json!([]) {
                v.as_object_mut().unwrap().remove("object_marking_refs");
            }
        }
        if let Some(g) = g {
            g.apply(&mut v);
        }
        v
    })
}

#[derive(Debug, Clone)]
struct Prov {
    received: Option<u32>,
    to_sender: bool,
}

fn provenance() -> impl Strategy<Value = Prov> {
    (prop::option::of(0u32..5), prop::bool::weighted(0.05)).prop_map(|(received, to_sender)| Prov {
        received,
        to_sender,
    })
}

// ---- Policies ----

fn policy_text() -> impl Strategy<Value = String> {
    let levels = vec!["clear", "green", "amber", "amber+strict"];
    (
        (
            prop::sample::select(vec!["clear", "green", "green", "amber", "amber+strict", "red"]),
            [any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()],
            any::<bool>(),
            prop::sample::subsequence(levels, 1..=4),
            prop::option::weighted(0.3, prop::sample::subsequence(vec!["clear", "green", "amber", "red"], 0..=4)),
            prop::bool::weighted(0.15),
        ),
        (
            prop::sample::select(vec!["general", "important", "core"]),
            prop::sample::subsequence(CATEGORIES.to_vec(), 0..=2),
            prop::sample::subsequence(CATEGORIES.to_vec(), 0..=4),
            any::<bool>(),
            [any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()],
            prop::option::of(prop::sample::select(vec![8u8, 16, 24])),
            prop::option::of(prop::sample::select(vec![32u8, 48, 64])),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (unmarked, det, constituency, tlp, pap, require_pap),
                (max, deny, redact, drop, hash, v4, v6, all),
            )| {
                let list = |v: &[&str]| {
                    v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
                };
                let redact: Vec<&str> = redact.into_iter().filter(|c| !deny.contains(c)).collect();
                let mut t = format!(
                    "unmarked_tlp = {unmarked:?}\n[detectors]\nemail = {}\nphone = {}\nuser_account = {}\nindividual = {}\n",
                    det[0], det[1], det[2], det[3]
                );
                if constituency {
                    t += "constituency = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n";
                }
                t += &format!(
                    "[[agreement]]\nname = \"random\"\npeers = \"*\"\ntlp = [{}]\nrequire_pap = {require_pap}\nmax_classification = {max:?}\ndeny_categories = [{}]\nredact_categories = [{}]\n",
                    list(&tlp),
                    list(&deny),
                    list(&redact)
                );
                if let Some(p) = pap {
                    t += &format!("pap = [{}]\n", list(&p));
                }
                t += &format!(
                    "[agreement.redaction]\nhash_emails = {}\nhash_phones = {}\nhash_user_accounts = {}\nhash_names = {}\nip_scope = {:?}\n",
                    hash[0], hash[1], hash[2], hash[3], if all { "all" } else { "constituency" }
                );
                if drop {
                    t += "drop = [\"x_contacts\"]\n";
                }
                if let Some(p) = v4 {
                    t += &format!("ipv4_prefix = {p}\n");
                }
                if let Some(p) = v6 {
                    t += &format!("ipv6_prefix = {p}\n");
                }
                t
            },
        )
}

// ---- Helpers ----

fn refs(v: &Value) -> Vec<&str> {
    let mut r: Vec<&str> = v["object_marking_refs"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(g) = v["granular_markings"].as_array() {
        r.extend(g.iter().filter_map(|m| m["marking_ref"].as_str()));
    }
    r
}

fn run(policy: &Policy, object: &Value, prov: &Prov) -> (Decision, concord_policy::Provenance) {
    let p = concord_policy::Provenance {
        origin: if prov.received.is_some() {
            "node-o".into()
        } else {
            crate::common::LOCAL.into()
        },
        received_from: prov.received.map(|_| "node-b".into()),
        hops_left: prov.received,
    };
    let to = peer(if prov.to_sender { "node-b" } else { "node-p" });
    (decide(policy, &ctx(), object, &p, &to), p)
}

fn nets(s: &str) -> Vec<IpNet> {
    // Every IP literal of the JSON text, found the simple way: split on what cannot be in one.
    s.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '/'))
        .filter_map(|w| {
            let w = w.trim_matches(|c| c == '.' || c == ':');
            w.parse::<IpNet>()
                .ok()
                .or_else(|| w.parse::<std::net::IpAddr>().ok().map(IpNet::from))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// (a) Nothing denied is ever sent, and what is sent is valid STIX.
    #[test]
    fn nothing_denied_is_ever_sent(text in policy_text(), object in object(), prov in provenance()) {
        let policy = Policy::parse(&text).unwrap();
        prop_assert!(concord_stix::Object::from_value(object.clone()).is_ok(), "generator made invalid STIX: {object}");
        let (d, p) = run(&policy, &object, &prov);
        if d.verdict == Verdict::Withhold {
            prop_assert!(d.object.is_none());
            return Ok(());
        }
        let a = &policy.agreements()[0];
        let sent = d.object.clone().unwrap();
        let tlp = Tlp::strictest(refs(&object)).unwrap_or(policy.unmarked_tlp);
        prop_assert_ne!(tlp, Tlp::Red);
        prop_assert!(a.tlp.contains(&tlp));
        prop_assert!(!(tlp == Tlp::AmberStrict && p.received_from.is_some()));
        prop_assert!(!(prov.to_sender && prov.received.is_some()));
        let g = Grading::of(&object).unwrap();
        prop_assert!(g.classification <= a.max_classification);
        prop_assert_ne!(g.distribution, Distribution::Node);
        if g.distribution == Distribution::Peers {
            prop_assert!(p.received_from.is_none());
        }
        if let Some(h) = p.hops_left {
            prop_assert!(h > 0 && d.hops_left < h.min(g.hops));
        }
        match (Pap::strictest(refs(&object)), &a.pap) {
            (None, _) => prop_assert!(!a.require_pap),
            (Some(level), Some(allowed)) => prop_assert!(allowed.contains(&level)),
            _ => {}
        }
        for c in &g.categories {
            prop_assert!(!a.deny_categories.contains(c), "declared {c} sent");
        }
        for det in detect(&policy, &object) {
            prop_assert!(!a.deny_categories.contains(&det.category), "detected {} sent", det.category);
        }
        // Categories sent redacted are no longer found in what is sent.
        for det in detect(&policy, &sent) {
            if !a.redact_categories.contains(&det.category) {
                continue;
            }
            let truncated = det.rule == "detector.constituency" && det.value.parse::<IpNet>().is_ok_and(|n| {
                let p = if n.addr().is_ipv4() { a.redaction.ipv4_prefix } else { a.redaction.ipv6_prefix };
                p.is_some_and(|p| n.prefix_len() <= p)
            });
            prop_assert!(truncated, "{} still found by {} at {} in {sent}", det.category, det.rule, det.path);
        }
        prop_assert!(concord_stix::Object::from_value(sent.clone()).is_ok(), "sent invalid STIX: {sent}");
        if let Some(pattern) = sent["pattern"].as_str() {
            prop_assert!(concord_pattern::parse(pattern).is_ok(), "redacted pattern does not parse: {pattern}");
        }
        prop_assert_eq!(d.verdict == Verdict::SendRedacted, sent != object);
        prop_assert!(sent.get("extensions").and_then(|e| e.get(EXTENSION_ID)) == object.get("extensions").and_then(|e| e.get(EXTENSION_ID)));
    }

    /// (b) A redacted value appears nowhere in the JSON text of what is sent.
    #[test]
    fn redacted_values_are_gone(text in policy_text(), object in object(), prov in provenance()) {
        let policy = Policy::parse(&text).unwrap();
        let (d, _) = run(&policy, &object, &prov);
        let Some(sent) = d.object else { return Ok(()) };
        let out = sent.to_string();
        let r = &policy.agreements()[0].redaction;
        for det in detect(&policy, &object) {
            let hashed = match det.rule.as_str() {
                "detector.email" => r.hash_emails,
                "detector.phone" => r.hash_phones,
                "detector.user-account" => r.hash_user_accounts,
                "detector.individual" => r.hash_names,
                _ => false,
            };
            if hashed {
                prop_assert!(!out.contains(&det.value), "{} ({}) left in {out}", det.value, det.rule);
            }
        }
        // Truncated addresses: in scope (constituency or all), no literal of the original remains.
        let left = nets(&out);
        for n in nets(&object.to_string()) {
            let prefix = if n.addr().is_ipv4() { r.ipv4_prefix } else { r.ipv6_prefix };
            let in_scope = r.ip_scope == concord_policy::IpScope::All
                || policy.detectors.constituency.iter().any(|c| c.contains(&n));
            if let Some(p) = prefix && in_scope && p < n.prefix_len() {
                prop_assert!(!left.contains(&n), "{n} left in {out}");
            }
        }
        // Ids of personal SCOs are keyed when their values are hashed.
        if r.hash_emails {
            prop_assert!(!out.contains("2d1c1b2c-7b43-5d56-8b5f-9a7bb7ed1c5a"));
        }
        if r.hash_user_accounts {
            prop_assert!(!out.contains("0d5b424b-93b8-5cd8-ac36-306e1789d63c"));
        }
    }

    /// (c) The same inputs give the same decision.
    #[test]
    fn decide_is_deterministic(text in policy_text(), object in object(), prov in provenance()) {
        let policy = Policy::parse(&text).unwrap();
        let (a, _) = run(&policy, &object, &prov);
        let (b, _) = run(&Policy::parse(&text).unwrap(), &object.clone(), &prov);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.to_string(), b.to_string());
    }
}

/// The properties above are only worth something if the generators reach every verdict
/// often enough.
#[test]
fn generators_reach_every_verdict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (policy_text(), object(), provenance());
    let mut counts = std::collections::BTreeMap::new();
    let mut hashed = 0;
    for _ in 0..1000 {
        let (text, object, prov) = strategy.new_tree(&mut runner).unwrap().current();
        let (d, _) = run(&Policy::parse(&text).unwrap(), &object, &prov);
        *counts.entry(d.verdict.as_str()).or_insert(0) += 1;
        if d.verdict == Verdict::SendRedacted
            && d.reasons.iter().any(|r| r.rule.ends_with("redact.email"))
        {
            hashed += 1;
        }
    }
    eprintln!("{counts:?}, {hashed} with hashed e-mail addresses");
    for v in ["send", "send-redacted", "withhold"] {
        assert!(counts.get(v).copied().unwrap_or(0) >= 30, "{v}: {counts:?}");
    }
    assert!(hashed >= 10, "{hashed}");
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9@.:+/' \\\\()\\-éß中]{0,24}".prop_map(Value::from),
        prop::sample::select(vec![
            "user-account",
            "identity",
            "individual",
            "note",
            "indicator",
            "pattern",
            "10.1.2.3",
            "2001:db8::1",
            "+49 30 1234567",
            "a@b.org",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "id",
                    "name",
                    "identity_class",
                    "pattern",
                    "value",
                    "account_login",
                    "user_id",
                    "display_name",
                    "x_phone",
                    "contact_information",
                    "extensions",
                    "object_marking_refs",
                    "granular_markings",
                    "description",
                    "a@b.org",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Arbitrary JSON, however odd, gets a decision and never a panic; whatever is sent
    /// was valid STIX before redaction or is valid after it.
    #[test]
    fn decide_never_panics(text in policy_text(), object in any_json(), prov in provenance()) {
        let policy = Policy::parse(&text).unwrap();
        let (d, _) = run(&policy, &object, &prov);
        if d.verdict == Verdict::SendRedacted {
            prop_assert!(concord_stix::Object::from_value(d.object.unwrap()).is_ok());
        }
        let _ = detect(&policy, &object);
    }
}

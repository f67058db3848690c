//! Unit tests of the evaluator.

use serde_json::json;

use super::*;
use crate::parse;

fn obs(first: &str, last: &str, n: u64, objects: &[Value]) -> Observation {
    let mut o = Observation::new(
        Timestamp::parse(first).unwrap(),
        Timestamp::parse(last).unwrap(),
        n,
    );
    for (i, v) in objects.iter().enumerate() {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| i.to_string(), str::to_string);
        o.objects.insert(id, v.clone());
    }
    o
}

fn m(pattern: &str, data: &[Observation]) -> bool {
    matches(&parse(pattern).unwrap(), data)
}

#[test]
fn comparisons_and_references() {
    let o = obs(
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z",
        1,
        &[
            json!({"id": "ipv4-addr--1", "type": "ipv4-addr", "value": "10.1.2.3"}),
            json!({"id": "nt--1", "type": "network-traffic", "src_ref": "ipv4-addr--1", "dst_port": 443,
               "payload_hex": "ffd8"}),
            json!({"id": "email-addr--1", "type": "email-addr", "value": "a@example.com"}),
            json!({"id": "email-message--1", "type": "email-message", "to_refs": ["email-addr--1"]}),
        ],
    );
    let data = [o];
    assert!(m(
        "[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']",
        &data
    ));
    assert!(m(
        "[email-message:to_refs[*].value LIKE '%@example.com']",
        &data
    ));
    assert!(m("[email-message:to_refs[0].value MATCHES '^a@']", &data));
    assert!(m(
        "[network-traffic:dst_port >= 443 AND network-traffic:dst_port < 444.5]",
        &data
    ));
    assert!(m("[network-traffic:payload_hex = h'ffd8']", &data));
    assert!(m("[network-traffic:dst_port NOT IN (80, 8080)]", &data));
    assert!(!m("[network-traffic:dst_port = '443']", &data));
    assert!(m("[network-traffic:dst_port != '443']", &data));
    assert!(!m(
        "[ipv4-addr:value = '10.1.2.3' AND network-traffic:dst_port = 443]",
        &data
    ));
    assert!(m(
        "[ipv4-addr:value = '10.1.2.3' OR network-traffic:dst_port = 1]",
        &data
    ));
}

#[test]
fn observation_operators_and_qualifiers() {
    let a = json!({"type": "domain-name", "value": "a.example"});
    let b = json!({"type": "domain-name", "value": "b.example"});
    let data = [
        obs(
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:10Z",
            1,
            std::slice::from_ref(&a),
        ),
        obs(
            "2024-01-01T00:01:00Z",
            "2024-01-01T00:01:00Z",
            1,
            std::slice::from_ref(&b),
        ),
    ];
    assert!(m(
        "[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']",
        &data
    ));
    assert!(m(
        "[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']",
        &data
    ));
    assert!(!m(
        "[domain-name:value = 'b.example'] FOLLOWEDBY [domain-name:value = 'a.example']",
        &data
    ));
    assert!(!m(
        "([domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']) WITHIN 30 SECONDS",
        &data
    ));
    assert!(m(
        "([domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']) WITHIN 50 SECONDS",
        &data
    ));
    assert!(!m(
        "[domain-name:value = 'a.example'] REPEATS 2 TIMES",
        &data
    ));
    assert!(m(
        "[domain-name:value LIKE '%.example'] REPEATS 2 TIMES",
        &data
    ));
    assert!(m(
        "[domain-name:value = 'b.example'] START t'2024-01-01T00:00:30Z' STOP t'2024-01-01T00:02:00Z'",
        &data
    ));
    assert!(!m(
        "[domain-name:value = 'a.example'] START t'2024-01-01T00:00:30Z' STOP t'2024-01-01T00:02:00Z'",
        &data
    ));
    let many = [obs("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 3, &[a])];
    assert!(m(
        "[domain-name:value = 'a.example'] REPEATS 3 TIMES",
        &many
    ));
    assert!(!m(
        "[domain-name:value = 'a.example'] REPEATS 4 TIMES",
        &many
    ));
    assert_eq!(
        find_match(&parse("[domain-name:value = 'b.example']").unwrap(), &data),
        Some(vec![1])
    );
}

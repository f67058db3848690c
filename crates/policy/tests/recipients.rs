//! The built-in `builtin.recipients` rule: an object addressed to some peers (Concord's
//! extension, `recipients`) is withheld from every other peer, whatever the agreement says.

use concord_policy::{Context, Peer, Policy, Provenance, Verdict, decide};
use concord_stix::Tlp;
use concord_stix::concord_ext::set_recipients;
use serde_json::{Value, json};

fn alert() -> Value {
    json!({
        "type": "incident", "spec_version": "2.1",
        "id": "incident--2f0b8f2e-4b7a-4c34-9d1e-5f3b1c2a7e10",
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "name": "Ransomware campaign",
        "object_marking_refs": [Tlp::Green.marking_id()]
    })
}

fn peer(id: &str, name: &str) -> Peer {
    Peer {
        node_id: id.into(),
        name: name.into(),
        country: None,
        sectors: Vec::new(),
        agreement: None,
        communities: Vec::new(),
    }
}

fn verdict(object: &Value, prov: &Provenance, to: &Peer) -> (Verdict, Vec<String>) {
    let policy = Policy::builtin_default();
    let ctx = Context {
        local_node: "node-a",
        redaction_key: b"k",
    };
    let d = decide(&policy, &ctx, object, prov, to);
    (
        d.verdict,
        d.reasons.iter().map(|r| r.rule.clone()).collect(),
    )
}

fn here() -> Provenance {
    Provenance {
        origin: "node-a".into(),
        received_from: None,
        hops_left: None,
    }
}

#[test]
fn an_addressed_object_goes_to_its_recipients_only() {
    let mut v = alert();
    set_recipients(&mut v, &["node-b".into(), "cert-c".into()]);
    // By node id and by peer name.
    assert_eq!(verdict(&v, &here(), &peer("node-b", "b")).0, Verdict::Send);
    assert_eq!(
        verdict(&v, &here(), &peer("node-c", "cert-c")).0,
        Verdict::Send
    );
    let (verdict_d, rules) = verdict(&v, &here(), &peer("node-d", "d"));
    assert_eq!(verdict_d, Verdict::Withhold);
    assert_eq!(rules, ["builtin.recipients"]);
}

#[test]
fn a_received_addressed_object_is_not_passed_to_others() {
    let mut v = alert();
    set_recipients(&mut v, &["node-b".into(), "node-c".into()]);
    let via_b = Provenance {
        origin: "node-x".into(),
        received_from: Some("node-b".into()),
        hops_left: Some(3),
    };
    assert_eq!(verdict(&v, &via_b, &peer("node-c", "c")).0, Verdict::Send);
    assert_eq!(
        verdict(&v, &via_b, &peer("node-d", "d")).0,
        Verdict::Withhold
    );
}

#[test]
fn an_unaddressed_object_and_red_keep_their_rules() {
    // No recipients: the agreement decides, as before.
    assert_eq!(
        verdict(&alert(), &here(), &peer("node-d", "d")).0,
        Verdict::Send
    );
    // Addressing never lets TLP:RED out.
    let mut red = alert();
    red["object_marking_refs"] = json!([Tlp::Red.marking_id()]);
    set_recipients(&mut red, &["node-b".into()]);
    let (v, rules) = verdict(&red, &here(), &peer("node-b", "b"));
    assert_eq!(v, Verdict::Withhold);
    assert!(rules.contains(&"builtin.tlp-red".to_owned()), "{rules:?}");
}

//! The response crate over an in-memory store: incidents and their versions, timelines
//! with verified origins, alerts and acknowledgements (including ones that must be
//! ignored), requests for assistance, constituency claims and notifications. Objects
//! "from peers" enter as federation stores them: with a provenance.

use concord_response::{ResponseError, alert, constituency, incident, request, timeline};
use concord_stix::Object;
use concord_store::Store;
use concord_store::federation::{FederationStore, PeerRecord, Provenance};
use concord_store::sqlite::SqliteStore;
use serde_json::{Value, json};

const ME: &str = "node-a";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

fn store() -> SqliteStore {
    let s = SqliteStore::open_in_memory().unwrap();
    for (id, name) in [("node-b", "b"), ("node-c", "c"), ("node-d", "d")] {
        s.put_peer(&PeerRecord {
            node_id: id.into(),
            name: name.into(),
            url: format!("http://{name}.invalid"),
            public_key: "00".into(),
            country: Some(if name == "b" {
                "BE".into()
            } else {
                "FR".into()
            }),
            added: "2026-01-01T00:00:00.000Z".into(),
            ..PeerRecord::default()
        })
        .unwrap();
    }
    s
}

/// Stores `v` as if received from `origin` (and via it).
fn receive(s: &SqliteStore, origin: &str, v: Value) {
    let obj = Object::from_value(v).unwrap();
    let prov = Provenance {
        origin: origin.into(),
        origin_key: "00".into(),
        signature: "sig".into(),
        received_from: origin.into(),
        hops_left: 0,
        redactor: None,
    };
    let head = s.head_seq().unwrap();
    let results = s
        .ingest_received("this-node", origin, &[obj], &[prov], head + 1, head + 1)
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

fn valid(v: &Value) {
    Object::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
}

#[test]
fn incidents_open_update_close_as_new_versions() {
    let s = store();
    let ind = json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
        "valid_from": "2026-02-01T00:00:00Z"});
    concord_response::store_objects(&s, vec![ind]).unwrap();
    let id = incident::open(
        &s,
        &incident::NewIncident {
            name: "Ransomware wave".into(),
            severity: Some("high".into()),
            incident_types: vec!["ransomware".into()],
            first_seen: Some("2026-02-01T00:00:00Z".into()),
            links: vec!["indicator--00000000-0000-4000-8000-000000000001".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let v = incident::show(&s, ME, &id).unwrap();
    assert_eq!(v["criticality"], 75);
    assert_eq!(v["severity"], "high");
    assert_eq!(v["tlp"], "green");
    assert_eq!(v["local"], true);
    valid(&v["object"]);
    incident::update(
        &s,
        &id,
        &incident::IncidentChange {
            investigation_status: Some("open".into()),
            determination: Some("successful-attempt".into()),
            last_seen: Some("2026-02-02T00:00:00Z".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let closed = incident::close(&s, &id, None).unwrap();
    valid(&closed);
    let v = incident::show(&s, ME, &id).unwrap();
    assert_eq!(v["investigation_status"], "closed");
    assert_eq!(v["determination"], "successful-attempt");
    assert_eq!(v["versions"], 3);
    assert_eq!(incident::list(&s, ME, 10).unwrap().len(), 1);

    // Bad input is named.
    let err = |r: Result<_, ResponseError>| r.unwrap_err().to_string();
    assert!(err(incident::open(&s, &Default::default())).contains("name"));
    let bad = incident::NewIncident {
        name: "x".into(),
        determination: Some("maybe".into()),
        ..Default::default()
    };
    assert!(err(incident::open(&s, &bad)).contains("determination"));
    let bad = incident::NewIncident {
        name: "x".into(),
        first_seen: Some("2026-02-02T00:00:00Z".into()),
        last_seen: Some("2026-02-01T00:00:00Z".into()),
        ..Default::default()
    };
    assert!(err(incident::open(&s, &bad)).contains("before first_seen"));

    // A peer's sighting of the linked indicator, and its note on the incident.
    receive(
        &s,
        "node-b",
        json!({"type": "sighting", "spec_version": "2.1",
            "id": "sighting--00000000-0000-4000-8000-000000000005",
            "created": "2026-02-03T00:00:00.000Z", "modified": "2026-02-03T00:00:00.000Z",
            "sighting_of_ref": "indicator--00000000-0000-4000-8000-000000000001", "count": 4}),
    );
    receive(
        &s,
        "node-c",
        json!({"type": "note", "spec_version": "2.1",
            "id": "note--00000000-0000-4000-8000-000000000006",
            "created": "2026-02-04T00:00:00.000Z", "modified": "2026-02-04T00:00:00.000Z",
            "content": "Seen here too", "object_refs": [id]}),
    );
    // The timeline: three versions, the link, the sighting and the note, each with its
    // origin.
    let t = timeline::timeline(&s, ME, &id).unwrap();
    let sighting = t.iter().find(|e| e.object_type == "sighting").unwrap();
    assert_eq!(sighting.origin, "node-b");
    assert!(
        sighting.summary.contains("4 time(s)"),
        "{}",
        sighting.summary
    );
    let note = t.iter().find(|e| e.object_type == "note").unwrap();
    assert_eq!(
        (note.origin.as_str(), note.origin_name.as_deref()),
        ("node-c", Some("c"))
    );
    let kinds: Vec<&str> = t.iter().map(|e| e.object_type.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "incident").count(),
        3,
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"relationship") && kinds.contains(&"indicator"),
        "{kinds:?}"
    );
    assert!(t.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn received_incidents_are_versioned_only_by_their_origin() {
    let s = store();
    let inc = json!({"type": "incident", "spec_version": "2.1",
        "id": "incident--00000000-0000-4000-8000-0000000000b1",
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": "B's incident"});
    receive(&s, "node-b", inc);
    let e = incident::update(
        &s,
        "incident--00000000-0000-4000-8000-0000000000b1",
        &Default::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ResponseError::Refused(_)), "{e}");
    let t = timeline::timeline(&s, ME, "incident--00000000-0000-4000-8000-0000000000b1").unwrap();
    assert_eq!(t[0].origin, "node-b");
    assert_eq!(t[0].origin_name.as_deref(), Some("b"));
    assert!(!t[0].local);
}

fn ack_from(
    s: &SqliteStore,
    origin: &str,
    by: &str,
    alert_id: &str,
    status: &str,
    n: u32,
) -> String {
    let id = format!("opinion--00000000-0000-4000-8000-{n:012}");
    let mut v = json!({"type": "opinion", "spec_version": "2.1", "id": id,
        "created": "2026-03-01T00:00:00.000Z", "modified": format!("2026-03-01T00:00:0{n}.000Z"),
        "opinion": "neutral", "object_refs": [alert_id], "object_marking_refs": [GREEN]});
    concord_response::ext::set(
        &mut v,
        concord_response::ext::props(json!({"kind": "ack", "status": status, "by_node": by})),
    );
    receive(s, origin, v);
    id
}

#[test]
fn alerts_count_acknowledgements_from_addressed_peers_only() {
    let s = store();
    let id = incident::open(
        &s,
        &incident::NewIncident {
            name: "Wiper".into(),
            ..Default::default()
        },
    )
    .unwrap();
    // Bad addresses are named.
    assert!(
        alert::send(&s, &id, &["nobody".into()])
            .unwrap_err()
            .to_string()
            .contains("nobody")
    );
    let v = alert::send(&s, &id, &["b".into(), "country:FR".into()]).unwrap();
    valid(&v);
    let to = concord_stix::concord_ext::recipients(&v);
    assert_eq!(to, ["node-b", "node-c", "node-d"]);
    let st = alert::status(&s, ME, &id, 3600).unwrap();
    assert!(
        st.peers
            .iter()
            .all(|p| p.state == "no-answer" && !p.overdue)
    );

    ack_from(&s, "node-b", "node-b", &id, "seen", 1);
    ack_from(&s, "node-b", "node-b", &id, "acting", 2);
    ack_from(&s, "node-c", "node-c", &id, "not-affected", 3);
    // From a peer not addressed, and forged (claims to be D, signed by C).
    ack_from(&s, "node-x", "node-x", &id, "seen", 4);
    ack_from(&s, "node-c", "node-d", &id, "resolved", 5);
    let st = alert::status(&s, ME, &id, 0).unwrap();
    let state = |p: &str| st.peers.iter().find(|x| x.peer == p).unwrap().clone();
    assert_eq!(state("node-b").state, "acting");
    assert_eq!(state("node-b").history.len(), 2);
    assert_eq!(state("node-c").state, "not-affected");
    assert_eq!(state("node-d").state, "no-answer");
    assert!(state("node-d").overdue);
    assert_eq!(st.ignored.len(), 2, "{:?}", st.ignored);
    assert!(
        st.ignored
            .iter()
            .any(|i| i.reason.contains("not addressed"))
    );
    assert!(st.ignored.iter().any(|i| i.reason.contains("forged")));

    // Re-announce: D has not answered, so a new round (a new version) goes out.
    assert_eq!(alert::reannounce_due(&s, ME, 0).unwrap(), vec![id.clone()]);
    assert_eq!(alert::status(&s, ME, &id, 0).unwrap().round, 2);
    assert_eq!(s.versions(&id).unwrap().len(), 3);
    // Acknowledging one's own alert is refused.
    assert!(matches!(
        alert::ack(&s, ME, &id, "seen", None),
        Err(ResponseError::Refused(_))
    ));
}

#[test]
fn a_receiver_acknowledges_an_alert_addressed_to_it() {
    let s = store();
    let alert_id = "incident--00000000-0000-4000-8000-0000000000c1";
    let mut v = json!({"type": "incident", "spec_version": "2.1", "id": alert_id,
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": "Alert from B", "object_marking_refs": [GREEN]});
    concord_response::ext::set(
        &mut v,
        concord_response::ext::props(
            json!({"kind": "incident", "alert": {"urgent": true, "round": 1, "sent": "2026-02-01T00:00:00.000Z"}}),
        ),
    );
    concord_stix::concord_ext::set_recipients(&mut v, &[ME.into()]);
    receive(&s, "node-b", v.clone());
    assert!(matches!(
        alert::ack(&s, ME, alert_id, "maybe", None),
        Err(ResponseError::Invalid(_))
    ));
    assert!(matches!(
        alert::ack(
            &s,
            ME,
            "incident--00000000-0000-4000-8000-00000000dead",
            "seen",
            None
        ),
        Err(ResponseError::NotFound(_))
    ));
    // Not addressed to node-z.
    assert!(matches!(
        alert::ack(&s, "node-z", alert_id, "seen", None),
        Err(ResponseError::Refused(_))
    ));
    let ack = alert::ack(&s, ME, alert_id, "acting", Some("blocking at the border")).unwrap();
    let held = s.get(&ack).unwrap().unwrap().value();
    valid(&held);
    assert_eq!(concord_stix::concord_ext::recipients(&held), ["node-b"]);
    assert_eq!(held["object_marking_refs"], json!([GREEN]));
    let t = timeline::timeline(&s, ME, alert_id).unwrap();
    assert!(
        t.iter()
            .any(|e| e.kind.as_deref() == Some("ack") && e.local)
    );
}

#[test]
fn requests_need_a_future_deadline_and_answers_from_targets() {
    let s = store();
    let id = incident::open(
        &s,
        &incident::NewIncident {
            name: "C2".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let mut req = request::NewRequest {
        action: "take-down".into(),
        to: vec!["b".into()],
        deadline: "2020-01-01T00:00:00Z".into(),
        text: "Take down 203.0.113.9".into(),
        related: vec![],
    };
    let e = request::create(&s, &id, &req).unwrap_err().to_string();
    assert!(e.contains("in the past"), "{e}");
    req.action = "pray".into();
    assert!(
        request::create(&s, &id, &req)
            .unwrap_err()
            .to_string()
            .contains("action")
    );
    req.action = "take-down".into();
    req.deadline = "2099-01-01T00:00:00Z".into();
    let rid = request::create(&s, &id, &req).unwrap();
    valid(&s.get(&rid).unwrap().unwrap().value());
    let st = request::status(&s, ME, &rid).unwrap();
    assert_eq!(st.targets[0].state, "pending");
    assert_eq!(st.requester, ME);

    // B's answers (received), and one from C that is not a target.
    let answer = |origin: &str, n: u32, state: &str| {
        let mut v = json!({"type": "note", "spec_version": "2.1",
            "id": format!("note--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-03-01T00:00:00.000Z", "modified": format!("2026-03-01T00:00:0{n}.000Z"),
            "content": state, "object_refs": [rid, id]});
        concord_response::ext::set(
            &mut v,
            concord_response::ext::props(
                json!({"kind": "request-response", "state": state, "by_node": origin}),
            ),
        );
        receive(&s, origin, v);
    };
    answer("node-b", 1, "accepted");
    answer("node-b", 2, "done");
    answer("node-c", 3, "declined");
    let st = request::status(&s, ME, &rid).unwrap();
    assert_eq!(st.targets.len(), 1);
    assert_eq!(st.targets[0].state, "done");
    assert_eq!(st.targets[0].history.len(), 2);
    // This node cannot answer its own request.
    assert!(matches!(
        request::respond(&s, ME, &rid, "done", None),
        Err(ResponseError::Refused(_))
    ));
    // The timeline holds the request and both answers.
    let t = timeline::timeline(&s, ME, &id).unwrap();
    assert_eq!(
        t.iter()
            .filter(|e| e.kind.as_deref() == Some("request-response"))
            .count(),
        3
    );
}

#[test]
fn constituency_claims_route_and_raise_notifications() {
    let s = store();
    let me_ident = json!({"type": "identity", "spec_version": "2.1",
        "id": "identity--00000000-0000-4000-8000-0000000000a0",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "CERT-A", "identity_class": "organization"});
    concord_response::store_objects(&s, vec![me_ident]).unwrap();
    let mine =
        constituency::Constituency::parse("ip_ranges = [\"192.0.2.0/24\"]\nnotify = \"send\"")
            .unwrap();
    assert!(
        constituency::publish(
            &s,
            ME,
            "identity--00000000-0000-4000-8000-0000000000a0",
            &mine
        )
        .unwrap()
    );
    assert!(
        !constituency::publish(
            &s,
            ME,
            "identity--00000000-0000-4000-8000-0000000000a0",
            &mine
        )
        .unwrap()
    );
    valid(
        &s.get("identity--00000000-0000-4000-8000-0000000000a0")
            .unwrap()
            .unwrap()
            .value(),
    );

    let claim = |origin: &str, n: u32, node: &str, range: &str| {
        let mut v = json!({"type": "identity", "spec_version": "2.1",
            "id": format!("identity--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
            "name": format!("CERT-{node}"), "identity_class": "organization"});
        concord_response::ext::set(
            &mut v,
            concord_response::ext::props(
                json!({"kind": "constituency", "node_id": node, "ip_ranges": [range]}),
            ),
        );
        receive(&s, origin, v);
    };
    claim("node-b", 1, "node-b", "198.51.100.0/24");
    claim("node-c", 2, "node-c", "198.51.0.0/16");
    // D claims to speak for B: ignored.
    claim("node-d", 3, "node-b", "203.0.113.0/24");
    let members = constituency::members(&s, ME).unwrap();
    assert_eq!(members.len(), 3);
    let r = constituency::explain(&members, "198.51.100.20").unwrap();
    assert_eq!(r.responsible.unwrap().node_id, "node-b");
    assert!(
        constituency::explain(&members, "203.0.113.5")
            .unwrap()
            .responsible
            .is_none()
    );
    assert_eq!(
        constituency::explain(&members, "192.0.2.1")
            .unwrap()
            .responsible
            .unwrap()
            .node_id,
        ME
    );

    // Observed data here touching B's and our own addresses: one notification, to B.
    let od = json!([
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-5000-8000-000000000001", "value": "198.51.100.20"},
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-5000-8000-000000000002", "value": "192.0.2.9"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-000000000001",
         "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
         "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--00000000-0000-5000-8000-000000000001", "ipv4-addr--00000000-0000-5000-8000-000000000002"],
         "object_marking_refs": [GREEN]}
    ]);
    concord_response::store_objects(&s, od.as_array().unwrap().clone()).unwrap();
    let (created, cursor) = constituency::scan(&s, ME, constituency::Notify::Propose, 0).unwrap();
    assert_eq!(created.len(), 1);
    let n = s.get(&created[0]).unwrap().unwrap().value();
    valid(&n);
    assert_eq!(concord_stix::concord_ext::recipients(&n), ["node-b"]);
    assert!(n["content"].as_str().unwrap().contains("198.51.100.20"));
    assert!(!n["content"].as_str().unwrap().contains("192.0.2.9"));
    assert_eq!(
        concord_stix::concord_ext::Grading::of(&n)
            .unwrap()
            .distribution,
        concord_stix::concord_ext::Distribution::Node
    );
    // A re-scan creates nothing new; sending makes it leave (distribution peers).
    assert!(
        constituency::scan(&s, ME, constituency::Notify::Propose, 0)
            .unwrap()
            .0
            .is_empty()
    );
    assert!(cursor > 0);
    let sent = constituency::send(&s, &created[0]).unwrap();
    assert_eq!(
        sent["extensions"][concord_response::ext::RESPONSE_EXT]["state"],
        "sent"
    );
    assert_eq!(constituency::notifications(&s, ME).unwrap().len(), 1);
}

#[test]
fn evidence_keeps_its_contents_and_a_chain_of_custody() {
    use base64::Engine;
    use concord_response::evidence;
    let s = store();
    let dir = tempfile::tempdir().unwrap();
    let id = incident::open(
        &s,
        &incident::NewIncident {
            name: "Exfiltration".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let file = b"GET /stolen.zip HTTP/1.1\r\n";
    // Over the limit, or not the expected hash: nothing stored.
    let e = evidence::add(
        &s,
        ME,
        dir.path(),
        &id,
        &evidence::NewEvidence {
            bytes: file,
            mime_type: None,
            expected_sha256: None,
            max_bytes: 10,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("over the evidence limit"), "{e}");
    let e = evidence::add(
        &s,
        ME,
        dir.path(),
        &id,
        &evidence::NewEvidence {
            bytes: file,
            mime_type: None,
            expected_sha256: Some("00"),
            max_bytes: 1000,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("nothing stored"), "{e}");
    assert!(!evidence::evidence_dir(dir.path()).exists());

    let art = evidence::add(
        &s,
        ME,
        dir.path(),
        &id,
        &evidence::NewEvidence {
            bytes: file,
            mime_type: Some("text/plain"),
            expected_sha256: None,
            max_bytes: 1000,
        },
    )
    .unwrap();
    let held = s.get(&art).unwrap().unwrap().value();
    valid(&held);
    let sha = held["hashes"]["SHA-256"].as_str().unwrap().to_owned();
    assert_eq!(
        std::fs::read(evidence::evidence_dir(dir.path()).join(&sha)).unwrap(),
        file
    );
    let chain = evidence::chain(&s, ME, &art).unwrap();
    assert_eq!(chain.len(), 1);
    assert_eq!(
        (chain[0].event.as_str(), chain[0].verified),
        ("added", true)
    );
    // The artifact is on the incident's timeline.
    let t = timeline::timeline(&s, ME, &id).unwrap();
    assert!(t.iter().any(|e| e.id == art));

    // At a receiver: a good artifact is verified and kept, a tampered one is not.
    let r = store();
    let rdir = tempfile::tempdir().unwrap();
    receive(&r, "node-b", held.clone());
    let mut bad = json!({"type": "artifact", "spec_version": "2.1",
        "id": "artifact--00000000-0000-5000-8000-000000000bad",
        "payload_bin": base64::engine::general_purpose::STANDARD.encode(b"other bytes"),
        "hashes": {"SHA-256": sha}});
    bad["object_marking_refs"] = json!([GREEN]);
    receive(&r, "node-b", bad);
    let mut got = evidence::receive_pending(&r, ME, rdir.path()).unwrap();
    got.sort();
    assert_eq!(got.len(), 2);
    assert!(got.contains(&(art.clone(), true)));
    assert!(got.contains(&(
        "artifact--00000000-0000-5000-8000-000000000bad".into(),
        false
    )));
    let kept: Vec<_> = std::fs::read_dir(evidence::evidence_dir(rdir.path()))
        .unwrap()
        .collect();
    assert_eq!(kept.len(), 1);
    // Nothing is handled twice.
    assert!(
        evidence::receive_pending(&r, ME, rdir.path())
            .unwrap()
            .is_empty()
    );
    let chain = evidence::chain(&r, ME, "artifact--00000000-0000-5000-8000-000000000bad").unwrap();
    assert_eq!(
        (chain[0].event.as_str(), chain[0].verified),
        ("received", false)
    );
}

#[test]
fn versions_signed_here_still_count_as_local() {
    // The federation signer stores this node's own signature beside local versions
    // (`received_from` empty): they stay "created here".
    let s = store();
    let id = incident::open(
        &s,
        &incident::NewIncident {
            name: "Signed".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = s.get(&id).unwrap().unwrap().value();
    let version = v["modified"].as_str().unwrap().to_owned();
    s.put_local_signatures(&[(
        id.clone(),
        version,
        Provenance {
            origin: ME.into(),
            origin_key: "00".into(),
            signature: "sig".into(),
            received_from: String::new(),
            hops_left: 3,
            redactor: None,
        },
    )])
    .unwrap();
    assert!(concord_response::is_local(&s, &v).unwrap());
    assert_eq!(
        concord_response::origin_of(&s, "node-local-id", &v).unwrap(),
        "node-local-id"
    );
    incident::update(
        &s,
        &id,
        &incident::IncidentChange {
            investigation_status: Some("open".into()),
            ..Default::default()
        },
    )
    .unwrap();
}

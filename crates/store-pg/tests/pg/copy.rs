//! Copying a SQLite node into PostgreSQL: the copy answers every read as the original
//! does, and goes on from where the original stopped.

use concord_stix::Tlp;
use concord_store::federation::{AuditEntry, FederationStore, PeerRecord, Provenance};
use concord_store::sqlite::SqliteStore;
use concord_store::users::{ClearedQuery, Users};
use concord_store::{ListQuery, NewToken, Order, Role, Store};
use concord_store_pg::PgStore;
use serde_json::json;

use crate::behaviour::{id_of, indicator, object, put, sco, with};

/// Every version, page by page, as `list_versions` gives them.
fn all_versions(s: &dyn Store) -> Vec<concord_store::StoredObject> {
    let mut out = Vec::new();
    let mut q = ListQuery {
        limit: 7,
        ..ListQuery::default()
    };
    loop {
        let page = s.list_versions(&q).unwrap();
        out.extend(page.objects);
        match page.next {
            Some(n) => q.cursor = Some(n),
            None => return out,
        }
    }
}

fn fill(s: &SqliteStore) -> Vec<String> {
    let a = indicator("phishing beacon", "[ipv4-addr:value = '203.0.113.9']");
    let a2 = with(
        a.clone(),
        json!({"modified": "2026-03-01T00:00:00.000Z", "name": "钓鱼网站 v2"}),
    );
    let marked = with(
        indicator("amber one", "[domain-name:value = 'amber.example']"),
        json!({"object_marking_refs": [Tlp::Amber.marking_id()]}),
    );
    let ip = sco("ipv4-addr", "203.0.113.9");
    put(s, &[a.clone(), marked.clone(), ip.clone()]);
    put(s, &[a2]);
    let gone = indicator("deleted", "[ipv4-addr:value = '203.0.113.10']");
    put(s, &[gone.clone()]);
    s.delete(&id_of(&gone)).unwrap();
    let t = s
        .create_token_with(&NewToken {
            name: "partner",
            role: Role::Reader,
            hash: "hash-p",
            clearance: Tlp::Amber,
            expires: Some("2030-01-01T00:00:00.000Z".into()),
        })
        .unwrap();
    s.touch_token(t.id, "2026-05-01T10:00:00.000Z").unwrap();
    let u = s
        .create_user("ana", Role::Analyst, Tlp::Green, "$argon2id$x")
        .unwrap()
        .unwrap();
    s.link_token(t.id, u.id).unwrap();
    s.create_session("sess", u.id, "csrf", "2999-01-01T00:00:00Z")
        .unwrap();
    s.put_peer(&PeerRecord {
        node_id: "node-a".into(),
        name: "alpha".into(),
        url: "https://alpha.example".into(),
        public_key: "ab".repeat(32),
        sectors: vec!["energy".into()],
        ..PeerRecord::default()
    })
    .unwrap();
    let received = indicator("received", "[ipv4-addr:value = '203.0.113.11']");
    s.ingest_received(
        "me",
        "node-a",
        &[object(&received)],
        &[Provenance {
            origin: "origin-x".into(),
            origin_key: "cd".repeat(32),
            signature: "sig".into(),
            received_from: "node-a".into(),
            hops_left: 2,
            redactor: None,
        }],
        17,
        20,
    )
    .unwrap();
    s.append_audit(&[AuditEntry {
        peer: "node-a".into(),
        object_id: id_of(&a),
        version: "2026-03-01T00:00:00.000Z".into(),
        verdict: "send".into(),
        agreement: None,
        reasons: json!([]),
    }])
    .unwrap();
    vec![
        id_of(&a),
        id_of(&marked),
        id_of(&ip),
        id_of(&received),
        id_of(&gone),
    ]
}

#[test]
fn a_copied_node_answers_as_the_original() {
    let Some(url) = concord_testpg::database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("concord.db");
    let ids = {
        let s = SqliteStore::open(&path).unwrap();
        fill(&s)
    };
    let sqlite = SqliteStore::open(&path).unwrap();
    let pg = PgStore::open(&url).unwrap();
    let mut seen = Vec::new();
    let report = pg
        .copy_from_sqlite_with(&path, &mut |n| seen.push(n))
        .unwrap();
    assert_eq!(report.versions, 5);
    // One chunk: progress is told once, with every version.
    assert_eq!(seen, [5]);
    assert!(report.rows.contains(&("audit", 1)), "{report:?}");
    let (s, p): (&dyn Store, &dyn Store) = (&sqlite, &pg);

    assert_eq!(all_versions(p), all_versions(s));
    for id in &ids {
        assert_eq!(p.get(id).unwrap(), s.get(id).unwrap(), "{id}");
        assert_eq!(p.versions(id).unwrap(), s.versions(id).unwrap(), "{id}");
        assert_eq!(
            p.correlations(id).unwrap(),
            s.correlations(id).unwrap(),
            "{id}"
        );
        assert_eq!(
            p.relationships(id).unwrap(),
            s.relationships(id).unwrap(),
            "{id}"
        );
    }
    for text in ["钓鱼网站", "amber", "beacon"] {
        let q = ListQuery {
            text: Some(text.into()),
            ..ListQuery::default()
        };
        assert_eq!(
            p.list(&q).unwrap().objects,
            s.list(&q).unwrap().objects,
            "{text}"
        );
    }
    let (ps, ss) = (p.stats().unwrap(), s.stats().unwrap());
    assert_eq!(
        (ps.versions, ps.objects, ps.by_type, ps.last_seq),
        (ss.versions, ss.objects, ss.by_type, ss.last_seq)
    );
    assert_eq!(p.tokens().unwrap(), s.tokens().unwrap());
    assert_eq!(p.users().unwrap(), s.users().unwrap());
    let now = "2026-06-01T00:00:00Z";
    assert_eq!(
        p.session("sess", now).unwrap(),
        s.session("sess", now).unwrap()
    );
    let u = s.users().unwrap().remove(0);
    assert_eq!(p.user_tokens(u.id).unwrap(), s.user_tokens(u.id).unwrap());
    assert_eq!(p.peers().unwrap(), s.peers().unwrap());
    assert_eq!(
        p.audit(None, 0, 100).unwrap(),
        s.audit(None, 0, 100).unwrap()
    );
    let head = s.head_seq().unwrap();
    assert_eq!(
        p.provenance_between(0, head).unwrap(),
        s.provenance_between(0, head).unwrap()
    );
    assert_eq!(
        p.unsigned_local(0, 100).unwrap(),
        s.unsigned_local(0, 100).unwrap()
    );
    let q = ClearedQuery::new(Tlp::Green);
    assert_eq!(
        p.list_cleared(&q).unwrap().objects,
        s.list_cleared(&q).unwrap().objects
    );

    // It goes on where the original stopped: later seq and date_added, new token ids.
    let last = all_versions(p).pop().unwrap();
    let next = indicator("after the move", "[ipv4-addr:value = '203.0.113.12']");
    put(p, &[next.clone()]);
    let stored = p.get(&id_of(&next)).unwrap().unwrap();
    assert!(stored.seq > ss.last_seq && stored.seq > last.seq);
    assert!(concord_store::date_added::is_after(
        &stored.date_added,
        &last.date_added
    ));
    let t = p.create_token("new", Role::Reader, "hash-new").unwrap();
    assert!(s.tokens().unwrap().iter().all(|old| old.id < t.id));
    p.append_audit(&[AuditEntry {
        peer: "node-a".into(),
        object_id: id_of(&next),
        version: String::new(),
        verdict: "withhold".into(),
        agreement: None,
        reasons: json!([]),
    }])
    .unwrap();
    let chain = p.audit(None, 0, 100).unwrap();
    assert_eq!(chain[1].prev, chain[0].hash, "one chain across the move");
    let order = ListQuery {
        order: Order::BySeq,
        ..ListQuery::default()
    };
    assert_eq!(p.list(&order).unwrap().objects.len(), 5);

    // A store that holds a node refuses a second copy, and keeps what it holds.
    let e = pg.copy_from_sqlite(&path).unwrap_err();
    assert!(e.to_string().contains("already holds a node"), "{e}");
    assert_eq!(p.stats().unwrap().versions, ps.versions + 1);
}

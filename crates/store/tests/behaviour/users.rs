//! Users, sessions, token ownership, and the listings made for a user's clearance.

use concord_stix::{Object, Tlp};
use concord_store::users::ClearedQuery;
use concord_store::{Limits, ListQuery, Page, Role, Store};

use super::Open;

fn obj(n: u32, tlp: Option<Tlp>, label: &str) -> Object {
    let mut v = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": format!("needle {n}"), "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
        "labels": [label],
        "created_by_ref": "identity--00000000-0000-4000-8000-000000000001",
    });
    if let Some(t) = tlp {
        v["object_marking_refs"] = serde_json::json!([t.marking_id()]);
    }
    Object::from_value(v).unwrap()
}

fn filled(store: &dyn Store) {
    store
        .ingest(&[
            obj(1, None, "a"),
            obj(2, Some(Tlp::Green), "b"),
            obj(3, Some(Tlp::Amber), "a"),
            obj(4, Some(Tlp::Red), "b"),
        ])
        .unwrap();
}

fn names(p: &Page) -> Vec<String> {
    p.objects
        .iter()
        .map(|o| o.value()["name"].as_str().unwrap().to_owned())
        .collect()
}

pub fn cleared_listings_levels_and_counts(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let s = store.as_ref();
    filled(s);
    let mut q = ClearedQuery::new(Tlp::Green);
    assert_eq!(
        names(&s.list_cleared(&q).unwrap()),
        ["needle 2", "needle 1"]
    );
    q.base.text = Some("needle".into());
    assert_eq!(names(&s.list_cleared(&q).unwrap()).len(), 2);
    q.tlp = Some(Tlp::Red);
    assert!(s.list_cleared(&q).unwrap().objects.is_empty());
    let mut q = ClearedQuery::new(Tlp::Red);
    q.tlp = Some(Tlp::Amber);
    assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 3"]);
    q.tlp = Some(Tlp::Clear);
    assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 1"]);
    let mut q = ClearedQuery::new(Tlp::Amber);
    q.label = Some("b".into());
    assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 2"]);
    q.label = None;
    q.source = Some("identity--00000000-0000-4000-8000-000000000009".into());
    assert!(s.list_cleared(&q).unwrap().objects.is_empty());
    q.source = None;
    q.added_before = Some("2000-01-01T00:00:00Z".into());
    assert!(s.list_cleared(&q).unwrap().objects.is_empty());
    q.added_before = Some("2999-01-01T00:00:00Z".into());
    assert_eq!(s.list_cleared(&q).unwrap().objects.len(), 3);
    q.added_before = None;
    q.base = ListQuery {
        limit: 1,
        ..ListQuery::default()
    };
    let p = s.list_cleared(&q).unwrap();
    assert_eq!(names(&p), ["needle 3"]);
    q.base.cursor = p.next;
    assert_eq!(names(&s.list_cleared(&q).unwrap()), ["needle 2"]);

    let ids: Vec<String> = (1..=5)
        .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
        .collect();
    let levels: Vec<Tlp> = s
        .tlp_levels(&ids)
        .unwrap()
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    assert_eq!(levels, [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::Red]);
    let rows = s.count_rows().unwrap();
    assert_eq!(rows.iter().map(|r| r.count).sum::<i64>(), 4);
    assert!(rows.iter().any(|r| r.tlp == Tlp::Red && r.count == 1));
    assert!(
        rows.iter()
            .all(|r| r.day.len() == 10 && r.object_type == "indicator")
    );
}

pub fn users_sessions_and_tokens(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let s = store.as_ref();
    let u = s
        .create_user("ana", Role::Analyst, Tlp::Amber, "$argon2id$x")
        .unwrap()
        .unwrap();
    assert!(
        s.create_user("ana", Role::Admin, Tlp::Red, "h")
            .unwrap()
            .is_none()
    );
    let (found, hash) = s.user_by_name("ana").unwrap().unwrap();
    assert_eq!(found, u);
    assert_eq!(hash, "$argon2id$x");
    assert_eq!(s.user(u.id).unwrap(), Some(u.clone()));
    s.create_session("h1", u.id, "csrf1", "2999-01-01T00:00:00Z")
        .unwrap();
    s.create_session("h0", u.id, "csrf0", "2000-01-01T00:00:00Z")
        .unwrap();
    let now = "2026-01-01T00:00:00Z";
    assert_eq!(s.session("h1", now).unwrap().unwrap().csrf, "csrf1");
    assert!(s.session("h0", now).unwrap().is_none());
    assert!(
        s.update_user(u.id, Role::Reader, Tlp::Green, false)
            .unwrap()
    );
    assert_eq!(
        s.session("h1", now).unwrap().unwrap().user.role,
        Role::Reader
    );
    assert!(s.set_password(u.id, "new").unwrap());
    assert!(s.session("h1", now).unwrap().is_none(), "sessions end");
    s.create_session("h2", u.id, "c", "2999-01-01T00:00:00Z")
        .unwrap();
    s.delete_session("h2", now).unwrap();
    assert!(s.session("h2", now).unwrap().is_none(), "ended");
    s.create_session("h3", u.id, "c", "2999-01-01T00:00:00Z")
        .unwrap();
    s.update_user(u.id, Role::Reader, Tlp::Green, true).unwrap();
    assert!(s.session("h3", now).unwrap().is_none(), "disabled");
    let t = s.create_token("script", Role::Reader, "th").unwrap();
    s.link_token(t.id, u.id).unwrap();
    assert_eq!(s.token_owner(t.id).unwrap(), Some(u.id));
    assert_eq!(s.user_tokens(u.id).unwrap(), [t.clone()]);
    // A token of a user reads no more than the user.
    assert_eq!(concord_store::token_clearance(s, &t).unwrap(), Tlp::Green);
    assert_eq!(s.users().unwrap().len(), 1);
    assert!(!s.set_password(9_999, "x").unwrap());
}

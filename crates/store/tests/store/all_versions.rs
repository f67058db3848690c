//! `list_versions`: every version by `seq`, with type, date and cursor filters.

use concord_store::{ListQuery, Store};
use serde_json::json;

use super::common::*;

#[test]
fn lists_every_version_by_seq() {
    let store = memory();
    let a = indicator("a", "[ipv4-addr:value = '203.0.113.1']");
    let a2 = with(a.clone(), json!({"modified": "2026-06-01T00:00:00.000Z"}));
    put(&store, &[a.clone(), identity("someone")]);
    put(&store, &[a2]);
    let all = store
        .list_versions(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(all.objects.len(), 3);
    assert!(all.objects.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(all.objects.iter().filter(|o| o.current).count(), 2);
    let q = ListQuery {
        types: vec!["indicator".into()],
        limit: 1,
        ..ListQuery::default()
    };
    let first = store.list_versions(&q).unwrap();
    assert_eq!(first.objects.len(), 1);
    let second = store
        .list_versions(&ListQuery {
            cursor: first.next,
            ..q
        })
        .unwrap();
    assert_eq!(second.objects.len(), 1);
    assert!(!first.objects[0].current && second.objects[0].current);
    assert_eq!(id_of(&a), second.objects[0].value()["id"]);
}

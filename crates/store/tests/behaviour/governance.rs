//! Community governance documents: kept once each, numbered in order, with per-peer
//! cursors that never go back, and local refusals until lifted.

use concord_store::Limits;
use concord_store::governance::{ENTRY, GovernanceDocument};

use super::Open;

fn doc(community: &str, id: &str) -> GovernanceDocument {
    GovernanceDocument {
        community: community.into(),
        id: id.into(),
        kind: ENTRY.into(),
        at: "2026-01-01T00:00:00.000Z".into(),
        document: format!("{{\"id\":\"{id}\"}}"),
    }
}

pub fn documents_are_kept_once_with_the_cursor(o: Open) {
    let Some(s) = o(Limits::default()) else {
        return;
    };
    let c = "community--c";
    assert_eq!(
        s.put_governance(&[doc(c, "a"), doc(c, "b")], "", None)
            .unwrap(),
        2
    );
    assert_eq!(
        s.put_governance(&[doc(c, "b"), doc(c, "c")], "peer-1", Some(7))
            .unwrap(),
        1
    );
    assert_eq!(s.governance_cursor("peer-1").unwrap(), 7);
    assert_eq!(s.governance_head().unwrap(), 3);
    assert_eq!(s.governance_cursor("peer-2").unwrap(), 0);
    // A cursor never goes back.
    s.put_governance(&[], "peer-1", Some(3)).unwrap();
    assert_eq!(s.governance_cursor("peer-1").unwrap(), 7);
    s.put_governance(&[doc("community--other", "a")], "peer-2", None)
        .unwrap();
    let all = s.governance(Some(c)).unwrap();
    let ids: Vec<&str> = all.iter().map(|r| r.doc.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(all[2].received_from, "peer-1");
    assert_eq!(s.governance(None).unwrap().len(), 4);
    assert!(s.governance(Some("community--none")).unwrap().is_empty());
    let after = s.governance_after(all[0].n, 1).unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].doc.id, "b");
    let ns: Vec<i64> = s.governance(None).unwrap().iter().map(|r| r.n).collect();
    assert!(ns.windows(2).all(|w| w[0] < w[1]), "{ns:?}");
}

pub fn local_refusals_are_kept_until_lifted(o: Open) {
    let Some(s) = o(Limits::default()) else {
        return;
    };
    assert!(s.set_local_refusal("concord-x", Some("no")).unwrap());
    let r = s.local_refusals().unwrap();
    assert_eq!(
        (r[0].node_id.as_str(), r[0].reason.as_str()),
        ("concord-x", "no")
    );
    assert!(s.set_local_refusal("concord-x", None).unwrap());
    assert!(!s.set_local_refusal("concord-x", None).unwrap());
    assert!(s.local_refusals().unwrap().is_empty());
}

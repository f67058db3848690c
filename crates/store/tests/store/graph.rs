//! Correlations (shared observable values) and relationships (refs and SROs).

use concord_store::{Related, Store};
use serde_json::json;

use crate::common::{file, id_of, identity, indicator, memory, put, relationship, sco, sdo, with};

const SHA: &str = "3F79BB7B435B05321651DAEFD374CDC681DC06FAA65E374E38337B88CA046DEA";

#[test]
fn indicator_pattern_correlates_with_scos() {
    let store = memory();
    let ind = indicator(
        "c2",
        "[ipv4-addr:value = '198.51.100.1'] OR [file:hashes.'SHA-256' = '3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea']",
    );
    let ip = sco("ipv4-addr", "198.51.100.1");
    let other_ip = sco("ipv4-addr", "198.51.100.2");
    let f = file(SHA);
    put(&store, &[ind.clone(), ip.clone(), other_ip, f.clone()]);
    let mut found = store.correlations(&id_of(&ind)).unwrap();
    found.sort_by(|a, b| a.kind.cmp(&b.kind));
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        (found[0].kind.as_str(), found[0].id.as_str()),
        ("hash:SHA-256", id_of(&f).as_str())
    );
    assert_eq!(found[0].value, SHA.to_ascii_lowercase());
    assert_eq!(found[0].object_type, "file");
    assert_eq!(
        (found[1].kind.as_str(), found[1].value.as_str()),
        ("ipv4-addr", "198.51.100.1")
    );
    assert_eq!(found[1].id, id_of(&ip));
    // And the other way round.
    let back = store.correlations(&id_of(&ip)).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(
        (back[0].id.as_str(), back[0].object_type.as_str()),
        (id_of(&ind).as_str(), "indicator")
    );
    assert!(
        store
            .correlations("indicator--00000000-0000-4000-8000-000000000000")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn correlations_follow_the_current_version() {
    let store = memory();
    let v1 = indicator("x", "[domain-name:value = 'old.example']");
    let old = sco("domain-name", "old.example");
    let new = sco("domain-name", "new.example");
    put(&store, &[v1.clone(), old.clone(), new.clone()]);
    assert_eq!(store.correlations(&id_of(&old)).unwrap().len(), 1);
    let v2 = with(
        v1.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z", "pattern": "[domain-name:value = 'NEW.example.']"}),
    );
    put(&store, &[v2]);
    assert!(
        store.correlations(&id_of(&old)).unwrap().is_empty(),
        "old version's value is gone"
    );
    let now = store.correlations(&id_of(&v1)).unwrap();
    assert_eq!(now.len(), 1);
    assert_eq!(
        (now[0].id.as_str(), now[0].value.as_str()),
        (id_of(&new).as_str(), "new.example")
    );
}

fn has(list: &[Related], id: &str, direction: &str, via: &str, rel: Option<(&str, &str)>) -> bool {
    list.iter().any(|r| {
        r.id == id
            && r.direction == direction
            && r.via == via
            && r.relationship
                .as_ref()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                == rel
    })
}

#[test]
fn relationships_in_both_directions_and_through_sros() {
    let store = memory();
    let org = identity("CERT-X");
    let malware = with(
        sdo("malware"),
        json!({"name": "Emotet", "is_family": true, "created_by_ref": id_of(&org)}),
    );
    let ind = indicator("emotet c2", "[ipv4-addr:value = '203.0.113.5']");
    let rel = relationship(&id_of(&ind), "indicates", &id_of(&malware));
    let sighting = with(
        sdo("sighting"),
        json!({"sighting_of_ref": id_of(&ind), "where_sighted_refs": [id_of(&org)]}),
    );
    put(
        &store,
        &[
            org.clone(),
            malware.clone(),
            ind.clone(),
            rel.clone(),
            sighting.clone(),
        ],
    );
    let (m, i, r, o, s) = (
        id_of(&malware),
        id_of(&ind),
        id_of(&rel),
        id_of(&org),
        id_of(&sighting),
    );

    let of_malware = store.relationships(&m).unwrap();
    assert!(
        has(&of_malware, &o, "outgoing", "$.created_by_ref", None),
        "{of_malware:?}"
    );
    assert!(has(&of_malware, &r, "incoming", "$.target_ref", None));
    assert!(has(
        &of_malware,
        &i,
        "incoming",
        "$.source_ref",
        Some((&r, "indicates"))
    ));

    let of_ind = store.relationships(&i).unwrap();
    assert!(
        has(
            &of_ind,
            &m,
            "outgoing",
            "$.target_ref",
            Some((&r, "indicates"))
        ),
        "{of_ind:?}"
    );
    assert!(has(&of_ind, &s, "incoming", "$.sighting_of_ref", None));
    assert!(has(
        &of_ind,
        &o,
        "incoming",
        "$.where_sighted_refs[0]",
        Some((&s, "sighting"))
    ));

    let of_org = store.relationships(&o).unwrap();
    assert!(has(&of_org, &m, "incoming", "$.created_by_ref", None));
    assert!(
        has(
            &of_org,
            &i,
            "outgoing",
            "$.sighting_of_ref",
            Some((&s, "sighting"))
        ),
        "{of_org:?}"
    );

    let of_rel = store.relationships(&r).unwrap();
    assert!(has(&of_rel, &i, "outgoing", "$.source_ref", None));
    assert!(has(&of_rel, &m, "outgoing", "$.target_ref", None));
}

#[test]
fn references_follow_the_current_version() {
    let store = memory();
    let a = identity("A");
    let b = identity("B");
    let report = with(
        sdo("report"),
        json!({"name": "r", "published": "2026-01-01T00:00:00Z", "object_refs": [id_of(&a)]}),
    );
    put(&store, &[a.clone(), b.clone(), report.clone()]);
    assert_eq!(store.relationships(&id_of(&a)).unwrap().len(), 1);
    let v2 = with(
        report.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z", "object_refs": [id_of(&b)]}),
    );
    put(&store, &[v2]);
    assert!(store.relationships(&id_of(&a)).unwrap().is_empty());
    let of_b = store.relationships(&id_of(&b)).unwrap();
    assert!(has(
        &of_b,
        &id_of(&report),
        "incoming",
        "$.object_refs[0]",
        None
    ));
}

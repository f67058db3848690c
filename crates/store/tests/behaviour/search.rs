//! Full-text search in every language of the interface, user input full of syntax, the
//! limits on a search; correlations and relationships.

use concord_store::{Limits, ListQuery, Store};
use serde_json::json;

use super::{Open, id_of, indicator, put, relationship, sco, with};

fn found(store: &dyn Store, text: &str) -> Vec<String> {
    let q = ListQuery {
        text: Some(text.to_owned()),
        ..Default::default()
    };
    let page = store
        .list(&q)
        .unwrap_or_else(|e| panic!("query {text:?} failed: {e}"));
    page.objects
        .iter()
        .map(|o| o.value()["id"].as_str().unwrap().to_owned())
        .collect()
}

fn named(name: &str, description: &str) -> serde_json::Value {
    with(
        indicator(name, "[domain-name:value = 'lang.example']"),
        json!({"description": description}),
    )
}

pub fn finds_every_language(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    let zh = named("钓鱼网站", "针对银行客户的钓鱼网站攻击活动");
    let ar = named("حملة تصيد", "حملة تصيد احتيالي تستهدف البنوك");
    let ru = named("Фишинговая кампания", "Вредоносная рассылка против банков");
    let fr = named(
        "Campagne d'hameçonnage",
        "Attaque ciblée contre les sociétés énergétiques",
    );
    let en = named("Phishing campaign", "Credential harvesting against banks");
    put(
        store,
        &[zh.clone(), ar.clone(), ru.clone(), fr.clone(), en.clone()],
    );
    assert_eq!(found(store, "钓鱼"), [id_of(&zh)], "two-character Chinese");
    assert_eq!(
        found(store, "钓鱼网站"),
        [id_of(&zh)],
        "four-character Chinese"
    );
    assert_eq!(found(store, "银行客户"), [id_of(&zh)]);
    assert_eq!(found(store, "تصيد"), [id_of(&ar)]);
    assert_eq!(found(store, "البنوك"), [id_of(&ar)]);
    assert_eq!(found(store, "рассылка"), [id_of(&ru)]);
    assert_eq!(
        found(store, "РАССЫЛКА"),
        [id_of(&ru)],
        "case-insensitive Cyrillic"
    );
    assert_eq!(found(store, "hameçonnage"), [id_of(&fr)]);
    assert_eq!(
        found(store, "energetiques"),
        [id_of(&fr)],
        "accent-insensitive"
    );
    assert_eq!(found(store, "ciblée"), [id_of(&fr)]);
    assert_eq!(found(store, "phishing"), [id_of(&en)]);
    assert_eq!(
        found(store, "harvesting banks"),
        [id_of(&en)],
        "words are ANDed"
    );
    assert!(found(store, "harvesting énergétiques").is_empty());
    assert!(found(store, "nothing-like-this").is_empty());
    assert_eq!(found(store, "   ").len(), 5, "blank text filters nothing");
}

pub fn syntax_characters_are_plain_text(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    let odd = named("weird \"quoted\" (thing) AND: star*", "x");
    put(store, &[odd.clone(), named("plain", "y")]);
    for q in [
        "\"",
        "\"quoted\"",
        "*",
        "star*",
        "(thing)",
        "AND",
        "AND:",
        ":",
        "NEAR(a b)",
        "a OR b",
        "\"\"\"",
        "%",
        "_",
        "\\",
        "-x",
        "^",
        "'",
        "');--",
    ] {
        found(store, q);
    }
    assert_eq!(found(store, "\"quoted\""), [id_of(&odd)]);
    assert_eq!(found(store, "star*"), [id_of(&odd)]);
    assert_eq!(found(store, "(thing) AND:"), [id_of(&odd)]);
    assert!(found(store, "%").is_empty(), "LIKE wildcards are escaped");
}

pub fn search_sees_current_versions_only(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    let v1 = named("Old name gone", "first");
    let v2 = with(
        v1.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z", "name": "Brand new title"}),
    );
    put(store, &[v1.clone()]);
    assert_eq!(found(store, "gone"), [id_of(&v1)]);
    put(store, &[v2]);
    assert!(found(store, "gone").is_empty());
    assert_eq!(found(store, "brand"), [id_of(&v1)]);
}

pub fn a_search_of_too_many_words_is_refused(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    put(store.as_ref(), &[named("Phishing campaign", "harvesting")]);
    let many: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    let q = ListQuery {
        text: Some(many.join(" ")),
        ..Default::default()
    };
    let e = store.list(&q).unwrap_err();
    assert!(matches!(e, concord_store::StoreError::Search(_)), "{e:?}");
    assert_eq!(e.to_string(), "search has 40 terms; at most 16 allowed");
    assert_eq!(found(store.as_ref(), &"phishing ".repeat(40)).len(), 1);
}

pub fn short_words_filter_or_are_refused_alone(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let zh = named("钓鱼网站", "针对银行客户的钓鱼网站攻击活动");
    let en = named("Phishing campaign", "Credential harvesting against banks");
    put(store.as_ref(), &[zh.clone(), en.clone()]);
    assert_eq!(found(store.as_ref(), "银行客户 钓鱼 的"), [id_of(&zh)]);
    assert!(found(store.as_ref(), "phishing 钓鱼").is_empty());
    assert_eq!(found(store.as_ref(), "钓鱼 的"), [id_of(&zh)]);
    let Some(strict) = o(Limits {
        short_search_scan: false,
        ..Default::default()
    }) else {
        return;
    };
    put(strict.as_ref(), &[zh.clone(), en]);
    let e = strict
        .list(&ListQuery {
            text: Some("钓鱼 ab".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "search term \"钓鱼\" is shorter than 3 characters and would scan every object; add a longer word"
    );
    assert_eq!(found(strict.as_ref(), "银行客户 钓鱼"), [id_of(&zh)]);
}

pub fn correlations_and_relationships(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let store = store.as_ref();
    let ip = sco("ipv4-addr", "198.51.100.23");
    let ind = indicator("c2", "[ipv4-addr:value = '198.51.100.23']");
    let other = indicator(
        "c2 too",
        "[ipv4-addr:value = '198.51.100.23' OR domain-name:value = 'c2.example']",
    );
    let malware = with(
        super::sdo("malware"),
        json!({"name": "m", "is_family": true}),
    );
    let rel = relationship(&id_of(&ind), "indicates", &id_of(&malware));
    put(
        store,
        &[
            ip.clone(),
            ind.clone(),
            other.clone(),
            malware.clone(),
            rel.clone(),
        ],
    );
    let mut c: Vec<(String, String, String)> = store
        .correlations(&id_of(&ind))
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.kind, c.value))
        .collect();
    c.sort();
    let mut want = vec![
        (
            id_of(&ip),
            "ipv4-addr".to_owned(),
            "198.51.100.23".to_owned(),
        ),
        (
            id_of(&other),
            "ipv4-addr".to_owned(),
            "198.51.100.23".to_owned(),
        ),
    ];
    want.sort();
    assert_eq!(c, want);
    let related = store.relationships(&id_of(&malware)).unwrap();
    assert!(
        related.iter().any(|r| r.id == id_of(&ind)
            && r.direction == "incoming"
            && r.relationship == Some((id_of(&rel), "indicates".to_owned()))),
        "{related:?}"
    );
    let out = store.relationships(&id_of(&ind)).unwrap();
    assert!(
        out.iter()
            .any(|r| r.id == id_of(&malware) && r.direction == "outgoing"),
        "{out:?}"
    );
    assert!(
        store
            .correlations("indicator--00000000-0000-4000-8000-000000000000")
            .unwrap()
            .is_empty()
    );
}

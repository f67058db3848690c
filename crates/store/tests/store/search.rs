//! Full-text search in several languages, and user input full of FTS syntax.

use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Store};
use serde_json::json;

use crate::common::{id_of, indicator, memory, put, with};

fn found(store: &SqliteStore, text: &str) -> Vec<String> {
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

#[test]
fn finds_every_language() {
    let store = memory();
    let zh = named("钓鱼网站", "针对银行客户的钓鱼网站攻击活动");
    let ar = named("حملة تصيد", "حملة تصيد احتيالي تستهدف البنوك");
    let ru = named("Фишинговая кампания", "Вредоносная рассылка против банков");
    let fr = named(
        "Campagne d'hameçonnage",
        "Attaque ciblée contre les sociétés énergétiques",
    );
    let en = named("Phishing campaign", "Credential harvesting against banks");
    put(
        &store,
        &[zh.clone(), ar.clone(), ru.clone(), fr.clone(), en.clone()],
    );
    assert_eq!(
        found(&store, "钓鱼"),
        [id_of(&zh)],
        "two-character Chinese (LIKE fallback)"
    );
    assert_eq!(
        found(&store, "钓鱼网站"),
        [id_of(&zh)],
        "four-character Chinese (trigram)"
    );
    assert_eq!(found(&store, "银行客户"), [id_of(&zh)]);
    assert_eq!(found(&store, "تصيد"), [id_of(&ar)]);
    assert_eq!(found(&store, "рассылка"), [id_of(&ru)]);
    assert_eq!(
        found(&store, "РАССЫЛКА"),
        [id_of(&ru)],
        "case-insensitive Cyrillic"
    );
    assert_eq!(found(&store, "hameçonnage"), [id_of(&fr)]);
    assert_eq!(
        found(&store, "energetiques"),
        [id_of(&fr)],
        "accent-insensitive"
    );
    assert_eq!(found(&store, "ciblée"), [id_of(&fr)]);
    assert_eq!(found(&store, "phishing"), [id_of(&en)]);
    assert_eq!(
        found(&store, "harvesting banks"),
        [id_of(&en)],
        "words are ANDed"
    );
    assert!(found(&store, "harvesting énergétiques").is_empty());
    assert!(found(&store, "nothing-like-this").is_empty());
    assert_eq!(found(&store, "   ").len(), 5, "blank text filters nothing");
}

#[test]
fn syntax_characters_are_plain_text() {
    let store = memory();
    let odd = named("weird \"quoted\" (thing) AND: star*", "x");
    put(&store, &[odd.clone(), named("plain", "y")]);
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
    ] {
        found(&store, q);
    }
    assert_eq!(found(&store, "\"quoted\""), [id_of(&odd)]);
    assert_eq!(found(&store, "star*"), [id_of(&odd)]);
    assert_eq!(found(&store, "(thing) AND:"), [id_of(&odd)]);
    assert!(found(&store, "%").is_empty(), "LIKE wildcards are escaped");
}

#[test]
fn search_sees_current_versions_only() {
    let store = memory();
    let v1 = named("Old name gone", "first");
    let v2 = with(
        v1.clone(),
        json!({"modified": "2026-02-01T00:00:00.000Z", "name": "Brand new title"}),
    );
    put(&store, &[v1.clone()]);
    assert_eq!(found(&store, "gone"), [id_of(&v1)]);
    put(&store, &[v2]);
    assert!(found(&store, "gone").is_empty());
    assert_eq!(found(&store, "brand"), [id_of(&v1)]);
}

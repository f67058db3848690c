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

/// Issue 22, item 4: a search of many words is refused with a clear reason, not run as
/// a lookup per word.
#[test]
fn a_search_of_too_many_words_is_refused() {
    let store = memory();
    put(&store, &[named("Phishing campaign", "harvesting")]);
    let many: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
    let q = ListQuery {
        text: Some(many.join(" ")),
        ..Default::default()
    };
    let e = store.list(&q).unwrap_err();
    assert!(matches!(e, concord_store::StoreError::Search(_)), "{e:?}");
    assert_eq!(e.to_string(), "search has 40 terms; at most 16 allowed");
    // Repeated words count once.
    assert_eq!(found(&store, &"phishing ".repeat(40)).len(), 1);
}

/// Short words beside a longer one only filter what the index found; a search of short
/// words alone is one scan, or refused when the limits say so.
#[test]
fn short_words_filter_the_indexed_matches_or_are_refused_alone() {
    let store = memory();
    let zh = named("钓鱼网站", "针对银行客户的钓鱼网站攻击活动");
    let en = named("Phishing campaign", "Credential harvesting against banks");
    put(&store, &[zh.clone(), en.clone()]);
    assert_eq!(found(&store, "银行客户 钓鱼 的"), [id_of(&zh)]);
    assert!(found(&store, "phishing 钓鱼").is_empty());
    assert_eq!(found(&store, "钓鱼 的"), [id_of(&zh)]);
    let strict = memory().with_limits(concord_store::Limits {
        short_search_scan: false,
        ..Default::default()
    });
    put(&strict, &[zh.clone(), en]);
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
    assert_eq!(found(&strict, "银行客户 钓鱼"), [id_of(&zh)]);
}

/// A search running longer than the store's budget is stopped with a typed error that
/// names the budget; the store answers the next query.
#[test]
fn a_search_over_its_time_budget_is_stopped() {
    let budget = std::time::Duration::from_nanos(1);
    let store = memory().with_limits(concord_store::Limits {
        query_budget: Some(budget),
        ..Default::default()
    });
    let many: Vec<_> = (0..2_000)
        .map(|i| named(&format!("campaign {i}"), "some text to scan through"))
        .collect();
    put(&store, &many);
    let e = store
        .list(&ListQuery {
            text: Some("zq".into()),
            ..Default::default()
        })
        .unwrap_err();
    match e {
        concord_store::StoreError::Budget { budget: b } => assert_eq!(b, budget),
        other => panic!("expected the budget error, got {other:?}"),
    }
    assert!(store.get(&id_of(&many[0])).unwrap().is_some());
}

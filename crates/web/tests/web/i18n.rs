//! Languages: every message id in every language, with the plural forms each language
//! needs, translations that are not copies of the English, no raw message id on any page,
//! right-to-left Arabic pages, and the language switch.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use concord_web::i18n::SOURCES;

use super::common::{TestWeb, id, indicator, malware, relationship};

/// Message id -> (value lines, plural variant keys).
type Messages = BTreeMap<String, (String, BTreeSet<String>)>;

fn parse(source: &str) -> Messages {
    let mut out: Messages = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let (id, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("bad line {line:?}"));
            let id = id.trim().to_owned();
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "bad id {id:?}"
            );
            assert!(!out.contains_key(&id), "duplicate id {id}");
            out.insert(id.clone(), (value.trim().to_owned(), BTreeSet::new()));
            current = Some(id);
        } else if let Some(id) = &current {
            let entry = out.get_mut(id).expect("current");
            let t = line.trim().trim_start_matches('*');
            if let Some(key) = t.strip_prefix('[').and_then(|r| r.split_once(']')) {
                entry.1.insert(key.0.to_owned());
            }
            entry.0.push('\n');
            entry.0.push_str(line.trim());
        }
    }
    out
}

#[test]
fn every_message_is_in_every_language_with_its_plural_forms() {
    let all: Vec<(&str, Messages)> = SOURCES
        .iter()
        .map(|(code, src)| (*code, parse(src)))
        .collect();
    let en = &all[0].1;
    assert!(en.len() > 150, "only {} English messages", en.len());
    let mut failures = Vec::new();
    for (code, messages) in &all[1..] {
        let missing: Vec<&String> = en.keys().filter(|k| !messages.contains_key(*k)).collect();
        let extra: Vec<&String> = messages.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{code} lacks {missing:?}");
        assert!(extra.is_empty(), "{code} has ids English lacks: {extra:?}");
        // Plural messages have the forms of the language (CLDR cardinal categories).
        let needed: &[&str] = match *code {
            "ar" => &["zero", "one", "two", "few", "many", "other"],
            "ru" => &["one", "few", "many", "other"],
            "fr" | "es" => &["one", "other"],
            _ => &[],
        };
        for (id, (_, en_keys)) in en {
            if en_keys.contains("one") && en_keys.contains("other") {
                let keys = &messages[id].1;
                for k in needed {
                    // A message about days never needs "zero" (there are always 30).
                    if *k == "zero" && id == "dashboard-over-time" {
                        continue;
                    }
                    assert!(keys.contains(*k), "{code} {id} lacks the [{k}] form");
                }
            }
        }
        // Real translations: only names, acronyms and format names may equal the English.
        let same: Vec<&String> = en
            .iter()
            .filter(|(id, (v, _))| messages[*id].0 == *v)
            .map(|(id, _)| id)
            .collect();
        let allowed = [
            "col-tlp",
            "import-format-stix",
            "import-format-misp",
            "incidents-title",
            "kind-incident",
            "nav-incidents",
            "versions-heading-plain",
            "format-csv",
            "format-stix",
            "pager-label",
            "no",
            "col-type",
            "browse-type",
            "field-type",
            "field-description",
            "field-source",
            "nav-admin",
            "admin-title",
            "col-actions",
            "field-aliases",
            "versions-heading",
            "col-details",
            "matching-format",
            "object-provenance",
            "nav-notifications",
            "notifications-title",
            // French counts minutes in "minutes" too.
            "community-minutes",
            // Only placeholders.
            "live-governance",
        ];
        let unexpected: Vec<&&String> = same
            .iter()
            .filter(|id| !allowed.contains(&id.as_str()))
            .collect();
        if !unexpected.is_empty() {
            failures.push(format!("{code} copies the English of {unexpected:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Text of a page without its tags (attribute values are not text).
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn no_page_shows_a_raw_message_id_in_any_language() {
    let web = TestWeb::new();
    web.import(vec![
        indicator(1, "Indicator one", None, "198.51.100.1"),
        indicator(2, "Indicator two", None, "198.51.100.1"),
        malware(3, "Malware three", None),
        relationship(4, &id("indicator", 1), &id("malware", 3), None),
    ]);
    let ids: Vec<String> = parse(SOURCES[0].1)
        .into_keys()
        .filter(|k| k.contains('-'))
        .collect();
    let mut c = web.signed_in("admin").await;
    let csrf = c.csrf().await;
    let pages = [
        "/".to_owned(),
        "/objects".to_owned(),
        "/objects?q=Indicator".to_owned(),
        "/objects?tlp=purple".to_owned(),
        format!("/objects/{}", id("indicator", 1)),
        format!("/objects/{}/graph", id("indicator", 1)),
        format!("/objects/{}", id("malware", 99)),
        "/import".to_owned(),
        "/matching".to_owned(),
        "/account".to_owned(),
        "/admin".to_owned(),
        "/peers?verify=1".to_owned(),
        "/incidents".to_owned(),
        "/notifications".to_owned(),
        "/import/jobs/nope".to_owned(),
        format!("/objects/{}/policy", id("indicator", 1)),
        "/community".to_owned(),
        "/community/proposals".to_owned(),
        "/community/log".to_owned(),
    ];
    for (code, _) in SOURCES {
        c.accept_language = (*code).to_owned();
        let mut bodies = Vec::new();
        for p in &pages {
            let res = c.get(p).await;
            assert!(res.status.as_u16() < 500, "{p}");
            bodies.push((p.clone(), res.body));
        }
        let res = c
            .post_multipart(
                "/matching",
                &[("csrf", &csrf), ("format", "lines")],
                b"198.51.100.1\n",
            )
            .await;
        bodies.push(("POST /matching".into(), res.body));
        let res = c
            .import_file(&csrf, br#"[{"type":"malware"}]"#, "upload.json")
            .await;
        bodies.push(("POST /import".into(), res.body));
        let res = c.import_file(&csrf, b"{not json", "upload.json").await;
        bodies.push(("POST /import (unreadable)".into(), res.body));
        let mut anon = web.client();
        anon.accept_language = (*code).to_owned();
        bodies.push(("/signin".into(), anon.get("/signin").await.body));
        bodies.push((
            "wrong password".into(),
            anon.signin("admin", "nope nope nope").await.body,
        ));
        for (p, body) in &bodies {
            assert!(
                body.contains(&format!("<html lang=\"{code}\"")),
                "{code} {p}"
            );
            let text = text_of(body);
            for id in &ids {
                assert!(
                    !text.contains(id.as_str()),
                    "{code} {p} shows the raw id {id}"
                );
            }
            if code == "ar" {
                assert!(body.contains("dir=\"rtl\""), "{p}");
            } else {
                assert!(body.contains("dir=\"ltr\""), "{p}");
            }
        }
    }
}

#[tokio::test]
async fn the_language_follows_the_browser_and_the_switch_is_remembered() {
    let web = TestWeb::new();
    let mut c = web.client();
    c.accept_language = "ar-EG,ar;q=0.9,en;q=0.5".into();
    let page = c.get("/signin").await;
    assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(page.body.contains("<h1>تسجيل الدخول</h1>"));
    c.accept_language = "de-DE".into();
    assert!(
        c.get("/signin")
            .await
            .body
            .contains("<html lang=\"en\" dir=\"ltr\">")
    );
    let res = c.get("/lang/zh?back=/signin").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/signin");
    assert!(
        res.set_cookies()
            .iter()
            .any(|s| s.starts_with("concord_lang=zh"))
    );
    c.accept_language = "ru".into();
    let page = c.get("/signin").await;
    assert!(page.body.contains("<html lang=\"zh\""), "the cookie wins");
    assert!(page.body.contains("<h1>登录</h1>"));
    assert_eq!(c.get("/lang/xx").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn numbers_and_dates_follow_the_language() {
    let web = TestWeb::new();
    web.import(vec![indicator(1, "Dated", None, "198.51.100.1")]);
    let mut c = web.signed_in("admin").await;
    let path = format!("/objects/{}", id("indicator", 1));
    for (lang, date) in [
        ("en", "Mar 1, 2024, 10:00 UTC"),
        ("fr", "1 mars 2024, 10:00 UTC"),
        ("es", "1 mar 2024, 10:00 UTC"),
        ("ru", "1 мар. 2024 г., 10:00 UTC"),
        ("zh", "2024年3月1日 10:00 UTC"),
        ("ar", "١ مارس ٢٠٢٤، ١٠:٠٠ (UTC)"),
    ] {
        c.accept_language = lang.into();
        let page = c.get(&path).await;
        assert!(page.page().contains(date), "{lang}: {date}");
    }
}

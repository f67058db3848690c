//! Reading: one object, listing and paging, search, correlations, relationships, bad
//! parameters.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::common::{TestApp, campaign, identity, indicator, uuid};

fn ids(page: &Value) -> Vec<String> {
    page["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Follows `next` from `first` until it is null; returns every id seen, in order.
async fn walk(t: &TestApp, first: &str, between_pages: Option<Vec<Value>>) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = first.to_owned();
    let mut extra = between_pages;
    for _ in 0..100 {
        let res = t.get(&url, &t.reader).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let page = res.json();
        seen.extend(ids(&page));
        if let Some(objects) = extra.take() {
            t.import(objects).await;
        }
        match page["next"].as_str() {
            Some(next) => url = format!("{first}&next={next}"),
            None => return seen,
        }
    }
    panic!("paging did not end");
}

fn assert_each_once(seen: &[String], expected: usize) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in seen {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(counts.len(), expected, "{seen:?}");
    assert!(counts.values().all(|n| *n == 1), "repeated: {counts:?}");
}

#[tokio::test]
async fn paging_returns_every_object_exactly_once() {
    let t = TestApp::new();
    t.import(
        (0..25)
            .map(|n| campaign(n, &format!("campaign {n}")))
            .collect(),
    )
    .await;
    for order in ["newest", "seq"] {
        let seen = walk(&t, &format!("/api/v1/objects?limit=7&order={order}"), None).await;
        assert_each_once(&seen, 25);
    }
    // Exact multiple of the page size.
    let seen = walk(&t, "/api/v1/objects?limit=5", None).await;
    assert_each_once(&seen, 25);
    // Objects added while paging by seq show up once, at the end.
    let more: Vec<Value> = (100..103).map(|n| campaign(n, "late")).collect();
    let seen = walk(&t, "/api/v1/objects?limit=10&order=seq", Some(more)).await;
    assert_each_once(&seen, 28);
    let mut late: Vec<String> = seen[25..].to_vec();
    late.sort();
    let expected: Vec<String> = (100..103)
        .map(|n| format!("campaign--{}", uuid(n)))
        .collect();
    assert_eq!(late, expected);
}

#[tokio::test]
async fn newest_first_is_the_default_order() {
    let t = TestApp::new();
    t.import(vec![campaign(1, "first")]).await;
    t.import(vec![campaign(2, "second")]).await;
    let page = t.get("/api/v1/objects", &t.reader).await.json();
    assert_eq!(
        ids(&page),
        vec![
            format!("campaign--{}", uuid(2)),
            format!("campaign--{}", uuid(1))
        ]
    );
    assert!(page["next"].is_null());
}

#[tokio::test]
async fn type_filter_repeats_or_uses_commas() {
    let t = TestApp::new();
    t.import(vec![
        campaign(1, "c"),
        identity(2),
        indicator(3, "198.51.100.3"),
    ])
    .await;
    for q in [
        "type=campaign&type=identity",
        "type=campaign,identity",
        "type=campaign%2C%20identity",
    ] {
        let page = t.get(&format!("/api/v1/objects?{q}"), &t.reader).await;
        assert_eq!(page.status, StatusCode::OK, "{q}: {}", page.text());
        let mut got = ids(&page.json());
        got.sort();
        assert_eq!(
            got,
            vec![
                format!("campaign--{}", uuid(1)),
                format!("identity--{}", uuid(2))
            ],
            "{q}"
        );
    }
    let page = t
        .get("/api/v1/objects?type=indicator", &t.reader)
        .await
        .json();
    assert_eq!(ids(&page), vec![format!("indicator--{}", uuid(3))]);
}

#[tokio::test]
async fn added_after_filters_by_storage_time() {
    let t = TestApp::new();
    t.import(vec![campaign(1, "c")]).await;
    let all = t
        .get(
            "/api/v1/objects?added_after=2000-01-01T00:00:00Z",
            &t.reader,
        )
        .await
        .json();
    assert_eq!(ids(&all).len(), 1);
    let none = t
        .get(
            "/api/v1/objects?added_after=2999-01-01T00:00:00.000Z",
            &t.reader,
        )
        .await
        .json();
    assert!(ids(&none).is_empty());
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let t = TestApp::new();
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=100000", "limit"),
        ("next=-3", "next"),
        ("next=garbage", "next"),
        ("added_after=yesterday", "added_after"),
        ("order=random", "order"),
        ("type=Not_A_Type", "type"),
        ("colour=red", "colour"),
    ] {
        let res = t.get(&format!("/api/v1/objects?{query}"), &t.reader).await;
        let body = res.assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
        assert_eq!(
            body["error"]["details"][0]["parameter"], param,
            "{query}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(param),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn one_object_404_and_bad_id() {
    let t = TestApp::new();
    let id = format!("campaign--{}", uuid(5));
    let body = t
        .get(&format!("/api/v1/objects/{id}"), &t.reader)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains(&id)
    );
    for path in [
        format!("/api/v1/objects/{id}/versions"),
        format!("/api/v1/objects/{id}/relationships"),
        format!("/api/v1/correlations/{id}"),
    ] {
        t.get(&path, &t.reader)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    t.get("/api/v1/objects/not-an-id", &t.reader)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
}

#[tokio::test]
async fn search_finds_by_text_and_requires_q() {
    let t = TestApp::new();
    t.import(vec![
        campaign(1, "Operation Midnight Rain"),
        campaign(2, "Dark Harvest"),
        indicator(3, "203.0.113.9"),
    ])
    .await;
    let page = t.get("/api/v1/search?q=midnight", &t.reader).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(ids(&page.json()), vec![format!("campaign--{}", uuid(1))]);
    let page = t
        .get("/api/v1/search?q=harvest&type=indicator", &t.reader)
        .await
        .json();
    assert!(ids(&page).is_empty());
    let page = t.get("/api/v1/objects?q=harvest", &t.reader).await.json();
    assert_eq!(ids(&page), vec![format!("campaign--{}", uuid(2))]);
    for q in ["", "?q=", "?q=%20%20"] {
        let body = t
            .get(&format!("/api/v1/search{q}"), &t.reader)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "bad_parameter");
        assert_eq!(body["error"]["details"][0]["parameter"], "q");
    }
    t.get("/api/v1/search?q=x", "cnc_nope")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn correlations_through_the_api() {
    let t = TestApp::new();
    t.import(vec![
        indicator(1, "198.51.100.7"),
        indicator(2, "198.51.100.7"),
        indicator(3, "203.0.113.1"),
    ])
    .await;
    let id = format!("indicator--{}", uuid(1));
    let res = t
        .get(&format!("/api/v1/correlations/{id}"), &t.reader)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    assert_eq!(body["id"], id.as_str());
    let list = body["correlations"].as_array().expect("correlations");
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["id"], format!("indicator--{}", uuid(2)));
    assert_eq!(list[0]["object_type"], "indicator");
    assert_eq!(list[0]["kind"], "ipv4-addr");
    assert_eq!(list[0]["value"], "198.51.100.7");
}

#[tokio::test]
async fn relationships_through_the_api() {
    let t = TestApp::new();
    let ind = format!("indicator--{}", uuid(1));
    let camp = format!("campaign--{}", uuid(2));
    let rel = format!("relationship--{}", uuid(3));
    t.import(vec![
        indicator(1, "198.51.100.7"),
        campaign(2, "c"),
        json!({"type":"relationship","spec_version":"2.1","id":rel,
               "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
               "relationship_type":"indicates","source_ref":ind,"target_ref":camp}),
    ])
    .await;
    let res = t
        .get(&format!("/api/v1/objects/{ind}/relationships"), &t.reader)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let body = res.json();
    let list = body["relationships"].as_array().expect("relationships");
    let to_campaign = list
        .iter()
        .find(|r| r["id"] == camp.as_str())
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(to_campaign["direction"], "outgoing");
    assert_eq!(to_campaign["relationship"]["id"], rel.as_str());
    assert_eq!(
        to_campaign["relationship"]["relationship_type"],
        "indicates"
    );
}

/// A token owned by a user answers only with what the user's TLP clearance allows, in
/// listings, search, single objects, versions, relationships and correlations.
#[tokio::test]
async fn a_users_token_sees_nothing_above_the_users_clearance() {
    let app = TestApp::new();
    let amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
    let green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
    let mut a = indicator(901, "198.51.100.77");
    a["object_marking_refs"] = json!([amber]);
    let mut g = indicator(902, "198.51.100.77");
    g["object_marking_refs"] = json!([green]);
    app.import(vec![a.clone(), g.clone()]).await;
    let store = app.state.store.clone();
    let user = store
        .create_user(
            "gil",
            concord_store::Role::Reader,
            concord_stix::Tlp::Green,
            "x",
        )
        .unwrap()
        .unwrap();
    let secret = concord_server::auth::new_token_secret();
    let token = store
        .create_token(
            "gil's script",
            concord_store::Role::Reader,
            &concord_server::auth::hash_token(&secret),
        )
        .unwrap();
    store.link_token(token.id, user.id).unwrap();
    let (aid, gid) = (a["id"].as_str().unwrap(), g["id"].as_str().unwrap());

    let list = app
        .get("/api/v1/objects?type=indicator", &secret)
        .await
        .json();
    let ids: Vec<&str> = list["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![gid]);
    // The store picks within the clearance: a page of one, oldest first, is the green
    // object (not an empty page where the amber one was left out).
    let first = app
        .get("/api/v1/objects?type=indicator&order=seq&limit=1", &secret)
        .await
        .json();
    assert_eq!(first["objects"][0]["id"], gid, "{first}");
    assert_eq!(first["objects"].as_array().unwrap().len(), 1, "{first}");
    app.get(&format!("/api/v1/objects/{aid}"), &secret)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/api/v1/objects/{aid}/versions"), &secret)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let corr = app
        .get(&format!("/api/v1/correlations/{gid}"), &secret)
        .await
        .json();
    assert!(!corr.to_string().contains(aid), "{corr}");
    // The node's own reader token is limited by role only.
    let corr = app
        .get(&format!("/api/v1/correlations/{gid}"), &app.reader)
        .await
        .json();
    assert!(corr.to_string().contains(aid), "{corr}");
}

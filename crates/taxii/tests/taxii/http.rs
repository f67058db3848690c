//! The routes driven without a socket: media types, status codes, filters, paging.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use concord_store::Store;
use concord_taxii::collection::CollectionConfig;
use concord_taxii::server::TaxiiConfig;
use serde_json::{Value, json};

use super::common::*;

#[tokio::test]
async fn discovery_root_and_collections_have_the_taxii_media_type() {
    let node = Node::with_objects(1);
    let d = node.get("/taxii2/", READER).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.content_type(), TAXII);
    assert_eq!(d.body["api_roots"], json!([ROOT]));
    let r = node.get(ROOT, READER).await;
    assert_eq!(r.body["versions"], json!([TAXII]));
    let c = node.get(&format!("{ROOT}collections/"), READER).await;
    assert_eq!(c.body["collections"][0]["id"], DEFAULT);
    assert_eq!(c.body["collections"][0]["can_write"], false);
    let c = node.get(&format!("{ROOT}collections/"), ANALYST).await;
    assert_eq!(c.body["collections"][0]["can_write"], true);
}

#[tokio::test]
async fn auth_basic_bearer_and_missing() {
    let node = Node::with_objects(1);
    let none = node
        .send(
            Request::builder()
                .uri("/taxii2/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.content_type(), TAXII);
    assert_eq!(none.body["http_status"], "401");
    assert!(none.headers.get("www-authenticate").is_some());
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("anyone:{READER}"));
    let ok = node
        .send(
            Request::builder()
                .uri("/taxii2/")
                .header("authorization", format!("Basic {basic}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let wrong = node.get("/taxii2/", "nope").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

/// An authenticated token is remembered for `CALLER_TTL`, not longer: once revoked it is
/// refused after at most that time.
#[tokio::test]
async fn a_revoked_token_is_refused_within_the_caller_ttl() {
    use concord_store::Store as _;
    let node = Node::with_objects(1);
    assert_eq!(node.get("/taxii2/", ANALYST).await.status, StatusCode::OK);
    let analyst = node.store.tokens().unwrap();
    let analyst = analyst.iter().find(|t| t.name == "analyst").unwrap();
    assert!(node.store.revoke_token(analyst.id).unwrap());
    tokio::time::sleep(concord_taxii::server::CALLER_TTL + std::time::Duration::from_millis(50))
        .await;
    let refused = node.get("/taxii2/", ANALYST).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(node.get("/taxii2/", READER).await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_accept_is_406_and_wrong_content_type_is_415() {
    let node = Node::with_objects(1);
    let mut req = get_req("/taxii2/", READER);
    req.headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    let a = node.send(req).await;
    assert_eq!(a.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(a.content_type(), TAXII);
    let a = node
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(objects_path())
                .header("authorization", format!("Bearer {ANALYST}"))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"objects": []}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(a.body["http_status"], "415");
}

#[tokio::test]
async fn envelope_over_max_content_length_is_413() {
    let node = Node::new(TaxiiConfig {
        max_content_length: 1000,
        ..TaxiiConfig::default()
    });
    let objs: Vec<Value> = (0..10).map(indicator).collect();
    let a = node
        .post(&objects_path(), ANALYST, &json!({ "objects": objs }))
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.content_type(), TAXII);
}

#[tokio::test]
async fn post_reports_each_object_and_the_status_is_readable() {
    let node = Node::new(TaxiiConfig::default());
    let bad = json!({"type": "indicator", "id": "indicator--nope"});
    let envelope = json!({ "objects": [indicator(1), bad, 42] });
    let a = node.post(&objects_path(), ANALYST, &envelope).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.body["total_count"], 3);
    assert_eq!(a.body["success_count"], 1);
    assert_eq!(a.body["failure_count"], 2);
    assert!(
        a.body["failures"][0]["message"]
            .as_str()
            .unwrap()
            .contains("indicator--nope")
    );
    let id = a.body["id"].as_str().unwrap();
    let s = node.get(&format!("{ROOT}status/{id}/"), ANALYST).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(s.body["success_count"], 1);
    let r = node.post(&objects_path(), READER, &envelope).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for body in [json!([1]), json!({"objects": "x"})] {
        let a = node.post(&objects_path(), ANALYST, &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}");
    }
}

#[tokio::test]
async fn pages_follow_next_without_skipping_or_repeating_while_writing() {
    let node = Node::with_objects(25);
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut round = 0;
    loop {
        let mut path = format!("{}?limit=10", objects_path());
        if let Some(n) = &next {
            path.push_str(&format!("&next={n}"));
        }
        let a = node.get(&path, READER).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        for o in a.body["objects"].as_array().cloned().unwrap_or_default() {
            seen.push(o["id"].as_str().unwrap().to_owned());
        }
        if round == 0 {
            assert!(a.headers.get("x-taxii-date-added-first").is_some());
            assert!(a.headers.get("x-taxii-date-added-last").is_some());
            let more: Vec<Value> = (100..105).map(indicator).collect();
            concord_store::import::import_values(&*node.store, more, 10, &mut |_| {}).unwrap();
        }
        round += 1;
        if a.body["more"] != true {
            break;
        }
        next = a.body["next"].as_str().map(str::to_owned);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 30);
    assert_eq!(unique.len(), 30);
}

/// The date-added headers of every page, full, last and short, name the first and the
/// last entry of the page (objects stored in five writes, each with its own date).
#[tokio::test]
async fn date_added_headers_name_each_pages_first_and_last_entry() {
    let node = Node::new(TaxiiConfig::default());
    for batch in 0..5 {
        let objs: Vec<Value> = (batch * 5..batch * 5 + 5).map(indicator).collect();
        concord_store::import::import_values(&*node.store, objs, 5000, &mut |_| {}).unwrap();
    }
    let header = |a: &Answer, name: &str| {
        a.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let manifest_path = objects_path().replace("/objects/", "/manifest/");
    for limit in [7, 5, 1, 25, 30] {
        // Each endpoint's pages (its `next` tokens are its own): (ids, dates, headers).
        let mut walks = Vec::new();
        for path in [objects_path(), manifest_path.clone()] {
            let mut pages = Vec::new();
            let mut next: Option<String> = None;
            loop {
                let tail = next
                    .as_ref()
                    .map(|n| format!("&next={n}"))
                    .unwrap_or_default();
                let a = node
                    .get(&format!("{path}?limit={limit}{tail}"), READER)
                    .await;
                assert_eq!(a.status, StatusCode::OK, "{}", a.body);
                let entries = a.body["objects"].as_array().unwrap();
                let ids: Vec<String> = entries
                    .iter()
                    .map(|e| e["id"].as_str().unwrap().to_owned())
                    .collect();
                let dates: Vec<String> = entries
                    .iter()
                    .filter_map(|e| e["date_added"].as_str().map(str::to_owned))
                    .collect();
                let headers = (
                    header(&a, "x-taxii-date-added-first"),
                    header(&a, "x-taxii-date-added-last"),
                );
                pages.push((ids, dates, headers));
                if a.body["more"] != true {
                    break;
                }
                next = a.body["next"].as_str().map(str::to_owned);
            }
            assert_eq!(pages.len(), 25usize.div_ceil(limit), "limit {limit}");
            walks.push(pages);
        }
        for (objects, manifest) in walks[0].iter().zip(&walks[1]) {
            assert_eq!(objects.0, manifest.0, "limit {limit}");
            let dates = &manifest.1;
            let expected = (dates[0].clone(), dates.last().unwrap().clone());
            assert_eq!(objects.2, expected, "objects, limit {limit}");
            assert_eq!(manifest.2, expected, "manifest, limit {limit}");
        }
        // Every object has a date of its own: first and last differ on every longer page.
        let distinct: std::collections::BTreeSet<&String> =
            walks[1].iter().flat_map(|p| &p.1).collect();
        assert_eq!(distinct.len(), 25);
    }
}

#[tokio::test]
async fn tampered_or_foreign_next_is_400() {
    let mut config = TaxiiConfig::default();
    config.collections.push(CollectionConfig {
        id: "other".into(),
        title: "Other".into(),
        ..CollectionConfig::default_collection()
    });
    let node = Node::new(config);
    let objs: Vec<Value> = (0..5).map(indicator).collect();
    concord_store::import::import_values(&*node.store, objs, 10, &mut |_| {}).unwrap();
    let a = node
        .get(&format!("{}?limit=2", objects_path()), READER)
        .await;
    let next = a.body["next"].as_str().unwrap().to_owned();
    let (seq, mac) = next.split_once('.').unwrap();
    let tampered = format!("{}.{mac}", seq.parse::<i64>().unwrap() + 1);
    let t = node
        .get(
            &format!("{}?limit=2&next={tampered}", objects_path()),
            READER,
        )
        .await;
    assert_eq!(t.status, StatusCode::BAD_REQUEST);
    assert_eq!(t.content_type(), TAXII);
    let other = format!("{ROOT}collections/other/objects/?limit=2&next={next}");
    assert_eq!(
        node.get(&other, READER).await.status,
        StatusCode::BAD_REQUEST
    );
    for q in [
        "limit=0",
        "limit=-1",
        "added_after=never",
        "match[colour]=red",
    ] {
        let a = node.get(&format!("{}?{q}", objects_path()), READER).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
    }
    let huge = node
        .get(&format!("{}?limit=100000000", objects_path()), READER)
        .await;
    assert_eq!(huge.status, StatusCode::OK);
}

#[tokio::test]
async fn filters_manifest_versions_and_one_object() {
    let node = Node::with_objects(3);
    let mut v2 = indicator(1);
    v2["modified"] = json!("2026-02-01T00:00:00.000Z");
    concord_store::import::import_values(&*node.store, vec![v2], 10, &mut |_| {}).unwrap();
    let id = indicator(1)["id"].as_str().unwrap().to_owned();
    let p = objects_path();
    let count = |b: &Value| b["objects"].as_array().map_or(0, Vec::len);
    assert_eq!(count(&node.get(&p, READER).await.body), 3);
    assert_eq!(
        count(
            &node
                .get(&format!("{p}?match[version]=all"), READER)
                .await
                .body
        ),
        4
    );
    assert_eq!(
        count(
            &node
                .get(&format!("{p}?match[id]={id}&match[version]=first"), READER)
                .await
                .body
        ),
        1
    );
    assert_eq!(
        count(
            &node
                .get(&format!("{p}?match[type]=malware"), READER)
                .await
                .body
        ),
        0
    );
    assert_eq!(
        count(
            &node
                .get(&format!("{p}?match[spec_version]=2.0"), READER)
                .await
                .body
        ),
        0
    );
    let ts = node
        .get(
            &format!("{p}?match[version]=2026-01-01T00:00:00.000Z"),
            READER,
        )
        .await;
    assert_eq!(count(&ts.body), 3);
    let m = node
        .get(&format!("{ROOT}collections/{DEFAULT}/manifest/"), READER)
        .await;
    assert_eq!(
        m.body["objects"][0]["media_type"],
        "application/stix+json;version=2.1"
    );
    let v = node.get(&format!("{p}{id}/versions/"), READER).await;
    assert_eq!(
        v.body["versions"],
        json!(["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"])
    );
    let o = node.get(&format!("{p}{id}/"), READER).await;
    assert_eq!(o.body["objects"][0]["modified"], "2026-02-01T00:00:00.000Z");
    let missing = node
        .get(
            &format!("{p}indicator--00000000-0000-4000-8000-00000000ffff/"),
            READER,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let nocoll = node
        .get(&format!("{ROOT}collections/nope/objects/"), READER)
        .await;
    assert_eq!(nocoll.status, StatusCode::NOT_FOUND);
    assert_eq!(nocoll.content_type(), TAXII);
}

#[tokio::test]
async fn collections_filter_and_hide_by_role() {
    let mut config = TaxiiConfig::default();
    config.collections.push(CollectionConfig {
        id: "analysts-only".into(),
        title: "Analysts".into(),
        types: vec!["malware".into()],
        can_read: vec![concord_store::Role::Analyst],
        can_write: vec![concord_store::Role::Analyst],
        ..CollectionConfig::default_collection()
    });
    let node = Node::new(config);
    let c = node.get(&format!("{ROOT}collections/"), READER).await;
    assert_eq!(c.body["collections"].as_array().unwrap().len(), 1);
    let hidden = node
        .get(&format!("{ROOT}collections/analysts-only/objects/"), READER)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let a = node
        .post(
            &format!("{ROOT}collections/analysts-only/objects/"),
            ANALYST,
            &json!({ "objects": [indicator(7)] }),
        )
        .await;
    assert_eq!(a.body["failure_count"], 1, "{}", a.body);
}

#[tokio::test]
async fn delete_removes_every_version_for_writers_only() {
    let node = Node::with_objects(2);
    let id = indicator(1)["id"].as_str().unwrap().to_owned();
    let path = format!("{}{id}/", objects_path());
    let delete = |token: &str, path: &str| {
        Request::builder()
            .method(Method::DELETE)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        node.send(delete(READER, &path)).await.status,
        StatusCode::FORBIDDEN
    );
    let picky = format!("{path}?match[version]=first");
    assert_eq!(
        node.send(delete(ANALYST, &picky)).await.status,
        StatusCode::BAD_REQUEST
    );
    let ok = node.send(delete(ANALYST, &path)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(node.get(&path, READER).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        node.send(delete(ANALYST, &path)).await.status,
        StatusCode::NOT_FOUND
    );
    let rest = node.get(&objects_path(), READER).await;
    assert_eq!(rest.body["objects"].as_array().unwrap().len(), 1);
}

/// A token that belongs to a user answers with what the user's TLP clearance allows:
/// objects above it are neither listed nor found by id; a node token without a user is
/// limited by role only.
#[tokio::test]
async fn a_users_token_sees_only_what_the_users_clearance_allows() {
    use concord_store::Store as _;
    use concord_store::users::Users;
    let node = Node::new(concord_taxii::server::TaxiiConfig::default());
    let marked = |n: usize, tlp: concord_stix::Tlp| {
        let mut v = indicator(n);
        v["object_marking_refs"] = json!([tlp.marking_id()]);
        v
    };
    concord_store::import::import_values(
        &*node.store,
        vec![
            marked(1, concord_stix::Tlp::Green),
            marked(2, concord_stix::Tlp::Amber),
            indicator(3),
        ],
        10,
        &mut |_| {},
    )
    .unwrap();
    let user = node
        .store
        .create_user(
            "greta",
            concord_store::Role::Reader,
            concord_stix::Tlp::Green,
            "x",
        )
        .unwrap()
        .unwrap();
    let token = node
        .store
        .create_token(
            "greta's script",
            concord_store::Role::Reader,
            "greta-secret",
        )
        .unwrap();
    node.store.link_token(token.id, user.id).unwrap();

    let ids = |a: &Answer| -> Vec<String> {
        a.body["objects"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|x| x["id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let path = format!("{ROOT}collections/{DEFAULT}/objects/");
    let greta = node.get(&path, "greta-secret").await;
    assert_eq!(greta.status, 200);
    let seen = ids(&greta);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(!seen.contains(&indicator(2)["id"].as_str().unwrap().to_owned()));
    let amber = indicator(2)["id"].as_str().unwrap().to_owned();
    let by_id = node
        .get(
            &format!("{ROOT}collections/{DEFAULT}/objects/{amber}/"),
            "greta-secret",
        )
        .await;
    assert_eq!(by_id.status, 404);

    let reader = node.get(&path, READER).await;
    assert_eq!(ids(&reader).len(), 3);
}

/// Issue 22: an envelope of many tiny objects is answered with every object counted and
/// the details bounded; one over `max_objects_per_request` is refused whole with 413.
#[tokio::test]
async fn many_tiny_objects_are_counted_and_too_many_refused_whole() {
    use concord_taxii::server::MAX_DETAILS;
    let node = Node::new(TaxiiConfig {
        max_objects_per_request: 3_000,
        ..TaxiiConfig::default()
    });
    let mut objects: Vec<Value> = (0..2_990).map(|_| json!({})).collect();
    objects.extend((0..10).map(indicator));
    let a = node
        .post(&objects_path(), ANALYST, &json!({ "objects": objects }))
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    assert_eq!(a.body["total_count"], 3_000);
    assert_eq!(a.body["success_count"], 10);
    assert_eq!(a.body["failure_count"], 2_990);
    assert_eq!(a.body["failures"].as_array().unwrap().len(), MAX_DETAILS);
    assert_eq!(a.body["successes"].as_array().unwrap().len(), 10);
    assert_eq!(
        a.body["successes"][0]["id"],
        indicator(0)["id"],
        "details name the object"
    );

    let before = node.store.stats().unwrap().objects;
    assert_eq!(before, 10);
    let over: Vec<Value> = (100..3_101).map(indicator).collect();
    let a = node
        .post(&objects_path(), ANALYST, &json!({ "objects": over }))
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert_eq!(a.content_type(), TAXII);
    let message = a.body["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
        + a.body["title"].as_str().unwrap_or_default();
    assert!(
        message.contains("3001") && message.contains("3000"),
        "{}",
        a.body
    );
    assert!(message.contains("max_objects_per_request"), "{}", a.body);
    assert_eq!(
        node.store.stats().unwrap().objects,
        before,
        "nothing stored"
    );
}

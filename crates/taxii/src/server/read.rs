//! The read routes (objects, manifest, one object, versions) and the paging engine under
//! them: current versions are scanned by `seq` through `Store::list`, collection filters
//! the store cannot apply are applied while scanning (within a scan budget), and `next`
//! carries the last `seq` looked at, so pages are stateless and nothing is skipped or
//! repeated while writes go on.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use concord_store::{ListQuery, Order, Store, StoreError, StoredObject};
use serde_json::json;

use super::{Caller, TaxiiState, taxii_body};
use crate::collection::{CollectionConfig, Head};
use crate::error::TaxiiError;
use crate::query::Params;
use crate::wire::{DATE_ADDED_FIRST, DATE_ADDED_LAST, STIX_MEDIA_TYPE};

/// Rows looked at per request at most when filters reject many; the page then ends early
/// with `more` and a `next` after the last row looked at.
pub const SCAN_BUDGET: usize = 20_000;

/// One version to answer with.
pub(crate) struct Item {
    stored: StoredObject,
    head: Head,
}

/// A page: the items and, if more may follow, the position to continue after.
pub(crate) struct Found {
    items: Vec<Item>,
    next: Option<i64>,
}

fn passes(coll: &CollectionConfig, p: &Params, head: &Head, date_added: &str) -> bool {
    (p.types.is_empty() || p.types.contains(&head.r#type))
        && (p.spec_versions.is_empty() || p.spec_versions.iter().any(|s| s == head.spec_version()))
        && p.added_after.as_deref().is_none_or(|a| date_added > a)
        && coll.admits(head).is_ok()
}

/// Selected versions of one id (oldest first), filtered.
fn versions_of(
    store: &dyn Store,
    coll: &CollectionConfig,
    p: &Params,
    id: &str,
) -> Result<Vec<Item>, StoreError> {
    let all: Vec<Item> = store
        .versions(id)?
        .into_iter()
        .map(|stored| Item {
            head: Head::parse(&stored.json),
            stored,
        })
        .collect();
    let vers: Vec<&str> = all
        .iter()
        .map(|i| i.head.version(&i.stored.date_added))
        .collect();
    let chosen = p.versions.select(&vers);
    Ok(all
        .into_iter()
        .enumerate()
        .filter(|(i, it)| chosen.contains(i) && passes(coll, p, &it.head, &it.stored.date_added))
        .map(|(_, it)| it)
        .collect())
}

/// Pages through what `p` selects in `coll`; `need_head` says whether the answer uses the
/// objects' heads (manifests and versions do, object envelopes need not).
pub(crate) fn find(
    store: &dyn Store,
    coll: &CollectionConfig,
    p: &Params,
    need_head: bool,
) -> Result<Found, StoreError> {
    let limit = p.limit;
    if !p.ids.is_empty() {
        let mut items = Vec::new();
        for id in &p.ids {
            items.extend(versions_of(store, coll, p, id)?);
        }
        items.sort_by_key(|i| i.stored.seq);
        items.dedup_by_key(|i| i.stored.seq);
        items.retain(|i| p.cursor.is_none_or(|c| i.stored.seq > c));
        return Ok(cut(items, limit));
    }
    let types: Vec<String> = match (coll.types.is_empty(), p.types.is_empty()) {
        (true, _) => p.types.clone(),
        (false, true) => coll.types.clone(),
        (false, false) => {
            let both: Vec<String> = p
                .types
                .iter()
                .filter(|t| coll.types.contains(t))
                .cloned()
                .collect();
            if both.is_empty() {
                return Ok(Found {
                    items: Vec::new(),
                    next: None,
                });
            }
            both
        }
    };
    let only_last = p.versions.only_last();
    let filtered = coll.has_content_filters() || !p.spec_versions.is_empty() || !only_last;
    let mut q = ListQuery {
        types,
        text: None,
        // The store filters current versions by date; with other versions asked for, each
        // version's own date decides.
        added_after: if only_last {
            p.added_after.clone()
        } else {
            None
        },
        cursor: p.cursor,
        order: Order::BySeq,
        limit: if filtered { 500 } else { limit + 1 },
    };
    let mut items = Vec::new();
    let mut scanned = 0usize;
    loop {
        let page = store.list(&q)?;
        for stored in page.objects {
            scanned += 1;
            q.cursor = Some(stored.seq);
            if only_last && !filtered {
                // The store applied every filter: parse only if the answer needs the head.
                let head = if need_head {
                    Head::parse(&stored.json)
                } else {
                    Head::default()
                };
                items.push(Item { stored, head });
                if items.len() > limit {
                    return Ok(cut(items, limit));
                }
                continue;
            }
            let head = Head::parse(&stored.json);
            if only_last {
                if passes(coll, p, &head, &stored.date_added) {
                    items.push(Item { stored, head });
                    if items.len() > limit {
                        return Ok(cut(items, limit));
                    }
                }
            } else if coll.admits(&head).is_ok() {
                let id = head.id.clone();
                items.extend(versions_of(store, coll, p, &id)?);
                if items.len() >= limit {
                    return Ok(Found {
                        items,
                        next: q.cursor,
                    });
                }
            }
        }
        if page.next.is_none() {
            return Ok(Found { items, next: None });
        }
        if scanned >= SCAN_BUDGET {
            return Ok(Found {
                items,
                next: q.cursor,
            });
        }
    }
}

/// Keeps `limit` items of a list that may hold one more, which says more follow.
fn cut(mut items: Vec<Item>, limit: usize) -> Found {
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|i| i.stored.seq);
        Found { items, next }
    } else {
        Found { items, next: None }
    }
}

/// Checks read access and parses the parameters, verifying `next` for `scope`.
fn prepare<'a>(
    state: &'a TaxiiState,
    caller: &Caller,
    collection: &str,
    raw: Option<&str>,
    allowed: &[&str],
    scope: &str,
) -> Result<(&'a CollectionConfig, Params), TaxiiError> {
    let coll = state.collection(collection, caller)?;
    if !coll.readable_by(caller.role) {
        return Err(TaxiiError::forbidden(format!(
            "token {:?} (role {}) may not read collection {}",
            caller.name,
            caller.role.as_str(),
            coll.id
        )));
    }
    let mut p = Params::parse(raw, allowed)?;
    p.verify_next(&state.config.next_key, &format!("{scope}:{}", coll.id))?;
    Ok((coll, p))
}

async fn run_find(
    state: &TaxiiState,
    coll: &CollectionConfig,
    p: Params,
    need_head: bool,
) -> Result<(Found, Params), TaxiiError> {
    let store = state.store.clone();
    let coll = coll.clone();
    Ok(
        tokio::task::spawn_blocking(move || find(&*store, &coll, &p, need_head).map(|f| (f, p)))
            .await??,
    )
}

/// `{"more": .., "next": .., <key>: [..]}` with the date-added headers.
fn page_response(
    state: &TaxiiState,
    p: &Params,
    scope: &str,
    found: &Found,
    key: &str,
    entries: Vec<String>,
) -> Response {
    let mut body = String::with_capacity(entries.iter().map(|e| e.len() + 1).sum::<usize>() + 128);
    match found.next {
        Some(seq) => {
            let token = p.next_token(&state.config.next_key, scope, seq);
            body.push_str(&format!("{{\"more\":true,\"next\":\"{token}\""));
        }
        None => body.push_str("{\"more\":false"),
    }
    if !entries.is_empty() {
        body.push_str(&format!(",\"{key}\":["));
        body.push_str(&entries.join(","));
        body.push(']');
    }
    body.push('}');
    let mut res = taxii_body(StatusCode::OK, body.into_bytes());
    let dates = found.items.first().zip(found.items.last());
    if let Some((first, last)) = dates {
        let h = res.headers_mut();
        for (name, item) in [(DATE_ADDED_FIRST, first), (DATE_ADDED_LAST, last)] {
            if let Ok(v) = HeaderValue::from_str(&item.stored.date_added) {
                h.insert(name, v);
            }
        }
    }
    res
}

const COLLECTION_MATCH: &[&str] = &["id", "type", "version", "spec_version"];

/// `GET .../collections/{id}/objects/`.
pub(super) async fn objects(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, TaxiiError> {
    let (coll, p) = prepare(
        &state,
        &caller,
        &collection,
        raw.as_deref(),
        COLLECTION_MATCH,
        "objects",
    )?;
    let scope = format!("objects:{}", coll.id);
    let (found, p) = run_find(&state, coll, p, false).await?;
    let entries = found.items.iter().map(|i| i.stored.json.clone()).collect();
    Ok(page_response(
        &state, &p, &scope, &found, "objects", entries,
    ))
}

/// `GET .../collections/{id}/manifest/`.
pub(super) async fn manifest(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path(collection): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, TaxiiError> {
    let (coll, p) = prepare(
        &state,
        &caller,
        &collection,
        raw.as_deref(),
        COLLECTION_MATCH,
        "manifest",
    )?;
    let scope = format!("manifest:{}", coll.id);
    let (found, p) = run_find(&state, coll, p, true).await?;
    let entries = found
        .items
        .iter()
        .map(|i| manifest_record(i).to_string())
        .collect();
    Ok(page_response(
        &state, &p, &scope, &found, "objects", entries,
    ))
}

fn manifest_record(i: &Item) -> serde_json::Value {
    json!({
        "id": i.head.id,
        "date_added": i.stored.date_added,
        "version": i.head.version(&i.stored.date_added),
        "media_type": STIX_MEDIA_TYPE,
    })
}

/// `GET .../collections/{id}/objects/{object_id}/`.
pub(super) async fn object(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path((collection, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, TaxiiError> {
    let scope = format!("object:{object}");
    let (coll, mut p) = prepare(
        &state,
        &caller,
        &collection,
        raw.as_deref(),
        &["version", "spec_version"],
        &scope,
    )?;
    let scope = format!("{scope}:{}", coll.id);
    p.ids = vec![object.clone()];
    ensure_exists(&state, coll, &object).await?;
    let (found, p) = run_find(&state, coll, p, false).await?;
    let entries = found.items.iter().map(|i| i.stored.json.clone()).collect();
    Ok(page_response(
        &state, &p, &scope, &found, "objects", entries,
    ))
}

/// 404 unless some version of `id` belongs to the collection.
pub(super) async fn ensure_exists(
    state: &TaxiiState,
    coll: &CollectionConfig,
    id: &str,
) -> Result<(), TaxiiError> {
    let store = state.store.clone();
    let owned = id.to_owned();
    let versions = tokio::task::spawn_blocking(move || store.versions(&owned)).await??;
    if versions
        .iter()
        .any(|v| coll.admits(&Head::parse(&v.json)).is_ok())
    {
        Ok(())
    } else {
        Err(TaxiiError::not_found(format!(
            "no object {id} in collection {}",
            coll.id
        )))
    }
}

/// `GET .../collections/{id}/objects/{object_id}/versions/`.
pub(super) async fn versions(
    caller: Caller,
    State(state): State<TaxiiState>,
    Path((collection, object)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, TaxiiError> {
    let scope = format!("versions:{object}");
    let (coll, mut p) = prepare(
        &state,
        &caller,
        &collection,
        raw.as_deref(),
        &["spec_version"],
        &scope,
    )?;
    let scope = format!("{scope}:{}", coll.id);
    ensure_exists(&state, coll, &object).await?;
    p.ids = vec![object];
    p.versions.all = true;
    let (found, p) = run_find(&state, coll, p, true).await?;
    let mut list: Vec<&str> = found
        .items
        .iter()
        .map(|i| i.head.version(&i.stored.date_added))
        .collect();
    list.sort_unstable();
    let entries = list.iter().map(|v| json!(v).to_string()).collect();
    Ok(page_response(
        &state, &p, &scope, &found, "versions", entries,
    ))
}

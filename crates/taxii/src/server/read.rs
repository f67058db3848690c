//! The read routes (objects, manifest, one object, versions): access checks, parameters,
//! `next` tokens and the answers, over the paging engine of [`super::paging`].

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::paging::{Found, Item, find, is_bounded, listing_types};
use super::{Caller, TaxiiState, taxii_body};
use crate::collection::{CollectionConfig, Head};
use crate::error::TaxiiError;
use crate::query::Params;
use crate::wire::{DATE_ADDED_FIRST, DATE_ADDED_LAST, STIX_MEDIA_TYPE};
use concord_store::{ListQuery, Order};

/// Checks read access and parses the parameters, verifying `next` for `scope`.
fn prepare(
    state: &TaxiiState,
    caller: &Caller,
    collection: &str,
    raw: Option<&str>,
    allowed: &[&str],
    scope: &str,
) -> Result<(CollectionConfig, Params), TaxiiError> {
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
    if is_bounded(coll, &p) {
        let found = find(&*state.store, coll, &p, need_head)?;
        return Ok((found, p));
    }
    // A filtered scan may look at up to `SCAN_BUDGET` rows: off the async workers.
    let store = state.store.clone();
    let coll = coll.clone();
    Ok(
        tokio::task::spawn_blocking(move || find(&*store, &coll, &p, need_head).map(|f| (f, p)))
            .await??,
    )
}

/// The objects of a page as the caller may see them: [`concord_stix::visibility`] (the
/// collection has already left out objects whose object markings are above the
/// caller's clearance; properties under granular markings above it are removed here).
fn shown(coll: &CollectionConfig, found: &Found) -> Vec<String> {
    found
        .items
        .iter()
        .filter_map(|i| {
            concord_stix::visibility::view_json(&i.stored.json, coll.clearance)
                .map(std::borrow::Cow::into_owned)
        })
        .collect()
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

/// An objects or manifest page for a request the store answers whole (no `match[id]`,
/// no filter of the collection's own, current versions only): the rows are written from
/// the store's cursor straight into the body, without copying them into objects or
/// parsing their JSON (a manifest entry's id and version are columns of the store).
fn direct_page(
    state: &TaxiiState,
    coll: &CollectionConfig,
    p: &Params,
    scope: &str,
    manifest: bool,
) -> Result<Response, TaxiiError> {
    let limit = p.limit;
    let mut body: Vec<u8> = Vec::with_capacity(if manifest { 180 } else { 640 } * limit + 160);
    body.extend_from_slice(b"{\"objects\":[");
    let mut listed = concord_store::Listed::default();
    if let Some(types) = listing_types(coll, p) {
        let clearance = coll.limiting_clearance();
        let q = ListQuery {
            types,
            text: None,
            added_after: p.added_after.clone(),
            cursor: p.cursor,
            order: Order::BySeq,
            limit,
            // Objects whose object markings are above the clearance are left out by
            // the store's own query; rows with a granular marking above it come marked.
            within: clearance.map(concord_store::Within::Objects),
        };
        // Set when a row may be hidden by a granular marking (the rule fails closed on
        // some): the page is then made again from whole rows (`cleared_rows`), so that
        // neither an entry nor the page's dates tell of a hidden object.
        let mut again = false;
        let mut n = 0usize;
        listed = state.store.list_borrowed(&q, !manifest, &mut |r| {
            let mut json = std::borrow::Cow::Borrowed(r.json);
            if r.redact {
                let shown = clearance.and_then(|c| {
                    let text = std::str::from_utf8(r.json).ok()?;
                    concord_stix::visibility::view_json(text, Some(c))
                });
                match shown {
                    Some(t) if !manifest => json = std::borrow::Cow::Owned(t.into_owned().into()),
                    _ => {
                        again = true;
                        return;
                    }
                }
            }
            if again {
                return;
            }
            if n > 0 {
                body.push(b',');
            }
            n += 1;
            if manifest {
                let version = if r.version.is_empty() {
                    r.date_added
                } else {
                    r.version
                };
                body.extend_from_slice(b"{\"id\":");
                push_json_str(&mut body, r.id);
                body.extend_from_slice(b",\"date_added\":");
                push_json_str(&mut body, r.date_added);
                body.extend_from_slice(b",\"version\":");
                push_json_str(&mut body, version);
                body.extend_from_slice(MANIFEST_MEDIA_TYPE);
            } else {
                body.extend_from_slice(&json);
            }
        })?;
        if again && let Some(c) = clearance {
            body.truncate(b"{\"objects\":[".len());
            listed = cleared_rows(state, q, c, manifest, &mut body)?;
        }
    }
    if listed.rows == 0 {
        // No envelope members: `objects` is left out, as in every other answer.
        body.clear();
        body.extend_from_slice(b"{");
    } else {
        body.extend_from_slice(b"],");
    }
    if listed.more {
        let token = p.next_token(&state.config.next_key, scope, listed.last_seq);
        body.extend_from_slice(b"\"more\":true,\"next\":");
        push_json_str(&mut body, &token);
    } else {
        body.extend_from_slice(b"\"more\":false");
    }
    body.push(b'}');
    let mut res = taxii_body(StatusCode::OK, body);
    if listed.rows > 0 {
        let h = res.headers_mut();
        for (name, value) in [
            (DATE_ADDED_FIRST, &listed.first_added),
            (DATE_ADDED_LAST, &listed.last_added),
        ] {
            if !value.is_empty()
                && let Ok(v) = HeaderValue::from_str(value)
            {
                h.insert(name, v);
            }
        }
    }
    Ok(res)
}

/// A direct page for a caller whose clearance can hide objects: the store leaves out
/// objects whose object markings are above it in the listing's own query (full pages,
/// and the cursor moves only over what the caller may see), and granular markings above
/// it are applied here (`concord_stix::visibility`).
fn cleared_rows(
    state: &TaxiiState,
    q: ListQuery,
    clearance: concord_stix::Tlp,
    manifest: bool,
    body: &mut Vec<u8>,
) -> Result<concord_store::Listed, TaxiiError> {
    let page = state
        .store
        .list_cleared(&concord_store::users::ClearedQuery {
            base: q,
            ..concord_store::users::ClearedQuery::new(clearance)
        })?;
    let mut listed = concord_store::Listed {
        more: page.next.is_some(),
        last_seq: page.objects.last().map_or(0, |o| o.seq),
        ..concord_store::Listed::default()
    };
    for o in &page.objects {
        let Some(shown) = concord_stix::visibility::view_listed_json(&o.json, clearance) else {
            continue;
        };
        if listed.rows > 0 {
            body.push(b',');
        } else {
            listed.first_added.clone_from(&o.date_added);
        }
        listed.rows += 1;
        listed.last_added.clone_from(&o.date_added);
        if manifest {
            let head = Head::parse(&o.json);
            body.extend_from_slice(b"{\"id\":");
            push_json_str(body, &head.id);
            body.extend_from_slice(b",\"date_added\":");
            push_json_str(body, &o.date_added);
            body.extend_from_slice(b",\"version\":");
            push_json_str(body, head.version(&o.date_added));
            body.extend_from_slice(MANIFEST_MEDIA_TYPE);
        } else {
            body.extend_from_slice(shown.as_bytes());
        }
    }
    Ok(listed)
}

/// The end of a manifest entry: its media type (always STIX 2.1's) and the closing brace.
const MANIFEST_MEDIA_TYPE: &[u8] = b",\"media_type\":\"application/stix+json;version=2.1\"}";

/// Appends `s` as a JSON string.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    // Ids, versions and dates have nothing to escape: copied as they are.
    if !concord_stix::canonical::needs_escape(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
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
    if p.ids.is_empty() && is_bounded(&coll, &p) {
        return direct_page(&state, &coll, &p, &scope, false);
    }
    let (found, p) = run_find(&state, &coll, p, false).await?;
    let entries = shown(&coll, &found);
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
    if p.ids.is_empty() && is_bounded(&coll, &p) {
        return direct_page(&state, &coll, &p, &scope, true);
    }
    let (found, p) = run_find(&state, &coll, p, true).await?;
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
    let (found, p) = run_find(&state, &coll, p, false).await?;
    if found.items.is_empty() {
        // Nothing selected: 404 unless the object is in the collection at all.
        ensure_exists(&state, &coll, &object).await?;
    }
    let entries = shown(&coll, &found);
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
    // The versions of one id: a bounded point query, run here.
    let versions = state.store.versions(id)?;
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
    ensure_exists(&state, &coll, &object).await?;
    p.ids = vec![object];
    p.versions.all = true;
    let (found, p) = run_find(&state, &coll, p, true).await?;
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

#[cfg(test)]
mod tests {
    use super::{MANIFEST_MEDIA_TYPE, STIX_MEDIA_TYPE, push_json_str};

    /// The copied fast path writes what serde_json writes, and anything needing an
    /// escape goes through serde_json.
    #[test]
    fn json_strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "indicator--00989680-4444-4444-8444-000000989680",
            "2026-02-01T00:00:00.000Z",
            "quote \" here",
            "back\\slash",
            "tab\there",
            "\u{1}",
            "caf\u{e9} \u{1F600} \u{7f}",
        ] {
            let mut out = Vec::new();
            push_json_str(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn a_manifest_entry_ends_with_the_stix_media_type() {
        assert_eq!(
            std::str::from_utf8(MANIFEST_MEDIA_TYPE).unwrap(),
            format!(
                ",\"media_type\":{}}}",
                serde_json::to_string(STIX_MEDIA_TYPE).unwrap()
            )
        );
    }
}

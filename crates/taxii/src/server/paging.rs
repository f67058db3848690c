//! The paging engine under the read routes: current versions are scanned by `seq`
//! through `Store::list` (every version through `Store::list_versions` for
//! `match[version]=all`), collection filters the store cannot apply are applied while
//! scanning (within a scan budget), and the position to continue from is the last `seq`
//! looked at, so pages are stateless and nothing is skipped or repeated while writes go on.

use concord_store::{ListQuery, Order, Store, StoreError, StoredObject};

use crate::collection::{CollectionConfig, Head};
use crate::query::Params;

/// Rows looked at per request at most when filters reject many; the page then ends early
/// with `more` and a `next` after the last row looked at.
pub const SCAN_BUDGET: usize = 20_000;

/// One version to answer with.
pub(crate) struct Item {
    pub(crate) stored: StoredObject,
    pub(crate) head: Head,
}

/// A page: the items and, if more may follow, the position to continue after.
pub(crate) struct Found {
    pub(crate) items: Vec<Item>,
    pub(crate) next: Option<i64>,
}

fn passes(coll: &CollectionConfig, p: &Params, head: &Head, stored: &StoredObject) -> bool {
    (p.types.is_empty() || p.types.contains(&head.r#type))
        && (p.spec_versions.is_empty() || p.spec_versions.iter().any(|s| s == head.spec_version()))
        && p.added_after
            .as_deref()
            .is_none_or(|a| concord_store::date_added::is_after(&stored.date_added, a))
        && coll.admits(head).is_ok()
        && seen(coll, &stored.json)
}

/// Whether the caller sees anything of a version: its object markings are checked by
/// `admits`; a granular marking above the clearance can still hide it whole (the
/// visibility rule fails closed), and then no entry of any answer may name it.
fn seen(coll: &CollectionConfig, json: &str) -> bool {
    coll.limiting_clearance()
        .is_none_or(|c| concord_stix::visibility::view_listed_json(json, c).is_some())
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
        .filter(|(i, it)| chosen.contains(i) && passes(coll, p, &it.head, &it.stored))
        .map(|(_, it)| it)
        .collect())
}

/// Whether [`find`] answers `p` with one indexed query of at most `limit + 1` rows (or
/// the versions of the ids asked for): cheap and bounded enough to run on an async
/// worker instead of the blocking pool (whose hand-offs would cost more than the query).
/// (A caller's clearance alone keeps a request bounded: the store applies it in the
/// listing's own query, `Users::list_cleared`.)
pub(crate) fn is_bounded(coll: &CollectionConfig, p: &Params) -> bool {
    !p.ids.is_empty()
        || (p.versions.only_last()
            && !p.versions.all
            && !coll.has_filters_besides_clearance()
            && p.spec_versions.is_empty())
}

/// The types to ask the store for: the request's within the collection's (either when
/// the other is unrestricted; empty means every type); `None` when they exclude each
/// other, so nothing can match.
pub(crate) fn listing_types(coll: &CollectionConfig, p: &Params) -> Option<Vec<String>> {
    match (coll.types.is_empty(), p.types.is_empty()) {
        (true, _) => Some(p.types.clone()),
        (false, true) => Some(coll.types.clone()),
        (false, false) => {
            let both: Vec<String> = p
                .types
                .iter()
                .filter(|t| coll.types.contains(t))
                .cloned()
                .collect();
            (!both.is_empty()).then_some(both)
        }
    }
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
    let Some(types) = listing_types(coll, p) else {
        return Ok(Found {
            items: Vec::new(),
            next: None,
        });
    };
    if p.versions.all {
        return all_versions(store, coll, p, types);
    }
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
        within: coll
            .limiting_clearance()
            .map(concord_store::Within::Objects),
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
                if passes(coll, p, &head, &stored) {
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

/// `match[version]=all` over the collection: every version by `seq`, each judged on its own.
fn all_versions(
    store: &dyn Store,
    coll: &CollectionConfig,
    p: &Params,
    types: Vec<String>,
) -> Result<Found, StoreError> {
    let mut q = ListQuery {
        types,
        text: None,
        added_after: p.added_after.clone(),
        cursor: p.cursor,
        order: Order::BySeq,
        limit: 500,
        within: coll
            .limiting_clearance()
            .map(concord_store::Within::Objects),
    };
    let (mut items, mut scanned) = (Vec::new(), 0usize);
    loop {
        let page = store.list_versions(&q)?;
        for stored in page.objects {
            scanned += 1;
            q.cursor = Some(stored.seq);
            let head = Head::parse(&stored.json);
            if passes(coll, p, &head, &stored) {
                items.push(Item { stored, head });
                if items.len() > p.limit {
                    return Ok(cut(items, p.limit));
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

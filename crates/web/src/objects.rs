//! Browse and search (`GET /objects`: filters, full-text search, cursor pages) and the
//! object page (`GET /objects/{id}`: fields, markings, versions and the difference between
//! any two, relationships, correlations).

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_stix::Tlp;
use concord_store::users::ClearedQuery;
use concord_store::{Correlation, Order, Related, StoredObject};
use maud::{Markup, html};
use serde_json::Value;

use super::i18n::Lang;
use super::layout::{self, Notice, tlp_badge};
use super::session::{Ctx, percent_encode};
use super::view::{self, cleared, display_name, object_link, object_tlp, type_of, visible};
use super::{Web, blocking};

/// Objects per page.
pub const PAGE_SIZE: usize = 50;
/// Related objects and correlations shown on an object page.
pub const MAX_RELATED: usize = 100;

/// Observable types offered by the type filter besides every SDO, SRO and meta type (any
/// STIX type name may be typed in the URL).
const FILTER_SCO_TYPES: &[&str] = &[
    "autonomous-system",
    "domain-name",
    "email-addr",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "url",
    "user-account",
    "x509-certificate",
];

/// Types offered by the type filter, in the order shown.
fn filter_types() -> impl Iterator<Item = &'static str> {
    use concord_stix::schema::{META_TYPES, SDO_TYPES, SRO_TYPES};
    [SDO_TYPES, SRO_TYPES, META_TYPES, FILTER_SCO_TYPES]
        .into_iter()
        .flatten()
        .copied()
}

/// Query of `GET /objects`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct BrowseQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    object_type: String,
    #[serde(default)]
    tlp: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    after: String,
}

impl BrowseQuery {
    /// The query string of these filters, with `after` replaced.
    fn link(&self, after: Option<i64>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("type", &self.object_type),
            ("tlp", &self.tlp),
            ("label", &self.label),
            ("source", &self.source),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", percent_encode(v)));
            }
        }
        if let Some(a) = after {
            parts.push(format!("after={a}"));
        }
        format!("/objects?{}", parts.join("&"))
    }
}

fn day(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The store query of the filters, or the message id of the first bad one.
fn to_query(b: &BrowseQuery, clearance: Tlp) -> Result<ClearedQuery, &'static str> {
    let mut q = ClearedQuery::new(clearance);
    q.base.limit = PAGE_SIZE;
    q.base.order = Order::NewestFirst;
    let text = b.q.trim();
    if text.chars().count() > 500 {
        return Err("browse-bad-text");
    }
    if !text.is_empty() {
        q.base.text = Some(text.to_owned());
    }
    let ty = b.object_type.trim();
    if !ty.is_empty() {
        concord_stix::id::check_type_name(ty).map_err(|_| "browse-bad-type")?;
        q.base.types.push(ty.to_owned());
    }
    if !b.tlp.trim().is_empty() {
        q.tlp = Some(b.tlp.parse::<Tlp>().map_err(|_| "browse-bad-tlp")?);
    }
    if !b.label.trim().is_empty() {
        q.label = Some(b.label.trim().chars().take(200).collect());
    }
    if !b.source.trim().is_empty() {
        if !view::is_stix_id(b.source.trim()) {
            return Err("browse-bad-source");
        }
        q.source = Some(b.source.trim().to_owned());
    }
    if !b.from.trim().is_empty() {
        let d = day(&b.from).ok_or("browse-bad-date")?;
        let before = d.pred_opt().ok_or("browse-bad-date")?;
        q.base.added_after = Some(format!("{before}T23:59:59.999Z"));
    }
    if !b.to.trim().is_empty() {
        let d = day(&b.to).ok_or("browse-bad-date")?;
        let next = d.succ_opt().ok_or("browse-bad-date")?;
        q.added_before = Some(format!("{next}T00:00:00.000Z"));
    }
    if !b.after.trim().is_empty() {
        q.base.cursor = Some(
            b.after
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or("browse-bad-cursor")?,
        );
    }
    Ok(q)
}

fn filters(l: Lang, b: &BrowseQuery) -> Markup {
    let tlps = [
        ("clear", "TLP:CLEAR"),
        ("green", "TLP:GREEN"),
        ("amber", "TLP:AMBER"),
        ("amber+strict", "TLP:AMBER+STRICT"),
        ("red", "TLP:RED"),
    ];
    html! {
        form.card.filters method="get" action="/objects" role="search" {
            p.wide {
                label for="q" { (l.t("browse-search")) }
                input #q type="search" name="q" value=(b.q) maxlength="500";
            }
            p {
                label for="type" { (l.t("browse-type")) }
                select #type name="type" {
                    option value="" { (l.t("browse-any")) }
                    @for t in filter_types() {
                        option value=(t) selected[b.object_type == t] { (t) }
                    }
                }
            }
            p {
                label for="tlp" { (l.t("browse-tlp")) }
                select #tlp name="tlp" {
                    option value="" { (l.t("browse-any")) }
                    @for (v, name) in tlps {
                        option value=(v) selected[b.tlp == v] { (name) }
                    }
                }
            }
            p {
                label for="label" { (l.t("browse-label")) }
                input #label type="text" name="label" value=(b.label) maxlength="200";
            }
            p {
                label for="source" { (l.t("browse-source")) }
                input #source type="text" name="source" value=(b.source) maxlength="200" placeholder="identity--…" dir="ltr";
            }
            p {
                label for="from" { (l.t("browse-from")) }
                input #from type="date" name="from" value=(b.from);
            }
            p {
                label for="to" { (l.t("browse-to")) }
                input #to type="date" name="to" value=(b.to);
            }
            p { button type="submit" { (l.t("browse-submit")) } }
        }
    }
}

/// A table of objects.
pub fn table(l: Lang, objects: &[StoredObject]) -> Markup {
    html! {
        table {
            thead {
                tr {
                    th scope="col" { (l.t("col-name")) }
                    th scope="col" { (l.t("col-type")) }
                    th scope="col" { (l.t("col-tlp")) }
                    th scope="col" { (l.t("col-modified")) }
                    th scope="col" { (l.t("col-added")) }
                }
            }
            tbody {
                @for o in objects {
                    @let v = o.value();
                    @let id = v.get("id").and_then(Value::as_str).unwrap_or("");
                    tr {
                        td { (object_link(id, &display_name(&v))) }
                        td { (type_of(&v)) }
                        td { (tlp_badge(object_tlp(&v))) }
                        td { @if let Some(m) = v.get("modified").and_then(Value::as_str) { (l.datetime(m)) } }
                        td { (l.datetime(&o.date_added)) }
                    }
                }
            }
        }
    }
}

/// `GET /objects`.
pub async fn browse(
    ctx: Ctx,
    State(web): State<Web>,
    Query(b): Query<BrowseQuery>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let title = l.t("browse-title");
    let query = match to_query(&b, user.clearance) {
        Ok(q) => q,
        Err(msg) => {
            let mut res = layout::page(&ctx, &title, Some(Notice::error(l.t(msg))), filters(l, &b));
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(res);
        }
    };
    let store = web.app.store.clone();
    let page = blocking(&ctx, move || store.list_cleared(&query)).await?;
    let next = page.next;
    // A text search shows only objects seen whole: its words may have matched what a
    // granular marking withholds.
    let text = !b.q.trim().is_empty();
    let objects: Vec<StoredObject> = page
        .objects
        .into_iter()
        .filter_map(|o| {
            if text {
                visible(&o.value(), user.clearance).then_some(o)
            } else {
                cleared(o, user.clearance)
            }
        })
        .collect();
    let body = html! {
        (filters(l, &b))
        @if objects.is_empty() {
            p.card { (l.t("browse-empty")) }
        } @else {
            p.muted role="status" { (l.t_n("browse-shown", "count", i64::try_from(objects.len()).unwrap_or(0))) }
            (table(l, &objects))
        }
        nav.pager aria-label=(l.t("pager-label")) {
            @if !b.after.is_empty() {
                a href=(b.link(None)) { (l.t("pager-first")) }
            }
            @if let Some(n) = next {
                a href=(b.link(Some(n))) rel="next" { (l.t("pager-next")) }
            }
        }
    };
    Ok(layout::page(&ctx, &title, None, body))
}

/// Query of `GET /objects/{id}`: two version `seq`s to compare.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    a: Option<i64>,
    #[serde(default)]
    b: Option<i64>,
}

/// What an object page shows, read in one blocking call.
pub(super) struct Loaded {
    pub(super) current: StoredObject,
    pub(super) versions: Vec<StoredObject>,
    pub(super) related: Vec<(Related, Option<Value>)>,
    pub(super) correlations: Vec<(Correlation, String)>,
    pub(super) provenance: Option<concord_store::federation::Provenance>,
}

/// Loads an object and its neighbourhood as a user with `clearance` may see it; `None`
/// when the object is not held or above the clearance.
pub(super) fn load(
    store: &dyn concord_store::Store,
    id: &str,
    clearance: Tlp,
) -> Result<Option<Loaded>, concord_store::StoreError> {
    let Some(held) = store.get(id)? else {
        return Ok(None);
    };
    let whole = visible(&held.value(), clearance);
    let Some(current) = cleared(held, clearance) else {
        return Ok(None);
    };
    let versions: Vec<StoredObject> = store
        .versions(id)?
        .into_iter()
        .filter_map(|v| cleared(v, clearance))
        .collect();
    let mut all = store.relationships(id)?;
    if !whole {
        // Its own references may lie in what was withheld: only others' references to it.
        all.retain(|r| r.direction == "incoming");
    }
    // An SRO appears twice (as the link to the object at its other end, and as an object
    // referring to this one): keep the link. Markings have their own section.
    let sros: std::collections::HashSet<String> = all
        .iter()
        .filter_map(|r| r.relationship.as_ref().map(|(rid, _)| rid.clone()))
        .collect();
    let wanted = all.into_iter().filter(|r| {
        let duplicate = r.relationship.is_none() && sros.contains(&r.id);
        let marking =
            r.via.starts_with("$.object_marking_refs") || r.via.starts_with("$.granular_markings");
        !duplicate && !marking
    });
    let mut related = Vec::new();
    for r in wanted {
        if related.len() >= MAX_RELATED {
            break;
        }
        let other = store
            .get(&r.id)?
            .map(|o| o.value())
            .filter(|v| visible(v, clearance));
        let rel_ok = match &r.relationship {
            Some((rid, _)) => store
                .get(rid)?
                .is_some_and(|o| visible(&o.value(), clearance)),
            None => true,
        };
        // A dangling reference is shown as an id; a held object above the clearance, or
        // one linked by a relationship above it, is not shown at all.
        let held = store.tlp_levels(std::slice::from_ref(&r.id))?;
        if rel_ok && (other.is_some() || held.is_empty()) {
            related.push((r, other));
        }
    }
    let mut correlations = Vec::new();
    // The shared value of a correlation may be one that was withheld.
    let shared = if whole {
        store.correlations(id)?
    } else {
        Vec::new()
    };
    for c in shared.into_iter().take(MAX_RELATED) {
        if let Some(o) = store.get(&c.id)? {
            let v = o.value();
            if visible(&v, clearance) {
                correlations.push((c, display_name(&v)));
            }
        }
    }
    let value = current.value();
    let version = value
        .get("modified")
        .or_else(|| value.get("created"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let provenance = store.provenance(id, version)?;
    Ok(Some(Loaded {
        current,
        versions,
        related,
        correlations,
        provenance,
    }))
}

fn diff(l: Lang, a: &StoredObject, b: &StoredObject) -> Markup {
    let (va, vb) = (a.value(), b.value());
    let empty = serde_json::Map::new();
    let ma = va.as_object().unwrap_or(&empty);
    let mb = vb.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    let mut same = 0i64;
    let rows: Vec<(&str, &str, Option<&Value>, Option<&Value>)> = keys
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (ma.get(k), mb.get(k));
            match (x, y) {
                (Some(x), Some(y)) if x == y => {
                    same += 1;
                    None
                }
                (Some(_), Some(_)) => Some((k.as_str(), "changed", x, y)),
                (None, Some(_)) => Some((k.as_str(), "added", x, y)),
                _ => Some((k.as_str(), "removed", x, y)),
            }
        })
        .collect();
    let show = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => serde_json::to_string_pretty(other).unwrap_or_default(),
        None => String::new(),
    };
    html! {
        table.diff {
            caption { (l.t_n("diff-caption", "count", i64::try_from(rows.len()).unwrap_or(0))) }
            thead {
                tr {
                    th scope="col" { (l.t("diff-property")) }
                    th scope="col" { (l.t_s("diff-version", "version", &l.datetime(va.get("modified").and_then(Value::as_str).unwrap_or(&a.date_added)))) }
                    th scope="col" { (l.t_s("diff-version", "version", &l.datetime(vb.get("modified").and_then(Value::as_str).unwrap_or(&b.date_added)))) }
                }
            }
            tbody {
                @for (k, class, x, y) in &rows {
                    tr class=(class) {
                        th scope="row" { (k) " " span.muted { "(" (l.t(&format!("diff-{class}"))) ")" } }
                        td { pre { (show(*x)) } }
                        td { pre { (show(*y)) } }
                    }
                }
            }
        }
        p.muted { (l.t_n("diff-same", "count", same)) }
    }
}

fn versions_section(l: Lang, id: &str, versions: &[StoredObject], q: &ShowQuery) -> Markup {
    let n = versions.len();
    let default_a = versions
        .len()
        .checked_sub(2)
        .and_then(|i| versions.get(i))
        .map(|v| v.seq);
    let default_b = versions.last().map(|v| v.seq);
    let sel_a = q.a.or(default_a);
    let sel_b = q.b.or(default_b);
    html! {
        h2 #versions { (l.t_n("versions-heading", "count", i64::try_from(n).unwrap_or(0))) }
        form method="get" action={ "/objects/" (id) "#versions" } {
            table {
                thead {
                    tr {
                        th scope="col" { (l.t("col-modified")) }
                        th scope="col" { (l.t("col-added")) }
                        th scope="col" { (l.t("versions-compare-a")) }
                        th scope="col" { (l.t("versions-compare-b")) }
                    }
                }
                tbody {
                    @for (i, v) in versions.iter().enumerate() {
                        @let val = v.value();
                        tr {
                            td {
                                (l.datetime(val.get("modified").and_then(Value::as_str).unwrap_or("—")))
                                @if v.current { " " span.muted { "(" (l.t("versions-current")) ")" } }
                            }
                            td { (l.datetime(&v.date_added)) }
                            td {
                                input type="radio" name="a" value=(v.seq) id={ "va" (i) } checked[sel_a == Some(v.seq)] aria-label={ (l.t("versions-compare-a")) " " (i + 1) };
                            }
                            td {
                                input type="radio" name="b" value=(v.seq) id={ "vb" (i) } checked[sel_b == Some(v.seq)] aria-label={ (l.t("versions-compare-b")) " " (i + 1) };
                            }
                        }
                    }
                }
            }
            @if n > 1 {
                p { button type="submit" { (l.t("versions-compare")) } }
            }
        }
        @if let (Some(a), Some(b)) = (q.a, q.b) {
            @if let (Some(va), Some(vb)) = (versions.iter().find(|v| v.seq == a), versions.iter().find(|v| v.seq == b)) {
                (diff(l, va, vb))
            }
        }
    }
}

/// `GET /objects/{id}`.
pub async fn show(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    let l = ctx.lang;
    let not_found = || layout::error_page(&ctx, StatusCode::NOT_FOUND, &l.t("error-no-object"));
    if !view::is_stix_id(&id) {
        return Err(not_found());
    }
    let (store, communities) = (web.app.store.clone(), web.app.communities.clone());
    let key = id.clone();
    let found = blocking(&ctx, move || {
        let Some(loaded) = load(&*store, &key, user.clearance)? else {
            return Ok(None);
        };
        // A version signed before its signer's key was revoked is kept, and flagged (as
        // `GET /api/v1/objects/{id}` does).
        let revoked = match &loaded.provenance {
            Some(p) if !p.is_local() => concord_federation::governance::revoked_signer(
                &communities.states(store.as_ref())?,
                p,
            ),
            _ => None,
        };
        Ok(Some((loaded, revoked)))
    })
    .await?;
    let Some((loaded, revoked)) = found else {
        return Err(not_found());
    };
    let v = loaded.current.value();
    let markings: Vec<&str> = v
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut by_kind: HashMap<&str, usize> = HashMap::new();
    for (c, _) in &loaded.correlations {
        *by_kind.entry(c.kind.as_str()).or_default() += 1;
    }
    let body = html! {
        p {
            (tlp_badge(object_tlp(&v))) " "
            span.muted { (type_of(&v)) } " · "
            a href={ "/objects/" (id) "/graph" } { (l.t("object-open-graph")) }
            @if user.role >= concord_store::Role::Admin && web.app.federation.is_some() {
                " · " a href={ "/objects/" (id) "/policy" } { (l.t("object-open-policy")) }
            }
        }
        section.card aria-labelledby="fields-h" {
            h2 #fields-h { (l.t("object-fields")) }
            (view::fields(l, &v))
        }
        section aria-labelledby="markings-h" {
            h2 #markings-h { (l.t("object-markings")) }
            @if markings.is_empty() {
                p.muted { (l.t("object-no-markings")) }
            } @else {
                ul {
                    @for m in &markings {
                        li {
                            @match concord_stix::Tlp::from_marking_id(m) {
                                Some(t) => { (tlp_badge(t)) " " }
                                None => {}
                            }
                            (object_link(m, m))
                        }
                    }
                }
            }
        }
        section aria-labelledby="prov-h" {
            h2 #prov-h { (l.t("object-provenance")) }
            @match &loaded.provenance {
                None => { p.muted { (l.t("provenance-local")) } }
                Some(p) => {
                    dl.fields {
                        dt { (l.t("provenance-origin")) } dd.id { (p.origin) }
                        dt { (l.t("provenance-received-from")) } dd.id { (p.received_from) }
                        dt { (l.t("provenance-hops")) } dd { (l.number(i64::from(p.hops_left))) }
                        @if let Some(r) = &p.redactor {
                            dt { (l.t("provenance-redacted-by")) } dd.id { (r.node) }
                        }
                        @if let Some(r) = &revoked {
                            dt { (l.t("provenance-signer-revoked")) }
                            dd {
                                ({
                                    let mut args = fluent_bundle::FluentArgs::new();
                                    args.set("community", r.community.as_str());
                                    args.set("since", r.since.as_str());
                                    let id = if r.role == "redactor" {
                                        "provenance-revoked-redactor"
                                    } else {
                                        "provenance-revoked-origin"
                                    };
                                    l.t_args(id, Some(&args))
                                })
                            }
                        }
                    }
                }
            }
        }
        (versions_section(l, &id, &loaded.versions, &q))
        section aria-labelledby="rel-h" {
            h2 #rel-h { (l.t_n("object-relationships", "count", i64::try_from(loaded.related.len()).unwrap_or(0))) }
            @if !loaded.related.is_empty() {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-direction")) }
                        th scope="col" { (l.t("col-relationship")) }
                        th scope="col" { (l.t("col-object")) }
                        th scope="col" { (l.t("col-type")) }
                    } }
                    tbody {
                        @for (r, other) in &loaded.related {
                            tr {
                                td { (l.t(if r.direction == "outgoing" { "direction-outgoing" } else { "direction-incoming" })) }
                                td {
                                    @match &r.relationship {
                                        Some((rid, rtype)) => { (object_link(rid, rtype)) }
                                        None => { code dir="ltr" { (r.via) } }
                                    }
                                }
                                td {
                                    @match other {
                                        Some(o) => { (object_link(&r.id, &display_name(o))) }
                                        None => { span.id { (r.id) } " " span.muted { "(" (l.t("object-not-held")) ")" } }
                                    }
                                }
                                td { (other.as_ref().map_or("", |o| type_of(o))) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="corr-h" {
            h2 #corr-h { (l.t_n("object-correlations", "count", i64::try_from(loaded.correlations.len()).unwrap_or(0))) }
            @if !loaded.correlations.is_empty() {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-kind")) }
                        th scope="col" { (l.t("col-value")) }
                        th scope="col" { (l.t("col-object")) }
                        th scope="col" { (l.t("col-type")) }
                    } }
                    tbody {
                        @for (c, name) in &loaded.correlations {
                            tr {
                                td { (c.kind) }
                                td { bdi.id { (c.value) } }
                                td { (object_link(&c.id, name)) }
                                td { (c.object_type) }
                            }
                        }
                    }
                }
            }
        }
        details {
            summary { (l.t("object-json")) }
            pre dir="ltr" { (serde_json::to_string_pretty(&v).unwrap_or_default()) }
        }
    };
    Ok(layout::page(&ctx, &display_name(&v), None, body))
}

//! Peers and the audit log (`/peers`, admins): each peer's sync state (last pull, lag,
//! last error, objects received), the outbound audit log page by page, and `verify`, which
//! recomputes the whole hash chain.

use axum::extract::{Query, State};
use axum::response::Response;
use concord_store::federation::{AUDIT_GENESIS, AuditRecord, audit_hash};
use concord_store::{Role, Store, StoreError};
use maud::{Markup, html};

use super::i18n::Lang;
use super::layout::{self, Notice};
use super::session::{Ctx, percent_encode};
use super::view::object_link;
use super::{Web, blocking};

/// Audit entries per page.
pub const AUDIT_PAGE: usize = 100;
/// Entries read per chunk while verifying.
const VERIFY_CHUNK: usize = 10_000;

/// Query of `GET /peers`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PeersQuery {
    /// Audit entries after this position.
    #[serde(default)]
    after: Option<i64>,
    /// Only this peer's entries.
    #[serde(default)]
    peer: Option<String>,
    /// `1` to verify the chain.
    #[serde(default)]
    verify: Option<String>,
}

/// The result of checking the audit chain.
enum Verified {
    /// Every entry links to its predecessor and hashes to its stored hash.
    Intact(i64),
    /// The first entry that does not.
    Broken(i64),
}

fn verify(store: &dyn Store) -> Result<Verified, StoreError> {
    let mut prev = AUDIT_GENESIS.to_owned();
    let mut after = 0;
    let mut count = 0;
    loop {
        let chunk = store.audit(None, after, VERIFY_CHUNK)?;
        if chunk.is_empty() {
            return Ok(Verified::Intact(count));
        }
        for r in &chunk {
            if r.prev != prev || audit_hash(&r.prev, r.n, &r.at, &r.entry) != r.hash {
                return Ok(Verified::Broken(r.n));
            }
            prev.clone_from(&r.hash);
            after = r.n;
            count += 1;
        }
    }
}

fn verdict(l: Lang, v: &str) -> String {
    match v {
        "send" | "send-redacted" | "withhold" => l.t(&format!("verdict-{v}")),
        other => other.to_owned(),
    }
}

fn audit_table(l: Lang, records: &[AuditRecord]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (l.t("col-at")) }
                th scope="col" { (l.t("col-peer")) }
                th scope="col" { (l.t("col-object")) }
                th scope="col" { (l.t("col-verdict")) }
                th scope="col" { (l.t("col-agreement")) }
                th scope="col" { (l.t("col-hash")) }
            } }
            tbody {
                @for r in records {
                    tr {
                        td.num { (l.number(r.n)) }
                        td { (l.datetime(&r.at)) }
                        td.id { (r.entry.peer) }
                        td { (object_link(&r.entry.object_id, &r.entry.object_id)) }
                        td { (verdict(l, &r.entry.verdict)) }
                        td { (r.entry.agreement.as_deref().unwrap_or("—")) }
                        td.id { code dir="ltr" { (r.hash.get(..16).unwrap_or(&r.hash)) "…" } }
                    }
                }
            }
        }
    }
}

/// `GET /peers`.
pub async fn page(
    ctx: Ctx,
    State(web): State<Web>,
    Query(q): Query<PeersQuery>,
) -> Result<Response, Response> {
    ctx.require_role(Role::Admin)?;
    let l = ctx.lang;
    let store = web.app.store.clone();
    let after = q.after.unwrap_or(0).max(0);
    let peer = q.peer.clone().filter(|p| !p.is_empty());
    let want_verify = q.verify.as_deref() == Some("1");
    let (peers, records, verified) = blocking(&ctx, move || {
        let peers = store.peers()?;
        let records = store.audit(peer.as_deref(), after, AUDIT_PAGE)?;
        let verified = if want_verify {
            Some(verify(&*store)?)
        } else {
            None
        };
        Ok((peers, records, verified))
    })
    .await?;
    let notice = verified.map(|v| match v {
        Verified::Intact(n) => Notice::ok(l.t_n("audit-intact", "count", n)),
        Verified::Broken(n) => Notice::error(l.t_n("audit-broken", "n", n)),
    });
    let peer_q = q.peer.as_deref().map(percent_encode).unwrap_or_default();
    let body = html! {
        section.card aria-labelledby="peers-h" {
            h2 #peers-h { (l.t_n("peers-heading", "count", i64::try_from(peers.len()).unwrap_or(0))) }
            @if peers.is_empty() {
                p.muted { (l.t("dashboard-peers-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (l.t("col-name")) }
                        th scope="col" { (l.t("col-url")) }
                        th scope="col" { (l.t("col-agreement")) }
                        th scope="col" { (l.t("col-last-sync")) }
                        th scope="col" { (l.t("col-lag")) }
                        th scope="col" { (l.t("col-received")) }
                        th scope="col" { (l.t("col-last-error")) }
                    } }
                    tbody {
                        @for p in &peers {
                            tr {
                                td {
                                    a href={ "/peers?peer=" (percent_encode(&p.node_id)) } { bdi { (p.name) } }
                                    br; span.id.muted { (p.node_id) }
                                }
                                td.id { (p.url) }
                                td { (p.agreement.as_deref().unwrap_or("—")) }
                                td { (p.last_sync.as_deref().map_or_else(|| l.t("peers-never"), |t| l.datetime(t))) }
                                td.num { (l.number((p.head - p.cursor).max(0))) }
                                td.num { (l.number(p.received)) }
                                td {
                                    @if let Some(e) = &p.last_error {
                                        span.error { (e) }
                                        @if let Some(at) = &p.last_error_at { br; span.muted { (l.datetime(at)) } }
                                    } @else { "—" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="audit-h" {
            h2 #audit-h { (l.t("audit-heading")) }
            form method="get" action="/peers" {
                input type="hidden" name="verify" value="1";
                button type="submit" { (l.t("audit-verify")) }
            }
            @if records.is_empty() {
                p.muted { (l.t("audit-empty")) }
            } @else {
                (audit_table(l, &records))
            }
            nav.pager aria-label=(l.t("pager-label")) {
                @if after > 0 {
                    a href={ "/peers?peer=" (peer_q) } { (l.t("pager-first")) }
                }
                @if records.len() == AUDIT_PAGE {
                    @if let Some(last) = records.last() {
                        a href={ "/peers?peer=" (peer_q) "&after=" (last.n) } rel="next" { (l.t("pager-next")) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx, &l.t("peers-title"), notice, body))
}

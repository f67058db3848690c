//! The web interface, served at `/`: server-rendered HTML pages (maud templates, which
//! escape every inserted value), all text from Fluent files in six languages (`i18n`),
//! sessions of local users with CSRF tokens (`session`), and assets built into the binary
//! (`assets`). No page needs JavaScript: the one page script (`assets/concord.js`) adds
//! live notifications (`live`) and upload progress, and pages work the same without it.
//!
//! The interface is one [`Part`] of the node's application ([`part`]): the server crate
//! merges it with its own routes under one fallback and the same layers, lists its paths
//! with the node's, and serves it.
//!
//! ```no_run
//! use std::sync::Arc;
//! use concord_server::{AppState, ServerConfig, serve};
//! use concord_store::sqlite::SqliteStore;
//!
//! # async fn run() -> std::io::Result<()> {
//! let store = SqliteStore::open_in_memory().expect("store");
//! let state = AppState::new(Arc::new(store), ServerConfig::default());
//! let web = concord_web::part(state.clone());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! serve(listener, state, vec![web], async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! Invariant: a user never sees an object above their TLP clearance. Listings ask the
//! store for clearance-limited pages ([`concord_store::users::Users::list_cleared`]),
//! single objects, relationships, correlations and graph nodes are checked with
//! `view::object_tlp` / [`concord_store::users::Users::tlp_levels`], and dashboard
//! counts sum only the levels the user may see.
//!
//! | page | role |
//! |---|---|
//! | `GET /signin`, `POST /signin`, `POST /signout`, `GET /lang/{code}` | none |
//! | `GET /` (dashboard, for clients that accept HTML), `/objects`, `/objects/{id}`, `/objects/{id}/graph`, `/incidents`, `/incidents/{id}`, `/account`, `/notifications`, `/notifications/live` (server-sent events) | reader |
//! | `/import`, `/import/jobs/{id}` and `/import/jobs/{id}/status` (JSON; the user's own import jobs), `/matching` | analyst |
//! | `/community`, `/community/proposals`, `/community/log` (the community's members, charter, proposals and log, as `GET /api/v1/community` shows them to a reader; local refusals for admins only) | reader |
//! | `/objects/{id}/policy` (what each peer would receive, and why), `/peers` (peers, audit log and its verification), `/admin`, `POST /admin/users`, `POST /admin/users/{id}`, `POST /community/proposals` and `/community/votes` (signed with the node key) | admin |
//!
//! Pages show, they do not decide: imports go through `concord-ingest` as `concord import`
//! runs them (through the user's `ClearedStore`), matching through `concord_server::matching`,
//! incidents through `concord-response`, peer decisions through `concord-federation`'s
//! `outbound::decide`, community proposals and votes through
//! `concord_federation::governance::publish`. Local users (argon2id hashes, roles, a TLP
//! clearance), sessions and
//! user-owned tokens live in the store behind `concord_store::users::Users`. Texts: CLDR
//! plurals, numbers and dates per language, Arabic right to left through logical CSS
//! properties; every message id exists in every language. No page contains a `<script>`
//! element but the page script from `/assets/`, and the content security policy forbids
//! inline script and style. The live channel (`live`) follows the store from its head at
//! start-up with `concord_response::notify::pending` for the `web` subscriptions of
//! `response.toml` and streams server-sent events (`/notifications/live`) to signed-in
//! users; `/notifications` lists the same without JavaScript.

// Handlers answer `Result<Response, Response>` (an error page is a response); boxing the
// error would only add an allocation on the error path.
#![allow(clippy::result_large_err)]

mod account;
mod admin;
mod assets;
mod charts;
mod community;
mod dashboard;
mod feeds;
mod graph;
pub mod i18n;
mod incidents;
mod jobs;
mod layout;
mod live;
pub mod lockout;
mod objects;
mod peers;
mod policy;
pub mod session;
mod transfer;
pub(crate) mod view;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use concord_store::StoreError;

use concord_server::{AppState, Part};
use session::Ctx;

/// The web interface's state: the application's, plus the dashboard's count cache, the
/// feeds' state files, import jobs and the live notification channel.
#[derive(Clone)]
pub struct Web {
    app: AppState,
    counts: Arc<dashboard::CountCache>,
    failures: Arc<lockout::Failures>,
    feeds: Arc<feeds::FeedCache>,
    jobs: Arc<jobs::Jobs>,
    live: Arc<live::Live>,
}

/// The web interface as a part of the node's application: what `concord serve` passes
/// to [`concord_server::serve_with`], and tests to [`concord_server::app_with`] and
/// [`concord_server::route_paths`]. Building it counts the store for the dashboard on a
/// thread, and starts the live notification channel when it runs on a tokio runtime in
/// a node with a data directory (else the first live stream starts it).
pub fn part(state: AppState) -> Part {
    // Live notifications cover what is stored from now on (history is not replayed).
    let head = state.store.head_seq().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Store head unreadable for web notifications.");
        0
    });
    let kept_counts = state
        .config
        .data_dir
        .as_ref()
        .map(|d| d.join(dashboard::COUNTS_FILE));
    let failures = Arc::new(lockout::Failures::new(state.store.clone()));
    let web = Web {
        app: state,
        counts: Arc::new(dashboard::CountCache::with_file(kept_counts)),
        failures,
        feeds: Arc::new(feeds::FeedCache::default()),
        jobs: Arc::new(jobs::Jobs::default()),
        live: Arc::new(live::Live::new(head)),
    };
    web.live.ensure_started(&web);
    // Count the store for the dashboard now, so that its first visitor need not wait
    // (a million objects take seconds to count).
    let counts = web.counts.clone();
    let store = web.app.store.clone();
    std::thread::spawn(move || counts.warm(&store));
    Part::from_table(table(), web)
}

/// The web interface's routes: paths and handlers. [`part`] is built from exactly this
/// list, its router and its paths alike (tests walk every route of the node).
fn table() -> Vec<(&'static str, MethodRouter<Web>)> {
    vec![
        ("/", get(dashboard::page)),
        ("/signin", get(session::signin_form).post(session::signin)),
        ("/signout", post(session::signout)),
        ("/lang/{code}", get(session::switch_lang)),
        ("/objects", get(objects::browse)),
        ("/objects/{id}", get(objects::show)),
        ("/objects/{id}/graph", get(graph::page)),
        ("/objects/{id}/policy", get(policy::page)),
        ("/incidents", get(incidents::list)),
        ("/incidents/{id}", get(incidents::show)),
        ("/import", get(transfer::import_form).post(transfer::import)),
        ("/import/jobs/{id}", get(transfer::import_job)),
        ("/import/jobs/{id}/status", get(transfer::import_job_status)),
        ("/notifications", get(live::page)),
        ("/notifications/live", get(live::stream)),
        (
            "/matching",
            get(transfer::matching_form).post(transfer::matching),
        ),
        ("/account", get(account::page)),
        ("/account/password", post(account::password)),
        ("/account/tokens", post(account::create_token)),
        ("/account/tokens/{id}/revoke", post(account::revoke_token)),
        ("/peers", get(peers::page)),
        ("/community", get(community::page)),
        (
            "/community/proposals",
            get(community::proposals::page).post(community::proposals::propose),
        ),
        ("/community/votes", post(community::proposals::vote)),
        ("/community/log", get(community::history::page)),
        ("/admin", get(admin::page)),
        ("/admin/users", post(admin::create_user)),
        ("/admin/users/{id}", post(admin::update_user)),
        ("/assets/{name}", get(assets::serve)),
    ]
}

/// Runs blocking store work off the async threads; a store failure becomes an error page
/// that shows only an id (the error itself is logged).
pub(crate) async fn blocking<T: Send + 'static>(
    ctx: &Ctx,
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(ctx, &e)),
        Err(e) => Err(internal(ctx, &e)),
    }
}

/// A 500 page showing an error id; the error is logged with it.
pub(crate) fn internal(ctx: &Ctx, error: &dyn std::fmt::Display) -> Response {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let id = hex::encode(bytes);
    tracing::error!(error_id = %id, error = %error, "Web page failed.");
    layout::error_page(
        ctx,
        StatusCode::INTERNAL_SERVER_ERROR,
        &ctx.lang.t_s("error-internal", "id", &id),
    )
}

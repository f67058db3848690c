//! Files in: import of STIX documents, MISP events, CSAF advisories, CSV and
//! one-value-per-line feeds (`/import`, read by `concord-ingest` exactly as `concord
//! import` reads them, through the user's `ClearedStore`, as a background job whose page
//! shows progress, then per-object results; see `jobs`), matching of logs through the
//! one matching service (`/matching`, `concord_server::matching`: the server's live index, hits
//! only on indicators the user sees whole, sightings marked with their level), and the
//! state of the node's feeds.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use concord_ingest::{Input, InputEnd, Note, Options, Progress, Target, import_inputs};
use concord_matcher::readers::Format;
use concord_store::import::{ObjectResult, Summary};
use concord_store::{Role, Store, StoreError};
use fluent_bundle::{FluentArgs, FluentValue};
use maud::{Markup, html};
use serde_json::Value;

use super::feeds::Feeds;
use super::i18n::Lang;
use super::jobs::{self, Job, Outcome, Phase, Refused};
use super::layout::{self, Notice, csrf_field};
use super::session::Ctx;
use super::view::object_link;
use super::{Web, blocking};
use concord_server::routes::matching::FORMATS;

/// Rows of per-object results shown after an import.
pub const MAX_RESULT_ROWS: usize = 1000;

/// The fields of an upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Vec<u8>,
    file_name: String,
    format: String,
    /// Import only: a known list or CSV layout (`concord import --preset`), or empty to
    /// recognise the format from the content.
    layout: String,
}

async fn read_upload(mut mp: Multipart) -> Result<Upload, String> {
    let mut up = Upload::default();
    while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                up.file_name = field.file_name().unwrap_or("").chars().take(200).collect();
                up.file = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            }
            "csrf" => up.csrf = field.text().await.map_err(|e| e.to_string())?,
            "format" => up.format = field.text().await.map_err(|e| e.to_string())?,
            "layout" => up.layout = field.text().await.map_err(|e| e.to_string())?,
            _ => {}
        }
    }
    Ok(up)
}

fn import_form_markup(ctx: &Ctx) -> Markup {
    let l = ctx.lang;
    html! {
        // `data-progress`: the page script (if it runs) uploads with progress shown.
        form.card method="post" action="/import" enctype="multipart/form-data" data-progress="upload-progress" {
            (csrf_field(ctx))
            p {
                label for="file" { (l.t("import-file")) }
                input #file type="file" name="file" required;
            }
            p.muted { (l.t("import-help")) }
            p {
                label for="layout" { (l.t("import-layout")) }
                " "
                select #layout name="layout" {
                    option value="auto" selected { (l.t("import-layout-auto")) }
                    @for preset in concord_formats::plain::presets() {
                        option value=(preset.name) { (preset.name) }
                    }
                }
            }
            p { button type="submit" { (l.t("import-submit")) } }
            p #upload-progress hidden {
                label for="upload-bar" { (l.t("import-uploading")) }
                " "
                progress #upload-bar {}
            }
        }
    }
}

/// The user's recent imports, newest first.
fn recent_jobs(l: Lang, jobs: &[Arc<Job>]) -> Markup {
    html! {
        @if !jobs.is_empty() {
            section.card aria-labelledby="jobs-h" {
                h2 #jobs-h { (l.t("import-recent")) }
                ul {
                    @for j in jobs {
                        li {
                            a href={ "/import/jobs/" (j.id) } { bdi { (if j.file_name.is_empty() { "—" } else { j.file_name.as_str() }) } }
                            " · "
                            @match j.phase() {
                                Phase::Reading | Phase::Importing => (l.t("import-running")),
                                Phase::Done(o) => (summary_text(l, &o.summary)),
                                Phase::Failed { .. } => (l.t("import-failed")),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /import`.
pub async fn import_form(ctx: Ctx, State(web): State<Web>) -> Result<Response, Response> {
    let user = ctx.require_role(Role::Analyst)?;
    let jobs = web.jobs.of(user.id);
    Ok(layout::page(
        &ctx,
        &ctx.lang.t("import-title"),
        None,
        html! {
            (import_form_markup(&ctx))
            (recent_jobs(ctx.lang, &jobs))
        },
    ))
}

fn summary_text(l: Lang, s: &Summary) -> String {
    let mut args = FluentArgs::new();
    let n = |v: usize| FluentValue::from(i64::try_from(v).unwrap_or(i64::MAX));
    args.set("new", n(s.new));
    args.set("versions", n(s.new_versions));
    args.set("unchanged", n(s.unchanged));
    args.set("conflicts", n(s.conflicts));
    args.set("rejected", n(s.rejected));
    l.t_args("import-summary", Some(&args))
}

fn results_table(l: Lang, results: &[ObjectResult], total: usize) -> Markup {
    html! {
        table #import-results {
            caption { (l.t("import-results")) }
            thead { tr {
                th scope="col" { "#" }
                th scope="col" { (l.t("col-object")) }
                th scope="col" { (l.t("col-status")) }
                th scope="col" { (l.t("col-details")) }
            } }
            tbody {
                @for r in results.iter().take(MAX_RESULT_ROWS) {
                    @match r {
                        ObjectResult::Accepted { index, id, outcome } => tr {
                            td.num { (l.number(i64::try_from(*index + 1).unwrap_or(0))) }
                            td { (object_link(id, id)) }
                            td { (l.t("import-accepted")) }
                            td { (l.t(&format!("outcome-{}", serde_json::to_value(outcome).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default().replace('_', "-")))) }
                        },
                        ObjectResult::Rejected { index, id, reasons } => tr.removed {
                            td.num { (l.number(i64::try_from(*index + 1).unwrap_or(0))) }
                            td { span.id { (id.as_deref().unwrap_or("—")) } }
                            td { strong { (l.t("import-rejected")) } }
                            td { ul { @for v in reasons { li { code dir="ltr" { (v.to_string()) } } } } }
                        },
                    }
                }
            }
        }
        @if total > results.len().min(MAX_RESULT_ROWS) {
            p.muted { (l.t_n("import-more-results", "count", i64::try_from(total - results.len().min(MAX_RESULT_ROWS)).unwrap_or(0))) }
        }
    }
}

/// Objects per import batch of a web import: small enough for the progress bar to move.
const WEB_BATCH: usize = 500;

/// Why an import job failed.
enum Failure {
    /// The file as a whole could not be read.
    Unreadable(String),
    /// The store failed.
    Store(StoreError),
}

/// A job's progress as the ingest library reports it: bytes read, per-object results,
/// and the records that could not be converted.
struct JobProgress<'a> {
    job: &'a Job,
    outcome: std::sync::Mutex<Outcome>,
}

impl JobProgress<'_> {
    fn outcome(&self) -> std::sync::MutexGuard<'_, Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Progress for JobProgress<'_> {
    fn read(&self, bytes: u64) {
        self.job.read.fetch_add(
            usize::try_from(bytes).unwrap_or(usize::MAX),
            Ordering::Relaxed,
        );
    }

    fn stored(&self, results: &[ObjectResult], _: u64) {
        jobs::record(self.job, &mut self.outcome(), results, MAX_RESULT_ROWS);
    }

    fn note(&self, note: Note<'_>) {
        let text = match note {
            Note::RecordError { error, .. } => error.to_string(),
            Note::Warning { warning, .. } => warning.to_string(),
            _ => return,
        };
        let mut o = self.outcome();
        o.problems_total += 1;
        if o.problems.len() < MAX_RESULT_ROWS {
            o.problems.push(text);
        }
    }
}

/// The import itself, in the background, through the ingest library as `concord import`
/// runs it (the same detection, settling and warning lists), writing through `store`
/// (the user's `ClearedStore`), recording progress and results in `job`.
fn run_import(
    store: &dyn Store,
    job: &Job,
    file: Vec<u8>,
    name: &str,
    opts: &Options,
) -> Result<Outcome, Failure> {
    job.set(Phase::Importing);
    let name = if name.is_empty() { "upload" } else { name };
    let progress = JobProgress {
        job,
        outcome: std::sync::Mutex::new(Outcome::default()),
    };
    let mut imported = import_inputs(
        Target::Store(store),
        vec![Input::bytes(name, file)],
        opts,
        WEB_BATCH,
        false,
        &progress,
    );
    if let Some(e) = imported.totals.store_error {
        return Err(Failure::Store(e));
    }
    let mut outcome = progress
        .outcome
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let ended = imported.inputs.pop();
    outcome.format = ended.as_ref().and_then(|e| e.format).unwrap_or("stix");
    match ended.map(|e| e.end) {
        Some(InputEnd::Done) => {}
        Some(InputEnd::Setup(e)) => return Err(Failure::Unreadable(e.to_string())),
        // Nothing came before the error: the file is not of its format at all.
        Some(InputEnd::Read(e)) if outcome.results_total == 0 => {
            return Err(Failure::Unreadable(e.to_string()));
        }
        // What came before a fatal error (truncated JSON) is kept, as `concord import`
        // keeps it; the error is listed with the records that could not be read.
        Some(InputEnd::Read(e)) => {
            outcome.problems_total += 1;
            outcome.problems.push(e.to_string());
        }
        Some(InputEnd::Failed) | None => {
            return Err(Failure::Unreadable("the file could not be read".into()));
        }
    }
    Ok(outcome)
}

/// `POST /import` (multipart: `csrf`, `file`): starts an import job and sends the
/// browser to its page.
pub async fn import(ctx: Ctx, State(web): State<Web>, mp: Multipart) -> Result<Response, Response> {
    let user = ctx.require_role(Role::Analyst)?.clone();
    let l = ctx.lang;
    let title = l.t("import-title");
    let fail = |status: StatusCode, text: String| {
        let mut res = layout::page(
            &ctx,
            &title,
            Some(Notice::error(text)),
            import_form_markup(&ctx),
        );
        *res.status_mut() = status;
        res
    };
    let up = match read_upload(mp).await {
        Ok(up) => up,
        Err(e) => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                l.t_s("upload-failed", "reason", &e),
            ));
        }
    };
    ctx.check_csrf(&up.csrf)?;
    if up.file.is_empty() {
        return Err(fail(StatusCode::BAD_REQUEST, l.t("import-no-file")));
    }
    let preset = match up.layout.as_str() {
        "" | "auto" => None,
        name => match concord_formats::plain::preset(name) {
            Some(_) => Some(name.to_owned()),
            None => {
                let shown: String = name.chars().take(100).collect();
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    l.t_s("import-bad-layout", "name", &shown),
                ));
            }
        },
    };
    let job = match web.jobs.start(user.id, up.file_name.clone(), up.file.len()) {
        Ok(job) => job,
        Err(Refused::Busy) => {
            return Err(fail(StatusCode::TOO_MANY_REQUESTS, l.t("import-busy")));
        }
        Err(Refused::Full) => {
            return Err(fail(StatusCode::SERVICE_UNAVAILABLE, l.t("import-full")));
        }
    };
    tracing::info!(user = %user.name, job = %job.id, file = %up.file_name, bytes = up.file.len(), "Web import started.");
    // The user's clearance limits what the import reads and writes (settling against
    // held versions included): it can neither change nor reveal what is above it.
    let store = concord_store::cleared::ClearedStore::for_caller(
        web.app.store.clone(),
        Some(user.clearance),
    );
    let (metrics, j) = (web.app.metrics.clone(), job.clone());
    let data_dir = web.app.config.data_dir.clone();
    tokio::spawn(async move {
        let task = j.clone();
        let ran = tokio::task::spawn_blocking(move || {
            // The node's warning lists flag what they list, as `concord import` does.
            let lists = match &data_dir {
                Some(dir) => concord_ingest::warninglists::for_node(dir, None, &mut |f, e| {
                    tracing::warn!(file = %f.display(), error = %e, "Not a warning list; skipped.");
                })
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "Warning lists unreadable; importing without them.");
                    None
                }),
                None => None,
            };
            let opts = Options {
                preset,
                lists,
                ..Options::default()
            };
            run_import(&*store, &task, up.file, &up.file_name, &opts)
        })
        .await;
        let internal = |error: &dyn std::fmt::Display| {
            let mut bytes = [0u8; 6];
            let _ = getrandom::fill(&mut bytes);
            let id = hex::encode(bytes);
            tracing::error!(error_id = %id, job = %j.id, error = %error, "Web import failed.");
            Phase::Failed {
                reason: id,
                internal: true,
            }
        };
        let phase = match ran {
            Ok(Ok(outcome)) => {
                metrics.record_import(&outcome.summary);
                tracing::info!(user = %user.name, job = %j.id, new = outcome.summary.new, rejected = outcome.summary.rejected, "Web import done.");
                Phase::Done(Arc::new(outcome))
            }
            Ok(Err(Failure::Unreadable(reason))) => Phase::Failed {
                reason,
                internal: false,
            },
            Ok(Err(Failure::Store(e))) => internal(&e),
            Err(e) => internal(&e),
        };
        j.set(phase);
    });
    Ok(layout::redirect(&format!("/import/jobs/{}", job.id)))
}

/// What a running job's page says: the text, and (bytes read, bytes in all) once
/// storing has started; `None` when the job has finished.
fn progress_of(l: Lang, job: &Job, phase: &Phase) -> Option<(String, Option<(usize, usize)>)> {
    match phase {
        Phase::Reading => Some((l.t("import-reading"), None)),
        Phase::Importing => {
            let stored = job.processed.load(Ordering::Relaxed);
            let n = |v: usize| FluentValue::from(i64::try_from(v).unwrap_or(i64::MAX));
            let mut args = FluentArgs::new();
            args.set("done", n(stored));
            // The bar shows the bytes read: objects in all are known only at the end.
            let read = job.read.load(Ordering::Relaxed).min(job.bytes);
            Some((
                l.t_args("import-progress", Some(&args)),
                Some((read, job.bytes)),
            ))
        }
        Phase::Done(_) | Phase::Failed { .. } => None,
    }
}

/// `GET /import/jobs/{id}/status`: a job's progress as JSON for the page script:
/// `{"running", "done", "total", "text"}`.
pub async fn import_job_status(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Response {
    use axum::response::IntoResponse;
    let Some(user) = ctx.user() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(job) = (user.role >= Role::Analyst)
        .then(|| web.jobs.get(user.id, &id))
        .flatten()
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match progress_of(ctx.lang, &job, &job.phase()) {
        Some((text, counts)) => {
            let (done, total) = counts.unwrap_or((0, 0));
            serde_json::json!({"running": true, "done": done, "total": total, "text": text})
        }
        None => serde_json::json!({"running": false}),
    };
    let mut res = axum::Json(body).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// `GET /import/jobs/{id}`: an import's progress (the page reloads itself every second
/// while it runs), then its per-object results.
pub async fn import_job(
    ctx: Ctx,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let user = ctx.require_role(Role::Analyst)?;
    let l = ctx.lang;
    let Some(job) = web.jobs.get(user.id, &id) else {
        return Err(layout::error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            &l.t("import-job-unknown"),
        ));
    };
    let title = l.t("import-title");
    let file = html! {
        p { (l.t("import-file-name")) " " bdi { (job.file_name) } " · " (l.t_s("import-bytes", "count", &l.number(i64::try_from(job.bytes).unwrap_or(i64::MAX)))) }
    };
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    let phase = job.phase();
    let res = match phase {
        Phase::Reading | Phase::Importing => {
            let (text, counts) = progress_of(l, &job, &phase).unwrap_or_default();
            // Without JavaScript the page reloads itself (`noscript` refresh); the page
            // script instead asks the status URL and updates the bar in place.
            let body = html! {
                (file)
                p role="status" data-job-status={ "/import/jobs/" (job.id) "/status" } {
                    label for="import-bar" { (text) }
                    " "
                    @match counts {
                        Some((done, total)) => progress #import-bar max=(total.max(1)) value=(done) {},
                        None => progress #import-bar {},
                    }
                }
            };
            layout::page_refreshing(&ctx, &title, None, body, 1)
        }
        Phase::Failed { reason, internal } => {
            let text = if internal {
                l.t_s("error-internal", "id", &reason)
            } else {
                l.t_s("import-not-stix", "reason", &reason)
            };
            layout::page(
                &ctx,
                &title,
                Some(Notice::error(text)),
                html! {
                    (file)
                    h2 { (l.t("import-another")) }
                    (import_form_markup(&ctx))
                },
            )
        }
        Phase::Done(o) => {
            let notice = if o.summary.rejected > 0 {
                Notice::error(summary_text(l, &o.summary))
            } else {
                Notice::ok(summary_text(l, &o.summary))
            };
            let body = html! {
                (file)
                p #import-done { (l.t_s("import-read-as", "format", &l.t(&format!("import-format-{}", o.format)))) }
                @if o.problems_total > 0 {
                    h2 { (l.t_n("import-problems", "count", n(o.problems_total))) }
                    ul {
                        @for p in &o.problems {
                            li { code dir="ltr" { (p) } }
                        }
                    }
                }
                (results_table(l, &o.results, o.results_total))
                h2 { (l.t("import-another")) }
                (import_form_markup(&ctx))
            };
            layout::page(&ctx, &title, Some(notice), body)
        }
    };
    Ok(res)
}

fn matching_form_markup(ctx: &Ctx, feeds: Option<&Feeds>) -> Markup {
    let l = ctx.lang;
    html! {
        form.card method="post" action="/matching" enctype="multipart/form-data" {
            (csrf_field(ctx))
            p {
                label for="file" { (l.t("matching-file")) }
                input #file type="file" name="file" required;
            }
            p {
                label for="format" { (l.t("matching-format")) }
                select #format name="format" {
                    @for f in FORMATS {
                        option value=(f) { (l.t(&format!("format-{f}"))) }
                    }
                }
            }
            p { button type="submit" { (l.t("matching-submit")) } }
        }
        @if let Some(feeds) = feeds {
            section.card aria-labelledby="feeds-h" {
                h2 #feeds-h { (l.t("feeds-heading")) }
                (super::feeds::table(l, feeds, true))
            }
        }
    }
}

/// `GET /matching`: the log upload form, and the state of the node's feeds.
pub async fn matching_form(ctx: Ctx, State(web): State<Web>) -> Result<Response, Response> {
    ctx.require_role(Role::Analyst)?;
    let w = web.clone();
    let feeds = blocking(&ctx, move || {
        Ok(w.feeds.get(w.app.config.data_dir.as_deref()))
    })
    .await?;
    Ok(layout::page(
        &ctx,
        &ctx.lang.t("matching-title"),
        None,
        matching_form_markup(&ctx, Some(&feeds)),
    ))
}

/// `POST /matching` (multipart: `csrf`, `file`, `format`).
pub async fn matching(
    ctx: Ctx,
    State(web): State<Web>,
    mp: Multipart,
) -> Result<Response, Response> {
    let user = ctx.require_role(Role::Analyst)?.clone();
    let l = ctx.lang;
    let title = l.t("matching-title");
    let fail = |text: String| {
        let mut res = layout::page(
            &ctx,
            &title,
            Some(Notice::error(text)),
            matching_form_markup(&ctx, None),
        );
        *res.status_mut() = StatusCode::BAD_REQUEST;
        res
    };
    let up = match read_upload(mp).await {
        Ok(up) => up,
        Err(e) => return Err(fail(l.t_s("upload-failed", "reason", &e))),
    };
    ctx.check_csrf(&up.csrf)?;
    let Some(format) = Format::from_name(if up.format.is_empty() {
        "eve"
    } else {
        &up.format
    }) else {
        return Err(fail(l.t("matching-bad-format")));
    };
    if up.file.is_empty() {
        return Err(fail(l.t("import-no-file")));
    }
    // The server's live index, as `POST /api/v1/match` uses it; only hits on indicators
    // the user sees whole count (`matching::match_log` through the user's store).
    let matcher = match web.app.matching.matcher().await {
        Ok(m) => m,
        Err(concord_server::matching::LiveError::NotReady) => {
            return Err(layout::error_page(
                &ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                &l.t("matching-not-ready"),
            ));
        }
        Err(e) => return Err(super::internal(&ctx, &e)),
    };
    let seen = concord_store::cleared::ClearedStore::for_caller(
        web.app.store.clone(),
        Some(user.clearance),
    );
    // Sightings name this node's identity as where they were seen (set by `serve`).
    let identity = web.app.matching.identity().map(str::to_owned);
    let (report, sightings, names, import) = blocking(&ctx, move || {
        let now = concord_server::matching::now();
        let (report, sightings) = concord_server::matching::match_log(
            &matcher,
            &up.file[..],
            &format,
            &*seen,
            identity.as_deref(),
            now,
        )?;
        let mut names = HashMap::new();
        for s in &sightings {
            if let Some(of) = s.get("sighting_of_ref").and_then(Value::as_str)
                && let Some(o) = seen.get(of)?
            {
                names.insert(of.to_owned(), super::view::display_name(&o.value()));
            }
        }
        let import =
            concord_server::matching::store_sightings(&*seen, sightings.clone(), &mut |r| {
                tracing::warn!(result = ?r, "Sighting rejected by the store.");
            })?;
        Ok((report, sightings, names, import))
    })
    .await?;
    web.app.metrics.record_import(&import);
    let written = import.new + import.new_versions + import.unchanged;
    tracing::info!(user = %user.name, observations = report.observations, sightings = written, "Web log matching.");
    let mut args = FluentArgs::new();
    let n = |v: u64| FluentValue::from(i64::try_from(v).unwrap_or(i64::MAX));
    args.set("lines", n(report.records));
    args.set("observations", n(report.observations));
    args.set("malformed", n(report.malformed));
    args.set("sightings", n(written as u64));
    let notice = Notice::ok(l.t_args("matching-summary", Some(&args)));
    let body = html! {
        @if sightings.is_empty() {
            p.card { (l.t("matching-none")) }
        } @else {
            table {
                caption { (l.t("matching-sightings")) }
                thead { tr {
                    th scope="col" { (l.t("col-indicator")) }
                    th scope="col" { (l.t("col-count")) }
                    th scope="col" { (l.t("col-first-seen")) }
                    th scope="col" { (l.t("col-last-seen")) }
                    th scope="col" { (l.t("col-sighting")) }
                } }
                tbody {
                    @for s in &sightings {
                        @let of = s.get("sighting_of_ref").and_then(Value::as_str).unwrap_or("");
                        tr {
                            td { (object_link(of, names.get(of).map_or(of, String::as_str))) }
                            td.num { (l.number(s.get("count").and_then(Value::as_i64).unwrap_or(0))) }
                            td { (l.datetime(s.get("first_seen").and_then(Value::as_str).unwrap_or(""))) }
                            td { (l.datetime(s.get("last_seen").and_then(Value::as_str).unwrap_or(""))) }
                            td { @if let Some(id) = s.get("id").and_then(Value::as_str) { (object_link(id, id)) } }
                        }
                    }
                }
            }
        }
        @if !report.errors.is_empty() {
            h2 { (l.t("matching-errors")) }
            ul {
                @for e in report.errors.iter().take(50) {
                    li { (l.t_n("matching-line", "line", i64::try_from(e.line).unwrap_or(0))) ": " code dir="ltr" { (e.kind.to_string()) } }
                }
            }
        }
        h2 { (l.t("matching-another")) }
        (matching_form_markup(&ctx, None))
    };
    Ok(layout::page(&ctx, &title, Some(notice), body))
}

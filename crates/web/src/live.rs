//! The live channel: notifications of new object versions that match the web
//! subscriptions of `<data_dir>/response.toml` (`[[subscription]]` with `web = true` or
//! `web = ["alice"]`, see `concord_response::notify`), streamed to signed-in users as
//! server-sent events (`GET /notifications/live`, shown by the page script in each page's
//! `aria-live` region) and listed at `GET /notifications` (no JavaScript needed).
//!
//! One task follows the store from its head at start-up (history is not replayed), picks
//! versions with `concord_response::notify::pending_up_to` (the same filters as webhook
//! and e-mail delivery; a large import in steps) and keeps the last [`RECENT`] notifications. A user gets only those
//! addressed to them and at or below their TLP clearance (object and granular markings,
//! [`super::view::object_tlp`]). An event stream ends after [`STREAM_LIFE`] (so a server
//! shutting down never waits long for it); the browser reconnects with `Last-Event-ID`
//! and receives what it missed.
//!
//! The communities' proposals and decisions reach the same channel for the web
//! subscriptions with `governance = true` (`governance`); every signed-in user may read
//! the community pages, so they are TLP:CLEAR notes.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use concord_response::notify::{Subscription, pending_up_to};
use concord_response::settings::{FILE_NAME, Settings};
use concord_stix::Tlp;
use concord_store::Store;
use concord_store::users::User;
use maud::html;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::i18n::Lang;
use super::layout;
use super::session::Ctx;
use super::view::{display_name, object_link, object_tlp};
use super::{Web, blocking};

mod governance;

/// Notifications kept for the notifications page and for reconnecting streams.
pub const RECENT: usize = 200;
/// How long one event stream lasts before the browser reconnects.
pub const STREAM_LIFE: Duration = Duration::from_secs(15);
/// Pause between looks at the store while web subscriptions exist.
const ACTIVE_PAUSE: Duration = Duration::from_millis(250);
/// Versions read per look at the store (a large import is taken in steps).
const VERSIONS_PER_PASS: usize = 2000;
/// Longest name shown in a notification (a name can be a whole STIX pattern).
const MAX_NAME: usize = 200;
/// Pause between looks at `response.toml` while it has no web subscription.
const IDLE_PAUSE: Duration = Duration::from_secs(2);

/// One new object version for the live channel.
#[derive(Debug, Clone)]
pub struct Note {
    /// The version's `seq` (the event id).
    pub seq: i64,
    /// The object id.
    pub id: String,
    /// Its STIX type.
    pub object_type: String,
    /// What to call it.
    pub name: String,
    /// Its TLP level (object and granular markings).
    pub tlp: Tlp,
    /// The subscriptions it matched.
    pub subscriptions: Vec<String>,
    /// The users it is for (`None`: everyone).
    pub users: Option<Vec<String>>,
    /// When it was noticed (RFC 3339).
    pub at: String,
    /// For a governance note, the community (`id` is then the proposal, `object_type`
    /// the event).
    pub community: Option<String>,
}

impl Note {
    /// Whether `user` may receive it: addressed to them and within their clearance.
    pub fn for_user(&self, user: &User) -> bool {
        self.tlp <= user.clearance
            && self
                .users
                .as_ref()
                .is_none_or(|names| names.contains(&user.name))
    }

    /// The text shown for it.
    fn text(&self, l: Lang) -> String {
        if self.community.is_some() {
            return governance::text(l, self);
        }
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("type", self.object_type.clone());
        args.set("name", self.name.clone());
        l.t_args("live-new", Some(&args))
    }

    fn url(&self) -> String {
        match &self.community {
            Some(c) => governance::url(c, &self.id),
            None => format!("/objects/{}", self.id),
        }
    }
}

/// The live channel's state: the recent notifications and their broadcast.
pub struct Live {
    started: AtomicBool,
    /// Where the follower starts: the store's head when the web interface was built.
    start: i64,
    recent: Mutex<VecDeque<Arc<Note>>>,
    tx: broadcast::Sender<Arc<Note>>,
}

impl Live {
    /// A channel that will follow the store from `start`.
    pub fn new(start: i64) -> Live {
        let (tx, _) = broadcast::channel(256);
        Live {
            started: AtomicBool::new(false),
            start,
            recent: Mutex::new(VecDeque::new()),
            tx,
        }
    }

    /// Starts following the store (once; only inside a tokio runtime, and only when the
    /// node has a data directory, where `response.toml` is).
    pub fn ensure_started(self: &Arc<Self>, web: &Web) {
        let Some(dir) = web.app.config.data_dir.clone() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_err()
            || self.started.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let live = self.clone();
        let store = web.app.store.clone();
        let me = super::incidents::me(web);
        let start = governance::start(&*store);
        tokio::spawn(governance::follow(
            live.clone(),
            store.clone(),
            dir.clone(),
            start,
        ));
        tokio::spawn(follow(live, store, dir, me));
    }

    fn publish(&self, notes: Vec<Note>) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for mut n in notes {
            // Ids keep increasing: an object note keeps its `seq` unless a governance
            // note (which has none) took it, and a governance note takes the next one.
            let last = recent.back().map_or(self.start, |n| n.seq);
            n.seq = n.seq.max(last + 1);
            let n = Arc::new(n);
            recent.push_back(n.clone());
            while recent.len() > RECENT {
                recent.pop_front();
            }
            // No receiver is not an error: nobody is connected.
            let _ = self.tx.send(n);
        }
    }

    /// The `seq` of the last notification published (the start of the store's follow
    /// before any): what a stream opened now has covered.
    pub fn position(&self) -> i64 {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .back()
            .map_or(self.start, |n| n.seq)
    }

    /// The recent notifications `user` may see, oldest first, after `after` (a `seq`).
    pub fn recent_for(&self, user: &User, after: i64) -> Vec<Arc<Note>> {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|n| n.seq > after && n.for_user(user))
            .cloned()
            .collect()
    }
}

/// The subscriptions of `response.toml` that deliver on the web (an unreadable file is
/// an error).
fn web_subscriptions(dir: &std::path::Path) -> Result<Vec<Subscription>, String> {
    let text = match std::fs::read_to_string(dir.join(FILE_NAME)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{FILE_NAME}: {e}")),
    };
    let settings = Settings::parse(&text).map_err(|e| e.to_string())?;
    Ok(settings
        .subscriptions
        .into_iter()
        .filter(|s| {
            s.web
                .as_ref()
                .is_some_and(|w| w != &concord_response::notify::WebDelivery::All(false))
        })
        .collect())
}

/// `name` cut to [`MAX_NAME`] characters, with an ellipsis when cut.
fn shortened(name: String) -> String {
    if name.chars().count() <= MAX_NAME {
        return name;
    }
    let mut short: String = name.chars().take(MAX_NAME - 1).collect();
    short.push('…');
    short
}

/// One look at the store: the notes after `cursor` and the cursor to go on from, or
/// `None` when there is no web subscription.
fn pass(
    store: &dyn Store,
    dir: &std::path::Path,
    me: &str,
    cursor: i64,
) -> Result<Option<(Vec<Note>, i64)>, String> {
    let subs = web_subscriptions(dir)?;
    if subs.is_empty() {
        return Ok(None);
    }
    let (found, next) =
        pending_up_to(store, me, &subs, cursor, VERSIONS_PER_PASS).map_err(|e| e.to_string())?;
    let at = concord_stix::Timestamp::now_millis().to_string();
    let mut notes: Vec<Note> = Vec::new();
    for p in found {
        let seq = p.payload["seq"].as_i64().unwrap_or(0);
        let sub = &subs[p.subscription];
        let users = match &sub.web {
            Some(concord_response::notify::WebDelivery::Users(names)) => Some(names.clone()),
            _ => None,
        };
        // Several subscriptions may pick one version: one note, addressed to them all.
        if let Some(n) = notes.last_mut().filter(|n| n.seq == seq) {
            n.subscriptions.push(sub.name.clone());
            n.users = match (n.users.take(), users) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                _ => None,
            };
            continue;
        }
        let v: &Value = &p.payload["object"];
        notes.push(Note {
            seq,
            id: v["id"].as_str().unwrap_or("").to_owned(),
            object_type: v["type"].as_str().unwrap_or("").to_owned(),
            name: shortened(display_name(v)),
            tlp: object_tlp(v),
            subscriptions: vec![sub.name.clone()],
            users,
            at: at.clone(),
            community: None,
        });
    }
    Ok(Some((notes, next)))
}

async fn follow(live: Arc<Live>, store: Arc<dyn Store>, dir: PathBuf, me: String) {
    let start = live.start;
    let pauses = (ACTIVE_PAUSE, IDLE_PAUSE);
    follow_with(live, "objects", start, pauses, move |cursor| {
        match pass(&*store, &dir, &me, cursor) {
            // Without web subscriptions, keep up with the store without reading it.
            Ok(None) => store
                .head_seq()
                .map(|h| (None, h.max(cursor)))
                .map_err(|e| e.to_string()),
            Ok(Some((notes, next))) => Ok((Some(notes), next.max(cursor))),
            Err(e) => Err(e),
        }
    })
    .await;
}

/// Runs the blocking `pass` from `cursor` again and again while the server runs and
/// publishes the notes it finds; the next look comes after `pauses.0` when a pass found
/// notes, after `pauses.1` when it found none or failed (a failure repeated is logged
/// once). `what` names the work in the logs.
pub(super) async fn follow_with<C, F>(
    live: Arc<Live>,
    what: &'static str,
    mut cursor: C,
    pauses: (Duration, Duration),
    pass: F,
) where
    C: Clone + Send + 'static,
    F: Fn(C) -> Result<(Option<Vec<Note>>, C), String> + Clone + Send + 'static,
{
    let (active, idle) = pauses;
    let mut last_error = String::new();
    loop {
        let (p, c) = (pass.clone(), cursor.clone());
        let pause = match tokio::task::spawn_blocking(move || p(c)).await {
            Ok(Ok((notes, next))) => {
                cursor = next;
                last_error.clear();
                match notes {
                    Some(notes) => {
                        live.publish(notes);
                        active
                    }
                    None => idle,
                }
            }
            Ok(Err(e)) => {
                if e != last_error {
                    tracing::warn!(error = %e, work = what, "Web notifications: a pass failed.");
                    last_error = e;
                }
                idle
            }
            Err(e) => {
                tracing::warn!(error = %e, work = what, "Web notifications: the pass panicked.");
                idle
            }
        };
        tokio::time::sleep(pause).await;
    }
}

fn event(l: Lang, n: &Note) -> Event {
    Event::default()
        .id(n.seq.to_string())
        .event("notification")
        .data(
            json!({
                "text": n.text(l), "url": n.url(), "type": n.object_type,
                "tlp": n.tlp.as_str(), "subscriptions": n.subscriptions,
            })
            .to_string(),
        )
}

/// The query of `/notifications/live`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StreamQuery {
    /// Where to resume, as `Last-Event-ID` (which wins): a page script that closed its
    /// stream while its tab was hidden opens a new one from where it was.
    after: Option<i64>,
}

/// `GET /notifications/live[?after=SEQ]`: the signed-in user's notifications as
/// server-sent events: first `event: ready` (`id` the position the stream starts at),
/// then `event: notification` (`id: <seq>`, JSON data with `text`, `url`, `type`, `tlp`).
pub async fn stream(
    ctx: Ctx,
    State(web): State<Web>,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let Some(user) = ctx.user().cloned() else {
        // An event source cannot sign in: no redirect, so it stops retrying.
        return StatusCode::UNAUTHORIZED.into_response();
    };
    web.live.ensure_started(&web);
    let l = ctx.lang;
    // Where this stream starts: a browser that reconnects before any notification came
    // sends it back as `Last-Event-ID`, and gets what was published in between. Read
    // before subscribing, and the backlog after: nothing falls between the two.
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query.after);
    let position = after.unwrap_or_else(|| web.live.position());
    let rx = web.live.tx.subscribe();
    let backlog = web.live.recent_for(&user, position);
    let last = backlog.last().map_or(position, |n| n.seq);
    let first: Vec<Result<Event, Infallible>> = [Ok(Event::default()
        .retry(Duration::from_secs(1))
        .id(position.to_string())
        .event("ready")
        .data(json!({"position": position}).to_string()))]
    .into_iter()
    .chain(backlog.iter().map(|n| Ok(event(l, n))))
    .collect();
    let deadline = tokio::time::Instant::now() + STREAM_LIFE;
    let stopping = web.app.stopping.subscribe();
    let live = futures_util::stream::unfold(
        (rx, last, user, stopping),
        move |(mut rx, mut last, user, mut stopping)| async move {
            loop {
                let next = tokio::select! {
                    next = tokio::time::timeout_at(deadline, rx.recv()) => next,
                    // A stopping server ends the stream (the browser reconnects later).
                    _ = stopping.wait_for(|s| *s) => return None,
                };
                match next {
                    Err(_) | Ok(Err(broadcast::error::RecvError::Closed)) => return None,
                    Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                        tracing::debug!(missed = n, "A live notification stream lagged.");
                    }
                    Ok(Ok(n)) if n.seq > last && n.for_user(&user) => {
                        last = n.seq;
                        return Some((Ok(event(l, &n)), (rx, last, user, stopping)));
                    }
                    Ok(Ok(_)) => {}
                }
            }
        },
    );
    let stream = futures_util::stream::StreamExt::chain(futures_util::stream::iter(first), live);
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// `GET /notifications`: the recent notifications the user may see, newest first.
pub async fn page(ctx: Ctx, State(web): State<Web>) -> Result<Response, Response> {
    let user = ctx.require()?.clone();
    web.live.ensure_started(&web);
    let l = ctx.lang;
    let notes = web.live.recent_for(&user, i64::MIN);
    let dir = web.app.config.data_dir.clone();
    let subscribed = match dir {
        Some(d) => {
            blocking(&ctx, move || {
                Ok(web_subscriptions(&d).is_ok_and(|subs| {
                    subs.iter()
                        .any(|s| s.web.as_ref().is_some_and(|w| w.includes(&user.name)))
                }))
            })
            .await?
        }
        None => false,
    };
    let body = html! {
        @if !subscribed {
            p.card { (l.t("notifications-no-subscription")) }
        }
        @if notes.is_empty() {
            p { (l.t("notifications-none")) }
        } @else {
            table {
                caption { (l.t("notifications-recent")) }
                thead { tr {
                    th scope="col" { (l.t("col-at")) }
                    th scope="col" { (l.t("col-object")) }
                    th scope="col" { (l.t("col-type")) }
                    th scope="col" { (l.t("col-tlp")) }
                    th scope="col" { (l.t("col-subscription")) }
                } }
                tbody {
                    @for n in notes.iter().rev() {
                        tr {
                            td { (l.datetime(&n.at)) }
                            @if n.community.is_some() {
                                td { a href=(n.url()) { bdi { (n.name) } } }
                                td { (governance::event_name(l, &n.object_type)) }
                            } @else {
                                td { (object_link(&n.id, &n.name)) }
                                td { span dir="ltr" { (n.object_type) } }
                            }
                            td { (layout::tlp_badge(n.tlp)) }
                            td { bdi { (n.subscriptions.join(", ")) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(&ctx, &l.t("notifications-title"), None, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::Role;

    fn user(name: &str, clearance: Tlp) -> User {
        User {
            id: 1,
            name: name.into(),
            role: Role::Reader,
            clearance,
            created: String::new(),
            disabled: false,
        }
    }

    fn note(seq: i64, tlp: Tlp, users: Option<Vec<String>>) -> Note {
        Note {
            seq,
            id: format!("indicator--{seq}"),
            object_type: "indicator".into(),
            name: "n".into(),
            tlp,
            subscriptions: vec!["s".into()],
            users,
            at: String::new(),
            community: None,
        }
    }

    #[test]
    fn a_user_gets_notes_addressed_to_them_within_clearance() {
        let live = Live::new(0);
        live.publish(vec![
            note(1, Tlp::Green, None),
            note(2, Tlp::Red, None),
            note(3, Tlp::Clear, Some(vec!["alice".into()])),
        ]);
        let seqs = |u: &User, after| -> Vec<i64> {
            live.recent_for(u, after).iter().map(|n| n.seq).collect()
        };
        assert_eq!(seqs(&user("alice", Tlp::Amber), 0), [1, 3]);
        assert_eq!(seqs(&user("alice", Tlp::Amber), 1), [3]);
        assert_eq!(seqs(&user("bob", Tlp::Red), 0), [1, 2]);
        assert_eq!(seqs(&user("bob", Tlp::Clear), 0), Vec::<i64>::new());
        live.publish(
            (10..10 + RECENT as i64)
                .map(|s| note(s, Tlp::Clear, None))
                .collect(),
        );
        assert_eq!(live.recent_for(&user("bob", Tlp::Red), 0).len(), RECENT);
        assert_eq!(live.position(), 9 + RECENT as i64);
        assert_eq!(shortened("x".repeat(MAX_NAME)).chars().count(), MAX_NAME);
        let long = shortened("y".repeat(5000));
        assert_eq!(long.chars().count(), MAX_NAME);
        assert!(long.ends_with('…'));
    }
}

//! The background work of `serve` for coordinated response: publishing the
//! constituency when its file changes, constituency notifications, verification of
//! received evidence, re-announcing unanswered alerts, and delivering notifications of
//! new object versions and of the communities' proposals and decisions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use concord_response::{alert, constituency};
use concord_store::Store;
use serde_json::Value;

use super::{load_constituency, load_settings, publish};

/// The file where the background work kept its positions before they moved into the
/// store: still read for a key the store does not hold yet (a node upgraded from then).
fn legacy_state_path(dir: &Path) -> PathBuf {
    dir.join("response-state.json")
}

/// The store key of one position of the response work (see
/// [`concord_response::notify::CURSOR_KEY`]).
fn state_key(key: &str) -> String {
    format!("response/{key}")
}

/// A position of the background work (a cursor): kept in the store (see
/// [`Store::work_state`]), so that the replica that takes the work over continues from it.
fn read_value(dir: &Path, store: &dyn Store, key: &str) -> anyhow::Result<Option<Value>> {
    if let Some(text) = store.work_state(&state_key(key))? {
        return Ok(serde_json::from_str(&text).ok());
    }
    Ok(std::fs::read_to_string(legacy_state_path(dir))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|mut v| v.get_mut(key).map(Value::take)))
}

fn read_cursor(dir: &Path, store: &dyn Store, key: &str) -> anyhow::Result<Option<i64>> {
    Ok(read_value(dir, store, key)?.and_then(|v| v.as_i64()))
}

fn write_cursor(store: &dyn Store, key: &str, cursor: i64) -> anyhow::Result<()> {
    write_value(store, key, &serde_json::json!(cursor))
}

fn write_value(store: &dyn Store, key: &str, value: &Value) -> anyhow::Result<()> {
    store.set_work_state(&state_key(key), &value.to_string())?;
    Ok(())
}

/// One pass of the background work: publish the constituency when the file changed,
/// scan for constituency notifications, verify received evidence, re-announce
/// unanswered alerts.
fn background_pass(
    dir: &Path,
    store: &dyn Store,
    me: &str,
    last_published: &mut Option<std::time::SystemTime>,
    last_reannounce: &mut std::time::Instant,
) -> anyhow::Result<()> {
    let path = dir.join(constituency::FILE_NAME);
    let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if mtime.is_some() && mtime != *last_published {
        if publish(dir, store, me)? {
            tracing::info!("Constituency published.");
        }
        *last_published = mtime;
    }
    let notify = load_constituency(dir)?.unwrap_or_default().notify;
    let cursor = read_cursor(dir, store, "scan_cursor")?.unwrap_or(0);
    let (created, next) = constituency::scan(store, me, notify, cursor)?;
    if next != cursor {
        write_cursor(store, "scan_cursor", next)?;
    }
    if !created.is_empty() {
        tracing::info!(count = created.len(), "Constituency notifications created.");
    }
    concord_response::evidence::receive_pending(store, me, dir)?;
    let settings = load_settings(dir)?;
    // Look for overdue alerts every few seconds (half the re-announce time, 1 to 5 s).
    let every = (settings.alerts.reannounce_after_secs / 2).clamp(1, 5);
    if settings.alerts.reannounce_after_secs > 0
        && last_reannounce.elapsed() >= Duration::from_secs(every)
    {
        *last_reannounce = std::time::Instant::now();
        alert::reannounce_due(store, me, settings.alerts.reannounce_after_secs)?;
    }
    Ok(())
}

/// Starts the background work of coordinated response while `serve` runs
/// (publishing the constituency, constituency notifications, re-announcing unanswered
/// alerts). Must be called inside a tokio runtime.
pub fn spawn_background(node_dir: &std::path::Path, store: Arc<dyn concord_store::Store>) {
    let dir = node_dir.to_path_buf();
    let me = match crate::federation::node_key(&dir) {
        Ok(k) => k.node_id(),
        Err(e) => {
            tracing::warn!(error = %e, "Coordinated response not started: no node key.");
            return;
        }
    };
    spawn_notifications(dir.clone(), store.clone(), me.clone());
    tokio::spawn(async move {
        let mut last_published = None;
        let mut last_reannounce = std::time::Instant::now();
        let mut last_error = String::new();
        loop {
            let (d, s, m) = (dir.clone(), store.clone(), me.clone());
            let mut lp = last_published;
            let mut lr = last_reannounce;
            let r = tokio::task::spawn_blocking(move || {
                let r = background_pass(&d, &*s, &m, &mut lp, &mut lr);
                (r, lp, lr)
            })
            .await;
            match r {
                Ok((result, lp, lr)) => {
                    last_published = lp;
                    last_reannounce = lr;
                    if let Err(e) = result {
                        let text = format!("{e:#}");
                        if text != last_error {
                            tracing::warn!(error = %text, "Coordinated response background work failed.");
                        }
                        last_error = text;
                    } else {
                        last_error.clear();
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Coordinated response background task panicked.")
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
}

/// The governance notifications due for webhook and e-mail delivery
/// (`concord_response::governance`), keeping their cursor in the state file: each event
/// is delivered once, across restarts. Without such a subscription the cursor follows
/// the governance log without computing anything, so one added later starts from then.
fn governance_pass(
    dir: &Path,
    store: &dyn Store,
    me: &str,
    subs: &[concord_response::notify::Subscription],
) -> anyhow::Result<Vec<concord_response::notify::Pending>> {
    use concord_response::governance::{self, Cursor};
    const KEY: &str = "governance_cursor";
    let now = concord_stix::Timestamp::now_millis();
    let stored =
        read_value(dir, store, KEY)?.and_then(|v| serde_json::from_value::<Cursor>(v).ok());
    let wanted = subs
        .iter()
        .any(|s| s.governance && (s.webhook.is_some() || s.email.is_some()));
    let cursor = match stored {
        Some(c) if wanted || c.n == store.governance_head()? => c,
        _ => {
            // First start, or nobody to tell: from the log's head now.
            let c = Cursor::start(store, &now)?;
            write_value(store, KEY, &serde_json::to_value(&c)?)?;
            c
        }
    };
    if !wanted {
        return Ok(Vec::new());
    }
    let (events, next) = governance::events(store, &cursor, &now)?;
    // The time moves on every pass; the file is written only when something else did
    // (an event written is never found again: its time is behind the stored one).
    let moved = (next.n, &next.next_deadline, next.settled)
        != (cursor.n, &cursor.next_deadline, cursor.settled);
    if moved || !events.is_empty() {
        write_value(store, KEY, &serde_json::to_value(&next)?)?;
    }
    if !events.is_empty() {
        tracing::info!(count = events.len(), "Governance notifications due.");
    }
    Ok(governance::pending(&events, subs, me))
}

/// Delivers notifications for new object versions, and for the communities' proposals
/// and decisions, to the subscriptions of `response.toml` (re-read on every pass), each
/// delivery as its own task. The first start begins at the store's head: history is
/// not replayed.
fn spawn_notifications(dir: PathBuf, store: Arc<dyn concord_store::Store>, me: String) {
    let client = match concord_response::notify::client() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "Notifications not started: no HTTP client.");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            let (d, s, m) = (dir.clone(), store.clone(), me.clone());
            let pass = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let settings = load_settings(&d)?;
                let governance = governance_pass(&d, &*s, &m, &settings.subscriptions)?;
                let cursor = match read_cursor(&d, &*s, "notify_cursor")? {
                    Some(c) => c,
                    None => {
                        let head = s.head_seq()?;
                        write_cursor(&*s, "notify_cursor", head)?;
                        head
                    }
                };
                if settings.subscriptions.is_empty() {
                    // Nothing to deliver: keep up with the store without reading it.
                    let head = s.head_seq()?;
                    if head != cursor {
                        write_cursor(&*s, "notify_cursor", head)?;
                    }
                    return Ok((false, settings.subscriptions, Vec::new()));
                }
                let (mut pending, next) =
                    concord_response::notify::pending(&*s, &m, &settings.subscriptions, cursor)?;
                pending.extend(governance);
                if next != cursor {
                    write_cursor(&*s, "notify_cursor", next)?;
                }
                Ok((true, settings.subscriptions, pending))
            })
            .await;
            let mut idle = true;
            match pass {
                Ok(Ok((active, subs, pending))) => {
                    idle = !active;
                    for p in pending {
                        if let Some(sub) = subs.get(p.subscription) {
                            concord_response::notify::spawn(&client, sub, p.payload);
                        }
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %format!("{e:#}"), "Notification pass failed.")
                }
                Err(e) => tracing::warn!(error = %e, "Notification task panicked."),
            }
            // Without subscriptions, only look now and then whether some were added.
            let pause = if idle { 2000 } else { 250 };
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_notification_cursor_is_where_metrics_read_it() {
        assert_eq!(
            super::state_key("notify_cursor"),
            concord_response::notify::CURSOR_KEY
        );
    }
}

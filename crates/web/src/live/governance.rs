//! Governance notes on the live channel: the communities' proposals and decisions
//! (`concord_response::governance::events`) for the web subscriptions with
//! `governance = true`, followed from the governance log's head when the web interface
//! was built (history is not replayed). The cursor is kept in memory: notes live only
//! in the channel's recent list, as object notes do.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use concord_response::governance::{Cursor, events};
use concord_response::notify::WebDelivery;
use concord_stix::Tlp;
use concord_store::Store;

use super::super::i18n::Lang;
use super::super::session::percent_encode;
use super::{Live, Note, shortened, web_subscriptions};

/// Pause between looks while a governance subscription exists (a look without news
/// reads only the governance head).
const ACTIVE_PAUSE: Duration = Duration::from_millis(500);
/// Pause between looks at `response.toml` while it has none.
const IDLE_PAUSE: Duration = Duration::from_secs(2);

/// Where the follower starts: the governance log's head now (`None` if unreadable: the
/// first look starts it).
pub(super) fn start(store: &dyn Store) -> Option<Cursor> {
    let now = concord_stix::Timestamp::now_millis();
    Cursor::start(store, &now)
        .inspect_err(
            |e| tracing::warn!(error = %e, "Governance head unreadable for web notifications."),
        )
        .ok()
}

/// The text of a governance note: the event, the community and what was proposed.
pub(super) fn text(l: Lang, n: &Note) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("event", event_name(l, &n.object_type));
    args.set("name", n.name.clone());
    l.t_args("live-governance", Some(&args))
}

/// An event's name in `l` (`member-admitted` -> "Member admitted").
pub(super) fn event_name(l: Lang, event: &str) -> String {
    l.t(&format!("live-governance-{event}"))
}

/// The proposal on the community's proposals page.
pub(super) fn url(community: &str, proposal: &str) -> String {
    format!(
        "/community/proposals?community={}#{}",
        percent_encode(community),
        percent_encode(proposal)
    )
}

/// One look: the notes since `cursor` and the cursor to go on from (`None` notes: no
/// governance subscription, the cursor only keeps up with the log).
fn pass(
    store: &dyn Store,
    dir: &std::path::Path,
    cursor: Option<Cursor>,
) -> Result<(Option<Vec<Note>>, Cursor), String> {
    let now = concord_stix::Timestamp::now_millis();
    let cursor = match cursor {
        Some(c) => c,
        None => Cursor::start(store, &now).map_err(|e| e.to_string())?,
    };
    let subs: Vec<_> = web_subscriptions(dir)?
        .into_iter()
        .filter(|s| s.governance)
        .collect();
    if subs.is_empty() {
        let head = store.governance_head().map_err(|e| e.to_string())?;
        if head == cursor.n {
            return Ok((None, cursor));
        }
        return Ok((None, Cursor::start(store, &now).map_err(|e| e.to_string())?));
    }
    let (found, next) = events(store, &cursor, &now).map_err(|e| e.to_string())?;
    // Everyone when one subscription says so, else the users the subscriptions name.
    let users = if subs.iter().any(|s| s.web == Some(WebDelivery::All(true))) {
        None
    } else {
        Some(
            subs.iter()
                .filter_map(|s| match &s.web {
                    Some(WebDelivery::Users(names)) => Some(names.clone()),
                    _ => None,
                })
                .flatten()
                .collect(),
        )
    };
    let names: Vec<String> = subs.iter().map(|s| s.name.clone()).collect();
    let notes = found
        .into_iter()
        .map(|e| Note {
            seq: 0,
            id: e.proposal,
            object_type: e.event,
            name: shortened(format!("{}: {}", e.community_name, e.what)),
            tlp: Tlp::Clear,
            subscriptions: names.clone(),
            users: users.clone(),
            at: now.clone(),
            community: Some(e.community),
        })
        .collect();
    Ok((Some(notes), next))
}

/// Follows the governance log for the live channel while the server runs.
pub(super) async fn follow(
    live: Arc<Live>,
    store: Arc<dyn Store>,
    dir: PathBuf,
    cursor: Option<Cursor>,
) {
    super::follow_with(
        live,
        "governance",
        cursor,
        (ACTIVE_PAUSE, IDLE_PAUSE),
        move |c| pass(&*store, &dir, c).map(|(notes, next)| (notes, Some(next))),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(seq: i64, community: Option<&str>) -> Note {
        Note {
            seq,
            id: format!("x--{seq}"),
            object_type: "proposed".into(),
            name: "n".into(),
            tlp: Tlp::Clear,
            subscriptions: vec!["s".into()],
            users: None,
            at: String::new(),
            community: community.map(str::to_owned),
        }
    }

    #[test]
    fn governance_notes_take_ids_between_object_notes() {
        let live = Live::new(4);
        live.publish(vec![note(5, None), note(0, Some("c")), note(0, Some("c"))]);
        // An object version stored meanwhile has a seq a governance note took.
        live.publish(vec![note(6, None), note(10, None)]);
        let ids: Vec<i64> = live.recent.lock().unwrap().iter().map(|n| n.seq).collect();
        assert_eq!(ids, [5, 6, 7, 8, 10]);
        assert_eq!(live.position(), 10);
        assert_eq!(
            url("community--ab", "entry--cd"),
            "/community/proposals?community=community--ab#entry--cd"
        );
    }
}

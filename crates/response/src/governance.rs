//! Governance notifications: the proposals and decisions of the communities this node
//! holds (issue 24), for the subscriptions with `governance = true` (webhook, e-mail and
//! the web interface's live channel, as object notifications are delivered).
//!
//! ```toml
//! [[subscription]]
//! name = "board"
//! governance = true        # proposals and decisions instead of object versions
//! webhook = { url = "https://board.example/hook", secret = "…" }
//! ```
//!
//! An [`Event`] is one of: a new proposal (`proposed`); a decision in force
//! (`member-admitted`, `member-suspended`, `member-readmitted`, `member-expelled`,
//! `key-revoked`, `charter-changed`, `definition-adopted`); a proposal that `failed`, was
//! `superseded` by another on the same subject, or `expired` (its period ended without a
//! decision). Events are found by comparing the state every member computes from the log
//! (`concord_community::Community::from_entries`) before and after the governance
//! documents stored since a [`Cursor`], and by the deadlines passed since it: the caller
//! keeps the cursor (in a state file, or in memory), so each event is delivered once.
//! Each event has a stable id (`<proposal>/<event>`).

use std::collections::{BTreeMap, HashMap};

use concord_community::{Action, Entry, Genesis, Outcome, Proposal, State as Community};
use concord_store::Store;
use concord_store::governance::{ENTRY, GENESIS, GovernanceRecord};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Result;
use crate::notify::{Pending, Subscription};

/// Where governance notifications stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Governance documents up to this number (the store's) were looked at.
    pub n: i64,
    /// Deadlines up to this time were looked at.
    pub at: String,
    /// The earliest deadline of an open proposal after `at`, when known.
    #[serde(default)]
    pub next_deadline: Option<String>,
    /// Whether `next_deadline` is known (else the next look computes the states).
    #[serde(default)]
    pub settled: bool,
}

impl Cursor {
    /// A cursor at the store's governance head now: history is not replayed, but
    /// proposals already open are reported when their period ends.
    pub fn start(store: &dyn Store, now: &str) -> Result<Cursor> {
        Ok(Cursor {
            n: store.governance_head()?,
            at: now.to_owned(),
            next_deadline: None,
            settled: false,
        })
    }
}

/// One proposal or decision of a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// `<proposal>/<event>`: the same event always has the same id.
    pub id: String,
    /// What happened (`proposed`, `member-admitted`, `failed`, `expired`, ...).
    pub event: String,
    /// The community id.
    pub community: String,
    /// Its name.
    pub community_name: String,
    /// The proposal's entry id.
    pub proposal: String,
    /// The kind of decision (`admit`, `revoke-key`, ...).
    pub kind: String,
    /// What the proposal asks, in one line.
    pub what: String,
    /// The member it is about, if any.
    pub member: Option<String>,
    /// Who proposed it.
    pub author: String,
    /// When it happened (the proposal's time, the decision's, or the deadline).
    pub at: String,
    /// Why it failed, for `failed`.
    pub reason: Option<String>,
    /// Yes votes when it happened.
    pub yes: usize,
    /// Yes votes needed.
    pub required: usize,
}

/// The name of the event of a proposal that passed.
fn passed_event(action: &Action) -> &'static str {
    match action {
        Action::Admit { .. } => "member-admitted",
        Action::Suspend { .. } => "member-suspended",
        Action::Readmit { .. } => "member-readmitted",
        Action::Expel { .. } => "member-expelled",
        Action::RevokeKey { .. } => "key-revoked",
        Action::ChangeCharter { .. } => "charter-changed",
        Action::Define { .. } => "definition-adopted",
    }
}

fn event(c: &Community, p: &Proposal, name: &str, at: &str, reason: Option<String>) -> Event {
    let member = match &p.action {
        Action::Admit { member, .. } => Some(member.node_id.clone()),
        Action::Readmit { member } => Some(member.clone()),
        a => a.about_member().map(str::to_owned),
    };
    Event {
        id: format!("{}/{name}", p.id),
        event: name.to_owned(),
        community: c.community.clone(),
        community_name: c.name.clone(),
        proposal: p.id.clone(),
        kind: p.action.kind().name().to_owned(),
        what: p.action.describe(),
        member,
        author: p.author.clone(),
        at: at.to_owned(),
        reason,
        yes: p.yes(),
        required: p.required,
    }
}

/// The event of a decided proposal (none while it is open).
fn decision(c: &Community, p: &Proposal, now: &str) -> Option<Event> {
    match &p.outcome {
        Outcome::Open => None,
        Outcome::Passed { at } => Some(event(c, p, passed_event(&p.action), at, None)),
        Outcome::Failed { at, reason } => Some(event(c, p, "failed", at, Some(reason.clone()))),
        Outcome::Superseded { by } => Some(event(
            c,
            p,
            "superseded",
            now,
            Some(format!("superseded by {by}")),
        )),
    }
}

/// The genesis and entries of a community among `records`, those numbered up to
/// `upto` only when it is given.
fn read(records: &[&GovernanceRecord], upto: Option<i64>) -> Option<(Genesis, Vec<Entry>)> {
    let mut genesis = None;
    let mut entries = Vec::new();
    for r in records.iter().filter(|r| upto.is_none_or(|n| r.n <= n)) {
        match r.doc.kind.as_str() {
            GENESIS => genesis = serde_json::from_str::<Genesis>(&r.doc.document).ok(),
            ENTRY => entries.extend(serde_json::from_str::<Entry>(&r.doc.document).ok()),
            _ => {}
        }
    }
    Some((genesis?, entries))
}

fn state(records: &[&GovernanceRecord], upto: Option<i64>) -> Option<Community> {
    let (genesis, entries) = read(records, upto)?;
    match concord_community::Community::from_entries(&genesis, &entries) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(community = %genesis.id(), error = %e, "Stored genesis is invalid.");
            None
        }
    }
}

/// The events since `cursor`, oldest first, and the cursor to go on from; `now` is the
/// time deadlines are compared with (RFC 3339 with milliseconds, as entries are signed).
/// Without new documents and before the next deadline it only reads the store's
/// governance head.
pub fn events(store: &dyn Store, cursor: &Cursor, now: &str) -> Result<(Vec<Event>, Cursor)> {
    let head = store.governance_head()?;
    let deadline_due = cursor.next_deadline.as_deref().is_some_and(|d| d <= now);
    if head == cursor.n && cursor.settled && !deadline_due {
        return Ok((Vec::new(), cursor.clone()));
    }
    let records = store.governance(None)?;
    let mut by_community: BTreeMap<&str, Vec<&GovernanceRecord>> = BTreeMap::new();
    for r in &records {
        by_community.entry(&r.doc.community).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut next_deadline: Option<String> = None;
    for docs in by_community.values() {
        let Some(after) = state(docs, None) else {
            continue;
        };
        let before = if head == cursor.n {
            None
        } else {
            state(docs, Some(cursor.n))
        };
        let before_of: HashMap<&str, &Proposal> = before
            .as_ref()
            .map(|b| b.proposals.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default();
        // Without new documents nothing but deadlines can have changed.
        let unchanged = head == cursor.n;
        for p in after.proposals.values() {
            let earlier = before_of.get(p.id.as_str());
            let new = !unchanged && earlier.is_none();
            if new {
                out.push(event(&after, p, "proposed", &p.at, None));
            }
            if !unchanged && earlier.is_none_or(|e| e.outcome != p.outcome) {
                out.extend(decision(&after, p, now));
            }
            if p.outcome == Outcome::Open {
                let end = p.deadline.as_str();
                let expired_now = end <= now && (new || cursor.at.as_str() < end);
                if expired_now {
                    out.push(event(&after, p, "expired", end, None));
                } else if end > now && next_deadline.as_deref().is_none_or(|d| end < d) {
                    next_deadline = Some(end.to_owned());
                }
            }
        }
    }
    // By time; a proposal's own events keep their order (proposed, then decided).
    out.sort_by(|a, b| a.at.cmp(&b.at));
    Ok((
        out,
        Cursor {
            n: head,
            at: now.to_owned(),
            next_deadline,
            settled: true,
        },
    ))
}

/// The deliveries of `events` to the subscriptions that take governance notifications.
pub fn pending(events: &[Event], subs: &[Subscription], me: &str) -> Vec<Pending> {
    let mut out = Vec::new();
    for e in events {
        for (i, s) in subs.iter().enumerate().filter(|(_, s)| s.governance) {
            out.push(Pending {
                subscription: i,
                payload: json!({
                    "subscription": s.name, "node": me, "governance": e,
                }),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use concord_community::{Charter, Choice, Content, GenesisBody, MemberInfo};
    use concord_keys::NodeKey;
    use concord_store::governance::GovernanceDocument;
    use concord_store::sqlite::SqliteStore;

    use super::*;

    fn ago(minutes: i64) -> String {
        concord_stix::Timestamp::format_millis(Utc::now() - Duration::minutes(minutes))
    }

    fn in_days(days: i64) -> String {
        concord_stix::Timestamp::format_millis(Utc::now() + Duration::days(days))
    }

    fn put(store: &dyn Store, community: &str, id: String, kind: &str, at: &str, doc: String) {
        let d = GovernanceDocument {
            community: community.to_owned(),
            id,
            kind: kind.to_owned(),
            at: at.to_owned(),
            document: doc,
        };
        store.put_governance(&[d], "", None).unwrap();
    }

    fn names(events: &[Event]) -> Vec<&str> {
        events.iter().map(|e| e.event.as_str()).collect()
    }

    #[test]
    fn proposals_decisions_and_expiries_are_each_found_once() {
        let store = SqliteStore::open_in_memory().unwrap();
        let keys: Vec<NodeKey> = (1..=3).map(|i| NodeKey::from_seed([i; 32])).collect();
        let mut genesis = Genesis::new(GenesisBody {
            name: "Test CERTs".into(),
            charter: Charter::example(),
            founders: keys
                .iter()
                .map(|k| MemberInfo {
                    node_id: k.node_id(),
                    public_key: k.public_hex(),
                    url: "https://cert.example".into(),
                    organisation: "CERT".into(),
                    country: None,
                    sectors: vec![],
                })
                .collect(),
            created: ago(60),
        });
        for k in &keys {
            genesis.sign(k);
        }
        let id = genesis.id();
        let text = serde_json::to_string(&genesis).unwrap();
        put(
            &store,
            &id,
            id.clone(),
            GENESIS,
            &genesis.body.created,
            text,
        );
        let entry = |k: &NodeKey, at: &str, content: Content| {
            let e = Entry::sign(&id, k, at, content);
            put(
                &store,
                &id,
                e.id(),
                ENTRY,
                at,
                serde_json::to_string(&e).unwrap(),
            );
            e
        };
        let define = |name: &str| Content::Proposal {
            action: Action::Define {
                name: name.into(),
                value: json!(1),
            },
            note: String::new(),
        };
        let now = concord_stix::Timestamp::now_millis();
        let cursor = Cursor::start(&store, &now).unwrap();
        let (none, cursor) = events(&store, &cursor, &now).unwrap();
        assert!(none.is_empty(), "history is not replayed");

        let p = entry(&keys[0], &ago(30), define("a"));
        let now = concord_stix::Timestamp::now_millis();
        let (found, cursor) = events(&store, &cursor, &now).unwrap();
        assert_eq!(names(&found), ["proposed"]);
        assert_eq!(found[0].id, format!("{}/proposed", p.id()));
        assert_eq!((found[0].yes, found[0].required), (1, 2));
        assert_eq!(found[0].community_name, "Test CERTs");

        entry(
            &keys[1],
            &ago(20),
            Content::Vote {
                proposal: p.id(),
                choice: Choice::Yes,
            },
        );
        let (found, cursor) = events(&store, &cursor, &now).unwrap();
        assert_eq!(names(&found), ["definition-adopted"]);
        let (again, cursor) = events(&store, &cursor, &now).unwrap();
        assert!(again.is_empty(), "{again:?}");

        // A proposal nobody else votes on expires once its week is over.
        let q = entry(&keys[2], &ago(10), define("b"));
        let (found, cursor) = events(&store, &cursor, &now).unwrap();
        assert_eq!(names(&found), ["proposed"]);
        let (none, cursor) = events(&store, &cursor, &in_days(6)).unwrap();
        assert!(none.is_empty());
        let (found, cursor) = events(&store, &cursor, &in_days(8)).unwrap();
        assert_eq!(names(&found), ["expired"]);
        assert_eq!(found[0].proposal, q.id());
        let (none, _) = events(&store, &cursor, &in_days(9)).unwrap();
        assert!(none.is_empty(), "{none:?}");

        // Only governance subscriptions get them; they get no object.
        let subs = [
            Subscription {
                name: "objects".into(),
                ..Subscription::default()
            },
            Subscription {
                name: "board".into(),
                governance: true,
                ..Subscription::default()
            },
        ];
        let due = pending(&found, &subs, "me");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].subscription, 1);
        assert_eq!(due[0].payload["governance"]["event"], "expired");
        let note = json!({"type": "note"});
        let origin = crate::notify::Origin::default();
        assert!(subs[0].matches(&note, &origin, "me"));
        assert!(!subs[1].matches(&note, &origin, "me"));
    }

    #[test]
    fn a_governance_subscription_takes_no_object_filter() {
        let ok = crate::settings::Settings::parse(
            "[[subscription]]\nname = \"board\"\ngovernance = true\nweb = true\n",
        )
        .unwrap();
        assert!(ok.subscriptions[0].governance);
        let e = crate::settings::Settings::parse(
            "[[subscription]]\nname = \"board\"\ngovernance = true\ntypes = [\"note\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("takes no object filter"), "{e}");
    }
}

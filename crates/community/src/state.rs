//! The state of a community as every node computes it from the genesis and the set of
//! log entries it holds: members and their keys, the charter, the definitions, the
//! proposals with their votes and outcomes, and the members caught equivocating.
//!
//! [`Community::from_entries`] is a pure function of the genesis and the *set* of
//! entries: the same set in any order, with any duplicates, gives the same state. It
//! reads no clock; time comes only from the entries' signed `at`.
//!
//! The rules, applied in the log's order:
//!
//! - **Order.** Entries are sorted by (`at`, rank, id), rank 0 for key rotations, 1 for
//!   proposals, 2 for votes (so a vote made in the same millisecond as its proposal, or a
//!   signature by a key that takes over in that millisecond, comes after it); copies of
//!   one id count once. Entries before the genesis' `created` are refused.
//! - **Signers.** An entry counts only when its author is a member whose key (the
//!   entry's `key`) is valid at `at`: from the member's admission or the rotation that
//!   introduced it, until a rotation's `effective` time, and not at or after its
//!   revocation. Proposals and votes need an active member; a suspended one may only
//!   rotate its key; an expelled one nothing.
//! - **Proposals.** A proposal takes the current charter's rule for its kind. The
//!   members entitled to vote are the active members when it is made, without the
//!   member it is about (suspend, expel, revoke-key); the yes votes needed are the
//!   rule's threshold of that number. The proposal counts as its author's yes. An
//!   admission names at least the charter's number of sponsors, active members, the
//!   proposer among them, and passes only once every sponsor voted yes.
//! - **Votes.** A vote counts when it is made within the period (`at` between the
//!   proposal's `at` and `at` + period, both ends included), by an entitled member, on a
//!   proposal still open. A second vote of the same choice is refused as a double vote;
//!   a vote contradicting the member's earlier vote is refused and the member is
//!   reported as equivocating (the first vote in log order is the one that counts).
//! - **Decisions.** A proposal passes at the vote that reaches its threshold and takes
//!   effect at that vote's `at`, if it still applies then (else it fails); it fails as
//!   soon as the yes votes can no longer reach the threshold. **Conflicts**: proposals
//!   with the same subject (the same member, key, definition, or the charter) are
//!   settled by the log's order: the first to pass supersedes every other one still
//!   open on that subject.
//! - **Keys.** A rotation, signed by the old and new key, ends the old key at
//!   `effective` and starts the new one then; a second rotation of the same key is
//!   refused and reported as equivocation. A revoked key is invalid from the earlier of
//!   the proposal's `since` and the decision; a replacement key is valid from the
//!   decision. A key is never taken by a second member or reused.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::charter::Charter;
use crate::entry::{
    Action, Choice, Content, Entry, EntryError, Genesis, KeyCache, MemberInfo, add_secs,
};

/// Whether a member takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Votes, proposes and syncs.
    Active,
    /// Neither votes nor syncs until readmitted.
    Suspended,
    /// No longer a member.
    Expelled,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Expelled => "expelled",
        })
    }
}

/// When one of a member's keys is valid: from `from`, until `until` (a rotation) or
/// `revoked`, whichever comes first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyPeriod {
    /// The key (hex).
    pub key: String,
    /// Valid from.
    pub from: String,
    /// Replaced by a rotation at.
    pub until: Option<String>,
    /// Revoked from.
    pub revoked: Option<String>,
}

impl KeyPeriod {
    /// Whether the key is valid at `at`.
    pub fn valid_at(&self, at: &str) -> bool {
        self.from.as_str() <= at
            && self.until.as_deref().is_none_or(|u| at < u)
            && self.revoked.as_deref().is_none_or(|r| at < r)
    }
}

/// A member as the log made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// As founded or admitted.
    pub info: MemberInfo,
    /// Now.
    pub status: Status,
    /// Member since.
    pub since: String,
    /// Its keys, oldest first.
    pub keys: Vec<KeyPeriod>,
}

impl Member {
    /// The key valid at `at`, if any.
    pub fn key_at(&self, at: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.valid_at(at))
            .map(|k| k.key.as_str())
    }

    /// The newest key neither revoked nor rotated away (it may take effect later).
    pub fn latest_key(&self) -> Option<&str> {
        self.keys
            .iter()
            .rev()
            .find(|k| k.revoked.is_none() && k.until.is_none())
            .map(|k| k.key.as_str())
    }
}

/// One member's vote on a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vote {
    /// Yes or no.
    pub choice: Choice,
    /// The entry (the proposal itself for the author's yes).
    pub entry: String,
    /// When.
    pub at: String,
}

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Outcome {
    /// Undecided; it can still pass until its deadline.
    Open,
    /// Decided and in force from `at`.
    Passed {
        /// When it took effect.
        at: String,
    },
    /// It cannot pass (or no longer applied when it would have).
    Failed {
        /// When that became certain.
        at: String,
        /// Why.
        reason: String,
    },
    /// Another proposal on the same subject passed first.
    Superseded {
        /// That proposal.
        by: String,
    },
}

/// A proposal and its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// Its entry id.
    pub id: String,
    /// Who proposed it.
    pub author: String,
    /// When.
    pub at: String,
    /// Votes after this time are refused.
    pub deadline: String,
    /// What it asks.
    pub action: Action,
    /// The proposer's note.
    pub note: String,
    /// The members entitled to vote.
    pub electorate: BTreeSet<String>,
    /// Yes votes needed.
    pub required: usize,
    /// Votes cast, by member.
    pub votes: BTreeMap<String, Vote>,
    /// Where it stands.
    pub outcome: Outcome,
}

impl Proposal {
    /// Yes votes so far.
    pub fn yes(&self) -> usize {
        self.votes
            .values()
            .filter(|v| v.choice == Choice::Yes)
            .count()
    }

    /// No votes so far.
    pub fn no(&self) -> usize {
        self.votes
            .values()
            .filter(|v| v.choice == Choice::No)
            .count()
    }

    /// Open and still within its period at `now` (the only use of a clock: display).
    pub fn open_at(&self, now: &str) -> bool {
        self.outcome == Outcome::Open && now <= self.deadline.as_str()
    }
}

/// A member that signed two contradictory entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equivocation {
    /// The member.
    pub member: String,
    /// What was contradicted (a proposal id, or a key for two rotations).
    pub about: String,
    /// The entry that counts.
    pub first: String,
    /// The contradicting entry, refused.
    pub second: String,
}

/// An entry that changed nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rejection {
    /// Its id.
    pub entry: String,
    /// Why it was refused.
    pub reason: String,
}

/// A community as computed from its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    /// The community id.
    pub community: String,
    /// Its name.
    pub name: String,
    /// When it was founded.
    pub created: String,
    /// The charter in force.
    pub charter: Charter,
    /// Members by node id (expelled ones included).
    pub members: BTreeMap<String, Member>,
    /// Community-wide definitions in force.
    pub definitions: BTreeMap<String, Value>,
    /// Every accepted proposal by id.
    pub proposals: BTreeMap<String, Proposal>,
    /// Members caught signing contradictory entries.
    pub equivocations: Vec<Equivocation>,
    /// Entries that changed nothing.
    pub rejected: Vec<Rejection>,
    /// Ids of the entries that counted, in log order.
    pub accepted: Vec<String>,
    /// Keys rotated away, each with the rotation's entry id.
    pub rotations: BTreeMap<String, String>,
    /// The open proposals by subject, so that a decision supersedes the others on its
    /// subject without a walk over every proposal (a function of `proposals`).
    #[serde(skip)]
    open: BTreeMap<String, BTreeSet<String>>,
}

/// The entry point: computing a community's state.
#[derive(Debug)]
pub struct Community;

impl Community {
    /// The state of the community founded by `genesis` after `entries` (any order, any
    /// duplicates). Fails only when the genesis itself is invalid; bad entries are
    /// listed in [`State::rejected`].
    pub fn from_entries<'a>(
        genesis: &Genesis,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Result<State, EntryError> {
        genesis.check()?;
        Ok(Community::replay(genesis, entries).state)
    }

    /// Computes the state of a genesis already checked, noting which entries failed
    /// their own check (signatures, size, form) before any rule was applied.
    pub(crate) fn replay<'a>(
        genesis: &Genesis,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Replay {
        let id = genesis.id();
        let g = &genesis.body;
        let mut state = State {
            community: id.clone(),
            name: g.name.clone(),
            created: g.created.clone(),
            charter: g.charter.clone(),
            members: g
                .founders
                .iter()
                .map(|f| {
                    let m = Member {
                        info: f.clone(),
                        status: Status::Active,
                        since: g.created.clone(),
                        keys: vec![KeyPeriod {
                            key: f.public_key.clone(),
                            from: g.created.clone(),
                            until: None,
                            revoked: None,
                        }],
                    };
                    (f.node_id.clone(), m)
                })
                .collect(),
            definitions: BTreeMap::new(),
            proposals: BTreeMap::new(),
            equivocations: Vec::new(),
            rejected: Vec::new(),
            accepted: Vec::new(),
            rotations: BTreeMap::new(),
            open: BTreeMap::new(),
        };
        let mut good: Vec<(u8, String, &Entry)> = Vec::new();
        let mut bad = BTreeSet::new();
        let mut keys = KeyCache::default();
        for e in entries {
            match e.check_with(&id, &mut keys) {
                Ok(entry_id) => good.push((rank(&e.body.content), entry_id, e)),
                Err(reason) => {
                    bad.insert(Rejection {
                        entry: e.id(),
                        reason: reason.to_string(),
                    });
                }
            }
        }
        let invalid = bad.len();
        state.rejected.extend(bad);
        good.sort_by(|a, b| {
            (a.2.body.at.as_str(), a.0, &a.1).cmp(&(b.2.body.at.as_str(), b.0, &b.1))
        });
        good.dedup_by(|a, b| a.1 == b.1);
        let well_formed = good.len();
        for (_, entry_id, e) in good {
            match state.apply(&entry_id, e) {
                Ok(()) => state.accepted.push(entry_id),
                Err(reason) => state.rejected.push(Rejection {
                    entry: entry_id,
                    reason,
                }),
            }
        }
        Replay {
            state,
            invalid,
            well_formed,
        }
    }
}

/// A computed state and what the entries' own checks found.
pub(crate) struct Replay {
    /// The state.
    pub(crate) state: State,
    /// How many of the first rejections are entries refused by their own check (the
    /// others are refused by the rules).
    pub(crate) invalid: usize,
    /// Distinct entries that passed their own check.
    pub(crate) well_formed: usize,
}

fn rank(c: &Content) -> u8 {
    match c {
        Content::RotateKey { .. } => 0,
        Content::Proposal { .. } => 1,
        Content::Vote { .. } => 2,
    }
}

impl State {
    /// Active members, by node id.
    pub fn active(&self) -> impl Iterator<Item = &Member> {
        self.members.values().filter(|m| m.status == Status::Active)
    }

    /// Whether `node_id` is an active member.
    pub fn is_active(&self, node_id: &str) -> bool {
        self.members
            .get(node_id)
            .is_some_and(|m| m.status == Status::Active)
    }

    /// The member a key belongs to and whether it is valid at `at` (`None`: no member's
    /// key).
    pub fn key_owner(&self, key: &str) -> Option<(&Member, &KeyPeriod)> {
        self.members
            .values()
            .find_map(|m| m.keys.iter().find(|k| k.key == key).map(|k| (m, k)))
    }

    /// Keys revoked by the community, with the time from which they are refused.
    pub fn revoked_keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.members.values().flat_map(|m| {
            m.keys
                .iter()
                .filter_map(|k| Some((k.key.as_str(), k.revoked.as_deref()?)))
        })
    }

    fn key_used(&self, key: &str) -> bool {
        self.key_owner(key).is_some()
    }

    /// The author's member record, if the entry's key is the author's and valid then.
    fn signer(&self, e: &Entry, active: bool) -> Result<&Member, String> {
        let b = &e.body;
        if b.at.as_str() < self.created.as_str() {
            return Err(format!(
                "made at {}, before the community was founded ({})",
                b.at, self.created
            ));
        }
        let m = self
            .members
            .get(&b.author)
            .ok_or_else(|| format!("{} is not a member", b.author))?;
        if m.status == Status::Expelled || (active && m.status != Status::Active) {
            return Err(format!("{} is {} at {}", b.author, m.status, b.at));
        }
        let period = m
            .keys
            .iter()
            .find(|k| k.key == b.key)
            .ok_or_else(|| format!("key {} is not a key of {}", b.key, b.author))?;
        if !period.valid_at(&b.at) {
            let why = match (&period.revoked, &period.until) {
                (Some(r), _) if b.at.as_str() >= r.as_str() => format!("revoked from {r}"),
                (_, Some(u)) if b.at.as_str() >= u.as_str() => format!("rotated away at {u}"),
                _ => format!("valid only from {}", period.from),
            };
            return Err(format!(
                "key {} of {} is not valid at {}: {why}",
                b.key, b.author, b.at
            ));
        }
        Ok(m)
    }

    fn apply(&mut self, id: &str, e: &Entry) -> Result<(), String> {
        match &e.body.content {
            Content::RotateKey { new_key, effective } => self.rotate(id, e, new_key, effective),
            Content::Proposal { action, note } => self.propose(id, e, action, note),
            Content::Vote { proposal, choice } => self.vote(id, e, proposal, *choice),
        }
    }

    fn rotate(
        &mut self,
        id: &str,
        e: &Entry,
        new_key: &str,
        effective: &str,
    ) -> Result<(), String> {
        self.signer(e, false)?;
        let b = &e.body;
        if let Some(first) = self.rotations.get(&b.key) {
            self.equivocations.push(Equivocation {
                member: b.author.clone(),
                about: format!("key {}", b.key),
                first: first.clone(),
                second: id.to_owned(),
            });
            return Err(format!(
                "key {} of {} was already rotated by {first}; a second rotation is equivocation",
                b.key, b.author
            ));
        }
        if self.key_used(new_key) {
            return Err(format!("key {new_key} is already taken"));
        }
        let member = self
            .members
            .get_mut(&b.author)
            .ok_or_else(|| format!("{} is not a member", b.author))?;
        if let Some(period) = member.keys.iter_mut().find(|k| k.key == b.key) {
            period.until = Some(effective.to_owned());
        }
        member.keys.push(KeyPeriod {
            key: new_key.to_owned(),
            from: effective.to_owned(),
            until: None,
            revoked: None,
        });
        self.rotations.insert(b.key.clone(), id.to_owned());
        Ok(())
    }

    /// Whether `action` can take effect now; `Err` says why not.
    fn applies(&self, action: &Action) -> Result<(), String> {
        let status = |m: &str| {
            self.members
                .get(m)
                .map(|m| m.status)
                .ok_or_else(|| format!("{m} is not a member"))
        };
        match action {
            Action::Admit { member, .. } => {
                if self
                    .members
                    .get(&member.node_id)
                    .is_some_and(|m| m.status != Status::Expelled)
                {
                    return Err(format!("{} is already a member", member.node_id));
                }
                match self.key_owner(&member.public_key) {
                    Some((m, _)) if m.info.node_id != member.node_id => {
                        Err(format!("key {} is already taken", member.public_key))
                    }
                    Some((_, k)) if k.revoked.is_some() => Err(format!(
                        "key {} was revoked; an admission cannot restore it",
                        member.public_key
                    )),
                    _ => Ok(()),
                }
            }
            Action::Suspend { member } => match status(member)? {
                Status::Active => Ok(()),
                s => Err(format!("{member} is {s}, not active")),
            },
            Action::Readmit { member } => match status(member)? {
                Status::Suspended => Ok(()),
                s => Err(format!("{member} is {s}, not suspended")),
            },
            Action::Expel { member } => match status(member)? {
                Status::Expelled => Err(format!("{member} is already expelled")),
                _ => Ok(()),
            },
            Action::RevokeKey {
                member,
                key,
                replacement,
                ..
            } => {
                let m = self
                    .members
                    .get(member)
                    .ok_or_else(|| format!("{member} is not a member"))?;
                match m.keys.iter().find(|k| &k.key == key) {
                    None => return Err(format!("key {key} is not a key of {member}")),
                    Some(k) if k.revoked.is_some() => {
                        return Err(format!("key {key} is already revoked"));
                    }
                    Some(_) => {}
                }
                if let Some(r) = replacement
                    && self.key_used(r)
                {
                    return Err(format!("replacement key {r} is already taken"));
                }
                Ok(())
            }
            Action::ChangeCharter { charter } => charter.check(),
            Action::Define { name, .. } => {
                if name.trim().is_empty() {
                    Err("a definition needs a name".into())
                } else {
                    Ok(())
                }
            }
        }
    }

    fn propose(&mut self, id: &str, e: &Entry, action: &Action, note: &str) -> Result<(), String> {
        self.signer(e, true)?;
        let b = &e.body;
        let kind = action.kind();
        let rule = self
            .charter
            .rule(kind)
            .ok_or_else(|| format!("the charter has no rule for {kind}"))?
            .clone();
        self.applies(action)?;
        if let Action::Admit { sponsors, .. } = action {
            let distinct: BTreeSet<&String> = sponsors.iter().collect();
            if distinct.len() != sponsors.len() {
                return Err("a sponsor is named twice".into());
            }
            if sponsors.len() < rule.sponsors as usize {
                return Err(format!(
                    "an admission needs {} sponsors, {} named",
                    rule.sponsors,
                    sponsors.len()
                ));
            }
            if !sponsors.contains(&b.author) {
                return Err(format!(
                    "the proposer {} is not among the sponsors",
                    b.author
                ));
            }
            if let Some(s) = sponsors.iter().find(|s| !self.is_active(s)) {
                return Err(format!("sponsor {s} is not an active member"));
            }
        }
        let about = action.about_member();
        let electorate: BTreeSet<String> = self
            .active()
            .map(|m| m.info.node_id.clone())
            .filter(|m| Some(m.as_str()) != about)
            .collect();
        let required = rule.threshold.required(electorate.len());
        let mut votes = BTreeMap::new();
        if electorate.contains(&b.author) {
            votes.insert(
                b.author.clone(),
                Vote {
                    choice: Choice::Yes,
                    entry: id.to_owned(),
                    at: b.at.clone(),
                },
            );
        }
        self.open
            .entry(action.subject())
            .or_default()
            .insert(id.to_owned());
        self.proposals.insert(
            id.to_owned(),
            Proposal {
                id: id.to_owned(),
                author: b.author.clone(),
                at: b.at.clone(),
                deadline: add_secs(&b.at, rule.period_secs),
                action: action.clone(),
                note: note.to_owned(),
                electorate,
                required,
                votes,
                outcome: Outcome::Open,
            },
        );
        self.decide(id, &b.at);
        Ok(())
    }

    fn vote(&mut self, id: &str, e: &Entry, proposal: &str, choice: Choice) -> Result<(), String> {
        self.signer(e, true)?;
        let b = &e.body;
        let p = self
            .proposals
            .get_mut(proposal)
            .ok_or_else(|| format!("vote on {proposal}, which is not an accepted proposal"))?;
        if b.at.as_str() < p.at.as_str() || b.at.as_str() > p.deadline.as_str() {
            return Err(format!(
                "vote made at {}, outside the voting period {} to {}",
                b.at, p.at, p.deadline
            ));
        }
        if !p.electorate.contains(&b.author) {
            return Err(format!(
                "{} is not entitled to vote on {proposal}",
                b.author
            ));
        }
        if let Some(earlier) = p.votes.get(&b.author) {
            if earlier.choice == choice {
                return Err(format!(
                    "double vote: {} already voted {choice:?} on {proposal} ({})",
                    b.author, earlier.entry
                ));
            }
            let first = earlier.entry.clone();
            self.equivocations.push(Equivocation {
                member: b.author.clone(),
                about: proposal.to_owned(),
                first: first.clone(),
                second: id.to_owned(),
            });
            return Err(format!(
                "equivocation: {} voted {choice:?} on {proposal} after voting otherwise ({first})",
                b.author
            ));
        }
        if p.outcome != Outcome::Open {
            return Err(format!("{proposal} is already decided"));
        }
        p.votes.insert(
            b.author.clone(),
            Vote {
                choice,
                entry: id.to_owned(),
                at: b.at.clone(),
            },
        );
        self.decide(proposal, &b.at);
        Ok(())
    }

    /// Settles a proposal after a vote at `at`: passes it (applying its action) when the
    /// threshold is met, fails it when it no longer can be.
    fn decide(&mut self, id: &str, at: &str) {
        let Some(p) = self.proposals.get(id) else {
            return;
        };
        let yes = p.yes();
        let undecided = p.electorate.len() - p.votes.len();
        let sponsors: &[String] = match &p.action {
            Action::Admit { sponsors, .. } => sponsors,
            _ => &[],
        };
        let sponsor_vote = |s: &String| p.votes.get(s).map(|v| v.choice);
        let outcome = if let Some(s) = sponsors
            .iter()
            .find(|s| sponsor_vote(s) == Some(Choice::No))
        {
            Some(Outcome::Failed {
                at: at.to_owned(),
                reason: format!("sponsor {s} voted no"),
            })
        } else if yes >= p.required
            && sponsors
                .iter()
                .all(|s| sponsor_vote(s) == Some(Choice::Yes))
        {
            let action = p.action.clone();
            Some(match self.applies(&action) {
                Ok(()) => {
                    self.enact(id, &action, at);
                    Outcome::Passed { at: at.to_owned() }
                }
                Err(reason) => Outcome::Failed {
                    at: at.to_owned(),
                    reason: format!("no longer applies: {reason}"),
                },
            })
        } else if yes + undecided < p.required {
            Some(Outcome::Failed {
                at: at.to_owned(),
                reason: format!(
                    "{yes} yes and {undecided} not voted of {} cannot reach {}",
                    p.electorate.len(),
                    p.required
                ),
            })
        } else {
            None
        };
        if let Some(o) = outcome
            && let Some(p) = self.proposals.get_mut(id)
        {
            p.outcome = o;
            let subject = p.action.subject();
            if let Some(open) = self.open.get_mut(&subject) {
                open.remove(id);
                if open.is_empty() {
                    self.open.remove(&subject);
                }
            }
        }
    }

    /// Puts a passed action in force at `at` and supersedes open proposals on the same
    /// subject.
    fn enact(&mut self, id: &str, action: &Action, at: &str) {
        match action {
            Action::Admit { member, .. } => {
                self.members.insert(
                    member.node_id.clone(),
                    Member {
                        info: member.clone(),
                        status: Status::Active,
                        since: at.to_owned(),
                        keys: vec![KeyPeriod {
                            key: member.public_key.clone(),
                            from: at.to_owned(),
                            until: None,
                            revoked: None,
                        }],
                    },
                );
            }
            Action::Suspend { member } => self.set_status(member, Status::Suspended),
            Action::Readmit { member } => self.set_status(member, Status::Active),
            Action::Expel { member } => self.set_status(member, Status::Expelled),
            Action::RevokeKey {
                member,
                key,
                since,
                replacement,
            } => {
                if let Some(m) = self.members.get_mut(member) {
                    if let Some(k) = m.keys.iter_mut().find(|k| &k.key == key) {
                        k.revoked = Some(since.as_str().min(at).to_owned());
                    }
                    if let Some(r) = replacement {
                        m.keys.push(KeyPeriod {
                            key: r.clone(),
                            from: at.to_owned(),
                            until: None,
                            revoked: None,
                        });
                    }
                }
            }
            Action::ChangeCharter { charter } => self.charter = charter.clone(),
            Action::Define { name, value } => {
                self.definitions.insert(name.clone(), value.clone());
            }
        }
        let subject = action.subject();
        let Some(open) = self.open.get_mut(&subject) else {
            return;
        };
        let others: Vec<String> = open.iter().filter(|p| *p != id).cloned().collect();
        open.retain(|p| p == id);
        if open.is_empty() {
            self.open.remove(&subject);
        }
        for other in others {
            if let Some(p) = self.proposals.get_mut(&other) {
                p.outcome = Outcome::Superseded { by: id.to_owned() };
            }
        }
    }

    fn set_status(&mut self, member: &str, status: Status) {
        if let Some(m) = self.members.get_mut(member) {
            m.status = status;
        }
    }
}

//! Verifying a governance log from scratch: the genesis and its founders' signatures,
//! every entry's own check (size, community, timestamps, signatures), and the state the
//! rules make of them (author a member with a valid key at the entry's time, votes within
//! their period, equivocations), with every problem named by the entry it is about.
//!
//! [`verify`] is what `concord community verify` reports, on a node's log or on a log
//! exported from one ([`Log`]); [`Verification::compare`] checks the recomputed state
//! against a state computed elsewhere (the one a node holds).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::entry::{Entry, EntryError, Genesis};
use crate::state::{Community, State, Status};

/// A community's log as exported for verification elsewhere: the genesis and every
/// entry, each as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// The founding document.
    pub genesis: Genesis,
    /// The entries (any order).
    pub entries: Vec<Entry>,
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The genesis is invalid (a founder's signature missing or bad, a bad charter...).
    Genesis,
    /// A document that is not a genesis or an entry at all, or is labelled with another
    /// id, community or time than its own.
    Unreadable,
    /// An entry refused on its own: too large, for another community, a malformed
    /// field, or a signature that does not verify.
    Invalid,
    /// A well-formed entry the rules refuse: its author not a member or its key not
    /// valid at its time, a vote outside the period or by someone not entitled, a
    /// double vote.
    Refused,
    /// A contradicting vote or a second rotation of one key by the same member.
    Equivocation,
    /// The recomputed state differs from the state it is compared with.
    Mismatch,
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProblemKind::Genesis => "genesis",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Invalid => "invalid",
            ProblemKind::Refused => "refused",
            ProblemKind::Equivocation => "equivocation",
            ProblemKind::Mismatch => "mismatch",
        })
    }
}

/// One problem found, about one document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// The entry's id (the community id for the genesis or the state; a position such as
    /// `entries[3]` for an unreadable document).
    pub entry: String,
    /// What kind.
    pub kind: ProblemKind,
    /// Why, in a sentence.
    pub reason: String,
}

/// What [`verify`] checked and found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The community id (of the genesis as given).
    pub community: String,
    /// Its name.
    pub name: String,
    /// Founders named by the genesis.
    pub founders: usize,
    /// Founders whose signature of the genesis verified.
    pub founder_signatures: usize,
    /// Distinct entries read (by id; copies count once).
    pub entries: usize,
    /// Entries that passed their own check, signatures verified.
    pub well_formed: usize,
    /// Entries that counted under the rules.
    pub counted: usize,
    /// Members (expelled ones included) in the recomputed state.
    pub members: usize,
    /// Active members in the recomputed state.
    pub active: usize,
    /// Proposals in the recomputed state.
    pub proposals: usize,
    /// Whether the recomputed state was compared with another and matched (`None`: not
    /// compared).
    pub matches: Option<bool>,
    /// Every problem; empty when the log verifies.
    pub problems: Vec<Problem>,
    /// The recomputed state (`None` when the genesis is invalid).
    #[serde(skip)]
    pub state: Option<State>,
}

impl Verification {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds a problem found outside [`verify`] (an unreadable document, say).
    pub fn add(&mut self, entry: impl Into<String>, kind: ProblemKind, reason: impl Into<String>) {
        self.problems.push(Problem {
            entry: entry.into(),
            kind,
            reason: reason.into(),
        });
    }

    /// Compares the recomputed state with `held` (computed elsewhere, e.g. by the node
    /// that holds the log): each difference is a [`ProblemKind::Mismatch`].
    pub fn compare(&mut self, held: &State) {
        let Some(state) = &self.state else {
            self.matches = Some(false);
            self.add(
                held.community.clone(),
                ProblemKind::Mismatch,
                "the state cannot be recomputed (the genesis is invalid) but one is held",
            );
            return;
        };
        let found = differences(state, held);
        let community = state.community.clone();
        self.matches = Some(found.is_empty());
        for d in found {
            self.add(community.clone(), ProblemKind::Mismatch, d);
        }
    }
}

/// Verifies a log from scratch: the genesis, then every entry, then the state the rules
/// make of them. Never fails: what is wrong is listed in [`Verification::problems`].
pub fn verify<'a>(genesis: &Genesis, entries: impl IntoIterator<Item = &'a Entry>) -> Verification {
    let community = genesis.id();
    let entries: Vec<&Entry> = entries.into_iter().collect();
    let genesis_problems = genesis.problems();
    let unsigned = genesis_problems
        .iter()
        .filter(|e| matches!(e, EntryError::Signature { .. } | EntryError::Key(_)))
        .count();
    let mut v = Verification {
        community: community.clone(),
        name: genesis.body.name.clone(),
        founders: genesis.body.founders.len(),
        founder_signatures: genesis.body.founders.len().saturating_sub(unsigned),
        entries: 0,
        well_formed: 0,
        counted: 0,
        members: 0,
        active: 0,
        proposals: 0,
        matches: None,
        problems: Vec::new(),
        state: None,
    };
    for e in &genesis_problems {
        v.add(community.clone(), ProblemKind::Genesis, e.to_string());
    }
    let replay = Community::replay(genesis, entries.iter().copied());
    let state = replay.state;
    let equivocating: BTreeSet<&str> = state
        .equivocations
        .iter()
        .map(|e| e.second.as_str())
        .collect();
    let distinct: BTreeSet<String> = state
        .accepted
        .iter()
        .chain(state.rejected.iter().map(|r| &r.entry))
        .cloned()
        .collect();
    v.entries = distinct.len();
    v.well_formed = replay.well_formed;
    for (i, r) in state.rejected.iter().enumerate() {
        let kind = if i < replay.invalid {
            ProblemKind::Invalid
        } else if equivocating.contains(r.entry.as_str()) {
            ProblemKind::Equivocation
        } else {
            ProblemKind::Refused
        };
        v.problems.push(Problem {
            entry: r.entry.clone(),
            kind,
            reason: r.reason.clone(),
        });
    }
    if genesis_problems.is_empty() {
        v.counted = state.accepted.len();
        v.members = state.members.len();
        v.active = state
            .members
            .values()
            .filter(|m| m.status == Status::Active)
            .count();
        v.proposals = state.proposals.len();
        v.state = Some(state);
    }
    v
}

/// What differs between two states of one community, one sentence each.
pub fn differences(a: &State, b: &State) -> Vec<String> {
    let mut out = Vec::new();
    if a.community != b.community {
        out.push(format!(
            "community {} here, {} in the other state",
            a.community, b.community
        ));
        return out;
    }
    if a.charter != b.charter {
        out.push("the charter differs".into());
    }
    let keys = |x: &State| -> BTreeSet<String> { x.members.keys().cloned().collect() };
    for id in keys(a).union(&keys(b)) {
        match (a.members.get(id), b.members.get(id)) {
            (Some(m), Some(n)) if m != n => out.push(if m.status == n.status {
                format!("member {id}: its record (keys, since) differs")
            } else {
                format!(
                    "member {id} is {} here, {} in the other state",
                    m.status, n.status
                )
            }),
            (Some(_), None) => out.push(format!("member {id} is missing from the other state")),
            (None, Some(_)) => out.push(format!("member {id} is only in the other state")),
            _ => {}
        }
    }
    let names: BTreeSet<&String> = a.definitions.keys().chain(b.definitions.keys()).collect();
    for name in names {
        if a.definitions.get(name) != b.definitions.get(name) {
            out.push(format!("definition {name} differs"));
        }
    }
    let ids: BTreeSet<&String> = a.proposals.keys().chain(b.proposals.keys()).collect();
    for id in ids {
        match (a.proposals.get(id), b.proposals.get(id)) {
            (Some(p), Some(q)) if p != q => out.push(if p.outcome == q.outcome {
                format!("proposal {id}: its votes differ")
            } else {
                format!(
                    "proposal {id} is {:?} here, {:?} in the other state",
                    p.outcome, q.outcome
                )
            }),
            (Some(_), None) => out.push(format!("proposal {id} is missing from the other state")),
            (None, Some(_)) => out.push(format!("proposal {id} is only in the other state")),
            _ => {}
        }
    }
    if a.equivocations != b.equivocations {
        out.push("the equivocations differ".into());
    }
    if a.accepted != b.accepted {
        out.push(format!(
            "{} entries count here, {} in the other state",
            a.accepted.len(),
            b.accepted.len()
        ));
    }
    if a.rejected != b.rejected {
        out.push(format!(
            "{} entries are refused here, {} in the other state",
            a.rejected.len(),
            b.rejected.len()
        ));
    }
    if out.is_empty() && a != b {
        out.push("the states differ".into());
    }
    out
}

//! Verifying a whole log from scratch (issue 24): a good log passes, and every forgery
//! or misplaced entry is named by its id with the kind of problem and the reason.

use concord_community::{
    Action, Charter, Choice, Community, Content, Entry, Genesis, GenesisBody, Log, ProblemKind,
    Verification, verify,
};
use concord_keys::NodeKey;

mod common;
use common::{info, key, t};

fn genesis(founders: &[NodeKey]) -> Genesis {
    let mut charter = Charter::example();
    for r in charter.rules.values_mut() {
        r.period_secs = 3600;
    }
    let mut g = Genesis::new(GenesisBody {
        name: "verified".into(),
        charter,
        founders: founders.iter().map(info).collect(),
        created: t(0),
    });
    for k in founders {
        g.sign(k);
    }
    g
}

fn define(g: &Genesis, k: &NodeKey, at: u32, name: &str) -> Entry {
    Entry::sign(
        &g.id(),
        k,
        &t(at),
        Content::Proposal {
            action: Action::Define {
                name: name.into(),
                value: serde_json::json!(at),
            },
            note: String::new(),
        },
    )
}

fn vote(g: &Genesis, k: &NodeKey, at: u32, p: &Entry, choice: Choice) -> Entry {
    Entry::sign(
        &g.id(),
        k,
        &t(at),
        Content::Vote {
            proposal: p.id(),
            choice,
        },
    )
}

/// Four founders; two definitions passed, one open.
fn good_log() -> (Vec<NodeKey>, Genesis, Vec<Entry>) {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let a = define(&g, &f[0], 1, "a");
    let b = define(&g, &f[1], 2, "b");
    let open = define(&g, &f[2], 3, "open");
    let entries = vec![
        vote(&g, &f[1], 4, &a, Choice::Yes),
        vote(&g, &f[2], 5, &b, Choice::Yes),
        a,
        b,
        open,
    ];
    (f, g, entries)
}

fn problem<'a>(v: &'a Verification, e: &Entry) -> (ProblemKind, &'a str) {
    let id = e.id();
    v.problems
        .iter()
        .find(|p| p.entry == id)
        .map(|p| (p.kind, p.reason.as_str()))
        .unwrap_or_else(|| panic!("{id} is not named: {:?}", v.problems))
}

#[test]
fn a_good_log_verifies_and_its_state_matches() {
    let (_, g, entries) = good_log();
    let v = verify(&g, &entries);
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(
        (
            v.founders,
            v.founder_signatures,
            v.entries,
            v.well_formed,
            v.counted
        ),
        (4, 4, 5, 5, 5)
    );
    assert_eq!((v.members, v.active, v.proposals), (4, 4, 3));
    let state = v.state.clone().unwrap();
    assert_eq!(state.definitions.len(), 2);
    // Compared with the state computed the ordinary way, in another order: the same.
    let mut v = v;
    let mut reversed = entries.clone();
    reversed.reverse();
    v.compare(&Community::from_entries(&g, &reversed).unwrap());
    assert_eq!(v.matches, Some(true));
    assert!(v.ok());
    // Copies count once.
    let doubled: Vec<&Entry> = entries.iter().chain(&entries).collect();
    let v = verify(&g, doubled);
    assert!(v.ok());
    assert_eq!(v.entries, 5);
}

#[test]
fn every_forgery_is_named_with_its_reason() {
    let (f, g, entries) = good_log();
    let open = entries[4].clone();
    let mut mangled = vote(&g, &f[3], 6, &open, Choice::Yes);
    mangled.signature = f[3].sign_b64(b"something else");
    let late = vote(&g, &f[3], 3 + 61, &open, Choice::Yes);
    let outsider = vote(&g, &key(20), 6, &open, Choice::Yes);
    let mut oversized = define(&g, &f[3], 6, "big");
    if let Content::Proposal { note, .. } = &mut oversized.body.content {
        *note = "x".repeat(70_000);
    }
    let flip = vote(&g, &f[1], 7, &open, Choice::No);
    let flop = vote(&g, &f[1], 8, &open, Choice::Yes);
    let mut all = entries.clone();
    all.extend([
        mangled.clone(),
        late.clone(),
        outsider.clone(),
        oversized.clone(),
        flip.clone(),
        flop.clone(),
    ]);
    let mut v = verify(&g, &all);
    assert!(!v.ok());
    let expect = [
        (&mangled, ProblemKind::Invalid, "does not verify"),
        (&late, ProblemKind::Refused, "outside the voting period"),
        (&outsider, ProblemKind::Refused, "is not a member"),
        (&oversized, ProblemKind::Invalid, "over the limit"),
        (&flop, ProblemKind::Equivocation, "equivocation"),
    ];
    for (e, kind, why) in expect {
        let (k, reason) = problem(&v, e);
        assert_eq!(k, kind, "{why}: {reason}");
        assert!(reason.contains(why), "{why}: {reason}");
    }
    assert_eq!(v.problems.len(), 5, "{:?}", v.problems);
    assert_eq!((v.entries, v.well_formed, v.counted), (11, 9, 6));
    // What was decided is what the good log alone decides, plus the one honest vote.
    let mut honest = entries.clone();
    honest.push(flip.clone());
    let held = Community::from_entries(&g, &honest).unwrap();
    v.compare(&held);
    assert_eq!(v.matches, Some(false));
    let mismatch: Vec<&str> = v
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Mismatch)
        .map(|p| p.reason.as_str())
        .collect();
    assert_eq!(
        mismatch,
        [
            "the equivocations differ",
            "5 entries are refused here, 0 in the other state"
        ]
    );
}

#[test]
fn a_genesis_missing_founder_signatures_names_each() {
    let (f, mut g, entries) = good_log();
    g.signatures.remove(&f[1].node_id());
    g.signatures.remove(&f[3].node_id());
    let v = verify(&g, &entries);
    assert!(v.state.is_none());
    assert_eq!((v.founders, v.founder_signatures), (4, 2));
    let genesis: Vec<&str> = v
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Genesis)
        .map(|p| p.reason.as_str())
        .collect();
    assert_eq!(genesis.len(), 2, "{genesis:?}");
    for (reason, k) in genesis.iter().zip([&f[1], &f[3]]) {
        assert!(reason.contains(&k.node_id()), "{reason}");
        assert!(reason.contains("has not signed"), "{reason}");
    }
    assert!(v.problems.iter().all(|p| p.entry == g.id()));
    // A held state while the genesis does not verify is itself a mismatch.
    let mut v = v;
    let (_, good, _) = good_log();
    v.compare(&Community::from_entries(&good, &entries).unwrap());
    assert_eq!(v.matches, Some(false));
}

#[test]
fn an_exported_log_reads_back() {
    let (_, g, entries) = good_log();
    let log = Log {
        genesis: g.clone(),
        entries: entries.clone(),
    };
    let text = serde_json::to_string(&log).unwrap();
    let back: Log = serde_json::from_str(&text).unwrap();
    assert_eq!(back, log);
    assert!(verify(&back.genesis, &back.entries).ok());
}

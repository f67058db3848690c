//! The community state: admission, decisions, conflicts, keys, and the forgeries and
//! mistakes that must change nothing.

use concord_community::charter::Rule;
use concord_community::{
    Action, Charter, Choice, Community, Content, DecisionKind, Entry, Genesis, GenesisBody,
    Outcome, State, Status, Threshold,
};
use concord_keys::NodeKey;

mod common;
use common::{info, key, t};

/// A charter whose votes last an hour.
fn charter() -> Charter {
    let mut c = Charter::example();
    for r in c.rules.values_mut() {
        r.period_secs = 3600;
    }
    c
}

fn genesis(founders: &[NodeKey]) -> Genesis {
    let mut g = Genesis::new(GenesisBody {
        name: "test".into(),
        charter: charter(),
        founders: founders.iter().map(info).collect(),
        created: t(0),
    });
    for k in founders {
        g.sign(k);
    }
    g
}

fn propose(g: &Genesis, k: &NodeKey, at: u32, action: Action) -> Entry {
    Entry::sign(
        &g.id(),
        k,
        &t(at),
        Content::Proposal {
            action,
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

fn state(g: &Genesis, entries: &[Entry]) -> State {
    Community::from_entries(g, entries).unwrap()
}

/// The state without its list of refused entries: what was decided.
fn decided(mut s: State) -> State {
    s.rejected.clear();
    s
}

fn rejection<'a>(s: &'a State, e: &Entry) -> &'a str {
    let id = e.id();
    s.rejected
        .iter()
        .find(|r| r.entry == id)
        .map(|r| r.reason.as_str())
        .unwrap_or_else(|| panic!("{id} was not refused: {:?}", s.rejected))
}

fn founders() -> Vec<NodeKey> {
    (1..=3).map(key).collect()
}

fn admit(g: &Genesis, f: &[NodeKey], new: &NodeKey) -> (Entry, Entry) {
    let p = propose(
        g,
        &f[0],
        1,
        Action::Admit {
            member: info(new),
            sponsors: vec![f[0].node_id(), f[1].node_id()],
        },
    );
    let v = vote(g, &f[1], 2, &p, Choice::Yes);
    (p, v)
}

#[test]
fn two_sponsors_reaching_the_threshold_admit_a_member() {
    let f = founders();
    let g = genesis(&f);
    let new = key(9);
    let (p, v) = admit(&g, &f, &new);
    // One sponsor alone: 1 of the 2 yes votes needed (2/3 of 3).
    let s = state(&g, std::slice::from_ref(&p));
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Open);
    assert!(!s.members.contains_key(&new.node_id()));
    let s = state(&g, &[v.clone(), p.clone()]);
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Passed { at: t(2) });
    assert!(s.is_active(&new.node_id()));
    assert_eq!(s.members[&new.node_id()].since, t(2));
    // The new member votes from then on.
    let q = propose(
        &g,
        &new,
        3,
        Action::Define {
            name: "taxonomies".into(),
            value: serde_json::json!(["tlp", "pap"]),
        },
    );
    let s = state(&g, &[p, v, q.clone()]);
    assert!(s.proposals.contains_key(&q.id()), "{:?}", s.rejected);
    assert_eq!(s.proposals[&q.id()].required, 2);
}

#[test]
fn an_admission_without_both_sponsors_yes_does_not_pass() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let new = key(9);
    let p = propose(
        &g,
        &f[0],
        1,
        Action::Admit {
            member: info(&new),
            sponsors: vec![f[0].node_id(), f[1].node_id()],
        },
    );
    // Three of four yes (threshold 3), but the second sponsor has not voted.
    let s = state(
        &g,
        &[
            p.clone(),
            vote(&g, &f[2], 2, &p, Choice::Yes),
            vote(&g, &f[3], 2, &p, Choice::Yes),
        ],
    );
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Open);
    // The sponsor says no: it fails.
    let s = state(
        &g,
        &[
            p.clone(),
            vote(&g, &f[2], 2, &p, Choice::Yes),
            vote(&g, &f[1], 3, &p, Choice::No),
        ],
    );
    assert!(matches!(
        s.proposals[&p.id()].outcome,
        Outcome::Failed { .. }
    ));
    // Naming one sponsor is refused outright.
    let lone = propose(
        &g,
        &f[0],
        1,
        Action::Admit {
            member: info(&new),
            sponsors: vec![f[0].node_id()],
        },
    );
    let s = state(&g, std::slice::from_ref(&lone));
    assert!(rejection(&s, &lone).contains("needs 2 sponsors"));
}

#[test]
fn a_proposal_one_vote_short_never_takes_effect() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    // Suspending f[3]: electorate f[0..3], threshold 1/2 of 3 = 2.
    let mut c = charter();
    c.rules.insert(
        DecisionKind::Suspend,
        Rule {
            threshold: Threshold::Count(3),
            period_secs: 3600,
            sponsors: 0,
        },
    );
    let mut g2 = Genesis::new(GenesisBody {
        charter: c,
        ..g.body.clone()
    });
    for k in &f {
        g2.sign(k);
    }
    let p = propose(
        &g2,
        &f[0],
        1,
        Action::Suspend {
            member: f[3].node_id(),
        },
    );
    let v = vote(&g2, &f[1], 2, &p, Choice::Yes);
    let late = vote(&g2, &f[2], 62, &p, Choice::Yes);
    let s = state(&g2, &[p.clone(), v, late.clone()]);
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Open);
    assert!(!s.proposals[&p.id()].open_at(&t(62)));
    assert!(rejection(&s, &late).contains("outside the voting period"));
    assert_eq!(s.members[&f[3].node_id()].status, Status::Active);
}

#[test]
fn forgeries_are_refused_with_a_reason_and_change_nothing() {
    let f = founders();
    let g = genesis(&f);
    let new = key(9);
    let (p, v) = admit(&g, &f, &new);
    let base = state(&g, &[p.clone(), v.clone()]);

    let outsider = key(20);
    let by_outsider = vote(&g, &outsider, 3, &p, Choice::No);
    let mut mangled = vote(&g, &f[2], 3, &p, Choice::No);
    mangled.signature = key(1).sign_b64(b"something else");
    let double = vote(&g, &f[1], 4, &p, Choice::Yes);
    let after = vote(&g, &f[2], 200, &p, Choice::No);
    let mut oversized = propose(
        &g,
        &f[2],
        5,
        Action::Define {
            name: "big".into(),
            value: serde_json::Value::String("x".repeat(70_000)),
        },
    );
    oversized.body.at = t(5);
    let other_community = {
        let mut other = genesis(&f);
        other.body.name = "other".into();
        vote(&other, &f[2], 3, &p, Choice::No)
    };
    let bad = [
        (by_outsider, "is not a member"),
        (mangled, "does not verify"),
        (double, "double vote"),
        (after, "outside the voting period"),
        (oversized, "over the limit"),
        (other_community, "is for community"),
    ];
    for (e, why) in &bad {
        let s = state(&g, &[p.clone(), v.clone(), e.clone()]);
        assert!(
            rejection(&s, e).contains(why),
            "{why}: {}",
            rejection(&s, e)
        );
        assert_eq!(decided(s), decided(base.clone()), "{why}");
    }

    // A genesis missing a founder's signature is refused as a whole.
    let mut unsigned = genesis(&f);
    unsigned.signatures.remove(&f[2].node_id());
    let e = Community::from_entries(&unsigned, &[]).unwrap_err();
    assert!(e.to_string().contains("has not signed"), "{e}");
    // So is one with a mangled signature.
    let mut mangled = genesis(&f);
    mangled
        .signatures
        .insert(f[1].node_id(), f[0].sign_b64(b"x"));
    let e = Community::from_entries(&mangled, &[]).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");
}

#[test]
fn contradictory_votes_are_reported_as_equivocation() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let p = propose(
        &g,
        &f[0],
        1,
        Action::Define {
            name: "levels".into(),
            value: serde_json::json!(["general", "important", "core"]),
        },
    );
    let yes = vote(&g, &f[1], 2, &p, Choice::Yes);
    let no = vote(&g, &f[1], 3, &p, Choice::No);
    let s = state(&g, &[no.clone(), p.clone(), yes.clone()]);
    assert_eq!(s.equivocations.len(), 1);
    let eq = &s.equivocations[0];
    assert_eq!(eq.member, f[1].node_id());
    assert_eq!(
        (eq.first.as_str(), eq.second.as_str()),
        (yes.id().as_str(), no.id().as_str())
    );
    assert!(rejection(&s, &no).contains("equivocation"));
    // The first vote counts: 2 of 4 = the threshold of 1/2.
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Passed { at: t(2) });
    assert_eq!(
        s.definitions["levels"],
        serde_json::json!(["general", "important", "core"])
    );
}

#[test]
fn conflicting_proposals_are_settled_by_the_first_to_pass() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let define = |k: &NodeKey, at, v: &str| {
        propose(
            &g,
            k,
            at,
            Action::Define {
                name: "baseline-agreement".into(),
                value: serde_json::json!(v),
            },
        )
    };
    let a = define(&f[0], 1, "A");
    let b = define(&f[1], 2, "B");
    // b reaches its threshold first (minute 3), a would at minute 4.
    let entries = [
        a.clone(),
        b.clone(),
        vote(&g, &f[2], 3, &b, Choice::Yes),
        vote(&g, &f[3], 4, &a, Choice::Yes),
    ];
    let s = state(&g, &entries);
    assert_eq!(s.definitions["baseline-agreement"], "B");
    assert_eq!(s.proposals[&b.id()].outcome, Outcome::Passed { at: t(3) });
    assert_eq!(
        s.proposals[&a.id()].outcome,
        Outcome::Superseded { by: b.id() }
    );
    let v = rejection(&s, &entries[3]);
    assert!(v.contains("already decided"), "{v}");
}

#[test]
fn a_revoked_key_signs_nothing_more_and_the_replacement_takes_over() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let replacement = key(30);
    let p = propose(
        &g,
        &f[0],
        10,
        Action::RevokeKey {
            member: f[3].node_id(),
            key: f[3].public_hex(),
            since: t(5),
            replacement: Some(replacement.public_hex()),
        },
    );
    // The thief votes no; it is not entitled (the proposal is about its member).
    let thief = vote(&g, &f[3], 11, &p, Choice::No);
    let v = vote(&g, &f[1], 12, &p, Choice::Yes);
    let s = state(&g, &[p.clone(), thief.clone(), v.clone()]);
    assert!(rejection(&s, &thief).contains("not entitled"));
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Passed { at: t(12) });
    let period = &s.members[&f[3].node_id()].keys[0];
    assert_eq!(period.revoked.as_deref(), Some(t(5).as_str()));
    assert_eq!(
        s.revoked_keys().collect::<Vec<_>>(),
        vec![(f[3].public_hex().as_str(), t(5).as_str())]
    );
    // The old key is refused after the decision; the replacement signs for the member.
    let q = propose(
        &g,
        &f[3],
        20,
        Action::Suspend {
            member: f[0].node_id(),
        },
    );
    let r = Entry::sign_as(
        &g.id(),
        &f[3].node_id(),
        &replacement,
        &t(21),
        Content::Proposal {
            action: Action::Suspend {
                member: f[1].node_id(),
            },
            note: String::new(),
        },
    );
    let s = state(
        &g,
        &[p.clone(), thief.clone(), v.clone(), q.clone(), r.clone()],
    );
    assert!(
        rejection(&s, &q).contains("revoked from"),
        "{}",
        rejection(&s, &q)
    );
    assert!(s.proposals.contains_key(&r.id()), "{:?}", s.rejected);
    // Expelling the member and admitting it again does not bring the revoked key back.
    let expel = propose(
        &g,
        &f[0],
        30,
        Action::Expel {
            member: f[3].node_id(),
        },
    );
    let expel_yes = [1, 2].map(|i| vote(&g, &f[i], 31, &expel, Choice::Yes));
    let again = propose(
        &g,
        &f[0],
        40,
        Action::Admit {
            member: info(&f[3]),
            sponsors: vec![f[0].node_id(), f[1].node_id()],
        },
    );
    let mut all = vec![p, thief, v, expel, again.clone()];
    all.extend(expel_yes);
    let s = state(&g, &all);
    assert_eq!(s.members[&f[3].node_id()].status, Status::Expelled);
    assert!(
        rejection(&s, &again).contains("cannot restore"),
        "{}",
        rejection(&s, &again)
    );
}

#[test]
fn a_rotation_hands_over_at_its_stated_time() {
    let f = founders();
    let g = genesis(&f);
    let new = key(40);
    let rot = Entry::rotate(&g.id(), &f[2].node_id(), &f[2], &new, &t(1), &t(10));
    let old_before = propose(
        &g,
        &f[2],
        9,
        Action::Define {
            name: "a".into(),
            value: serde_json::json!(1),
        },
    );
    let old_after = propose(
        &g,
        &f[2],
        10,
        Action::Define {
            name: "b".into(),
            value: serde_json::json!(1),
        },
    );
    let sign_new = |at, name: &str| {
        Entry::sign_as(
            &g.id(),
            &f[2].node_id(),
            &new,
            &t(at),
            Content::Proposal {
                action: Action::Define {
                    name: name.into(),
                    value: serde_json::json!(2),
                },
                note: String::new(),
            },
        )
    };
    let new_before = sign_new(9, "c");
    let new_after = sign_new(10, "d");
    let second = Entry::rotate(&g.id(), &f[2].node_id(), &f[2], &key(41), &t(2), &t(3));
    let all = [
        rot.clone(),
        old_before.clone(),
        old_after.clone(),
        new_before.clone(),
        new_after.clone(),
        second.clone(),
    ];
    let s = state(&g, &all);
    assert!(s.proposals.contains_key(&old_before.id()));
    assert!(rejection(&s, &old_after).contains("rotated away"));
    assert!(rejection(&s, &new_before).contains("valid only from"));
    assert!(s.proposals.contains_key(&new_after.id()));
    assert!(rejection(&s, &second).contains("equivocation"));
    assert_eq!(
        s.equivocations[0].about,
        format!("key {}", f[2].public_hex())
    );
    // A rotation without the new key's signature is refused.
    let mut unsigned = rot.clone();
    unsigned.new_key_signature = None;
    let s = state(&g, &[unsigned.clone()]);
    assert!(rejection(&s, &unsigned).contains("signed by the new key"));
}

#[test]
fn the_charter_changes_by_its_own_higher_threshold() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let mut c = charter();
    c.rules.get_mut(&DecisionKind::Define).unwrap().threshold = Threshold::Count(1);
    let p = propose(&g, &f[0], 1, Action::ChangeCharter { charter: c.clone() });
    // 3/4 of 4 = 3 yes.
    let s = state(&g, &[p.clone(), vote(&g, &f[1], 2, &p, Choice::Yes)]);
    assert_eq!(s.proposals[&p.id()].outcome, Outcome::Open);
    let s = state(
        &g,
        &[
            p.clone(),
            vote(&g, &f[1], 2, &p, Choice::Yes),
            vote(&g, &f[2], 3, &p, Choice::Yes),
        ],
    );
    assert_eq!(s.charter, c);
    // A charter whose change-charter threshold is below another's is refused.
    let mut weak = charter();
    weak.rules
        .get_mut(&DecisionKind::ChangeCharter)
        .unwrap()
        .threshold = Threshold::Count(1);
    let w = propose(&g, &f[0], 1, Action::ChangeCharter { charter: weak });
    let s = state(&g, std::slice::from_ref(&w));
    assert!(rejection(&s, &w).contains("change-charter"));
}

#[test]
fn suspension_and_expulsion_end_voting() {
    let f: Vec<NodeKey> = (1..=4).map(key).collect();
    let g = genesis(&f);
    let p = propose(
        &g,
        &f[0],
        1,
        Action::Suspend {
            member: f[3].node_id(),
        },
    );
    let v = vote(&g, &f[1], 2, &p, Choice::Yes);
    let by_suspended = propose(
        &g,
        &f[3],
        3,
        Action::Expel {
            member: f[0].node_id(),
        },
    );
    let s = state(&g, &[p.clone(), v.clone(), by_suspended.clone()]);
    assert_eq!(s.members[&f[3].node_id()].status, Status::Suspended);
    assert!(rejection(&s, &by_suspended).contains("is suspended"));
    let r = propose(
        &g,
        &f[0],
        4,
        Action::Readmit {
            member: f[3].node_id(),
        },
    );
    let rv = vote(&g, &f[1], 5, &r, Choice::Yes);
    let s = state(&g, &[p, v, r, rv]);
    assert!(s.is_active(&f[3].node_id()));
}

#[test]
fn malformed_fields_are_refused_not_panicked_on() {
    let f = founders();
    let g = genesis(&f);
    let odd = propose(
        &g,
        &f[0],
        1,
        Action::RevokeKey {
            member: f[1].node_id(),
            key: "ééééééééééééééééé".into(),
            since: t(1),
            replacement: None,
        },
    );
    let s = state(&g, std::slice::from_ref(&odd));
    assert!(
        rejection(&s, &odd).contains("not hex"),
        "{}",
        rejection(&s, &odd)
    );
    if let Content::Proposal { action, .. } = &odd.body.content {
        assert!(action.describe().starts_with("revoke key é"));
    }
    let mut bad_time = vote(&g, &f[1], 2, &odd, Choice::Yes);
    bad_time.body.at = "2026-01-01T00:00:00Z".into();
    let bad_time = Entry::sign(&g.id(), &f[1], &bad_time.body.at, bad_time.body.content);
    let s = state(&g, std::slice::from_ref(&bad_time));
    assert!(rejection(&s, &bad_time).contains("milliseconds"));
    // A member admitted with a key that is not its node id's is refused.
    let mut wrong = info(&key(9));
    wrong.node_id = key(10).node_id();
    let p = propose(
        &g,
        &f[0],
        1,
        Action::Admit {
            member: wrong,
            sponsors: vec![f[0].node_id(), f[1].node_id()],
        },
    );
    let s = state(&g, std::slice::from_ref(&p));
    assert!(rejection(&s, &p).contains("whose node id is"));
}

/// Regression for issue 24 (verifying a log): the forgeries `forgeries_are_refused...`
/// does not cover, each refused with its reason while an open proposal that any of them
/// would decide stays as it was.
#[test]
fn impersonations_tampering_and_misplaced_votes_change_nothing() {
    let f = founders();
    let g = genesis(&f);
    let new = key(9);
    let (p, v) = admit(&g, &f, &new);
    // Open: one yes of the two needed.
    let q = propose(
        &g,
        &f[0],
        10,
        Action::Define {
            name: "taxonomies".into(),
            value: serde_json::json!(["admiralty"]),
        },
    );
    // Open: expelling f[2] needs both other founders... and the new member.
    let x = propose(
        &g,
        &f[0],
        11,
        Action::Expel {
            member: f[2].node_id(),
        },
    );
    let good = [p.clone(), v.clone(), q.clone(), x.clone()];
    let base = state(&g, &good);
    assert_eq!(base.proposals[&q.id()].outcome, Outcome::Open);
    assert_eq!(base.proposals[&x.id()].outcome, Outcome::Open);

    let mut tampered = vote(&g, &f[2], 12, &q, Choice::No);
    tampered.body.content = Content::Vote {
        proposal: q.id(),
        choice: Choice::Yes,
    };
    let outsider_as_member = Entry::sign_as(
        &g.id(),
        &f[1].node_id(),
        &key(20),
        &t(12),
        Content::Vote {
            proposal: q.id(),
            choice: Choice::Yes,
        },
    );
    let member_as_other = Entry::sign_as(
        &g.id(),
        &f[1].node_id(),
        &f[2],
        &t(12),
        Content::Vote {
            proposal: q.id(),
            choice: Choice::Yes,
        },
    );
    let before_founding = Entry::sign(
        &g.id(),
        &f[1],
        "2025-12-31T23:59:00.000Z",
        Content::Vote {
            proposal: q.id(),
            choice: Choice::Yes,
        },
    );
    let on_nothing = Entry::sign(
        &g.id(),
        &f[1],
        &t(12),
        Content::Vote {
            proposal: format!("entry--{}", "0".repeat(64)),
            choice: Choice::Yes,
        },
    );
    let by_the_accused = vote(&g, &f[2], 12, &x, Choice::No);
    let not_yet_member = vote(&g, &new, 12, &p, Choice::No);
    let before_proposal = vote(&g, &f[1], 9, &q, Choice::Yes);
    let mut half_rotation =
        Entry::rotate(&g.id(), &f[1].node_id(), &f[1], &key(30), &t(12), &t(12));
    half_rotation.new_key_signature = None;
    let mut twice_signed = vote(&g, &f[1], 12, &q, Choice::Yes);
    twice_signed.new_key_signature = Some(twice_signed.signature.clone());
    let by_outsider = propose(
        &g,
        &key(20),
        12,
        Action::Define {
            name: "taxonomies".into(),
            value: serde_json::json!([]),
        },
    );
    let bad = [
        (tampered, "does not verify"),
        (outsider_as_member, "is not a key of"),
        (member_as_other, "is not a key of"),
        (before_founding, "before the community was founded"),
        (on_nothing, "not an accepted proposal"),
        (by_the_accused, "not entitled"),
        (not_yet_member, "not entitled"),
        // In the log's order it comes before the proposal it votes on.
        (before_proposal, "not an accepted proposal"),
        (half_rotation, "signed by the new key too"),
        (twice_signed, "only a key rotation carries"),
        (by_outsider, "is not a member"),
    ];
    for (e, why) in &bad {
        let mut entries = good.to_vec();
        entries.push(e.clone());
        let s = state(&g, &entries);
        assert!(
            rejection(&s, e).contains(why),
            "{why}: {}",
            rejection(&s, e)
        );
        assert_eq!(decided(s), decided(base.clone()), "{why}");
    }

    // The genesis: a signature of someone who is not a founder, a body changed after
    // the founders signed, a founder whose node id is not its key's.
    let mut extra = genesis(&f);
    extra.sign(&key(20));
    let e = Community::from_entries(&extra, &[]).unwrap_err();
    assert!(e.to_string().contains("who is not a founder"), "{e}");
    let mut renamed = genesis(&f);
    renamed.body.name = "renamed".into();
    let e = Community::from_entries(&renamed, &[]).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");
    let mut misbound = Genesis::new(GenesisBody {
        name: "test".into(),
        charter: charter(),
        founders: f.iter().map(info).collect(),
        created: t(0),
    });
    misbound.body.founders[1].node_id = key(20).node_id();
    for k in &f {
        misbound.sign(k);
    }
    let e = Community::from_entries(&misbound, &[]).unwrap_err();
    assert!(e.to_string().contains("whose node id is"), "{e}");
}

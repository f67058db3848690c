//! Property tests: the state depends only on the set of entries, and entries that must
//! not count change nothing but the list of refused entries.

use concord_community::{
    Action, Charter, Choice, Community, Content, Entry, Genesis, GenesisBody, State,
};
use concord_keys::NodeKey;
use proptest::prelude::*;

mod common;
// Node 1-4 found; 5-6 are candidates; 7 never is a member.
use common::{info, key, t};

fn genesis() -> Genesis {
    let mut charter = Charter::example();
    for r in charter.rules.values_mut() {
        r.period_secs = 3600;
    }
    let founders: Vec<NodeKey> = (1..=4).map(key).collect();
    let mut g = Genesis::new(GenesisBody {
        name: "prop".into(),
        charter,
        founders: founders.iter().map(info).collect(),
        created: t(0),
    });
    for k in &founders {
        g.sign(k);
    }
    g
}

/// One generated step: (what, author 1-7, subject 1-7, choice, minute, proposal index).
type Op = (u8, u8, u8, bool, u32, usize);

fn op() -> impl Strategy<Value = Op> {
    // Mostly members (1-4), sometimes candidates or the outsider; mostly votes.
    let who = || prop_oneof![4 => 1u8..=4, 1 => 5u8..=7];
    (
        0u8..12,
        who(),
        who(),
        any::<bool>(),
        1u32..600,
        any::<usize>(),
    )
}

/// The entries of a generated history: proposals of every kind and votes on them, by
/// members and others, in and out of their periods.
fn entries(g: &Genesis, ops: &[Op]) -> Vec<Entry> {
    let id = g.id();
    let mut out: Vec<Entry> = Vec::new();
    let mut proposals: Vec<(String, u32)> = Vec::new();
    for &(what, author, subject, yes, minute, pick) in ops {
        let a = key(author);
        // Candidates are admitted; members suspended, readmitted, expelled.
        let s = key(if what == 0 {
            5 + subject % 2
        } else {
            (subject - 1) % 4 + 1
        });
        let action = match what {
            0 => Some(Action::Admit {
                member: info(&s),
                sponsors: vec![a.node_id(), key(author % 4 + 1).node_id()],
            }),
            1 => Some(Action::Suspend {
                member: s.node_id(),
            }),
            2 => Some(Action::Readmit {
                member: s.node_id(),
            }),
            3 => Some(Action::Expel {
                member: s.node_id(),
            }),
            4 => Some(Action::Define {
                name: format!("d{}", subject % 2),
                value: serde_json::json!(author),
            }),
            _ => None,
        };
        let content = match action {
            Some(action) => Content::Proposal {
                action,
                note: String::new(),
            },
            None if proposals.is_empty() => continue,
            None => {
                // Mostly within the proposal's hour, sometimes just after it.
                let (p, at) = &proposals[pick % proposals.len()];
                let e = Entry::sign(
                    &id,
                    &a,
                    &t(at + minute % 70),
                    Content::Vote {
                        proposal: p.clone(),
                        choice: if yes { Choice::Yes } else { Choice::No },
                    },
                );
                out.push(e);
                continue;
            }
        };
        let e = Entry::sign(&id, &a, &t(minute), content);
        proposals.push((e.id(), minute));
        out.push(e);
    }
    out
}

fn state(g: &Genesis, e: &[Entry]) -> State {
    Community::from_entries(g, e).unwrap()
}

fn decided(mut s: State) -> State {
    s.rejected.clear();
    s
}

fn history() -> impl Strategy<Value = (Vec<Op>, Vec<usize>, Vec<usize>)> {
    prop::collection::vec(op(), 5..60).prop_flat_map(|ops| {
        let n = ops.len();
        (
            Just(ops),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(0..n, 0..20),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_order_and_any_duplicates_give_the_same_state((ops, order, dups) in history()) {
        let g = genesis();
        let all = entries(&g, &ops);
        let base = state(&g, &all);
        let mut shuffled: Vec<Entry> = order.iter().filter_map(|&i| all.get(i).cloned()).collect();
        for &d in &dups {
            if let Some(e) = all.get(d) {
                shuffled.insert(d % (shuffled.len() + 1), e.clone());
            }
        }
        prop_assert_eq!(state(&g, &shuffled), base);
    }

    #[test]
    fn an_outsider_or_a_late_vote_changes_nothing(
        (ops, _, _) in history(), pick in any::<usize>(), late in 61u32..120, yes in any::<bool>(),
    ) {
        let g = genesis();
        let all = entries(&g, &ops);
        let base = state(&g, &all);
        let proposals: Vec<&concord_community::Proposal> = base.proposals.values().collect();
        prop_assume!(!proposals.is_empty());
        let p = proposals[pick % proposals.len()];
        let choice = if yes { Choice::Yes } else { Choice::No };
        let vote = |k: &NodeKey, at: String| Entry::sign(&g.id(), k, &at, Content::Vote {
            proposal: p.id.clone(), choice,
        });
        // A key that never was a member's, within the period.
        let outsider = vote(&key(7), p.at.clone());
        // A member (entitled or not) after the period.
        let start: u32 = p.at[11..13].parse::<u32>().unwrap() * 60 + p.at[14..16].parse::<u32>().unwrap();
        let voter = key(u8::try_from(pick % 4).unwrap() + 1);
        let after = vote(&voter, t(start + late));
        // An outsider's proposal.
        let proposal = Entry::sign(&g.id(), &key(7), &p.at, Content::Proposal {
            action: Action::Expel { member: key(1).node_id() }, note: String::new(),
        });
        for extra in [outsider, after, proposal] {
            let mut with = all.clone();
            with.push(extra.clone());
            let s = state(&g, &with);
            prop_assert!(s.rejected.iter().any(|r| r.entry == extra.id()));
            prop_assert_eq!(decided(s), decided(base.clone()));
        }
    }

    #[test]
    fn a_contradicting_vote_is_detected((ops, _, _) in history(), pick in any::<usize>()) {
        let g = genesis();
        let all = entries(&g, &ops);
        let base = state(&g, &all);
        // A vote that counted, and the same member's opposite vote at the same time.
        let counted: Vec<&Entry> = all.iter().filter(|e| {
            matches!(e.body.content, Content::Vote { .. }) && base.accepted.contains(&e.id())
        }).collect();
        prop_assume!(!counted.is_empty());
        let v = counted[pick % counted.len()];
        let Content::Vote { proposal, choice } = &v.body.content else { unreachable!() };
        let author = (1..=7).map(key).find(|k| k.node_id() == v.body.author).unwrap();
        let opposite = if *choice == Choice::Yes { Choice::No } else { Choice::Yes };
        // Nothing else happens in that millisecond (a decision then could suspend the
        // member between the two votes).
        prop_assume!(all.iter().filter(|e| e.body.at == v.body.at).count() == 1);
        let c = Entry::sign(&g.id(), &author, &v.body.at, Content::Vote {
            proposal: proposal.clone(), choice: opposite,
        });
        let mut with = all.clone();
        with.push(c.clone());
        let s = state(&g, &with);
        let pair = |e: &concord_community::Equivocation| {
            (e.first == v.id() && e.second == c.id()) || (e.first == c.id() && e.second == v.id())
        };
        prop_assert!(s.equivocations.iter().any(|e| e.member == v.body.author
            && e.about == *proposal && pair(e)), "{:?}", s.equivocations);
    }
}

proptest! {
    // Each case verifies every node's entries' signatures again: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Many simulated nodes, each entry made at one of them and passed on by every node
    /// that learns it (as members pull from each other), delivered in a shuffled order,
    /// some copies twice and some held back for a while: once every copy is delivered,
    /// every node holds the same set and computes the same state.
    #[test]
    fn simulated_nodes_with_shuffled_duplicated_delayed_delivery_agree(
        (ops, _, _) in history(), nodes in 2usize..8, seed in any::<u64>(),
    ) {
        let g = genesis();
        let all = entries(&g, &ops);
        let base = state(&g, &all);
        let mut rng = seed | 1;
        let mut next = move |n: usize| {
            // xorshift64: deterministic per case, so a failure shrinks and replays.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            usize::try_from(rng % n as u64).unwrap()
        };
        let mut held: Vec<Vec<Entry>> = vec![Vec::new(); nodes];
        // In flight: (to, entry index, deliveries to skip before it may arrive).
        let mut flight: Vec<(usize, usize, u8)> = Vec::new();
        let mut made = 0;
        let mut steps = 0usize;
        while made < all.len() || !flight.is_empty() {
            steps += 1;
            prop_assert!(steps < 1_000_000, "delivery never ends");
            // Sometimes a node makes the next entry, which it then sends to all others.
            if made < all.len() && (flight.is_empty() || next(3) == 0) {
                let at = next(nodes);
                held[at].push(all[made].clone());
                for to in (0..nodes).filter(|&to| to != at) {
                    flight.push((to, made, 0));
                }
                made += 1;
                continue;
            }
            let i = next(flight.len());
            let (to, e, wait) = flight.swap_remove(i);
            if wait > 0 {
                flight.push((to, e, wait - 1));
                continue;
            }
            match next(8) {
                // Held back: it arrives after a few other deliveries.
                0 => flight.push((to, e, 1 + u8::try_from(next(4)).unwrap())),
                // Delivered twice.
                1 => {
                    held[to].push(all[e].clone());
                    held[to].push(all[e].clone());
                }
                _ => {
                    let new = !held[to].iter().any(|h| h.id() == all[e].id());
                    held[to].push(all[e].clone());
                    // A node that learns an entry passes it on (the others may have
                    // it already: more duplicates).
                    if new && next(2) == 0 {
                        let on = next(nodes);
                        if on != to {
                            flight.push((on, e, 0));
                        }
                    }
                }
            }
            // A node's view along the way is the state of what it holds, in any order.
            if next(64) == 0 {
                let mut view = held[to].clone();
                view.reverse();
                prop_assert_eq!(state(&g, &view), state(&g, &held[to]));
            }
        }
        for h in &held {
            prop_assert_eq!(&state(&g, h), &base);
        }
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,40}",
        "\\PC{0,12}",
        Just(t(5)),
        Just(key(1).public_hex()),
        Just(key(1).node_id()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Entries with arbitrary fields (a forged or corrupt log) never panic the state
    /// function, and none of them counts.
    #[test]
    fn arbitrary_entries_never_panic(
        fields in prop::collection::vec(
            (any_text(), any_text(), any_text(), any_text(), any_text(), 0u8..4), 1..12),
    ) {
        let g = genesis();
        let entries: Vec<Entry> = fields
            .into_iter()
            .map(|(author, key_hex, at, text, sig, kind)| {
                let content = match kind {
                    0 => Content::Vote { proposal: text, choice: Choice::No },
                    1 => Content::RotateKey { new_key: text.clone(), effective: text },
                    2 => Content::Proposal {
                        action: Action::RevokeKey {
                            member: author.clone(), key: text.clone(), since: text,
                            replacement: None,
                        },
                        note: String::new(),
                    },
                    _ => Content::Proposal {
                        action: Action::Suspend { member: text },
                        note: sig.clone(),
                    },
                };
                Entry {
                    body: concord_community::EntryBody {
                        community: g.id(), author, key: key_hex, at, content,
                    },
                    signature: sig,
                    new_key_signature: None,
                }
            })
            .collect();
        let s = Community::from_entries(&g, &entries).unwrap();
        prop_assert!(s.accepted.is_empty());
        let refused: std::collections::BTreeSet<&str> =
            s.rejected.iter().map(|r| r.entry.as_str()).collect();
        for e in &entries {
            prop_assert!(refused.contains(e.id().as_str()));
        }
    }
}

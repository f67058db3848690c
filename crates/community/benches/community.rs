//! Community benchmark (release build, `bench/community` or `cargo bench -p
//! concord-community`): verifying a governance log of N entries (default 10,000) from
//! scratch on one thread, as `concord community verify` does: the genesis and every
//! founder's signature, every entry's signature and form, the author's membership and key
//! at the entry's time, the voting periods, equivocations, and the state computed from
//! them. Goal (issue 24): under one second for 10,000 entries.
//!
//! The log: 100 founders; each proposal (a definition, one of 50 names, so later ones
//! supersede or replace earlier ones) gets ten no votes and then the yes votes that pass
//! it, from members taken in turn, so every entry counts. The entries are shuffled.
//! Prints the median, fastest and slowest of the runs.
//!
//! Arguments: `--count N` (entries), `--members N`, `--runs N` (default 5). A small N
//! checks it in a debug build: `cargo test -p concord-community --bench community --
//! --count 300 --runs 1`.

use std::time::{Duration, Instant};

use concord_community::{
    Action, Charter, Choice, Content, Entry, Genesis, GenesisBody, MemberInfo, verify,
};
use concord_keys::NodeKey;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

/// Minute `minute` after 2026-01-01, second `second`, as a canonical timestamp.
fn at(minute: usize, second: usize) -> String {
    let day = minute / 1440;
    format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{second:02}.000Z",
        1 + day / 28,
        1 + day % 28,
        (minute / 60) % 24,
        minute % 60
    )
}

/// The genesis of `keys` and a log of `count` entries, all of which count.
fn community(keys: &[NodeKey], count: usize) -> (Genesis, Vec<Entry>) {
    let info = |k: &NodeKey| MemberInfo {
        node_id: k.node_id(),
        public_key: k.public_hex(),
        url: format!("https://{}.example", k.node_id()),
        organisation: "CERT".into(),
        country: None,
        sectors: vec![],
    };
    let mut genesis = Genesis::new(GenesisBody {
        name: "bench".into(),
        charter: Charter::example(),
        founders: keys.iter().map(info).collect(),
        created: at(0, 0),
    });
    for k in keys {
        genesis.sign(k);
    }
    let id = genesis.id();
    let required = concord_community::Threshold::Fraction(1, 2).required(keys.len());
    let mut entries = Vec::with_capacity(count + keys.len());
    let mut next = 0usize;
    let mut minute = 0usize;
    while entries.len() < count {
        minute += 1;
        let author = next % keys.len();
        next += 1;
        let proposal = Entry::sign(
            &id,
            &keys[author],
            &at(minute, 0),
            Content::Proposal {
                action: Action::Define {
                    name: format!("definition-{}", minute % 50),
                    value: serde_json::json!(minute),
                },
                note: String::new(),
            },
        );
        let voters = (1..keys.len()).map(|i| (author + i) % keys.len());
        let choices = std::iter::repeat_n(Choice::No, 10)
            .chain(std::iter::repeat_n(Choice::Yes, required.saturating_sub(1)));
        for (second, (voter, choice)) in voters.zip(choices).enumerate() {
            if entries.len() + 1 >= count {
                break;
            }
            entries.push(Entry::sign(
                &id,
                &keys[voter],
                &at(minute, 1 + second % 59),
                Content::Vote {
                    proposal: proposal.id(),
                    choice,
                },
            ));
        }
        entries.push(proposal);
    }
    // A fixed shuffle: the order entries arrive in is not the log's.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..entries.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        entries.swap(i, usize::try_from(state % (i as u64 + 1)).unwrap_or(0));
    }
    (genesis, entries)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count = arg(&args, "--count", 10_000);
    let members = arg(&args, "--members", 100).clamp(1, 250);
    let runs = arg(&args, "--runs", 5).max(1);
    let keys: Vec<NodeKey> = (1..=members)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            NodeKey::from_seed(seed)
        })
        .collect();
    let (genesis, entries) = community(&keys, count);
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = verify(&genesis, &entries);
        times.push(start.elapsed());
        last = Some(v);
    }
    let v = last.expect("at least one run");
    assert!(
        v.ok(),
        "the benchmark's log does not verify: {:?}",
        v.problems
    );
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{} entries, {} members, {} proposals: verified from scratch in {:.3} s (median of {runs}; \
         fastest {:.3} s, slowest {:.3} s): {:.0} entries/s (goal: 10,000 in under 1 s)",
        v.entries,
        v.members,
        v.proposals,
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        v.entries as f64 / median.as_secs_f64()
    );
}

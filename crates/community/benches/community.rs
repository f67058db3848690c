//! Community benchmark (release build, `cargo bench -p concord-community`): computing the
//! state of a log of N entries (default 10,000: 20 members, one proposal and ten votes
//! per minute) from scratch on one thread, signatures verified. Goal (issue 24): under
//! one second for 10,000 entries.
//!
//! Argument: `--count N`.

use std::time::Instant;

use concord_community::{
    Action, Charter, Choice, Community, Content, Entry, Genesis, GenesisBody, MemberInfo,
};
use concord_keys::NodeKey;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: usize = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(10_000);
    let keys: Vec<NodeKey> = (1..=20u8).map(|i| NodeKey::from_seed([i; 32])).collect();
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
        created: "2026-01-01T00:00:00.000Z".into(),
    });
    for k in &keys {
        genesis.sign(k);
    }
    let id = genesis.id();
    let mut entries = Vec::with_capacity(count + 11);
    let mut minute = 0u32;
    while entries.len() < count {
        minute += 1;
        let at = |second: u32| {
            format!(
                "2026-{:02}-{:02}T{:02}:{:02}:{second:02}.000Z",
                1 + minute / 40_320,
                1 + (minute / 1440) % 28,
                (minute / 60) % 24,
                minute % 60
            )
        };
        let proposal = Entry::sign(
            &id,
            &keys[minute as usize % keys.len()],
            &at(0),
            Content::Proposal {
                action: Action::Define {
                    name: format!("definition-{}", minute % 50),
                    value: serde_json::json!(minute),
                },
                note: String::new(),
            },
        );
        for (i, k) in keys.iter().enumerate().take(10) {
            entries.push(Entry::sign(
                &id,
                k,
                &at(1 + i as u32),
                Content::Vote {
                    proposal: proposal.id(),
                    choice: Choice::Yes,
                },
            ));
        }
        entries.push(proposal);
    }
    entries.reverse();
    let start = Instant::now();
    let state = Community::from_entries(&genesis, &entries).expect("a valid genesis");
    let took = start.elapsed();
    println!(
        "{} entries ({} counted, {} refused) in {:.3} s: {:.0} entries/s (goal: 10,000 in under 1 s)",
        entries.len(),
        state.accepted.len(),
        state.rejected.len(),
        took.as_secs_f64(),
        entries.len() as f64 / took.as_secs_f64()
    );
}

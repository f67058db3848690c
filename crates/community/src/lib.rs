//! A community of equal members: its founding document (the genesis, signed by every
//! founder), its governance log (proposals, votes and key rotations, each signed by its
//! author's node key) and the state every node computes from them on its own.
//!
//! Nothing here does I/O or reads a clock: storage and replication are the store's and
//! federation's; the state is a pure function of the genesis and the set of entries
//! ([`Community::from_entries`]; the rules are in [`state`]). [`verify`] checks a whole
//! log from scratch and names every entry that does not count, with the reason.
//!
//! ```
//! use concord_community::{Action, Charter, Community, Content, Entry, Genesis, GenesisBody, MemberInfo};
//! use concord_keys::NodeKey;
//!
//! let keys: Vec<NodeKey> = (1..=3).map(|i| NodeKey::from_seed([i; 32])).collect();
//! let info = |k: &NodeKey| MemberInfo {
//!     node_id: k.node_id(),
//!     public_key: k.public_hex(),
//!     url: format!("https://{}.example", k.node_id()),
//!     organisation: "CERT".into(),
//!     country: Some("FR".into()),
//!     sectors: vec![],
//! };
//! let mut genesis = Genesis::new(GenesisBody {
//!     name: "Example CERTs".into(),
//!     charter: Charter::example(),
//!     founders: keys.iter().map(info).collect(),
//!     created: "2026-01-01T00:00:00.000Z".into(),
//! });
//! for k in &keys {
//!     genesis.sign(k);
//! }
//! let new = NodeKey::from_seed([9; 32]);
//! let propose = Entry::sign(&genesis.id(), &keys[0], "2026-01-02T00:00:00.000Z",
//!     Content::Proposal {
//!         action: Action::Admit { member: info(&new), sponsors: vec![keys[0].node_id(), keys[1].node_id()] },
//!         note: String::new(),
//!     });
//! let second = Entry::sign(&genesis.id(), &keys[1], "2026-01-02T01:00:00.000Z",
//!     Content::Vote { proposal: propose.id(), choice: concord_community::Choice::Yes });
//! let state = Community::from_entries(&genesis, [&second, &propose]).unwrap();
//! assert!(state.is_active(&new.node_id()));
//! ```

pub mod application;
pub mod charter;
pub mod draft;
pub mod entry;
pub mod state;
pub mod verify;

pub use application::Application;
pub use charter::{Charter, DecisionKind, Rule, Threshold};
pub use entry::{
    Action, Choice, Content, Entry, EntryBody, EntryError, Genesis, GenesisBody, MemberInfo,
};
pub use state::{Community, Equivocation, Member, Outcome, Proposal, Rejection, State, Status};
pub use verify::{Log, Problem, ProblemKind, Verification, verify};

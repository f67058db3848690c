//! A node's Ed25519 key, its node id and fingerprint, and signature checks: re-exported
//! from `concord-keys`, where they live so that `concord-community` signs and verifies
//! governance entries with the same primitives.

pub use concord_keys::{
    KeyError, NodeKey, fingerprint, node_id_of, node_id_of_hex, parse_public, verify_b64,
};

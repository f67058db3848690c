//! What every test of the community crate builds its members from: deterministic keys,
//! the application of a key's holder, and times counted in minutes after the founding.
#![allow(dead_code)] // each test binary uses its own part of it

use concord_community::MemberInfo;
use concord_keys::NodeKey;

/// The node key of member `i` (the same for the same `i` in every test).
pub fn key(i: u8) -> NodeKey {
    NodeKey::from_seed([i; 32])
}

/// What `k`'s holder applies with: a loopback URL and an organisation of its own.
pub fn info(k: &NodeKey) -> MemberInfo {
    MemberInfo {
        node_id: k.node_id(),
        public_key: k.public_hex(),
        url: format!(
            "http://127.0.0.1:{}",
            9000 + u16::from(k.public_hex().as_bytes()[0])
        ),
        organisation: format!("org {}", &k.node_id()[8..12]),
        country: Some("FR".into()),
        sectors: vec!["energy".into()],
    }
}

/// Minute `m` after the founding (2026-01-01T00:00).
pub fn t(m: u32) -> String {
    format!("2026-01-01T{:02}:{:02}:00.000Z", m / 60, m % 60)
}

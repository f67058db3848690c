//! Fuzzes what a peer sends: a change page (zstd, then JSON) and its envelopes' checks.
//! Never panics; an envelope whose signature verifies must verify again; a key binding
//! (a rotation) only widens who a key signs for; a redactor is accepted only when it is
//! the sending peer.
#![no_main]

use std::collections::HashMap;

use concord_federation::identity::NodeKey;
use concord_federation::outbound::ChangesPage;
use concord_federation::pull::decode_page;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let page: Option<ChangesPage> = if first % 2 == 0 {
        decode_page("zstd", rest, 1 << 20).ok().map(|(p, _)| p)
    } else {
        serde_json::from_slice(rest).ok()
    };
    let Some(page) = page else { return };
    let sender = NodeKey::from_seed([7; 32]);
    let mut keys = HashMap::new();
    for env in &page.changes {
        let unbound = env.signer(&mut keys, &HashMap::new()).is_ok();
        // A binding widens who a key signs for, never narrows it; a key bound to another
        // id than the one claimed changes nothing.
        let bound = HashMap::from([(env.origin_key.clone(), env.origin.clone())]);
        if unbound {
            assert!(env.signer(&mut HashMap::new(), &bound).is_ok());
        }
        let elsewhere = HashMap::from([(env.origin_key.clone(), format!("x{}", env.origin))]);
        if env.redactor.is_none() {
            assert_eq!(env.signer(&mut HashMap::new(), &elsewhere).is_ok(), unbound);
        }
        if env.verify().is_ok() {
            assert!(env.verify().is_ok());
        }
        // The sender's id and key, and the page's own claim of who sent it.
        for (peer, key) in [
            (sender.node_id(), sender.public_hex()),
            (page.node.clone(), String::new()),
        ] {
            if env.check_redactor(&peer, &key).is_ok()
                && let Some(r) = &env.redactor
            {
                assert_eq!(r.node, peer);
                assert!(r.key.eq_ignore_ascii_case(key.trim()));
            }
        }
        let _ = env.provenance("peer");
    }
});

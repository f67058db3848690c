//! Fuzzes what a peer sends: a change page (zstd, then JSON) and its envelopes' signature
//! checks. Never panics; an envelope whose signature verifies must verify again.
#![no_main]

use std::collections::HashMap;

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
    let mut keys = HashMap::new();
    for env in &page.changes {
        let _ = env.signer(&mut keys);
        if env.verify().is_ok() {
            assert!(env.verify().is_ok());
        }
        let _ = env.provenance("peer");
    }
});

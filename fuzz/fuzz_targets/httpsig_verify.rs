//! Fuzzes the RFC 9421 verifier with arbitrary Signature-Input, Signature, Date and
//! Content-Digest headers: never panics, never accepts without the right key.
#![no_main]

use concord_federation::httpsig::{Received, verify};
use concord_federation::identity::NodeKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (input, sig, date, digest) = (parts.next(), parts.next(), parts.next(), parts.next());
    let key = NodeKey::from_seed([9; 32]);
    let public = concord_federation::identity::parse_public(&key.public_hex()).ok();
    let req = Received {
        method: "GET",
        path: "/federation/v1/changes",
        query: Some("after=0"),
        date,
        content_digest: digest,
        signature_input: input,
        signature: sig,
        body: b"",
    };
    // Nobody but the key's holder can produce a valid signature: with random input a
    // success would be a forgery.
    assert!(verify(&req, |_| public, 1_800_000_000, 300).is_err());
});

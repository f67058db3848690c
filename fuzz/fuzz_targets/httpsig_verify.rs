//! Fuzzes the RFC 9421 verifier with arbitrary Signature-Input, Signature, Date and
//! Content-Digest headers: never panics, never accepts without the right key; and a
//! request signed for one authority never verifies at a node of another.
#![no_main]

use concord_federation::httpsig::{Received, sign, verify};
use concord_federation::identity::NodeKey;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(6, '\n');
    let (input, sig, date, digest) = (parts.next(), parts.next(), parts.next(), parts.next());
    let (signed_for, checked_at) = (parts.next(), parts.next());
    let key = NodeKey::from_seed([9; 32]);
    let public = concord_federation::identity::parse_public(&key.public_hex()).ok();
    let req = Received {
        method: "GET",
        authority: checked_at.unwrap_or("node.example"),
        host: signed_for,
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
    assert!(verify(&req, |_| public, NOW, 300).is_err());

    // A genuine signature for one authority: it verifies there, and nowhere else.
    let (Some(a), Some(b)) = (signed_for, checked_at) else {
        return;
    };
    if [a, b]
        .iter()
        .any(|s| s.is_empty() || s.chars().any(char::is_control))
    {
        return;
    }
    let h = sign(
        &key,
        "GET",
        a,
        "/federation/v1/changes",
        Some("after=0"),
        b"",
        NOW,
    );
    let mut genuine = Received {
        authority: a,
        date: Some(&h.date),
        content_digest: Some(&h.content_digest),
        signature_input: Some(&h.signature_input),
        signature: Some(&h.signature),
        ..req
    };
    let norm = |s: &str| s.trim().to_ascii_lowercase();
    if !norm(a).is_empty() {
        assert!(verify(&genuine, |_| public, NOW, 300).is_ok());
    }
    genuine.authority = b;
    if norm(a) != norm(b) {
        assert!(verify(&genuine, |_| public, NOW, 300).is_err());
    }
});

//! Fuzzes reading a document and validating each object: never panics, every accepted
//! object's canonical form is the reference RFC 8785 writer's and validates again to the
//! same object.
#![no_main]

use concord_stix::{Object, input::parse_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(values) = parse_document(data) else { return };
    for v in values {
        let reference = serde_json_canonicalizer::to_string(&v).ok();
        if let Ok(obj) = Object::from_value(v) {
            assert_eq!(Some(obj.canonical_json()), reference, "canonical text");
            let _ = obj.references();
            let _ = obj.observables();
            let _ = obj.search_text();
            let again = Object::from_json(&obj.canonical_json()).expect("canonical form validates");
            assert_eq!(again.canonical_json(), obj.canonical_json());
        }
    }
});

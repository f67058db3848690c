//! STIX 2.1 for Concord: the object model, validation of the specification's MUSTs,
//! identifiers (including deterministic SCO ids), timestamps and TLP markings.
//!
//! Objects are kept as their whole JSON (unknown and custom properties are never
//! dropped) and validated against per-type tables of the specification. This crate does
//! no I/O and reads no clock except where a function says so.
//!
//! ```
//! use concord_stix::Object;
//!
//! let ind = Object::from_json(r#"{
//!     "type": "indicator", "spec_version": "2.1",
//!     "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
//!     "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
//!     "valid_from": "2016-01-01T00:00:00Z"
//! }"#).unwrap();
//! assert_eq!(ind.str("pattern_type"), Some("stix"));
//!
//! let ip = Object::from_json(r#"{"type": "ipv6-addr", "id": "ipv6-addr--ff2ab1a2-5ba5-5a5e-ae3a-a4c6e1c1b0f0", "value": "2001:DB8::0:1"}"#).unwrap();
//! assert_eq!(ip.observables()[0].value, "2001:db8::1");
//!
//! let bad = Object::from_json(r#"{"type": "indicator", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}"#)
//!     .unwrap_err();
//! assert!(bad.to_string().contains("does not match type"));
//! ```

pub mod canonical;
pub mod concord_ext;
pub mod id;
pub mod input;
pub mod markings;
pub mod object;
pub mod observable;
pub mod schema;
pub mod sco_id;
pub mod timestamp;
pub mod validate;
pub mod violation;
pub mod visibility;

pub use markings::{Tlp, UnknownTlp};
pub use object::{Columns, Object, Reference};
pub use observable::Observable;
pub use timestamp::Timestamp;
pub use violation::{Invalid, Violation};

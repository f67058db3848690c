//! Matches logs against the node's indicators: compiles STIX indicators into an in-memory
//! [`Index`] (exact tables for hashes, addresses, domains, URLs, e-mail addresses, MAC
//! addresses, AS numbers, file names; CIDR blocks in one table per prefix length), reads logs into
//! [`Observation`]s ([`readers`]), and aggregates hits into STIX sightings. Patterns the
//! index cannot decide alone go to [`concord_pattern::eval`] on the candidate observations
//! only. Pure: input comes as `impl BufRead`, "now" as an argument.
//!
//! ```
//! use std::sync::Arc;
//! use concord_matcher::{readers::Format, Index, IndicatorInput, Matcher, to_sighting};
//! use concord_pattern::Timestamp;
//!
//! let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
//! let indicator = IndicatorInput::new(
//!     "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
//!     "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
//!     Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
//! );
//! let (index, errors) = Index::build([&indicator], now);
//! assert!(errors.is_empty());
//! let matcher = Matcher::new(Arc::new(index));
//!
//! let log = "{\"timestamp\":\"2026-01-02T10:00:00.000000+0000\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"198.51.100.7\"}\nnot json\n";
//! let report = matcher.match_reader(log.as_bytes(), &Format::Eve);
//! assert_eq!((report.observations, report.malformed, report.errors[0].line), (1, 1, 2));
//! assert_eq!(report.sightings[0].count, 1);
//!
//! let sighting = to_sighting(&report.sightings[0], "identity--c3f8a7a3-0b5a-4a4e-9d8c-3a1f0e5f1a11", now);
//! assert_eq!(sighting["sighting_of_ref"], indicator.id.as_str());
//! ```
//!
//! Sightings (`to_sighting`) name in `where_sighted_refs` the identity the caller gives,
//! the node's own: `concord match` derives it from the node key, `concord serve` sets it
//! with `LiveMatching::set_identity` (in `concord-server`). Observable kinds and canonical
//! forms are `concord-stix`'s (`normalize` re-exports them); the property test
//! `correlation_and_matching_agree_on_equality` (`tests/agreement.rs`) holds the index's
//! lookups to correlation's equality.
//!
//! Threads: `Matcher::with_threads` cuts one-per-line and EVE input into blocks of whole
//! lines, however much of it the reader's buffer holds, matched on several threads and
//! merged to the one-thread report (`parallel`); one thread by default. `concord match`,
//! and under `serve` `POST /api/v1/match` and the web upload (`LiveMatching::set_threads`),
//! use the configuration's `match_threads`, 0 for one per core.
//!
//! Invariants: pure (only a sighting's id is random); never panics on input; a malformed
//! line is an error with its line number and reading goes on; the index is swapped whole
//! (`LiveIndex`), never patched in place under a reader; removal marks slots dead until a
//! rebuild. A lookup's first memory reads can be started before it probes
//! (`Matcher::match_batch` overlaps the cache misses of many lookups), so no value table
//! may become a structure whose probe address is unknown.

mod compile;
mod error;
mod index;
mod matcher;
pub mod normalize;
mod observation;
mod parallel;
pub mod readers;
mod report;

pub use compile::IndicatorInput;
pub use error::{CompileError, LineError, LineErrorKind};
pub use index::{Added, Index, IndexStats};
pub use matcher::{Hit, LiveIndex, Matcher};
pub use observation::{Flow, Kind, Observable, Observation};
pub use report::{MAX_ERRORS, MAX_VALUES, MatchReport, SightingData, to_sighting};

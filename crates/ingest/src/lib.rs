//! Reading any input into the store, the one way every front end does it: `concord
//! import`, feed runs, the web upload, `POST /api/v1/objects`, TAXII add-objects and TAXII
//! pulls. The same STIX gets the same stored versions and outcomes whichever of them
//! took it.
//!
//! - [`read`]: what an input is ([`read::reading`]: STIX, MISP event, CSAF advisory, CSV
//!   with a preset or columns, one value per line) and the [`Source`] its records are
//!   converted for;
//! - [`pipeline`]: one parser thread reads the inputs in turn, the calling thread settles
//!   the converted records against the held versions ([`settle`]) and flags indicators on
//!   a warning list ([`warninglists`]), the store's writer thread writes; progress and
//!   what there is to tell go to a [`Progress`];
//! - [`stix`]: objects already read as STIX (a TAXII pull's page, versions a feed run
//!   makes), imported as a STIX input of the pipeline is; [`document`]: a request's
//!   document (REST, TAXII envelope) read one object at a time into that import;
//! - [`feeds`]: the record of each feed's last run (`feeds-state.json`).
//!
//! ```
//! use concord_ingest::{Input, Options, Target, import_inputs};
//! let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
//! let input = Input::bytes("list.txt", b"198.51.100.7\nexample.org\n".to_vec());
//! let imported = import_inputs(Target::Store(&store), vec![input], &Options::default(), 500, false, &());
//! assert_eq!(imported.totals.summary.new, 3); // two indicators and the source identity
//! assert_eq!(imported.inputs[0].format, Some("lines"));
//! ```
//!
//! [`Source`]: concord_formats::Source
//!
//! A crate of its own rather than part of `concord-formats` (pure conversion, no store) or
//! `concord-store` (which validates and writes whatever STIX it is given and knows no other
//! format). Invariants: no terminal, no HTTP; records reach the store only through
//! `concord_store::import`, by [`Target`]'s one write; the caller's store is used for every
//! read and write (a `ClearedStore` for a web user, so settling neither reveals nor changes
//! what is above the clearance).
//!
//! Not through here, but straight to `concord_store::import`: objects the node makes
//! itself from what it already holds or was told, which no front end reads — its
//! identity at `concord node init` (`cli/src/node.rs`), the sightings matching makes
//! (`server/src/matching.rs`), the incidents, alerts and requests of response
//! (`response/src/lib.rs`). No warning list or settling applies to them, and they are
//! validated by the store as everything is. Objects from peers are stored by
//! `concord-federation` with their signatures and provenance, through the store's own
//! validation. `crates/cli/tests/architecture.rs` holds that list.

pub mod document;
pub mod error;
pub mod feeds;
pub mod pipeline;
pub mod progress;
pub mod read;
pub mod settle;
pub mod stix;
pub mod warninglists;

pub use error::Error;
pub use pipeline::{Ended, Imported, Input, InputEnd, Target, Totals, import_inputs};
pub use progress::{Note, Progress};
pub use read::{Options, Reading, reading};

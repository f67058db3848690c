//! TAXII 2.1 for a Concord node: the wire types ([`wire`]), the server routes as an axum
//! [`Router`](axum::Router) that `concord-server` mounts under `/taxii2/` ([`server`]),
//! and a client that pulls collections from other TAXII servers into the store
//! ([`client`], [`pull`]).
//!
//! The server reads through the `Store` trait and writes only through `concord-ingest`,
//! as every front end does, so a TAXII `POST` or pull stores the same STIX exactly as
//! `concord import` does. Paging is stateless: `next` carries a `seq` position bound to the
//! collection and filters by a keyed MAC ([`query`]).
//!
//! ```
//! use std::sync::Arc;
//! use concord_taxii::server::{TaxiiConfig, TaxiiState, router};
//! use concord_store::sqlite::SqliteStore;
//!
//! let store = Arc::new(SqliteStore::open_in_memory().unwrap());
//! let state = TaxiiState::new(store, TaxiiConfig::default(), |secret| secret.to_owned());
//! let app: axum::Router = router(state);
//! # let _ = app;
//! ```

pub mod client;
pub mod collection;
pub mod error;
pub mod pull;
pub mod query;
pub mod server;
pub mod status;
pub mod wire;

pub use error::TaxiiError;

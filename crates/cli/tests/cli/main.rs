//! End-to-end tests of the `concord` binary: data directory, import, export, search,
//! tokens, `serve` running beside `import`, and `taxii pull` from medallion.

mod common;
mod community;
mod community_nodes;
mod federation;
mod feeds;
mod formats;
mod import_export;
mod matching;
mod metrics;
mod ops;
mod postgres;
mod postgres_tls;
mod readme;
mod replicas;
mod replicas_state;
mod response;
mod serve;
mod service;
mod setup;
mod shutdown;
mod taxii;
mod tls;
mod tokens;
mod upgrade;

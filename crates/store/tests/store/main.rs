//! Integration tests of the SQLite store, one module per feature.

// `&[v.clone()]` reads better in these tests than `std::slice::from_ref(&v)`.
#![allow(clippy::cloned_ref_to_slice_refs)]

mod all_versions;
mod common;
mod concurrency;
mod crash;
mod delete;
mod graph;
mod import;
mod indexer;
mod paging;
mod schema;
mod search;
mod tokens;
mod versioning;
mod within;

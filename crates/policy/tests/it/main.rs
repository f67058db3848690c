//! Tests of `concord-policy` through its public API, one module per feature.

mod common;
mod decide;
mod explain;
mod parse;
mod personal;
mod props;

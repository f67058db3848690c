//! `concord import --format ...`, `concord export --format ...` and `concord feed`.

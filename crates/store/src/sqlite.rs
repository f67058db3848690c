//! The SQLite backend (embedded default): WAL mode, one writer connection, a pool of
//! readers. (Being written.)

//! Integration tests of the HTTP API, driving `app(state)` without a socket (and one test
//! over a real socket) against the real SQLite store. One module per feature.

mod api {
    pub mod common;

    mod auth;
    mod community;
    mod disk_full;
    mod import;
    mod incidents;
    mod listener;
    mod live_matching;
    mod matching;
    mod meta;
    mod read;
    mod serve;
    mod taxii;
}

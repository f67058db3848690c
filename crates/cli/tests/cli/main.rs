//! End-to-end tests of the `concord` binary: data directory, import, export, search,
//! tokens, and `serve` running beside `import`.

mod common;
mod import_export;
mod serve;
mod setup;

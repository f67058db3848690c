//! Users in SQLite.

use super::SqliteStore;

/// Tables of this module, created if missing each time a database is opened.
pub(super) const DDL: &str = "";

impl crate::users::Users for SqliteStore {}

//! Local users of the web interface (accounts, password hashes, sessions).

/// Storage of users; every [`crate::Store`] implements it.
pub trait Users {}

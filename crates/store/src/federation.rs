//! What federation keeps in the store: peers and their cursors, the provenance of
//! objects received from peers, and the outbound audit log.

/// Storage for federation; every [`crate::Store`] implements it.
pub trait FederationStore {}

//! Federation between Concord nodes: identity and keys, signed object envelopes, HTTP
//! Message Signatures (RFC 9421), peers, and the sync protocol (pull with cursors, live
//! change notices).

pub mod envelope;
pub mod governance;
pub mod httpsig;
pub mod identity;
pub mod outbound;
pub mod pull;
pub mod server;
pub mod signer;
pub mod tls;

/// A federation failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationError {
    /// A key is malformed or unavailable.
    #[error("key error: {0}")]
    Key(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] concord_store::StoreError),
}

impl From<concord_keys::KeyError> for FederationError {
    fn from(e: concord_keys::KeyError) -> Self {
        FederationError::Key(e.0)
    }
}

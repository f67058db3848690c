//! Federation between Concord nodes: identity and keys, signed object envelopes, HTTP
//! Message Signatures (RFC 9421), peers, and the sync protocol (pull with cursors, live
//! change notices).
//!
//! Modules: `identity` (the node key, from `concord-keys`); `envelope` (an object version
//! on the wire with origin id, key and signature over its RFC 8785 form; a non-origin node
//! that redacts signs as `redactor`, as does a node passing on a version another node
//! redacted); `httpsig` (RFC 9421 over method, `@authority`, path, query, date and content
//! digest, with a nonce); `governance`; `outbound` (each version through
//! `concord_policy::decide`, audited); `signer` (on a thread of its own at nice 10,
//! `concord_store::lower_thread_priority`, so that serving comes first); `server` (the
//! `/federation/v1` routes: node info, zstd change pages, server-sent head notices); `pull`
//! (one task per peer, live wake-up, pipelined pages, batch signature checks); `tls`
//! (certificate statements, pinning, `check_url`).
//!
//! Invariants. Nothing from a peer reaches the store without a verified signature (origin
//! or redactor, key bound to its node id) and the import path's validation
//! (`concord_store::import::validate`); objects, their provenance and the peer's cursor are
//! committed in one transaction, so a crash never skips or repeats data. Every outbound
//! decision is written to the audit log before the page leaves. A request not signed by a
//! registered peer within the clock-skew window, or with a seen nonce, gets 401; a request
//! signature covers `@authority`, and the verifier uses the authority of its own public
//! URL, never the request's `Host`, so a request signed for one node fails at every other.
//! Governance documents flow whatever the data policy says, only to members, and only
//! signed ones are stored; a key a held community revoked, or an expelled member's, gets
//! 401 on every route, a suspended member's on the data routes, and the puller pulls no
//! data from it; a version whose origin or redactor key a community revoked from a time at
//! or before the version's `modified` is refused. Over a connection readable on the path
//! (`Transport::exposed`) a peer gets only TLP:CLEAR objects (`outbound::clear_only`);
//! `http://` goes only to loopback or to an entry marked insecure (`tls::check_url`).
//!
//! Origin authority: a received version is taken only when signed by its origin's key, or
//! re-signed as redactor by the very peer that sent it (node id and key as registered; the
//! provenance names the redactor); no peer gives new versions of this node's own objects
//! (origin this node, or a version created here); an object's origin never changes across
//! versions (`concord_store::federation::check_origin`, applied by the store inside the
//! writing transaction). Every refused version is counted and its reason kept in the peer's
//! record (`refused`, `last_refusal`, `last_error`, shown by `concord peer list`); a page
//! over the object or byte limits fails whole, and one pull takes at most
//! `PullConfig::max_pages` pages.

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

//! A node's Ed25519 key, its node id and fingerprint, and signature checks: the key
//! primitives that `concord-federation` (envelopes, request signatures) and
//! `concord-community` (governance entries) both sign and verify with.
//!
//! ```
//! let key = concord_keys::NodeKey::from_seed([7; 32]);
//! let sig = key.sign_b64(b"hello");
//! let public = concord_keys::parse_public(&key.public_hex()).unwrap();
//! assert!(concord_keys::verify_b64(&public, b"hello", &sig).is_ok());
//! assert_eq!(concord_keys::node_id_of_hex(&key.public_hex()).unwrap(), key.node_id());
//! ```
//!
//! A node id is `concord-` and 24 hex digits of the SHA-256 of its first public key: it
//! names the node for good, and a node whose key was rotated keeps it
//! ([`NodeKey::with_node_id`]; the community log binds the new key to it). No I/O but
//! the OS randomness of `NodeKey::generate`; verification is strict (`verify_strict`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

pub use ed25519_dalek::{Signature, VerifyingKey};

/// A key is malformed or unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key error: {0}")]
pub struct KeyError(pub String);

/// A node's signing key.
#[derive(Clone)]
pub struct NodeKey {
    signing: SigningKey,
    seed_hex: String,
    // Derived once: every outbound object needs them.
    node_id: String,
    public_hex: String,
    redaction_key: [u8; 32],
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKey")
            .field("node_id", &self.node_id())
            .finish_non_exhaustive()
    }
}

impl NodeKey {
    /// A new random key (from the operating system's randomness).
    pub fn generate() -> Result<NodeKey, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError(format!("no OS randomness: {e}")))?;
        Ok(NodeKey::from_seed(seed))
    }

    /// The key of a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> NodeKey {
        let signing = SigningKey::from_bytes(&seed);
        let seed_hex = hex::encode(seed);
        let public = signing.verifying_key().to_bytes();
        let redaction_key = Sha256::new()
            .chain_update(b"concord redaction key v1\n")
            .chain_update(seed_hex.as_bytes())
            .finalize()
            .into();
        NodeKey {
            node_id: node_id_of(&public),
            public_hex: hex::encode(public),
            redaction_key,
            signing,
            seed_hex,
        }
    }

    /// The key of a hex seed (the text of a `node.key` file; surrounding space ignored).
    pub fn from_seed_hex(text: &str) -> Result<NodeKey, KeyError> {
        let bytes =
            hex::decode(text.trim()).map_err(|e| KeyError(format!("node key is not hex: {e}")))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError("node key must be 32 bytes".into()))?;
        Ok(NodeKey::from_seed(seed))
    }

    /// The seed as hex (what a `node.key` file holds).
    pub fn seed_hex(&self) -> &str {
        &self.seed_hex
    }

    /// The public key as hex.
    pub fn public_hex(&self) -> String {
        self.public_hex.clone()
    }

    /// The node id: `concord-` and the first 24 hex digits of SHA-256 of the node's first
    /// public key (this key's, unless [`NodeKey::with_node_id`] named another).
    pub fn node_id(&self) -> String {
        self.node_id.clone()
    }

    /// This key as the key of node `node_id`: a node keeps its id when it rotates its key,
    /// so its new key signs under the id its first key gave it. Whoever checks such a
    /// signature needs a binding of the key to that id (a rotation in a community log);
    /// [`node_id_of`] of this key is no longer the node id.
    pub fn with_node_id(mut self, node_id: impl Into<String>) -> NodeKey {
        self.node_id = node_id.into();
        self
    }

    /// Signs `message`; the signature as base64.
    pub fn sign_b64(&self, message: &[u8]) -> String {
        B64.encode(self.signing.sign(message).to_bytes())
    }

    /// A secret for keyed hashes of redacted values, derived from the node key (stable
    /// across restarts, different for every node).
    pub fn redaction_key(&self) -> [u8; 32] {
        self.redaction_key
    }

    /// A secret for other keyed uses (`purpose` separates them).
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(b"concord derived key v1\n")
            .chain_update(purpose.as_bytes())
            .chain_update(b"\n")
            .chain_update(self.seed_hex.as_bytes())
            .finalize()
            .into()
    }
}

/// The node id of a public key.
pub fn node_id_of(public: &[u8; 32]) -> String {
    format!("concord-{}", &hex::encode(Sha256::digest(public))[..24])
}

/// A public key from hex, checked.
pub fn parse_public(hex_key: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| KeyError(format!("public key {hex_key:?} is not hex")))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyError(format!("public key {hex_key:?} is not 32 bytes")))?;
    VerifyingKey::from_bytes(&arr)
        .map_err(|_| KeyError(format!("{hex_key:?} is not an Ed25519 public key")))
}

/// The node id a hex public key stands for.
pub fn node_id_of_hex(hex_key: &str) -> Result<String, KeyError> {
    Ok(node_id_of(&parse_public(hex_key)?.to_bytes()))
}

/// A short fingerprint of a public key that operators compare out of band: the first 16
/// bytes of SHA-256 of the key, as 8 groups of 4 upper-case hex digits.
pub fn fingerprint(hex_key: &str) -> Result<String, KeyError> {
    let key = parse_public(hex_key)?;
    let digest = hex::encode_upper(&Sha256::digest(key.to_bytes())[..16]);
    Ok(digest
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" "))
}

/// Checks a base64 Ed25519 signature (strict verification).
pub fn verify_b64(key: &VerifyingKey, message: &[u8], sig_b64: &str) -> Result<(), String> {
    let bytes = B64
        .decode(sig_b64)
        .map_err(|_| "signature is not base64".to_owned())?;
    let arr: [u8; 64] = bytes
        .try_into()
        .map_err(|_| "signature is not 64 bytes".to_owned())?;
    key.verify_strict(message, &Signature::from_bytes(&arr))
        .map_err(|_| "signature does not verify".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fingerprints_and_signatures() {
        let k = NodeKey::from_seed([7u8; 32]);
        assert!(k.node_id().starts_with("concord-"));
        assert_eq!(k.node_id().len(), "concord-".len() + 24);
        assert_eq!(node_id_of_hex(&k.public_hex()).unwrap(), k.node_id());
        let fp = fingerprint(&k.public_hex()).unwrap();
        assert_eq!(fp.split(' ').count(), 8);
        let sig = k.sign_b64(b"hello");
        let pk = parse_public(&k.public_hex()).unwrap();
        verify_b64(&pk, b"hello", &sig).unwrap();
        assert!(verify_b64(&pk, b"hellp", &sig).is_err());
        assert!(verify_b64(&pk, b"hello", "AAAA").is_err());
        assert!(parse_public("zz").is_err());
        assert_eq!(
            NodeKey::from_seed_hex(k.seed_hex()).unwrap().node_id(),
            k.node_id()
        );
    }
}

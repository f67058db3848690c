//! Signed envelopes: an object version as it travels between nodes, with its origin's
//! id, key and Ed25519 signature over the object's RFC 8785 form, and the re-shares it
//! may still make.
//!
//! An object redacted by a node that did not create it cannot keep its origin's
//! signature valid; that node then signs the redacted form as `redactor`, and receivers
//! accept the redactor's signature in place of the origin's (the provenance records both)
//! only when the redactor is the very peer that sent the envelope
//! ([`Envelope::check_redactor`]). A node that passes on a version another node redacted
//! therefore signs it again as redactor itself.

use concord_store::federation::{Provenance, Redactor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identity::{NodeKey, node_id_of, parse_public, verify_b64};

/// One object version on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The sender's `seq` of this version.
    pub seq: i64,
    /// The object (possibly redacted for the receiver).
    pub object: Value,
    /// The node that created it.
    pub origin: String,
    /// The origin's public key (hex); its node id must be `origin`.
    pub origin_key: String,
    /// The origin's signature over the object's RFC 8785 form (base64).
    pub signature: String,
    /// Re-shares the receiver may still make.
    pub hops: u32,
    /// The node that redacted the object on its way, when that was not the origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redactor: Option<Redactor>,
}

/// The canonical bytes a signature covers.
pub fn canonical(object: &Value) -> String {
    serde_json_canonicalizer::to_string(object).unwrap_or_default()
}

impl Envelope {
    /// An envelope for an object created at this node (signed now by `key`).
    pub fn originate(key: &NodeKey, seq: i64, object: Value, hops: u32) -> Envelope {
        let body = canonical(&object);
        Envelope::originate_canonical(key, seq, object, &body, hops)
    }

    /// [`Envelope::originate`] when the object's RFC 8785 form is already at hand (as
    /// the store keeps it).
    pub fn originate_canonical(
        key: &NodeKey,
        seq: i64,
        object: Value,
        canonical: &str,
        hops: u32,
    ) -> Envelope {
        let signature = key.sign_b64(canonical.as_bytes());
        Envelope {
            seq,
            object,
            origin: key.node_id(),
            origin_key: key.public_hex(),
            signature,
            hops,
            redactor: None,
        }
    }

    /// An envelope for an object received earlier and passed on: unchanged and signed by
    /// its origin, it keeps the origin's signature; redacted here (`redacted` is true) or
    /// redacted on its way here, it is signed by `key` as redactor (a receiver takes a
    /// redactor's signature only from the peer that sends it).
    pub fn forward(
        key: &NodeKey,
        seq: i64,
        object: Value,
        prov: &Provenance,
        hops: u32,
        redacted: bool,
    ) -> Envelope {
        let redactor = if redacted || prov.redactor.is_some() {
            Some(Redactor {
                node: key.node_id(),
                key: key.public_hex(),
                signature: key.sign_b64(canonical(&object).as_bytes()),
            })
        } else {
            None
        };
        Envelope {
            seq,
            object,
            origin: prov.origin.clone(),
            origin_key: prov.origin_key.clone(),
            signature: prov.signature.clone(),
            hops,
            redactor,
        }
    }

    /// Checks that the keys belong to the node ids they claim and that the signature that
    /// must cover the object as it is (the redactor's if there is one, else the origin's)
    /// verifies. The error names what failed.
    pub fn verify(&self) -> Result<(), String> {
        let origin_key = parse_public(&self.origin_key).map_err(|e| e.to_string())?;
        if node_id_of(&origin_key.to_bytes()) != self.origin {
            return Err(format!(
                "origin key does not belong to origin {:?}",
                self.origin
            ));
        }
        let body = canonical(&self.object);
        match &self.redactor {
            None => verify_b64(&origin_key, body.as_bytes(), &self.signature)
                .map_err(|e| format!("origin {}: {e}", self.origin)),
            Some(r) => {
                let key = parse_public(&r.key).map_err(|e| e.to_string())?;
                if node_id_of(&key.to_bytes()) != r.node {
                    return Err(format!("redactor key does not belong to {:?}", r.node));
                }
                verify_b64(&key, body.as_bytes(), &r.signature)
                    .map_err(|e| format!("redactor {}: {e}", r.node))
            }
        }
    }

    /// The key whose signature must cover the object as it is (the redactor's if there is
    /// one, else the origin's), checked to belong to the node id it claims (its own id, or
    /// the id `bound` gives it: a member's rotated key, `governance::bound_keys`) and not
    /// to be a weak key, with that signature. `keys` caches parsed keys by their hex.
    pub fn signer(
        &self,
        keys: &mut std::collections::HashMap<String, ed25519_dalek::VerifyingKey>,
        bound: &std::collections::HashMap<String, String>,
    ) -> Result<(ed25519_dalek::VerifyingKey, ed25519_dalek::Signature), String> {
        let (who, key_hex, sig) = match &self.redactor {
            None => (&self.origin, &self.origin_key, &self.signature),
            Some(r) => (&r.node, &r.key, &r.signature),
        };
        let key = match keys.get(key_hex) {
            Some(k) => *k,
            None => {
                let k = parse_public(key_hex).map_err(|e| e.to_string())?;
                if k.is_weak() {
                    return Err(format!("{who}: weak public key"));
                }
                let owner = node_id_of(&k.to_bytes());
                if owner != *who && bound.get(key_hex.as_str()) != Some(who) {
                    let role = if self.redactor.is_some() {
                        "redactor"
                    } else {
                        "origin"
                    };
                    return Err(format!(
                        "claims {role} {who} but was signed with the key of {owner}"
                    ));
                }
                keys.insert(key_hex.clone(), k);
                k
            }
        };
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sig)
            .map_err(|_| format!("{who}: signature is not base64"))?;
        let arr: [u8; 64] = bytes
            .try_into()
            .map_err(|_| format!("{who}: signature is not 64 bytes"))?;
        Ok((key, ed25519_dalek::Signature::from_bytes(&arr)))
    }

    /// Checks that a redactor, if there is one, is the peer that sent the envelope (node
    /// id `peer` and public key `peer_key`, hex, as registered): a peer may re-sign what
    /// it redacted, never name another node as redactor.
    pub fn check_redactor(&self, peer: &str, peer_key: &str) -> Result<(), String> {
        match &self.redactor {
            Some(r) if r.node != peer || !r.key.eq_ignore_ascii_case(peer_key.trim()) => Err(
                format!("redactor {} is not the sending peer {peer}", r.node),
            ),
            _ => Ok(()),
        }
    }

    /// The provenance to store beside the object, received from `peer`.
    pub fn provenance(&self, peer: &str) -> Provenance {
        Provenance {
            origin: self.origin.clone(),
            origin_key: self.origin_key.clone(),
            signature: self.signature.clone(),
            received_from: peer.to_owned(),
            hops_left: self.hops,
            redactor: self.redactor.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sealed_envelopes_verify_and_tampering_is_caught() {
        let a = NodeKey::from_seed([1; 32]);
        let b = NodeKey::from_seed([2; 32]);
        let obj = json!({"type": "indicator", "name": "x", "id": "indicator--1"});
        let env = Envelope::originate(&a, 5, obj.clone(), 3);
        env.verify().unwrap();

        let mut tampered = env.clone();
        tampered.object["name"] = json!("y");
        assert!(tampered.verify().unwrap_err().contains("does not verify"));

        let mut impostor = env.clone();
        impostor.origin_key = b.public_hex();
        assert!(impostor.verify().unwrap_err().contains("does not belong"));

        // B passes it on unchanged: A's signature still verifies.
        let prov = env.provenance(&a.node_id());
        let fwd = Envelope::forward(&b, 9, obj.clone(), &prov, 2, false);
        fwd.verify().unwrap();
        assert_eq!(fwd.origin, a.node_id());

        // B redacts: B's signature covers the redacted form.
        let redacted = json!({"type": "indicator", "id": "indicator--1"});
        let red = Envelope::forward(&b, 9, redacted, &prov, 2, true);
        red.verify().unwrap();
        assert_eq!(red.redactor.as_ref().unwrap().node, b.node_id());

        // A redacted form claimed without a redactor fails.
        let mut forged = red.clone();
        forged.redactor = None;
        assert!(forged.verify().is_err());

        // Only the sending peer may be the redactor.
        red.check_redactor(&b.node_id(), &b.public_hex()).unwrap();
        let c = NodeKey::from_seed([3; 32]);
        let e = red
            .check_redactor(&c.node_id(), &c.public_hex())
            .unwrap_err();
        assert!(e.contains("is not the sending peer"), "{e}");
        env.check_redactor(&c.node_id(), &c.public_hex()).unwrap();

        // C passes B's redacted form on unchanged: C signs it again as redactor, so its
        // receivers see the redactor is the peer that sent it.
        let red_prov = red.provenance(&b.node_id());
        let again = Envelope::forward(&c, 3, red.object.clone(), &red_prov, 1, false);
        again.verify().unwrap();
        again.check_redactor(&c.node_id(), &c.public_hex()).unwrap();
        assert_eq!(again.origin, a.node_id());
    }

    #[test]
    fn a_rotated_key_signs_for_its_member_only_when_bound() {
        use std::collections::HashMap;
        let first = NodeKey::from_seed([1; 32]);
        let id = first.node_id();
        // The member's node after a rotation: its new key, under its first key's id.
        let rotated = NodeKey::from_seed([4; 32]).with_node_id(id.clone());
        let obj = json!({"type": "indicator", "name": "x", "id": "indicator--1"});
        let env = Envelope::originate(&rotated, 5, obj, 3);
        assert_eq!(env.origin, id);
        let mut keys = HashMap::new();
        // Without a binding in a held community the key is another node's.
        let e = env.signer(&mut keys, &HashMap::new()).unwrap_err();
        assert!(e.contains("signed with the key of"), "{e}");
        // Bound to this member, it signs for it; bound to another, it does not.
        let bound = HashMap::from([(rotated.public_hex(), id.clone())]);
        env.signer(&mut keys, &bound).unwrap();
        let mut keys = HashMap::new();
        let elsewhere = HashMap::from([(
            rotated.public_hex(),
            "concord-000000000000000000000000".to_owned(),
        )]);
        assert!(env.signer(&mut keys, &elsewhere).is_err());
    }
}

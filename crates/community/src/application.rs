//! A candidate's application: its member record (node id, key, URL, organisation,
//! country, sectors) signed with its own node key, so that whoever proposes to admit it
//! (or founds a community with it) holds proof that the candidate controls that key and
//! asked to join with that record. `concord community apply` writes one; `community
//! create`, `community propose admit` and `POST /api/v1/community/proposals` accept a
//! member only through [`Application::verify`].
//!
//! ```
//! use concord_community::{Application, MemberInfo};
//! use concord_keys::NodeKey;
//!
//! let key = NodeKey::from_seed([4; 32]);
//! let member = MemberInfo {
//!     node_id: key.node_id(),
//!     public_key: key.public_hex(),
//!     url: "https://cert.example".into(),
//!     organisation: "CERT".into(),
//!     country: Some("FR".into()),
//!     sectors: vec![],
//! };
//! let application = Application::sign(member.clone(), &key);
//! assert_eq!(application.verify().unwrap(), member);
//! ```

use concord_keys::{NodeKey, parse_public, verify_b64};
use serde::{Deserialize, Serialize};

use crate::entry::{MemberInfo, canonical};

/// What the signature of an application covers, before the member record's RFC 8785
/// text (so that no other signed document of Concord can pass for an application).
const TAG: &str = "concord community application v1\n";

/// A member record signed by the key it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The candidate's member record.
    pub member: MemberInfo,
    /// The candidate node key's signature (base64) over the tag and the record.
    pub signature: String,
}

impl Application {
    /// The bytes an application's signature covers.
    fn message(member: &MemberInfo) -> Vec<u8> {
        format!("{TAG}{}", canonical(member)).into_bytes()
    }

    /// `member`'s application, signed with `key` (which should be the key it names).
    #[must_use]
    pub fn sign(member: MemberInfo, key: &NodeKey) -> Application {
        let signature = key.sign_b64(&Self::message(&member));
        Application { member, signature }
    }

    /// The member record, when it is well-formed (its node id is that of its key, it
    /// has a URL) and signed by the key it names.
    ///
    /// # Errors
    /// Why not, naming the member.
    pub fn verify(&self) -> Result<MemberInfo, String> {
        self.member.check().map_err(|e| e.to_string())?;
        let key = parse_public(&self.member.public_key)
            .map_err(|e| format!("member {}: {}", self.member.node_id, e.0))?;
        verify_b64(&key, &Self::message(&self.member), &self.signature).map_err(|e| {
            format!(
                "the application's signature by {}: {e}",
                self.member.node_id
            )
        })?;
        Ok(self.member.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(key: &NodeKey) -> MemberInfo {
        MemberInfo {
            node_id: key.node_id(),
            public_key: key.public_hex(),
            url: "https://cert.example".into(),
            organisation: "CERT".into(),
            country: None,
            sectors: vec!["energy".into()],
        }
    }

    #[test]
    fn only_the_named_key_signs_an_unchanged_record() {
        let key = NodeKey::from_seed([1; 32]);
        let other = NodeKey::from_seed([2; 32]);
        let good = Application::sign(member(&key), &key);
        assert_eq!(good.verify().unwrap(), member(&key));

        // Signed by another key than the one the record names.
        let forged = Application::sign(member(&key), &other);
        assert!(forged.verify().unwrap_err().contains("signature"));

        // Changed after signing.
        let mut changed = good.clone();
        changed.member.url = "https://attacker.example".into();
        assert!(changed.verify().unwrap_err().contains("signature"));

        // A record whose node id is not its key's.
        let mut wrong_id = member(&key);
        wrong_id.node_id = other.node_id();
        let wrong = Application::sign(wrong_id, &key);
        assert!(wrong.verify().unwrap_err().contains("node id"));

        // Garbage signature.
        let mut garbage = good;
        garbage.signature = "not base64!".into();
        assert!(garbage.verify().is_err());
    }
}

//! Drafting entries as a member: signing a proposal or a vote with the node's key as the
//! member that key belongs to (its node id stays the member's across key rotations), and
//! finding the proposal a vote is about. The CLI and the REST API both draft here.

use concord_keys::NodeKey;

use crate::entry::{Choice, Content, Entry};
use crate::state::{Proposal, State};

impl State {
    /// Signs `content` at `at` as the member holding `key`; `Err` says why it cannot
    /// (no member holds that key).
    pub fn sign(&self, key: &NodeKey, at: &str, content: Content) -> Result<Entry, String> {
        let public = key.public_hex();
        let member = self
            .members
            .values()
            .find(|m| m.keys.iter().any(|k| k.key == public))
            .ok_or_else(|| format!("this node is not a member of {}", self.name))?;
        Ok(Entry::sign_as(
            &self.community,
            &member.info.node_id,
            key,
            at,
            content,
        ))
    }

    /// The proposal whose id is `prefix` or starts with it; `Err` when none or several.
    pub fn proposal_by_prefix(&self, prefix: &str) -> Result<&Proposal, String> {
        if let Some(p) = self.proposals.get(prefix) {
            return Ok(p);
        }
        let found: Vec<&Proposal> = self
            .proposals
            .range(prefix.to_owned()..)
            .take_while(|(id, _)| id.starts_with(prefix))
            .map(|(_, p)| p)
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(format!("no proposal {prefix} in {}", self.name)),
            many => Err(format!(
                "{prefix} names {} proposals; give more of its id",
                many.len()
            )),
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = String;

    /// `yes` or `no`, in any case.
    fn from_str(s: &str) -> Result<Choice, String> {
        match s.to_ascii_lowercase().as_str() {
            "yes" => Ok(Choice::Yes),
            "no" => Ok(Choice::No),
            _ => Err(format!("a vote is yes or no, not {s:?}")),
        }
    }
}

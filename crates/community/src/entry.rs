//! The signed documents of a community: the genesis (signed by every founder) and the
//! governance log's entries (proposals, votes, key rotations), their canonical bytes
//! (RFC 8785, the same writer as STIX objects) and content-addressed ids.
//!
//! What a signature covers: a domain tag (`concord community genesis v1\n` or
//! `concord community entry v1\n`) followed by the RFC 8785 text of the document's
//! `body`. An id is the SHA-256 of that same text (`community--HEX` for a genesis,
//! `entry--HEX` for an entry), so an id names exactly one body whoever carries it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use concord_keys::{NodeKey, VerifyingKey, node_id_of_hex, parse_public, verify_b64};
use concord_stix::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::charter::{Charter, DecisionKind};

/// Largest entry accepted, as JSON text (body and signatures).
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;
/// Largest genesis accepted, as JSON text.
pub const MAX_GENESIS_BYTES: usize = 1024 * 1024;

const GENESIS_TAG: &[u8] = b"concord community genesis v1\n";
const ENTRY_TAG: &[u8] = b"concord community entry v1\n";

/// Why a genesis or an entry is refused on its own (before any state is consulted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Over [`MAX_ENTRY_BYTES`] or [`MAX_GENESIS_BYTES`].
    #[error("{what} is {size} bytes, over the limit of {max}")]
    TooLarge {
        /// `entry` or `genesis`.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// For another community.
    #[error("entry is for community {found}, not {expected}")]
    OtherCommunity {
        /// The community it names.
        found: String,
        /// This community.
        expected: String,
    },
    /// A timestamp not in the form `YYYY-MM-DDTHH:MM:SS.sssZ`.
    #[error(
        "{field} {value:?} is not a UTC timestamp with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)"
    )]
    Time {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A public key that is not an Ed25519 key.
    #[error("{0}")]
    Key(String),
    /// A signature that does not verify, or is missing.
    #[error("signature of {signer} does not verify: {reason}")]
    Signature {
        /// Whose signature (node id or key).
        signer: String,
        /// Why.
        reason: String,
    },
    /// Anything else malformed.
    #[error("{0}")]
    Malformed(String),
}

/// A member as the genesis or an admission names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInfo {
    /// Its node id (`concord-` + 24 hex digits of SHA-256 of `public_key`).
    pub node_id: String,
    /// Its Ed25519 public key (hex) at admission.
    pub public_key: String,
    /// The base URL its node serves federation on.
    pub url: String,
    /// The organisation running it.
    pub organisation: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Sectors it serves.
    #[serde(default)]
    pub sectors: Vec<String>,
}

impl MemberInfo {
    /// Checks that the node id is that of the key and the URL is not empty.
    pub fn check(&self) -> Result<(), EntryError> {
        let derived = node_id_of_hex(&self.public_key).map_err(|e| EntryError::Key(e.0))?;
        if derived != self.node_id {
            return Err(EntryError::Malformed(format!(
                "member {} has key {} whose node id is {derived}",
                self.node_id, self.public_key
            )));
        }
        if self.url.trim().is_empty() {
            return Err(EntryError::Malformed(format!(
                "member {} has no URL",
                self.node_id
            )));
        }
        Ok(())
    }
}

/// RFC 8785 text of a serialisable value (a JSON object).
pub fn canonical<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => concord_stix::canonical::to_string(&map),
        // Only objects are signed; anything else is written plainly.
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The length of a value's JSON text, without writing it out.
fn json_len<T: Serialize>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// Signing keys already parsed, by hex text: a log has many entries by few keys, and
/// reading a key (a point decompression) costs a fair part of a signature check.
#[derive(Debug, Default)]
pub(crate) struct KeyCache(HashMap<String, Result<VerifyingKey, EntryError>>);

impl KeyCache {
    fn get(&mut self, hex_key: &str) -> Result<VerifyingKey, EntryError> {
        if let Some(k) = self.0.get(hex_key) {
            return k.clone();
        }
        let k = parse_public(hex_key).map_err(|e| EntryError::Key(e.0));
        self.0.insert(hex_key.to_owned(), k.clone());
        k
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn tagged(tag: &[u8], text: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(tag.len() + text.len());
    m.extend_from_slice(tag);
    m.extend_from_slice(text.as_bytes());
    m
}

/// Checks a timestamp is in the canonical millisecond form, so that its text orders as
/// its instant.
pub fn check_time(field: &'static str, value: &str) -> Result<(), EntryError> {
    let err = || EntryError::Time {
        field,
        value: value.to_owned(),
    };
    let t = Timestamp::parse_millis(value).map_err(|_| err())?;
    if Timestamp::format_millis(t.instant()) != value {
        return Err(err());
    }
    Ok(())
}

/// Adds `secs` seconds to a canonical timestamp (saturating at the far future).
pub fn add_secs(at: &str, secs: u64) -> String {
    match Timestamp::parse_millis(at) {
        Ok(t) => {
            let d = chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000));
            match t.instant().checked_add_signed(d) {
                Some(end) => Timestamp::format_millis(end),
                None => "9999-12-31T23:59:59.999Z".to_owned(),
            }
        }
        Err(_) => at.to_owned(),
    }
}

/// What the founders sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBody {
    /// The community's name.
    pub name: String,
    /// Its first charter.
    pub charter: Charter,
    /// The founding members.
    pub founders: Vec<MemberInfo>,
    /// When it was founded (the founders' keys are valid from then).
    pub created: String,
}

/// A community's founding document: the body and one signature per founder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// What is signed.
    pub body: GenesisBody,
    /// Founder node id to its signature (base64) over the body.
    #[serde(default)]
    pub signatures: BTreeMap<String, String>,
}

impl Genesis {
    /// An unsigned genesis.
    pub fn new(body: GenesisBody) -> Genesis {
        Genesis {
            body,
            signatures: BTreeMap::new(),
        }
    }

    /// The community id: `community--` and SHA-256 of the body's RFC 8785 text.
    pub fn id(&self) -> String {
        format!("community--{}", sha256_hex(&canonical(&self.body)))
    }

    /// Adds `key`'s signature (its node must be a founder to count).
    pub fn sign(&mut self, key: &NodeKey) {
        let msg = tagged(GENESIS_TAG, &canonical(&self.body));
        self.signatures.insert(key.node_id(), key.sign_b64(&msg));
    }

    /// Founders that have not signed yet.
    pub fn unsigned(&self) -> Vec<String> {
        self.body
            .founders
            .iter()
            .filter(|f| !self.signatures.contains_key(&f.node_id))
            .map(|f| f.node_id.clone())
            .collect()
    }

    /// Checks the genesis: a name, a valid charter, at least one founder, founders with
    /// distinct ids and keys bound to them, and a good signature of every founder (and
    /// none of anyone else). Returns the first problem of [`Genesis::problems`].
    pub fn check(&self) -> Result<(), EntryError> {
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every problem of the genesis, in the order [`Genesis::check`] meets them: each
    /// founder's missing or bad signature is its own problem. Empty: it is valid.
    pub fn problems(&self) -> Vec<EntryError> {
        let size = json_len(self);
        if size > MAX_GENESIS_BYTES {
            return vec![EntryError::TooLarge {
                what: "genesis",
                size,
                max: MAX_GENESIS_BYTES,
            }];
        }
        let mut problems = Vec::new();
        let b = &self.body;
        if b.name.trim().is_empty() {
            problems.push(EntryError::Malformed("the community has no name".into()));
        }
        if let Err(e) = check_time("created", &b.created) {
            problems.push(e);
        }
        if let Err(e) = b.charter.check() {
            problems.push(EntryError::Malformed(format!("charter: {e}")));
        }
        if b.founders.is_empty() {
            problems.push(EntryError::Malformed("the genesis names no founder".into()));
        }
        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for f in &b.founders {
            if let Err(e) = f.check() {
                problems.push(e);
            }
            if !ids.insert(&f.node_id) || !keys.insert(&f.public_key) {
                problems.push(EntryError::Malformed(format!(
                    "founder {} is named twice",
                    f.node_id
                )));
            }
        }
        for extra in self.signatures.keys().filter(|s| !ids.contains(s)) {
            problems.push(EntryError::Malformed(format!(
                "the genesis carries a signature of {extra}, who is not a founder"
            )));
        }
        let msg = tagged(GENESIS_TAG, &canonical(b));
        for f in &b.founders {
            let Some(sig) = self.signatures.get(&f.node_id) else {
                problems.push(EntryError::Signature {
                    signer: f.node_id.clone(),
                    reason: "the founder has not signed the genesis".into(),
                });
                continue;
            };
            let checked = parse_public(&f.public_key)
                .map_err(|e| EntryError::Key(e.0))
                .and_then(|key| {
                    verify_b64(&key, &msg, sig).map_err(|reason| EntryError::Signature {
                        signer: f.node_id.clone(),
                        reason,
                    })
                });
            if let Err(e) = checked {
                problems.push(e);
            }
        }
        problems
    }
}

/// A yes or a no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    /// For.
    Yes,
    /// Against.
    No,
}

/// What a proposal asks the community to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// Admit a member, named by its sponsors (the proposer is one of them).
    Admit {
        /// The candidate.
        member: MemberInfo,
        /// Node ids of the sponsoring members.
        sponsors: Vec<String>,
    },
    /// Suspend a member.
    Suspend {
        /// Its node id.
        member: String,
    },
    /// Lift a member's suspension.
    Readmit {
        /// Its node id.
        member: String,
    },
    /// Expel a member.
    Expel {
        /// Its node id.
        member: String,
    },
    /// Revoke one of a member's keys from `since` (signatures by it from then on are
    /// refused), optionally giving the member a replacement key.
    RevokeKey {
        /// The member's node id.
        member: String,
        /// The key (hex).
        key: String,
        /// From when it is no longer trusted (at the latest, from the decision).
        since: String,
        /// A new key for the member (hex), valid from the decision.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replacement: Option<String>,
    },
    /// Replace the charter.
    ChangeCharter {
        /// The new charter.
        charter: Charter,
    },
    /// Adopt or change a community-wide definition.
    Define {
        /// Its name (e.g. `classification-levels`, `negative-categories`,
        /// `taxonomies`, `baseline-agreement`).
        name: String,
        /// Its value.
        value: Value,
    },
}

impl Action {
    /// The kind of decision (and so the charter's rule) this takes.
    pub fn kind(&self) -> DecisionKind {
        match self {
            Action::Admit { .. } => DecisionKind::Admit,
            Action::Suspend { .. } => DecisionKind::Suspend,
            Action::Readmit { .. } => DecisionKind::Readmit,
            Action::Expel { .. } => DecisionKind::Expel,
            Action::RevokeKey { .. } => DecisionKind::RevokeKey,
            Action::ChangeCharter { .. } => DecisionKind::ChangeCharter,
            Action::Define { .. } => DecisionKind::Define,
        }
    }

    /// What the action changes: two open proposals with the same subject conflict (the
    /// first to pass supersedes the other).
    pub fn subject(&self) -> String {
        match self {
            Action::Admit { member, .. } => format!("member:{}", member.node_id),
            Action::Suspend { member } | Action::Readmit { member } | Action::Expel { member } => {
                format!("member:{member}")
            }
            Action::RevokeKey { key, .. } => format!("key:{key}"),
            Action::ChangeCharter { .. } => "charter".to_owned(),
            Action::Define { name, .. } => format!("definition:{name}"),
        }
    }

    /// The member the action is about, who does not vote on it.
    pub fn about_member(&self) -> Option<&str> {
        match self {
            Action::Suspend { member }
            | Action::Expel { member }
            | Action::RevokeKey { member, .. } => Some(member),
            _ => None,
        }
    }

    /// A one-line description.
    pub fn describe(&self) -> String {
        match self {
            Action::Admit { member, sponsors } => format!(
                "admit {} ({}) sponsored by {}",
                member.node_id,
                member.organisation,
                sponsors.join(", ")
            ),
            Action::Suspend { member } => format!("suspend {member}"),
            Action::Readmit { member } => format!("readmit {member}"),
            Action::Expel { member } => format!("expel {member}"),
            Action::RevokeKey { member, key, .. } => {
                let short: String = key.chars().take(16).collect();
                format!("revoke key {short}… of {member}")
            }
            Action::ChangeCharter { .. } => "change the charter".to_owned(),
            Action::Define { name, .. } => format!("define {name}"),
        }
    }
}

/// What an entry says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Content {
    /// A proposal; it counts as its author's yes vote.
    Proposal {
        /// What is proposed.
        action: Action,
        /// Why, in the proposer's words.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        note: String,
    },
    /// A vote on a proposal.
    Vote {
        /// The proposal's entry id.
        proposal: String,
        /// Yes or no.
        choice: Choice,
    },
    /// The author replaces its key: signed by the old key (the entry's `key`) and the
    /// new one; the old key is valid until `effective`, the new one from then.
    RotateKey {
        /// The new key (hex).
        new_key: String,
        /// When the new key takes over.
        effective: String,
    },
}

impl Content {
    /// A one-line description (`propose define taxonomies`, `vote Yes on entry--…`).
    pub fn describe(&self) -> String {
        match self {
            Content::Proposal { action, .. } => format!("propose {}", action.describe()),
            Content::Vote { proposal, choice } => format!("vote {choice:?} on {proposal}"),
            Content::RotateKey { effective, .. } => format!("rotate key from {effective}"),
        }
    }
}

/// What an entry's author signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The community id.
    pub community: String,
    /// The author's node id (a member's id stays the same across key rotations).
    pub author: String,
    /// The key that signs (hex).
    pub key: String,
    /// When the author made it (canonical millisecond timestamp); the log's order.
    pub at: String,
    /// What it says.
    pub content: Content,
}

/// An entry of the governance log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What is signed.
    pub body: EntryBody,
    /// The author's signature (base64) by `body.key`.
    pub signature: String,
    /// For a key rotation: the new key's signature over the same body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_key_signature: Option<String>,
}

impl Entry {
    /// Signs `content` as `key`'s node at `at` (the node must be a member, with that key
    /// valid at `at`, for the entry to count). For a key rotation use [`Entry::rotate`].
    pub fn sign(community: &str, key: &NodeKey, at: &str, content: Content) -> Entry {
        Entry::sign_as(community, &key.node_id(), key, at, content)
    }

    /// Signs `content` for member `author` with `key` (after a rotation the key's own
    /// node id differs from the member's).
    pub fn sign_as(
        community: &str,
        author: &str,
        key: &NodeKey,
        at: &str,
        content: Content,
    ) -> Entry {
        let body = EntryBody {
            community: community.to_owned(),
            author: author.to_owned(),
            key: key.public_hex(),
            at: at.to_owned(),
            content,
        };
        let signature = key.sign_b64(&tagged(ENTRY_TAG, &canonical(&body)));
        Entry {
            body,
            signature,
            new_key_signature: None,
        }
    }

    /// A rotation of `author`'s key from `old` to `new`, taking effect at `effective`.
    pub fn rotate(
        community: &str,
        author: &str,
        old: &NodeKey,
        new: &NodeKey,
        at: &str,
        effective: &str,
    ) -> Entry {
        let mut e = Entry::sign_as(
            community,
            author,
            old,
            at,
            Content::RotateKey {
                new_key: new.public_hex(),
                effective: effective.to_owned(),
            },
        );
        e.new_key_signature = Some(new.sign_b64(&tagged(ENTRY_TAG, &canonical(&e.body))));
        e
    }

    /// The entry id: `entry--` and SHA-256 of the body's RFC 8785 text.
    pub fn id(&self) -> String {
        format!("entry--{}", sha256_hex(&canonical(&self.body)))
    }

    /// Checks what can be checked without the community's state: size, community,
    /// timestamps, keys, and the signatures over the body. Returns the entry id.
    pub fn check(&self, community: &str) -> Result<String, EntryError> {
        self.check_with(community, &mut KeyCache::default())
    }

    /// [`Entry::check`] with keys parsed once per log.
    pub(crate) fn check_with(
        &self,
        community: &str,
        keys: &mut KeyCache,
    ) -> Result<String, EntryError> {
        let size = json_len(self);
        if size > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge {
                what: "entry",
                size,
                max: MAX_ENTRY_BYTES,
            });
        }
        let b = &self.body;
        if b.community != community {
            return Err(EntryError::OtherCommunity {
                found: b.community.clone(),
                expected: community.to_owned(),
            });
        }
        check_time("at", &b.at)?;
        let text = canonical(b);
        let msg = tagged(ENTRY_TAG, &text);
        let key = keys.get(&b.key)?;
        verify_b64(&key, &msg, &self.signature).map_err(|reason| EntryError::Signature {
            signer: b.author.clone(),
            reason,
        })?;
        match &b.content {
            Content::RotateKey { new_key, effective } => {
                check_time("effective", effective)?;
                if effective.as_str() < b.at.as_str() {
                    return Err(EntryError::Malformed(format!(
                        "rotation takes effect at {effective}, before it was made ({})",
                        b.at
                    )));
                }
                let new = keys.get(new_key)?;
                let sig =
                    self.new_key_signature
                        .as_deref()
                        .ok_or_else(|| EntryError::Signature {
                            signer: format!("new key {new_key}"),
                            reason: "a rotation must be signed by the new key too".into(),
                        })?;
                verify_b64(&new, &msg, sig).map_err(|reason| EntryError::Signature {
                    signer: format!("new key {new_key}"),
                    reason,
                })?;
            }
            Content::Proposal { action, .. } => {
                if let Action::Admit { member, .. } = action {
                    member.check()?;
                }
                if let Action::RevokeKey {
                    key,
                    since,
                    replacement,
                    ..
                } = action
                {
                    parse_public(key).map_err(|e| EntryError::Key(e.0))?;
                    check_time("since", since)?;
                    if let Some(r) = replacement {
                        parse_public(r).map_err(|e| EntryError::Key(e.0))?;
                    }
                }
            }
            Content::Vote { .. } => {}
        }
        if self.new_key_signature.is_some() && !matches!(b.content, Content::RotateKey { .. }) {
            return Err(EntryError::Malformed(
                "only a key rotation carries a second signature".into(),
            ));
        }
        Ok(format!("entry--{}", sha256_hex(&text)))
    }
}

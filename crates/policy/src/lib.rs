//! Sovereign outbound policy: pure functions from (object, destination, agreement) to a
//! decision (send, send redacted, withhold) with the rule behind each part. No I/O, no
//! clock: the node's id and redaction key come in a [`Context`].
//!
//! A node's `policy.toml` is parsed by [`Policy::parse`] (a new node gets
//! [`DEFAULT_POLICY`]); [`decide`] answers for one object and one [`Peer`]; [`detect`]
//! shows which categories the detectors assign. The federation crate calls [`decide`]
//! for every object it serves and writes the [`Decision`] to the audit log.
//!
//! # Order of the rules
//!
//! 1. Built-in rules, not overridable: nothing goes back to its origin or to the peer it
//!    came from (`builtin.loop`); an object addressed to some peers (`recipients` in
//!    Concord's extension: node ids or peer names) goes to those peers only
//!    (`builtin.recipients`); standard TLP and Concord PAP marking definitions and
//!    Concord's extension definition always go, with 0 hops as every node ships them
//!    (`builtin.standard-definition`); TLP:RED
//!    never leaves (`builtin.tlp-red`); received TLP:AMBER+STRICT is not passed on
//!    (`builtin.tlp-amber-strict`); distribution `node` never leaves, `peers` goes only
//!    from its origin (`builtin.distribution`); a received `federation` object goes on
//!    only while hops are left, and the receiver gets one less (`builtin.hops`); a local
//!    one carries its extension's `hops` (default 3).
//! 2. The agreement: the one named when the peer was registered, else the first whose
//!    selector covers the peer; none is a withhold (`default-deny`).
//! 3. The agreement's rules (`agreement.NAME.tlp`, `.pap`, `.classification`,
//!    `.categories`, `.redact`). Categories are the object's declared ones (Concord's
//!    grading extension) plus the detectors' (`detector.*`).
//! 4. Redaction: the agreement's `[agreement.redaction]` applies to everything sent under
//!    it; a changed object is sent as `send-redacted`. A category listed in
//!    `redact_categories` goes only when a detector located it and the detectors no
//!    longer find it in the redacted copy; the copy must pass
//!    [`concord_stix::Object::from_value`].
//!
//! Objects without a TLP marking count as the policy's `unmarked_tlp`; TLP 1.0 markings
//! count as their TLP 2.0 levels; granular markings count (the strictest part decides).
//!
//! # The policy file
//!
//! | key | where | type | default | meaning |
//! |---|---|---|---|---|
//! | `unmarked_tlp` | top | TLP level | `"amber"` | the TLP of objects without a TLP marking |
//! | `email` | `[detectors]` | bool | `true` | e-mail addresses in any string -> `personal-information` |
//! | `phone` | `[detectors]` | bool | `true` | numbers in phone properties (`*phone*`, `*mobile*`, `*fax*`, `contact_information`) or written `+E.164` -> `personal-information` |
//! | `user_account` | `[detectors]` | bool | `true` | user-account objects, `account_login`/`user_id` anywhere, user-account literals in patterns -> `personal-information` |
//! | `individual` | `[detectors]` | bool | `true` | `name` of identities with `identity_class = "individual"`, `display_name` of e-mail addresses -> `personal-information` |
//! | `constituency` | `[detectors]` | list of CIDRs | `[]` | IP addresses and networks inside these -> `constituency_category` |
//! | `constituency_category` | `[detectors]` | string | `"victim-identity"` | category of constituency addresses |
//! | `name` | `[[agreement]]` | string | required | 1-64 of `A-Z a-z 0-9 - _`; used in rule names |
//! | `peers` | `[[agreement]]` | `"*"` or list | `[]` | peers by node id or name |
//! | `countries`, `sectors` | `[[agreement]]` | lists | `[]` | peers by country (ISO 3166) and sector; both must match when both are set |
//! | `communities` | `[[agreement]]` | list | `[]` | peers that are active members of one of these communities (name or id); with `countries`/`sectors`, members of that country/sector within the community |
//! | `tlp` | `[[agreement]]` | list of TLP levels | required | levels that may go (`clear`/`white`, `green`, `amber`, `amber+strict`; `red` is refused) |
//! | `pap` | `[[agreement]]` | list of PAP levels | any | levels that may go |
//! | `require_pap` | `[[agreement]]` | bool | `false` | withhold objects without a PAP marking |
//! | `max_classification` | `[[agreement]]` | `general`/`important`/`core` | `"general"` | highest classification that may go |
//! | `deny_categories` | `[[agreement]]` | list | [`DEFAULT_DENY_CATEGORIES`] less `redact_categories` | negative list: never sent (naming a category in both lists is an error) |
//! | `redact_categories` | `[[agreement]]` | list | `[]` | sent only redacted, and only when a detector located the data |
//! | `volume_limit` | `[[agreement]]` | `{ objects, per_secs }` | none | the caller enforces it |
//! | `drop` | `[agreement.redaction]` | list of property names | `[]` | removed wherever they occur (not `id`, `type`, markings, `extensions`, ...) |
//! | `hash_emails` | `[agreement.redaction]` | bool | `true` | `h-<hex>@redacted.invalid` |
//! | `hash_phones` | `[agreement.redaction]` | bool | `true` | `+999` and 11 digits |
//! | `hash_user_accounts` | `[agreement.redaction]` | bool | `true` | logins, user ids, display names -> `h-<hex>`; ids of `user-account` objects keyed |
//! | `hash_names` | `[agreement.redaction]` | bool | `true` | individuals' names -> `h-<hex>` |
//! | `ipv4_prefix`, `ipv6_prefix` | `[agreement.redaction]` | integer | none | truncate addresses to this prefix |
//! | `ip_scope` | `[agreement.redaction]` | `"constituency"`/`"all"` | `"constituency"` | which addresses are truncated |
//!
//! Unknown keys are errors (a typo must not silently allow or deny). Hashes are
//! HMAC-SHA256 under [`Context::redaction_key`], so one value always hashes alike for a
//! node, and nobody without the key can test a guess. With `hash_emails` /
//! `hash_user_accounts`, the ids of `email-addr` / `user-account` objects (which are
//! UUIDv5 of their values, so guessable) become keyed ids in the object and in every
//! reference to them; other SCOs whose value was truncated get the deterministic id of
//! their new value. A STIX pattern is rewritten inside its quoted literals only;
//! Concord's grading extension, identifiers, references and timestamps never are.
//!
//! What redaction does not do: it finds personal data by the detectors' rules only (a
//! name in free text is caught only as the `name` of an individual's identity, and then
//! everywhere that exact name appears); logins and names shorter than 3 characters are
//! replaced only where a whole string equals them; references to a truncated IP
//! address's SCO from other objects keep the old id.
//!
//! # Example
//!
//! ```
//! use concord_policy::{Context, Peer, Policy, Provenance, Verdict, decide};
//! use serde_json::json;
//!
//! let policy = Policy::parse(r#"
//!     [[agreement]]
//!     name = "eu-certs"
//!     countries = ["DE", "FR"]
//!     tlp = ["clear", "green", "amber"]
//!     redact_categories = ["personal-information"]
//!     deny_categories = ["critical-infrastructure"]
//! "#).unwrap();
//! let note = json!({
//!     "type": "note", "spec_version": "2.1",
//!     "id": "note--0d3b3c3e-6b4f-4f6e-9f77-2b1b8a3c9c10",
//!     "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
//!     "content": "Phishing reported by alice@example.org",
//!     "object_refs": ["indicator--9a3c8b1e-5d3f-4c2a-8e6b-1f2d3c4b5a69"],
//!     "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]
//! });
//! let ctx = Context { local_node: "node-a", redaction_key: b"secret" };
//! let here = Provenance { origin: "node-a".into(), received_from: None, hops_left: None };
//! let peer = Peer { node_id: "node-b".into(), name: "CERT-FR".into(),
//!     country: Some("FR".into()), sectors: vec![], agreement: None, communities: vec![] };
//!
//! let d = decide(&policy, &ctx, &note, &here, &peer);
//! assert_eq!(d.verdict, Verdict::SendRedacted);
//! assert_eq!(d.hops_left, 3);
//! assert!(!d.object.as_ref().unwrap().to_string().contains("alice@example.org"));
//! println!("{d}"); // what `concord policy explain` prints
//!
//! let elsewhere = Peer { country: Some("US".into()), ..peer };
//! assert_eq!(decide(&policy, &ctx, &note, &here, &elsewhere).verdict, Verdict::Withhold);
//! ```

use std::fmt;

use serde::Serialize;

mod agreement;
mod decide;
mod detect;
mod file;
mod redact;

pub use agreement::{
    Agreement, DEFAULT_CONSTITUENCY_CATEGORY, DEFAULT_DENY_CATEGORIES, Detectors, IpScope,
    PERSONAL_INFORMATION, PeerList, Redaction,
};
pub use decide::decide;
pub use detect::{Detection, MAX_DEPTH, detect};
pub use file::{Policy, PolicyError, PolicyErrorKind};

/// The commented `policy.toml` a new node gets: every peer may receive TLP:CLEAR and
/// TLP:GREEN objects of classification `general` with no category of the negative list;
/// nothing else.
pub const DEFAULT_POLICY: &str = include_str!("default_policy.toml");

/// A peer as the node registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    /// Its node id.
    pub node_id: String,
    /// Its display name.
    pub name: String,
    /// ISO 3166 country code.
    pub country: Option<String>,
    /// Sectors (`cert`, `energy`, ...).
    pub sectors: Vec<String>,
    /// The agreement the operator named when registering the peer.
    pub agreement: Option<String>,
    /// Names and ids of the communities in which the peer is an active member, as this
    /// node computes them from the governance logs (empty for a bilateral peer).
    pub communities: Vec<String>,
}

/// Where an object came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The node id that created it.
    pub origin: String,
    /// The peer it was received from; `None` = created here.
    pub received_from: Option<String>,
    /// Hops left as received; `None` for local objects.
    pub hops_left: Option<u32>,
}

/// What a decision needs from the node besides the policy.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// This node's id.
    pub local_node: &'a str,
    /// Secret for keyed hashes of redacted values.
    pub redaction_key: &'a [u8],
}

/// Send, send redacted or withhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The object goes as it is.
    Send,
    /// A redacted copy goes.
    SendRedacted,
    /// Nothing goes.
    Withhold,
}

impl Verdict {
    /// `send`, `send-redacted` or `withhold`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Send => "send",
            Verdict::SendRedacted => "send-redacted",
            Verdict::Withhold => "withhold",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Allowed a part.
    Allow,
    /// Withheld the object.
    Deny,
    /// Changed the copy that goes.
    Redact,
    /// A detector assigned a category.
    Detect,
}

impl Effect {
    /// `allow`, `deny`, `redact` or `detect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Redact => "redact",
            Effect::Detect => "detect",
        }
    }
}

/// One rule's part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// The rule (`builtin.tlp-red`, `agreement.eu-certs.tlp`, `detector.email`).
    pub rule: String,
    /// What it did.
    pub effect: Effect,
    /// For a person; never repeats a redacted value.
    pub message: String,
}

/// How many objects may go per period under an agreement; the caller counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct VolumeLimit {
    /// Objects per period.
    pub objects: u64,
    /// The period in seconds.
    pub per_secs: u64,
}

/// The answer for one (object, peer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Send, send redacted or withhold.
    pub verdict: Verdict,
    /// What to send: the object itself or its redacted copy; `None` when withheld.
    pub object: Option<serde_json::Value>,
    /// Hops the receiver gets (0 when withheld).
    pub hops_left: u32,
    /// The agreement that applied, if one was found.
    pub agreement: Option<String>,
    /// Every rule that took part, in the order applied.
    pub reasons: Vec<Reason>,
    /// The agreement's volume limit, when something is sent.
    pub volume_limit: Option<VolumeLimit>,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.verdict)?;
        match &self.agreement {
            Some(a) => write!(f, " (agreement {a}")?,
            None => write!(f, " (no agreement")?,
        }
        if self.verdict != Verdict::Withhold {
            let s = if self.hops_left == 1 { "" } else { "s" };
            write!(f, ", receiver gets {} hop{s}", self.hops_left)?;
        }
        if let Some(v) = self.volume_limit {
            write!(f, ", at most {} objects per {} s", v.objects, v.per_secs)?;
        }
        writeln!(f, ")")?;
        for r in &self.reasons {
            writeln!(f, "  {:<7} {}: {}", r.effect.as_str(), r.rule, r.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_parses() {
        let p = Policy::parse(DEFAULT_POLICY).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p, Policy::builtin_default());
        assert_eq!(p.agreements().len(), 1);
        assert_eq!(p.agreements()[0].name, "default");
    }

    #[test]
    fn verdicts_serialise_as_the_issue_says() {
        let v: Vec<String> = [Verdict::Send, Verdict::SendRedacted, Verdict::Withhold]
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(v, ["\"send\"", "\"send-redacted\"", "\"withhold\""]);
        assert_eq!(
            serde_json::to_string(&Effect::Detect).unwrap(),
            "\"detect\""
        );
    }
}

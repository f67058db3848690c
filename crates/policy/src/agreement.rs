//! What a policy says: the detectors' settings and the agreements (who they cover, what
//! may go, how it is redacted).

use concord_stix::Tlp;
use concord_stix::concord_ext::{Classification, Pap};
use ipnet::IpNet;

use crate::VolumeLimit;

/// Categories an agreement denies when it has no `deny_categories` key.
pub const DEFAULT_DENY_CATEGORIES: &[&str] = &[
    "personal-information",
    "victim-identity",
    "critical-infrastructure",
    "vulnerability-detail",
];

/// The category detected constituency addresses get unless `constituency_category` says
/// otherwise.
pub const DEFAULT_CONSTITUENCY_CATEGORY: &str = "victim-identity";

/// The category the e-mail, phone, user-account and individual detectors assign.
pub const PERSONAL_INFORMATION: &str = "personal-information";

/// The `[detectors]` table: which categories are assigned automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detectors {
    /// E-mail addresses in any string value -> `personal-information`.
    pub email: bool,
    /// Phone numbers in phone properties or in `+E.164` form -> `personal-information`.
    pub phone: bool,
    /// User accounts (user-account objects, patterns, `account_login`, `user_id`) ->
    /// `personal-information`.
    pub user_account: bool,
    /// Names of `identity` objects with `identity_class = "individual"` (and display
    /// names of e-mail addresses) -> `personal-information`.
    pub individual: bool,
    /// The node's own constituency: IP addresses inside these networks get
    /// [`Detectors::constituency_category`].
    pub constituency: Vec<IpNet>,
    /// The category of a constituency address (default `victim-identity`).
    pub constituency_category: String,
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors {
            email: true,
            phone: true,
            user_account: true,
            individual: true,
            constituency: Vec::new(),
            constituency_category: DEFAULT_CONSTITUENCY_CATEGORY.into(),
        }
    }
}

/// Which peers an agreement's `peers` key lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerList {
    /// `peers = "*"`: every peer.
    All,
    /// Node ids or names.
    Named(Vec<String>),
}

/// One `[[agreement]]`: who it covers and what may go there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// Its name (letters, digits, `-`, `_`), used in rule names (`agreement.NAME.tlp`).
    pub name: String,
    /// Peers listed by node id or name, or all.
    pub peers: PeerList,
    /// ISO 3166 country codes (compared without case).
    pub countries: Vec<String>,
    /// Sectors (compared without case).
    pub sectors: Vec<String>,
    /// Communities (names or ids) whose active members it covers.
    pub communities: Vec<String>,
    /// TLP levels that may go.
    pub tlp: Vec<Tlp>,
    /// PAP levels that may go; `None` = any.
    pub pap: Option<Vec<Pap>>,
    /// Withhold objects without a PAP marking.
    pub require_pap: bool,
    /// The highest classification that may go.
    pub max_classification: Classification,
    /// Categories that never go to these peers (lower case).
    pub deny_categories: Vec<String>,
    /// Categories that go only redacted (lower case).
    pub redact_categories: Vec<String>,
    /// What redaction does to every object sent under this agreement.
    pub redaction: Redaction,
    /// How many objects may go per period (the caller enforces it).
    pub volume_limit: Option<VolumeLimit>,
}

/// Which IP addresses truncation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpScope {
    /// Only addresses inside the constituency networks.
    Constituency,
    /// Every address.
    All,
}

/// An agreement's `[agreement.redaction]` table, applied to every object sent under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Property names removed wherever they occur.
    pub drop: Vec<String>,
    /// Replace e-mail addresses by keyed hashes.
    pub hash_emails: bool,
    /// Replace phone numbers by keyed hashes.
    pub hash_phones: bool,
    /// Replace user-account logins, ids and display names by keyed hashes.
    pub hash_user_accounts: bool,
    /// Replace individuals' names by keyed hashes.
    pub hash_names: bool,
    /// Truncate IPv4 addresses to this prefix length.
    pub ipv4_prefix: Option<u8>,
    /// Truncate IPv6 addresses to this prefix length.
    pub ipv6_prefix: Option<u8>,
    /// Which addresses are truncated.
    pub ip_scope: IpScope,
}

impl Default for Redaction {
    fn default() -> Self {
        Redaction {
            drop: Vec::new(),
            hash_emails: true,
            hash_phones: true,
            hash_user_accounts: true,
            hash_names: true,
            ipv4_prefix: None,
            ipv6_prefix: None,
            ip_scope: IpScope::Constituency,
        }
    }
}

impl Agreement {
    /// Whether `peer` is covered by this agreement's selector (`peers`, or `communities`,
    /// `countries` and `sectors` together), and why.
    pub fn selects(&self, peer: &crate::Peer) -> Option<&'static str> {
        match &self.peers {
            PeerList::All => return Some("peers = \"*\""),
            PeerList::Named(list) => {
                if list
                    .iter()
                    .any(|p| *p == peer.node_id || p.eq_ignore_ascii_case(&peer.name))
                {
                    return Some("listed in peers");
                }
            }
        }
        let community = !self.communities.is_empty();
        if community
            && !peer
                .communities
                .iter()
                .any(|c| self.communities.contains(c))
        {
            return None;
        }
        if self.countries.is_empty() && self.sectors.is_empty() {
            return community.then_some("community member");
        }
        let country_ok = self.countries.is_empty()
            || peer
                .country
                .as_deref()
                .is_some_and(|c| self.countries.iter().any(|x| x.eq_ignore_ascii_case(c)));
        let sector_ok = self.sectors.is_empty()
            || peer
                .sectors
                .iter()
                .any(|s| self.sectors.iter().any(|x| x.eq_ignore_ascii_case(s)));
        (country_ok && sector_ok).then_some(if community {
            "country/sector within the community"
        } else {
            "country/sector"
        })
    }
}

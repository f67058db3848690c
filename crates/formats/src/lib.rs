//! Importers and exporters between STIX 2.1 and the formats CERTs already use: MISP JSON
//! events and feeds, CSAF 2.0 advisories, CSV and one-value-per-line feeds, and exports
//! for MISP, Suricata, hosts files and plain lists.
//!
//! Pure conversion: input as readers, output as `serde_json::Value` STIX objects handed
//! one by one to a callback as [`Item`]s (an object, or a located [`FormatError`] after
//! which reading goes on). No store and no clock: "now" comes in the [`Source`]. The one
//! exception to "no I/O" is the `fetch` module (feature `fetch`, on by default): files and
//! HTTP(S) for feeds, behind the `fetch::Fetch` trait.
//! Every object an importer emits passes `concord_stix::Object::from_value`, and every
//! STIX pattern it writes parses with `concord_pattern::parse`. Ids are deterministic
//! (the MISP uuid, or UUIDv5 over source and value), so importing the same input twice
//! gives the same objects; [`settle::settle`] keeps the held version when only the
//! import's own timestamps differ.
//!
//! ```
//! use concord_formats::{Item, Source, plain::{self, Layout}, observable::Kind};
//!
//! let source = Source::new("blocklist.de", "2026-01-01T00:00:00.000Z");
//! let mut objects = Vec::new();
//! plain::read("# list\n198.51.100.4\nnot an ip\n".as_bytes(), &Layout::lines(Kind::Ipv4), &source,
//!     &mut |item| { if let Item::Object(v) = item { objects.push(v) } true }).unwrap();
//! assert_eq!(objects[1]["pattern"], "[ipv4-addr:value = '198.51.100.4']");
//! ```
//!
//! # MISP to STIX 2.1
//!
//! | MISP | STIX 2.1 (Concord) |
//! |---|---|
//! | event | `grouping--<event uuid>` (context `suspicious-activity`, name = `info`, `object_refs` = everything below); date, threat level, analysis, published, distribution, sharing group in the MISP extension |
//! | `Orgc` / `Org` | `identity--<org uuid>` (`organization`), the `created_by_ref` of every object |
//! | attribute, `to_ids` true, type with an observable | `indicator--<attribute uuid>`, pattern from the type (below), `valid_from` = `first_seen` or timestamp, `valid_until` = `last_seen` |
//! | attribute, `to_ids` false, type with an observable | `observed-data--<attribute uuid>` with its SCOs (ids UUIDv5 over attribute uuid and value) |
//! | `ip-src`, `ip-dst` | `ipv4-addr:value` / `ipv6-addr:value` (`ISSUBSET` for a CIDR) |
//! | `domain`, `hostname` | `domain-name:value` |
//! | `domain\|ip` | `domain-name:value` AND `domain-name:resolves_to_refs[*].value` |
//! | `ip-dst\|port`, `ip-src\|port` | `network-traffic:dst_ref.value` AND `dst_port` (src likewise) |
//! | `url`, `link` | `url:value` |
//! | `email`, `email-src`, `email-dst`, ... | `email-addr:value`; `email-subject`: `email-message:subject` |
//! | `md5`, `sha1`, `sha256`, `sha512`, `sha3-*`, `ssdeep`, `tlsh` | `file:hashes.'MD5'` ... |
//! | `filename`, `filename\|<hash>`, `malware-sample` | `file:name` (AND `file:hashes`) |
//! | `AS` | `autonomous-system:number` |
//! | `mutex`, `regkey`, `regkey\|value`, `mac-address`, `x509-fingerprint-*` | `mutex:name`, `windows-registry-key:key` (AND `values[*].data`), `mac-addr:value`, `x509-certificate:hashes` |
//! | `yara`, `snort`, `sigma`, `suricata`, `stix2-pattern` (`to_ids`) | indicator with that `pattern_type` |
//! | `vulnerability` | `vulnerability--<uuid>` with a `cve` external reference |
//! | any other MISP type (`text`, `comment`, `port`, ...) | `note--<uuid>` (content = value) |
//! | a type MISP does not define | error at `$...Attribute[i].type`, the rest goes on |
//! | object | one `indicator` (pattern over its `to_ids` attributes: same path OR, same SCO type AND, types AND) or `observed-data` or `note`; all its attributes, one by one, in the MISP extension; label `misp-object:<name>` |
//! | object reference; MISP 2.5 analyst `Relationship` of an attribute or object | `relationship` (`relationship_type` from MISP's, uuid kept); a target outside the event is a warning |
//! | tag `tlp:*` | TLP 2.0 marking (`white` = `clear`), the attribute's own or else the event's |
//! | tag `PAP:*` | PAP marking (`concord_ext::Pap`, its definition emitted once) |
//! | any other tag (taxonomies, `misp-galaxy:`) | label |
//! | galaxy cluster | `threat-actor`, `intrusion-set`, `malware` (family), `tool`, `attack-pattern`, `course-of-action` by galaxy type (aliases from synonyms, references from refs); other galaxies stay tags. The grouping lists the event's clusters; a cluster attached to an attribute (top level, or inside an object: then from the object's STIX object) is reached through a `related-to` relationship |
//! | sighting type 0 / 1 | `sighting` (where sighted: the organisation) / `opinion` `strongly-disagree` (false positive); type 2 (expiration) is not imported |
//! | event report | `note` (abstract = name) |
//! | distribution 0 / 1, 4 / 2 / 3 / 5 | Concord grading `node` / `peers` / `federation` with 1 hop / `federation` / the event's |
//! | shadow attribute (proposal) of an attribute, of an attribute inside an object, of the event | not applied (the event's owner has not accepted it): a `note` on the attribute's STIX object, the object holding it, or the grouping, written by the proposing organisation, the proposed record in the MISP extension (`proposal`); a proposal to delete: an `opinion` `disagree` |
//! | deleted records | not imported |
//!
//! Where Concord maps differently from MISP's `misp-stix` (compared in
//! `tests/misp_stix_coverage.rs`, on misp-stix's own STIX export of its test events and on
//! what misp-stix 2026.10.12 makes of every event of the corpus,
//! `tests/data/misp-stix/reference.json`): the event is a grouping with the same id, and
//! indicators have the same ids and compare the same values (283 of 284 indicators; the
//! other is a `regkey|value` whose `%` misp-stix escapes, so that its pattern no longer
//! matches the registry value); observed data has the same ids and SCO values. But
//! misp-stix writes observed data *and* an indicator with a `based-on` relationship for
//! every `to_ids` attribute (284 in the corpus), while Concord writes the indicator only
//! (`to_ids` says the value is for detection; an analyst asked for one object, and the
//! matcher needs only the indicator). misp-stix gives up on a whole event when a galaxy
//! cluster has no uuid (3 events of the corpus); Concord mints the cluster's id from the
//! galaxy type and value. misp-stix records the MISP
//! type and category as `misp:type="…"` labels and unmapped values as `x_misp_*`
//! properties; Concord keeps labels for tags only and carries the MISP view in one
//! extension definition (STIX 2.1 section 7.3), which is also what lets an export give
//! the attributes back exactly. misp-stix gives SCOs the attribute's uuid; Concord mints
//! them from it with UUIDv5 so that the same value under two markings never collides.
//! `ip-src`/`ip-dst` become plain address comparisons, not `network-traffic` ones, so
//! the matcher's exact index decides them. misp-stix leaves proposals (shadow attributes)
//! out; Concord keeps them as notes and opinions (above).
//!
//! Back to MISP ([`misp::export`]): relationships become object references (source a MISP
//! object), analyst relationships of attributes (source an attribute), cluster tags
//! (target a galaxy SDO), or lines of an event report "Relationships (Concord)" where MISP
//! has no place for them; proposals become shadow attributes again.
//!
//! # Other formats
//!
//! - CSAF 2.0: mapping table in [`csaf`]; the mandatory tests of section 6.1 that are
//!   run (and those that are not) in [`csaf::mandatory`].
//! - MISP export: [`misp::export`]; the MISP feed layout: [`misp::feed`].
//! - Plain lists, CSV, hosts files and Suricata rules: [`export`].
//! - MISP warning lists, and how flagged indicators are left out of matching:
//!   [`warninglist`].
//!
//! # Plain and CSV feeds
//!
//! Each value is one `indicator` with id UUIDv5(source, kind, value), pattern as above,
//! `valid_from` = the feed's first-seen column or the import time, `created_by_ref` = the
//! feed's identity, labels and confidence and TLP from the import's options, a label from
//! a label column. See [`plain::presets`] for known layouts. A value listed twice in one
//! file (Team Cymru lists one address per report) gives versions of one indicator; the
//! last line read is the current one.

pub mod csaf;
pub mod error;
pub mod export;
#[cfg(feature = "fetch")]
pub mod fetch;
mod json_stream;
pub mod misp;
pub mod observable;
pub mod plain;
pub mod settle;
pub mod source;
pub mod warninglist;

pub use error::{FormatError, Item, Location};
pub use source::Source;

/// What an input is, as [`detect`] recognises it from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detected {
    /// A STIX bundle, array of objects or object.
    Stix,
    /// A MISP event (`Event`, `response`, or a bare event with `Attribute`).
    Misp,
    /// A CSAF 2.0 document.
    Csaf,
    /// Text: CSV or one value per line.
    Text,
}

/// Recognises a format from the start of the input (64 KiB is plenty): JSON holding
/// `"Event"`, `"response"` or `"Attribute"` keys is MISP, JSON with `"csaf_version"` is
/// CSAF, other JSON is STIX, anything else is text.
pub fn detect(head: &[u8]) -> Detected {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = start.map(|i| head[i]) else {
        return Detected::Text;
    };
    if first != b'{' && first != b'[' {
        return Detected::Text;
    }
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"\"csaf_version\"") {
        Detected::Csaf
    } else if has(b"\"type\"")
        && (has(b"\"spec_version\"") || has(b"\"bundle\""))
        && !has(b"\"Attribute\"")
    {
        Detected::Stix
    } else if has(b"\"Event\"")
        || has(b"\"response\"")
        || has(b"\"Attribute\"")
        || has(b"\"threat_level_id\"")
    {
        Detected::Misp
    } else {
        Detected::Stix
    }
}

//! Query parameters of the TAXII read routes (`added_after`, `limit`, `next`, `match[...]`)
//! and the stateless `next` token: a `seq` position bound by a keyed MAC to the
//! collection, the route and the filters, so a tampered token or one from another
//! collection or query is refused.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::TaxiiError;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page served; a larger `limit` is lowered to it (TAXII lets servers do so).
pub const MAX_LIMIT: usize = 1_000;

/// Which versions of each object `match[version]` selects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionSelection {
    /// The newest version.
    pub last: bool,
    /// The oldest version.
    pub first: bool,
    /// Every version.
    pub all: bool,
    /// Versions with exactly these `modified` instants.
    pub at: Vec<DateTime<Utc>>,
}

impl VersionSelection {
    /// Whether only the newest version is asked for (the default).
    pub fn only_last(&self) -> bool {
        self.last && !self.first && !self.all && self.at.is_empty()
    }

    /// Indexes (into versions sorted oldest first, with these versions) that are selected.
    pub fn select(&self, versions: &[&str]) -> Vec<usize> {
        let n = versions.len();
        (0..n)
            .filter(|&i| {
                self.all
                    || (self.last && i + 1 == n)
                    || (self.first && i == 0)
                    || (!self.at.is_empty()
                        && concord_stix::Timestamp::parse(versions[i])
                            .is_ok_and(|t| self.at.contains(&t.instant())))
            })
            .collect()
    }
}

/// Parsed parameters of a read route.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// `added_after`, in the store's `date_added` form (microseconds).
    pub added_after: Option<String>,
    /// Page size.
    pub limit: usize,
    /// The position after which to continue (from a verified `next`).
    pub cursor: Option<i64>,
    /// `match[id]`.
    pub ids: Vec<String>,
    /// `match[type]`.
    pub types: Vec<String>,
    /// `match[version]`.
    pub versions: VersionSelection,
    /// `match[spec_version]` (empty: any).
    pub spec_versions: Vec<String>,
    /// The filters in a canonical form, what `next` tokens are bound to.
    canonical: String,
    next_raw: Option<String>,
}

impl Params {
    /// Parses a raw query string; `allowed_match` lists the `match[...]` fields the route takes.
    pub fn parse(raw: Option<&str>, allowed_match: &[&str]) -> Result<Params, TaxiiError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
                TaxiiError::bad_parameter("query", format!("the query string cannot be read: {e}"))
            })?;
        let mut p = Params {
            limit: DEFAULT_LIMIT,
            versions: VersionSelection::default(),
            ..Params::default()
        };
        let mut canonical: Vec<(String, String)> = Vec::new();
        for (key, value) in pairs {
            if let Some(field) = key.strip_prefix("match[").and_then(|k| k.strip_suffix(']')) {
                if !allowed_match.contains(&field) {
                    return Err(TaxiiError::bad_parameter(
                        &key,
                        format!(
                            "unknown filter `{key}`; this endpoint takes match[{}]",
                            allowed_match.join("], match[")
                        ),
                    ));
                }
                canonical.push((key.clone(), value.clone()));
                let items = value.split(',').map(str::trim).filter(|v| !v.is_empty());
                match field {
                    "id" => p.ids.extend(items.map(str::to_owned)),
                    "type" => {
                        for t in items {
                            concord_stix::id::check_type_name(t).map_err(|e| {
                                TaxiiError::bad_parameter(
                                    &key,
                                    format!("{t:?} is not a STIX type: {e}"),
                                )
                            })?;
                            p.types.push(t.to_owned());
                        }
                    }
                    "spec_version" => p.spec_versions.extend(items.map(str::to_owned)),
                    _ => {
                        for v in items {
                            match v {
                                "last" => p.versions.last = true,
                                "first" => p.versions.first = true,
                                "all" => p.versions.all = true,
                                t => {
                                    let ts = concord_stix::Timestamp::parse(t).map_err(|e| {
                                        TaxiiError::bad_parameter(
                                            &key,
                                            format!("{t:?} is neither last, first, all nor a timestamp: {e}"),
                                        )
                                    })?;
                                    p.versions.at.push(ts.instant());
                                }
                            }
                        }
                    }
                }
                continue;
            }
            match key.as_str() {
                "added_after" => {
                    let t = concord_stix::Timestamp::parse(&value).map_err(|e| {
                        TaxiiError::bad_parameter(
                            "added_after",
                            format!("`added_after` {value:?} is not a timestamp: {e}"),
                        )
                    })?;
                    p.added_after = Some(concord_store::date_added::format(t.instant()));
                    canonical.push((key, value));
                }
                "limit" => {
                    let n = value
                        .trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| {
                            TaxiiError::bad_parameter(
                                "limit",
                                format!(
                                    "`limit` must be a whole number of 1 or more, not {value:?}"
                                ),
                            )
                        })?;
                    p.limit = usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
                }
                "next" => p.next_raw = Some(value),
                // Other parameters (cache busters and the like) are ignored, as TAXII allows.
                _ => {}
            }
        }
        if !(p.versions.first || p.versions.all || !p.versions.at.is_empty()) {
            p.versions.last = true;
        }
        canonical.sort();
        p.canonical = canonical
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        Ok(p)
    }

    /// Verifies the `next` token (if any) for this route and sets `cursor`.
    pub fn verify_next(&mut self, key: &[u8], scope: &str) -> Result<(), TaxiiError> {
        let Some(raw) = self.next_raw.take() else {
            return Ok(());
        };
        let bad = || {
            TaxiiError::bad_parameter(
                "next",
                "`next` was not issued by this server for this collection and these filters; start again without it",
            )
        };
        let (seq, mac) = raw.split_once('.').ok_or_else(bad)?;
        let seq: i64 = seq.parse().ok().filter(|s| *s >= 0).ok_or_else(bad)?;
        if mac != self.mac(key, scope, seq) {
            return Err(bad());
        }
        self.cursor = Some(seq);
        Ok(())
    }

    /// The `next` token for continuing after `seq`.
    pub fn next_token(&self, key: &[u8], scope: &str, seq: i64) -> String {
        format!("{seq}.{}", self.mac(key, scope, seq))
    }

    fn mac(&self, key: &[u8], scope: &str, seq: i64) -> String {
        let msg = format!("{scope}\n{}\n{seq}", self.canonical);
        hex::encode(&hmac_sha256(key, msg.as_bytes())[..12])
    }
}

/// HMAC-SHA-256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[&str] = &["id", "type", "version", "spec_version"];

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn next_tokens_are_bound_to_scope_and_filters() {
        let p = Params::parse(Some("match[type]=indicator&limit=5"), ALL).unwrap();
        let token = p.next_token(b"k", "objects:c1", 42);
        let mut again =
            Params::parse(Some(&format!("match[type]=indicator&next={token}")), ALL).unwrap();
        again.verify_next(b"k", "objects:c1").unwrap();
        assert_eq!(again.cursor, Some(42));
        let mut other =
            Params::parse(Some(&format!("match[type]=indicator&next={token}")), ALL).unwrap();
        assert!(other.verify_next(b"k", "objects:c2").is_err());
        let mut filt =
            Params::parse(Some(&format!("match[type]=malware&next={token}")), ALL).unwrap();
        assert!(filt.verify_next(b"k", "objects:c1").is_err());
        let tampered = token.replacen("42", "41", 1);
        let mut t =
            Params::parse(Some(&format!("match[type]=indicator&next={tampered}")), ALL).unwrap();
        assert!(t.verify_next(b"k", "objects:c1").is_err());
    }

    #[test]
    fn bad_parameters_are_refused() {
        for q in [
            "limit=0",
            "limit=-1",
            "limit=x",
            "added_after=yesterday",
            "match[colour]=red",
            "match[version]=newest",
        ] {
            assert!(Params::parse(Some(q), ALL).is_err(), "{q}");
        }
        assert_eq!(
            Params::parse(Some("limit=99999999999"), ALL).unwrap().limit,
            MAX_LIMIT
        );
    }

    #[test]
    fn version_selection() {
        let p = Params::parse(Some("match[version]=first,2020-01-02T00:00:00Z"), ALL).unwrap();
        let v = [
            "2020-01-01T00:00:00.000Z",
            "2020-01-02T00:00:00.000Z",
            "2020-01-03T00:00:00.000Z",
        ];
        assert_eq!(p.versions.select(&v), vec![0, 1]);
        let d = Params::parse(None, ALL).unwrap();
        assert!(d.versions.only_last());
        assert_eq!(d.versions.select(&v), vec![2]);
    }
}

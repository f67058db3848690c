//! MISP attribute types: which ones Concord knows, and how each maps to STIX comparisons
//! (for an indicator's pattern) and cyber-observable objects (for observed data).

use std::cell::Cell;

use serde_json::{Map, Value, json};

use crate::observable::{self, Kind, quote};

/// Mints the ids of the SCOs that [`observe`] builds (`(type, n)` for the n-th SCO of a
/// record); without one, no SCOs are built (an indicator needs only its comparisons).
pub struct Ids<'a> {
    mint: &'a dyn Fn(&str, usize) -> String,
    n: Cell<usize>,
}

impl<'a> Ids<'a> {
    /// Ids from `mint`.
    pub fn new(mint: &'a dyn Fn(&str, usize) -> String) -> Self {
        Ids {
            mint,
            n: Cell::new(0),
        }
    }

    fn make(&self, ty: &str, mut m: Map<String, Value>) -> Value {
        let n = self.n.get();
        self.n.set(n + 1);
        m.insert("id".into(), json!((self.mint)(ty, n)));
        Value::Object(m)
    }
}

/// The SCO, built by `m` only when SCOs are wanted (an indicator needs its comparisons
/// alone).
fn make(ids: Option<&Ids<'_>>, ty: &str, m: impl FnOnce() -> Map<String, Value>) -> Option<Value> {
    ids.map(|i| i.make(ty, m()))
}

/// MISP's attribute types (from MISP's published type list). A type not here is an
/// error; a type here without a STIX mapping becomes a `note`.
pub const KNOWN_TYPES: &[&str] = &[
    "md5",
    "sha1",
    "sha256",
    "sha384",
    "sha512",
    "sha512/224",
    "sha512/256",
    "sha3-224",
    "sha3-256",
    "sha3-384",
    "sha3-512",
    "sha224",
    "ssdeep",
    "imphash",
    "telfhash",
    "impfuzzy",
    "authentihash",
    "vhash",
    "pehash",
    "tlsh",
    "cdhash",
    "filename",
    "filename|md5",
    "filename|sha1",
    "filename|sha224",
    "filename|sha256",
    "filename|sha384",
    "filename|sha512",
    "filename|sha512/224",
    "filename|sha512/256",
    "filename|sha3-224",
    "filename|sha3-256",
    "filename|sha3-384",
    "filename|sha3-512",
    "filename|authentihash",
    "filename|vhash",
    "filename|ssdeep",
    "filename|tlsh",
    "filename|imphash",
    "filename|impfuzzy",
    "filename|pehash",
    "mac-address",
    "mac-eui-64",
    "ip-src",
    "ip-dst",
    "ip-dst|port",
    "ip-src|port",
    "port",
    "hostname",
    "hostname|port",
    "domain",
    "domain|ip",
    "email",
    "email-src",
    "eppn",
    "email-dst",
    "email-subject",
    "email-attachment",
    "email-body",
    "email-dst-display-name",
    "email-src-display-name",
    "email-header",
    "email-reply-to",
    "email-x-mailer",
    "email-mime-boundary",
    "email-thread-index",
    "email-message-id",
    "url",
    "uri",
    "user-agent",
    "http-method",
    "AS",
    "snort",
    "pattern-in-file",
    "pattern-in-traffic",
    "pattern-in-memory",
    "filename-pattern",
    "pgp-public-key",
    "pgp-private-key",
    "yara",
    "stix2-pattern",
    "sigma",
    "gene",
    "kusto-query",
    "mime-type",
    "identity-card-number",
    "cookie",
    "vulnerability",
    "cpe",
    "weakness",
    "attachment",
    "malware-sample",
    "link",
    "comment",
    "text",
    "hex",
    "other",
    "named pipe",
    "mutex",
    "process-state",
    "target-user",
    "target-email",
    "target-machine",
    "target-org",
    "target-location",
    "target-external",
    "btc",
    "dash",
    "xmr",
    "iban",
    "bic",
    "bank-account-nr",
    "aba-rtn",
    "bin",
    "cc-number",
    "prtn",
    "phone-number",
    "threat-actor",
    "campaign-name",
    "campaign-id",
    "malware-type",
    "uri",
    "authentihash",
    "windows-scheduled-task",
    "windows-service-name",
    "windows-service-displayname",
    "whois-registrant-email",
    "whois-registrant-phone",
    "whois-registrant-name",
    "whois-registrant-org",
    "whois-registrar",
    "whois-creation-date",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
    "dns-soa-email",
    "size-in-bytes",
    "counter",
    "datetime",
    "port",
    "ip-dst|port",
    "ip-src|port",
    "hostname|port",
    "mac-address",
    "mac-eui-64",
    "email-dst-display-name",
    "github-username",
    "github-repository",
    "github-organisation",
    "jabber-id",
    "twitter-id",
    "dkim",
    "dkim-signature",
    "first-name",
    "middle-name",
    "last-name",
    "full-name",
    "date-of-birth",
    "place-of-birth",
    "gender",
    "passport-number",
    "passport-country",
    "passport-expiration",
    "redress-number",
    "nationality",
    "visa-number",
    "issue-date-of-the-visa",
    "primary-residence",
    "country-of-residence",
    "special-service-request",
    "frequent-flyer-number",
    "travel-details",
    "payment-details",
    "place-port-of-original-embarkation",
    "place-port-of-clearance",
    "place-port-of-onward-foreign-destination",
    "passenger-name-record-locator-number",
    "mobile-application-id",
    "azure-application-id",
    "chrome-extension-id",
    "cortex",
    "boolean",
    "anonymised",
    "community-id",
    "favicon-mmh3",
    "dom-hash",
    "onion-address",
    "float",
    "ja3-fingerprint-md5",
    "jarm-fingerprint",
    "hassh-md5",
    "hasshserver-md5",
    "regkey",
    "regkey|value",
    "snort",
    "bro",
    "zeek",
    "suricata",
    "stix2-pattern",
    "windows-scheduled-task",
    "email-attachment",
];

/// Whether MISP knows this attribute type.
pub fn is_known(ty: &str) -> bool {
    // A set instead of a scan of ~190 names (the scan was a visible part of converting
    // large events).
    static KNOWN: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| KNOWN_TYPES.iter().copied().collect());
    KNOWN.contains(ty)
}

/// Pattern types of rule attributes: they become indicators in their own language.
pub fn rule_language(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "yara" => "yara",
        "snort" => "snort",
        "sigma" => "sigma",
        "suricata" => "suricata",
        "stix2-pattern" => "stix",
        _ => return None,
    })
}

/// A MISP attribute (or object attribute) as STIX: the comparisons that describe it (all
/// on `sco_type`) and the SCOs of observed data.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The SCO type all comparisons are on.
    pub sco_type: &'static str,
    /// Comparisons without brackets (`file:name = 'x'`).
    pub comparisons: Vec<String>,
    /// SCOs (with deterministic ids); the first is the main one.
    pub scos: Vec<Value>,
}

fn simple(kind: Kind, v: &str, ids: Option<&Ids<'_>>) -> Result<Observed, String> {
    let v = observable::normalise(kind, v)?;
    let kind = kind.for_value(&v);
    Ok(Observed {
        sco_type: kind.sco_type(),
        comparisons: vec![observable::comparison(kind, &v)],
        scos: make(ids, kind.sco_type(), || observable::sco_map(kind, &v))
            .into_iter()
            .collect(),
    })
}

fn hash_algo(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "sha512" => "SHA-512",
        "sha3-256" => "SHA3-256",
        "sha3-512" => "SHA3-512",
        "ssdeep" => "SSDEEP",
        "tlsh" => "TLSH",
        _ => return None,
    })
}

fn file(name: Option<&str>, hash: Option<(&str, &str)>, ids: Option<&Ids<'_>>) -> Observed {
    let mut comparisons = Vec::new();
    if let Some((algo, h)) = hash {
        comparisons.push(format!("file:hashes.'{algo}' = {}", quote(h)));
    }
    if let Some(n) = name {
        comparisons.push(format!("file:name = {}", quote(n)));
    }
    let sco = || {
        let mut m = Map::new();
        m.insert("type".into(), Value::from("file"));
        m.insert("spec_version".into(), Value::from("2.1"));
        if let Some((algo, h)) = hash {
            m.insert("hashes".into(), json!({ algo: h }));
        }
        if let Some(n) = name {
            m.insert("name".into(), Value::from(n));
        }
        m
    };
    Observed {
        sco_type: "file",
        comparisons,
        scos: make(ids, "file", sco).into_iter().collect(),
    }
}

fn hash_value(algo: &str, v: &str) -> Result<String, String> {
    let v = v.trim();
    let want = match algo {
        "MD5" => Some(32),
        "SHA-1" => Some(40),
        "SHA-256" | "SHA3-256" => Some(64),
        "SHA-512" | "SHA3-512" => Some(128),
        _ => None,
    };
    match want {
        Some(n) if v.len() != n || !v.bytes().all(|b| b.is_ascii_hexdigit()) => Err(format!(
            "{v:?} is not a {algo} hash ({n} hexadecimal digits)"
        )),
        Some(_) => Ok(v.to_ascii_lowercase()),
        None if v.is_empty() => Err("empty hash".into()),
        None => Ok(v.to_owned()),
    }
}

fn one_sco(
    ty: &'static str,
    prop: &str,
    v: &str,
    extra: &[(&str, Value)],
    ids: Option<&Ids<'_>>,
) -> Observed {
    let sco = || {
        let mut m = Map::new();
        m.insert("type".into(), Value::from(ty));
        m.insert("spec_version".into(), Value::from("2.1"));
        m.insert(prop.into(), Value::from(v));
        for (k, x) in extra {
            m.insert((*k).into(), x.clone());
        }
        m
    };
    Observed {
        sco_type: ty,
        comparisons: vec![format!("{ty}:{prop} = {}", quote(v))],
        scos: make(ids, ty, sco).into_iter().collect(),
    }
}

/// The STIX view of one attribute value, or `Ok(None)` when Concord has no STIX
/// observable for the type (it becomes a `note`). An `Err` says why the value does not
/// fit its type.
pub fn observe(ty: &str, value: &str, ids: Option<&Ids<'_>>) -> Result<Option<Observed>, String> {
    let pair = || {
        value
            .split_once('|')
            .ok_or_else(|| format!("a `{ty}` value must be two parts separated by `|`"))
    };
    Ok(Some(match ty {
        "ip-src" | "ip-dst" => simple(Kind::Ipv4, value, ids)?,
        "domain" | "hostname" => simple(Kind::Domain, value, ids)?,
        "url" | "link" => simple(Kind::Url, value, ids)?,
        "email"
        | "email-src"
        | "email-dst"
        | "target-email"
        | "whois-registrant-email"
        | "dns-soa-email" => simple(Kind::Email, value, ids)?,
        "AS" => simple(Kind::Asn, value, ids)?,
        "filename" => file(Some(value), None, ids),
        "mutex" => one_sco("mutex", "name", value, &[], ids),
        "regkey" => one_sco("windows-registry-key", "key", value, &[], ids),
        "mac-address" => one_sco("mac-addr", "value", &value.to_ascii_lowercase(), &[], ids),
        "email-subject" => one_sco(
            "email-message",
            "subject",
            value,
            &[("is_multipart", Value::from(false))],
            ids,
        ),
        "regkey|value" => {
            let (k, d) = pair()?;
            let mut o = one_sco("windows-registry-key", "key", k, &[], ids);
            o.comparisons.push(format!(
                "windows-registry-key:values[*].data = {}",
                quote(d)
            ));
            o
        }
        "x509-fingerprint-sha1" | "x509-fingerprint-md5" | "x509-fingerprint-sha256" => {
            let algo = match ty {
                "x509-fingerprint-sha1" => "SHA-1",
                "x509-fingerprint-md5" => "MD5",
                _ => "SHA-256",
            };
            let h = hash_value(algo, value)?;
            let mut m = Map::new();
            m.insert("type".into(), Value::from("x509-certificate"));
            m.insert("spec_version".into(), Value::from("2.1"));
            m.insert("hashes".into(), json!({ algo: h }));
            Observed {
                sco_type: "x509-certificate",
                comparisons: vec![format!("x509-certificate:hashes.'{algo}' = {}", quote(&h))],
                scos: make(ids, "x509-certificate", || m).into_iter().collect(),
            }
        }
        "domain|ip" => {
            let (d, ip) = pair()?;
            let d = observable::normalise(Kind::Domain, d)?;
            let ip = observable::normalise(Kind::Ipv4, ip)?;
            let ip_kind = Kind::Ipv4.for_value(&ip);
            let ip_sco = make(ids, ip_kind.sco_type(), || {
                observable::sco_map(ip_kind, &ip)
            });
            let mut dm = Map::new();
            dm.insert("type".into(), Value::from("domain-name"));
            dm.insert("spec_version".into(), Value::from("2.1"));
            dm.insert("value".into(), Value::from(d.clone()));
            if let Some(ip) = &ip_sco {
                dm.insert("resolves_to_refs".into(), json!([ip["id"]]));
            }
            Observed {
                sco_type: "domain-name",
                comparisons: vec![
                    format!("domain-name:value = {}", quote(&d)),
                    format!("domain-name:resolves_to_refs[*].value = {}", quote(&ip)),
                ],
                scos: make(ids, "domain-name", || dm)
                    .into_iter()
                    .chain(ip_sco)
                    .collect(),
            }
        }
        "ip-dst|port" | "ip-src|port" => {
            let (ip, port) = value
                .rsplit_once('|')
                .ok_or_else(|| format!("a `{ty}` value must be `address|port`"))?;
            let ip = observable::normalise(Kind::Ipv4, ip)?;
            let port: u16 = port
                .trim()
                .parse()
                .map_err(|_| format!("{port:?} is not a port number"))?;
            let kind = Kind::Ipv4.for_value(&ip);
            let ip_sco = make(ids, kind.sco_type(), || observable::sco_map(kind, &ip));
            let side = if ty == "ip-src|port" { "src" } else { "dst" };
            let mut m = Map::new();
            m.insert("type".into(), Value::from("network-traffic"));
            m.insert("spec_version".into(), Value::from("2.1"));
            if let Some(ip) = &ip_sco {
                m.insert(format!("{side}_ref"), ip["id"].clone());
            }
            m.insert(format!("{side}_port"), Value::from(port));
            m.insert("protocols".into(), json!(["ip"]));
            Observed {
                sco_type: "network-traffic",
                comparisons: vec![
                    format!("network-traffic:{side}_ref.value = {}", quote(&ip)),
                    format!("network-traffic:{side}_port = {port}"),
                ],
                scos: make(ids, "network-traffic", || m)
                    .into_iter()
                    .chain(ip_sco)
                    .collect(),
            }
        }
        "malware-sample" | "filename|md5" | "filename|sha1" | "filename|sha256"
        | "filename|sha512" | "filename|ssdeep" | "filename|tlsh" | "filename|sha3-256"
        | "filename|sha3-512" => {
            let algo = match ty {
                "malware-sample" | "filename|md5" => "MD5",
                t => hash_algo(t.trim_start_matches("filename|")).unwrap_or("MD5"),
            };
            let (name, h) = pair()?;
            file(Some(name), Some((algo, &hash_value(algo, h)?)), ids)
        }
        t => match hash_algo(t) {
            Some(algo) => file(None, Some((algo, &hash_value(algo, value)?)), ids),
            None => return Ok(None),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_are_exactly_the_list() {
        for t in KNOWN_TYPES {
            assert!(is_known(t), "{t}");
        }
        for t in ["", "MD5", "md5 ", "ip", "filename|", "sha512/225"] {
            assert_eq!(is_known(t), KNOWN_TYPES.contains(&t), "{t:?}");
        }
    }

    #[test]
    fn mapped_types_give_parseable_patterns_and_valid_scos() {
        let cases = [
            ("ip-dst", "198.51.100.7"),
            ("ip-src", "2001:db8::7"),
            ("domain|ip", "circl.lu|149.13.33.14"),
            ("ip-dst|port", "198.51.100.7|443"),
            ("filename|sha256", &format!("a.exe|{}", "b".repeat(64))),
            ("malware-sample", "x.zip|0749bae92ca336a02c83d126e04ec628"),
            ("regkey|value", "HKLM\\Run|%TEMP%\\it's.exe"),
            ("email-subject", "Invoice"),
            ("x509-fingerprint-sha1", &"c".repeat(40)),
            ("AS", "AS174"),
        ];
        for (ty, v) in cases {
            let mint = |t: &str, n: usize| crate::source::stable_id(t, &["test", &n.to_string()]);
            let ids = Ids::new(&mint);
            let o = observe(ty, v, Some(&ids)).unwrap().unwrap();
            let p = format!("[{}]", o.comparisons.join(" AND "));
            concord_pattern::parse(&p).unwrap_or_else(|e| panic!("{ty}: {p}: {e}"));
            for s in o.scos {
                concord_stix::Object::from_value(s.clone()).unwrap_or_else(|e| panic!("{s}: {e}"));
            }
        }
        assert!(observe("text", "x", None).unwrap().is_none());
        assert!(observe("md5", "zz", None).is_err());
        assert!(
            observe("domain|ip", "a.example|192.0.2.1", None)
                .unwrap()
                .unwrap()
                .scos
                .is_empty()
        );
    }
}

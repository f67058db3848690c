//! Correlation and matching agree on whether two observable values are equal.
//!
//! Correlation (the store's correlation index) keeps
//! `concord_stix::observable::normalise(kind, value)`; the matcher builds its index from an
//! indicator's value and looks a log's value up, through its own tables and its quick
//! paths for values already in canonical form. For generated URLs, domain names, e-mail
//! addresses, hashes and IP addresses, and variants of them written as logs and feeds
//! write them (case, white space, trailing dots, default ports, percent escapes, angle
//! brackets, colon-separated digests, `/32` and expanded IPv6), an indicator on `a` is hit
//! by `b` exactly when correlation's normalised `a` and `b` are equal: through
//! `Matcher::match_observation` always, and through the one-per-line reader whenever that
//! reader reads `b` as a value of the same kind.

use std::sync::Arc;

use concord_matcher::{Index, IndicatorInput, Kind, Matcher, Observation, readers::Format};
use concord_pattern::Timestamp;
use proptest::prelude::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

const KINDS: [Kind; 9] = [
    Kind::Ipv4,
    Kind::Ipv6,
    Kind::Domain,
    Kind::Url,
    Kind::Email,
    Kind::Md5,
    Kind::Sha1,
    Kind::Sha256,
    Kind::Sha512,
];

/// A value of `kind` in its plain form.
fn base(kind: Kind) -> BoxedStrategy<String> {
    let domain = "[a-z0-9]{1,6}(\\.[a-z0-9-]{1,6}){0,2}\\.(com|org|example)";
    match kind {
        Kind::Ipv4 => any::<u32>()
            .prop_map(|n| std::net::Ipv4Addr::from(n).to_string())
            .boxed(),
        Kind::Ipv6 => any::<u128>()
            .prop_map(|n| std::net::Ipv6Addr::from(n).to_string())
            .boxed(),
        Kind::Domain => domain.prop_map(String::from).boxed(),
        Kind::Url => (
            "(http|https|ftp|ws)",
            domain,
            "(|:80|:443|:21|:8080)",
            "(/[a-zA-Z0-9._~-]{0,6}){0,3}",
            "(|\\?q=[a-zA-Z0-9]{0,4})",
        )
            .prop_map(|(s, h, p, path, q)| format!("{s}://{h}{p}{path}{q}"))
            .boxed(),
        Kind::Email => ("[a-zA-Z0-9._+-]{1,8}", domain)
            .prop_map(|(l, d)| format!("{l}@{d}"))
            .boxed(),
        hash => {
            let digits = 2 * hash.hash_len().unwrap();
            proptest::collection::vec(0..16u8, digits)
                .prop_map(|v| v.iter().map(|d| format!("{d:x}")).collect())
                .boxed()
        }
    }
}

/// `s` with the characters whose bit in `mask` is set upper-cased.
fn with_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// A variant of `a` as logs and feeds write the same value (or, for some, another one).
fn variant(kind: Kind, a: &str, op: u8, mask: u64) -> String {
    match op {
        0 => a.to_owned(),
        1 => with_case(a, mask),
        2 => format!("  {a}\t"),
        _ => match kind {
            Kind::Domain if op == 3 => format!("{a}."),
            Kind::Domain => with_case(&format!("{a}."), mask),
            Kind::Url => url_variant(a, op, mask),
            Kind::Email if op == 3 => format!("<{a}>"),
            Kind::Email => with_case(&format!("<{a}>"), mask),
            Kind::Ipv4 if op == 3 => format!("{a}/32"),
            Kind::Ipv4 => format!("0{a}"),
            Kind::Ipv6 if op == 3 => expanded(a),
            Kind::Ipv6 => with_case(&format!("{a}/128"), mask),
            _ if op == 3 => a
                .as_bytes()
                .chunks(2)
                .map(|p| std::str::from_utf8(p).unwrap())
                .collect::<Vec<_>>()
                .join(":"),
            _ => a.to_ascii_uppercase(),
        },
    }
}

/// A URL variant: the default port made explicit, a letter of the path percent-encoded,
/// or the scheme and host upper-cased.
fn url_variant(a: &str, op: u8, mask: u64) -> String {
    let (scheme, rest) = a.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match op {
        3 if !authority.contains(':') => {
            let port = match scheme {
                "https" => "443",
                "ftp" => "21",
                _ => "80",
            };
            format!("{scheme}://{authority}:{port}{tail}")
        }
        3 | 4 => match tail.char_indices().find(|(_, c)| c.is_ascii_alphanumeric()) {
            Some((i, c)) => format!(
                "{scheme}://{authority}{}%{:02x}{}",
                &tail[..i],
                u32::from(c),
                &tail[i + 1..]
            ),
            None => format!("{scheme}://{authority}{tail}"),
        },
        _ => format!(
            "{}://{}{tail}",
            with_case(scheme, mask),
            with_case(authority, !mask)
        ),
    }
}

/// An IPv6 address with all eight groups of four digits.
fn expanded(a: &str) -> String {
    let ip: std::net::Ipv6Addr = a.parse().unwrap();
    ip.segments()
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The pattern of an indicator on `value` of `kind`.
fn pattern(kind: Kind, value: &str) -> String {
    let path = match kind.hash_algo() {
        Some(algo) => format!("{}:hashes.'{algo}'", kind.sco_type()),
        None => format!("{}:value", kind.sco_type()),
    };
    let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("[{path} = '{quoted}']")
}

fn case() -> impl Strategy<Value = (Kind, String, String)> {
    (0..KINDS.len()).prop_flat_map(|k| {
        let kind = KINDS[k];
        (base(kind), base(kind), 0..7u8, any::<u64>()).prop_map(move |(a, other, op, mask)| {
            // Op 6: an unrelated value of the same kind.
            let b = if op == 6 {
                other
            } else {
                variant(kind, &a, op, mask)
            };
            (kind, a, b)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn correlation_and_matching_agree_on_equality((kind, a, b) in case()) {
        let corr_kind = kind.correlation_kind().unwrap();
        let (ca, cb) = (
            concord_stix::observable::normalise(corr_kind, &a),
            concord_stix::observable::normalise(corr_kind, &b),
        );
        prop_assert!(ca.is_some(), "{a:?} does not normalise");
        let equal = ca == cb;

        let now = t("2026-01-01T00:00:00Z");
        let ind = IndicatorInput::new(
            "indicator--00000000-0000-4000-8000-000000000001",
            pattern(kind, &a),
            t("2000-01-01T00:00:00Z"),
        );
        let (index, errors) = Index::build([&ind], now);
        prop_assert!(errors.is_empty(), "{errors:?}");
        let matcher = Matcher::new(Arc::new(index));

        let mut obs = Observation::default();
        obs.push(kind, &b);
        let hit = !matcher.match_observation(&obs).is_empty();
        prop_assert_eq!(hit, equal, "{:?}: indicator {:?}, value {:?} ({:?} vs {:?})", kind, a, b, ca, cb);

        // The one-per-line reader, where it reads `b` as this kind (its quick paths for
        // values already in canonical form included).
        let line = format!("{b}\n");
        let read: Vec<_> = concord_matcher::readers::read(line.as_bytes(), &Format::Lines)
            .filter_map(Result::ok)
            .collect();
        if read.len() == 1 && read[0].observables.iter().any(|o| o.kind == kind) {
            let report = matcher.match_reader(line.as_bytes(), &Format::Lines);
            prop_assert_eq!(!report.sightings.is_empty(), equal, "lines: {:?} {:?} {:?}", kind, a, b);
        }
    }
}

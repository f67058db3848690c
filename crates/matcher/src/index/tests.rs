//! Index behaviour: every table, both CIDR directions, subdomains, fallback, patching.

use std::sync::Arc;

use concord_pattern::Timestamp;

use crate::{Added, Index, IndicatorInput, Kind, LiveIndex, Matcher, Observable, Observation};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn ind(n: u32, pattern: &str) -> IndicatorInput {
    IndicatorInput::new(
        format!("indicator--00000000-0000-4000-8000-{n:012}"),
        pattern,
        t("2020-01-01T00:00:00Z"),
    )
}

fn now() -> Timestamp {
    t("2026-01-01T00:00:00Z")
}

fn hits(index: &Index, kind: Kind, value: &str) -> Vec<String> {
    let obs = Observation {
        observables: vec![Observable::new(kind, value).expect(value)],
        ..Observation::default()
    };
    let m = Matcher::new(Arc::new(index.clone()));
    let mut ids: Vec<String> = m
        .match_observation(&obs)
        .into_iter()
        .map(|h| h.indicator_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|i| i[i.len() - 2..].to_string())
        .collect()
}

fn build(patterns: &[&str]) -> Index {
    let inds: Vec<_> = patterns.iter().zip(1..).map(|(p, n)| ind(n, p)).collect();
    let (index, errors) = Index::build(&inds, now());
    assert!(errors.is_empty(), "{errors:?}");
    index
}

#[test]
fn cidr_on_both_sides_and_ipv6() {
    let index = build(&[
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[ipv4-addr:value = '10.1.2.3']",
        "[ipv4-addr:value ISSUBSET '10.1.0.0/16']",
        "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
        "[ipv6-addr:value = '2001:DB8::1']",
    ]);
    assert_eq!(hits(&index, Kind::Ipv4, "10.1.2.3"), ["01", "02", "03"]);
    assert_eq!(hits(&index, Kind::Ipv4, "10.9.9.9"), ["01"]);
    assert_eq!(hits(&index, Kind::Ipv4, "10.1.5.0/24"), ["01", "03"]);
    assert_eq!(hits(&index, Kind::Ipv4, "10.0.0.0/7"), Vec::<String>::new());
    assert_eq!(hits(&index, Kind::Ipv4, "11.0.0.1"), Vec::<String>::new());
    assert_eq!(hits(&index, Kind::Ipv6, "2001:db8:0:0::1"), ["04", "05"]);
    assert_eq!(hits(&index, Kind::Ipv6, "2001:db8:ff::/48"), ["04"]);
}

#[test]
fn domains_exact_like_and_labelled_subdomains() {
    let mut labelled = ind(3, "[domain-name:value = 'Evil.Example.']");
    labelled.labels = vec!["match-subdomains".into()];
    let inds = [
        ind(1, "[domain-name:value = 'example.org']"),
        ind(2, "[domain-name:value LIKE '%.example.net']"),
        labelled,
    ];
    let (index, _) = Index::build(&inds, now());
    assert_eq!(index.stats().indexed, 3);
    assert_eq!(hits(&index, Kind::Domain, "example.org"), ["01"]);
    assert_eq!(
        hits(&index, Kind::Domain, "www.example.org"),
        Vec::<String>::new()
    );
    assert_eq!(hits(&index, Kind::Domain, "a.b.example.net"), ["02"]);
    assert_eq!(
        hits(&index, Kind::Domain, "example.net"),
        Vec::<String>::new()
    );
    assert_eq!(hits(&index, Kind::Domain, "evil.example"), ["03"]);
    assert_eq!(hits(&index, Kind::Domain, "X.Evil.Example"), ["03"]);
}

#[test]
fn hashes_urls_and_other_tables() {
    let index = build(&[
        "[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']",
        "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR artifact:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        "[url:value = 'HTTP://Example.com:80/%7Ea']",
        "[email-addr:value IN ('Bad@Example.com', 'x@y.example')]",
        "[mac-addr:value = '00:1A:2b:3c:4d:5e'] OR [autonomous-system:number = 64500]",
        "[file:name = 'invoice.exe'] OR [x509-certificate:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
    ]);
    let e3 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(hits(&index, Kind::Sha256, e3), ["01"]);
    assert_eq!(
        hits(&index, Kind::Md5, "D41D8CD98F00B204E9800998ECF8427E"),
        ["02"]
    );
    assert_eq!(
        hits(
            &index,
            Kind::Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        ),
        ["02"]
    );
    assert_eq!(
        hits(
            &index,
            Kind::X509Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        ),
        ["06"]
    );
    assert_eq!(hits(&index, Kind::Url, "http://example.com/~a"), ["03"]);
    assert_eq!(hits(&index, Kind::Email, "x@Y.example"), ["04"]);
    assert_eq!(hits(&index, Kind::Mac, "00-1a-2b-3c-4d-5e"), ["05"]);
    assert_eq!(hits(&index, Kind::Asn, "AS64500"), ["05"]);
    assert_eq!(hits(&index, Kind::FileName, "invoice.exe"), ["06"]);
    assert_eq!(index.stats().indexed, 6);
}

#[test]
fn fallback_decides_on_candidates_and_every_observation() {
    let index = build(&[
        "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E' AND file:name = 'a.exe']",
        "[ipv4-addr:value = '192.0.2.1'] WITHIN 60 SECONDS",
        "[domain-name:value MATCHES '^bad[0-9]+\\\\.example$']",
        "[ipv4-addr:value = '192.0.2.9' OR url:value LIKE 'http://x%']",
    ]);
    let s = index.stats();
    assert_eq!((s.indexed, s.fallback, s.every_observation), (0, 2, 2));
    let m = Matcher::new(Arc::new(index));
    let mut obs = Observation::default();
    obs.push(Kind::Md5, "d41d8cd98f00b204e9800998ecf8427e");
    assert!(m.match_observation(&obs).is_empty());
    obs.push(Kind::FileName, "a.exe");
    assert_eq!(m.match_observation(&obs).len(), 1);
    let mut ip = Observation::default();
    ip.push(Kind::Ipv4, "192.0.2.1");
    assert_eq!(m.match_observation(&ip).len(), 1);
    let mut d = Observation::default();
    d.push(Kind::Domain, "bad42.example");
    assert_eq!(m.match_observation(&d).len(), 1);
    let mut u = Observation::default();
    u.push(Kind::Url, "http://xyz/");
    assert_eq!(m.match_observation(&u).len(), 1);
}

#[test]
fn window_revocation_remove_expire_and_live_patch() {
    let mut old = ind(1, "[ipv4-addr:value = '192.0.2.1']");
    old.valid_until = Some(t("2025-01-01T00:00:00Z"));
    let mut revoked = ind(2, "[ipv4-addr:value = '192.0.2.1']");
    revoked.revoked = true;
    let mut later = ind(3, "[ipv4-addr:value = '192.0.2.1']");
    later.valid_until = Some(t("2026-06-01T00:00:00Z"));
    let bad = ind(4, "[ipv4-addr:value = ]");
    let (mut index, errors) = Index::build([&old, &revoked, &later, &bad], now());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().starts_with(
        "indicator indicator--00000000-0000-4000-8000-000000000004: invalid pattern: at 19"
    ));
    assert_eq!(hits(&index, Kind::Ipv4, "192.0.2.1"), ["03"]);
    assert_eq!(index.next_expiry(), Some(t("2026-06-01T00:00:00Z")));
    assert_eq!(index.expire(t("2026-06-01T00:00:00Z")), 1);
    assert!(hits(&index, Kind::Ipv4, "192.0.2.1").is_empty());
    assert_eq!(
        index.next_expiry(),
        None,
        "no live indicator has a valid_until"
    );
    assert_eq!(
        index
            .add(&ind(5, "[ipv4-addr:value = '192.0.2.1']"), now())
            .unwrap(),
        Added::Indexed
    );
    assert!(index.remove(&ind(5, "").id));
    assert!(!index.remove(&ind(5, "").id));
    assert!(index.garbage() > 0.99);

    let live = LiveIndex::new(Index::new());
    let before = live.matcher();
    let added = live.patch(|i| i.add(&ind(6, "[ipv4-addr:value = '192.0.2.1']"), now()));
    assert_eq!(added.unwrap(), Added::Indexed);
    let mut o = Observation::default();
    o.push(Kind::Ipv4, "192.0.2.1");
    assert!(
        before.match_observation(&o).is_empty(),
        "an old snapshot is unchanged"
    );
    assert_eq!(live.matcher().match_observation(&o).len(), 1);
    let other_id = IndicatorInput {
        id: "indicator--Not-A-UUID".into(),
        ..ind(7, "[ipv4-addr:value = '192.0.2.1']")
    };
    live.patch(|i| i.add(&other_id, now())).unwrap();
    let ids: Vec<_> = live
        .matcher()
        .match_observation(&o)
        .into_iter()
        .map(|h| h.indicator_id)
        .collect();
    assert!(
        ids.contains(&"indicator--Not-A-UUID".to_string()),
        "{ids:?}"
    );
}

#[test]
fn url_pattern_is_indexed() {
    let index = build(&["[url:value = 'http://h0.example/p']"]);
    assert_eq!(index.stats().indexed, 1, "{:?}", index.stats());
}

#[test]
fn parallel_extend_equals_adding_one_by_one() {
    let inds: Vec<IndicatorInput> = (0..70_000u32)
        .map(|i| {
            let pattern = match i % 5 {
                0 => format!("[ipv4-addr:value = '10.0.{}.{}']", i / 256 % 256, i % 256),
                1 => format!("[domain-name:value = 'h{i}.example']"),
                2 => "[ipv4-addr:value = ".to_string(),
                3 => format!(
                    "[url:value = 'http://x.example/{i}'] AND [ipv4-addr:value = '1.2.3.4']"
                ),
                _ => format!("[ipv4-addr:value = '10.0.0.{}']", i % 7),
            };
            // Some ids repeat: a later one replaces the earlier.
            ind(i % 60_000, &pattern)
        })
        .collect();
    let mut one = Index::new();
    let mut errors_one = Vec::new();
    for i in &inds {
        if let Err(e) = one.add(i, now()) {
            errors_one.push(e);
        }
    }
    let (many, errors_many) = Index::build(&inds, now());
    assert_eq!(one.stats(), many.stats());
    assert_eq!(errors_one.len(), errors_many.len());
    assert_eq!(
        hits(&one, Kind::Ipv4, "10.0.0.3"),
        hits(&many, Kind::Ipv4, "10.0.0.3")
    );
    assert_eq!(
        hits(&one, Kind::Domain, "h60001.example"),
        hits(&many, Kind::Domain, "h60001.example")
    );
}

mod prepare {
    use proptest::prelude::*;

    use std::sync::Arc;

    use super::build;
    use crate::index::Hashed;
    use crate::index::keys::lookup_key;
    use crate::{Kind, Matcher, Observable, Observation};

    const KINDS: [Kind; 14] = [
        Kind::Ipv4,
        Kind::Ipv6,
        Kind::Domain,
        Kind::Url,
        Kind::Email,
        Kind::Md5,
        Kind::Sha1,
        Kind::Sha256,
        Kind::Sha512,
        Kind::X509Sha1,
        Kind::X509Sha256,
        Kind::Mac,
        Kind::Asn,
        Kind::FileName,
    ];

    /// Values of every shape a kind may be handed: digests of each length (either
    /// case, one bad digit), addresses and blocks, and anything at all.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![16usize, 20, 32, 64]).prop_flat_map(|n| {
                prop::collection::vec(any::<u8>(), n)
                    .prop_map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
            }),
            "[0-9a-fA-FgG]{30,130}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,4}(/[0-9]{1,2})?",
            "[0-9a-f:]{2,40}",
            "[a-z0-9.@:/%-]{0,40}",
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// `Index::prepare` gives what `lookup_key` then `Hashed::new` give, for every
        /// kind: its one-dispatch shortcuts change nothing but speed.
        #[test]
        fn prepare_equals_lookup_key_then_hash(kind in prop::sample::select(KINDS.to_vec()), v in value()) {
            let index = build(&["[ipv4-addr:value ISSUBSET '10.0.0.0/8']"]);
            let slow = lookup_key(kind, &v).map(Hashed::new);
            prop_assert_eq!(index.prepare(kind, &v), slow);
        }

        /// A digest lookup decodes only the first 16 digits to find the position and the
        /// rest where a fingerprint matches: a value differing from a stored digest in any
        /// digit (or with a non-hex digit, or in the other case) still hits exactly when
        /// its bytes equal the stored ones, through every lookup path.
        #[test]
        fn digest_lookups_hit_exactly_the_equal_bytes(
            algo in prop::sample::select(vec![(16usize, "MD5", Kind::Md5), (20, "'SHA-1'", Kind::Sha1), (32, "'SHA-256'", Kind::Sha256), (64, "'SHA-512'", Kind::Sha512)]),
            bytes in prop::collection::vec(any::<u8>(), 64),
            at in any::<prop::sample::Index>(),
            digit in prop::sample::select(b"0123456789abcdefABCDEFg:".to_vec()),
        ) {
            let (n, name, kind) = algo;
            let stored: String = bytes[..n].iter().map(|b| format!("{b:02x}")).collect();
            let index = build(&[&format!("[file:hashes.{name} = '{stored}']")]);
            let mut asked = stored.clone().into_bytes();
            asked[at.index(2 * n)] = digit;
            let asked = String::from_utf8(asked).unwrap();
            let expected = asked.to_ascii_lowercase() == stored;
            let ob = Observable { kind, value: asked.clone() };
            let obs = Observation { observables: vec![ob.clone()], ..Observation::default() };
            let m = Matcher::new(Arc::new(index.clone()));
            let mut slots = Vec::new();
            index.lookup_slots(&ob, &mut |s| slots.push(s));
            prop_assert_eq!(slots.len(), usize::from(expected), "{}", asked);
            prop_assert_eq!(m.match_observation(&obs).len(), usize::from(expected));
            let mut out = Vec::new();
            m.match_batch(&[obs.clone(), obs], &mut out);
            prop_assert_eq!(out.len(), 2 * usize::from(expected));
        }
    }
}

/// The block lengths a lookup walks: every set bit up to the bound, for IPv4's word and for
/// IPv6's two halves; and an IPv4 block key at the lengths 0, 24 and 32.
#[test]
fn lengths_walk_every_set_bit_up_to_the_bound() {
    use super::{lengths, lengths6, net4};
    let naive = |lens: u128, max: u32| -> Vec<u32> {
        (0..128)
            .filter(|&l| l <= max && (lens >> l) & 1 == 1)
            .collect()
    };
    let samples = [
        0u128,
        1,
        1 << 24 | 1 << 32,
        u128::MAX,
        1 << 63 | 1 << 64 | 1 << 127,
        0x8000_0001_0000_0000_8000_0000_0000_0001,
    ];
    for lens in samples {
        for max in [0, 1, 24, 32, 63, 64, 65, 100, 127, 128] {
            assert_eq!(
                lengths6(lens, max).collect::<Vec<_>>(),
                naive(lens, max),
                "{lens:x} {max}"
            );
            if max <= 32 {
                #[allow(clippy::cast_possible_truncation)]
                let v4 = lens as u64 & ((1 << 33) - 1);
                let want = naive(u128::from(v4), max);
                assert_eq!(lengths(v4, max).collect::<Vec<_>>(), want, "{v4:x} {max}");
            }
        }
    }
    assert_eq!(net4(0xc0a8_0101, 0), 0);
    assert_eq!(net4(0xc0a8_0101, 24), 0xc0a8_0100 << 8 | 24);
    assert_eq!(net4(0xc0a8_0101, 32), 0xc0a8_0101 << 8 | 32);
}

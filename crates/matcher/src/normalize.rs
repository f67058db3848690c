//! Canonical forms of observable values, shared by the index (indicator side) and the
//! readers (log side). The forms themselves are `concord_stix::observable::normal`'s, the
//! one normalisation per kind that correlation also applies (re-exported here); this
//! module adds what only the matcher's hot path needs: decoding hex into fixed arrays,
//! numeric address keys, and quick checks that a URL or e-mail address is already in
//! canonical form.

use std::net::{Ipv4Addr, Ipv6Addr};

pub use concord_stix::observable::normal::{
    DEFAULT_PORTS, asn, domain, email, hex_hash, ip_net, ip_text, ipv4, mac, url,
};

/// Decodes hex (either case) into a fixed array, or `None` if `s` is not `2 * N` hex
/// digits: with `const-hex`, whose SIMD decoding (AVX2 or SSE4.1, chosen at run time)
/// takes about 40 instructions for a SHA-256 where the word arithmetic this replaced took
/// 156 (one in eight batched lookups of the bench decodes one: a stored fingerprint
/// matched). The length is checked first: `const-hex` would strip a `0x` prefix.
#[inline]
pub fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    const_hex::decode_to_array::<_, N>(b).ok()
}

/// The numeric key of an address for the exact tables.
pub fn ipv4_bits(ip: Ipv4Addr) -> u32 {
    u32::from(ip)
}

/// The numeric key of an IPv6 address for the exact tables.
pub fn ipv6_bits(ip: Ipv6Addr) -> u128 {
    u128::from(ip)
}

/// Whether [`url`] gives `s` back unchanged, decided without building anything:
/// `scheme://host[:port]/...` in printable ASCII without spaces, a lower-case scheme and
/// host, no user info, no IPv6 literal, a port (if any) that is not the scheme's default,
/// a path, no percent escape and no trailing dot on the host. `false` says nothing (the
/// URL may still be canonical); the readers then take [`url`]'s way.
pub(crate) fn url_is_canonical(s: &str) -> bool {
    // Byte loops only: `str::find` with a string or a set of chars costs more than the
    // whole check on a URL of a log line.
    // Checks over every byte are folds, not `any`: without an early exit the compiler
    // checks many bytes at once.
    let b = s.as_bytes();
    if b.iter().fold(false, |bad, &c| {
        bad | !(0x21..0x7f).contains(&c) | (c == b'%')
    }) {
        return false;
    }
    let Some(colon) = b.iter().position(|&c| c == b':') else {
        return false;
    };
    let (scheme, after) = (&b[..colon], &b[colon..]);
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_lowercase)
        && scheme.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')
        });
    let Some(after) = after.strip_prefix(b"://") else {
        return false;
    };
    let Some(end) = after.iter().position(|&c| matches!(c, b'/' | b'?' | b'#')) else {
        return false;
    };
    let authority = &after[..end];
    let (host, port) = match authority.iter().position(|&c| c == b':') {
        Some(i) => (&authority[..i], Some(&authority[i + 1..])),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.iter().all(u8::is_ascii_digit)
            && !DEFAULT_PORTS
                .iter()
                .any(|&(sc, dp)| sc.as_bytes() == scheme && dp.as_bytes() == p)
    });
    scheme_ok
        && port_ok
        && after[end] == b'/'
        && !host.is_empty()
        && host.last() != Some(&b'.')
        && !host.iter().fold(false, |bad, &c| {
            bad | c.is_ascii_uppercase() | matches!(c, b'@' | b'[' | b']')
        })
}

/// Whether [`email`] gives `s` back unchanged: printable ASCII without spaces and without
/// upper case, not in angle brackets, a non-empty local part and a host that is a
/// domain name. `false` says nothing (see [`url_is_canonical`]).
pub(crate) fn email_is_canonical(s: &str) -> bool {
    let b = s.as_bytes();
    if b.iter().fold(false, |bad, &c| {
        bad | !(0x21..0x7f).contains(&c) | c.is_ascii_uppercase()
    }) || b.first() == Some(&b'<')
        || b.last() == Some(&b'>')
    {
        return false;
    }
    let Some((local, host)) = s.rsplit_once('@') else {
        return false;
    };
    let host = host.trim_end_matches('.');
    !local.is_empty()
        && !host.is_empty()
        && !host.starts_with('.')
        && !host.bytes().fold(false, |bad, c| {
            bad | matches!(c, b'/' | b':' | b'\\' | b'?' | b'#')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word decoder against a digit-by-digit decoder: both cases, every byte value
    /// in every position of a digest, lengths with and without a tail.
    #[test]
    fn hex_array_is_what_digit_by_digit_decoding_gives() {
        fn nibble(b: u8) -> Option<u8> {
            char::from(b)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
        }
        fn slow<const N: usize>(s: &str) -> Option<[u8; N]> {
            let b = s.as_bytes();
            if b.len() != 2 * N {
                return None;
            }
            let mut out = [0u8; N];
            for (o, p) in out.iter_mut().zip(b.chunks_exact(2)) {
                *o = (nibble(p[0])? << 4) | nibble(p[1])?;
            }
            Some(out)
        }
        let good = "0123456789abcdefABCDEF0123456789aBcDeF00ff11ee22dd33cc44bb55aa66";
        assert_eq!(hex_array::<32>(good), slow::<32>(good));
        assert!(hex_array::<32>(good).is_some());
        assert_eq!(hex_array::<2>("FfA0"), Some([0xff, 0xa0]));
        assert_eq!(
            hex_array::<6>("a0B1c2D3e4F5"),
            Some([0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5])
        );
        assert_eq!(hex_array::<16>(&good[..31]), None);
        // Every byte value at every position: only hex digits of either case decode.
        let base = good.as_bytes();
        for pos in 0..64 {
            for c in 0..=255u8 {
                let mut b = base.to_vec();
                b[pos] = c;
                // Non-UTF-8 bytes cannot be in a &str: a two-byte character instead.
                let s = match std::str::from_utf8(&b) {
                    Ok(s) => s.to_owned(),
                    Err(_) => continue,
                };
                assert_eq!(hex_array::<32>(&s), slow::<32>(&s), "{s:?}");
                assert_eq!(hex_array::<20>(&s[..40]), slow::<20>(&s[..40]), "{s:?}");
                assert_eq!(
                    hex_array::<6>(&s[pos.min(52)..pos.min(52) + 12]),
                    slow::<6>(&s[pos.min(52)..pos.min(52) + 12])
                );
            }
        }
        // A two-byte character (bytes of 0x80 and above) at every position.
        for pos in 0..63 {
            let s = format!("{}é{}", &good[..pos], &good[pos + 2..]);
            assert_eq!(hex_array::<32>(&s), None, "{s:?}");
            assert_eq!(hex_array::<32>(&s), slow::<32>(&s), "{s:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        /// A URL or e-mail address the quick checks call canonical is one the full rules
        /// leave as it is.
        #[test]
        fn quick_canonical_checks_agree_with_the_full_rules(
            u in "(http|https|ftp|ws|HTTP|a1\\+|1a)://(|[a-zA-Z0-9.@\\[\\]-]{0,12})(:(|80|443|21|8080|x))?(/|\\?|#)?[a-zA-Z0-9/%.~ -]{0,16}",
            e in "<?[a-zA-Z0-9.%+-]{0,8}@{0,2}[a-zA-Z0-9./:#-]{0,12}>?",
            any in ".{0,30}",
        ) {
            for v in [&u, &any] {
                if url_is_canonical(v) {
                    proptest::prop_assert_eq!(url(v), Some(v.clone()));
                }
            }
            for v in [&e, &any] {
                if email_is_canonical(v) {
                    proptest::prop_assert_eq!(email(v), Some(v.clone()));
                }
            }
        }
    }

    #[test]
    fn quick_canonical_checks_take_the_common_shapes() {
        for u in [
            "http://a.example/x?y=1",
            "https://b.example:8443/",
            "ftp://c.example/f",
        ] {
            assert!(url_is_canonical(u), "{u}");
        }
        for u in [
            "HTTP://a.example/",
            "http://a.example",
            "http://a.example:80/",
            "http://A.example/",
            "http://a.example/%41",
            "http://u@a.example/",
            "http://a.example./",
        ] {
            assert!(!url_is_canonical(u), "{u}");
        }
        for e in ["bob@example.org", "a.b+c@mail.example."] {
            assert!(email_is_canonical(e), "{e}");
        }
        for e in [
            "Bob@example.org",
            "<bob@example.org>",
            "@example.org",
            "bob@",
            "bob@.example",
            "bob",
        ] {
            assert!(!email_is_canonical(e), "{e}");
        }
    }
}

//! The canonical form of each kind of observable value (RFC 3986 section 6.2.2 and 6.2.3
//! for URLs): the one normalisation that correlation (`store`), matching (`matcher`) and
//! feed conversion (`formats`) apply, through [`super::Kind::normalise`], so that they
//! agree on whether two values are equal.

use std::net::{IpAddr, Ipv4Addr};

/// Lower-case hex of `len` digits, or `None` if `s` is not hex of that length.
/// Accepts `:`-separated pairs (X.509 fingerprints as tools print them).
pub fn hex_hash(s: &str) -> Option<String> {
    let s = s.trim();
    // Already canonical (lower-case hex digits, even length): copied as is.
    let b = s.as_bytes();
    if !b.is_empty()
        && b.len().is_multiple_of(2)
        && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Some(s.to_owned());
    }
    let out: String = s
        .chars()
        .filter(|&c| c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!out.is_empty() && out.len().is_multiple_of(2) && out.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(out)
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A domain name: trimmed, lower-case, without the trailing dot; `None` if empty or it
/// holds characters no host name has (space, `/`, `@`, `:`).
pub fn domain(s: &str) -> Option<String> {
    let d = s.trim().trim_end_matches('.').to_lowercase();
    let bad = |c: char| c.is_whitespace() || matches!(c, '/' | '@' | ':' | '\\' | '?' | '#');
    (!d.is_empty() && !d.contains(bad) && !d.starts_with('.')).then_some(d)
}

/// An e-mail address, lower-case (the local part too: mail systems treat it so in practice).
pub fn email(s: &str) -> Option<String> {
    let e = s
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_lowercase();
    let (local, host) = e.rsplit_once('@')?;
    (!local.is_empty() && domain(host).is_some() && !e.contains(char::is_whitespace)).then_some(e)
}

/// A MAC address in lower-case colon form (`aa:bb:cc:dd:ee:ff`); accepts `-`, `.` or no
/// separators, and white space around it.
pub fn mac(s: &str) -> Option<String> {
    let digits: Vec<u8> = s
        .trim()
        .bytes()
        .filter(|c| !matches!(c, b':' | b'-' | b'.'))
        .collect();
    if digits.len() != 12 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push(char::from(pair[0].to_ascii_lowercase()));
        out.push(char::from(pair[1].to_ascii_lowercase()));
    }
    Some(out)
}

/// An IPv4 address in the only form std's `Ipv4Addr::from_str` reads (four decimal
/// octets of one to three digits, each at most 255, no leading zero, nothing else), read
/// without std's general parser: it is on every IPv4 value a log carries. The same
/// answer as std's for every input (tests, fuzz target `log_readers`).
#[inline]
pub fn ipv4(s: &str) -> Option<Ipv4Addr> {
    /// The value of a decimal digit, if `c` is one.
    #[inline(always)]
    fn digit(c: Option<&u8>) -> Option<u32> {
        let d = c?.wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    }
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut bits = 0u32;
    let mut i = 0;
    for octet in 0..4 {
        if octet > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        // One to three digits; a leading zero only alone; at most 255.
        let mut v = digit(b.get(i))?;
        if let Some(d) = digit(b.get(i + 1)) {
            if v == 0 {
                return None;
            }
            v = v * 10 + d;
            if let Some(d) = digit(b.get(i + 2)) {
                v = v * 10 + d;
                if v > 255 {
                    return None;
                }
                i += 1;
            }
            i += 1;
        }
        i += 1;
        bits = (bits << 8) | v;
    }
    (i == b.len()).then(|| Ipv4Addr::from(bits))
}

/// An IP address or CIDR block: (address with host bits kept, prefix length, is IPv4).
pub fn ip_net(s: &str) -> Option<(IpAddr, u8)> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) && l.len() <= 3 => {
            (a, Some(l.parse::<u8>().ok()?))
        }
        Some(_) => return None,
        None => (s, None),
    };
    // Every IPv6 address has a colon and no IPv4 address has one.
    let ip = match ipv4(addr) {
        Some(v4) => IpAddr::V4(v4),
        None if addr.contains(':') => IpAddr::V6(addr.parse().ok()?),
        None => return None,
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then_some((ip, len))
}

/// Canonical text of an IP address or CIDR block (`2001:db8::1`, `10.0.0.0/8`); a full
/// prefix length is dropped (`1.2.3.4/32` is `1.2.3.4`).
pub fn ip_text(s: &str) -> Option<String> {
    // A plain IPv4 address that std reads is already canonical (it takes only four
    // decimal octets without leading zeros): no formatting needed.
    let t = s.trim();
    if ipv4(t).is_some() {
        return Some(t.to_owned());
    }
    let (ip, len) = ip_net(s)?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    Some(if len == full {
        ip.to_string()
    } else {
        format!("{ip}/{len}")
    })
}

/// An autonomous system number from `64500`, `AS64500` or `as64500`.
pub fn asn(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s
        .strip_prefix("AS")
        .or_else(|| s.strip_prefix("as"))
        .unwrap_or(s);
    s.parse().ok()
}

/// Schemes and their default ports, which [`url`] removes.
pub const DEFAULT_PORTS: [(&str, &str); 4] = [
    ("http", "80"),
    ("https", "443"),
    ("ftp", "21"),
    ("ws", "80"),
];

/// A URL normalised per RFC 3986 section 6.2.2 and 6.2.3: lower-case scheme and host,
/// default port removed, percent-encoded unreserved characters decoded, other percent
/// escapes upper-cased, an empty path becomes `/` (for URLs with an authority).
/// `None` if there is no `scheme:`.
pub fn url(s: &str) -> Option<String> {
    let s = s.trim();
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid_scheme {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let rest = &s[colon + 1..];
    let Some(after) = rest.strip_prefix("//") else {
        return Some(format!("{scheme}:{}", percent(rest)));
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, tail) = after.split_at(end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    // An IPv6 literal holds colons: the port follows the closing bracket.
    let port_at = match hostport.rfind(']') {
        Some(b) => hostport[b..].find(':').map(|i| b + i),
        None => hostport.rfind(':'),
    };
    let (host, port) = match port_at {
        Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
        None => (hostport, None),
    };
    let host = percent(host).to_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    let port = port.filter(|p| {
        !p.is_empty()
            && !DEFAULT_PORTS
                .iter()
                .any(|&(sc, dp)| sc == scheme && dp == *p)
    });
    let mut out = format!("{scheme}://");
    if let Some(u) = userinfo {
        out.push_str(&percent(u));
        out.push('@');
    }
    out.push_str(host);
    if let Some(p) = port {
        out.push(':');
        out.push_str(p);
    }
    if !tail.starts_with('/') {
        out.push('/');
    }
    out.push_str(&percent(tail));
    Some(out)
}

/// Decodes `%XX` escapes of unreserved characters and upper-cases the hex of the others.
fn percent(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (nibble(b[i + 1]), nibble(b[i + 2]))
        {
            out.push_str(&s[plain..i]);
            let c = (h << 4) | l;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(c));
            } else {
                out.push('%');
                out.push(char::from(b[i + 1].to_ascii_uppercase()));
                out.push(char::from(b[i + 2].to_ascii_uppercase()));
            }
            i += 3;
            plain = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[plain..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_hash_shortcut_gives_what_the_general_rule_gives() {
        let general = |s: &str| {
            let out: String = s
                .trim()
                .chars()
                .filter(|&c| c != ':')
                .map(|c| c.to_ascii_lowercase())
                .collect();
            (!out.is_empty()
                && out.len().is_multiple_of(2)
                && out.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(out)
        };
        for s in [
            "d41d8cd98f00b204e9800998ecf8427e",
            "D41D8CD98F00B204E9800998ECF8427E",
            " ab ",
            "abc",
            "",
            "da:39:a3",
            "0g",
            "00",
            "é0",
            "ab\n",
        ] {
            assert_eq!(hex_hash(s), general(s), "{s:?}");
        }
    }

    #[test]
    fn ipv4_text_is_what_formatting_gives() {
        let shapes = [
            "1.2.3.4",
            " 10.0.0.1 ",
            "255.255.255.255",
            "0.0.0.0",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.4/32",
            "1.2.3.4/24",
            "+1.2.3.4",
            "1.2.3.4 ",
            "0x1.2.3.4",
            "1..2.3",
            "",
        ];
        for s in shapes {
            let formatted = ip_net(s).map(|(ip, len)| {
                if len == 32 {
                    ip.to_string()
                } else {
                    format!("{ip}/{len}")
                }
            });
            assert_eq!(ip_text(s), formatted, "{s:?}");
        }
        for i in 0..20_000u32 {
            let ip = Ipv4Addr::from(i.wrapping_mul(2_654_435_761));
            let s = ip.to_string();
            assert_eq!(ip_text(&s), Some(s.clone()));
        }
    }

    /// Octets at the edges (0, 255, 256, leading zeros, four digits), empty octets,
    /// missing and extra parts, trailing and leading dots, signs, spaces, hex, IPv6.
    #[test]
    fn ipv4_is_what_std_reads() {
        let edges = [
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "1.2.3.256",
            "1.2.3.25",
            "01.2.3.4",
            "1.2.3.00",
            "1.2.3.0",
            "1.02.3.4",
            "001.2.3.4",
            "1234.1.1.1",
            "1.2.3.1000",
            "1..2.3",
            "1.2.3.",
            ".1.2.3",
            "1.2.3.4.",
            ".1.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "",
            "...",
            "....",
            "1.2.3.4 ",
            " 1.2.3.4",
            "+1.2.3.4",
            "-1.2.3.4",
            "1.2.3.+4",
            "0x1.2.3.4",
            "1.2.3.4/24",
            "::1",
            "::ffff:1.2.3.4",
            "1.2.3.4:80",
            "999.999.999.999",
            "100.100.100.100",
            "1.2.3.4\0",
            "١.٢.٣.٤",
        ];
        for s in edges {
            assert_eq!(ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
        // Short strings over the bytes that matter, from a fixed generator.
        let alphabet = b"0123456789.:/ a+";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 17) as usize;
            let s: String = (0..len)
                .map(|k| {
                    let r = (x >> (4 * (k % 15))) ^ (x >> 60 << k);
                    // Digits and dots most of the time, so many candidates are valid.
                    let c = match r % 8 {
                        0..=4 => alphabet[(r >> 3) as usize % 10],
                        5 | 6 => b'.',
                        _ => alphabet[(r >> 3) as usize % alphabet.len()],
                    };
                    char::from(c)
                })
                .collect();
            assert_eq!(ipv4(&s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
        }
        for i in 0..50_000u32 {
            let ip = Ipv4Addr::from(i.wrapping_mul(2_654_435_761));
            assert_eq!(ipv4(&ip.to_string()), Some(ip));
        }
    }

    #[test]
    fn ip_net_is_what_std_reads() {
        for s in [
            "1.2.3.4",
            "1.2.3.4/0",
            "1.2.3.4/32",
            "1.2.3.4/33",
            "01.2.3.4/8",
            "::1",
            "2001:db8::/32",
            "2001:db8::/129",
            "1.2.3.4:80",
            "1.2.3",
            "fe80::1%eth0",
            "::ffff:1.2.3.4",
            " 10.0.0.1 ",
        ] {
            let general = s.trim().split_once('/').map_or(s.trim(), |(a, _)| a);
            if let Ok(ip) = general.parse::<IpAddr>() {
                let len = s
                    .trim()
                    .split_once('/')
                    .map(|(_, l)| l.parse::<u8>().unwrap_or(255));
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let want = match len {
                    None => Some((ip, max)),
                    Some(l) if l <= max => Some((ip, l)),
                    Some(_) => None,
                };
                assert_eq!(ip_net(s), want, "{s:?}");
            } else {
                assert_eq!(ip_net(s), None, "{s:?}");
            }
        }
    }

    /// The word decoder against a digit-by-digit decoder: both cases, every byte value

    #[test]
    fn url_normalisation() {
        for (raw, want) in [
            ("HTTP://Example.COM", "http://example.com/"),
            ("http://example.com:80/a", "http://example.com/a"),
            ("https://example.com:443/?q=1", "https://example.com/?q=1"),
            ("https://example.com:8443/x", "https://example.com:8443/x"),
            (
                "http://example.com/%7euser/%2fa%2Fb",
                "http://example.com/~user/%2Fa%2Fb",
            ),
            ("http://example.com/%41%62c", "http://example.com/Abc"),
            ("http://Example.com./Path", "http://example.com/Path"),
            (
                "http://u%3a@[2001:DB8::1]:80/",
                "http://u%3A@[2001:db8::1]/",
            ),
            ("http://example.com?x", "http://example.com/?x"),
            ("http://example.com/100%", "http://example.com/100%"),
            ("mailto:A@B.example", "mailto:A@B.example"),
        ] {
            assert_eq!(url(raw).as_deref(), Some(want), "{raw}");
        }
        assert_eq!(url("no scheme here"), None);
        assert_eq!(url("/relative"), None);
    }

    #[test]
    fn other_forms() {
        assert_eq!(
            domain("WWW.Example.COM.").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(domain("a b"), None);
        assert_eq!(
            email("<Bob@Example.ORG>").as_deref(),
            Some("bob@example.org")
        );
        assert_eq!(email("nobody"), None);
        assert_eq!(
            mac("AA-BB-CC-DD-EE-0F").as_deref(),
            Some("aa:bb:cc:dd:ee:0f")
        );
        assert_eq!(mac("aabb.ccdd.eeff").as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert_eq!(ip_text("2001:DB8:0::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip_text("10.0.0.0/8").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(ip_text("1.2.3.4/32").as_deref(), Some("1.2.3.4"));
        assert_eq!(ip_text("1.2.3.4/33"), None);
        assert_eq!(asn("AS64500"), Some(64500));
        assert_eq!(hex_hash("D4:1D:8C").as_deref(), Some("d41d8c"));
    }
}

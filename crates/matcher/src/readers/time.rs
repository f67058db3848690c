//! Timestamps as logs write them: RFC 3339 with `Z` or an offset (`+0000`, `+01:00`), with
//! a space instead of `T`, or Unix epoch seconds (Zeek's `ts`).

use concord_pattern::Timestamp;
use serde_json::Value;

/// A log timestamp as UTC; `None` if it is not one of the accepted shapes. Allocates
/// nothing: the RFC 3339 form is rebuilt in a stack buffer for [`Timestamp::parse`].
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() < 19 || !s.is_char_boundary(19) {
        return epoch(s);
    }
    let (date_time, rest) = s.split_at(19);
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            (&r[..end], &r[end..])
        }
        None => ("", rest),
    };
    let offset_secs: i64 = match zone {
        "Z" | "z" | "" => 0,
        z => {
            let sign = match z.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let mut d = [0u8; 4];
            let mut n = 0;
            for c in z.bytes().skip(1).filter(|&c| c != b':') {
                *d.get_mut(n)? = c;
                n += 1;
            }
            if n != 4 || !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let two = |a: u8, b: u8| i64::from(a - b'0') * 10 + i64::from(b - b'0');
            sign * (two(d[0], d[1]) * 3600 + two(d[2], d[3]) * 60)
        }
    };
    let frac = &frac.as_bytes()[..frac.len().min(9)];
    // `date_time` with its first space as `T`, then `.frac` if any, then `Z`.
    let mut buf = [0u8; 30];
    buf[..19].copy_from_slice(date_time.as_bytes());
    if let Some(sp) = buf[..19].iter().position(|&c| c == b' ') {
        buf[sp] = b'T';
    }
    let mut len = 19;
    if !frac.is_empty() {
        buf[19] = b'.';
        buf[20..20 + frac.len()].copy_from_slice(frac);
        len = 20 + frac.len();
    }
    buf[len] = b'Z';
    let text = std::str::from_utf8(&buf[..=len]).ok()?;
    Timestamp::parse(text)?.add_seconds(-offset_secs)
}

fn epoch(s: &str) -> Option<Timestamp> {
    let secs: f64 = s.parse().ok()?;
    if !secs.is_finite() || secs.abs() > 1e11 {
        return None;
    }
    // Microsecond precision survives f64 for current dates; that is what Zeek writes.
    #[allow(clippy::cast_possible_truncation)]
    let nanos = (secs * 1e6).round() as i128 * 1000;
    Timestamp::from_unix_nanos(nanos)
}

/// A JSON timestamp: a string (RFC 3339) or a number (epoch seconds).
pub(crate) fn json_time(v: Option<&Value>) -> Option<Timestamp> {
    match v? {
        Value::String(s) => parse_time(s),
        Value::Number(n) => epoch(&n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former implementation (strings built on the heap), kept to check that the
    /// allocation-free one reads every shape the same.
    fn reference(s: &str) -> Option<Timestamp> {
        let s = s.trim();
        if s.len() < 19 || !s.is_char_boundary(19) {
            return epoch(s);
        }
        let (date_time, rest) = s.split_at(19);
        let date_time = date_time.replacen(' ', "T", 1);
        let (frac, zone) = match rest.strip_prefix('.') {
            Some(r) => {
                let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                (&r[..end], &r[end..])
            }
            None => ("", rest),
        };
        let offset_secs: i64 = match zone {
            "Z" | "z" | "" => 0,
            z => {
                let sign = match z.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let digits: String = z[1..].chars().filter(|&c| c != ':').collect();
                if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let h: i64 = digits[..2].parse().ok()?;
                let m: i64 = digits[2..].parse().ok()?;
                sign * (h * 3600 + m * 60)
            }
        };
        let frac = &frac[..frac.len().min(9)];
        let text = if frac.is_empty() {
            format!("{date_time}Z")
        } else {
            format!("{date_time}.{frac}Z")
        };
        let local = Timestamp::parse(&text)?;
        Timestamp::from_unix_nanos(local.unix_nanos() - i128::from(offset_secs) * 1_000_000_000)
    }

    #[test]
    fn same_as_the_reference() {
        let dates = [
            "2026-11-21T10:01:02",
            "2026-11-21 10:01:02",
            "2024-02-29T23:59:60",
            "2023-02-29T00:00:00",
            "0000-01-01T00:00:00",
            "9999-12-31T23:59:59",
            "2026-13-01T00:00:00",
            "2026-1x-01T00:00:00",
            "2026-11-21T10:01:0é",
        ];
        let tails = [
            "",
            "Z",
            "z",
            ".5",
            ".123456",
            ".1234567891234",
            ".",
            ".123456+0000",
            "+01:00",
            "-0530",
            "+1",
            "+01:000",
            "+0a:00",
            "Q",
            ".5Z",
            " ",
            "+01:0é",
        ];
        let mut checked = 0;
        for d in dates {
            for t in tails {
                let s = format!("{d}{t}");
                assert_eq!(parse_time(&s), reference(&s), "{s:?}");
                checked += 1;
            }
        }
        for s in [
            "1732183262.25",
            "  1732183262 ",
            "x",
            "",
            "1e12",
            "2026-11-21",
        ] {
            assert_eq!(parse_time(s), reference(s), "{s:?}");
        }
        assert!(checked > 100);
        assert!(parse_time("2026-11-21T10:01:02.5+01:00").is_some());
    }
}

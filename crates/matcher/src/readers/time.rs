//! Timestamps as logs write them: RFC 3339 with `Z` or an offset (`+0000`, `+01:00`), with
//! a space instead of `T`, or Unix epoch seconds (Zeek's `ts`).

use concord_pattern::Timestamp;
use serde_json::Value;

/// A log timestamp as UTC; `None` if it is not one of the accepted shapes.
pub fn parse_time(s: &str) -> Option<Timestamp> {
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

//! UTC timestamps of the form `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, with nanosecond precision.

use std::fmt;

/// A UTC instant, nanosecond precision, years 0000 to 9999.
///
/// A leap second (`:60`) is accepted, as the grammar and RFC 3339 allow, and is counted
/// as the first second of the next minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

const MIN_SECS: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
const MAX_SECS: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z

impl Timestamp {
    /// Parses the text between the quotes of `t'...'` (or a JSON timestamp string).
    /// Returns `None` when the shape or the calendar date is wrong (month 13, 30 February).
    pub fn parse(s: &str) -> Option<Timestamp> {
        Self::parse_with(s, true)
    }

    /// Like [`Timestamp::parse`], but a day beyond the month's end rolls over into the next
    /// month (`2024-02-30` is `2024-03-01`), as the grammar and the OASIS validator allow.
    pub fn parse_lenient(s: &str) -> Option<Timestamp> {
        Self::parse_with(s, false)
    }

    fn parse_with(s: &str, strict: bool) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' || *b.last()? != b'Z' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            part.iter().try_fold(0i64, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let rest = &b[19..b.len() - 1];
        let nanos = match rest {
            [] => 0,
            [b'.', digits @ ..] if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                let mut n: u32 = 0;
                for i in 0..9 {
                    n = n * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'));
                }
                n
            }
            _ => return None,
        };
        let last_day = if strict {
            days_in_month(year, month)
        } else {
            31
        };
        if !(1..=12).contains(&month) || day < 1 || day > last_day {
            return None;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        (secs <= MAX_SECS).then_some(Timestamp { secs, nanos })
    }

    /// Builds a timestamp from nanoseconds since 1970-01-01T00:00:00Z; `None` outside
    /// years 0000 to 9999.
    pub fn from_unix_nanos(nanos: i128) -> Option<Timestamp> {
        let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
        let nanos = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
        (MIN_SECS..=MAX_SECS)
            .contains(&secs)
            .then_some(Timestamp { secs, nanos })
    }

    /// This instant moved by `secs` seconds; `None` outside years 0000 to 9999. (Cheaper
    /// than a round trip through [`Timestamp::unix_nanos`], which divides 128-bit numbers.)
    pub fn add_seconds(self, secs: i64) -> Option<Timestamp> {
        let secs = self.secs.checked_add(secs)?;
        (MIN_SECS..=MAX_SECS).contains(&secs).then_some(Timestamp {
            secs,
            nanos: self.nanos,
        })
    }

    /// Nanoseconds since 1970-01-01T00:00:00Z.
    pub fn unix_nanos(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with `Z`; the fraction only when non-zero, without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let tod = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            tod / 3600,
            tod / 60 % 60,
            tod % 60
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            era * 400 + yoe + 1
        } else {
            era * 400 + yoe
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let t = Timestamp::parse("2016-06-01T01:30:00.123Z").unwrap();
        assert_eq!(t.to_string(), "2016-06-01T01:30:00.123Z");
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z")
                .unwrap()
                .unix_nanos(),
            0
        );
        let t = Timestamp::parse("0000-01-01T00:00:00Z").unwrap();
        assert_eq!(t.to_string(), "0000-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::parse("2024-02-29T23:59:60Z")
                .unwrap()
                .to_string(),
            "2024-03-01T00:00:00Z"
        );
    }

    #[test]
    fn add_seconds_is_the_nanosecond_round_trip() {
        let t = Timestamp::parse("2024-02-29T23:59:59.5Z").unwrap();
        for d in [
            0,
            1,
            -1,
            86_400,
            -3600 * 5 - 1800,
            10_000_000_000,
            MAX_SECS,
            MIN_SECS,
            i64::MAX,
            i64::MIN,
        ] {
            let round_trip = i128::from(d)
                .checked_mul(1_000_000_000)
                .and_then(|n| Timestamp::from_unix_nanos(t.unix_nanos() + n));
            assert_eq!(t.add_seconds(d), round_trip, "{d}");
        }
        assert_eq!(
            t.add_seconds(1).unwrap().to_string(),
            "2024-03-01T00:00:00.5Z"
        );
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00",
            "9999-12-31T23:59:60Z",
        ] {
            assert!(Timestamp::parse(s).is_none(), "{s}");
        }
    }
}

//! RFC 3339 timestamps in the restricted form STIX requires (spec section 3.2):
//! UTC, upper-case `T` and `Z`, seconds always present, optional fraction.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Not `YYYY-MM-DDTHH:MM:SS[.s+]Z`.
    #[error("{0:?} is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.sss]Z (UTC)")]
    Format(String),
    /// Well-formed but not a real date or time (e.g. month 13).
    #[error("{0:?} is not a real date and time")]
    Range(String),
    /// Fewer fraction digits than the property requires.
    #[error("{0:?} must be precise to the millisecond (YYYY-MM-DDTHH:MM:SS.sssZ)")]
    Precision(String),
}

/// A parsed STIX timestamp, keeping the number of fraction digits it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    instant: DateTime<Utc>,
    digits: u8,
}

fn digits_at(b: &[u8], range: std::ops::Range<usize>) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(range)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

impl Timestamp {
    /// Parses a timestamp. Leap seconds (`:60`) are rejected by the calendar check.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        let fmt = || TimestampError::Format(s.to_owned());
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(fmt());
        }
        let year = digits_at(b, 0..4).ok_or_else(fmt)?;
        let month = digits_at(b, 5..7).ok_or_else(fmt)?;
        let day = digits_at(b, 8..10).ok_or_else(fmt)?;
        let hour = digits_at(b, 11..13).ok_or_else(fmt)?;
        let min = digits_at(b, 14..16).ok_or_else(fmt)?;
        let sec = digits_at(b, 17..19).ok_or_else(fmt)?;
        let rest = &b[19..];
        let (frac, digits) = match rest {
            [b'Z'] => (0, 0),
            [b'.', tail @ .., b'Z'] if !tail.is_empty() && tail.len() <= 9 => {
                let d = u8::try_from(tail.len()).map_err(|_| fmt())?;
                let v = digits_at(tail, 0..tail.len()).ok_or_else(fmt)?;
                (v * 10u32.pow(9 - u32::from(d)), d)
            }
            _ => return Err(fmt()),
        };
        let range = || TimestampError::Range(s.to_owned());
        let date = NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| range())?, month, day)
            .ok_or_else(range)?;
        let time = NaiveTime::from_hms_nano_opt(hour, min, sec, frac).ok_or_else(range)?;
        Ok(Self {
            instant: NaiveDateTime::new(date, time).and_utc(),
            digits,
        })
    }

    /// Parses and requires at least millisecond precision (`created`, `modified`).
    pub fn parse_millis(s: &str) -> Result<Self, TimestampError> {
        let t = Self::parse(s)?;
        if t.digits < 3 {
            return Err(TimestampError::Precision(s.to_owned()));
        }
        Ok(t)
    }

    /// The instant this timestamp names.
    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// Formats an instant with millisecond precision, as Concord writes timestamps.
    pub fn format_millis(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// The current time, formatted with millisecond precision.
    pub fn now_millis() -> String {
        Self::format_millis(Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let a = Timestamp::parse("2016-04-06T20:03:48Z").unwrap();
        let b = Timestamp::parse("2016-04-06T20:03:48.123456Z").unwrap();
        assert!(a.instant() < b.instant());
        assert!(Timestamp::parse_millis("2016-04-06T20:03:48.000Z").is_ok());
    }

    #[test]
    fn rejects() {
        for bad in [
            "2016-04-06 20:03:48Z",
            "2016-04-06T20:03:48+00:00",
            "2016-04-06T20:03:48.Z",
            "2022-101-27T13:49:54.326Z",
            "2016-04-06t20:03:48z",
            "",
        ] {
            assert!(
                matches!(Timestamp::parse(bad), Err(TimestampError::Format(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Timestamp::parse("2016-13-06T20:03:48Z"),
            Err(TimestampError::Range(_))
        ));
        assert!(matches!(
            Timestamp::parse_millis("2016-04-06T20:03:48Z"),
            Err(TimestampError::Precision(_))
        ));
    }
}

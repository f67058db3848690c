//! `date_added`: when this node stored a version, and how it is compared.
//!
//! Every version written gets its own `date_added`, strictly later than every one
//! written before it into the database, by whatever process: `max(now, previous + 1 µs)`,
//! computed inside the writing transaction from the database's last one (the writer's
//! lock orders the writers). It is written in RFC 3339 UTC with six fraction digits
//! (`2026-05-01T10:20:30.123456Z`), so a write of a million objects runs at most a
//! second ahead of the clock, and a client paging with `added_after` = the last
//! `date_added` it saw neither skips nor repeats a version.
//!
//! Databases written before hold texts with three digits (`...30.123Z`), every object
//! of one write sharing one. Texts of the two forms do not order as text (`.123Z` sorts
//! after `.123456Z`), so comparisons go through [`compare`] (in Rust) or the SQL that
//! [`After`] and [`Before`] write, which hold for both forms.
//!
//! The last `date_added` is kept in `store_meta`, so deleting the newest versions never
//! lets it go back.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// Length of the stored microsecond form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`).
const MICROS_LEN: usize = 27;
/// Length of the older millisecond form (`YYYY-MM-DDTHH:MM:SS.fffZ`).
const MILLIS_LEN: usize = 24;
/// The part both forms share: up to the millisecond digits.
const MILLIS_PREFIX: usize = 23;

/// Formats an instant as a `date_added` (microseconds, truncated). Written digit by
/// digit: every stored version gets one, and chrono's `format` (which interprets its
/// format string each call) cost about 7 % of a bulk import's CPU. Years outside
/// 0..=9999 and leap seconds take chrono's way (test `format_is_chronos_form`).
pub fn format(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let micros = t.timestamp_subsec_micros();
    let year = t.year();
    if !(0..=9999).contains(&year) || micros > 999_999 {
        return t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    let mut out = String::with_capacity(MICROS_LEN);
    let mut push = |v: u32, width: u32, sep: char| {
        for i in (0..width).rev() {
            out.push(char::from(
                b'0' + u8::try_from(v / 10u32.pow(i) % 10).unwrap_or(0),
            ));
        }
        out.push(sep);
    };
    push(year.unsigned_abs(), 4, '-');
    push(t.month(), 2, '-');
    push(t.day(), 2, 'T');
    push(t.hour(), 2, ':');
    push(t.minute(), 2, ':');
    push(t.second(), 2, '.');
    push(micros, 6, 'Z');
    out
}

/// Parses a timestamp (any RFC 3339 form STIX accepts).
fn parse(text: &str) -> Option<DateTime<Utc>> {
    concord_stix::Timestamp::parse(text)
        .ok()
        .map(|t| t.instant())
}

/// The `date_added` of the version written after one stored at `previous` (if any), at
/// `now`: `now`, or one microsecond after `previous` when `now` is not later than it
/// (a clock set back, or many versions in one microsecond).
pub fn next(previous: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    let now = now.trunc_subsecs(6);
    match previous {
        Some(p) => now.max(p.trunc_subsecs(6) + Duration::microseconds(1)),
        None => now,
    }
}

/// The later instant named by stored texts (unreadable ones are left out).
pub(crate) fn latest<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<DateTime<Utc>> {
    texts.into_iter().filter_map(parse).max()
}

/// Whether `s` is in one of the two stored forms.
fn stored_form(s: &str) -> bool {
    let b = s.as_bytes();
    s.is_ascii()
        && (b.len() == MICROS_LEN || b.len() == MILLIS_LEN)
        && b.get(MILLIS_PREFIX - 4) == Some(&b'.')
        && b.last() == Some(&b'Z')
}

/// The microsecond digits after the millisecond (`"000"` for the millisecond form).
fn sub_millis(s: &str) -> &str {
    if s.len() == MICROS_LEN {
        &s[MILLIS_PREFIX..MICROS_LEN - 1]
    } else {
        "000"
    }
}

/// Orders two `date_added` texts by the instants they name: texts of the stored forms
/// (microseconds, or the older milliseconds) without parsing; any other timestamp by
/// parsing; texts that are no timestamp as text.
pub fn compare(a: &str, b: &str) -> Ordering {
    if stored_form(a) && stored_form(b) {
        return a[..MILLIS_PREFIX]
            .cmp(&b[..MILLIS_PREFIX])
            .then_with(|| sub_millis(a).cmp(sub_millis(b)));
    }
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Whether `date_added` is strictly after the timestamp `after` (see [`compare`]).
pub fn is_after(date_added: &str, after: &str) -> bool {
    compare(date_added, after) == Ordering::Greater
}

/// An `added_after` bound as SQL over the `date_added` column.
#[derive(Debug, Clone)]
pub(crate) struct After {
    /// The bound in the microsecond form (truncated: versions are stored at whole
    /// microseconds, so "after t" is "after t's microsecond").
    micros: String,
    /// The bound's millisecond in the older form: a row of that form and millisecond is
    /// not after the bound (it sorts after `micros` as text, but names an earlier or
    /// the same instant).
    millis: String,
}

impl After {
    /// The bound for a caller's timestamp; a text that is no timestamp compares as text.
    pub(crate) fn new(text: &str) -> After {
        match parse(text) {
            Some(t) => {
                let micros = format(t);
                let millis = format!("{}Z", &micros[..MILLIS_PREFIX]);
                After { micros, millis }
            }
            None => After {
                micros: text.to_owned(),
                millis: text.to_owned(),
            },
        }
    }

    /// Appends ` AND <condition>` on `column` with its arguments.
    pub(crate) fn push_sql(
        &self,
        column: &str,
        sql: &mut String,
        args: &mut Vec<rusqlite::types::Value>,
    ) {
        sql.push_str(&format!(" AND {column} > ? AND {column} <> ?"));
        args.push(rusqlite::types::Value::Text(self.micros.clone()));
        args.push(rusqlite::types::Value::Text(self.millis.clone()));
    }
}

/// An `added_before` bound as SQL over the `date_added` column.
#[derive(Debug, Clone)]
pub(crate) struct Before {
    /// The bound in the microsecond form, rounded up to a whole microsecond.
    micros: String,
    /// The bound's millisecond in the older form, if the bound is later than it (a row
    /// of that form and millisecond is then before the bound, though it sorts after
    /// `micros` as text).
    millis: Option<String>,
}

impl Before {
    /// The bound for a caller's timestamp; a text that is no timestamp compares as text.
    pub(crate) fn new(text: &str) -> Before {
        let Some(t) = parse(text) else {
            return Before {
                micros: text.to_owned(),
                millis: None,
            };
        };
        let floor = t.trunc_subsecs(6);
        let ceil = if floor == t {
            t
        } else {
            floor + Duration::microseconds(1)
        };
        let in_millis = t.trunc_subsecs(3);
        Before {
            micros: format(ceil),
            millis: (t > in_millis).then(|| format!("{}Z", &format(in_millis)[..MILLIS_PREFIX])),
        }
    }

    /// Appends ` AND <condition>` on `column` with its arguments.
    pub(crate) fn push_sql(
        &self,
        column: &str,
        sql: &mut String,
        args: &mut Vec<rusqlite::types::Value>,
    ) {
        args.push(rusqlite::types::Value::Text(self.micros.clone()));
        match &self.millis {
            Some(m) => {
                sql.push_str(&format!(" AND ({column} < ? OR {column} = ?)"));
                args.push(rusqlite::types::Value::Text(m.clone()));
            }
            None => sql.push_str(&format!(" AND {column} < ?")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse(s).unwrap()
    }

    #[test]
    fn format_is_chronos_form() {
        let mut t = at("1970-01-01T00:00:00Z");
        for step in [1, 999, 86_399_999_999, 3_599_000_001, 31_622_400_000_123] {
            for _ in 0..40 {
                t += chrono::Duration::microseconds(step);
                assert_eq!(format(t), t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            }
        }
    }

    #[test]
    fn next_is_now_or_one_microsecond_after_the_previous() {
        let now = at("2026-05-01T10:00:00.000000Z");
        assert_eq!(next(None, now), now);
        assert_eq!(next(Some(at("2026-05-01T09:00:00.000Z")), now), now);
        // The same microsecond, or a previous one ahead of the clock (set back).
        assert_eq!(format(next(Some(now), now)), "2026-05-01T10:00:00.000001Z");
        assert_eq!(
            format(next(Some(at("2026-05-01T11:00:00.999999Z")), now)),
            "2026-05-01T11:00:01.000000Z"
        );
        // Nanoseconds of the clock are cut off, never rounded past the next one.
        assert_eq!(
            format(next(None, at("2026-05-01T10:00:00.123456789Z"))),
            "2026-05-01T10:00:00.123456Z"
        );
    }

    /// The comparison by instant over both stored forms and other timestamps.
    #[test]
    fn compare_orders_both_forms_by_instant() {
        let ordered = [
            "2026-05-01T10:00:00.122Z",
            "2026-05-01T10:00:00.122999Z",
            "2026-05-01T10:00:00.123Z",
            "2026-05-01T10:00:00.123001Z",
            "2026-05-01T10:00:00.123456Z",
            "2026-05-01T10:00:00.124Z",
            "2026-05-01T10:00:01Z",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(compare(a, b), i.cmp(&j), "{a} {b}");
            }
        }
        assert_eq!(
            compare("2026-05-01T10:00:00.123Z", "2026-05-01T10:00:00.123000Z"),
            Ordering::Equal
        );
        assert!(is_after(
            "2026-05-01T10:00:00.123457Z",
            "2026-05-01T10:00:00.123456789Z"
        ));
        assert!(!is_after(
            "2026-05-01T10:00:00.123456Z",
            "2026-05-01T10:00:00.123456789Z"
        ));
    }

    /// The SQL bounds select what [`compare`] says, over rows of both forms.
    #[test]
    fn sql_bounds_agree_with_compare() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (d TEXT NOT NULL)").unwrap();
        let rows = [
            "2026-05-01T10:00:00.122Z",
            "2026-05-01T10:00:00.122999Z",
            "2026-05-01T10:00:00.123Z",
            "2026-05-01T10:00:00.123000Z",
            "2026-05-01T10:00:00.123001Z",
            "2026-05-01T10:00:00.123456Z",
            "2026-05-01T10:00:00.123457Z",
            "2026-05-01T10:00:00.124Z",
            "2026-05-01T10:00:00.124000Z",
        ];
        for r in rows {
            c.execute("INSERT INTO t (d) VALUES (?1)", [r]).unwrap();
        }
        let select = |sql: &str, args: Vec<rusqlite::types::Value>| -> Vec<String> {
            let mut st = c.prepare(sql).unwrap();
            st.query_map(rusqlite::params_from_iter(args), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        for bound in [
            "2026-05-01T10:00:00.123Z",
            "2026-05-01T10:00:00.123000Z",
            "2026-05-01T10:00:00.123456Z",
            "2026-05-01T10:00:00.123456789Z",
            "2026-05-01T10:00:00.1234Z",
            "2026-05-01T10:00:00Z",
            "2026-05-01T10:00:00.999Z",
        ] {
            let mut sql = "SELECT d FROM t WHERE 1".to_owned();
            let mut args = Vec::new();
            After::new(bound).push_sql("d", &mut sql, &mut args);
            let want: Vec<&str> = rows
                .iter()
                .copied()
                .filter(|r| is_after(r, bound))
                .collect();
            assert_eq!(select(&sql, args), want, "after {bound}");

            let mut sql = "SELECT d FROM t WHERE 1".to_owned();
            let mut args = Vec::new();
            Before::new(bound).push_sql("d", &mut sql, &mut args);
            let want: Vec<&str> = rows
                .iter()
                .copied()
                .filter(|r| compare(r, bound) == Ordering::Less)
                .collect();
            assert_eq!(select(&sql, args), want, "before {bound}");
        }
    }
}

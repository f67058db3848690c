//! Log readers: Suricata EVE JSON, Zeek JSON, Elastic Common Schema JSON, CSV with a
//! header, one observable per line, and STIX observed-data. Each turns an `impl BufRead`
//! into an iterator of [`Observation`]s; a malformed line is an `Err` with its line number
//! and reading goes on. No reader panics on any input.
//!
//! One-per-line and EVE input is read in place from the reader's buffer and matched in
//! batches: a batch prefetches the table lines of all its keys, then probes.
//!
//! One-per-line text makes no observations at all (unless an indicator is evaluated on
//! every observation): `each_block` hands over whole lines a block at a time, `shape` tells
//! a value already in canonical form (looked up where it lies in the block) from one to
//! normalise, `Matcher::match_values` looks up 64 at a time, and only a value that hits an
//! indicator the index cannot decide alone becomes an observation for the evaluator; its
//! report equals the refilled-observation path's and the plain reader's (property test
//! `lines_without_observations_give_the_same_report`).

mod csv;
mod eve;
mod json;
mod lines;
mod refill;
mod scan;
mod stix;
mod time;

use std::collections::HashMap;
use std::io::BufRead;

use crate::error::{LineError, LineErrorKind};
use crate::observation::{Kind, Observation};

pub use lines::detect;
pub(crate) use lines::{Shape, shape, unrecognised};
pub use time::parse_time;

/// What a log is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Suricata EVE JSON, one event per line.
    Eve,
    /// Zeek logs written as JSON, one record per line.
    Zeek,
    /// Elastic Common Schema documents, one per line.
    Ecs,
    /// CSV whose first row names the columns.
    Csv(CsvColumns),
    /// One observable per line, kind detected.
    Lines,
    /// STIX 2.x: a bundle, an array of objects, or one object per line.
    Stix,
}

/// How CSV columns map to kinds: `None` means by name (see [`csv_kind`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvColumns {
    /// Explicit column name (lower-case) to kind; columns not named are ignored.
    pub columns: Option<HashMap<String, Kind>>,
    /// Column holding the timestamp, if not one of `timestamp`, `ts`, `time`, `@timestamp`.
    pub time_column: Option<String>,
}

impl Format {
    /// The format for a CLI name: `eve`, `zeek`, `ecs`, `csv`, `lines`, `stix`.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "eve" => Format::Eve,
            "zeek" => Format::Zeek,
            "ecs" => Format::Ecs,
            "csv" => Format::Csv(CsvColumns::default()),
            "lines" => Format::Lines,
            "stix" => Format::Stix,
            _ => return None,
        })
    }
}

/// The kind a CSV column name stands for when no explicit map is given.
pub fn csv_kind(column: &str) -> Option<Kind> {
    let c = column
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-', '.'], "_");
    Some(match c.as_str() {
        "ip" | "src_ip" | "dst_ip" | "dest_ip" | "source_ip" | "destination_ip" | "ip_address"
        | "address" | "client_ip" | "server_ip" => Kind::Ipv4,
        "domain" | "hostname" | "host" | "fqdn" | "query" | "domain_name" | "sni" => Kind::Domain,
        "url" | "uri" => Kind::Url,
        "email" | "email_address" | "sender" | "from" | "recipient" => Kind::Email,
        "md5" => Kind::Md5,
        "sha1" => Kind::Sha1,
        "sha256" => Kind::Sha256,
        "sha512" => Kind::Sha512,
        "mac" | "mac_address" => Kind::Mac,
        "asn" | "as_number" => Kind::Asn,
        "filename" | "file_name" => Kind::FileName,
        _ => return None,
    })
}

/// Reads observations from `input`.
pub fn read<'a>(
    input: impl BufRead + 'a,
    format: &Format,
) -> Box<dyn Iterator<Item = Result<Observation, LineError>> + 'a> {
    match format {
        Format::Eve => Box::new(numbered(input).filter_map(eve::record)),
        Format::Zeek => Box::new(numbered(input).filter_map(|l| json::record(l, json::zeek))),
        Format::Ecs => Box::new(numbered(input).filter_map(|l| json::record(l, json::ecs))),
        Format::Csv(cols) => Box::new(csv::Reader::new(numbered(input), cols.clone())),
        Format::Lines => Box::new(numbered(input).filter_map(lines::record)),
        Format::Stix => Box::new(stix::read(input).into_iter()),
    }
}

/// Whether [`each_line`] and [`record_into`] read `format` (one-per-line and EVE).
pub(crate) fn reads_in_place(format: &Format) -> bool {
    matches!(format, Format::Lines | Format::Eve)
}

/// One line of a format [`reads_in_place`] into `obs` (refilled), as [`read`] would
/// yield it; `None` for a line that gives nothing (blank, comment).
#[inline]
pub(crate) fn record_into(
    format: &Format,
    n: u64,
    line: &str,
    obs: &mut Observation,
) -> Option<Result<(), LineError>> {
    match format {
        Format::Eve => eve::record_into(n, line, obs),
        _ => lines::record_into(n, line, obs),
    }
}

/// The lines of `input`, numbered from `first + 1` and without their line end, read in
/// place from its buffer: `f` gets each line, or the error of a line that is not UTF-8, or
/// an I/O error (then reading stops), as [`numbered`] gives them. Lines are found by
/// memchr's vector search over each block of [`each_block`] (the standard library's
/// `split` searches anew from each line).
pub(crate) fn each_line(
    input: impl BufRead,
    first: u64,
    f: &mut impl FnMut(u64, Result<&str, LineError>),
) {
    each_block(input, first, &mut |n, block| match block {
        Ok(text) => {
            for (k, l) in lines_of(text).enumerate() {
                f(n + k as u64, Ok(l));
            }
        }
        Err(e) => f(n, Err(e)),
    });
}

/// The lines of a block of [`each_block`], without their line end.
pub(crate) fn lines_of(block: &str) -> impl Iterator<Item = &str> {
    // A line holds no `\n` (it ends before one): what is left to drop is `\r`.
    let mut start = 0;
    memchr::memchr_iter(b'\n', block.as_bytes())
        .chain([block.len()])
        .map(move |end| {
            let l = &block[start..end];
            start = end + 1;
            l.trim_end_matches('\r')
        })
}

/// The whole lines of `input` a block at a time, read in place from its buffer (a line
/// split across two fills is gathered in one reused buffer, and is a block of its own):
/// `f` gets the number of a block's first line (numbered from `first + 1`) and the block,
/// its lines joined by `\n` (each with whatever `\r` ended it, the last without its
/// `\n`); or the error of a line that is not UTF-8, or an I/O error (then reading stops),
/// as [`numbered`] gives them. A fill's whole lines are checked as UTF-8 at once (a line
/// end is never inside a character); where that check fails, the lines before the one
/// that failed are a block, that line an error, and checking goes on after it.
pub(crate) fn each_block(
    mut input: impl BufRead,
    first: u64,
    f: &mut impl FnMut(u64, Result<&str, LineError>),
) {
    let mut n = first;
    let mut buf: Vec<u8> = Vec::new();
    let line = |n: u64, b: &[u8], f: &mut dyn FnMut(u64, Result<&str, LineError>)| {
        match std::str::from_utf8(b) {
            Ok(text) => f(n, Ok(text)),
            Err(e) => f(
                n,
                Err(LineError::new(
                    n,
                    LineErrorKind::Io(format!("not UTF-8 at byte {}", e.valid_up_to())),
                )),
            ),
        }
    };
    loop {
        let avail = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                f(
                    n + 1,
                    Err(LineError::new(n + 1, LineErrorKind::Io(e.to_string()))),
                );
                return;
            }
        };
        if avail.is_empty() {
            if !buf.is_empty() {
                line(n + 1, &buf, f);
            }
            return;
        }
        let Some(last) = memchr::memrchr(b'\n', avail) else {
            let len = avail.len();
            buf.extend_from_slice(avail);
            input.consume(len);
            continue;
        };
        let mut from = 0;
        if !buf.is_empty() {
            // The end of the line the previous fills began.
            let end = memchr::memchr(b'\n', avail).unwrap_or(last);
            buf.extend_from_slice(&avail[..end]);
            n += 1;
            line(n, &buf, f);
            buf.clear();
            from = end + 1;
        }
        // The whole lines of the fill: each run of UTF-8 lines is a block, each line that
        // is not UTF-8 an error of its own.
        let mut rest = avail.get(from..last);
        while let Some(lines) = rest {
            let bad = match std::str::from_utf8(lines) {
                Ok(text) => {
                    f(n + 1, Ok(text));
                    n += bytecount::count(lines, b'\n') as u64 + 1;
                    break;
                }
                Err(e) => e.valid_up_to(),
            };
            let start = memchr::memrchr(b'\n', &lines[..bad]).map_or(0, |i| i + 1);
            if start > 0 {
                let good = &lines[..start - 1];
                line(n + 1, good, f);
                n += bytecount::count(good, b'\n') as u64 + 1;
            }
            let end = memchr::memchr(b'\n', &lines[start..]).map_or(lines.len(), |i| start + i);
            n += 1;
            line(n, &lines[start..end], f);
            rest = lines.get(end + 1..);
        }
        input.consume(last + 1);
    }
}

/// A line: its 1-based number and text (without the line end), or why it is unreadable.
pub(crate) type Line = (u64, Result<String, LineErrorKind>);

/// Lines of `input`, numbered from 1; stops after an I/O error.
pub(crate) fn numbered(mut input: impl BufRead) -> impl Iterator<Item = Line> {
    let mut n = 0u64;
    let mut buf = Vec::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        buf.clear();
        n += 1;
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                Some((
                    n,
                    String::from_utf8(std::mem::take(&mut buf)).map_err(|e| {
                        LineErrorKind::Io(format!(
                            "not UTF-8 at byte {}",
                            e.utf8_error().valid_up_to()
                        ))
                    }),
                ))
            }
            Err(e) => {
                done = true;
                Some((n, Err(LineErrorKind::Io(e.to_string()))))
            }
        }
    })
}

/// Hooks for the differential fuzz target (not a stable API).
#[doc(hidden)]
pub mod testing {
    use super::{Observation, eve, json};
    use crate::error::LineError;

    /// One EVE line read by the scanner (`None` if it gave up) and by `serde_json`'s
    /// `Value` path.
    #[allow(clippy::type_complexity)]
    pub fn eve_fast_and_serde(
        line: &str,
    ) -> (
        Option<Option<Result<Observation, LineError>>>,
        Option<Result<Observation, LineError>>,
    ) {
        let mut obs = Observation::default();
        let fast = eve::scan_into(1, line, &mut obs).map(|r| r.map(|r| r.map(|()| obs)));
        (fast, json::record((1, Ok(line.to_owned())), json::eve))
    }
}

#[cfg(test)]
mod tests;

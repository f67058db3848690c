//! Large one-per-line and EVE inputs matched on several threads: the input is cut into
//! blocks of whole lines (about [`BLOCK`] bytes), a round of blocks (one per thread) is
//! matched at once, and the blocks' reports are merged in input order, so the result is
//! the one-thread result (same counts, errors, sightings and their order, values).
//! An input that fits one block is matched on the calling thread.

use std::collections::HashMap;
use std::io::BufRead;

use concord_pattern::Timestamp;
use foldhash::fast::FixedState;

use crate::error::{LineError, LineErrorKind};
use crate::matcher::Matcher;
use crate::readers::Format;
use crate::report::{MAX_ERRORS, MAX_VALUES, MatchReport};

/// Bytes per block (a block ends at a line end; a longer line makes a longer block).
const BLOCK: usize = 1 << 20;

/// Reads into `block` until it holds at least `min` bytes and a line end past `min`'s
/// start, or the input ends (`Ok(true)`). Takes from the input only up to that line end:
/// a reader whose buffer holds all of the input (a slice, a request body) is cut into
/// blocks too, not read whole into the first.
fn fill(input: &mut impl BufRead, block: &mut Vec<u8>, min: usize) -> std::io::Result<bool> {
    loop {
        let avail = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(true);
        }
        // The bytes still wanted, then through the next line end.
        let want = min.saturating_sub(block.len()).min(avail.len());
        let (take, ended) = match memchr::memchr(b'\n', &avail[want..]) {
            Some(i) => (want + i + 1, true),
            None => (avail.len(), false),
        };
        block.extend_from_slice(&avail[..take]);
        input.consume(take);
        if ended {
            return Ok(false);
        }
    }
}

/// See the module doc.
pub(crate) fn match_blocks(
    m: &Matcher,
    input: impl BufRead,
    format: &Format,
    threads: usize,
) -> MatchReport {
    match_blocks_of(m, input, format, threads, BLOCK)
}

fn match_blocks_of(
    m: &Matcher,
    mut input: impl BufRead,
    format: &Format,
    threads: usize,
    block_size: usize,
) -> MatchReport {
    let mut total = Merged::default();
    let mut lines = 0u64;
    let mut done = false;
    while !done {
        let mut blocks: Vec<(u64, Vec<u8>)> = Vec::with_capacity(threads);
        let mut failure = None;
        while blocks.len() < threads && !done {
            let mut block = Vec::with_capacity(block_size + 4096);
            match fill(&mut input, &mut block, block_size) {
                // The block ends at a line end.
                Ok(false) => {}
                Ok(true) => done = true,
                Err(e) => {
                    // As when reading line by line: the whole lines before are read, the
                    // partial one is lost, the error is the next line's.
                    let end = memchr::memrchr(b'\n', &block).map_or(0, |i| i + 1);
                    block.truncate(end);
                    failure = Some(e);
                    done = true;
                }
            }
            let n = memchr::memchr_iter(b'\n', &block).count() as u64;
            blocks.push((lines, block));
            lines += n;
        }
        if let [(first, block)] = &blocks[..] {
            total.add(m.match_in_place_by_slot(&block[..], format, *first, false));
        } else {
            let parts: Vec<(MatchReport, Vec<u32>)> = std::thread::scope(|sc| {
                let handles: Vec<_> = blocks
                    .iter()
                    .map(|(first, block)| {
                        sc.spawn(move || {
                            m.match_in_place_by_slot(&block[..], format, *first, false)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
            parts.into_iter().for_each(|p| total.add(p));
        }
        if let Some(e) = failure {
            total.error(LineError::new(lines + 1, LineErrorKind::Io(e.to_string())));
        }
    }
    // Ids resolved once per indicator, after merging.
    for (s, &slot) in total.report.sightings.iter_mut().zip(&total.slots) {
        s.indicator_id = m.indicator_id(slot);
    }
    total.report
}

/// Reports merged in input order, by slot.
#[derive(Default)]
struct Merged {
    report: MatchReport,
    slots: Vec<u32>,
    by_slot: HashMap<u32, usize, FixedState>,
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn latest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

impl Merged {
    fn error(&mut self, e: LineError) {
        let r = &mut self.report;
        r.records += 1;
        r.malformed += 1;
        if r.errors.len() < MAX_ERRORS {
            r.errors.push(e);
        }
    }

    fn add(&mut self, (part, slots): (MatchReport, Vec<u32>)) {
        let r = &mut self.report;
        r.records += part.records;
        r.observations += part.observations;
        r.malformed += part.malformed;
        let room = MAX_ERRORS.saturating_sub(r.errors.len());
        r.errors.extend(part.errors.into_iter().take(room));
        for (s, slot) in part.sightings.into_iter().zip(slots) {
            match self.by_slot.get(&slot) {
                Some(&at) => {
                    let t = &mut r.sightings[at];
                    t.count += s.count;
                    t.first_seen = earliest(t.first_seen, s.first_seen);
                    t.last_seen = latest(t.last_seen, s.last_seen);
                    for v in s.values {
                        if t.values.len() < MAX_VALUES && !t.values.contains(&v) {
                            t.values.push(v);
                        }
                    }
                }
                None => {
                    self.by_slot.insert(slot, r.sightings.len());
                    self.slots.push(slot);
                    r.sightings.push(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};
    use std::sync::Arc;

    use super::*;
    use crate::{Index, IndicatorInput};

    fn matcher() -> Matcher {
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let inds: Vec<IndicatorInput> = (0..200u32)
            .map(|i| {
                let pattern = match i % 3 {
                    0 => format!("[ipv4-addr:value = '10.0.{}.{}']", i / 7, i % 7),
                    1 => format!("[ipv4-addr:value ISSUBSET '10.{i}.0.0/16']"),
                    _ => format!("[domain-name:value = 'h{i}.example']"),
                };
                let id = format!("indicator--00000000-0000-4000-8000-{i:012}");
                IndicatorInput::new(
                    id,
                    pattern,
                    Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
                )
            })
            .collect();
        Matcher::new(Arc::new(Index::build(&inds, now).0))
    }

    /// EVE and one-per-line input of many lines, with malformed lines, CRLF ends, bytes
    /// that are not UTF-8 and no line end at the end.
    fn input(format: &Format) -> Vec<u8> {
        let mut t = Vec::new();
        for i in 0..6000u32 {
            let line = match format {
                Format::Eve => format!(
                    r#"{{"timestamp":"2026-01-02T10:{:02}:{:02}.000000+0000","src_ip":"10.{}.0.{}","dest_ip":"10.0.{}.{}","dns":{{"rrname":"h{}.example"}}}}"#,
                    i / 60 % 60,
                    i % 60,
                    i % 230,
                    i % 250,
                    i % 40,
                    i % 9,
                    i % 200
                ),
                _ => format!("10.0.{}.{}", i % 40, i % 9),
            };
            t.extend_from_slice(line.as_bytes());
            t.extend_from_slice(match i % 97 {
                0 => b"\r\n{oops\n",
                1 => b"\n\xff\xfe\n",
                2 => b"\n\n",
                _ => b"\n",
            });
        }
        t.extend_from_slice(b"10.0.1.1");
        t
    }

    #[test]
    fn blocks_on_threads_give_the_one_thread_report() {
        let m = matcher();
        for format in [Format::Eve, Format::Lines] {
            let text = input(&format);
            let one = m.match_in_place(&text[..], &format, 0);
            assert!(
                one.sightings.len() > 50 && one.malformed > 100,
                "{format:?}"
            );
            for (threads, block) in [(2, 4096), (3, 777), (4, 1 << 20), (2, 1)] {
                let got = match_blocks_of(&m, &text[..], &format, threads, block);
                assert_eq!(got, one, "{format:?}, {threads} threads, blocks of {block}");
            }
        }
    }

    #[test]
    fn a_slice_is_cut_into_blocks_of_whole_lines() {
        let text = b"aaaa\nbb\ncccccc\nd\n\neeeeeeeeee\nf";
        let mut input = &text[..];
        let mut blocks = Vec::new();
        loop {
            let mut block = Vec::new();
            let end = fill(&mut input, &mut block, 6).unwrap();
            blocks.push(String::from_utf8(block).unwrap());
            if end {
                break;
            }
        }
        assert_eq!(blocks, ["aaaa\nbb\n", "cccccc\n", "d\n\neeeeeeeeee\n", "f"]);
        // Through a small buffer, lines split across fills.
        let mut input = BufReader::with_capacity(3, &text[..]);
        let mut block = Vec::new();
        assert!(!fill(&mut input, &mut block, 6).unwrap());
        assert_eq!(block, b"aaaa\nbb\n");
    }

    /// A reader that fails after `left` bytes.
    struct Failing<'a> {
        data: &'a [u8],
        left: usize,
    }

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.left).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn an_io_error_ends_reading_as_on_one_thread() {
        let m = matcher();
        let text = input(&Format::Eve);
        for cut in [0, 1, 5000, 123_457] {
            let reader = || {
                BufReader::with_capacity(
                    1000,
                    Failing {
                        data: &text,
                        left: cut,
                    },
                )
            };
            let one = m.match_in_place(reader(), &Format::Eve, 0);
            let got = match_blocks_of(&m, reader(), &Format::Eve, 2, 3000);
            assert_eq!(got, one, "cut at {cut}");
            assert!(
                one.errors
                    .last()
                    .is_some_and(|e| e.to_string().contains("disk on fire"))
                    || one.errors.len() == MAX_ERRORS
            );
        }
    }
}

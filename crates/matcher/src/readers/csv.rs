//! CSV with a header row (RFC 4180 quoting; comma, or tab/semicolon if the header has no
//! comma): named columns become observables, a time column the timestamp.

use super::time::parse_time;
use super::{CsvColumns, Line, csv_kind};
use crate::error::{LineError, LineErrorKind};
use crate::observation::{Kind, Observable, Observation};

/// Splits one CSV record; `None` if a quote is left open.
fn split(line: &str, sep: char) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, c) if c == sep => out.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

/// The CSV reader state: the header once read.
pub(crate) struct Reader<I> {
    lines: I,
    cols: CsvColumns,
    header: Option<(char, Vec<Option<Kind>>, Option<usize>)>,
}

impl<I: Iterator<Item = Line>> Reader<I> {
    pub(crate) fn new(lines: I, cols: CsvColumns) -> Self {
        Reader {
            lines,
            cols,
            header: None,
        }
    }

    fn set_header(&mut self, line: &str) -> Result<(), LineErrorKind> {
        let sep = if line.contains(',') {
            ','
        } else if line.contains('\t') {
            '\t'
        } else {
            ';'
        };
        let names =
            split(line, sep).ok_or(LineErrorKind::Csv("unclosed quote in header".into()))?;
        let names: Vec<String> = names
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        let kinds: Vec<Option<Kind>> = names
            .iter()
            .map(|n| match &self.cols.columns {
                Some(map) => map.get(n).copied(),
                None => csv_kind(n),
            })
            .collect();
        if kinds.iter().all(Option::is_none) {
            return Err(LineErrorKind::Csv("no column names a known kind".into()));
        }
        let time = names.iter().position(|n| match &self.cols.time_column {
            Some(t) => n == &t.to_ascii_lowercase(),
            None => matches!(
                n.as_str(),
                "timestamp" | "ts" | "time" | "@timestamp" | "date"
            ),
        });
        self.header = Some((sep, kinds, time));
        Ok(())
    }
}

impl<I: Iterator<Item = Line>> Iterator for Reader<I> {
    type Item = Result<Observation, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (n, line) = self.lines.next()?;
            let line = match line {
                Ok(l) => l,
                Err(k) => return Some(Err(LineError::new(n, k))),
            };
            if line.trim().is_empty() {
                continue;
            }
            let Some((sep, kinds, time)) = &self.header else {
                if let Err(k) = self.set_header(&line) {
                    return Some(Err(LineError::new(n, k)));
                }
                continue;
            };
            let Some(fields) = split(&line, *sep) else {
                return Some(Err(LineError::new(
                    n,
                    LineErrorKind::Csv("unclosed quote".into()),
                )));
            };
            if fields.len() != kinds.len() {
                let msg = format!("{} fields, the header has {}", fields.len(), kinds.len());
                return Some(Err(LineError::new(n, LineErrorKind::Csv(msg))));
            }
            let mut obs = Observation {
                line: n,
                timestamp: time.and_then(|t| parse_time(&fields[t])),
                ..Observation::default()
            };
            for (field, kind) in fields.iter().zip(kinds) {
                let ob = match kind {
                    Some(Kind::Ipv4 | Kind::Ipv6) => Observable::ip(field),
                    Some(k) => Observable::new(*k, field.trim()),
                    None => None,
                };
                obs.observables.extend(ob);
            }
            return Some(Ok(obs));
        }
    }
}

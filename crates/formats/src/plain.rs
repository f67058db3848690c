//! Plain feeds: one value per line, and CSV (or tab-, pipe-, semicolon-separated) feeds
//! described by a [`Layout`]: which column holds the value, which the first-seen time, a
//! description or a label, how comments look. [`presets`] describes the layouts of the
//! feeds CERTs subscribe to most (abuse.ch, Spamhaus, Bambenek, DShield, OpenPhish,
//! blocklist.de, ...). Each value becomes one indicator with a deterministic id over
//! (source, kind, value); a line that does not fit is an error naming its line number,
//! and reading goes on. Lines are read one at a time (constant memory).

use std::io::BufRead;

use serde_json::Value;

use crate::error::{FormatError, Item};
use crate::observable::{self, Kind};
use crate::source::{Source, feed_time};

/// How fields of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// One value per line (the first white-space separated token; the rest is ignored).
    Lines,
    /// CSV with this delimiter byte (double quotes honoured).
    Csv(u8),
    /// Fields separated by this string (each field trimmed).
    Text(&'static str),
    /// Fields separated by runs of white space.
    Whitespace,
}

/// Where things are in a line of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Preset name (`--preset`), or `custom`.
    pub name: String,
    /// What the feed is (for `--list-presets`).
    pub about: &'static str,
    /// Field separator.
    pub separator: Separator,
    /// Lines starting (after white space) with one of these are comments.
    pub comments: Vec<&'static str>,
    /// The kind of the values.
    pub kind: Kind,
    /// Column of the value (0-based).
    pub value: usize,
    /// Column of a CIDR prefix length to append to the value (DShield's netblocks).
    pub prefix: Option<usize>,
    /// Column of the first-seen time (becomes `valid_from`).
    pub first_seen: Option<usize>,
    /// Columns joined into the description.
    pub description: Vec<usize>,
    /// Column whose text becomes a label (malware family, threat type).
    pub label: Option<usize>,
    /// Fewest and most columns a data line may have (`None`: any).
    pub columns: Option<(usize, usize)>,
    /// The first data line is a header (skipped).
    pub header: bool,
    /// Labels every indicator of the feed gets.
    pub labels: Vec<&'static str>,
    /// Guess each value's kind ([`observable::guess`]) instead of using `kind`.
    pub guess: bool,
}

impl Layout {
    /// A one-value-per-line layout for values of `kind` (`#` and `;` comments).
    pub fn lines(kind: Kind) -> Layout {
        Layout {
            name: "lines".into(),
            about: "one value per line",
            separator: Separator::Lines,
            comments: vec!["#", ";", "//"],
            kind,
            value: 0,
            prefix: None,
            first_seen: None,
            description: Vec::new(),
            label: None,
            columns: None,
            header: false,
            labels: Vec::new(),
            guess: false,
        }
    }

    /// A one-value-per-line layout whose values may be of any kind (each is guessed).
    pub fn guessing() -> Layout {
        Layout {
            guess: true,
            ..Layout::lines(Kind::Ipv4)
        }
    }

    /// A CSV layout from a column list, as `--columns` takes it: one role per column,
    /// comma-separated, in order; roles are an observable kind (`ipv4-addr`, `url`, ...:
    /// the value column, exactly one), `first_seen`, `description`, `label`, or an empty
    /// name / `skip` for a column to ignore. Lines must have exactly that many columns.
    pub fn from_columns(spec: &str, delimiter: u8) -> Result<Layout, String> {
        let mut layout = Layout::lines(Kind::Ipv4);
        layout.name = "custom".into();
        layout.about = "--columns";
        layout.separator = Separator::Csv(delimiter);
        let roles: Vec<&str> = spec.split(',').map(str::trim).collect();
        let mut value = None;
        for (i, role) in roles.iter().enumerate() {
            match *role {
                "" | "skip" | "-" => {}
                "first_seen" | "first-seen" | "time" => layout.first_seen = Some(i),
                "description" | "comment" => layout.description.push(i),
                "label" | "tag" => layout.label = Some(i),
                name => match Kind::from_name(name) {
                    Some(k) if value.is_none() => {
                        value = Some(i);
                        layout.kind = k;
                    }
                    Some(_) => return Err(format!("column {}: a second value column", i + 1)),
                    None => {
                        return Err(format!(
                            "column {}: unknown role {name:?} (an observable kind, first_seen, description, label or skip)",
                            i + 1
                        ));
                    }
                },
            }
        }
        layout.value = value.ok_or("no value column (name one observable kind, e.g. url)")?;
        layout.columns = Some((roles.len(), roles.len()));
        Ok(layout)
    }
}

/// The layouts of known feeds (`--preset NAME`), with the corpus files they were
/// written against.
pub fn presets() -> Vec<Layout> {
    let base = |name: &str, about, separator, kind, value| Layout {
        name: name.into(),
        about,
        separator,
        comments: vec!["#"],
        kind,
        value,
        prefix: None,
        first_seen: None,
        description: Vec::new(),
        label: None,
        columns: None,
        header: false,
        labels: vec!["malicious-activity"],
        guess: false,
    };
    vec![
        Layout {
            first_seen: Some(0),
            label: Some(3),
            columns: Some((8, 8)),
            ..base(
                "urlhaus",
                "abuse.ch URLhaus CSV (dateadded,url,url_status,threat,host,ip,asn,country)",
                Separator::Csv(b','),
                Kind::Url,
                1,
            )
        },
        Layout {
            first_seen: Some(0),
            label: Some(5),
            columns: Some((6, 6)),
            header: true,
            ..base(
                "feodotracker",
                "abuse.ch Feodo Tracker C2 IP blocklist CSV (first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware)",
                Separator::Csv(b','),
                Kind::Ipv4,
                1,
            )
        },
        Layout {
            first_seen: Some(0),
            label: Some(2),
            description: vec![1],
            columns: Some((10, 10)),
            ..base(
                "ransomwaretracker",
                "abuse.ch Ransomware Tracker CSV (firstseen,threat,malware,host,url,...): the URL column",
                Separator::Csv(b','),
                Kind::Url,
                4,
            )
        },
        base(
            "feodo-domains",
            "abuse.ch Feodo domain blocklist (one domain per line)",
            Separator::Lines,
            Kind::Domain,
            0,
        ),
        base(
            "zeustracker-ips",
            "abuse.ch ZeuS IP blocklist (one address per line)",
            Separator::Lines,
            Kind::Ipv4,
            0,
        ),
        Layout {
            comments: vec![";"],
            description: vec![1],
            columns: Some((2, 2)),
            ..base(
                "spamhaus-drop",
                "Spamhaus DROP/EDROP (CIDR ; SBL id), IPv4 and IPv6",
                Separator::Text(";"),
                Kind::Ipv4,
                0,
            )
        },
        Layout {
            comments: vec![";"],
            description: vec![1],
            columns: Some((2, 2)),
            ..base(
                "spamhaus-asndrop",
                "Spamhaus ASN-DROP (ASnnn ; CC | name)",
                Separator::Text(";"),
                Kind::Asn,
                0,
            )
        },
        Layout {
            comments: vec![";"],
            first_seen: Some(3),
            label: Some(4),
            columns: Some((10, 10)),
            ..base(
                "spamhaus-cert",
                "Spamhaus CERT Insight CSV (ip,asn,country,lastseen,botname,...)",
                Separator::Csv(b','),
                Kind::Ipv4,
                0,
            )
        },
        Layout {
            description: vec![1],
            first_seen: Some(2),
            columns: Some((4, 4)),
            ..base(
                "bambenek-ip",
                "Bambenek C2 IP master list (ip,description,time,manual)",
                Separator::Csv(b','),
                Kind::Ipv4,
                0,
            )
        },
        Layout {
            description: vec![1],
            first_seen: Some(2),
            columns: Some((4, 4)),
            ..base(
                "bambenek-domain",
                "Bambenek C2 domain master list and DGA feed (domain,description,time,manual)",
                Separator::Csv(b','),
                Kind::Domain,
                0,
            )
        },
        Layout {
            prefix: Some(2),
            description: vec![4, 5],
            header: true,
            columns: Some((3, 7)),
            ..base(
                "dshield",
                "DShield recommended block list (tab-separated start,end,prefix,attacks,name,country,email)",
                Separator::Csv(b'\t'),
                Kind::Ipv4,
                0,
            )
        },
        base(
            "openphish",
            "OpenPhish URL feed (one URL per line)",
            Separator::Lines,
            Kind::Url,
            0,
        ),
        base(
            "blocklistde",
            "blocklist.de address lists (one address per line)",
            Separator::Lines,
            Kind::Ipv4,
            0,
        ),
        Layout {
            label: Some(1),
            columns: Some((2, 8)),
            ..base(
                "malwaredomains",
                "malwaredomains.com list (tab-separated; domain, type, reference, dates)",
                Separator::Whitespace,
                Kind::Domain,
                0,
            )
        },
        Layout {
            label: Some(0),
            first_seen: Some(3),
            description: vec![4],
            columns: Some((6, 6)),
            ..base(
                "cymru-infected",
                "Team Cymru infected hosts (report|ip|asn|timestamp|comments|asn_name)",
                Separator::Text("|"),
                Kind::Ipv4,
                1,
            )
        },
        Layout {
            label: Some(4),
            first_seen: Some(3),
            description: vec![1],
            columns: Some((5, 5)),
            ..base(
                "dataplane",
                "DataPlane.org reports (ASN | ASname | ip | lastseen | category)",
                Separator::Text("  |  "),
                Kind::Ipv4,
                2,
            )
        },
        Layout {
            columns: Some((4, 4)),
            description: vec![2],
            ..base(
                "ponmocup",
                "ponmocup infected domains (ip domain uri infected-domain)",
                Separator::Whitespace,
                Kind::Domain,
                1,
            )
        },
    ]
}

/// The preset named `name`.
pub fn preset(name: &str) -> Option<Layout> {
    presets().into_iter().find(|p| p.name == name)
}

/// What a read of a plain feed saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Lines read.
    pub lines: u64,
    /// Values turned into indicators.
    pub values: u64,
    /// Lines that were errors.
    pub errors: u64,
}

/// Reads a feed line by line; hands the source's identity, then one indicator per value
/// (or a located error per bad line) to `each`. Stops early if `each` returns `false`.
/// Fails only if the reader fails (not UTF-8 is an error of that line).
pub fn read<R: BufRead>(
    mut reader: R,
    layout: &Layout,
    source: &Source,
    each: &mut dyn FnMut(Item) -> bool,
) -> Result<LineStats, FormatError> {
    let mut stats = LineStats::default();
    if !each(Item::Object(source.identity())) {
        return Ok(stats);
    }
    let mut buf = Vec::with_capacity(256);
    let mut header_pending = layout.header;
    let mut seen_data = false;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        stats.lines += 1;
        let n = stats.lines;
        let Ok(line) = std::str::from_utf8(&buf) else {
            stats.errors += 1;
            if !each(Item::Error(FormatError::line(n, "not UTF-8"))) {
                break;
            }
            continue;
        };
        let line = line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || layout.comments.iter().any(|c| trimmed.starts_with(c)) {
            continue;
        }
        let item = match convert(line, layout, source) {
            Ok(Some(v)) => {
                stats.values += 1;
                seen_data = true;
                Item::Object(v)
            }
            Ok(None) => continue,
            Err(msg) => {
                // A header line: the first data line, when the layout says there is one or
                // when its value column is the column's name rather than a value.
                if header_pending || (!seen_data && looks_like_header(line, layout)) {
                    header_pending = false;
                    seen_data = true;
                    continue;
                }
                stats.errors += 1;
                Item::Error(FormatError::line(n, msg))
            }
        };
        header_pending = false;
        if !each(item) {
            break;
        }
    }
    Ok(stats)
}

fn looks_like_header(line: &str, layout: &Layout) -> bool {
    split(line, layout.separator)
        .ok()
        .and_then(|f| f.get(layout.value).cloned())
        .is_some_and(|v| v.chars().all(|c| c.is_alphabetic() || "_ -()".contains(c)))
}

/// Splits a line into fields.
fn split(line: &str, sep: Separator) -> Result<Vec<String>, String> {
    Ok(match sep {
        Separator::Lines => {
            let first = line.split_whitespace().next().unwrap_or("");
            vec![first.to_owned()]
        }
        Separator::Whitespace => line.split_whitespace().map(str::to_owned).collect(),
        Separator::Text(s) => line.split(s).map(|f| f.trim().to_owned()).collect(),
        Separator::Csv(d) => {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(d)
                .flexible(true)
                .from_reader(line.as_bytes());
            let mut rec = csv::StringRecord::new();
            match r.read_record(&mut rec) {
                Ok(_) => rec.iter().map(|f| f.trim().to_owned()).collect(),
                Err(e) => return Err(format!("bad CSV: {e}")),
            }
        }
    })
}

/// One data line to an indicator; `Ok(None)` for a line with an empty value.
fn convert(line: &str, layout: &Layout, source: &Source) -> Result<Option<Value>, String> {
    let fields = split(line, layout.separator)?;
    if let Some((min, max)) = layout.columns
        && (fields.len() < min || fields.len() > max)
    {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "expected {want} columns, found {} (separator {})",
            fields.len(),
            describe(layout.separator)
        ));
    }
    let raw = fields.get(layout.value).map(String::as_str).unwrap_or("");
    if raw.is_empty() || raw == "-" {
        return Err(format!("column {} (the value) is empty", layout.value + 1));
    }
    let raw = match layout.prefix.and_then(|p| fields.get(p)) {
        Some(p) if !raw.contains('/') && !p.is_empty() => format!("{raw}/{p}"),
        _ => raw.to_owned(),
    };
    let kind = if layout.guess {
        observable::guess(&raw)
            .ok_or_else(|| format!("{raw:?}: cannot tell what kind of value this is"))?
    } else {
        layout.kind.for_value(&raw)
    };
    let value = observable::normalise(kind, &raw)
        .map_err(|e| format!("column {}: {e}", layout.value + 1))?;
    let first_seen = layout
        .first_seen
        .and_then(|c| fields.get(c))
        .and_then(|t| feed_time(t));
    let description: Vec<&str> = layout
        .description
        .iter()
        .filter_map(|c| fields.get(*c))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    let mut labels: Vec<String> = layout.labels.iter().map(|l| (*l).to_owned()).collect();
    if let Some(l) = layout
        .label
        .and_then(|c| fields.get(c))
        .filter(|l| !l.is_empty())
    {
        labels.push(l.to_lowercase());
    }
    let desc = description.join(" ");
    Ok(Some(source.indicator(
        kind,
        &value,
        first_seen.as_deref(),
        Some(desc.as_str()),
        &labels,
    )))
}

fn describe(sep: Separator) -> String {
    match sep {
        Separator::Lines => "none".into(),
        Separator::Whitespace => "white space".into(),
        Separator::Text(s) => format!("{s:?}"),
        Separator::Csv(b'\t') => "tab".into(),
        Separator::Csv(d) => format!("{:?}", d as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, layout: &Layout) -> (Vec<Value>, Vec<FormatError>) {
        let source = Source::new("test", "2026-01-01T00:00:00.000Z");
        let (mut objs, mut errs) = (Vec::new(), Vec::new());
        read(text.as_bytes(), layout, &source, &mut |i| {
            match i {
                Item::Object(v) => objs.push(v),
                Item::Error(e) | Item::Warning(e) => errs.push(e),
            }
            true
        })
        .unwrap();
        (objs, errs)
    }

    #[test]
    fn lines_with_comments_and_bad_values() {
        let (objs, errs) = run(
            "# list\n198.51.100.1\n\n  ; x\n300.1.1.1\n2001:db8::1 # v6\n",
            &Layout::lines(Kind::Ipv4),
        );
        assert_eq!(objs.len(), 3, "identity + 2 indicators");
        assert_eq!(objs[2]["pattern"], "[ipv6-addr:value = '2001:db8::1']");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].location, crate::error::Location::Line(5));
    }

    #[test]
    fn wrong_column_count_is_located() {
        let layout = Layout::from_columns("first_seen,url,label", b',').unwrap();
        let (objs, errs) = run(
            "2024-01-01 00:00:00,http://a.example/,phish\nhttp://b.example/\n",
            &layout,
        );
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[1]["valid_from"], "2024-01-01T00:00:00.000Z");
        assert_eq!(objs[1]["labels"], serde_json::json!(["phish"]));
        assert_eq!(
            errs[0].to_string(),
            "line 2: expected 3 columns, found 1 (separator ',')"
        );
    }

    #[test]
    fn every_preset_is_well_formed() {
        let names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len());
    }
}

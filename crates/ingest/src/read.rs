//! What an input is and how its records are converted: the import options (format,
//! preset or columns, observable kind, the source's name, TLP, confidence and labels),
//! format detection from an input's first bytes and name ([`reading`]), and the
//! [`Source`] converters mint ids and the source identity from ([`source`]).

use std::sync::Arc;

use concord_formats::plain::{self, Layout};
use concord_formats::warninglist::WarningLists;
use concord_formats::{Detected, Source};

use crate::Error;

/// How an import reads its inputs: `concord import`'s flags, a feed's settings, the web
/// upload's chosen layout.
#[derive(Debug, Clone)]
pub struct Options {
    /// `auto` (recognised from the content), `stix`, `misp`, `csaf`, `csv` or `lines`.
    pub format: String,
    /// For `lines`: the kind of every value (guessed per line if absent).
    pub observable: Option<String>,
    /// For `csv`: a known layout ([`plain::presets`]).
    pub preset: Option<String>,
    /// For `csv`: the role of each column, comma-separated.
    pub columns: Option<String>,
    /// For `csv` with `columns`: the delimiter (one character, or `tab`).
    pub delimiter: String,
    /// The source's name (default: the input's).
    pub source: Option<String>,
    /// TLP of converted values (`clear`, `green`, `amber`, `amber+strict`, `red`).
    pub tlp: Option<String>,
    /// Confidence (0-100) of converted values.
    pub confidence: Option<u8>,
    /// Labels of every converted value.
    pub labels: Vec<String>,
    /// Warning lists that flag converted indicators (see [`crate::warninglists`]).
    pub lists: Option<Arc<WarningLists>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: "auto".into(),
            observable: None,
            preset: None,
            columns: None,
            delimiter: ",".into(),
            source: None,
            tlp: None,
            confidence: None,
            labels: Vec::new(),
            lists: None,
        }
    }
}

/// How to read one input.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reading {
    /// STIX documents, taken as they are: their timestamps are their versions, and they
    /// may be signed, so they are neither settled nor flagged.
    Stix,
    /// MISP JSON events.
    Misp,
    /// CSAF 2.0 advisories.
    Csaf,
    /// A CSV feed (`csv`: a preset or columns) or one value per line (`lines`).
    Plain {
        /// The layout.
        layout: Box<Layout>,
        /// `csv` or `lines`: how it was chosen.
        format: &'static str,
    },
}

impl Reading {
    /// The format's name: `stix`, `misp`, `csaf`, `csv` or `lines`.
    pub fn name(&self) -> &'static str {
        match self {
            Reading::Stix => "stix",
            Reading::Misp => "misp",
            Reading::Csaf => "csaf",
            Reading::Plain { format, .. } => format,
        }
    }

    /// Whether Concord converts the records itself (everything but STIX): converted
    /// records are settled against the held versions and flagged by warning lists.
    pub fn converts(&self) -> bool {
        !matches!(self, Reading::Stix)
    }
}

/// Decides how to read an input from the options, the start of its content and its
/// name. With `auto`: STIX, MISP and CSAF are recognised from the content
/// ([`concord_formats::detect`]); text is CSV with a preset or columns, else one value
/// per line; text in a `.json` file, or no content at all, is read as STIX, so that its
/// error says what a JSON reader says.
///
/// # Errors
/// An unknown format, preset, observable kind or TLP level, or bad columns.
pub fn reading(opts: &Options, head: &[u8], name: &str) -> Result<Reading, Error> {
    let json_name = name.to_ascii_lowercase().ends_with(".json");
    let format = match opts.format.as_str() {
        "auto" | "" => match concord_formats::detect(head) {
            Detected::Stix => "stix",
            Detected::Misp => "misp",
            Detected::Csaf => "csaf",
            _ if opts.preset.is_some() || opts.columns.is_some() => "csv",
            _ if json_name || head.iter().all(u8::is_ascii_whitespace) => "stix",
            _ => "lines",
        },
        f => f,
    };
    Ok(match format {
        "stix" => Reading::Stix,
        "misp" => Reading::Misp,
        "csaf" => Reading::Csaf,
        "csv" => Reading::Plain {
            layout: Box::new(layout(opts)?),
            format: "csv",
        },
        "lines" => Reading::Plain {
            layout: Box::new(match &opts.observable {
                Some(k) => Layout::lines(kind(k)?),
                None => match &opts.preset {
                    Some(_) => layout(opts)?,
                    None => Layout::guessing(),
                },
            }),
            format: "lines",
        },
        f => return Err(Error::UnknownFormat(f.to_owned())),
    })
}

fn kind(name: &str) -> Result<concord_formats::observable::Kind, Error> {
    concord_formats::observable::Kind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = concord_formats::observable::KINDS
            .iter()
            .map(|k| k.name())
            .collect();
        Error::UnknownObservable {
            name: name.to_owned(),
            known: names.join(", "),
        }
    })
}

fn layout(opts: &Options) -> Result<Layout, Error> {
    if let Some(p) = &opts.preset {
        return plain::preset(p).ok_or_else(|| Error::UnknownPreset(p.clone()));
    }
    let Some(cols) = &opts.columns else {
        return Err(Error::NoLayout);
    };
    let delimiter = match opts.delimiter.as_str() {
        "tab" | "\\t" => b'\t',
        d if d.len() == 1 => d.as_bytes()[0],
        d => return Err(Error::Delimiter(d.to_owned())),
    };
    let mut l = Layout::from_columns(cols, delimiter).map_err(|e| Error::Columns(e.to_string()))?;
    if let Some(k) = &opts.observable {
        l.kind = kind(k)?;
    }
    Ok(l)
}

/// The source of an input: named `opts.source`, else `default_name` (a file's name),
/// with the options' TLP, confidence and labels, and "now" as its time.
///
/// # Errors
/// An unknown TLP level.
pub fn source(opts: &Options, default_name: &str) -> Result<Source, Error> {
    let name = opts
        .source
        .clone()
        .unwrap_or_else(|| default_name.to_owned());
    let mut s = Source::new(name, concord_stix::Timestamp::now_millis());
    s.labels = opts.labels.clone();
    s.confidence = opts.confidence;
    if let Some(t) = &opts.tlp {
        s.tlp = Some(
            concord_formats::misp::tags::tlp_of(&format!("tlp:{t}"))
                .ok_or_else(|| Error::Tlp(t.clone()))?,
        );
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(opts: &Options, head: &str, name: &str) -> &'static str {
        reading(opts, head.as_bytes(), name).unwrap().name()
    }

    #[test]
    fn content_decides_then_the_layout_then_the_name() {
        let auto = Options::default();
        let preset = Options {
            preset: Some(plain::presets()[0].name.to_owned()),
            ..Options::default()
        };
        assert_eq!(
            name_of(&auto, r#"{"type":"bundle","id":"bundle--x"}"#, "a.txt"),
            "stix"
        );
        assert_eq!(name_of(&auto, r#"{"Event":{}}"#, "a"), "misp");
        assert_eq!(
            name_of(&auto, r#"{"document":{"csaf_version":"2.0"}}"#, "a"),
            "csaf"
        );
        assert_eq!(name_of(&auto, "198.51.100.7\n", "a.txt"), "lines");
        assert_eq!(name_of(&auto, "198.51.100.7\n", "a.JSON"), "stix");
        assert_eq!(name_of(&auto, "  \n", "a.txt"), "stix");
        assert_eq!(name_of(&preset, "198.51.100.7\n", "a.json"), "csv");
        // A chosen layout does not turn a STIX document into a list.
        assert_eq!(
            name_of(
                &preset,
                r#"[{"type":"indicator","spec_version":"2.1"}]"#,
                "a"
            ),
            "stix"
        );
        let bad = Options {
            format: "xml".into(),
            ..Options::default()
        };
        assert!(matches!(
            reading(&bad, b"", "a"),
            Err(Error::UnknownFormat(_))
        ));
        let csv = Options {
            format: "csv".into(),
            ..Options::default()
        };
        assert!(matches!(reading(&csv, b"", "a"), Err(Error::NoLayout)));
    }

    #[test]
    fn source_takes_the_options() {
        let opts = Options {
            tlp: Some("amber".into()),
            confidence: Some(70),
            labels: vec!["x".into()],
            ..Options::default()
        };
        let s = source(&opts, "feed.txt").unwrap();
        assert_eq!((s.name.as_str(), s.confidence), ("feed.txt", Some(70)));
        assert!(s.tlp.is_some());
        let bad = Options {
            tlp: Some("purple".into()),
            ..Options::default()
        };
        assert!(matches!(source(&bad, "x"), Err(Error::Tlp(_))));
    }
}

//! `concord export`: current versions as a STIX 2.1 bundle, MISP JSON events, a MISP feed
//! directory, CSV, plain lists, a hosts file or Suricata rules, streamed to a file or
//! stdout (MISP events gather the objects they refer to first).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use concord_formats::export::{Exporter, Flat};
use concord_formats::misp::export::MispExporter;
use concord_formats::observable::Kind;
use concord_store::{Store, StoreError};
use serde_json::Value;

/// Arguments of `concord export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Only objects of this type (repeatable; STIX export only).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Output file (standard output if absent); a directory for `misp-feed`.
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    /// stix (a bundle), misp (events), misp-feed (a feed directory), csv, lines, hosts,
    /// suricata.
    #[arg(long, default_value = "stix")]
    pub format: String,
    /// For csv, lines and suricata: only values of this kind (repeatable; ipv4-addr,
    /// domain-name, url, file-sha256, ...).
    #[arg(long = "observable", value_name = "KIND")]
    pub observables: Vec<String>,
}

/// Runs `concord export`.
pub fn run(node: &crate::node::Node, args: &ExportArgs) -> anyhow::Result<()> {
    let n = match args.format.as_str() {
        "stix" => write_bundle(&node.store, &args.types, args.output.as_deref())?,
        "misp" => write_misp(&node.store, args.output.as_deref())?,
        "misp-feed" => {
            let dir = args
                .output
                .as_deref()
                .context("--format misp-feed needs --output DIR")?;
            let events = misp_events(&node.store)?;
            concord_formats::misp::feed::write_feed(dir, &events)
                .with_context(|| format!("cannot write the feed to {}", dir.display()))?
        }
        "csv" | "lines" | "hosts" | "suricata" => {
            let flat = match args.format.as_str() {
                "csv" => Flat::Csv,
                "lines" => Flat::Lines,
                "hosts" => Flat::Hosts,
                _ => Flat::Suricata,
            };
            let kinds = args
                .observables
                .iter()
                .map(|k| Kind::from_name(k).with_context(|| format!("unknown observable {k:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            write_flat(&node.store, flat, kinds, args.output.as_deref())?
        }
        f => anyhow::bail!(
            "unknown format {f:?} (stix, misp, misp-feed, csv, lines, hosts, suricata)"
        ),
    };
    tracing::info!(written = n, "Export written.");
    Ok(())
}

fn sink(output: Option<&Path>) -> anyhow::Result<BufWriter<Box<dyn Write>>> {
    let sink: Box<dyn Write> = match output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    Ok(BufWriter::new(sink))
}

/// Writes the bundle; returns the number of objects written.
pub fn write_bundle(
    store: &dyn Store,
    types: &[String],
    output: Option<&Path>,
) -> anyhow::Result<usize> {
    let mut out = sink(output)?;
    let id = concord_stix::id::new_id("bundle");
    write!(out, "{{\"type\":\"bundle\",\"id\":\"{id}\",\"objects\":[")?;
    let mut n = 0usize;
    let mut io_error = None;
    store
        .for_each_current(types, &mut |obj| {
            let sep = if n == 0 { "\n" } else { ",\n" };
            if let Err(e) = out
                .write_all(sep.as_bytes())
                .and_then(|()| out.write_all(obj.json.as_bytes()))
            {
                io_error = Some(e);
                return Err(StoreError::Cursor("export aborted: output error".into()));
            }
            n += 1;
            Ok(())
        })
        .map_err(|e| match io_error.take() {
            Some(io) => anyhow::Error::from(io),
            None => e.into(),
        })?;
    writeln!(out, "\n]}}")?;
    out.flush()?;
    Ok(n)
}

/// The MISP events of the store's current objects.
fn misp_events(store: &dyn Store) -> anyhow::Result<Vec<Value>> {
    let mut x = MispExporter::new();
    store.for_each_current(&[], &mut |obj| {
        x.add(obj.value());
        Ok(())
    })?;
    Ok(x.events())
}

/// Writes MISP events: `{"Event": …}` for one, `{"response": [...]}` for several.
fn write_misp(store: &dyn Store, output: Option<&Path>) -> anyhow::Result<usize> {
    let events = misp_events(store)?;
    let mut out = sink(output)?;
    if events.len() == 1 {
        serde_json::to_writer(&mut out, &events[0])?;
    } else {
        serde_json::to_writer(&mut out, &serde_json::json!({"response": events}))?;
    }
    writeln!(out)?;
    out.flush()?;
    Ok(events.len())
}

/// Writes the current indicators one by one in a flat format; returns the values written.
fn write_flat(
    store: &dyn Store,
    format: Flat,
    kinds: Vec<Kind>,
    output: Option<&Path>,
) -> anyhow::Result<usize> {
    let mut out = sink(output)?;
    let mut x = Exporter::new(format, kinds).at(concord_stix::Timestamp::now_millis());
    x.header(&mut out)?;
    let mut io_error = None;
    store
        .for_each_current(&["indicator".to_owned()], &mut |obj| {
            if let Err(e) = x.add(&obj.value(), &mut out) {
                io_error = Some(e);
                return Err(StoreError::Cursor("export aborted: output error".into()));
            }
            Ok(())
        })
        .map_err(|e| match io_error.take() {
            Some(io) => anyhow::Error::from(io),
            None => e.into(),
        })?;
    out.flush()?;
    Ok(x.written)
}

//! `concord export`: a STIX 2.1 bundle of current versions, streamed to a file or stdout.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use concord_store::{Store, StoreError};

/// Arguments of `concord export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Only objects of this type (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Output file (standard output if absent).
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
}

/// Runs `concord export`.
pub fn run(node: &crate::node::Node, args: &ExportArgs) -> anyhow::Result<()> {
    let n = write_bundle(&node.store, &args.types, args.output.as_deref())?;
    tracing::info!(objects = n, "Export written.");
    Ok(())
}

/// Writes the bundle; returns the number of objects written.
pub fn write_bundle(
    store: &dyn Store,
    types: &[String],
    output: Option<&Path>,
) -> anyhow::Result<usize> {
    let sink: Box<dyn Write> = match output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
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

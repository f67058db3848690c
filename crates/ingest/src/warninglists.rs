//! The MISP warning lists an import flags converted indicators with: a directory of
//! `list.json` files (by default `warninglists/` in the node's data directory). A
//! flagged indicator is left out of matching until an analyst adds the label
//! `warninglist:override`, which later imports keep ([`crate::settle`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use concord_formats::warninglist::{WarningList, WarningLists};

use crate::Error;

/// The directory of warning lists in a data directory.
pub const DIR: &str = "warninglists";

/// Loads every warning list (`*.json`, but `schema.json`) of a directory and its
/// sub-folders; a file that is not a warning list goes to `skipped` with the reason and
/// the others load.
///
/// # Errors
/// The directory cannot be read.
pub fn load(dir: &Path, skipped: &mut dyn FnMut(&Path, &str)) -> Result<WarningLists, Error> {
    let mut lists = WarningLists::default();
    let files = concord_formats::warninglist::list_files(dir).map_err(|e| Error::State {
        path: dir.display().to_string(),
        reason: format!("cannot read warning lists: {e}"),
    })?;
    for f in files {
        match std::fs::read(&f)
            .map_err(|e| e.to_string())
            .and_then(|b| WarningList::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(l) => lists.lists.push(l),
            Err(e) => skipped(&f, &e),
        }
    }
    Ok(lists)
}

/// The warning lists of an import into the node whose data directory is `data_dir`:
/// those of `given`, else of `<data_dir>/warninglists/` if there is one, else none.
///
/// # Errors
/// The directory cannot be read.
pub fn for_node(
    data_dir: &Path,
    given: Option<&Path>,
    skipped: &mut dyn FnMut(&Path, &str),
) -> Result<Option<Arc<WarningLists>>, Error> {
    let default = data_dir.join(DIR);
    let at: PathBuf = match given {
        Some(p) => p.to_path_buf(),
        None if default.is_dir() => default,
        None => return Ok(None),
    };
    Ok(Some(Arc::new(load(&at, skipped)?)))
}

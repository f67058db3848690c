//! Converted records settled against the store before they are validated and written:
//! a record whose held version has the same content keeps that version (so a re-import
//! is `unchanged`), a plain feed's changed value (or a MISP feed event back in its
//! manifest) gets a `modified` just after the held one, an analyst's warning-list
//! override on the held version stays, objects that recur in every event (identities,
//! galaxy clusters) are sent once per import, and indicators holding a listed value are
//! flagged. STIX input is taken as it is.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use concord_formats::Item;
use concord_formats::warninglist::{self, WarningLists};
use concord_store::Store;
use serde_json::Value;

use crate::pipeline::{Chunk, Mode, lock};
use crate::{Note, Progress};

/// The converted objects of an import's inputs, settled one by one (an iterator for
/// [`concord_store::import`]); errors and warnings go to the [`Progress`] as they come.
pub(crate) struct Settled<'a> {
    store: &'a dyn Store,
    rx: Receiver<Chunk>,
    /// How each input's records are settled (the parser thread fills in what it learns
    /// from an input's content before it sends any of its records).
    modes: Arc<std::sync::Mutex<Vec<Mode>>>,
    /// The input of the chunk being read.
    input: Option<usize>,
    /// Values handed on so far (the import's index of the next one).
    yielded: usize,
    /// (index of the first value of an input, that input), in order: rejections are
    /// reported with their input and their position in it.
    pub(crate) runs: Rc<RefCell<Vec<(usize, usize)>>>,
    /// The chunk being read.
    pending: std::vec::IntoIter<Item>,
    progress: &'a dyn Progress,
    /// The name of the input being read, for messages.
    name: String,
    errors: usize,
    warnings: usize,
    sent: HashMap<String, u64>,
    keep_ids: bool,
    ids: Vec<String>,
    /// Plain feeds: a changed value gets a `modified` after the held one.
    bump: bool,
    /// Converted input (not STIX): settle against held versions, send repeats once.
    convert: bool,
    lists: Option<Arc<WarningLists>>,
    flagged: usize,
}

/// What settling counted.
pub(crate) struct Counts {
    pub(crate) record_errors: usize,
    pub(crate) warnings: usize,
    pub(crate) ids: Vec<String>,
    pub(crate) warninglisted: usize,
}

impl<'a> Settled<'a> {
    pub(crate) fn new(
        store: &'a dyn Store,
        rx: Receiver<Chunk>,
        modes: Arc<std::sync::Mutex<Vec<Mode>>>,
        progress: &'a dyn Progress,
        keep_ids: bool,
        lists: Option<Arc<WarningLists>>,
    ) -> Self {
        Settled {
            store,
            rx,
            modes,
            input: None,
            yielded: 0,
            runs: Rc::new(RefCell::new(Vec::new())),
            pending: Vec::new().into_iter(),
            progress,
            name: String::new(),
            errors: 0,
            warnings: 0,
            sent: HashMap::new(),
            keep_ids,
            ids: Vec::new(),
            bump: false,
            convert: true,
            lists,
            flagged: 0,
        }
    }

    /// Takes the next chunk (false at the end): the settings of its input apply.
    fn refill(&mut self) -> bool {
        let Ok(chunk) = self.rx.recv() else {
            return false;
        };
        if self.input != Some(chunk.input) {
            let modes = lock(&self.modes);
            if let Some(m) = modes.get(chunk.input) {
                self.name.clone_from(&m.name);
                self.bump = m.plain || m.bump_held;
                self.convert = m.convert;
            }
            self.input = Some(chunk.input);
            self.runs.borrow_mut().push((self.yielded, chunk.input));
        }
        self.pending = chunk.items.into_iter();
        true
    }

    pub(crate) fn finish(self) -> Counts {
        Counts {
            record_errors: self.errors,
            warnings: self.warnings,
            ids: self.ids,
            warninglisted: self.flagged,
        }
    }

    fn settle(&mut self, mut v: Value) -> Option<Value> {
        if !self.convert {
            if self.keep_ids
                && let Some(id) = v.get("id").and_then(Value::as_str)
            {
                self.ids.push(id.to_owned());
            }
            return Some(crate::stix::taken(v));
        }
        let id = v.get("id").and_then(Value::as_str)?.to_owned();
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("");
        let repeats = matches!(
            ty,
            "identity"
                | "marking-definition"
                | "extension-definition"
                | "malware"
                | "threat-actor"
                | "intrusion-set"
                | "tool"
                | "attack-pattern"
                | "course-of-action"
                | "software"
        );
        if repeats {
            let fp = fingerprint(&v);
            if self.sent.get(&id) == Some(&fp) {
                return None;
            }
            self.sent.insert(id.clone(), fp);
        }
        if let Some(lists) = self.lists.as_ref().filter(|_| ty == "indicator") {
            let hits = lists.flag(&mut v);
            if !hits.is_empty() {
                self.flagged += 1;
                for h in &hits {
                    self.progress.note(Note::Warninglisted {
                        input: &self.name,
                        id: &id,
                        value: &h.value,
                        list: &h.list,
                    });
                }
            }
        }
        // Look the held version up only where it can matter: objects whose timestamps
        // the conversion minted (plain feeds; identities and galaxy clusters that recur
        // with other times), and flagged indicators (an analyst's override stays).
        // MISP and CSAF records carry their own times, so the store alone decides.
        let flagged = v.get("labels").and_then(Value::as_array).is_some_and(|l| {
            l.iter().any(|x| {
                x.as_str()
                    .is_some_and(|x| x.starts_with(warninglist::FLAG_PREFIX))
            })
        });
        if !(self.bump || repeats || flagged) {
            if self.keep_ids {
                self.ids.push(id);
            }
            return Some(v);
        }
        if let Ok(Some(held)) = self.store.get(&id) {
            let held = held.value();
            keep_override(&mut v, &held);
            if !concord_formats::settle::settle(&mut v, &held) && self.bump {
                concord_formats::settle::bump(&mut v, &held);
            }
        }
        if self.keep_ids {
            self.ids.push(id);
        }
        Some(v)
    }
}

/// An analyst's warning-list override on the held version stays on a re-imported one.
fn keep_override(new: &mut Value, held: &Value) {
    let has = |v: &Value| {
        v.get("labels")
            .and_then(Value::as_array)
            .is_some_and(|l| l.iter().any(|x| x == warninglist::OVERRIDE))
    };
    if has(held) && !has(new) {
        match new.get_mut("labels").and_then(Value::as_array_mut) {
            Some(l) => l.push(Value::from(warninglist::OVERRIDE)),
            None => new["labels"] = serde_json::json!([warninglist::OVERRIDE]),
        }
    }
}

/// A hash of an object without its timestamps.
fn fingerprint(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.remove("created");
    m.remove("modified");
    let mut h = std::collections::hash_map::DefaultHasher::new();
    Value::Object(m).to_string().hash(&mut h);
    h.finish()
}

impl Iterator for Settled<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        loop {
            let item = match self.pending.next() {
                Some(i) => i,
                None if self.refill() => continue,
                None => return None,
            };
            match item {
                Item::Object(v) => {
                    if let Some(v) = self.settle(v) {
                        self.yielded += 1;
                        return Some(v);
                    }
                }
                Item::Error(e) => {
                    self.errors += 1;
                    self.progress.note(Note::RecordError {
                        input: &self.name,
                        error: &e,
                    });
                }
                Item::Warning(e) => {
                    self.warnings += 1;
                    self.progress.note(Note::Warning {
                        input: &self.name,
                        warning: &e,
                    });
                }
            }
        }
    }
}

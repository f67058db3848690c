//! One request's document imported with memory bounded by the batch, not by the number
//! of objects it holds: the body (already bounded in bytes by the caller) is first read
//! through once without building anything (JSON syntax, where its objects are, how many
//! there are) and refused whole if it holds more than the caller's limit; then its
//! objects are parsed one at a time and imported as STIX values ([`crate::stix`]) in
//! batches. A request of a million tiny objects thus never holds a million parsed
//! objects.
//!
//! `POST /api/v1/objects` and TAXII add-objects import through it; `concord import`
//! reads files through [`concord_stix::input::stream_document`] instead
//! ([`crate::import_inputs`]), and both end in the same import of STIX.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;

use concord_stix::input::{InputError, parse_document};
use concord_store::StoreError;
use concord_store::import::{ObjectResult, Summary};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::progress::Told;
use crate::{Progress, Target};

/// Objects per request accepted unless configured otherwise (`max_objects_per_request`).
pub const DEFAULT_MAX_OBJECTS: usize = 100_000;

/// Parsed objects waiting between the parsing thread and the import at most.
const QUEUED: usize = 1_024;

/// Where a document holds its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A STIX document as [`concord_stix::input::parse_document`] reads it: a bundle,
    /// an array of objects, or one object.
    Stix,
    /// A TAXII envelope: a JSON object whose `objects` member is an array.
    Envelope,
}

/// Why a document was not imported (or not completely, for [`DocumentError::Store`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Not JSON, or JSON of the wrong shape; nothing was stored.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The body is not UTF-8 (so not JSON); nothing was stored.
    #[error("the body is not UTF-8 text: invalid byte at line {line} column {column}")]
    Utf8 {
        /// Line of the first invalid byte (from 1).
        line: usize,
        /// Its column (from 1, in bytes).
        column: usize,
    },
    /// A TAXII envelope was expected; nothing was stored.
    #[error("the body must be a TAXII envelope: a JSON object with an `objects` array")]
    NotEnvelope,
    /// The document names a member that decides its reading twice; nothing was stored.
    #[error("the document has more than one `{0}` member")]
    Duplicate(&'static str),
    /// More objects than allowed in one request; nothing was stored.
    #[error(
        "the request holds {count} objects; at most {limit} are accepted in one request (setting max_objects_per_request): send them in several requests"
    )]
    TooMany {
        /// Objects in the document.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The store failed; the batches committed before stay committed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`import_document`] did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Objects in the document (admitted or not).
    pub total: usize,
    /// What the import did with the admitted ones.
    pub summary: Summary,
}

/// Imports the objects of `bytes` read as `layout` into `target`, refusing the whole
/// document (before anything is stored) if it is not JSON, has the wrong shape, or holds
/// more than `max_objects` objects. Each object is first offered to `admit` with its
/// position in the document; those it refuses (it records why) are not imported. The
/// others are imported as STIX values ([`crate::stix::import_values`]) in batches of
/// `batch`, and `progress` hears of each committed batch, the results' `index` being the
/// object's position in the document (notes name the input `document` or `envelope`).
///
/// Memory is bounded by the batch (plus the body itself), whatever the number of
/// objects.
///
/// # Errors
/// [`DocumentError`]: all but `Store` mean that nothing was stored.
pub fn import_document(
    target: Target<'_>,
    bytes: &[u8],
    layout: Layout,
    max_objects: usize,
    batch: usize,
    admit: &mut dyn FnMut(usize, &Value) -> bool,
    progress: &dyn Progress,
) -> Result<Imported, DocumentError> {
    let text = utf8(bytes)?;
    let plan = survey(text, layout)?;
    let total = match &plan {
        Plan::Stream { count, .. } => *count,
        Plan::Whole(values) => values.len(),
    };
    if total > max_objects {
        return Err(DocumentError::TooMany {
            count: total,
            limit: max_objects,
        });
    }
    let name = match layout {
        Layout::Stix => "document",
        Layout::Envelope => "envelope",
    };
    let mut told = Told::new(progress);
    let mut on_batch = |results: &[ObjectResult]| {
        told.batch(results, &|index| (Cow::Borrowed(name), index));
    };
    let summary = match plan {
        Plan::Whole(values) => admitted(target, values, batch, admit, &mut on_batch)?,
        // A list of at most a batch: read whole on this thread (bounded by the batch),
        // with no reader thread to start for a request of a few objects.
        Plan::Stream { top_array, count } if count <= batch => {
            let mut values = Vec::with_capacity(count);
            deliver_to(text, top_array, &mut |v| {
                values.push(v);
                true
            })
            .map_err(InputError::Json)?;
            admitted(target, values, batch, admit, &mut on_batch)?
        }
        Plan::Stream { top_array, .. } => std::thread::scope(|scope| {
            let (to_import, parsed) = std::sync::mpsc::sync_channel::<Value>(QUEUED);
            let reader = scope.spawn(move || deliver(text, top_array, &to_import));
            let summary = admitted(target, parsed, batch, admit, &mut on_batch);
            // The reader stops by itself once the import is over (its sends fail).
            let read = reader
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let summary = summary?;
            // The document was read once already: a reading error now is a bug, but
            // it is reported rather than taken for the end of the objects.
            read.map_err(InputError::Json)?;
            Ok::<_, DocumentError>(summary)
        })?,
    };
    Ok(Imported { total, summary })
}

/// `bytes` as text, or where the first byte that is not UTF-8 is.
fn utf8(bytes: &[u8]) -> Result<&str, DocumentError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        DocumentError::Utf8 {
            line: 1 + before.iter().filter(|b| **b == b'\n').count(),
            column: 1 + before.len() - line_start,
        }
    })
}

/// The STIX import ([`crate::stix`]) of the values `admit` lets through, with results
/// indexed by position in `values`.
fn admitted(
    target: Target<'_>,
    values: impl IntoIterator<Item = Value>,
    batch: usize,
    admit: &mut dyn FnMut(usize, &Value) -> bool,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
) -> Result<Summary, StoreError> {
    // Positions of the admitted values whose results have not come back, the first of
    // them being admitted value number `first` (the import reads ahead of its commits).
    let positions = RefCell::new(VecDeque::<usize>::new());
    let first = Cell::new(0usize);
    let skipped = Cell::new(false);
    let values = values.into_iter().enumerate().filter_map(|(at, v)| {
        if admit(at, &v) {
            positions.borrow_mut().push_back(at);
            Some(v)
        } else {
            skipped.set(true);
            None
        }
    });
    crate::stix::import_with(target, values, batch, &mut |results| {
        let mut positions = positions.borrow_mut();
        let base = first.get();
        let position = |index: usize| {
            index
                .checked_sub(base)
                .and_then(|i| positions.get(i).copied())
                .unwrap_or(index)
        };
        let done = results.iter().map(result_index).max().map_or(0, |i| i + 1);
        if skipped.get() {
            let moved: Vec<ObjectResult> = results
                .iter()
                .map(|r| with_index(r.clone(), position(result_index(r))))
                .collect();
            on_batch(&moved);
        } else {
            on_batch(results);
        }
        let reported = done.saturating_sub(base).min(positions.len());
        positions.drain(..reported);
        first.set(base + reported);
    })
}

fn result_index(r: &ObjectResult) -> usize {
    match r {
        ObjectResult::Accepted { index, .. } | ObjectResult::Rejected { index, .. } => *index,
    }
}

fn with_index(mut r: ObjectResult, at: usize) -> ObjectResult {
    match &mut r {
        ObjectResult::Accepted { index, .. } | ObjectResult::Rejected { index, .. } => {
            *index = at;
        }
    }
    r
}

/// How a surveyed document is imported.
enum Plan {
    /// `count` objects, parsed one at a time: the elements of the top-level array, or
    /// of the top-level object's `objects` member.
    Stream { count: usize, top_array: bool },
    /// A document of at most one object (or none), parsed whole.
    Whole(Vec<Value>),
}

/// Reads the document once without keeping anything, and decides how to import it.
fn survey(text: &str, layout: Layout) -> Result<Plan, DocumentError> {
    let top = serde_json::from_str::<Top>(text).map_err(InputError::Json)?;
    match (layout, top) {
        (_, Top::Duplicate(name)) => Err(DocumentError::Duplicate(name)),
        (_, Top::Array(count)) if layout == Layout::Stix => Ok(Plan::Stream {
            count,
            top_array: true,
        }),
        (
            Layout::Stix,
            Top::Object {
                ty: TypeMember::Absent | TypeMember::Bundle,
                objects: ObjectsMember::List(count),
            },
        )
        | (
            Layout::Envelope,
            Top::Object {
                objects: ObjectsMember::List(count),
                ..
            },
        ) => Ok(Plan::Stream {
            count,
            top_array: false,
        }),
        (Layout::Envelope, _) => Err(DocumentError::NotEnvelope),
        // One object, a bundle whose `objects` is not a list, or not an object at all:
        // read as before, whole (no more than one object, or an error).
        (Layout::Stix, _) => Ok(Plan::Whole(parse_document(text.as_bytes())?)),
    }
}

/// Sends each object of a surveyed document to `to`, parsed one at a time, until the
/// receiver is gone.
fn deliver(
    text: &str,
    top_array: bool,
    to: &std::sync::mpsc::SyncSender<Value>,
) -> Result<(), serde_json::Error> {
    let stopped = Cell::new(false);
    let mut each = |v: Value| {
        let sent = to.send(v).is_ok();
        stopped.set(!sent);
        sent
    };
    let done = deliver_to(text, top_array, &mut each);
    match done {
        Err(_) if stopped.get() => Ok(()),
        other => other,
    }
}

/// Hands each object of the document's list to `each` (which returns `false` to stop:
/// the reading then ends with an error, which the caller knows to ignore).
fn deliver_to(
    text: &str,
    top_array: bool,
    each: &mut dyn FnMut(Value) -> bool,
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Deliver {
        each,
        top_array,
        depth: 0,
    };
    seed.deserialize(&mut de)
}

/// The top level of a document, as the survey saw it.
enum Top {
    /// An array of this many elements.
    Array(usize),
    /// An object, with what its `type` and `objects` members are.
    Object {
        ty: TypeMember,
        objects: ObjectsMember,
    },
    /// Anything else.
    Scalar,
    /// An object with this member twice.
    Duplicate(&'static str),
}

/// A top-level object's `type`.
enum TypeMember {
    Absent,
    Bundle,
    Other,
}

/// A top-level object's `objects`.
enum ObjectsMember {
    Absent,
    List(usize),
    Other,
}

impl<'de> de::Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Top, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<Skip>()?.is_some() {
            n += 1;
        }
        Ok(Top::Array(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let (mut ty, mut objects) = (None, None);
        let mut duplicate = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => {
                    let v = map.next_value::<Shape>()?;
                    if ty.is_some() {
                        duplicate = Some("type");
                    }
                    ty = Some(match v {
                        Shape::Str(is_bundle) if is_bundle => TypeMember::Bundle,
                        _ => TypeMember::Other,
                    });
                }
                "objects" => {
                    let v = map.next_value::<Shape>()?;
                    if objects.is_some() {
                        duplicate = Some("objects");
                    }
                    objects = Some(match v {
                        Shape::List(n) => ObjectsMember::List(n),
                        _ => ObjectsMember::Other,
                    });
                }
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        if let Some(name) = duplicate {
            return Ok(Top::Duplicate(name));
        }
        Ok(Top::Object {
            ty: ty.unwrap_or(TypeMember::Absent),
            objects: objects.unwrap_or(ObjectsMember::Absent),
        })
    }

    fn visit_bool<E>(self, _: bool) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
    fn visit_str<E>(self, _: &str) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
    fn visit_unit<E>(self) -> Result<Top, E> {
        Ok(Top::Scalar)
    }
}

/// Any JSON value, read and dropped. Unlike serde's `IgnoredAny` (which serde_json skips
/// without counting depth), it nests through `deserialize_any`, so that serde_json's
/// recursion limit holds as when the objects are parsed: a document too deeply nested
/// is refused by the survey, before anything is stored.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
}

/// A member's value as the survey needs it: a string (whether it is `"bundle"`), a list
/// (its length), or something else; read without keeping anything.
enum Shape {
    Str(bool),
    List(usize),
    Other,
}

impl<'de> de::Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<Skip>()?.is_some() {
            n += 1;
        }
        Ok(Shape::List(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Shape::Other)
    }

    fn visit_str<E>(self, s: &str) -> Result<Shape, E> {
        Ok(Shape::Str(s == "bundle"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
}

/// Walks a surveyed document and hands over the elements of its list of objects: the
/// top-level array (`top_array`), or the top-level object's `objects` member.
struct Deliver<'f> {
    each: &'f mut dyn FnMut(Value) -> bool,
    top_array: bool,
    /// 0 at the top level, 1 inside the top-level object's `objects` member.
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for Deliver<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Deliver<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a surveyed JSON document")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth == 0 && !self.top_array {
            while seq.next_element::<Skip>()?.is_some() {}
            return Ok(());
        }
        while let Some(v) = seq.next_element::<Value>()? {
            if !(self.each)(v) {
                return Err(de::Error::custom("stopped"));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth > 0 || self.top_array {
            while map.next_entry::<Skip, Skip>()?.is_some() {}
            return Ok(());
        }
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "objects" {
                map.next_value_seed(Deliver {
                    each: &mut *self.each,
                    top_array: false,
                    depth: 1,
                })?;
            } else {
                map.next_value::<Skip>()?;
            }
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use concord_store::sqlite::SqliteStore;

    use super::*;

    /// The results' (index, accepted) pairs, in the order they came.
    #[derive(Default)]
    struct Got(Mutex<Vec<(usize, bool)>>);

    impl Progress for Got {
        fn stored(&self, results: &[ObjectResult], _: u64) {
            self.0.lock().unwrap().extend(
                results
                    .iter()
                    .map(|r| (result_index(r), matches!(r, ObjectResult::Accepted { .. }))),
            );
        }
    }

    fn campaign(i: usize) -> Value {
        serde_json::json!({
            "type": "campaign", "spec_version": "2.1",
            "id": format!("campaign--00000000-0000-4000-8000-{i:012}"),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": format!("c{i}")
        })
    }

    /// Imports `doc`; the results' (index, accepted) pairs in order, or the error.
    fn run(
        doc: &str,
        layout: Layout,
        max: usize,
        admit: &mut dyn FnMut(usize, &Value) -> bool,
    ) -> Result<(usize, Vec<(usize, bool)>), String> {
        let store = SqliteStore::open_in_memory().unwrap();
        let got = Got::default();
        let imported = import_document(
            Target::Store(&store),
            doc.as_bytes(),
            layout,
            max,
            3,
            admit,
            &got,
        )
        .map_err(|e| e.to_string())?;
        let got = got.0.into_inner().unwrap();
        assert_eq!(
            imported.summary.new + imported.summary.rejected,
            got.len(),
            "one result per admitted object"
        );
        Ok((imported.total, got))
    }

    #[test]
    fn every_layout_streams_the_same_objects() {
        let objects: Vec<Value> = (0..8).map(campaign).collect();
        let list = Value::Array(objects.clone()).to_string();
        let all: Vec<(usize, bool)> = (0..8).map(|i| (i, true)).collect();
        for doc in [
            list.clone(),
            format!(r#"{{"type":"bundle","id":"bundle--1","objects":{list}}}"#),
            format!(r#"{{"objects":{list},"id":"bundle--1","type":"bundle"}}"#),
            format!(r#"{{"objects":{list}}}"#),
        ] {
            assert_eq!(
                run(&doc, Layout::Stix, 8, &mut |_, _| true),
                Ok((8, all.clone())),
                "{doc}"
            );
        }
        let envelope = format!(r#"{{"more":false,"objects":{list}}}"#);
        assert_eq!(
            run(&envelope, Layout::Envelope, 8, &mut |_, _| true),
            Ok((8, all))
        );
    }

    #[test]
    fn single_objects_and_bad_shapes_read_as_parse_document_reads_them() {
        let one = campaign(1).to_string();
        assert_eq!(
            run(&one, Layout::Stix, 1, &mut |_, _| true),
            Ok((1, vec![(0, true)]))
        );
        // An object of another type with an `objects` member is one object.
        let custom = r#"{"type":"x-thing","objects":[1,2,3]}"#;
        assert_eq!(
            run(custom, Layout::Stix, 1, &mut |_, _| true).map(|r| r.0),
            Ok(1)
        );
        let deep = format!("[{{}}, {}{}]", "[".repeat(200), "]".repeat(200));
        for (doc, message) in [
            ("42", "a number"),
            (
                r#"{"type":"bundle","id":"bundle--1","objects":7}"#,
                "must be a list",
            ),
            ("[{\"a\":1},\n oops]", "line 2"),
            (r#"{"objects":[],"objects":[]}"#, "more than one `objects`"),
            (deep.as_str(), "recursion limit"),
        ] {
            let e = run(doc, Layout::Stix, 10, &mut |_, _| true).unwrap_err();
            assert!(e.contains(message), "{doc}: {e}");
        }
        for doc in ["[]", r#"{"objects":{}}"#, "{}", "\"x\""] {
            let e = run(doc, Layout::Envelope, 10, &mut |_, _| true).unwrap_err();
            assert!(e.contains("TAXII envelope"), "{doc}: {e}");
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_position() {
        let store = SqliteStore::open_in_memory().unwrap();
        let doc = b"[{\"name\": \"ok\"},\n {\"name\": \"caf\xff\"}]";
        let e = import_document(
            Target::Store(&store),
            doc,
            Layout::Stix,
            10,
            3,
            &mut |_, _| true,
            &(),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                DocumentError::Utf8 {
                    line: 2,
                    column: 15
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn too_many_objects_are_refused_before_any_is_stored() {
        let list = Value::Array((0..5).map(campaign).collect()).to_string();
        let e = run(&list, Layout::Stix, 4, &mut |_, _| true).unwrap_err();
        assert!(e.contains("holds 5 objects; at most 4"), "{e}");
        assert!(e.contains("max_objects_per_request"), "{e}");
        assert_eq!(
            run(&list, Layout::Stix, 5, &mut |_, _| true).map(|r| r.0),
            Ok(5)
        );
    }

    #[test]
    fn refused_objects_are_skipped_and_results_keep_document_positions() {
        let mut objects: Vec<Value> = (0..10).map(campaign).collect();
        objects[7] = serde_json::json!({"not": "stix"});
        let list = Value::Array(objects).to_string();
        let mut offered = Vec::new();
        let (total, got) = run(&list, Layout::Stix, 10, &mut |at, _| {
            offered.push(at);
            at % 3 != 0
        })
        .unwrap();
        assert_eq!(total, 10);
        assert_eq!(offered, (0..10).collect::<Vec<_>>());
        assert_eq!(
            got,
            vec![
                (1, true),
                (2, true),
                (4, true),
                (5, true),
                (7, false),
                (8, true)
            ]
        );
    }
}

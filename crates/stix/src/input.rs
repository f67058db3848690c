//! Reading what a user hands in: a bundle, a JSON array of objects, or one object.
//! Shape errors name the line and column; per-object problems are left to validation.
//!
//! Memory stays bounded whatever the input's size: `stream_lists` streams the top-level
//! list of a document (a bundle's `objects`, an array, and for `concord-formats` MISP's
//! `response` lists); a document of up to `SLURP` (32 MiB) is read whole and parsed from
//! memory, a larger one as it is read.

use serde_json::Value;

/// Why a document could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Not JSON (or not UTF-8, or nested too deeply); serde's message has line and column.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but neither a bundle, an array of objects, nor an object.
    #[error("expected a STIX bundle, a JSON array of objects, or one object; found {0}")]
    Shape(&'static str),
    /// A bundle whose `objects` is missing or not a list.
    #[error("bundle {0}: `objects` must be a list")]
    BundleObjects(String),
}

/// The objects of a document, each still raw JSON, in document order.
pub fn parse_document(bytes: &[u8]) -> Result<Vec<Value>, InputError> {
    let value: Value = serde_json::from_slice(bytes)?;
    split_document(value)
}

/// Splits an already parsed document into its objects.
pub fn split_document(value: Value) -> Result<Vec<Value>, InputError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Object(mut map) => {
            // A bundle; one that forgot its `type` but has `objects` is read as one too,
            // since its objects are validated one by one anyway.
            let is_bundle = match map.get("type") {
                Some(t) => t.as_str() == Some("bundle"),
                None => map.get("objects").is_some_and(Value::is_array),
            };
            if is_bundle {
                let id = map
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("(no id)")
                    .to_owned();
                match map.remove("objects") {
                    Some(Value::Array(items)) => Ok(items),
                    None => Ok(Vec::new()),
                    Some(_) => Err(InputError::BundleObjects(id)),
                }
            } else {
                Ok(vec![Value::Object(map)])
            }
        }
        Value::Null => Err(InputError::Shape("null")),
        Value::Bool(_) => Err(InputError::Shape("a boolean")),
        Value::Number(_) => Err(InputError::Shape("a number")),
        Value::String(_) => Err(InputError::Shape("a string")),
    }
}

/// Wraps objects into a bundle with a fresh id.
pub fn bundle(objects: Vec<Value>) -> Value {
    serde_json::json!({
        "type": "bundle",
        "id": crate::id::new_id("bundle"),
        "objects": objects,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            parse_document(br#"{"type":"bundle","id":"bundle--x","objects":[{},{}]}"#)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(parse_document(b"[{}, 1]").unwrap().len(), 2);
        assert_eq!(parse_document(br#"{"type":"indicator"}"#).unwrap().len(), 1);
        assert!(matches!(parse_document(b"42"), Err(InputError::Shape(_))));
        assert!(matches!(
            parse_document(b"{\"a\":\xff}"),
            Err(InputError::Json(_))
        ));
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_document(deep.as_bytes()),
            Err(InputError::Json(_))
        ));
    }

    /// What a stream handed over, and how it ended.
    type Streamed = (Vec<String>, Result<Option<Value>, String>);

    /// Streams `doc` read whole (limit above its size) and as it is read (limit below),
    /// then the same with a reader that fails after `doc`.
    fn three_ways(doc: &[u8]) -> Vec<Streamed> {
        let bundle = |_: &serde_json::Map<String, Value>, k: &str| k == "objects";
        let run = |slurp: u64, reader: &mut dyn std::io::Read| {
            let mut got = Vec::new();
            let r = stream_lists_up_to(slurp, reader, &bundle, &mut |k, i, v| {
                got.push(format!("{k}[{i}]={v}"));
                true
            });
            (got, r.map_err(|e| e.to_string()))
        };
        let failing = || {
            std::io::Read::chain(
                doc,
                Failing(Some(std::io::Error::other("connection reset"))),
            )
        };
        vec![
            run(1 << 20, &mut &doc[..]),
            run(4, &mut &doc[..]),
            run(1 << 20, &mut failing()),
            run(4, &mut failing()),
        ]
    }

    #[test]
    fn small_and_large_documents_stream_alike() {
        let doc = br#"{"type": "bundle", "objects": [{"a": 1}, {"b": "x\u00e9"}]}"#;
        let ways = three_ways(doc);
        let want = vec!["objects[0]={\"a\":1}", "objects[1]={\"b\":\"x\u{e9}\"}"];
        for (got, r) in &ways[..2] {
            assert_eq!(got, &want);
            assert_eq!(r, &Ok(None));
        }
        // A read error after the whole document: the elements are all there, and the
        // error is reported (the parser reads on to check the end).
        for (got, r) in &ways[2..] {
            assert_eq!(got, &want);
            assert!(
                r.as_ref().unwrap_err().contains("connection reset"),
                "{r:?}"
            );
        }
        // Truncated: the elements before the cut are handed over, the error has its line.
        let cut = b"{\"objects\": [{\"a\": 1},\n {\"b\": ";
        for (got, r) in three_ways(cut) {
            assert_eq!(got, ["objects[0]={\"a\":1}"]);
            let e = r.unwrap_err();
            assert!(e.contains("line 2"), "{e}");
        }
    }
}

/// Reads a document from `reader` and hands each object to `each` as soon as it is
/// parsed, so that a bundle of any size is read in constant memory (a bundle's
/// `objects` and a top-level array are streamed element by element). Stops early if
/// `each` returns `false`. Returns the number of objects handed over. On a syntax error
/// the objects before it have already been handed over; the error names line and column.
pub fn stream_document<R: std::io::Read>(
    reader: R,
    each: &mut dyn FnMut(Value) -> bool,
) -> Result<usize, InputError> {
    let mut count = 0usize;
    let bundle_objects = |kept: &serde_json::Map<String, Value>, key: &str| {
        key == "objects" && kept.get("type").and_then(Value::as_str) == Some("bundle")
    };
    let leftover = stream_lists(reader, &bundle_objects, &mut |_, _, v| {
        count += 1;
        each(v)
    })?;
    if let Some(value) = leftover {
        for v in split_document(value)? {
            count += 1;
            if !each(v) {
                break;
            }
        }
    }
    Ok(count)
}

/// Streams the top level of a JSON document: the elements of a top-level array, or of
/// the list under one member of a top-level object (the first member for which `list`,
/// given the members read before it and the member's name, says yes), each handed to
/// `each` with that member's name (`""` for a top-level array) and its index as soon as
/// it is parsed. Memory is bounded by the largest element. Stops when `each` returns
/// `false` (the rest is still read, to check the syntax up to where it stopped).
///
/// Returns `None` when a list was streamed (the object's other members are dropped), and
/// otherwise the document itself (an object whose chosen member is not a list keeps it).
/// Both STIX bundles and MISP `response` documents are read with it.
///
/// A document of up to [`SLURP`] bytes is read whole first and parsed from memory; a
/// larger one is parsed as it is read.
pub fn stream_lists<R: std::io::Read>(
    reader: R,
    list: &dyn Fn(&serde_json::Map<String, Value>, &str) -> bool,
    each: &mut dyn FnMut(&str, usize, Value) -> bool,
) -> Result<Option<Value>, serde_json::Error> {
    stream_lists_up_to(SLURP, reader, list, each)
}

/// [`stream_lists`], reading documents of up to `slurp` bytes whole.
fn stream_lists_up_to<R: std::io::Read>(
    slurp: u64,
    mut reader: R,
    list: &dyn Fn(&serde_json::Map<String, Value>, &str) -> bool,
    each: &mut dyn FnMut(&str, usize, Value) -> bool,
) -> Result<Option<Value>, serde_json::Error> {
    use serde_json::de::{IoRead, SliceRead};
    use std::io::{BufReader, Cursor, Read};
    let limit = usize::try_from(slurp + 1).unwrap_or(usize::MAX);
    let mut head = Vec::new();
    match read_up_to(&mut reader, limit, &mut head) {
        Ok(n) if n < limit => stream_from(SliceRead::new(&head), list, each),
        Ok(_) => {
            let rest = HeadThen {
                head,
                at: 0,
                rest: reader,
            };
            stream_from(
                IoRead::new(BufReader::with_capacity(1 << 16, rest)),
                list,
                each,
            )
        }
        // What was read before the error is still parsed (and its elements handed
        // over), then the error is reported where it happened.
        Err(e) => {
            let failed = Cursor::new(head).chain(Failing(Some(e)));
            stream_from(IoRead::new(failed), list, each)
        }
    }
}

/// Documents up to this size are read into memory before parsing: serde_json parses a
/// byte slice several times as fast as a reader (it scans strings in bulk instead of
/// byte by byte). Larger documents are parsed as they are read, so memory stays bounded
/// by this, not by the document. A MISP feed event or a TAXII page is far smaller.
pub const SLURP: u64 = 32 << 20;

/// Reads until the end or until `out` holds `limit` bytes; returns how many it holds. The
/// buffer doubles as it fills up to 1 MiB, then takes the limit at once, never more
/// (`read_to_end` alone would double a 32 MiB buffer to 64 MiB for one more byte, and
/// reserving the limit up front costs a large allocation for every small document). On
/// an error, what was read stays in `out`.
fn read_up_to(
    reader: &mut impl std::io::Read,
    limit: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<usize> {
    use std::io::Read;
    while out.len() < limit {
        // Past 1 MiB the limit is reserved at once: doubling on to it would copy 31 MiB
        // and briefly hold 48.
        let room = if out.len() > 1 << 20 {
            limit
        } else {
            (out.capacity() * 2).max(64 << 10)
        };
        let want = room.min(limit) - out.len();
        out.reserve_exact(want);
        // Reads into the room reserved, and no further (`take`).
        let n = reader.take(want as u64).read_to_end(out)?;
        if n < want {
            break;
        }
    }
    Ok(out.len())
}

/// The bytes read ahead, then the rest of the reader; the read-ahead buffer is freed as
/// soon as it has been read (a large document is not parsed with it held).
struct HeadThen<R> {
    head: Vec<u8>,
    at: usize,
    rest: R,
}

impl<R: std::io::Read> std::io::Read for HeadThen<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at < self.head.len() {
            let n = buf.len().min(self.head.len() - self.at);
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            if self.at == self.head.len() {
                self.head = Vec::new();
                self.at = 0;
            }
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

/// A reader that fails once with the given error (and then reads nothing).
struct Failing(Option<std::io::Error>);

impl std::io::Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

fn stream_from<'de, R: serde_json::de::Read<'de>>(
    read: R,
    list: &dyn Fn(&serde_json::Map<String, Value>, &str) -> bool,
    each: &mut dyn FnMut(&str, usize, Value) -> bool,
) -> Result<Option<Value>, serde_json::Error> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::new(read);
    let mut stop = false;
    let top = stream::Top {
        list,
        each,
        stop: &mut stop,
    };
    let leftover = top.deserialize(&mut de)?;
    if !stop {
        de.end()?;
    }
    Ok(leftover)
}

mod stream {
    //! serde visitors that stream the elements of a top-level list.

    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    /// The top level; yields `Some(value)` when nothing was streamed.
    pub(super) struct Top<'a> {
        pub list: &'a dyn Fn(&Map<String, Value>, &str) -> bool,
        pub each: &'a mut dyn FnMut(&str, usize, Value) -> bool,
        pub stop: &'a mut bool,
    }

    impl<'de> DeserializeSeed<'de> for Top<'_> {
        type Value = Option<Value>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    /// The scalar `visit_*` methods of a visitor whose value is `Option<Value>`: a document
    /// or list that turns out to be a scalar is handed back whole (the caller reports it).
    macro_rules! scalars_as_values {
        () => {
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(Value::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(Value::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(Value::from(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(Value::from(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Some(Value::Null))
            }
        };
    }

    impl<'de> Visitor<'de> for Top<'_> {
        type Value = Option<Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON document")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Elements {
                key: "",
                each: self.each,
                stop: self.stop,
            }
            .visit_seq(seq)?;
            Ok(None)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut kept = Map::new();
            let mut streamed = false;
            while let Some(key) = map.next_key::<String>()? {
                if *self.stop {
                    map.next_value::<IgnoredAny>()?;
                } else if !streamed && (self.list)(&kept, &key) {
                    let single = map.next_value_seed(Elements {
                        key: &key,
                        each: &mut *self.each,
                        stop: &mut *self.stop,
                    })?;
                    match single {
                        Some(v) => {
                            kept.insert(key, v);
                        }
                        None => streamed = true,
                    }
                } else {
                    let v: Value = map.next_value()?;
                    kept.insert(key, v);
                }
            }
            Ok((!streamed).then_some(Value::Object(kept)))
        }

        scalars_as_values!();
    }

    /// The elements of a list, each handed to `each`; a value that is not a list is
    /// given back whole.
    struct Elements<'a, 'k> {
        key: &'k str,
        each: &'a mut dyn FnMut(&str, usize, Value) -> bool,
        stop: &'a mut bool,
    }

    impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
        type Value = Option<Value>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Elements<'_, '_> {
        type Value = Option<Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut i = 0usize;
            while !*self.stop {
                let Some(v) = seq.next_element::<Value>()? else {
                    return Ok(None);
                };
                if !(self.each)(self.key, i, v) {
                    *self.stop = true;
                }
                i += 1;
            }
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let v: Value =
                de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Ok(Some(v))
        }

        scalars_as_values!();
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn collect(text: &str) -> Result<Vec<Value>, InputError> {
        let mut got = Vec::new();
        stream_document(text.as_bytes(), &mut |v| {
            got.push(v);
            true
        })?;
        Ok(got)
    }

    #[test]
    fn streams_every_shape_like_parse_document() {
        for doc in [
            r#"{"type":"bundle","id":"bundle--1","objects":[{"a":1},{"b":2}]}"#,
            r#"{"id":"bundle--1","objects":[{"a":1},{"b":2}],"type":"bundle"}"#,
            r#"{"id":"bundle--1","objects":[{"a":1},{"b":2}]}"#,
            r#"[{"a":1},{"b":2}]"#,
            r#"{"type":"observed-data","objects":{"0":{"type":"file"}}}"#,
            r#"{"type":"bundle","id":"bundle--1"}"#,
            r#"{"type":"bundle","id":"bundle--1","objects":[]}"#,
        ] {
            assert_eq!(
                collect(doc).unwrap(),
                parse_document(doc.as_bytes()).unwrap(),
                "{doc}"
            );
        }
        assert!(matches!(collect("42"), Err(InputError::Shape(_))));
        assert!(matches!(
            collect(r#"{"type":"bundle","id":"bundle--1","objects":{"a":1}}"#),
            Err(InputError::BundleObjects(_))
        ));
        assert!(matches!(collect("[1] x"), Err(InputError::Json(_))));
    }

    #[test]
    fn objects_before_a_syntax_error_are_handed_over() {
        let mut got = 0;
        let err = stream_document(&b"[{\"a\":1},\n{\"b\":2},\n{\"c\":"[..], &mut |_| {
            got += 1;
            true
        })
        .unwrap_err();
        assert_eq!(got, 2);
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn stops_when_asked() {
        let mut got = 0;
        let n = stream_document(&b"[{},{},{},{}]"[..], &mut |_| {
            got += 1;
            got < 2
        })
        .unwrap();
        assert_eq!((n, got), (2, 2));
    }
}

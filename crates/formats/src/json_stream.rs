//! Streaming the top level of a JSON document: the elements of a top-level array or of a
//! `response` list (MISP's REST API) are handed over one by one, so that a file of many
//! events is read in memory bounded by its largest element.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::FormatError;

type Each<'a> = &'a mut dyn FnMut(String, Value) -> bool;

/// Streams a MISP document: each element of a top-level array or of `response`, with its
/// JSON path (`$[3]`, `$.response[0]`); any other document as a whole (`$`). Stops when
/// `each` returns `false`. A syntax error names line and column.
pub fn stream_misp<R: std::io::Read>(reader: R, each: Each<'_>) -> Result<(), FormatError> {
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    let mut stop = false;
    let leftover = Top {
        each: &mut *each,
        stop: &mut stop,
    }
    .deserialize(&mut de)
    .map_err(|e| FormatError::json(&e))?;
    if !stop {
        de.end().map_err(|e| FormatError::json(&e))?;
    }
    if let Some(v) = leftover {
        if !v.is_object() {
            return Err(FormatError::input(
                "expected a MISP event, a `response` list or an array of events",
            ));
        }
        each("$".into(), v);
    }
    Ok(())
}

struct Top<'a, 'b> {
    each: &'b mut dyn FnMut(String, Value) -> bool,
    stop: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MISP event, a `response` list or an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Elements {
            each: self.each,
            stop: self.stop,
            prefix: "$",
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
            } else if key == "response" {
                let single = map.next_value_seed(Elements {
                    each: &mut *self.each,
                    stop: &mut *self.stop,
                    prefix: "$.response",
                })?;
                if let Some(v) = single {
                    *self.stop = !(self.each)("$.response".into(), v);
                }
                streamed = true;
            } else {
                kept.insert(key, map.next_value()?);
            }
        }
        Ok((!streamed).then_some(Value::Object(kept)))
    }

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
}

/// The elements of a list; a non-list value is given back whole.
struct Elements<'a, 'b> {
    each: &'b mut dyn FnMut(String, Value) -> bool,
    stop: &'a mut bool,
    prefix: &'static str,
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
        f.write_str("a list of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut i = 0usize;
        while !*self.stop {
            match seq.next_element::<Value>()? {
                Some(v) => {
                    *self.stop = !(self.each)(format!("{}[{i}]", self.prefix), v);
                    i += 1;
                }
                None => return Ok(None),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v: Value = de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(v))
    }
}

//! Reading what a user hands in: a bundle, a JSON array of objects, or one object.
//! Shape errors name the line and column; per-object problems are left to validation.

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
}

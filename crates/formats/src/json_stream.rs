//! Streaming the top level of a MISP document: the elements of a top-level array or of a
//! `response` list (MISP's REST API) are handed over one by one, so that a file of many
//! events is read in memory bounded by its largest element. The streaming itself is
//! `concord_stix::input::stream_lists`, which reads STIX bundles the same way.

use serde_json::Value;

use crate::error::FormatError;

type Each<'a> = &'a mut dyn FnMut(String, Value) -> bool;

/// Streams a MISP document: each element of a top-level array or of `response`, with its
/// JSON path (`$[3]`, `$.response[0]`); a `response` that is one event, or any other
/// object, as a whole (`$.response`, `$`). Stops when `each` returns `false`. A syntax
/// error names line and column.
pub fn stream_misp<R: std::io::Read>(reader: R, each: Each<'_>) -> Result<(), FormatError> {
    let response = |_: &serde_json::Map<String, Value>, key: &str| key == "response";
    let leftover = concord_stix::input::stream_lists(reader, &response, &mut |key, i, v| {
        let path = if key.is_empty() {
            format!("$[{i}]")
        } else {
            format!("$.{key}[{i}]")
        };
        each(path, v)
    })
    .map_err(|e| FormatError::json(&e))?;
    match leftover {
        None => {}
        Some(Value::Object(mut m)) => {
            match m.remove("response") {
                Some(r) => each("$.response".into(), r),
                None => each("$".into(), Value::Object(m)),
            };
        }
        Some(_) => {
            return Err(FormatError::input(
                "expected a MISP event, a `response` list or an array of events",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(doc: &str) -> Result<Vec<String>, FormatError> {
        let mut got = Vec::new();
        stream_misp(doc.as_bytes(), &mut |p, _| {
            got.push(p);
            true
        })?;
        Ok(got)
    }

    #[test]
    fn every_shape_with_its_path() {
        assert_eq!(
            paths(r#"{"response": [{"Event": {}}, {"Event": {}}], "x": 1}"#).unwrap(),
            ["$.response[0]", "$.response[1]"]
        );
        assert_eq!(paths(r#"[{"Event": {}}, {}]"#).unwrap(), ["$[0]", "$[1]"]);
        assert_eq!(
            paths(r#"{"response": {"Event": {}}}"#).unwrap(),
            ["$.response"]
        );
        assert_eq!(paths(r#"{"Event": {"info": "x"}}"#).unwrap(), ["$"]);
        assert!(paths("42").is_err());
        let e = paths("{\"response\": [{\"Event\": {}},\n{\"Event\": ").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}

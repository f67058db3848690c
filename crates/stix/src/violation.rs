//! What is wrong with an object: the object id, the property path and the rule broken.

use std::fmt;

/// One broken rule of one object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The object's `id`, when it has a readable one.
    pub object_id: Option<String>,
    /// Where in the object, as a JSON path (`$.external_references[0].source_name`).
    pub path: String,
    /// A stable short code for the rule (`required`, `timestamp`, `ref-type`, ...).
    pub rule: &'static str,
    /// A sentence a person can act on.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.object_id.as_deref().unwrap_or("(no id)");
        write!(f, "{id}: {}: {} [{}]", self.path, self.message, self.rule)
    }
}

/// All the violations found in one object; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    /// The violations, in the order found.
    pub violations: Vec<Violation>,
}

impl Invalid {
    /// The object id the violations are about, if known.
    pub fn object_id(&self) -> Option<&str> {
        self.violations.first().and_then(|v| v.object_id.as_deref())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

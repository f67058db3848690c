//! MISP tags: the `tlp` taxonomy to TLP 2.0 markings, `PAP` to PAP markings, every other
//! tag (taxonomies, galaxy tags, free text) to a label; and back.

use concord_stix::Tlp;
use concord_stix::concord_ext::Pap;
use serde_json::Value;

/// The tags of a record, sorted out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// The strictest TLP tag.
    pub tlp: Option<Tlp>,
    /// The strictest PAP tag.
    pub pap: Option<Pap>,
    /// Every other tag, as written.
    pub labels: Vec<String>,
}

/// The TLP level of a `tlp:` tag (TLP 1.0 `white` is TLP 2.0 `clear`). MISP's taxonomy
/// writes the level after the `tlp:` namespace, sometimes spaced or quoted
/// (`tlp: "amber"`): the namespace is required here and the space and quotes are taken
/// off; the level word itself is read by the one TLP parser, [`Tlp`]'s `FromStr`.
pub fn tlp_of(tag: &str) -> Option<Tlp> {
    let tag = tag.trim();
    tag.get(..4).filter(|p| p.eq_ignore_ascii_case("tlp:"))?;
    tag[4..].trim().trim_matches('"').parse().ok()
}

/// Sorts a MISP `Tag` list (objects with a `name`, or plain strings).
pub fn read(tags: Option<&Value>) -> Tags {
    let mut out = Tags::default();
    for t in tags.and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = t.get("name").and_then(Value::as_str).or(t.as_str()) else {
            continue;
        };
        if let Some(l) = tlp_of(name) {
            out.tlp = out.tlp.max(Some(l));
        } else if name.len() > 4
            && name[..4].eq_ignore_ascii_case("pap:")
            && let Some(p) = Pap::parse(name)
        {
            out.pap = out.pap.max(Some(p));
        } else if !name.trim().is_empty() && !out.labels.iter().any(|l| l == name) {
            out.labels.push(name.to_owned());
        }
    }
    out
}

/// The MISP tag of a TLP level (TLP 2.0 names).
pub fn tlp_tag(t: Tlp) -> String {
    format!("tlp:{}", t.as_str())
}

/// The MISP tag of a PAP level.
pub fn pap_tag(p: Pap) -> String {
    format!("PAP:{}", p.as_str().to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorting() {
        let t = read(Some(&json!([{"name": "tlp:white"}, {"name": "TLP:AMBER"},
            {"name": "PAP:GREEN"}, {"name": "tlp:ex:chr"}, "osint:source-type=\"blog-post\""])));
        assert_eq!(t.tlp, Some(Tlp::Amber));
        assert_eq!(t.pap, Some(Pap::Green));
        assert_eq!(t.labels, ["tlp:ex:chr", "osint:source-type=\"blog-post\""]);
    }
}

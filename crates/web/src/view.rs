//! STIX objects written for people: a display name, the TLP level a user's clearance is
//! compared with, and the object's properties as labelled fields (links for references,
//! dates in the reader's language), not only JSON.

use concord_stix::Tlp;
use maud::{Markup, html};
use serde_json::Value;

use super::i18n::Lang;

/// The strictest TLP level among the object's object markings and granular markings;
/// TLP:CLEAR when it has none (the level a page shows as the object's badge).
pub fn object_tlp(v: &Value) -> Tlp {
    concord_stix::visibility::highest_level(v)
}

/// Whether a user with `clearance` sees the object whole (the rule is
/// `concord_stix::visibility`). Pages that show an object only in passing (neighbours,
/// dashboards, incidents) show only what is seen whole, since a display name or a link
/// may come from a withheld property; the object page and the listing show what is seen
/// redacted through [`cleared`].
pub fn visible(v: &Value, clearance: Tlp) -> bool {
    concord_stix::visibility::view(v, clearance) == concord_stix::visibility::View::Whole
}

/// A stored version as a user with `clearance` may see it: whole, redacted (its JSON is
/// the redacted object's), or `None` when hidden.
pub fn cleared(
    o: concord_store::StoredObject,
    clearance: Tlp,
) -> Option<concord_store::StoredObject> {
    use concord_stix::visibility::View;
    match concord_stix::visibility::view(&o.value(), clearance) {
        View::Hidden => None,
        View::Whole => Some(o),
        View::Redacted(r) => Some(concord_store::StoredObject {
            json: r.to_string(),
            ..o
        }),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The type part of an id (`indicator--...` -> `indicator`).
fn id_type(id: &str) -> &str {
    id.split_once("--").map_or(id, |(t, _)| t)
}

/// What to call an object: its name, value or pattern; a relationship as
/// `source-type relationship-type target-type` (STIX vocabulary); else its id.
pub fn display_name(v: &Value) -> String {
    if type_of(v) == "relationship"
        && str_of(v, "name").is_none()
        && let (Some(rel), Some(src), Some(dst)) = (
            str_of(v, "relationship_type"),
            str_of(v, "source_ref"),
            str_of(v, "target_ref"),
        )
    {
        return format!("{} {rel} {}", id_type(src), id_type(dst));
    }
    let mut name = str_of(v, "name")
        .or_else(|| str_of(v, "value"))
        .or_else(|| str_of(v, "pattern"))
        .or_else(|| str_of(v, "relationship_type"))
        .or_else(|| str_of(v, "definition_type"))
        .or_else(|| str_of(v, "abstract"))
        .or_else(|| str_of(v, "content"))
        .or_else(|| str_of(v, "id"))
        .unwrap_or("?")
        .to_owned();
    if name.chars().count() > 120 {
        name = name.chars().take(119).collect::<String>() + "…";
    }
    name
}

/// The STIX type of an object.
pub fn type_of(v: &Value) -> &str {
    str_of(v, "type").unwrap_or("?")
}

/// Whether a string is a STIX identifier (so it may be a link to an object page).
pub fn is_stix_id(s: &str) -> bool {
    concord_stix::id::parse_id(s).is_ok()
}

/// A link to an object page.
pub fn object_link(id: &str, text: &str) -> Markup {
    html! { a href={ "/objects/" (id) } { bdi { (text) } } }
}

/// Properties shown first, with their message ids; the rest follow in the object's order.
const KNOWN: &[(&str, &str)] = &[
    ("name", "field-name"),
    ("description", "field-description"),
    ("type", "field-type"),
    ("id", "field-id"),
    ("created", "field-created"),
    ("modified", "field-modified"),
    ("created_by_ref", "field-created-by"),
    ("labels", "field-labels"),
    ("confidence", "field-confidence"),
    ("pattern", "field-pattern"),
    ("valid_from", "field-valid-from"),
    ("valid_until", "field-valid-until"),
    ("aliases", "field-aliases"),
    ("first_seen", "field-first-seen"),
    ("last_seen", "field-last-seen"),
    ("relationship_type", "field-relationship-type"),
    ("source_ref", "field-source"),
    ("target_ref", "field-target"),
    ("value", "field-value"),
    ("external_references", "field-external-references"),
    ("kill_chain_phases", "field-kill-chain-phases"),
    ("revoked", "field-revoked"),
];

/// Properties not listed as fields (shown elsewhere on the page).
const HIDDEN: &[&str] = &["object_marking_refs", "granular_markings", "spec_version"];

const TIME_KEYS: &[&str] = &[
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "published",
    "first_observed",
    "last_observed",
];

/// A JSON value for people: strings as text (ids as links, timestamps as dates), lists
/// as lists, objects as small tables.
pub fn value(lang: Lang, key: &str, v: &Value) -> Markup {
    match v {
        Value::String(s) if is_stix_id(s) && (key.ends_with("_ref") || key.ends_with("_refs")) => {
            object_link(s, s)
        }
        Value::String(s) if TIME_KEYS.contains(&key) => {
            html! { time datetime=(s) { (lang.datetime(s)) } }
        }
        Value::String(s) if key == "pattern" => html! { code dir="ltr" { (s) } },
        Value::String(s)
            if key == "url" && (s.starts_with("https://") || s.starts_with("http://")) =>
        {
            html! { a href=(s) rel="noopener noreferrer nofollow" { (s) } }
        }
        Value::String(s) => html! { bdi { (s) } },
        Value::Bool(b) => html! { (lang.t(if *b { "yes" } else { "no" })) },
        Value::Number(n) => match n.as_i64() {
            Some(i) => html! { (lang.number(i)) },
            None => html! { (n.to_string()) },
        },
        Value::Null => html! {},
        Value::Array(items) => html! {
            ul {
                @for item in items.iter().take(200) {
                    li { (value(lang, key, item)) }
                }
            }
        },
        Value::Object(map) => html! {
            dl.fields {
                @for (k, item) in map.iter().take(100) {
                    dt { (k) }
                    dd { (value(lang, k, item)) }
                }
            }
        },
    }
}

/// The object's properties as a list of labelled fields.
pub fn fields(lang: Lang, v: &Value) -> Markup {
    let Some(map) = v.as_object() else {
        return html! {};
    };
    html! {
        dl.fields {
            @for (key, id) in KNOWN {
                @if let Some(item) = map.get(*key) {
                    dt { (lang.t(id)) }
                    dd { (value(lang, key, item)) }
                }
            }
            @for (key, item) in map {
                @if !KNOWN.iter().any(|(k, _)| k == key) && !HIDDEN.contains(&key.as_str()) {
                    dt { (key) }
                    dd { (value(lang, key, item)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn granular_markings_raise_the_level() {
        let red = Tlp::Red.marking_id();
        let green = Tlp::Green.marking_id();
        assert_eq!(object_tlp(&json!({})), Tlp::Clear);
        assert_eq!(
            object_tlp(&json!({"object_marking_refs": [green]})),
            Tlp::Green
        );
        let v = json!({"object_marking_refs": [green],
                       "granular_markings": [{"marking_ref": red, "selectors": ["name"]}]});
        assert_eq!(object_tlp(&v), Tlp::Red);
        assert!(!visible(&v, Tlp::Amber));
    }

    #[test]
    fn values_are_escaped_and_urls_checked() {
        let html = value(Lang::En, "name", &json!("<script>x</script>")).into_string();
        assert!(!html.contains("<script>"), "{html}");
        let html = value(Lang::En, "url", &json!("javascript:alert(1)")).into_string();
        assert!(!html.contains("href"), "{html}");
    }
}

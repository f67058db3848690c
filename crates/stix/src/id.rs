//! STIX identifiers (`type--UUID`) and object type names.

use uuid::Uuid;

/// Why a string is not a valid STIX identifier or type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// No `--` separator between type and UUID.
    #[error("identifier {0:?} is not of the form `type--UUID`")]
    Shape(String),
    /// The type part breaks the naming rules of spec section 2.7 / 11.1.
    #[error("{0:?} is not a valid object type name: {1}")]
    TypeName(String, &'static str),
    /// The UUID part is not an RFC 4122 UUID (versions 1 to 5, variant 10xx).
    #[error("identifier {0:?} does not end in an RFC 4122 UUID")]
    Uuid(String),
}

/// Checks a type name: 3 to 250 characters, ASCII lowercase letters, digits and
/// single hyphens, starting with a letter and not ending with a hyphen.
pub fn check_type_name(name: &str) -> Result<(), IdError> {
    let err = |why| Err(IdError::TypeName(name.to_owned(), why));
    if name.len() < 3 || name.len() > 250 {
        return err("must be 3 to 250 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return err("may only hold a-z, 0-9 and '-'");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return err("must start with a letter");
    }
    if name.ends_with('-') {
        return err("must not end with '-'");
    }
    if name.contains("--") {
        return err("must not contain '--'");
    }
    Ok(())
}

/// Splits and checks an identifier, returning its type part and UUID.
pub fn parse_id(id: &str) -> Result<(&str, Uuid), IdError> {
    let Some((ty, uuid)) = split_id(id) else {
        return Err(IdError::Shape(id.to_owned()));
    };
    check_type_name(ty)?;
    let parsed = parse_uuid(uuid).ok_or_else(|| IdError::Uuid(id.to_owned()))?;
    Ok((ty, parsed))
}

/// The UUID part of an identifier, if it is one STIX allows: the hyphenated form (36
/// characters), RFC 4122 variant, versions 1 to 5.
pub fn parse_uuid(uuid: &str) -> Option<Uuid> {
    if uuid.len() != 36 {
        return None;
    }
    let parsed = Uuid::try_parse(uuid).ok()?;
    let version_ok = matches!(parsed.get_version_num(), 1..=5);
    let variant_ok = parsed.get_variant() == uuid::Variant::RFC4122;
    (version_ok && variant_ok).then_some(parsed)
}

/// The type part of an identifier, without checking the rest.
pub fn type_of(id: &str) -> Option<&str> {
    split_id(id).map(|(t, _)| t)
}

/// `id.split_once("--")`, without setting up a substring searcher for every id (it
/// was 6 % of the validating thread of an import).
fn split_id(id: &str) -> Option<(&str, &str)> {
    let at = id.as_bytes().windows(2).position(|w| w == b"--")?;
    // `-` is ASCII, so both sides end and start on character boundaries.
    Some((&id[..at], &id[at + 2..]))
}

/// A new random (version 4) identifier for an object of type `ty`.
pub fn new_id(ty: &str) -> String {
    format!("{ty}--{}", Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_ids() {
        assert!(parse_id("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_ok());
        // Version 1 UUIDs appear in OASIS examples and are allowed.
        assert!(parse_id("identity--1621d4d4-b67d-11e3-9670-f01faf20d111").is_ok());
        assert!(parse_id("x-mitre-tactic--69da72d2-f550-41c5-ab9e-e8255707f28a").is_ok());
    }

    #[test]
    fn rejects_bad_ids() {
        assert!(matches!(
            parse_id("indicator-8e2e2d2b"),
            Err(IdError::Shape(_))
        ));
        assert!(matches!(
            parse_id("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            Err(IdError::TypeName(..))
        ));
        assert!(matches!(
            parse_id("indicator--not-a-uuid"),
            Err(IdError::Uuid(_))
        ));
        // Version 0 / NCS variant.
        assert!(matches!(
            parse_id("indicator--8e2e2d2b-17d4-0cbf-038f-98ee46b3cd3f"),
            Err(IdError::Uuid(_))
        ));
        // The simple (32 digits) and braced forms are not the hyphenated one.
        assert!(matches!(
            parse_id("indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f"),
            Err(IdError::Uuid(_))
        ));
        assert!(parse_uuid("{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}").is_none());
        assert!(parse_uuid("8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F").is_some());
        assert!(parse_uuid("8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f").is_none());
        assert!(check_type_name("ab").is_err());
        assert!(check_type_name("a--b").is_err());
        assert!(check_type_name("abc-").is_err());
    }

    #[test]
    fn split_id_is_split_once() {
        for id in [
            "",
            "-",
            "--",
            "a--b",
            "--b",
            "a--",
            "a---b",
            "x-y--z--w",
            "é--ü",
            "a-b",
        ] {
            assert_eq!(split_id(id), id.split_once("--"), "{id:?}");
        }
    }
}

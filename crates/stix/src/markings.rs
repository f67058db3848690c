//! TLP 2.0 (and the TLP 1.0 definitions still in circulation) as STIX marking definitions.

/// The extension definition that TLP 2.0 marking definitions carry.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// A Traffic Light Protocol level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0's WHITE maps here).
    Clear,
    /// TLP:GREEN.
    Green,
    /// TLP:AMBER.
    Amber,
    /// TLP:AMBER+STRICT.
    AmberStrict,
    /// TLP:RED.
    Red,
}

/// The standard marking-definition ids, TLP 2.0 first, then TLP 1.0.
pub const TLP_IDS: &[(&str, Tlp, &str)] = &[
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
        "TLP:CLEAR",
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
        "TLP:GREEN",
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
        "TLP:AMBER",
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
        "TLP:AMBER+STRICT",
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
        "TLP:RED",
    ),
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
        "TLP:WHITE",
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
        "TLP:GREEN",
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
        "TLP:AMBER",
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
        "TLP:RED",
    ),
];

impl Tlp {
    /// The level a standard marking-definition id stands for.
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        TLP_IDS.iter().find(|(i, ..)| *i == id).map(|(_, t, _)| *t)
    }

    /// The TLP 2.0 marking-definition id of this level.
    pub fn marking_id(self) -> &'static str {
        TLP_IDS
            .iter()
            .find(|(_, t, _)| *t == self)
            .map_or("", |(i, ..)| i)
    }

    /// The name TLP 2.0 gives the level (`clear`, `amber+strict`, ...), as in `tlp_2_0`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The level's rank, 0 (CLEAR) to 4 (RED), in the order of the levels: what a store
    /// keeps in a column to compare levels in its queries.
    pub const fn rank(self) -> i64 {
        self as i64
    }

    /// The level of a [`Tlp::rank`]; ranks below 0 are CLEAR and above 4 RED.
    pub const fn from_rank(rank: i64) -> Tlp {
        match rank {
            i64::MIN..=0 => Tlp::Clear,
            1 => Tlp::Green,
            2 => Tlp::Amber,
            3 => Tlp::AmberStrict,
            _ => Tlp::Red,
        }
    }

    /// The strictest level among a set of marking refs, if any is a TLP marking.
    pub fn strictest<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<Tlp> {
        refs.into_iter().filter_map(Tlp::from_marking_id).max()
    }
}

/// The spellings of TLP levels that [`Tlp::from_str`](std::str::FromStr) accepts, for
/// error and help texts.
pub const TLP_SPELLINGS: &str = "clear (or TLP 1.0's white), green, amber, amber+strict (or amber-strict), red; \
     any case, with or without a tlp: prefix";

/// A text that is not a TLP level: what [`Tlp::from_str`](std::str::FromStr) returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a TLP level (accepted: {TLP_SPELLINGS})")]
pub struct UnknownTlp {
    /// The text as given.
    pub text: String,
}

/// The one parser of TLP level names, used by every front end (policy files, TAXII
/// collections, user and token clearances, response settings, MISP and CSAF tags).
///
/// Accepted, in any case and after trimming white space, with or without a `tlp:`
/// prefix (also in any case): `clear`, `white` (TLP 1.0, which TLP 2.0 renamed
/// CLEAR), `green`, `amber`, `amber+strict` (TLP 2.0's spelling), `amber-strict` (the
/// spelling of [`Tlp`]'s serde form and of HTML form values), `red`. Nothing else: not
/// `amber_strict`, not `amber strict`, not numbers or ranks.
///
/// ```
/// use concord_stix::Tlp;
///
/// assert_eq!("TLP:AMBER+STRICT".parse(), Ok(Tlp::AmberStrict));
/// assert_eq!("white".parse(), Ok(Tlp::Clear));
/// assert!("orange".parse::<Tlp>().unwrap_err().to_string().contains("\"orange\""));
/// ```
impl std::str::FromStr for Tlp {
    type Err = UnknownTlp;

    fn from_str(text: &str) -> Result<Tlp, UnknownTlp> {
        let t = text.trim();
        let level = t
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("tlp:"))
            .map_or(t, |_| &t[4..]);
        let is = |name: &str| level.eq_ignore_ascii_case(name);
        Ok(if is("clear") || is("white") {
            Tlp::Clear
        } else if is("green") {
            Tlp::Green
        } else if is("amber") {
            Tlp::Amber
        } else if is("amber+strict") || is("amber-strict") {
            Tlp::AmberStrict
        } else if is("red") {
            Tlp::Red
        } else {
            return Err(UnknownTlp {
                text: text.to_owned(),
            });
        })
    }
}

/// The expected shape of a marking definition that uses a standard TLP id, if `id` is one:
/// (name, TLP 2.0 value or `None` for TLP 1.0).
pub fn standard_tlp(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    let pos = TLP_IDS.iter().position(|(i, ..)| *i == id)?;
    let (_, tlp, name) = TLP_IDS[pos];
    Some((name, (pos < 5).then(|| tlp.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every accepted spelling (in three cases, with and without the prefix and
    /// surrounding space) and a set of rejected ones.
    #[test]
    fn tlp_spellings() {
        let accepted = [
            ("clear", Tlp::Clear),
            ("white", Tlp::Clear),
            ("green", Tlp::Green),
            ("amber", Tlp::Amber),
            ("amber+strict", Tlp::AmberStrict),
            ("amber-strict", Tlp::AmberStrict),
            ("red", Tlp::Red),
        ];
        for (word, want) in accepted {
            for prefix in ["", "tlp:", "TLP:", "Tlp:"] {
                for w in [
                    word.to_owned(),
                    word.to_ascii_uppercase(),
                    word[..1].to_ascii_uppercase() + &word[1..],
                ] {
                    for text in [format!("{prefix}{w}"), format!("  {prefix}{w}\n")] {
                        assert_eq!(text.parse::<Tlp>(), Ok(want), "{text:?}");
                    }
                }
            }
        }
        for level in [
            Tlp::Clear,
            Tlp::Green,
            Tlp::Amber,
            Tlp::AmberStrict,
            Tlp::Red,
        ] {
            assert_eq!(level.as_str().parse::<Tlp>(), Ok(level));
            let serde_form = serde_json::to_value(level).unwrap();
            assert_eq!(serde_form.as_str().unwrap().parse::<Tlp>(), Ok(level));
        }
        let rejected = [
            "",
            "tlp:",
            "orange",
            "amber_strict",
            "amber strict",
            "amberstrict",
            "strict",
            "tlp: amber",
            "tlp amber",
            "tlp-amber",
            "tlp:tlp:red",
            "\"red\"",
            "0",
            "4",
            "é",
            "rouge",
            "TLP:WHITE+STRICT",
        ];
        for text in rejected {
            let err = text.parse::<Tlp>().unwrap_err();
            assert_eq!(err.text, text);
            let msg = err.to_string();
            assert!(msg.contains(&format!("{text:?}")), "{msg}");
            assert!(msg.contains("amber+strict"), "{msg}");
        }
    }
}

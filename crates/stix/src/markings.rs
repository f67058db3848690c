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

/// The expected shape of a marking definition that uses a standard TLP id, if `id` is one:
/// (name, TLP 2.0 value or `None` for TLP 1.0).
pub fn standard_tlp(id: &str) -> Option<(&'static str, Option<&'static str>)> {
    let pos = TLP_IDS.iter().position(|(i, ..)| *i == id)?;
    let (_, tlp, name) = TLP_IDS[pos];
    Some((name, (pos < 5).then(|| tlp.as_str())))
}

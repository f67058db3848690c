//! CVSS v3.x base scores (FIRST CVSS v3.1 specification, section 7): parsing a vector
//! string, computing the base score and severity, and the JSON property names CSAF uses
//! for each metric.

/// The metrics of a CVSS v3 vector (`AV:N/AC:L/...`), in order of appearance.
pub fn metrics(vector: &str) -> Option<Vec<(&str, &str)>> {
    let rest = vector
        .strip_prefix("CVSS:3.1/")
        .or_else(|| vector.strip_prefix("CVSS:3.0/"))?;
    rest.split('/').map(|m| m.split_once(':')).collect()
}

fn get<'a>(m: &[(&str, &'a str)], k: &str) -> Option<&'a str> {
    m.iter().find(|(x, _)| *x == k).map(|(_, v)| *v)
}

/// CVSS v3.1's Roundup.
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// The base score of a v3 vector, or `None` if a base metric is missing or unknown.
pub fn base_score(vector: &str) -> Option<f64> {
    let m = metrics(vector)?;
    let changed = match get(&m, "S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let cia = |k| match get(&m, k) {
        Some("H") => Some(0.56),
        Some("L") => Some(0.22),
        Some("N") => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let av = match get(&m, "AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get(&m, "AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get(&m, "PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get(&m, "UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    Some(if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

/// The base score of a CVSS v2 vector (`AV:N/AC:L/Au:N/C:C/I:C/A:C`; CVSS v2 guide,
/// section 3.2.1), or `None` if a base metric is missing or unknown.
pub fn v2_base_score(vector: &str) -> Option<f64> {
    let m: Vec<(&str, &str)> = vector
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('/')
        .map(|x| x.split_once(':'))
        .collect::<Option<_>>()?;
    let cia = |k| match get(&m, k) {
        Some("N") => Some(0.0),
        Some("P") => Some(0.275),
        Some("C") => Some(0.660),
        _ => None,
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let av = match get(&m, "AV")? {
        "L" => 0.395,
        "A" => 0.646,
        "N" => 1.0,
        _ => return None,
    };
    let ac = match get(&m, "AC")? {
        "H" => 0.35,
        "M" => 0.61,
        "L" => 0.71,
        _ => return None,
    };
    let au = match get(&m, "Au")? {
        "M" => 0.45,
        "S" => 0.56,
        "N" => 0.704,
        _ => return None,
    };
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f: f64 = if impact == 0.0 { 0.0 } else { 1.176 };
    Some((((0.6 * impact) + (0.4 * exploitability) - 1.5) * f * 10.0).round() / 10.0)
}

/// The qualitative severity of a score.
pub fn severity(score: f64) -> &'static str {
    match score {
        0.0 => "NONE",
        s if s < 4.0 => "LOW",
        s if s < 7.0 => "MEDIUM",
        s if s < 9.0 => "HIGH",
        _ => "CRITICAL",
    }
}

/// A metric: its abbreviation, CSAF property, and (abbreviated value, value name) pairs.
pub type Metric = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// CSAF's (CVSS JSON schema's) property of each base metric, with the value names.
pub const PROPERTIES: &[Metric] = &[
    (
        "AV",
        "attackVector",
        &[
            ("N", "NETWORK"),
            ("A", "ADJACENT_NETWORK"),
            ("L", "LOCAL"),
            ("P", "PHYSICAL"),
        ],
    ),
    ("AC", "attackComplexity", &[("L", "LOW"), ("H", "HIGH")]),
    (
        "PR",
        "privilegesRequired",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    ("UI", "userInteraction", &[("N", "NONE"), ("R", "REQUIRED")]),
    ("S", "scope", &[("U", "UNCHANGED"), ("C", "CHANGED")]),
    (
        "C",
        "confidentialityImpact",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    (
        "I",
        "integrityImpact",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
    (
        "A",
        "availabilityImpact",
        &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_of_known_vectors() {
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H"),
            Some(6.5)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:L"),
            Some(4.4)
        );
        assert_eq!(severity(6.1), "MEDIUM");
        assert_eq!(v2_base_score("AV:N/AC:L/Au:N/C:C/I:C/A:C"), Some(10.0));
        assert_eq!(v2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some(7.5));
    }
}

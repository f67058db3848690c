//! Indicator patterns built from converted MISP records.

use super::types::Observed;

/// Comparisons grouped by object path.
type PathGroups = Vec<(String, Vec<String>)>;

/// Whether a pattern [`build_pattern`] makes of `parts` could fail to parse, so that the
/// converter must parse it to name the record in the error. Its comparisons are fixed
/// object paths with values quoted by [`quote`](crate::observable::quote) (or numbers),
/// which always parse; the parser's only checks beyond the grammar are on `hashes` values
/// (and `MATCHES`, which is never written). Validation parses every pattern again either
/// way; this spares the parser thread a second parse of most indicators (test
/// `built_patterns_parse_unless_on_hashes`).
pub fn may_not_parse(parts: &[Observed]) -> bool {
    parts
        .iter()
        .flat_map(|p| &p.comparisons)
        .any(|c| path_of(c).contains("hashes"))
}

/// The object path of a comparison (`file:hashes.'MD5'` of `file:hashes.'MD5' = '..'`).
fn path_of(comparison: &str) -> &str {
    comparison.split(' ').next().unwrap_or("")
}

/// An indicator pattern from the comparisons of one or more records: comparisons on the
/// same SCO type share one observation (same path: OR; different paths: AND), and
/// observations on different types are joined with AND.
pub fn build_pattern(parts: &[Observed]) -> String {
    // Most records are one comparison: `[comparison]`, the same text as the general case.
    if let [one] = parts
        && let [c] = one.comparisons.as_slice()
    {
        return format!("[{c}]");
    }
    let mut by_type: Vec<(&str, PathGroups)> = Vec::new();
    for o in parts {
        let slot = match by_type.iter().position(|(t, _)| *t == o.sco_type) {
            Some(i) => i,
            None => {
                by_type.push((o.sco_type, Vec::new()));
                by_type.len() - 1
            }
        };
        for c in &o.comparisons {
            let path = path_of(c).to_owned();
            let paths = &mut by_type[slot].1;
            match paths.iter_mut().find(|(p, _)| *p == path) {
                Some((_, cs)) => {
                    if !cs.contains(c) {
                        cs.push(c.clone());
                    }
                }
                None => paths.push((path, vec![c.clone()])),
            }
        }
    }
    by_type
        .iter()
        .map(|(_, paths)| {
            let inner: Vec<String> = paths
                .iter()
                .map(|(_, cs)| {
                    if cs.len() == 1 {
                        cs[0].clone()
                    } else {
                        format!("({})", cs.join(" OR "))
                    }
                })
                .collect();
            format!("[{}]", inner.join(" AND "))
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every MISP type with every sample value it accepts gives comparisons whose pattern
    /// parses, unless `may_not_parse` says the converter must parse it.
    #[test]
    fn built_patterns_parse_unless_on_hashes() {
        let values = [
            "198.51.100.7",
            "2001:db8::1",
            "10.0.0.0/8",
            "example.com",
            "sub.example.com",
            "http://example.com/a'b\\c?d=e f",
            "user@example.com",
            "o'brien\\x@example.com",
            "AS64500",
            "64500",
            "198.51.100.7|443",
            "example.com|198.51.100.7",
            "file'name\\x.exe|d41d8cd98f00b204e9800998ecf8427e",
            "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "d41d8cd98f00b204e9800998ecf8427e",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "3:abc:def",
            "00:11:22:33:44:55",
            "HKLM\\Software\\x|data 'quoted'",
            "text with ' and \\ and \n a newline, é and 😀",
            "a|b",
            "",
        ];
        let mut checked = 0;
        for ty in crate::misp::types::KNOWN_TYPES {
            for v in values {
                let Ok(Some(obs)) = crate::misp::types::observe(ty, v, None) else {
                    continue;
                };
                let parts = [obs];
                if may_not_parse(&parts) {
                    continue;
                }
                let pattern = build_pattern(&parts);
                assert!(
                    concord_pattern::parse(&pattern).is_ok(),
                    "{ty} {v:?}: {pattern}"
                );
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} patterns checked");
    }

    #[test]
    fn one_comparison_pattern_is_the_general_form() {
        let one = |c: &str| Observed {
            sco_type: "ipv4-addr",
            comparisons: vec![c.to_owned()],
            scos: Vec::new(),
        };
        let c = "ipv4-addr:value = '198.51.100.1'";
        assert_eq!(build_pattern(&[one(c)]), format!("[{c}]"));
        let two = build_pattern(&[one(c), one("ipv4-addr:value = '198.51.100.2'")]);
        assert_eq!(
            two,
            "[(ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2')]"
        );
    }
}

//! The charter: which kinds of decision a community takes, the threshold of each (a count
//! or a fraction of the members entitled to vote) and how long its vote stays open.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A kind of decision the community votes on. Rotating one's own key takes no vote and
/// is not a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// Admit a new member (named by its sponsors).
    Admit,
    /// Suspend a member (it stays a member but neither votes nor syncs).
    Suspend,
    /// Lift a suspension.
    Readmit,
    /// Expel a member.
    Expel,
    /// Revoke a member's key (the holder of a stolen key cannot be asked to sign).
    RevokeKey,
    /// Change the charter; its threshold is at least that of every other kind.
    ChangeCharter,
    /// Adopt or change a community-wide definition (classification levels, negative-list
    /// categories, taxonomies, a baseline sharing agreement).
    Define,
}

impl DecisionKind {
    /// Every kind, in order.
    pub const ALL: [DecisionKind; 7] = [
        DecisionKind::Admit,
        DecisionKind::Suspend,
        DecisionKind::Readmit,
        DecisionKind::Expel,
        DecisionKind::RevokeKey,
        DecisionKind::ChangeCharter,
        DecisionKind::Define,
    ];

    /// The kind's name as written in a charter (`revoke-key`).
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::Admit => "admit",
            DecisionKind::Suspend => "suspend",
            DecisionKind::Readmit => "readmit",
            DecisionKind::Expel => "expel",
            DecisionKind::RevokeKey => "revoke-key",
            DecisionKind::ChangeCharter => "change-charter",
            DecisionKind::Define => "define",
        }
    }
}

impl std::fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How many yes votes a decision needs, out of the members entitled to vote on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Threshold {
    /// This many (all of them when fewer are entitled).
    Count(u32),
    /// At least this fraction, `[numerator, denominator]`, rounded up (never below one).
    Fraction(u32, u32),
}

impl Threshold {
    /// The yes votes needed out of `electorate` members (at least one).
    pub fn required(self, electorate: usize) -> usize {
        let n = electorate as u64;
        let need = match self {
            Threshold::Count(c) => u64::from(c).min(n),
            Threshold::Fraction(num, den) => {
                let den = u64::from(den.max(1));
                (n * u64::from(num)).div_ceil(den).min(n)
            }
        };
        usize::try_from(need.max(1)).unwrap_or(usize::MAX)
    }

    fn check(self) -> Result<(), String> {
        match self {
            Threshold::Count(0) => Err("a count threshold must be at least 1".into()),
            Threshold::Fraction(num, den) if num == 0 || den == 0 || num > den => Err(format!(
                "a fraction threshold must be in (0, 1], not {num}/{den}"
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(c) => write!(f, "{c}"),
            Threshold::Fraction(n, d) => write!(f, "{n}/{d}"),
        }
    }
}

/// The rule of one kind of decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Yes votes needed (the proposal counts as its author's yes).
    pub threshold: Threshold,
    /// How long the vote stays open after the proposal's time, in seconds.
    pub period_secs: u64,
    /// Sponsors an admission must name (each an active member who votes yes; the
    /// proposer is one of them). Only read for `admit`.
    #[serde(default)]
    pub sponsors: u32,
}

/// Longest voting period a charter may set: one year.
pub const MAX_PERIOD_SECS: u64 = 366 * 24 * 3600;

/// A community's charter: one rule per kind of decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// The rule of each kind; every kind must have one.
    pub rules: BTreeMap<DecisionKind, Rule>,
}

impl Charter {
    /// The rule of `kind` (a checked charter has every kind).
    pub fn rule(&self, kind: DecisionKind) -> Option<&Rule> {
        self.rules.get(&kind)
    }

    /// Checks the charter: every kind has a rule with a sensible threshold and period,
    /// and changing the charter takes at least as many votes as any other decision, for
    /// every size of community up to 10,000 members.
    pub fn check(&self) -> Result<(), String> {
        for kind in DecisionKind::ALL {
            let rule = self
                .rules
                .get(&kind)
                .ok_or_else(|| format!("the charter has no rule for {kind}"))?;
            rule.threshold.check().map_err(|e| format!("{kind}: {e}"))?;
            if rule.period_secs == 0 || rule.period_secs > MAX_PERIOD_SECS {
                return Err(format!(
                    "{kind}: the voting period must be between 1 s and {MAX_PERIOD_SECS} s"
                ));
            }
        }
        let charter = self.rules[&DecisionKind::ChangeCharter].threshold;
        for kind in DecisionKind::ALL {
            let other = self.rules[&kind].threshold;
            if let Some(n) = (1..=10_000).find(|&n| charter.required(n) < other.required(n)) {
                return Err(format!(
                    "change-charter ({charter}) must need at least as many votes as {kind} \
                     ({other}), but with {n} members it needs {} and {kind} {}",
                    charter.required(n),
                    other.required(n)
                ));
            }
        }
        Ok(())
    }

    /// A charter for tests and examples: majority for most things, two sponsors and
    /// two thirds for admission, three quarters for the charter; a week to vote.
    pub fn example() -> Charter {
        let week = 7 * 24 * 3600;
        let rule = |threshold, sponsors| Rule {
            threshold,
            period_secs: week,
            sponsors,
        };
        let mut rules = BTreeMap::new();
        rules.insert(DecisionKind::Admit, rule(Threshold::Fraction(2, 3), 2));
        rules.insert(DecisionKind::Suspend, rule(Threshold::Fraction(1, 2), 0));
        rules.insert(DecisionKind::Readmit, rule(Threshold::Fraction(1, 2), 0));
        rules.insert(DecisionKind::Expel, rule(Threshold::Fraction(2, 3), 0));
        rules.insert(DecisionKind::RevokeKey, rule(Threshold::Fraction(1, 2), 0));
        rules.insert(
            DecisionKind::ChangeCharter,
            rule(Threshold::Fraction(3, 4), 0),
        );
        rules.insert(DecisionKind::Define, rule(Threshold::Fraction(1, 2), 0));
        Charter { rules }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_round_up_and_cap_at_the_electorate() {
        assert_eq!(Threshold::Fraction(2, 3).required(3), 2);
        assert_eq!(Threshold::Fraction(2, 3).required(4), 3);
        assert_eq!(Threshold::Fraction(1, 2).required(4), 2);
        assert_eq!(Threshold::Fraction(1, 2).required(0), 1);
        assert_eq!(Threshold::Count(5).required(3), 3);
        assert_eq!(Threshold::Count(2).required(7), 2);
    }

    #[test]
    fn the_charter_change_needs_the_highest_threshold() {
        let mut c = Charter::example();
        c.check().unwrap();
        c.rules
            .get_mut(&DecisionKind::ChangeCharter)
            .unwrap()
            .threshold = Threshold::Fraction(1, 2);
        let e = c.check().unwrap_err();
        assert!(e.contains("change-charter"), "{e}");
        let mut c = Charter::example();
        c.rules.remove(&DecisionKind::Define);
        assert!(c.check().unwrap_err().contains("no rule for define"));
    }

    #[test]
    fn charter_json_reads_back() {
        let c = Charter::example();
        let text = serde_json::to_string(&c).unwrap();
        assert!(
            text.contains(
                r#""admit":{"period_secs":604800,"sponsors":2,"threshold":{"fraction":[2,3]}}"#
            ) || text.contains(r#""fraction":[2,3]"#),
            "{text}"
        );
        let back: Charter = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }
}

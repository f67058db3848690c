//! Which background work this process runs now: one entry per lease (the signer, the
//! federation puller, each feed, ...), held or not, as the process that starts the work
//! (`concord serve`) reports it. `/healthz` names the leases held (`leases`), `/metrics`
//! has `concord_lease_held{lease}`; with several replicas on one database, exactly one
//! replica holds each lease.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::RwLock;

/// The leases of this process and whether each is held.
#[derive(Debug, Default)]
pub struct LeaseBoard(RwLock<BTreeMap<String, bool>>);

impl LeaseBoard {
    /// Records whether the lease `name` is held now.
    pub fn set(&self, name: &str, held: bool) {
        if let Ok(mut m) = self.0.write() {
            m.insert(name.to_owned(), held);
        }
    }

    /// Every lease known, with whether it is held, by name.
    pub fn all(&self) -> Vec<(String, bool)> {
        self.0
            .read()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }

    /// The names of the leases held, in order.
    pub fn held(&self) -> Vec<String> {
        self.all()
            .into_iter()
            .filter_map(|(k, held)| held.then_some(k))
            .collect()
    }

    /// The `concord_lease_held` gauge in the Prometheus text format (empty when no lease
    /// is known: a process that runs no background work).
    pub fn render(&self) -> String {
        let all = self.all();
        let mut out = String::new();
        if all.is_empty() {
            return out;
        }
        out.push_str("# HELP concord_lease_held Whether this process holds the lease and runs its background work (1) or another replica does (0).\n");
        out.push_str("# TYPE concord_lease_held gauge\n");
        for (name, held) in all {
            let name = name
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            let _ = writeln!(
                out,
                "concord_lease_held{{lease=\"{name}\"}} {}",
                u8::from(held)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::LeaseBoard;

    #[test]
    fn held_leases_are_listed_and_rendered() {
        let b = LeaseBoard::default();
        assert_eq!(b.render(), "");
        b.set("signer", true);
        b.set("feed:\"x\"", false);
        assert_eq!(b.held(), vec!["signer".to_owned()]);
        let text = b.render();
        assert!(
            text.contains("concord_lease_held{lease=\"signer\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("concord_lease_held{lease=\"feed:\\\"x\\\"\"} 0\n"),
            "{text}"
        );
        b.set("signer", false);
        assert!(b.held().is_empty());
    }
}

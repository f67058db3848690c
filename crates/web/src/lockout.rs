//! The web sign-in's lockout: attempts counted per user name and per client address
//! before the password is checked, so that neither guessing one account's password nor
//! spraying one password over many accounts goes fast, even with concurrent attempts.
//! The counts are kept in the node's store (`concord_store::ephemeral`), so that every
//! replica of a node counts the same attempts: spreading guesses over replicas gains
//! nothing.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use concord_store::ephemeral::{Limit, now_ms};
use concord_store::{Store, StoreError};

/// Sign-in attempts allowed per user name within [`LOCKOUT_WINDOW`]; the next is refused.
pub const MAX_FAILURES: u32 = 5;
/// Sign-in attempts allowed per client address (an IPv6 address counts by its /64)
/// within [`LOCKOUT_WINDOW`], whatever the names tried. Behind a reverse proxy every
/// client shares the proxy's address, hence a limit well above [`MAX_FAILURES`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// How long sign-in attempts are remembered (and a locked name or address stays locked).
pub const LOCKOUT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Names and addresses remembered at most (together); past it, at the next pruning, all
/// are forgotten (a bound on the table, reached only by a spray from many addresses).
const MAX_TRACKED: usize = 200_000;
/// How often a process drops ended windows, in milliseconds.
const PRUNE_EVERY_MS: i64 = 60_000;

/// Recent sign-in attempts per user name and per client address, in the node's store.
/// An attempt is counted *before* its password is checked ([`Failures::reserve`]), in
/// one transaction with the check, so that concurrent attempts (on any replica) cannot
/// all pass a check made before any of them failed: at most [`MAX_FAILURES`] passwords
/// per name and [`MAX_FAILURES_PER_ADDRESS`] per address are ever checked within
/// [`LOCKOUT_WINDOW`]. Only a successful sign-in gives its attempt back
/// ([`Failures::succeeded`]). Its methods are blocking (a small transaction).
pub struct Failures {
    store: Arc<dyn Store>,
    /// When this process last dropped ended windows (milliseconds since the epoch).
    pruned: AtomicI64,
}

impl std::fmt::Debug for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Failures").finish_non_exhaustive()
    }
}

/// Why a sign-in attempt was refused before its password was looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Too many attempts for this user name.
    Name,
    /// Too many attempts from this client address.
    Address,
}

/// A sign-in attempt counted by [`Failures::reserve`]: it stays counted as a failure
/// unless [`Failures::succeeded`] takes it back.
#[derive(Debug)]
#[must_use = "an attempt is given back only through Failures::succeeded"]
pub struct Attempt {
    name: String,
    address: Option<String>,
}

/// The key an address is counted under: itself for IPv4, its /64 for IPv6 (one host
/// usually holds a whole /64).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// [`LOCKOUT_WINDOW`] in milliseconds.
fn window_ms() -> i64 {
    i64::try_from(LOCKOUT_WINDOW.as_millis()).unwrap_or(i64::MAX)
}

impl Failures {
    /// Attempts counted in `store`.
    pub fn new(store: Arc<dyn Store>) -> Failures {
        Failures {
            store,
            pruned: AtomicI64::new(0),
        }
    }

    /// Drops ended windows, at most once a minute per process.
    fn prune(&self, now: i64) {
        let last = self.pruned.load(Ordering::Relaxed);
        if now - last < PRUNE_EVERY_MS
            || self
                .pruned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(e) = self
            .store
            .prune_attempts(now.saturating_sub(window_ms()), MAX_TRACKED)
        {
            tracing::warn!(error = %e, "Cannot forget old sign-in attempts.");
        }
    }

    /// Counts an attempt to sign in as `name` from `address` (if known), or refuses it
    /// when the name or the address has no attempts left. Call it before checking the
    /// password: the count and the check are one step in the store.
    ///
    /// # Errors
    /// The store failed. Inside, [`Locked`] says which limit was reached; nothing is
    /// counted then.
    pub fn reserve(
        &self,
        name: &str,
        address: Option<IpAddr>,
    ) -> Result<Result<Attempt, Locked>, StoreError> {
        let now = now_ms();
        self.prune(now);
        let attempt = Attempt {
            name: format!("name:{name}"),
            address: address.map(|a| format!("address:{}", address_key(a))),
        };
        let mut limits = vec![Limit {
            key: &attempt.name,
            max: MAX_FAILURES,
        }];
        if let Some(a) = &attempt.address {
            limits.push(Limit {
                key: a,
                max: MAX_FAILURES_PER_ADDRESS,
            });
        }
        Ok(
            match self.store.reserve_attempt(&limits, now, window_ms())? {
                None => Ok(attempt),
                Some(0) => Err(Locked::Name),
                Some(_) => Err(Locked::Address),
            },
        )
    }

    /// The attempt's password was right: the name's count starts again, and the address
    /// gets this attempt back (only this one, so that signing in to one's own account
    /// between guesses at others does not reset the address's count).
    ///
    /// # Errors
    /// The store failed.
    pub fn succeeded(&self, attempt: Attempt) -> Result<(), StoreError> {
        self.store.give_back_attempt(&attempt.name, true)?;
        if let Some(a) = &attempt.address {
            self.store.give_back_attempt(a, false)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures() -> Failures {
        Failures::new(Arc::new(
            concord_store::sqlite::SqliteStore::open_in_memory().unwrap(),
        ))
    }

    #[test]
    fn attempts_are_counted_before_the_check_and_given_back_on_success() {
        let f = failures();
        let reserve = |name: &str, address: Option<IpAddr>| f.reserve(name, address).unwrap();
        let home: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let held: Vec<Attempt> = (0..MAX_FAILURES)
            .map(|_| reserve("green", None).unwrap())
            .collect();
        // Five attempts under way, none finished: the sixth is refused already.
        assert_eq!(reserve("green", None).unwrap_err(), Locked::Name);
        drop(held);
        assert_eq!(reserve("green", home).unwrap_err(), Locked::Name);
        // A success clears the name, and gives the address back only its own attempt.
        let mine = reserve("clear", home).unwrap();
        for n in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            let _ = reserve(&format!("n{n}"), home).unwrap();
        }
        f.succeeded(mine).unwrap();
        let last = reserve("clear", home).unwrap();
        assert_eq!(reserve("other", home).unwrap_err(), Locked::Address);
        f.succeeded(last).unwrap();
        assert!(reserve("other", home).is_ok());
        assert!(reserve("other", Some("192.0.2.2".parse().unwrap())).is_ok());
        // The same address in IPv6 form counts as the IPv4 one.
        assert_eq!(
            reserve("another", Some("::ffff:192.0.2.1".parse().unwrap())).unwrap_err(),
            Locked::Address
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let k = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff::9"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_eq!(k("::ffff:192.0.2.1"), k("192.0.2.1"));
    }
}

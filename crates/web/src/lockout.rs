//! The web sign-in's lockout: attempts counted per user name and per client address
//! before the password is checked, so that neither guessing one account's password nor
//! spraying one password over many accounts goes fast, even with concurrent attempts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

/// Sign-in attempts allowed per user name within [`LOCKOUT_WINDOW`]; the next is refused.
pub const MAX_FAILURES: u32 = 5;
/// Sign-in attempts allowed per client address (an IPv6 address counts by its /64)
/// within [`LOCKOUT_WINDOW`], whatever the names tried. Behind a reverse proxy every
/// client shares the proxy's address, hence a limit well above [`MAX_FAILURES`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// How long sign-in attempts are remembered (and a locked name or address stays locked).
pub const LOCKOUT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Names (and addresses) remembered at most; past it the expired ones are dropped, then,
/// if still full, all (a bound on memory, reached only by a spray from many addresses).
const MAX_TRACKED: usize = 100_000;

/// Recent sign-in attempts per user name and per client address (in memory). An attempt
/// is counted *before* its password is checked ([`Failures::reserve`]), under one lock,
/// so that concurrent attempts cannot all pass a check made before any of them failed:
/// at most [`MAX_FAILURES`] passwords per name and [`MAX_FAILURES_PER_ADDRESS`] per
/// address are ever checked within [`LOCKOUT_WINDOW`]. Only a successful sign-in gives
/// its attempt back ([`Failures::succeeded`]).
#[derive(Debug, Default)]
pub struct Failures {
    counts: std::sync::Mutex<Counts>,
}

/// The counters behind [`Failures`]' lock.
#[derive(Debug, Default)]
struct Counts {
    by_name: HashMap<String, Window>,
    by_address: HashMap<IpAddr, Window>,
    pruned: Option<Instant>,
}

/// Attempts counted since `since` (the first of the window).
#[derive(Debug, Clone, Copy)]
struct Window {
    attempts: u32,
    since: Instant,
}

impl Window {
    fn open(&self, now: Instant) -> bool {
        now.duration_since(self.since) < LOCKOUT_WINDOW
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
    address: Option<IpAddr>,
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

/// Counts one attempt under `key` (a new window if the last one ended).
fn count<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Window>, key: K, now: Instant) {
    let w = map.entry(key).or_insert(Window {
        attempts: 0,
        since: now,
    });
    if !w.open(now) {
        *w = Window {
            attempts: 0,
            since: now,
        };
    }
    w.attempts += 1;
}

/// Whether `key` has used up its `max` attempts in an open window.
fn used_up<K, Q>(map: &HashMap<K, Window>, key: &Q, max: u32, now: Instant) -> bool
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
{
    map.get(key)
        .is_some_and(|w| w.open(now) && w.attempts >= max)
}

impl Counts {
    /// Drops ended windows (at most once a minute), and everything if still too many.
    fn prune(&mut self, now: Instant) {
        let full = self.by_name.len() >= MAX_TRACKED || self.by_address.len() >= MAX_TRACKED;
        if !full
            && self
                .pruned
                .is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(60))
        {
            return;
        }
        self.pruned = Some(now);
        self.by_name.retain(|_, w| w.open(now));
        self.by_address.retain(|_, w| w.open(now));
        if self.by_name.len() >= MAX_TRACKED {
            tracing::warn!(
                names = self.by_name.len(),
                "Too many user names with recent sign-in failures; forgetting them."
            );
            self.by_name.clear();
        }
        if self.by_address.len() >= MAX_TRACKED {
            tracing::warn!(
                addresses = self.by_address.len(),
                "Too many addresses with recent sign-in failures; forgetting them."
            );
            self.by_address.clear();
        }
    }
}

impl Failures {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts an attempt to sign in as `name` from `address` (if known), or refuses it
    /// when the name or the address has no attempts left. Call it before checking the
    /// password: the count and the check are one step under the lock.
    ///
    /// # Errors
    /// [`Locked`] says which limit was reached; nothing is counted then.
    pub fn reserve(&self, name: &str, address: Option<IpAddr>) -> Result<Attempt, Locked> {
        let now = Instant::now();
        let address = address.map(address_key);
        let mut c = self.lock();
        c.prune(now);
        if used_up(&c.by_name, name, MAX_FAILURES, now) {
            return Err(Locked::Name);
        }
        if let Some(a) = address
            && used_up(&c.by_address, &a, MAX_FAILURES_PER_ADDRESS, now)
        {
            return Err(Locked::Address);
        }
        count(&mut c.by_name, name.to_owned(), now);
        if let Some(a) = address {
            count(&mut c.by_address, a, now);
        }
        Ok(Attempt {
            name: name.to_owned(),
            address,
        })
    }

    /// The attempt's password was right: the name's count starts again, and the address
    /// gets this attempt back (only this one, so that signing in to one's own account
    /// between guesses at others does not reset the address's count).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut c = self.lock();
        c.by_name.remove(&attempt.name);
        if let Some(a) = attempt.address
            && let Some(w) = c.by_address.get_mut(&a)
        {
            w.attempts = w.attempts.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_counted_before_the_check_and_given_back_on_success() {
        let f = Failures::default();
        let home: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        let held: Vec<Attempt> = (0..MAX_FAILURES)
            .map(|_| f.reserve("green", None).unwrap())
            .collect();
        // Five attempts under way, none finished: the sixth is refused already.
        assert_eq!(f.reserve("green", None).unwrap_err(), Locked::Name);
        drop(held);
        assert_eq!(f.reserve("green", home).unwrap_err(), Locked::Name);
        // A success clears the name, and gives the address back only its own attempt.
        let mine = f.reserve("clear", home).unwrap();
        for n in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            let _ = f.reserve(&format!("n{n}"), home).unwrap();
        }
        f.succeeded(mine);
        let last = f.reserve("clear", home).unwrap();
        assert_eq!(f.reserve("other", home).unwrap_err(), Locked::Address);
        f.succeeded(last);
        assert!(f.reserve("other", home).is_ok());
        assert!(
            f.reserve("other", Some("192.0.2.2".parse().unwrap()))
                .is_ok()
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

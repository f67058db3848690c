//! Short-lived state (issue 25): request nonces, TAXII statuses and sign-in attempts,
//! bounded and expiring, each check-and-count atomic under concurrent callers (on
//! PostgreSQL every thread has a connection of its own, as replicas do).

use std::sync::Arc;

use concord_store::Limits;
use concord_store::ephemeral::{Bounds, Limit};

use super::Open;

/// Runs `f` on `n` threads at once (after a barrier); their answers.
fn at_once<T: Send + 'static>(n: usize, f: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (f, barrier) = (f.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                f(i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

pub fn a_nonce_is_accepted_once_within_its_window(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let now = 1_800_000_000;
    assert!(store.first_use_of_nonce("peer-a", "n1", now, 300).unwrap());
    assert!(
        !store
            .first_use_of_nonce("peer-a", "n1", now + 1, 300)
            .unwrap()
    );
    assert!(
        !store
            .first_use_of_nonce("peer-a", "n1", now + 600, 300)
            .unwrap(),
        "refused for twice the window"
    );
    // Another key's nonce of the same text is another nonce.
    assert!(store.first_use_of_nonce("peer-b", "n1", now, 300).unwrap());
    // Past twice the window it may come again (its date would be refused by then).
    assert!(
        store
            .first_use_of_nonce("peer-a", "n1", now + 601, 300)
            .unwrap()
    );
    assert!(
        !store
            .first_use_of_nonce("peer-a", "n1", now + 602, 300)
            .unwrap()
    );
    // Forgetting drops the old ones only.
    assert!(
        store
            .first_use_of_nonce("peer-a", "n2", now + 10, 300)
            .unwrap()
    );
    assert_eq!(store.forget_nonces(now + 5).unwrap(), 1, "peer-b's n1");
    assert!(
        !store
            .first_use_of_nonce("peer-a", "n2", now + 11, 300)
            .unwrap()
    );
    assert!(
        store
            .first_use_of_nonce("peer-b", "n1", now + 12, 300)
            .unwrap()
    );

    // The same request given to many callers at once: exactly one accepts it.
    let shared = store.clone();
    let accepted = at_once(8, move |_| {
        shared
            .first_use_of_nonce("peer-c", "raced", now, 300)
            .unwrap()
    });
    assert_eq!(accepted.iter().filter(|a| **a).count(), 1, "{accepted:?}");
}

pub fn taxii_statuses_are_kept_bounded_and_expire(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let bounds = Bounds {
        keep: 3,
        ttl_ms: 60_000,
    };
    let t = 1_800_000_000_000;
    assert_eq!(store.taxii_status("s1", 0).unwrap(), None);
    store
        .put_taxii_status("s1", "ops", r#"{"id":"s1"}"#, t, bounds)
        .unwrap();
    assert_eq!(
        store.taxii_status("s1", t - 60_000).unwrap().as_deref(),
        Some(r#"{"id":"s1"}"#)
    );
    // Older than the reader's horizon: gone for it.
    assert_eq!(store.taxii_status("s1", t + 1).unwrap(), None);
    // Past the bound the oldest go first.
    for (i, id) in ["s2", "s3", "s4"].iter().enumerate() {
        let at = t + 1 + i64::try_from(i).unwrap();
        store
            .put_taxii_status(id, "ops", &format!(r#"{{"id":"{id}"}}"#), at, bounds)
            .unwrap();
    }
    assert_eq!(store.taxii_status("s1", 0).unwrap(), None, "dropped");
    for id in ["s2", "s3", "s4"] {
        assert!(store.taxii_status(id, 0).unwrap().is_some(), "{id} kept");
    }
    // Putting drops the expired ones.
    store
        .put_taxii_status("s5", "ops", "{}", t + 60_002, bounds)
        .unwrap();
    assert_eq!(store.taxii_status("s2", 0).unwrap(), None, "expired");
    assert_eq!(store.taxii_status("s5", 0).unwrap().as_deref(), Some("{}"));
    // The same id again replaces it.
    store
        .put_taxii_status("s5", "ops", "[]", t + 60_003, bounds)
        .unwrap();
    assert_eq!(store.taxii_status("s5", 0).unwrap().as_deref(), Some("[]"));
}

pub fn sign_in_attempts_are_counted_before_the_check(o: Open) {
    let Some(store) = o(Limits::default()) else {
        return;
    };
    let window = 900_000;
    let t = 1_800_000_000_000;
    let both = |name: &'static str, address: &'static str| {
        [
            Limit { key: name, max: 2 },
            Limit {
                key: address,
                max: 3,
            },
        ]
    };
    let reserve = |l: &[Limit<'_>], at: i64| store.reserve_attempt(l, at, window).unwrap();
    assert_eq!(reserve(&both("name:a", "addr:1"), t), None);
    assert_eq!(reserve(&both("name:a", "addr:1"), t + 1), None);
    // The name is used up (and is named first); nothing more is counted.
    assert_eq!(reserve(&both("name:a", "addr:1"), t + 2), Some(0));
    // The address has one attempt left: another name takes it, then it is used up.
    assert_eq!(reserve(&both("name:b", "addr:1"), t + 3), None);
    assert_eq!(reserve(&both("name:c", "addr:1"), t + 4), Some(1));
    // Giving back one attempt of the address lets one more through.
    store.give_back_attempt("addr:1", false).unwrap();
    assert_eq!(reserve(&both("name:c", "addr:1"), t + 5), None);
    assert_eq!(reserve(&both("name:d", "addr:1"), t + 6), Some(1));
    // Giving back all of a name's attempts starts it again.
    store.give_back_attempt("name:a", true).unwrap();
    assert_eq!(reserve(&both("name:a", "addr:2"), t + 7), None);
    // Once the window ends, a used-up name starts a new one.
    assert_eq!(reserve(&both("name:a", "addr:2"), t + 8), None);
    assert_eq!(reserve(&both("name:a", "addr:2"), t + 9), Some(0));
    let later = t + 7 + window;
    assert_eq!(reserve(&both("name:a", "addr:3"), later), None);
    assert_eq!(reserve(&both("name:a", "addr:3"), later + 1), None);
    assert_eq!(reserve(&both("name:a", "addr:3"), later + 2), Some(0));

    // Pruning forgets ended windows, and everything past the bound.
    let left = store.prune_attempts(later - 1, 1_000).unwrap();
    assert_eq!(left, 2, "name:a and addr:3 began after");
    assert_eq!(store.prune_attempts(later - 1, 2).unwrap(), 0);
    assert_eq!(reserve(&both("name:a", "addr:3"), later + 3), None);

    // Concurrent attempts on one name: exactly its allowance passes.
    let shared = store.clone();
    let passed = at_once(12, move |i| {
        let address = format!("addr:c{i}");
        let limits = [
            Limit {
                key: "name:raced",
                max: 5,
            },
            Limit {
                key: &address,
                max: 20,
            },
        ];
        shared.reserve_attempt(&limits, t, window).unwrap()
    });
    assert_eq!(
        passed.iter().filter(|p| p.is_none()).count(),
        5,
        "{passed:?}"
    );
    assert!(passed.iter().all(|p| matches!(p, None | Some(0))));
}

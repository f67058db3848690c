//! The signer: signs every version created at this node over its RFC 8785 form with the
//! node key, soon after it is stored, and keeps the signature beside it (as a provenance
//! whose origin is this node). Outbound pages then send stored signatures; a version the
//! signer has not reached yet is signed when it is sent.

use std::sync::Arc;
use std::time::Duration;

use concord_stix::concord_ext::Grading;
use concord_store::federation::Provenance;
use concord_store::{Store, Turn};

use crate::FederationError;
use crate::identity::NodeKey;

/// Versions signed per transaction.
const BATCH: usize = 2_000;

/// Signs the unsigned local versions after `after`; returns the new position and how
/// many were signed (0 when none was left).
pub fn sign_pending(
    store: &dyn Store,
    key: &NodeKey,
    after: i64,
) -> Result<(i64, usize), FederationError> {
    // The head before the look: when nothing after `after` is unsigned, everything up to
    // it is signed (one writer: a version committed later has a higher `seq`), and the
    // next look starts there instead of scanning the whole store again.
    let head = store.head_seq()?;
    let rows = store.unsigned_local(after, BATCH)?;
    let Some(last) = rows.last().map(|r| r.0) else {
        return Ok((head.max(after), 0));
    };
    let origin = key.node_id();
    let origin_key = key.public_hex();
    let signed: Vec<(String, String, Provenance)> = rows
        .into_iter()
        .map(|(_, id, version, json)| {
            let hops = serde_json::from_str(&json)
                .ok()
                .and_then(|v| Grading::of(&v).ok())
                .map_or(concord_stix::concord_ext::DEFAULT_HOPS, |g| g.hops);
            let p = Provenance {
                origin: origin.clone(),
                origin_key: origin_key.clone(),
                signature: key.sign_b64(json.as_bytes()),
                received_from: String::new(),
                hops_left: hops,
                redactor: None,
            };
            (id, version, p)
        })
        .collect();
    let n = signed.len();
    store.put_local_signatures(&signed)?;
    Ok((last, n))
}

/// Signs everything pending now (for benchmarks and tests); returns how many.
pub fn sign_all(store: &dyn Store, key: &NodeKey) -> Result<usize, FederationError> {
    let (mut at, mut total) = (0, 0);
    loop {
        let (next, n) = sign_pending(store, key, at)?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
        at = next;
    }
}

/// Starts the signer on a thread of its own at background priority (a large import
/// leaves many versions to sign; serving requests comes first): it signs new local
/// versions shortly after they are stored, for as long as the process runs.
pub fn spawn(store: Arc<dyn Store>, key: NodeKey) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("concord-signer".into())
        .spawn(move || run(store.as_ref(), &key, &mut || Turn::Run))
}

/// The signer's loop, on the calling thread, at background priority: it signs new local
/// versions shortly after they are stored, as `turn` says (asked before each batch; a
/// replica without the signer's lease waits, a key rotated away stops it). A failing
/// store (a full disk) is tried again after a growing wait, with one log line per
/// attempt, and work resumes at the first success.
pub fn run(store: &dyn Store, key: &NodeKey, turn: &mut dyn FnMut() -> Turn) {
    concord_store::lower_thread_priority();
    let mut at = 0;
    let mut backoff = concord_store::backoff::Backoff::default();
    loop {
        match turn() {
            Turn::Run => {}
            Turn::Wait => {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            Turn::Stop => return,
        }
        match sign_pending(store, key, at) {
            Ok((next, n)) => {
                let failures = backoff.succeeded();
                if failures > 0 {
                    tracing::info!(failures, "Signing new objects works again.");
                }
                at = next;
                if n > 0 {
                    continue;
                }
            }
            Err(e) => {
                let wait = backoff.failed(std::time::Instant::now());
                tracing::error!(error = %e, retry_in_ms = wait.as_millis() as u64, "Signing new objects failed.");
                std::thread::sleep(wait);
                continue;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use concord_store::federation::FederationStore as _;
    use concord_store::sqlite::SqliteStore;

    fn indicator(n: u32) -> serde_json::Value {
        serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": format!("[ipv4-addr:value = '10.0.0.{n}']"),
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
        })
    }

    fn add(store: &SqliteStore, range: std::ops::Range<u32>) {
        concord_store::import::import_values(store, range.map(indicator), 100, &mut |_| {})
            .unwrap();
    }

    /// A signer with nothing left to sign moves its position to the head, so that its
    /// next look does not scan every signed version again (it did, five times a second,
    /// a whole core on an idle node of a million objects); what comes later is signed.
    #[test]
    fn a_signer_with_nothing_to_sign_moves_to_the_head() {
        let store = SqliteStore::open_in_memory().unwrap();
        let key = NodeKey::from_seed([7; 32]);
        add(&store, 0..5);
        assert_eq!(sign_all(&store, &key).unwrap(), 5);
        let head = store.head_seq().unwrap();
        // A restarted signer starts at 0: one look finds nothing and jumps to the head.
        assert_eq!(sign_pending(&store, &key, 0).unwrap(), (head, 0));
        add(&store, 5..8);
        let (at, n) = sign_pending(&store, &key, head).unwrap();
        assert_eq!((at, n), (store.head_seq().unwrap(), 3));
        assert!(store.unsigned_local(0, 10).unwrap().is_empty());
    }
}

//! The signer: signs every version created at this node over its RFC 8785 form with the
//! node key, soon after it is stored, and keeps the signature beside it (as a provenance
//! whose origin is this node). Outbound pages then send stored signatures; a version the
//! signer has not reached yet is signed when it is sent.

use std::sync::Arc;
use std::time::Duration;

use concord_stix::concord_ext::Grading;
use concord_store::Store;
use concord_store::federation::Provenance;

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
    let rows = store.unsigned_local(after, BATCH)?;
    let Some(last) = rows.last().map(|r| r.0) else {
        return Ok((after, 0));
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
        .spawn(move || {
            concord_store::lower_thread_priority();
            let mut at = 0;
            loop {
                match sign_pending(store.as_ref(), &key, at) {
                    Ok((next, n)) => {
                        at = next;
                        if n > 0 {
                            continue;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "Signing new objects failed."),
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
}

//! HTTP Message Signatures (RFC 9421) between nodes, with Ed25519 node keys.
//!
//! Every request between nodes carries `Date`, `Content-Digest` (RFC 9530, SHA-256 of
//! the body) and a signature labelled `sig1` over `("@method" "@authority" "@path"
//! "@query" "date" "content-digest")` with the parameters `created`, `keyid` (the
//! sender's node id), `alg="ed25519"` and a random `nonce`. The receiver rebuilds the
//! signature base from the request it got, so a changed method, path, query, date or body
//! fails; a date or `created` too far from its clock fails; replayed nonces are the
//! caller's to refuse (see [`NonceCache`]).
//!
//! `@authority` is the target's `host[:port]` ([`authority_of`] the URL the sender has for
//! the peer). The receiver does not take it from the request: it uses the authority of its
//! own public URL, so a request signed for one node fails at every other node, whatever
//! `Host` it is sent with.

use std::sync::atomic::{AtomicI64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::VerifyingKey;
use sfv::{BareItem, Dictionary, InnerList, Item, Key, ListEntry, ListSerializer, Parser};
use sha2::{Digest, Sha256};

use concord_store::StoreError;
use concord_store::ephemeral::EphemeralStore;

use crate::identity::{NodeKey, verify_b64};

/// The components every node request signs, in order.
pub const COMPONENTS: &[&str] = &[
    "@method",
    "@authority",
    "@path",
    "@query",
    "date",
    "content-digest",
];

/// The `@authority` of a URL (RFC 9421 section 2.2.3): its host, lower case, and its port
/// unless it is the scheme's default (`https://Node.Example:443/x` gives `node.example`,
/// `http://127.0.0.1:8080` gives `127.0.0.1:8080`).
pub fn authority_of(url: &str) -> Result<String, String> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| format!("URL {url:?} does not parse: {e}"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("URL {url:?} has no host"))?
        .to_ascii_lowercase();
    // `port()` is `None` for the scheme's default port.
    Ok(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The headers to add to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `Date` (IMF-fixdate).
    pub date: String,
    /// `Content-Digest`.
    pub content_digest: String,
    /// `Signature-Input`.
    pub signature_input: String,
    /// `Signature`.
    pub signature: String,
}

/// Why a request's signature is refused (each is a 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A needed header is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// A header does not parse or lacks a needed part.
    #[error("malformed {0}: {1}")]
    Malformed(&'static str, String),
    /// The key id names no known peer.
    #[error("unknown key {0:?}")]
    UnknownKey(String),
    /// The signature does not verify over the request as received.
    #[error("bad signature from {0}")]
    BadSignature(String),
    /// The body does not match `Content-Digest`.
    #[error("content digest does not match the body")]
    Digest,
    /// `Date` or `created` too far from this node's clock.
    #[error("clock skew of {0} s is over the limit of {1} s")]
    Skew(i64, i64),
    /// This nonce was seen before.
    #[error("replayed nonce {0:?}")]
    Replay(String),
    /// The signature does not verify for this node's authority, and the request was
    /// addressed to another (a request signed for another node).
    #[error(
        "request addressed to {addressed:?}, not to this node ({expected:?}); a signature holds for the node it was made for only"
    )]
    Authority {
        /// The authority the request was sent to (its `Host`).
        addressed: String,
        /// This node's authority (of its public URL).
        expected: String,
    },
    /// This node has no authority to check signatures against.
    #[error("this node has no public URL, so no request's target can be checked")]
    NoAuthority,
}

/// `sha-256=:<base64>:` for a body.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", B64.encode(Sha256::digest(body)))
}

fn http_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn sf_string(s: &str) -> BareItem {
    BareItem::String(sfv::String::from_string(s.to_owned()).unwrap_or_default())
}

fn key(s: &str) -> Key {
    Key::from_string(s.to_owned()).unwrap_or_else(|_| Key::from_string("x".into()).expect("key"))
}

fn serialize_inner(list: &InnerList) -> String {
    let mut ser = ListSerializer::new();
    ser.members([&ListEntry::InnerList(list.clone())]);
    ser.finish().unwrap_or_default()
}

fn signature_base(params_value: &str, values: &[(&str, String)]) -> String {
    let mut base = String::new();
    for (name, value) in values {
        base.push_str(&format!("\"{name}\": {value}\n"));
    }
    base.push_str(&format!("\"@signature-params\": {params_value}"));
    base
}

fn component_values(
    method: &str,
    authority: &str,
    path: &str,
    query: Option<&str>,
    date: &str,
    digest: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("@method", method.to_ascii_uppercase()),
        ("@authority", authority.trim().to_ascii_lowercase()),
        (
            "@path",
            if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            },
        ),
        ("@query", format!("?{}", query.unwrap_or(""))),
        ("date", date.trim().to_owned()),
        ("content-digest", digest.trim().to_owned()),
    ]
}

/// Signs a request made now (`now` in Unix seconds) to the node at `authority` (see
/// [`authority_of`]).
pub fn sign(
    node: &NodeKey,
    method: &str,
    authority: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
    now: i64,
) -> SignatureHeaders {
    let date = http_date(now);
    let digest = content_digest(body);
    let mut nonce = [0u8; 16];
    // Without OS randomness a time-based nonce still differs between requests.
    if getrandom::fill(&mut nonce).is_err() {
        nonce[..8].copy_from_slice(&now.to_le_bytes());
    }
    let mut params = sfv::Parameters::new();
    params.insert(key("created"), BareItem::Integer(sfv::Integer::constant(0)));
    if let Ok(created) = sfv::Integer::try_from(now) {
        params.insert(key("created"), BareItem::Integer(created));
    }
    params.insert(key("keyid"), sf_string(&node.node_id()));
    params.insert(key("alg"), sf_string("ed25519"));
    params.insert(key("nonce"), sf_string(&hex::encode(nonce)));
    let list = InnerList {
        items: COMPONENTS
            .iter()
            .map(|c| Item {
                bare_item: sf_string(c),
                params: sfv::Parameters::new(),
            })
            .collect(),
        params,
    };
    let params_value = serialize_inner(&list);
    let base = signature_base(
        &params_value,
        &component_values(method, authority, path, query, &date, &digest),
    );
    SignatureHeaders {
        date,
        content_digest: digest,
        signature_input: format!("sig1={params_value}"),
        signature: format!("sig1=:{}:", node.sign_b64(base.as_bytes())),
    }
}

/// What a verified signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signer's node id.
    pub keyid: String,
    /// The request's nonce.
    pub nonce: String,
    /// `created`, Unix seconds.
    pub created: i64,
}

/// A request as received, for [`verify`].
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// Method.
    pub method: &'a str,
    /// This node's own authority (of its public URL, see [`authority_of`]): the target
    /// the signature must cover. Never taken from the request.
    pub authority: &'a str,
    /// The `Host` (or HTTP/2 `:authority`) the request came with; only to say where a
    /// request signed for another node was addressed.
    pub host: Option<&'a str>,
    /// Path.
    pub path: &'a str,
    /// Query string without `?`.
    pub query: Option<&'a str>,
    /// `Date`.
    pub date: Option<&'a str>,
    /// `Content-Digest`.
    pub content_digest: Option<&'a str>,
    /// `Signature-Input`.
    pub signature_input: Option<&'a str>,
    /// `Signature`.
    pub signature: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

fn param_str(params: &sfv::Parameters, name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, _)| k.as_str() == name)
        .and_then(|(_, v)| v.as_string())
        .map(|s| s.as_str().to_owned())
}

/// Verifies a request's signature: `key_of` gives the public key of a known key id (a
/// registered peer), `now` is this node's clock (Unix seconds), `max_skew` the allowed
/// difference in seconds.
pub fn verify(
    req: &Received<'_>,
    key_of: impl Fn(&str) -> Option<VerifyingKey>,
    now: i64,
    max_skew: i64,
) -> Result<Verified, SignatureError> {
    let input = req
        .signature_input
        .ok_or(SignatureError::Missing("Signature-Input"))?;
    let sig = req.signature.ok_or(SignatureError::Missing("Signature"))?;
    let date = req.date.ok_or(SignatureError::Missing("Date"))?;
    let digest = req
        .content_digest
        .ok_or(SignatureError::Missing("Content-Digest"))?;

    let inputs: Dictionary = Parser::new(input)
        .parse()
        .map_err(|e| SignatureError::Malformed("Signature-Input", e.to_string()))?;
    let sigs: Dictionary = Parser::new(sig)
        .parse()
        .map_err(|e| SignatureError::Malformed("Signature", e.to_string()))?;
    let Some(ListEntry::InnerList(list)) = inputs.get("sig1") else {
        return Err(SignatureError::Malformed(
            "Signature-Input",
            "no inner list labelled sig1".into(),
        ));
    };
    let Some(ListEntry::Item(sig_item)) = sigs.get("sig1") else {
        return Err(SignatureError::Malformed(
            "Signature",
            "no item labelled sig1".into(),
        ));
    };
    let sig_bytes = sig_item
        .bare_item
        .as_byte_sequence()
        .ok_or_else(|| SignatureError::Malformed("Signature", "not a byte sequence".into()))?;
    let covered: Vec<String> = list
        .items
        .iter()
        .map(|i| i.bare_item.as_string().map(|s| s.as_str().to_owned()))
        .collect::<Option<_>>()
        .ok_or_else(|| {
            SignatureError::Malformed("Signature-Input", "components must be strings".into())
        })?;
    if covered != COMPONENTS {
        return Err(SignatureError::Malformed(
            "Signature-Input",
            format!("must cover {COMPONENTS:?}, covers {covered:?}"),
        ));
    }
    let keyid = param_str(&list.params, "keyid")
        .ok_or_else(|| SignatureError::Malformed("Signature-Input", "no keyid".into()))?;
    let nonce = param_str(&list.params, "nonce")
        .ok_or_else(|| SignatureError::Malformed("Signature-Input", "no nonce".into()))?;
    if param_str(&list.params, "alg").as_deref() != Some("ed25519") {
        return Err(SignatureError::Malformed(
            "Signature-Input",
            "alg must be \"ed25519\"".into(),
        ));
    }
    let created: i64 = list
        .params
        .iter()
        .find(|(k, _)| k.as_str() == "created")
        .and_then(|(_, v)| v.as_integer())
        .map(i64::from)
        .ok_or_else(|| SignatureError::Malformed("Signature-Input", "no created".into()))?;

    let public = key_of(&keyid).ok_or_else(|| SignatureError::UnknownKey(keyid.clone()))?;
    if req.authority.trim().is_empty() {
        return Err(SignatureError::NoAuthority);
    }
    let base = signature_base(
        &serialize_inner(list),
        &component_values(req.method, req.authority, req.path, req.query, date, digest),
    );
    verify_b64(&public, base.as_bytes(), &B64.encode(sig_bytes)).map_err(|_| {
        match req.host.map(|h| h.trim().to_ascii_lowercase()) {
            Some(host) if host != req.authority.trim().to_ascii_lowercase() => {
                SignatureError::Authority {
                    addressed: host,
                    expected: req.authority.trim().to_owned(),
                }
            }
            _ => SignatureError::BadSignature(keyid.clone()),
        }
    })?;

    // Only a signed date and digest count from here on.
    let date_secs = chrono::DateTime::parse_from_rfc2822(date.trim())
        .map_err(|e| SignatureError::Malformed("Date", e.to_string()))?
        .timestamp();
    for t in [date_secs, created] {
        let skew = (t - now).abs();
        if skew > max_skew {
            return Err(SignatureError::Skew(skew, max_skew));
        }
    }
    if content_digest(req.body) != digest.trim() {
        return Err(SignatureError::Digest);
    }
    Ok(Verified {
        keyid,
        nonce,
        created,
    })
}

/// Nonces seen within twice the skew window; a second use is a replay. They are kept in
/// the node's store (`concord_store::ephemeral`), not in this process, so that a request
/// replayed to another replica of the node is refused too: the check and the record are
/// one statement there. Nonces older than twice the window are forgotten, at most once a
/// minute per process (their requests' dates are refused by then anyway).
#[derive(Debug, Default)]
pub struct NonceCache {
    /// When this process last forgot old nonces (seconds since the epoch).
    pruned: AtomicI64,
}

/// How often a process forgets old nonces, in seconds.
const NONCE_PRUNE_SECS: i64 = 60;

impl NonceCache {
    /// Records `nonce` of `keyid` at `now` in `store`; `false` if it was seen within
    /// twice `window` seconds (by any process sharing the store).
    ///
    /// # Errors
    /// The store failed: the request cannot be known not to be a replay.
    pub fn check(
        &self,
        store: &dyn EphemeralStore,
        keyid: &str,
        nonce: &str,
        now: i64,
        window: i64,
    ) -> Result<bool, StoreError> {
        let first = store.first_use_of_nonce(keyid, nonce, now, window)?;
        let last = self.pruned.load(Ordering::Relaxed);
        if now - last >= NONCE_PRUNE_SECS
            && self
                .pruned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            && let Err(e) = store.forget_nonces(now.saturating_sub(window.saturating_mul(2)))
        {
            tracing::warn!(error = %e, "Cannot forget old federation request nonces.");
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received<'a>(h: &'a SignatureHeaders, body: &'a [u8]) -> Received<'a> {
        Received {
            method: "GET",
            authority: "a.example:8443",
            host: Some("a.example:8443"),
            path: "/federation/v1/changes",
            query: Some("after=0&limit=10"),
            date: Some(&h.date),
            content_digest: Some(&h.content_digest),
            signature_input: Some(&h.signature_input),
            signature: Some(&h.signature),
            body,
        }
    }

    #[test]
    fn signed_requests_verify_and_changes_fail() {
        let k = NodeKey::from_seed([3; 32]);
        let pk = crate::identity::parse_public(&k.public_hex()).unwrap();
        let id = k.node_id();
        let lookup = |kid: &str| (kid == id).then_some(pk);
        let now = 1_800_000_000;
        let h = sign(
            &k,
            "get",
            "A.example:8443",
            "/federation/v1/changes",
            Some("after=0&limit=10"),
            b"",
            now,
        );
        assert!(
            h.signature_input
                .starts_with("sig1=(\"@method\" \"@authority\" \"@path\"")
        );
        let v = verify(&received(&h, b""), lookup, now + 5, 300).unwrap();
        assert_eq!(v.keyid, id);

        let mut r = received(&h, b"");
        r.query = Some("after=5&limit=10");
        assert!(matches!(
            verify(&r, lookup, now, 300),
            Err(SignatureError::BadSignature(_))
        ));
        assert!(matches!(
            verify(&received(&h, b"x"), lookup, now, 300),
            Err(SignatureError::Digest)
        ));
        assert!(matches!(
            verify(&received(&h, b""), lookup, now + 1000, 300),
            Err(SignatureError::Skew(..))
        ));
        assert!(matches!(
            verify(&received(&h, b""), |_| None, now, 300),
            Err(SignatureError::UnknownKey(_))
        ));
        let mut r = received(&h, b"");
        r.signature_input = Some("sig1=(garbage");
        assert!(matches!(
            verify(&r, lookup, now, 300),
            Err(SignatureError::Malformed(..))
        ));

        // Sent to another node: refused there, naming where it was addressed.
        let mut r = received(&h, b"");
        r.authority = "b.example:8443";
        assert_eq!(
            verify(&r, lookup, now, 300),
            Err(SignatureError::Authority {
                addressed: "a.example:8443".into(),
                expected: "b.example:8443".into()
            })
        );
        // Even with the other node's name as `Host`: the signature does not cover it.
        r.host = Some("b.example:8443");
        assert!(matches!(
            verify(&r, lookup, now, 300),
            Err(SignatureError::BadSignature(_))
        ));
        r.authority = "";
        assert_eq!(
            verify(&r, lookup, now, 300),
            Err(SignatureError::NoAuthority)
        );

        let cache = NonceCache::default();
        let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
        assert!(cache.check(&store, &id, &v.nonce, now, 300).unwrap());
        assert!(!cache.check(&store, &id, &v.nonce, now + 1, 300).unwrap());
        // Another process on the same store refuses it too.
        let other = NonceCache::default();
        assert!(!other.check(&store, &id, &v.nonce, now + 2, 300).unwrap());
    }

    #[test]
    fn authorities_are_host_and_port_without_the_default() {
        assert_eq!(
            authority_of("https://Node.Example:443/x").unwrap(),
            "node.example"
        );
        assert_eq!(
            authority_of("http://node.example:80").unwrap(),
            "node.example"
        );
        assert_eq!(
            authority_of("https://node.example:8443/").unwrap(),
            "node.example:8443"
        );
        assert_eq!(
            authority_of("http://127.0.0.1:9000").unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(authority_of("http://[::1]:9000").unwrap(), "[::1]:9000");
        assert!(authority_of("not a url").is_err());
        assert!(authority_of("").is_err());
    }
}

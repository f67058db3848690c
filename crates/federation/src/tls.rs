//! Transport security between nodes: the statement by which a node's Ed25519 key vouches
//! for its TLS certificate, the client-side verifier that pins a peer's certificate
//! through that statement (public-CA certificates still pass the platform's roots), and the
//! rule that no data goes over plain `http://` except to loopback or to an entry marked
//! insecure.
//!
//! A statement is `{"spki_sha256", "not_after", "signed_at", "signature"}`: the SHA-256 of
//! the certificate's SubjectPublicKeyInfo (hex), the certificate's expiry and the signing
//! time (RFC 3339, UTC), signed by the node key over [`CertStatement::message`]. A node
//! signs one whenever it loads a certificate and publishes it on `/federation/v1/node`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use ed25519_dalek::VerifyingKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::identity::{NodeKey, verify_b64};

/// A node key's statement vouching for a TLS certificate's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertStatement {
    /// SHA-256 of the certificate's SubjectPublicKeyInfo, lower-case hex.
    pub spki_sha256: String,
    /// The certificate's `notAfter` (RFC 3339, UTC, seconds).
    pub not_after: String,
    /// When the node signed this statement (RFC 3339, UTC, seconds).
    pub signed_at: String,
    /// The node key's Ed25519 signature over [`CertStatement::message`] (base64).
    pub signature: String,
}

/// The statement currently published, shared between the TLS listener (which signs a new
/// one whenever it loads a certificate) and the `/federation/v1/node` handler.
pub type StatementCell = Arc<RwLock<Option<CertStatement>>>;

impl CertStatement {
    /// The signed bytes: a domain-separating line, then the three fields, one per line.
    pub fn message(spki_sha256: &str, not_after: &str, signed_at: &str) -> Vec<u8> {
        format!("concord tls certificate statement v1\n{spki_sha256}\n{not_after}\n{signed_at}\n")
            .into_bytes()
    }

    /// `key`'s statement for a DER certificate, signed at `now`.
    pub fn sign(
        key: &NodeKey,
        cert: &[u8],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<CertStatement, String> {
        let parsed = parse_certificate(cert)?;
        let signed_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let not_after = parsed
            .not_after
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let spki = hex::encode(Sha256::digest(parsed.spki));
        let signature = key.sign_b64(&Self::message(&spki, &not_after, &signed_at));
        Ok(CertStatement {
            spki_sha256: spki,
            not_after,
            signed_at,
            signature,
        })
    }

    /// Checks the signature by `key` and that the certificate has not expired at `now`;
    /// returns the pinned SPKI hash and its expiry.
    pub fn verify(
        &self,
        key: &VerifyingKey,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Pin, String> {
        verify_b64(
            key,
            &Self::message(&self.spki_sha256, &self.not_after, &self.signed_at),
            &self.signature,
        )
        .map_err(|e| format!("certificate statement: {e}"))?;
        let not_after = chrono::DateTime::parse_from_rfc3339(&self.not_after)
            .map_err(|e| format!("certificate statement: bad not_after: {e}"))?
            .with_timezone(&chrono::Utc);
        if not_after <= now {
            return Err(format!(
                "certificate statement: the certificate expired at {}",
                self.not_after
            ));
        }
        let spki: [u8; 32] = hex::decode(&self.spki_sha256)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("certificate statement: spki_sha256 is not 32 bytes of hex")?;
        Ok(Pin { spki, not_after })
    }
}

/// A certificate public key a peer's node key vouches for, until the certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    /// SHA-256 of the SubjectPublicKeyInfo.
    pub spki: [u8; 32],
    /// The certificate's expiry.
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// What a DER certificate says that pinning needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCertificate<'a> {
    /// The SubjectPublicKeyInfo, whole (tag and length included).
    pub spki: &'a [u8],
    /// `notAfter`.
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// One DER element: (tag, content, whole element, what follows it).
type Element<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// The first DER element of `input`.
fn der(input: &[u8]) -> Option<Element<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some((tag, &rest[..len], &input[..header + len], &rest[len..]))
}

fn der_time(tag: u8, text: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = std::str::from_utf8(text).ok()?;
    let full = match tag {
        // UTCTime: YYMMDDHHMMSSZ, years 1950-2049 (RFC 5280 4.1.2.5.1).
        0x17 if text.len() == 13 => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            format!("{}{text}", if yy >= 50 { "19" } else { "20" })
        }
        0x18 if text.len() == 15 => text.to_owned(),
        _ => return None,
    };
    let naive =
        chrono::NaiveDateTime::parse_from_str(full.strip_suffix('Z')?, "%Y%m%d%H%M%S").ok()?;
    Some(naive.and_utc())
}

/// The next element of a sequence's content, which moves past it.
fn take<'a>(seq: &mut &'a [u8], what: &str) -> Result<(u8, &'a [u8], &'a [u8]), String> {
    let (tag, content, whole, rest) =
        der(seq).ok_or_else(|| format!("not an X.509 certificate: no {what}"))?;
    *seq = rest;
    Ok((tag, content, whole))
}

/// Reads a DER X.509 certificate's SubjectPublicKeyInfo and `notAfter`.
pub fn parse_certificate(cert: &[u8]) -> Result<ParsedCertificate<'_>, String> {
    let bad = |what: &str| format!("not an X.509 certificate: {what}");
    let (0x30, body, ..) = der(cert).ok_or_else(|| bad("no outer SEQUENCE"))? else {
        return Err(bad("no outer SEQUENCE"));
    };
    let (0x30, mut tbs, ..) = der(body).ok_or_else(|| bad("no tbsCertificate"))? else {
        return Err(bad("no tbsCertificate"));
    };
    let (mut tag, ..) = take(&mut tbs, "serial number")?;
    if tag == 0xa0 {
        // [0] EXPLICIT version
        (tag, ..) = take(&mut tbs, "serial number")?;
    }
    if tag != 0x02 {
        return Err(bad("no serial number"));
    }
    take(&mut tbs, "signature algorithm")?;
    take(&mut tbs, "issuer")?;
    let (0x30, validity, _) = take(&mut tbs, "validity")? else {
        return Err(bad("no validity"));
    };
    let (_, _, _, rest) = der(validity).ok_or_else(|| bad("no notBefore"))?;
    let (tag, text, ..) = der(rest).ok_or_else(|| bad("no notAfter"))?;
    let not_after = der_time(tag, text).ok_or_else(|| bad("unreadable notAfter"))?;
    take(&mut tbs, "subject")?;
    let (0x30, _, spki) = take(&mut tbs, "subjectPublicKeyInfo")? else {
        return Err(bad("no subjectPublicKeyInfo"));
    };
    Ok(ParsedCertificate { spki, not_after })
}

/// SHA-256 of a DER certificate's SubjectPublicKeyInfo.
pub fn spki_sha256(cert: &[u8]) -> Result<[u8; 32], String> {
    Ok(Sha256::digest(parse_certificate(cert)?.spki).into())
}

/// How a request reached this node, as the listener saw it (a request extension set by
/// `concord-server`'s listener; absent when a router is driven in process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// Whether the connection is TLS.
    pub encrypted: bool,
    /// The remote address.
    pub remote: SocketAddr,
}

impl Transport {
    /// Whether what goes over this connection is readable on the path: plain HTTP from an
    /// address other than loopback.
    pub fn exposed(&self) -> bool {
        !self.encrypted && !self.remote.ip().is_loopback()
    }
}

/// Whether a URL's host is this machine: `localhost` or a loopback address (parsed as
/// the HTTP client parses it).
pub fn is_loopback_url(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// The one rule for outbound URLs: `https://` always; `http://` only to a loopback host,
/// or when the entry was marked insecure explicitly (`insecure`). The error names the URL
/// and how to allow it. Sends no traffic.
pub fn check_url(url: &str, insecure: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("{url:?}: {e}"))?;
    let Some(host) = parsed.host_str() else {
        return Err(format!("{url:?} has no host"));
    };
    match parsed.scheme() {
        "https" => return Ok(()),
        "http" if insecure || is_loopback_url(&parsed) => return Ok(()),
        "http" => {}
        other => {
            return Err(format!(
                "{url:?}: scheme {other:?}, expected https:// (or http://)"
            ));
        }
    }
    Err(format!(
        "{url:?} is plain http:// to {host}, which is not loopback: anyone on the path could \
         read what goes over it; use https://, or mark this entry insecure explicitly \
         (--insecure-http / insecure_http = true)"
    ))
}

/// The crypto provider used for every connection (ring, as the rest of Concord).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn verify12(
    provider: &CryptoProvider,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls12_signature(
        message,
        cert,
        dss,
        &provider.signature_verification_algorithms,
    )
}

fn verify13(
    provider: &CryptoProvider,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls13_signature(
        message,
        cert,
        dss,
        &provider.signature_verification_algorithms,
    )
}

/// What this node trusts of one peer's TLS certificates: the public key it is registered
/// with, the certificate keys that key vouched for (refreshed from its node document),
/// and the platform's public roots.
pub struct PeerTrust {
    key: VerifyingKey,
    pins: RwLock<Vec<Pin>>,
    /// When the node document was last fetched (or tried), and why that failed if it did.
    refreshed: Mutex<Option<std::time::Instant>>,
    refresh_error: Mutex<Option<String>>,
    public: Option<Arc<dyn ServerCertVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl std::fmt::Debug for PeerTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerTrust")
            .field("pins", &self.pins.read().map(|p| p.len()).unwrap_or(0))
            .finish_non_exhaustive()
    }
}

impl PeerTrust {
    /// Trust for a peer registered with `key`.
    pub fn new(key: VerifyingKey) -> Arc<PeerTrust> {
        let provider = provider();
        let public = match rustls_platform_verifier::Verifier::new(provider.clone()) {
            Ok(v) => Some(Arc::new(v) as Arc<dyn ServerCertVerifier>),
            Err(e) => {
                tracing::warn!(error = %e, "No platform certificate roots; only certificates vouched for by node keys are trusted.");
                None
            }
        };
        Arc::new(PeerTrust {
            key,
            pins: RwLock::new(Vec::new()),
            refreshed: Mutex::new(None),
            refresh_error: Mutex::new(None),
            public,
            provider,
        })
    }

    /// Whether a statement was fetched and pinned.
    pub fn has_pins(&self) -> bool {
        self.pins.read().is_ok_and(|p| !p.is_empty())
    }

    /// Whether the node document was not fetched (or tried) within `gap`: a peer without
    /// a statement (a public-CA certificate) is not asked again on every request.
    pub fn refresh_due(&self, gap: Duration) -> bool {
        self.refreshed
            .lock()
            .map(|t| t.is_none_or(|t| t.elapsed() >= gap))
            .unwrap_or(true)
    }

    fn pinned(&self, cert: &CertificateDer<'_>, now: UnixTime) -> bool {
        let Ok(spki) = spki_sha256(cert) else {
            return false;
        };
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        self.pins.read().is_ok_and(|pins| {
            pins.iter()
                .any(|p| p.spki == spki && p.not_after.timestamp() > now)
        })
    }

    /// A TLS client configuration that accepts a certificate this peer's key vouched for
    /// or one valid under the public roots.
    pub fn client_config(self: &Arc<Self>) -> Result<rustls::ClientConfig, String> {
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier(self.clone())))
            .with_no_client_auth();
        Ok(config)
    }

    /// An HTTP client that trusts what [`PeerTrust::client_config`] trusts.
    pub fn http_client(
        self: &Arc<Self>,
        connect_timeout: Duration,
    ) -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .use_preconfigured_tls(self.client_config()?)
            .connect_timeout(connect_timeout)
            .user_agent(concat!("concord-federation/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())
    }

    /// Fetches the peer's node document from `base_url` over a connection that accepts
    /// any certificate for this one request, checks the statement in it by the peer's
    /// registered key and that the certificate the connection presented is the one it
    /// vouches for, then pins that certificate. The error says which check failed.
    pub async fn refresh(&self, base_url: &str, timeout: Duration) -> Result<(), String> {
        if let Ok(mut t) = self.refreshed.lock() {
            *t = Some(std::time::Instant::now());
        }
        let result = self.fetch_statement(base_url, timeout).await;
        if let Ok(mut e) = self.refresh_error.lock() {
            *e = result.as_ref().err().cloned();
        }
        result
    }

    /// Why the last fetch of the node document failed, if it did.
    pub fn refresh_error(&self) -> Option<String> {
        self.refresh_error.lock().ok()?.clone()
    }

    async fn fetch_statement(&self, base_url: &str, timeout: Duration) -> Result<(), String> {
        let seen = Arc::new(Mutex::new(None));
        let recorder = Recorder {
            seen: seen.clone(),
            provider: self.provider.clone(),
        };
        let config = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(recorder))
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let url = format!("{}/federation/v1/node", base_url.trim_end_matches('/'));
        let doc: serde_json::Value = client
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("cannot fetch {url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{url}: not a node document: {e}"))?;
        let statement: CertStatement = serde_json::from_value(doc["tls"].clone())
            .map_err(|_| format!("{url} publishes no certificate statement (`tls`)"))?;
        let pin = statement.verify(&self.key, chrono::Utc::now())?;
        let presented = seen.lock().ok().and_then(|s| *s);
        if presented != Some(pin.spki) {
            return Err(format!(
                "{url} presented a certificate its node key does not vouch for"
            ));
        }
        if let Ok(mut pins) = self.pins.write() {
            *pins = vec![pin];
        }
        Ok(())
    }
}

#[derive(Debug)]
struct PinVerifier(Arc<PeerTrust>);

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.0.pinned(end_entity, now) {
            return Ok(ServerCertVerified::assertion());
        }
        match &self.0.public {
            Some(public) => public
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map_err(|e| {
                    rustls::Error::General(format!(
                        "certificate neither vouched for by the peer's node key nor valid under the public roots ({e})"
                    ))
                }),
            None => Err(rustls::Error::General(
                "certificate not vouched for by the peer's node key".into(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify12(&self.0.provider, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify13(&self.0.provider, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Accepts any certificate (still checking that the server holds its private key) and
/// records its SPKI hash: for the one bootstrap request whose answer is then checked by
/// the node key.
#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Option<[u8; 32]>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let spki = spki_sha256(end_entity).map_err(rustls::Error::General)?;
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(spki);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify12(&self.provider, message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify13(&self.provider, message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rule() {
        assert!(check_url("https://peer.example.org", false).is_ok());
        assert!(check_url("http://127.0.0.1:7470", false).is_ok());
        assert!(check_url("http://[::1]:7470/x", false).is_ok());
        assert!(check_url("http://localhost", false).is_ok());
        let e = check_url("http://peer.example.org", false).unwrap_err();
        assert!(e.contains("not loopback"), "{e}");
        assert!(check_url("http://192.0.2.1:80", false).is_err());
        assert!(check_url("http://127.0.0.1.example.org", false).is_err());
        assert!(check_url("http://user@127.0.0.1@evil.example", false).is_err());
        assert!(check_url("http://192.0.2.1:80", true).is_ok());
        assert!(check_url("ftp://x", true).is_err());
        // Judged as the HTTP client parses it (WHATWG): the backslash ends the host.
        assert!(check_url("http://127.0.0.1\\@evil.example/", false).is_ok());
        assert!(check_url("http://[::ffff:127.0.0.1]/", false).is_ok());
    }

    fn cert(days: i64) -> (Vec<u8>, Vec<u8>) {
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let end = chrono::Utc::now() + chrono::Duration::days(days);
        params.not_after = rcgen::date_time_ymd(
            chrono::Datelike::year(&end),
            u8::try_from(chrono::Datelike::month(&end)).unwrap(),
            u8::try_from(chrono::Datelike::day(&end)).unwrap(),
        );
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        (cert.der().to_vec(), spki)
    }

    #[test]
    fn certificates_are_read_and_statements_verify_only_as_signed() {
        let (der, spki) = cert(30);
        let parsed = parse_certificate(&der).unwrap();
        assert_eq!(parsed.spki, &spki[..]);
        let days = (parsed.not_after - chrono::Utc::now()).num_days();
        assert!((28..=30).contains(&days), "{days}");

        let node = NodeKey::from_seed([3u8; 32]);
        let pk = crate::identity::parse_public(&node.public_hex()).unwrap();
        let now = chrono::Utc::now();
        let st = CertStatement::sign(&node, &der, now).unwrap();
        let pin = st.verify(&pk, now).unwrap();
        assert_eq!(pin.spki, spki_sha256(&der).unwrap());
        // Another node's key, a changed hash, or an expired certificate: refused.
        let other =
            crate::identity::parse_public(&NodeKey::from_seed([4u8; 32]).public_hex()).unwrap();
        assert!(st.verify(&other, now).is_err());
        let mut forged = st.clone();
        forged.spki_sha256 = hex::encode(spki_sha256(&cert(30).0).unwrap());
        assert!(forged.verify(&pk, now).is_err());
        assert!(st.verify(&pk, now + chrono::Duration::days(60)).is_err());
        // Truncated certificates are errors, never panics.
        for cut in 0..der.len() {
            let _ = parse_certificate(&der[..cut]);
        }
    }

    #[test]
    fn only_tlp_clear_goes_in_clear() {
        use crate::outbound::{clear_only, decide_with};
        let key = NodeKey::from_seed([5u8; 32]);
        let policy = concord_policy::Policy::builtin_default();
        let peer = concord_store::federation::PeerRecord {
            node_id: NodeKey::from_seed([6u8; 32]).node_id(),
            name: "p".into(),
            ..Default::default()
        };
        let clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
        let green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
        let object = |markings: &[&str], granular: Option<&str>| {
            let mut v = serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--00000000-0000-4000-8000-000000000001",
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": markings
            });
            if let Some(g) = granular {
                v["granular_markings"] =
                    serde_json::json!([{"marking_ref": g, "selectors": ["pattern"]}]);
            }
            v
        };
        let withheld = |v: &serde_json::Value| {
            let d = clear_only(decide_with(&key, &policy, v, None, &peer), v);
            matches!(d.verdict, concord_policy::Verdict::Withhold)
        };
        let sent_normally = !matches!(
            decide_with(&key, &policy, &object(&[clear], None), None, &peer).verdict,
            concord_policy::Verdict::Withhold
        );
        assert_eq!(withheld(&object(&[clear], None)), !sent_normally);
        assert!(withheld(&object(&[green], None)));
        assert!(withheld(&object(&[clear], Some(green))));
        assert!(withheld(&object(&[], None)));
        let original = decide_with(&key, &policy, &object(&[green], None), None, &peer);
        let was_sent = !matches!(original.verdict, concord_policy::Verdict::Withhold);
        let d = clear_only(original, &object(&[green], None));
        assert!(d.object.is_none());
        assert_eq!(
            d.reasons.iter().any(|r| r.rule == "transport.cleartext"),
            was_sent
        );

        let remote = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 1);
        let t = |encrypted, ip| Transport {
            encrypted,
            remote: remote(ip),
        };
        assert!(t(false, "192.0.2.1").exposed());
        assert!(!t(true, "192.0.2.1").exposed());
        assert!(!t(false, "127.0.0.1").exposed());
        assert!(!t(false, "::1").exposed());
    }

    #[test]
    fn der_times() {
        let t = der_time(0x17, b"491231235959Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2049-12-31T23:59:59+00:00");
        let t = der_time(0x17, b"500101000000Z").unwrap();
        assert_eq!(t.to_rfc3339(), "1950-01-01T00:00:00+00:00");
        let t = der_time(0x18, b"20991231235959Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2099-12-31T23:59:59+00:00");
        assert!(der_time(0x17, b"49123123595Z").is_none());
        assert!(parse_certificate(b"\x30\x03\x02\x01\x00").is_err());
        assert!(parse_certificate(b"").is_err());
    }
}

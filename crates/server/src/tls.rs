//! HTTPS for the node's listener: the certificate and key (PEM files) are loaded with
//! rustls and reloaded when either file changes, checked at each new handshake (a file
//! that no longer loads keeps the previous certificate, with an error logged once per
//! change). Each certificate loaded is vouched for by the node key: a fresh
//! [`CertStatement`] is published for `/federation/v1/node`, which lets peers pin it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use concord_federation::identity::NodeKey;
use concord_federation::tls::{CertStatement, StatementCell};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The value of `Strict-Transport-Security` on every answer served over TLS (one year).
pub const HSTS: &str = "max-age=31536000";

/// (modification time, length) of the certificate and key files, as last examined.
type Stamp = [Option<(SystemTime, u64)>; 2];

struct Loaded {
    /// The files' stamp when last tried (loaded or not), so a broken file is reported once.
    tried: Stamp,
    key: Arc<CertifiedKey>,
}

/// The certificate being served, reloaded from its files when they change.
pub struct ReloadingCert {
    cert_file: PathBuf,
    key_file: PathBuf,
    node_key: Option<NodeKey>,
    statement: StatementCell,
    provider: Arc<CryptoProvider>,
    loaded: Mutex<Loaded>,
}

impl std::fmt::Debug for ReloadingCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCert")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .finish_non_exhaustive()
    }
}

fn stamp(cert: &Path, key: &Path) -> Stamp {
    [cert, key].map(|p| {
        let m = std::fs::metadata(p).ok()?;
        Some((m.modified().ok()?, m.len()))
    })
}

/// Reads a PEM certificate chain and private key and checks that they belong together.
pub fn load_pem(
    cert_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, String> {
    let cert_pem = std::fs::read(cert_file)
        .map_err(|e| format!("cannot read TLS certificate {}: {e}", cert_file.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("TLS certificate {}: {e}", cert_file.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "TLS certificate {} holds no CERTIFICATE block",
            cert_file.display()
        ));
    }
    let key_pem = std::fs::read(key_file)
        .map_err(|e| format!("cannot read TLS key {}: {e}", key_file.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("TLS key {}: {e}", key_file.display()))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        format!(
            "TLS certificate {} and key {} do not load together: {e}",
            cert_file.display(),
            key_file.display()
        )
    })
}

impl ReloadingCert {
    /// Loads the certificate and key (an error names the file and what is wrong) and,
    /// when a node key is given, publishes its statement for the certificate in `statement`.
    pub fn load(
        cert_file: PathBuf,
        key_file: PathBuf,
        node_key: Option<NodeKey>,
        statement: StatementCell,
    ) -> Result<Arc<ReloadingCert>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tried = stamp(&cert_file, &key_file);
        let key = Arc::new(load_pem(&cert_file, &key_file, &provider)?);
        let me = ReloadingCert {
            cert_file,
            key_file,
            node_key,
            statement,
            provider,
            loaded: Mutex::new(Loaded { tried, key }),
        };
        let first = me.loaded.lock().map(|l| l.key.clone()).ok();
        if let Some(k) = first {
            me.publish(&k)?;
        }
        Ok(Arc::new(me))
    }

    /// The statement cell this listener keeps current.
    pub fn statement(&self) -> StatementCell {
        self.statement.clone()
    }

    fn publish(&self, key: &CertifiedKey) -> Result<(), String> {
        let Some(node_key) = &self.node_key else {
            return Ok(());
        };
        let leaf = key.cert.first().ok_or("TLS certificate chain is empty")?;
        let st = CertStatement::sign(node_key, leaf, chrono::Utc::now())
            .map_err(|e| format!("TLS certificate {}: {e}", self.cert_file.display()))?;
        tracing::info!(spki_sha256 = %st.spki_sha256, not_after = %st.not_after,
            "The node key vouches for the TLS certificate.");
        if let Ok(mut cell) = self.statement.write() {
            *cell = Some(st);
        }
        Ok(())
    }

    /// The certificate to present now, reloaded first if its files changed.
    pub fn current(&self) -> Arc<CertifiedKey> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        let now = stamp(&self.cert_file, &self.key_file);
        if now != loaded.tried {
            loaded.tried = now;
            match load_pem(&self.cert_file, &self.key_file, &self.provider)
                .and_then(|k| self.publish(&k).map(|()| k))
            {
                Ok(k) => {
                    tracing::info!(cert = %self.cert_file.display(), "TLS certificate reloaded.");
                    loaded.key = Arc::new(k);
                }
                Err(e) => {
                    tracing::error!(error = %e, "TLS files changed but do not load; the previous certificate stays in use.");
                }
            }
        }
        loaded.key.clone()
    }

    /// The rustls server configuration presenting this certificate: HTTP/1.1, TLS 1.2 and
    /// 1.3, sessions resumable by ticket or by id.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<rustls::ServerConfig>, String> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config.session_storage = rustls::server::ServerSessionMemoryCache::new(4096);
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| e.to_string())?;
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

//! TLS to the database, as libpq's URL parameters ask for it: `sslmode` and
//! `sslrootcert` (a PEM file of the certificate authorities to trust).
//!
//! | `sslmode` | encrypted | server checked |
//! |---|---|---|
//! | `disable` | never | no |
//! | `prefer` (the default) | if the server offers TLS | no |
//! | `require` | always | no; as `verify-ca` when `sslrootcert` is given (as libpq does) |
//! | `verify-ca` | always | its certificate chains to `sslrootcert` |
//! | `verify-full` | always | as `verify-ca`, and the certificate names the URL's host |
//!
//! `verify-ca` and `verify-full` need `sslrootcert`. Under `verify-full` the name checked
//! is the URL's `host` (with `hostaddr`, the connection goes to that address and the
//! certificate must still name `host`). TLS is rustls with the `ring` provider, as every
//! other TLS client of the node. Other parameters go to `tokio-postgres` as they are;
//! [`connection`] takes the two out first, since it knows neither `verify-*` nor
//! `sslrootcert`.

use std::sync::Arc;

use concord_store::StoreError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The `sslmode` values, as libpq names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, without checking the server.
    Prefer,
    /// TLS always, without checking the server (unless a root is given).
    Require,
    /// TLS always; the server's certificate chains to `sslrootcert`.
    VerifyCa,
    /// As `VerifyCa`, and the certificate names the host connected to.
    VerifyFull,
}

impl Mode {
    /// The value as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Result<Mode, StoreError> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            other => {
                return Err(StoreError::Backend(format!(
                    "invalid database URL: sslmode={other:?} is not one of disable, prefer, \
                     require, verify-ca, verify-full"
                )));
            }
        })
    }
}

/// What a database URL says about connecting: the client's settings, and the TLS
/// connector its `sslmode` and `sslrootcert` call for.
pub struct Connection {
    /// The settings, with `sslmode` as `tokio-postgres` knows it.
    pub config: tokio_postgres::Config,
    /// The TLS connector (used only when `sslmode` is not `disable`).
    pub tls: MakeRustlsConnect,
    /// The `sslmode` asked for.
    pub mode: Mode,
    /// The `sslrootcert` given, if any.
    pub root: Option<String>,
}

impl Connection {
    /// `e` with the TLS settings named, when it is a failure of TLS (a refused
    /// certificate, a server without TLS), so that the operator knows which setting to
    /// look at.
    #[must_use]
    pub fn explain(&self, e: StoreError) -> StoreError {
        let StoreError::Backend(m) = &e else {
            return e;
        };
        if !(m.contains("TLS") || m.contains("certificate")) {
            return e;
        }
        let root = self
            .root
            .as_ref()
            .map_or(String::new(), |r| format!(", sslrootcert={r}"));
        let why = if m.contains("not valid for name") || m.contains("NotValidForName") {
            ": the server's certificate does not name the host in the database URL"
        } else if m.contains("UnknownIssuer") {
            ": the server's certificate is not signed by an authority in sslrootcert"
        } else {
            ""
        };
        StoreError::Backend(format!("{m} (sslmode={}{root}{why})", self.mode.as_str()))
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Reads a database URL (`postgres://…?sslmode=verify-full&sslrootcert=/path/ca.pem`, or
/// the `key=value` form) into its settings and TLS connector.
///
/// # Errors
/// The URL is invalid, `sslmode` has a value libpq does not know, a `verify-*` mode has
/// no `sslrootcert`, or that file cannot be read or holds no PEM certificate. Each
/// message names the setting.
pub fn connection(url: &str) -> Result<Connection, StoreError> {
    let (rest, mode, root) = take_tls_params(url)?;
    let mut config: tokio_postgres::Config = rest
        .parse()
        .map_err(|e| StoreError::Backend(format!("invalid database URL: {e}")))?;
    let mode = mode.map_or(Ok(Mode::Prefer), |m| Mode::parse(&m))?;
    config.ssl_mode(match mode {
        Mode::Disable => SslMode::Disable,
        Mode::Prefer => SslMode::Prefer,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match &root {
        Some(path) => Some(roots(path)?),
        None if matches!(mode, Mode::VerifyCa | Mode::VerifyFull) => {
            let name = if mode == Mode::VerifyCa {
                "verify-ca"
            } else {
                "verify-full"
            };
            return Err(StoreError::Backend(format!(
                "sslmode={name} needs sslrootcert=<PEM file of the certificate authority> \
                 in the database URL"
            )));
        }
        None => None,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
        (Mode::VerifyFull, Some(roots)) => web_pki(roots, &provider)?,
        (Mode::VerifyCa | Mode::Require, Some(roots)) => Arc::new(ChainOnly {
            inner: web_pki(roots, &provider)?,
        }),
        _ => Arc::new(Unchecked {
            algorithms: provider.signature_verification_algorithms,
        }),
    };
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Backend(format!("database TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Connection {
        config,
        tls: MakeRustlsConnect::new(tls),
        mode,
        root,
    })
}

/// The URL without `sslmode` and `sslrootcert`, and their values (`sslrootcert`
/// percent-decoded in the URL form).
fn take_tls_params(url: &str) -> Result<(String, Option<String>, Option<String>), StoreError> {
    let (mut mode, mut root) = (None, None);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => return Ok((url.to_owned(), None, None)),
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("sslmode", v)) => mode = Some(percent_decode(v)?),
                Some(("sslrootcert", v)) => root = Some(percent_decode(v)?),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, mode, root));
    }
    // The `key=value` form: values without spaces or quotes are all these two take.
    let mut kept = Vec::new();
    for word in url.split_whitespace() {
        match word.split_once('=') {
            Some(("sslmode", v)) => mode = Some(v.trim_matches('\'').to_owned()),
            Some(("sslrootcert", v)) => root = Some(v.trim_matches('\'').to_owned()),
            _ => kept.push(word),
        }
    }
    Ok((kept.join(" "), mode, root))
}

/// `%XX` escapes decoded (a URL's query value).
fn percent_decode(value: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Backend(format!("invalid database URL: bad %-escape in {value:?}"));
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The certificates of the PEM file `path` (`sslrootcert`).
fn roots(path: &str) -> Result<RootCertStore, StoreError> {
    let fail = |why: String| StoreError::Backend(format!("sslrootcert={path}: {why}"));
    let text = std::fs::read(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&text) {
        let cert = cert.map_err(|e| fail(format!("not a PEM certificate file: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| fail(format!("a certificate in it is unusable: {e}")))?;
    }
    if roots.is_empty() {
        return Err(fail("it holds no PEM certificate".into()));
    }
    Ok(roots)
}

/// The standard check: the chain to `roots`, the validity dates, and the name.
fn web_pki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| StoreError::Backend(format!("sslrootcert: {e}")))
}

/// `verify-ca`: the standard check, except that the certificate need not name the host.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            // The name is checked last, once the chain is known good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a root: encrypted against eavesdroppers, but any
/// certificate is taken (libpq's behaviour; `verify-full` is what stops an active
/// attacker). The handshake's signatures are still checked with the certificate given.
#[derive(Debug)]
struct Unchecked {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_both_url_forms() {
        let (rest, mode, root) = take_tls_params(
            "postgres://u@h:5432/db?sslmode=verify-full&application_name=x&sslrootcert=%2Fetc%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h:5432/db?application_name=x");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (rest, mode, root) =
            take_tls_params("host=h dbname=db sslmode=require sslrootcert=/ca.pem").unwrap();
        assert_eq!(rest, "host=h dbname=db");
        assert_eq!(mode.as_deref(), Some("require"));
        assert_eq!(root.as_deref(), Some("/ca.pem"));
        let (rest, mode, root) = take_tls_params("postgres://u@h/db").unwrap();
        assert_eq!(
            (rest.as_str(), mode, root),
            ("postgres://u@h/db", None, None)
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let err = |url: &str| connection(url).unwrap_err().to_string();
        let e = err("postgres://u@h/db?sslmode=verify");
        assert!(e.contains("sslmode=\"verify\""), "{e}");
        let e = err("postgres://u@h/db?sslmode=verify-full");
        assert!(e.contains("sslmode=verify-full needs sslrootcert"), "{e}");
        let e = err("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem");
        assert!(
            e.contains("sslrootcert=/nonexistent/ca.pem: cannot read it"),
            "{e}"
        );
        let empty = std::env::temp_dir().join(format!("concord-empty-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = err(&format!(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert={}",
            empty.display()
        ));
        std::fs::remove_file(&empty).unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        assert_eq!(
            connection("postgres://u@h/db").unwrap().mode,
            Mode::Prefer,
            "libpq's default"
        );
    }

    /// Whether the connection `url` opens is encrypted (`pg_stat_ssl`), or why it failed.
    fn encrypted(url: &str) -> Result<bool, String> {
        let Connection { config, tls, .. } = connection(url).map_err(|e| e.to_string())?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (client, conn) = config
                .connect(tls)
                .await
                .map_err(|e| crate::Fail::from(e).0.to_string())?;
            tokio::spawn(conn);
            let row = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(row.get(0))
        })
    }

    /// A real PostgreSQL with `ssl=on` and a certificate for `db.test` signed by a test
    /// authority: `verify-full` with that authority and that name connects, and the
    /// store opens; another authority or another name is refused, naming why; `verify-ca`
    /// ignores the name; `require` encrypts without checking; `disable` does not encrypt.
    #[test]
    fn sslmodes_against_a_server_with_tls() {
        let tls = match concord_testpg::TlsServer::start() {
            Ok(s) => s,
            Err(concord_testpg::Error::Missing(m))
                if std::env::var("CI").as_deref() != Ok("true") =>
            {
                eprintln!("\n*** SKIPPED: PostgreSQL is not installed ({m}). ***\n");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        let server = &tls.server;
        let (right, wrong) = (tls.authority(), tls.other_authority());
        concord_testpg::create_database(&server.base_url(), "tls", Some(server.bin())).unwrap();
        let url = |host: &str, mode: &str, root: Option<&std::path::Path>| {
            tls.url("tls", host, mode, root)
        };

        let full = url("db.test", "verify-full", Some(&right));
        assert_eq!(encrypted(&full), Ok(true));
        let store = crate::PgStore::open(&full).unwrap();
        assert_eq!(concord_store::Store::stats(&store).unwrap().versions, 0);
        drop(store);

        let e = crate::PgStore::open(&url("db.test", "verify-full", Some(&wrong))).unwrap_err();
        let e = e.to_string();
        assert!(
            e.contains("sslmode=verify-full")
                && e.contains("not signed by an authority in sslrootcert"),
            "{e}"
        );
        let e = crate::PgStore::open(&url("elsewhere.test", "verify-full", Some(&right)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sslmode=verify-full") && e.contains("does not name the host"),
            "{e}"
        );

        assert_eq!(
            encrypted(&url("elsewhere.test", "verify-ca", Some(&right))),
            Ok(true)
        );
        let e = encrypted(&url("db.test", "verify-ca", Some(&wrong))).unwrap_err();
        assert!(e.contains("UnknownIssuer"), "{e}");
        assert_eq!(encrypted(&url("127.0.0.1", "require", None)), Ok(true));
        // `require` with a root checks the chain, as libpq does.
        let e = encrypted(&url("127.0.0.1", "require", Some(&wrong))).unwrap_err();
        assert!(e.contains("UnknownIssuer"), "{e}");
        assert_eq!(encrypted(&url("127.0.0.1", "prefer", None)), Ok(true));
        assert_eq!(encrypted(&url("127.0.0.1", "disable", None)), Ok(false));
    }
}

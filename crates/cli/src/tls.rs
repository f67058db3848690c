//! `concord tls self-signed` (and `init --tls`): a self-signed certificate for the node's
//! HTTPS listener. No certificate authority vouches for it; the node key does: `serve`
//! signs a statement for the certificate it loads and publishes it on
//! `/federation/v1/node`, and peers that registered the node key pin the certificate
//! through it.

use std::fs;
use std::path::Path;

use anyhow::Context;
use concord_store::atomic::{self, Mode};

use crate::config::{self, Config};

/// The certificate file a self-signed certificate is written to, in the data directory.
pub const CERT_FILE: &str = "tls/cert.pem";
/// Its private key (mode 0600).
pub const KEY_FILE: &str = "tls/key.pem";

/// `concord tls` subcommands.
#[derive(clap::Subcommand)]
pub enum TlsCommand {
    /// Make a self-signed certificate (ECDSA P-256) for `serve`, vouched for by the node
    /// key, and point `tls_cert` / `tls_key` in concord.toml at it. Running it again
    /// rotates the certificate; a running node picks the new one up without a restart.
    SelfSigned {
        /// Host names and addresses the certificate names (repeatable; default:
        /// localhost, 127.0.0.1, ::1 and the host of `public_url`).
        #[arg(long = "name")]
        names: Vec<String>,
        /// Days the certificate is valid.
        #[arg(long, default_value_t = 397)]
        days: u32,
    },
}

/// Runs `concord tls`.
pub fn run(dir: &Path, command: TlsCommand) -> anyhow::Result<()> {
    let TlsCommand::SelfSigned { names, days } = command;
    let cfg = Config::load(dir)?;
    let made = self_signed(dir, &cfg, &names, days)?;
    println!(
        "Self-signed certificate written to {} (key {}), valid {days} days for {}.",
        made.cert.display(),
        made.key.display(),
        made.names.join(", ")
    );
    println!("SPKI SHA-256: {}", made.spki_sha256);
    println!("Peers that registered this node's key pin it through /federation/v1/node.");
    Ok(())
}

/// What [`self_signed`] wrote.
pub struct SelfSigned {
    /// The certificate file.
    pub cert: std::path::PathBuf,
    /// The key file.
    pub key: std::path::PathBuf,
    /// The names in the certificate.
    pub names: Vec<String>,
    /// SHA-256 of its SubjectPublicKeyInfo (hex), as the node's statement will name it.
    pub spki_sha256: String,
}

/// Makes a self-signed certificate and key in `<dir>/tls/`, replacing any there (each file
/// is written beside and renamed into place), and sets `tls_cert` / `tls_key` in
/// concord.toml if they are empty.
pub fn self_signed(
    dir: &Path,
    cfg: &Config,
    names: &[String],
    days: u32,
) -> anyhow::Result<SelfSigned> {
    let mut names = names.to_vec();
    if names.is_empty() {
        names = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if let Some(host) = reqwest_free_host(&cfg.public_url)
            && !names.contains(&host)
        {
            names.push(host);
        }
    }
    let mut params =
        rcgen::CertificateParams::new(names.clone()).context("invalid certificate names")?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("Concord node {}", cfg.node_name),
    );
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = chrono::Utc::now();
    let to_time = |t: chrono::DateTime<chrono::Utc>| {
        rcgen::date_time_ymd(
            chrono::Datelike::year(&t),
            u8::try_from(chrono::Datelike::month(&t)).unwrap_or(1),
            u8::try_from(chrono::Datelike::day(&t)).unwrap_or(1),
        )
    };
    params.not_before = to_time(now - chrono::Duration::days(1));
    params.not_after = to_time(now + chrono::Duration::days(i64::from(days.max(1))));
    let key = rcgen::KeyPair::generate().context("cannot generate a key pair")?;
    let cert = params
        .self_signed(&key)
        .context("cannot sign the certificate")?;
    let spki_sha256 = hex::encode(
        concord_federation::tls::spki_sha256(cert.der()).map_err(|e| anyhow::anyhow!(e))?,
    );

    fs::create_dir_all(dir.join("tls"))
        .with_context(|| format!("cannot create {}", dir.join("tls").display()))?;
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    write_replacing(&key_path, key.serialize_pem().as_bytes(), true)?;
    write_replacing(&cert_path, cert.pem().as_bytes(), false)?;
    if !cfg.tls() {
        set_tls_paths(dir)?;
    }
    Ok(SelfSigned {
        cert: cert_path,
        key: key_path,
        names,
        spki_sha256,
    })
}

/// The host of a URL, without pulling in a URL parser for one field.
fn reqwest_free_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

fn write_replacing(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    let mode = if secret { Mode::Private } else { Mode::Shared };
    atomic::write(path, bytes, mode).with_context(|| format!("cannot replace {}", path.display()))
}

/// Sets `tls_cert` and `tls_key` in concord.toml to the self-signed pair, keeping the rest
/// of the file (and its comments) as it is.
fn set_tls_paths(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(config::FILE_NAME);
    let text = fs::read_to_string(&path).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 64);
    let (mut cert_set, mut key_set) = (false, false);
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if key == "tls_cert" {
            out.push_str(&format!("tls_cert = {CERT_FILE:?}\n"));
            cert_set = true;
        } else if key == "tls_key" {
            out.push_str(&format!("tls_key = {KEY_FILE:?}\n"));
            key_set = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !(cert_set && key_set) {
        // Top-level keys must come before the first table.
        let mut missing = String::new();
        if !cert_set {
            missing.push_str(&format!("tls_cert = {CERT_FILE:?}\n"));
        }
        if !key_set {
            missing.push_str(&format!("tls_key = {KEY_FILE:?}\n"));
        }
        out = match out.find("\n[") {
            Some(pos) => format!("{}\n{missing}{}", &out[..pos], &out[pos..]),
            None if out.starts_with('[') => format!("{missing}{out}"),
            None => format!("{out}{missing}"),
        };
    }
    fs::write(&path, out).with_context(|| format!("cannot write {}", path.display()))?;
    Config::load(dir).map(|_| ())
}

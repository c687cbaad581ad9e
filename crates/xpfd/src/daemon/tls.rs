// SPDX-License-Identifier: Apache-2.0
//! The TLS identity of the TCP listeners (gRPC and REST share it).
//!
//! Operators bring their own with `--tls-cert`/`--tls-key`. Without them an
//! appliance still must not speak cleartext passwords, so xpfd makes a
//! self-signed certificate on its first start, keeps it in
//! `<state-dir>/tls/` and reuses it afterwards, so clients that pinned it
//! keep working. Its SHA-256 fingerprint goes to the log for that pinning.
//!
//! Only the ring provider is built in: rustls is told so explicitly rather
//! than left to guess from crate features.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sha2::Digest as _;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long a client may take over the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A certificate chain and its private key, both PEM.
#[derive(Clone)]
pub struct Identity {
    /// The certificate chain, leaf first.
    pub cert_pem: String,
    /// The private key.
    pub key_pem: String,
    /// SHA-256 of the leaf certificate, `AA:BB:…` as `openssl x509 -fingerprint` prints it.
    pub fingerprint: String,
    /// Where the certificate came from.
    pub cert_path: PathBuf,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

/// Loads `--tls-cert`/`--tls-key`, or the generated pair under
/// `state_dir/tls`, generating it on first use.
pub fn load_or_generate(
    state_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<Identity> {
    // Whatever else is linked in, rustls uses ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert_path, key_path) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => {
            let dir = state_dir.join("tls");
            let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !(c.exists() && k.exists()) {
                if c.exists() || k.exists() {
                    tracing::warn!(dir = %dir.display(), "half of the generated TLS pair is missing: generating a new one");
                }
                generate(&dir, &c, &k)?;
            }
            (c, k)
        }
        _ => anyhow::bail!("--tls-cert and --tls-key go together: give both or neither"),
    };
    let cert_pem = std::fs::read_to_string(&cert_path)
        .with_context(|| format!("reading the TLS certificate {}", cert_path.display()))?;
    let key_pem = std::fs::read_to_string(&key_path)
        .with_context(|| format!("reading the TLS key {}", key_path.display()))?;
    let leaf = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .next()
        .with_context(|| format!("{}: no certificate in it", cert_path.display()))?
        .with_context(|| format!("{}: not a PEM certificate", cert_path.display()))?;
    let identity = Identity {
        fingerprint: fingerprint(&leaf),
        cert_pem,
        key_pem,
        cert_path,
    };
    // Build the server configuration once now, so a bad pair fails the start.
    server_config(&identity).with_context(|| {
        format!(
            "{} and {}",
            identity.cert_path.display(),
            key_path.display()
        )
    })?;
    Ok(identity)
}

/// The rustls configuration for the REST listener (HTTP/2 and HTTP/1.1).
pub fn server_config(id: &Identity) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_slice_iter(id.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("reading the certificate chain")?;
    let key =
        PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).context("reading the private key")?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the key does not fit the certificate")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The tonic configuration for the gRPC listener.
pub fn grpc_config(id: &Identity) -> tonic::transport::ServerTlsConfig {
    tonic::transport::ServerTlsConfig::new()
        .identity(tonic::transport::Identity::from_pem(
            &id.cert_pem,
            &id.key_pem,
        ))
        .timeout(HANDSHAKE_TIMEOUT)
}

fn fingerprint(der: &[u8]) -> String {
    sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The names the generated certificate is good for: what a client on the
/// box or in a lab types, and the machine's own host name.
fn names() -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "xpf", "127.0.0.1", "::1"]
        .map(String::from)
        .into();
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let h = h.trim();
        let dns_like = !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if dns_like && !names.iter().any(|n| n == h) {
            names.push(h.to_string());
        }
    }
    names
}

fn generate(dir: &Path, cert: &Path, key: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting {}", dir.display()))?;
    let mut params = rcgen::CertificateParams::new(names()).context("certificate names")?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "xpf");
    let pair = rcgen::KeyPair::generate().context("generating a TLS key")?;
    let made = params
        .self_signed(&pair)
        .context("signing the TLS certificate")?;
    write_new(key, pair.serialize_pem().as_bytes(), 0o600)?;
    write_new(cert, made.pem().as_bytes(), 0o644)?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok(())
}

/// Writes a file whole or not at all, created with `mode` (never wider).
fn write_new(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_generate(dir.path(), None, None).unwrap();
        let key = dir.path().join("tls/key.pem");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = load_or_generate(dir.path(), None, None).unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.fingerprint.len(), 32 * 3 - 1);
        assert!(load_or_generate(dir.path(), Some(&key), None).is_err());
        // An operator's own pair is used as given.
        let cert = dir.path().join("tls/cert.pem");
        let c = load_or_generate(Path::new("/nonexistent"), Some(&cert), Some(&key)).unwrap();
        assert_eq!(c.fingerprint, a.fingerprint);
        assert!(load_or_generate(dir.path(), Some(&key), Some(&cert)).is_err());
    }
}

//! Built-in TLS for a single node without a proxy in front: `tls.cert` and `tls.key` (PEM)
//! served through rustls, re-read when either file changes, so a renewed certificate (certbot,
//! cert-manager, an ACME client writing the files) takes effect without a restart. A file that
//! does not parse leaves the previous certificate in use and says so in the log.

use crate::config::TlsConfig;
use anyhow::{Context, bail};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedProtocolVersion};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// TLS 1.2 and 1.3 only (RFC 9325 §3.1.1: no TLS 1.0 / 1.1).
static VERSIONS: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate every handshake gets: the one most recently read without error.
#[derive(Debug)]
pub struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    provider: Arc<CryptoProvider>,
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| k.clone())
    }
}

impl Certificate {
    /// Reads both files; an error names the file and what is wrong with it.
    pub fn load(config: &TlsConfig) -> anyhow::Result<Option<Arc<Certificate>>> {
        let (Some(cert), Some(key)) = (&config.cert, &config.key) else { return Ok(None) };
        let provider = provider();
        let current = read(cert, key, &provider)?;
        Ok(Some(Arc::new(Certificate {
            cert: cert.clone(),
            key: key.clone(),
            current: RwLock::new(Arc::new(current)),
            provider,
        })))
    }

    /// The rustls configuration the listener uses (HTTP/1.1 over TLS 1.2 or 1.3).
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<ServerConfig> {
        let config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(VERSIONS)
            .context("setting up TLS")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        Ok(config)
    }

    /// Re-reads the files every `interval` once either one's modification time or size has
    /// changed; runs until the process ends.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut seen = self.stamp();
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        loop {
            tick.tick().await;
            let now = self.stamp();
            if now == seen {
                continue;
            }
            // A writer may replace the two files one after the other: the pair is read again
            // at the next change if this read sees a new certificate with the old key.
            seen = now;
            match read(&self.cert, &self.key, &self.provider) {
                Ok(fresh) => {
                    if let Ok(mut current) = self.current.write() {
                        *current = Arc::new(fresh);
                    }
                    tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot reload the TLS certificate; the previous one stays in use"
                ),
            }
        }
    }

    fn stamp(&self) -> [Option<(SystemTime, u64)>; 2] {
        let of = |p: &Path| std::fs::metadata(p).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
        [of(&self.cert), of(&self.key)]
    }
}

/// The certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1), checked to
/// belong together.
fn read(cert: &Path, key: &Path, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading tls.cert {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("tls.cert {} is not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        bail!("tls.cert {} holds no certificate (expected PEM `BEGIN CERTIFICATE` blocks)", cert.display());
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        rustls::pki_types::pem::Error::Io(e) => anyhow::anyhow!("reading tls.key {}: {e}", key.display()),
        _ => anyhow::anyhow!("tls.key {} holds no PEM private key", key.display()),
    })?;
    CertifiedKey::from_der(chain, private, provider)
        .map_err(|e| anyhow::anyhow!("tls.key {} does not fit tls.cert {}: {e}", key.display(), cert.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        (cert, key)
    }

    #[test]
    fn each_bad_file_is_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair(dir.path(), "a");
        let (_, other_key) = pair(dir.path(), "b");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not pem at all").unwrap();
        let missing = dir.path().join("missing.pem");
        let p = provider();
        assert!(read(&cert, &key, &p).is_ok());
        for (c, k, needle) in [
            (&missing, &key, "reading tls.cert"),
            (&garbage, &key, "holds no certificate"),
            (&cert, &missing, "reading tls.key"),
            (&cert, &garbage, "holds no PEM private key"),
            (&cert, &other_key, "does not fit"),
            // A key where the certificate belongs.
            (&key, &key, "holds no certificate"),
        ] {
            let err = format!("{:#}", read(c, k, &p).expect_err(needle));
            assert!(err.contains(needle), "{c:?} {k:?}: {err}");
        }
    }
}

//! The secret key: from configuration, or on SQLite generated once into `data_dir`.

use crate::config::Settings;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use latch_domain::Random;
use latch_store::OsRandom;
use std::path::Path;

/// File name of the generated key inside `data_dir`.
pub const SECRET_FILE: &str = "secret.key";

fn decode(text: &str, origin: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(text.trim()).with_context(|| format!("{origin} is not base64"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("{origin} must decode to 32 bytes"))
}

/// The 32-byte key that encrypts signing keys and signs cookies.
pub fn secret_key(settings: &Settings) -> anyhow::Result<[u8; 32]> {
    if let Some(k) = &settings.raw.secret_key {
        return decode(k, "secret_key");
    }
    if settings.postgres {
        bail!("secret_key is required with Postgres");
    }
    let path = settings.raw.data_dir.join(SECRET_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return decode(&text, &path.display().to_string());
    }
    let mut key = [0u8; 32];
    OsRandom.fill(&mut key);
    write_private(&path, &STANDARD.encode(key))?;
    tracing::warn!(
        path = %path.display(),
        "no secret_key configured: generated one into the data directory; back it up with the database, \
         and set LATCH_SECRET_KEY before running several nodes"
    );
    Ok(key)
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        latch_store::private_files::create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(latch_store::private_files::FILE_MODE)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        f.write_all(content.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

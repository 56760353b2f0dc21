//! One-shot commands: `latch migrate`, `latch config [--check]`.

use crate::config::{Settings, mask_credentials};
use anyhow::Context;

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = latch_store::Db::connect(&settings.database_url, 1).context("opening the database")?;
    let applied = db.migrate().context("applying migrations")?;
    println!("{applied} migration(s) applied to the {} database", db.backend().name());
    Ok(())
}

pub fn print_config(settings: &Settings) -> anyhow::Result<()> {
    print!("{}", render_config(settings)?);
    Ok(())
}

/// `latch config --check`: the configuration loaded and validated (which `main` did), the TLS
/// certificate, when set, readable, and the SMTP settings usable as `serve` would use them;
/// says so.
pub fn check_config(settings: &Settings) -> anyhow::Result<()> {
    crate::tls::Certificate::load(&settings.raw.tls)?;
    crate::mail::SmtpSender::from_config(&settings.raw.smtp)?;
    println!(
        "configuration is valid: {} database, {} cache, issuer {}",
        if settings.postgres { "Postgres" } else { "SQLite" },
        if settings.raw.cache.url == "memory://" { "in-memory" } else { "Redis" },
        settings.issuer
    );
    Ok(())
}

/// The effective configuration as TOML with every credential masked: `secret_key`,
/// `admin_password`, `smtp.password`, and the password in the database and cache URLs.
pub fn render_config(settings: &Settings) -> anyhow::Result<String> {
    let mut raw = settings.raw.clone();
    for secret in [&mut raw.admin_password, &mut raw.secret_key, &mut raw.smtp.password] {
        if secret.is_some() {
            *secret = Some("(hidden)".to_owned());
        }
    }
    raw.database.url = raw.database.url.as_deref().map(mask_credentials);
    raw.cache.url = mask_credentials(&raw.cache.url);
    Ok(format!(
        "{}\n# derived: public_url = {:?}, issuer = {:?}, database = {:?}\n",
        toml::to_string_pretty(&raw).context("rendering configuration")?,
        settings.public_url,
        settings.issuer,
        mask_credentials(&settings.database_url)
    ))
}

/// `latch admin create-m2m --name NAME`.
pub fn create_m2m(settings: &Settings, name: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let node = crate::server::open_node(settings.clone()).await?;
        let (id, secret) = crate::bootstrap::create_m2m(&node.core, name).await?;
        println!("{}", serde_json::json!({ "clientId": id.as_str(), "clientSecret": secret }));
        Ok(())
    })
}

/// `latch keys rotate`.
pub fn rotate_keys(settings: &Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let node = crate::server::open_node(settings.clone()).await?;
        latch_core::commands::rotate_keys(&node.core, &latch_core::Actor::System("cli"))
            .await
            .context("rotating the signing keys")?;
        for k in node.repos.list_signing_keys().await? {
            println!("{}  {}  {}", k.kid, k.alg, k.state.as_str());
        }
        Ok(())
    })
}

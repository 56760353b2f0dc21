//! Configuration: built-in defaults ← `latch.toml` (or `--config FILE`) ← `LATCH_*` environment
//! variables (`__` nests: `LATCH_DATABASE__URL`). Everything is validated before anything starts.

use anyhow::{Context, bail};
use base64::Engine;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the server listens on.
    pub listen: SocketAddr,
    /// The URL users and apps reach Latch at; every emitted URL is built from it.
    #[serde(default, deserialize_with = "opt_string")]
    pub public_url: Option<String>,
    /// Where the embedded database and generated secrets live.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub cache: CacheConfig,
    /// Password of the first admin user, used only on the first start of an empty database.
    #[serde(default, deserialize_with = "opt_string")]
    pub admin_password: Option<String>,
    /// Base64 of 32 random bytes: encrypts signing keys and signs cookies.
    #[serde(default, deserialize_with = "opt_string")]
    pub secret_key: Option<String>,
    pub log: LogConfig,
    pub password_hash: PasswordHashConfig,
    pub tokens: TokenConfig,
    pub session: SessionConfig,
    pub keys: KeysConfig,
    pub limits: LimitsConfig,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// Take the client address (for rate limits) from the last `X-Forwarded-For` hop. Only
    /// behind a proxy that sets that header; otherwise clients could choose their address.
    pub trust_forwarded_for: bool,
    /// The built console (`cargo xtask console` writes `target/console/dist`); unset: `/console`
    /// answers a page saying how to build it.
    #[serde(default)]
    pub console_dir: Option<PathBuf>,
    pub tls: TlsConfig,
    #[serde(default)]
    pub client_documents: ClientDocumentsConfig,
    /// Where email goes (`crate::mail`); without `smtp.host`, Latch sends none and offers no
    /// flow that needs it.
    #[serde(default)]
    pub smtp: SmtpConfig,
}

/// How a connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this host or a trusted network (port 25).
    None,
}

/// The SMTP server Latch sends through.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server's host name (also the name its certificate must carry). Unset: no email.
    #[serde(default)]
    pub host: Option<String>,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `none`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default, deserialize_with = "opt_string")]
    pub username: Option<String>,
    /// Read as text even when the environment's value looks like a number.
    #[serde(default, deserialize_with = "opt_string")]
    pub password: Option<String>,
    /// The `From` of every message: `no-reply@example.com` or `Acme <no-reply@example.com>`.
    #[serde(default)]
    pub from: Option<String>,
    /// A PEM file of certificate authorities trusted for the server besides the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds a delivery may take, connecting included.
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_timeout() -> u64 {
    10
}

/// How Latch fetches Client ID Metadata Documents (docs/open-platform.md). The defaults are
/// the production ones; the two settings exist for tests and closed networks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientDocumentsConfig {
    /// Also fetch from loopback addresses (127.0.0.0/8, ::1). Never private, link-local or other
    /// special-use ones. For tests only: on a server it lets clients reach local services.
    #[serde(default)]
    pub allow_loopback: bool,
    /// A PEM file of certificate authorities trusted for document fetches besides the public
    /// web roots (Mozilla's, built in).
    #[serde(default)]
    pub extra_roots: Option<PathBuf>,
}

/// Built-in TLS, for a node without a proxy in front. Behind a proxy that terminates TLS, leave
/// `cert` and `key` unset: the proxy holds the certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, leaf first.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM private key of the leaf certificate (PKCS#8, PKCS#1 or SEC1).
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Seconds between checks of the two files for a renewed certificate.
    pub reload_interval_secs: u64,
    /// `max-age` of the `Strict-Transport-Security` header sent when `public_url` is https
    /// (RFC 6797), seconds; 0 sends none.
    pub hsts_max_age: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://…`, or a SQLite path (`sqlite://path` or a plain path). Unset: `<data_dir>/latch.db`.
    #[serde(default, deserialize_with = "opt_string")]
    pub url: Option<String>,
    pub pool_size: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// `memory://` (one node) or `redis://…` (many nodes).
    pub url: String,
    /// Prefix of every Redis key and channel, so several deployments can share one Redis.
    pub key_prefix: String,
    /// Most the in-memory store may hold, MiB; past it expired entries go first, then the
    /// oldest. (Redis is capped by its own `maxmemory`.)
    pub memory_max_mib: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `latch=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

/// argon2id parameters. Defaults are OWASP's (19 MiB, 2 iterations, 1 lane).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordHashConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Password checks that may wait for a hashing thread; past that a sign-in is answered
    /// "try again in a moment" (503) instead of queueing without bound.
    pub queue: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Lifetime of opaque and JWT access tokens without a resource-specific TTL, seconds.
    pub access_token_ttl: i64,
    /// Default ID token lifetime, seconds (apps may override).
    pub id_token_ttl: i64,
    /// Authorization code lifetime, seconds.
    pub code_ttl: i64,
    /// How long an interaction is kept once the user has signed in (consent may follow), seconds.
    pub interaction_ttl: i64,
    /// How long an interaction waits for its sign-in form to be submitted, seconds (anyone can
    /// start one, so it is short; at most `interaction_ttl`).
    pub sign_in_ttl: i64,
}

/// Rate limits, counted in the ephemeral store so they hold across nodes. Each attempt is
/// counted before it is checked; a successful one is given back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Failed sign-ins (and failed client authentications at the token, revocation and
    /// introspection endpoints) per client address per window; past it: 429.
    pub ip_failures: u64,
    /// Failed sign-ins of one account after which each attempt is delayed progressively.
    pub account_delay_after: u64,
    /// Failed sign-ins of one account after which it is locked until the window ends.
    pub account_lock_after: u64,
    /// The window of the failure counters, seconds.
    pub failure_window_secs: u64,
    /// Sign-ins one client address may start per `interaction_window_secs`; past it: 429.
    pub interactions_per_ip: u64,
    pub interaction_window_secs: u64,
    /// Accounts one client address may create on the sign-up page per hour; past it: 429.
    #[serde(default = "default_sign_ups_per_hour")]
    pub sign_ups_per_hour: u64,
}

fn default_sign_ups_per_hour() -> u64 {
    20
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// Days between automatic signing-key rotations; 0 rotates only on request.
    pub rotation_days: i64,
    /// Seconds a previous key keeps verifying after a rotation (longer than any token lifetime).
    pub grace_period: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Absolute lifetime of a sign-in session, seconds.
    pub ttl: i64,
    /// A session unused this long, seconds, is no longer accepted (sign in again).
    pub idle_timeout: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from("./data"),
            database: DatabaseConfig { url: None, pool_size: 10 },
            cache: CacheConfig { url: "memory://".to_owned(), key_prefix: "latch:".to_owned(), memory_max_mib: 64 },
            admin_password: None,
            secret_key: None,
            log: LogConfig { format: LogFormat::Pretty, level: "info".to_owned() },
            password_hash: PasswordHashConfig { memory_kib: 19 * 1024, iterations: 2, parallelism: 1, queue: 64 },
            tokens: TokenConfig {
                access_token_ttl: 3600,
                id_token_ttl: 3600,
                code_ttl: 60,
                interaction_ttl: 3600,
                sign_in_ttl: 600,
            },
            keys: KeysConfig { rotation_days: 90, grace_period: 2 * 24 * 3600 },
            session: SessionConfig { ttl: 14 * 24 * 3600, idle_timeout: 3 * 24 * 3600 },
            limits: LimitsConfig {
                ip_failures: 100,
                account_delay_after: 5,
                account_lock_after: 10,
                failure_window_secs: 15 * 60,
                interactions_per_ip: 300,
                interaction_window_secs: 5 * 60,
                sign_ups_per_hour: default_sign_ups_per_hour(),
            },
            shutdown_timeout_secs: 30,
            workers: 0,
            trust_forwarded_for: false,
            console_dir: None,
            tls: TlsConfig { cert: None, key: None, reload_interval_secs: 30, hsts_max_age: 365 * 24 * 3600 },
            client_documents: ClientDocumentsConfig::default(),
            smtp: SmtpConfig::default(),
        }
    }
}

/// Accepts a string, or a number or boolean the environment provider parsed out of one
/// (`LATCH_ADMIN_PASSWORD=12345678` is still a password).
fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        S(String),
        I(i64),
        U(u64),
        F(f64),
        B(bool),
    }
    Ok(Option::<Loose>::deserialize(d)?.map(|v| match v {
        Loose::S(s) => s,
        Loose::I(i) => i.to_string(),
        Loose::U(u) => u.to_string(),
        Loose::F(f) => f.to_string(),
        Loose::B(b) => b.to_string(),
    }))
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "listen",
    "public_url",
    "data_dir",
    "database",
    "cache",
    "admin_password",
    "secret_key",
    "log",
    "password_hash",
    "tokens",
    "session",
    "keys",
    "limits",
    "shutdown_timeout_secs",
    "workers",
    "trust_forwarded_for",
    "console_dir",
    "tls",
    "client_documents",
    "smtp",
];

/// The figment that produces a [`Config`]: defaults, then the file, then the environment.
pub fn figment(file: Option<&Path>) -> Figment {
    let env = Env::prefixed("LATCH_")
        // LATCH_TEST_* and other tools' variables are not configuration.
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            TOP_LEVEL_KEYS.iter().any(|t| key == *t || key.starts_with(&format!("{t}__")))
        })
        .map(|key| key.as_str().to_ascii_lowercase().into())
        .split("__");
    let base = Figment::from(Serialized::defaults(Config::default()));
    let with_file = match file {
        Some(path) => base.merge(Toml::file_exact(path)),
        None => base.merge(Toml::file("latch.toml")),
    };
    with_file.merge(env)
}

/// Settings after validation, with every derived value filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub raw: Config,
    pub public_url: String,
    pub issuer: String,
    pub database_url: String,
    /// True when the durable store is Postgres (several nodes may share it).
    pub postgres: bool,
}

/// Loads and validates configuration. Every error names the key and what was expected.
pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
    if let Some(path) = file
        && !path.is_file()
    {
        bail!("configuration file {} does not exist", path.display());
    }
    let config: Config = figment(file).extract().map_err(|e| {
        let mut msg = String::from("invalid configuration:");
        for err in e {
            msg.push_str(&format!("\n  - {err}"));
        }
        anyhow::anyhow!(msg)
    })?;
    validate(config)
}

/// `url` with its password (the part of the user information after `:`, RFC 3986 §3.2.1, and a
/// `password=` query parameter as libpq reads it) replaced by `***`, for output.
pub fn mask_credentials(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let authority_end = out[start..].find(['/', '?', '#']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..authority_end].rfind('@').map(|i| start + i)
            && let Some(colon) = out[start..at].find(':').map(|i| start + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let masked: Vec<String> = out[q + 1..]
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out = format!("{}?{}", &out[..q], masked.join("&"));
    }
    out
}

fn key_err(key: &str, expected: &str, got: &str) -> anyhow::Error {
    anyhow::anyhow!("invalid configuration: key `{key}` must be {expected}; got `{got}`")
}

pub fn validate(config: Config) -> anyhow::Result<Settings> {
    let public_url = match &config.public_url {
        Some(u) => {
            let parsed = url::Url::parse(u).map_err(|_| key_err("public_url", "an absolute http(s) URL", u))?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.host_str().is_none()
                || parsed.query().is_some()
                || parsed.fragment().is_some()
            {
                return Err(key_err("public_url", "an absolute http(s) URL without query or fragment", u));
            }
            u.trim_end_matches('/').to_owned()
        }
        None if config.tls.cert.is_some() => format!("https://{}", config.listen),
        None => format!("http://{}", config.listen),
    };
    match (&config.tls.cert, &config.tls.key) {
        (Some(_), None) => bail!("invalid configuration: key `tls.key` is required with `tls.cert`"),
        (None, Some(_)) => bail!("invalid configuration: key `tls.cert` is required with `tls.key`"),
        (Some(_), Some(_)) if !public_url.starts_with("https://") => {
            return Err(key_err("public_url", "an https URL when Latch serves TLS itself", &public_url));
        }
        (Some(_), Some(_)) if config.tls.reload_interval_secs == 0 => {
            return Err(key_err("tls.reload_interval_secs", "a positive number of seconds", "0"));
        }
        _ => {}
    }
    let database_url = match &config.database.url {
        Some(u) if u.trim().is_empty() => return Err(key_err("database.url", "postgres://… or a SQLite path", u)),
        Some(u) => u.clone(),
        None => config.data_dir.join("latch.db").to_string_lossy().into_owned(),
    };
    let postgres = database_url.starts_with("postgres://") || database_url.starts_with("postgresql://");
    if database_url.contains("://") && !postgres && !database_url.starts_with("sqlite://") {
        return Err(key_err(
            "database.url",
            "postgres://…, sqlite://… or a file path",
            &mask_credentials(&database_url),
        ));
    }
    if config.database.pool_size == 0 || config.database.pool_size > 1000 {
        return Err(key_err("database.pool_size", "between 1 and 1000", &config.database.pool_size.to_string()));
    }
    let cache = &config.cache.url;
    if !(cache == "memory://" || cache.starts_with("redis://") || cache.starts_with("rediss://")) {
        return Err(key_err("cache.url", "memory:// or redis://…", &mask_credentials(cache)));
    }
    if let Some(key) = &config.secret_key {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .map_err(|_| key_err("secret_key", "base64 of 32 random bytes", "(not base64)"))?;
        if bytes.len() != 32 {
            return Err(key_err("secret_key", "base64 of 32 random bytes", &format!("{} bytes", bytes.len())));
        }
    } else if postgres {
        bail!(
            "invalid configuration: key `secret_key` is required with a Postgres database: every node must \
             share one (generate it with `openssl rand -base64 32`)"
        );
    }
    if let Some(Err(e)) = config.admin_password.as_deref().map(latch_domain::fields::password) {
        return Err(key_err("admin_password", &format!("a password the policy accepts ({e})"), "(hidden)"));
    }
    let ph = &config.password_hash;
    if ph.memory_kib < 8 * ph.parallelism.max(1) || ph.iterations == 0 || ph.parallelism == 0 {
        return Err(key_err(
            "password_hash",
            "memory_kib ≥ 8 × parallelism, iterations ≥ 1, parallelism ≥ 1",
            &format!("{ph:?}"),
        ));
    }
    for (key, v) in [
        ("tokens.access_token_ttl", config.tokens.access_token_ttl),
        ("tokens.id_token_ttl", config.tokens.id_token_ttl),
        ("tokens.code_ttl", config.tokens.code_ttl),
        ("tokens.interaction_ttl", config.tokens.interaction_ttl),
        ("tokens.sign_in_ttl", config.tokens.sign_in_ttl),
        ("session.ttl", config.session.ttl),
        ("keys.grace_period", config.keys.grace_period),
        ("session.idle_timeout", config.session.idle_timeout),
    ] {
        if v <= 0 {
            return Err(key_err(key, "a positive number of seconds", &v.to_string()));
        }
    }
    let l = &config.limits;
    for (key, v) in [
        ("limits.ip_failures", l.ip_failures),
        ("limits.account_lock_after", l.account_lock_after),
        ("limits.failure_window_secs", l.failure_window_secs),
        ("limits.interactions_per_ip", l.interactions_per_ip),
        ("limits.interaction_window_secs", l.interaction_window_secs),
        ("limits.sign_ups_per_hour", l.sign_ups_per_hour),
        ("password_hash.queue", config.password_hash.queue as u64),
        ("cache.memory_max_mib", config.cache.memory_max_mib as u64),
    ] {
        if v == 0 {
            return Err(key_err(key, "a positive number", "0"));
        }
    }
    if l.account_delay_after > l.account_lock_after {
        return Err(key_err(
            "limits.account_delay_after",
            "at most limits.account_lock_after",
            &l.account_delay_after.to_string(),
        ));
    }
    if config.keys.rotation_days < 0 {
        return Err(key_err(
            "keys.rotation_days",
            "0 (no schedule) or a number of days",
            &config.keys.rotation_days.to_string(),
        ));
    }
    tracing_subscriber::EnvFilter::try_new(&config.log.level).with_context(|| {
        format!("invalid configuration: key `log.level` must be a tracing filter; got `{}`", config.log.level)
    })?;
    let issuer = format!("{public_url}/oidc");
    Ok(Settings { raw: config, public_url, issuer, database_url, postgres })
}

#[cfg(test)]
mod tests {
    // figment's Jail closures return figment's own (large) error type.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_are_the_embedded_single_node() {
        Jail::expect_with(|_| {
            let s = load(None).expect("defaults load");
            assert_eq!(s.public_url, "http://127.0.0.1:8080");
            assert_eq!(s.issuer, "http://127.0.0.1:8080/oidc");
            assert!(s.database_url.ends_with("latch.db"));
            assert_eq!(s.raw.cache.url, "memory://");
            assert_eq!((s.raw.limits.ip_failures, s.raw.limits.account_lock_after), (100, 10), "DESIGN.md defaults");
            assert_eq!(s.raw.tokens.sign_in_ttl, 600);
            Ok(())
        });
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file("latch.toml", "listen = \"0.0.0.0:9000\"\n[database]\npool_size = 3\n")?;
            jail.set_env("LATCH_DATABASE__POOL_SIZE", "7");
            jail.set_env("LATCH_ADMIN_PASSWORD", "20240917");
            jail.set_env("LATCH_TEST_DATABASE_URL", "postgres://ignored");
            let s = load(None).expect("loads");
            assert_eq!(s.raw.listen.port(), 9000);
            assert_eq!(s.raw.database.pool_size, 7);
            assert_eq!(s.raw.admin_password.as_deref(), Some("20240917"), "numeric env values stay strings");
            Ok(())
        });
    }

    #[test]
    fn smtp_and_client_documents_come_from_the_environment_too() {
        Jail::expect_with(|jail| {
            jail.set_env("LATCH_SMTP__HOST", "smtp.example.com");
            jail.set_env("LATCH_SMTP__TLS", "tls");
            jail.set_env("LATCH_SMTP__USERNAME", "4242");
            jail.set_env("LATCH_SMTP__PASSWORD", "123456");
            jail.set_env("LATCH_CLIENT_DOCUMENTS__ALLOW_LOOPBACK", "true");
            let s = load(None).expect("loads");
            assert_eq!(s.raw.smtp.host.as_deref(), Some("smtp.example.com"));
            assert_eq!(s.raw.smtp.tls, SmtpTls::Tls);
            assert_eq!(s.raw.smtp.username.as_deref(), Some("4242"), "numeric env values stay strings");
            assert_eq!(s.raw.smtp.password.as_deref(), Some("123456"));
            assert!(s.raw.client_documents.allow_loopback);
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases: &[(&str, &str, &str)] = &[
            ("LATCH_LISTEN", "not-an-address", "listen"),
            ("LATCH_DATABASE__POOL_SIZE", "lots", "pool_size"),
            ("LATCH_CACHE__URL", "memcached://x", "cache.url"),
            ("LATCH_PUBLIC_URL", "ftp://example.com", "public_url"),
            ("LATCH_SECRET_KEY", "c2hvcnQ=", "secret_key"),
            ("LATCH_DATABASE__URL", "postgres://db/latch", "secret_key"),
            ("LATCH_LOG__FORMAT", "xml", "format"),
            ("LATCH_TOKENS__CODE_TTL", "0", "tokens.code_ttl"),
            ("LATCH_TOKENS__SIGN_IN_TTL", "0", "tokens.sign_in_ttl"),
            ("LATCH_LIMITS__IP_FAILURES", "0", "limits.ip_failures"),
            ("LATCH_LIMITS__ACCOUNT_DELAY_AFTER", "11", "limits.account_delay_after"),
            ("LATCH_PASSWORD_HASH__QUEUE", "0", "password_hash.queue"),
            ("LATCH_CACHE__MEMORY_MAX_MIB", "0", "cache.memory_max_mib"),
            ("LATCH_TLS__CERT", "/etc/latch/cert.pem", "tls.key"),
            ("LATCH_TLS__KEY", "/etc/latch/key.pem", "tls.cert"),
        ];
        for (var, value, key) in cases {
            Jail::expect_with(|jail| {
                jail.set_env(var, value);
                let err = load(None).expect_err("must fail").to_string().to_lowercase();
                assert!(err.contains(key), "{var}={value}: {err}");
                Ok(())
            });
        }
    }

    #[test]
    fn built_in_tls_means_an_https_public_url() {
        Jail::expect_with(|jail| {
            jail.set_env("LATCH_TLS__CERT", "cert.pem");
            jail.set_env("LATCH_TLS__KEY", "key.pem");
            let s = load(None).expect("loads");
            assert_eq!(s.public_url, "https://127.0.0.1:8080", "the default public URL follows the listener");
            jail.set_env("LATCH_PUBLIC_URL", "http://idp.example.com");
            let err = load(None).expect_err("http with TLS").to_string();
            assert!(err.contains("public_url") && err.contains("https"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn credentials_are_masked_for_output() {
        let cases = [
            ("postgres://u:hunter2@h/db", "postgres://u:***@h/db"),
            ("postgres://u:p%40ss:w@h:5432/db?sslmode=require", "postgres://u:***@h:5432/db?sslmode=require"),
            ("redis://:hunter3@cache:6379/0", "redis://:***@cache:6379/0"),
            ("postgres://u@h/db?password=hunter2&sslmode=require", "postgres://u@h/db?password=***&sslmode=require"),
            ("postgres://h/db", "postgres://h/db"),
            ("./data/latch.db", "./data/latch.db"),
            ("memory://", "memory://"),
            ("redis://cache:6379/0?x=a@b:c", "redis://cache:6379/0?x=a@b:c"),
        ];
        for (url, want) in cases {
            assert_eq!(mask_credentials(url), want, "{url}");
        }
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        Jail::expect_with(|jail| {
            jail.create_file("latch.toml", "listne = \"0.0.0.0:9000\"\n")?;
            let err = load(None).expect_err("typo").to_string();
            assert!(err.contains("listne"), "{err}");
            Ok(())
        });
    }
}

//! The providers a run compares, each started here and described the same way: the reference
//! peer (`../shared/peers/oidc-provider`, argon2id), Latch on SQLite + memory, Latch on
//! Postgres + Redis. A target is stopped (and its database dropped) when dropped.

use crate::measure::Procs;
use anyhow::{Context, bail};
use base64::Engine as _;
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

const BENCH_TOML: &str = include_str!("bench.toml");

#[derive(Debug, Clone)]
pub struct OauthClient {
    pub id: String,
    pub secret: String,
}

/// What the scenarios need to know of a provider; the endpoints come from its discovery.
#[derive(Debug, Clone)]
pub struct Described {
    pub name: String,
    pub issuer: String,
    pub token: String,
    pub authorization: String,
    pub userinfo: String,
    pub introspection: String,
    pub jwks: String,
    pub username: String,
    pub password: String,
    /// Confidential web app (`client_secret_basic`), authorization code with PKCE + refresh.
    pub web: OauthClient,
    pub redirect_uri: String,
    /// Machine-to-machine client for `client_credentials`.
    pub m2m: OauthClient,
    pub resource: String,
    /// A resource whose access tokens are ES256 (Latch only), with the same scope.
    pub es256_resource: Option<String>,
    pub resource_scope: String,
    /// Scopes of a normal sign-in.
    pub login_scope: String,
}

/// A running provider.
#[derive(Debug)]
pub struct Target {
    pub d: Arc<Described>,
    /// The provider's own process (memory is read off it).
    pub pid: u32,
    /// Whose CPU an operation costs: the provider, plus its database and cache.
    pub procs: Vec<Procs>,
    child: Child,
    /// Held for its `Drop`: the run's database goes after the server.
    _database: Option<Cleanup>,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
struct Cleanup {
    psql_url: String,
    database: String,
}

impl Drop for Target {
    fn drop(&mut self) {
        // Before the database goes: a connected server would keep it from being dropped.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The run's own Postgres database, dropped with it (also when Latch never started).
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = psql(&self.psql_url, &format!("DROP DATABASE IF EXISTS {}", self.database));
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let out = Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output().context("running psql")?;
    if !out.status.success() {
        bail!("psql {sql}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

async fn discover(target: &mut Described) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = format!("{}/.well-known/openid-configuration", target.issuer);
    let mut last = String::new();
    for _ in 0..150 {
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let d: serde_json::Value = r.json().await?;
                let at = |k: &str| d[k].as_str().map(str::to_owned).with_context(|| format!("discovery has no {k}"));
                target.token = at("token_endpoint")?;
                target.authorization = at("authorization_endpoint")?;
                target.userinfo = at("userinfo_endpoint")?;
                target.introspection = at("introspection_endpoint")?;
                target.jwks = at("jwks_uri")?;
                return Ok(());
            }
            Ok(r) => last = r.status().to_string(),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{} did not answer discovery: {last}", target.name)
}

/// How Latch keeps its data in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    SqliteMemory,
    PostgresRedis,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::SqliteMemory => "Latch SQLite + memory",
            Backend::PostgresRedis => "Latch Postgres + Redis",
        }
    }
}

/// Latch from `bin`, loaded with `bench.toml` through `latch import`.
pub async fn latch(bin: &Path, backend: Backend, postgres: &str, redis: &str) -> anyhow::Result<Target> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bench.toml");
    std::fs::write(&file, BENCH_TOML)?;
    let port = free_port()?;
    let mut env: Vec<(&str, String)> = vec![
        ("LATCH_DATA_DIR", dir.path().display().to_string()),
        ("LATCH_LISTEN", format!("127.0.0.1:{port}")),
        ("LATCH_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("LATCH_LOG__LEVEL", "warn".to_owned()),
        // Every simulated user comes from 127.0.0.1 and signs in as the same account, many at
        // once: lift the per-address limit on new sign-ins and the per-account delay and lock,
        // which count an attempt before its password is checked (a real deployment keeps them).
        ("LATCH_LIMITS__INTERACTIONS_PER_IP", "1000000000".to_owned()),
        ("LATCH_LIMITS__ACCOUNT_DELAY_AFTER", "1000000000".to_owned()),
        ("LATCH_LIMITS__ACCOUNT_LOCK_AFTER", "1000000000".to_owned()),
    ];
    let mut cleanup = None;
    let mut procs = Vec::new();
    if backend == Backend::PostgresRedis {
        let database = format!("latch_bench_{}_{port}", std::process::id());
        psql(postgres, &format!("CREATE DATABASE {database}"))?;
        let mut url = url::Url::parse(postgres).context("--postgres")?;
        url.set_path(&database);
        env.push(("LATCH_DATABASE__URL", url.to_string()));
        env.push(("LATCH_CACHE__URL", redis.to_owned()));
        env.push(("LATCH_CACHE__KEY_PREFIX", format!("{database}:")));
        let mut key = [0u8; 32];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut key)?;
        env.push(("LATCH_SECRET_KEY", base64::engine::general_purpose::STANDARD.encode(key)));
        cleanup = Some(Cleanup { psql_url: postgres.to_owned(), database });
        procs.extend([Procs::Named("postgres"), Procs::Named("redis-server")]);
    }
    let command = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args).stdout(Stdio::null()).env_remove("RUST_LOG");
        for (k, v) in &env {
            c.env(k, v);
        }
        c
    };
    let imported = command(&["import", &file.display().to_string()]).status().context("running latch import");
    if !imported?.success() {
        bail!("latch import failed");
    }
    let child = command(&["serve"]).spawn().context("starting latch serve")?;
    let pid = child.id();
    procs.insert(0, Procs::Pid(pid));
    let mut d = Described {
        name: backend.label().to_owned(),
        issuer: format!("http://127.0.0.1:{port}/oidc"),
        token: String::new(),
        authorization: String::new(),
        userinfo: String::new(),
        introspection: String::new(),
        jwks: String::new(),
        username: "bench".to_owned(),
        password: "bench password 0123".to_owned(),
        web: OauthClient {
            id: "bench-web".to_owned(),
            secret: "bench-web-secret-0123456789abcdefghijklmnopqrs".to_owned(),
        },
        redirect_uri: "https://bench.example.com/callback".to_owned(),
        m2m: OauthClient {
            id: "bench-robot".to_owned(),
            secret: "bench-robot-secret-0123456789abcdefghijklmnop".to_owned(),
        },
        resource: "https://bench.example.com/api".to_owned(),
        es256_resource: Some("https://bench.example.com/es256".to_owned()),
        resource_scope: "read".to_owned(),
        login_scope: "openid email".to_owned(),
    };
    let target = |d| Target { d: Arc::new(d), pid, procs, child, _database: cleanup, _dir: dir };
    match discover(&mut d).await {
        Ok(()) => Ok(target(d)),
        Err(e) => {
            drop(target(d));
            Err(e)
        }
    }
}

/// The reference peer with argon2id passwords. Its files are copied out of `source` (a shared,
/// read-only folder) into `work`, where its npm dependencies are installed once.
pub async fn peer(source: &Path, work: &Path) -> anyhow::Result<Target> {
    std::fs::create_dir_all(work)?;
    for file in ["package.json", "package-lock.json", "server.mjs"] {
        let from = source.join(file);
        let to = work.join(file);
        let new = std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
        if std::fs::read(&to).ok().as_deref() != Some(new.as_slice()) {
            std::fs::write(&to, new)?;
            let _ = std::fs::remove_dir_all(work.join("node_modules"));
        }
    }
    if !work.join("node_modules").exists() {
        eprintln!("installing the peer's npm dependencies in {}", work.display());
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(work)
            .status()
            .context("running npm ci (is npm installed?)")?
            .success();
        if !ok {
            bail!("npm ci failed in {}", work.display());
        }
    }
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("target.json");
    let port = free_port()?;
    let mut child = Command::new("node")
        .args(["server.mjs", "--port", &port.to_string(), "--hash", "argon2id", "--quiet", "--target"])
        .arg(&file)
        .current_dir(work)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting node server.mjs")?;
    let stdout = child.stdout.take().context("the peer's stdout")?;
    let ready = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.starts_with("READY "))
    });
    let ready = tokio::time::timeout(Duration::from_secs(60), ready).await;
    if !matches!(ready, Ok(Ok(true))) {
        let _ = child.kill();
        bail!("the peer did not print READY");
    }
    let d: serde_json::Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned).context("target.json field");
    let pid = child.id();
    let mut described = Described {
        name: d["name"].as_str().unwrap_or("oidc-provider").to_owned(),
        issuer: s(&d["issuer"])?,
        token: String::new(),
        authorization: String::new(),
        userinfo: String::new(),
        introspection: String::new(),
        jwks: String::new(),
        username: s(&d["user"]["username"])?,
        password: s(&d["user"]["password"])?,
        web: OauthClient {
            id: s(&d["clients"]["web"]["client_id"])?,
            secret: s(&d["clients"]["web"]["client_secret"])?,
        },
        redirect_uri: s(&d["clients"]["web"]["redirect_uri"])?,
        m2m: OauthClient {
            id: s(&d["clients"]["m2m"]["client_id"])?,
            secret: s(&d["clients"]["m2m"]["client_secret"])?,
        },
        resource: s(&d["resource"]["indicator"])?,
        es256_resource: None,
        resource_scope: s(&d["resource"]["scopes"][0])?,
        login_scope: s(&d["scopes"]["login"])?,
    };
    let target = |d| Target { d: Arc::new(d), pid, procs: vec![Procs::Pid(pid)], child, _database: None, _dir: dir };
    match discover(&mut described).await {
        Ok(()) => Ok(target(described)),
        Err(e) => {
            drop(target(described));
            Err(e)
        }
    }
}

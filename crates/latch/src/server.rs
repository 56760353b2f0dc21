//! `latch serve`: opens the stores, builds the actix-web application and runs it until
//! SIGTERM/SIGINT, letting in-flight requests finish.

use crate::config::Settings;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Condition, DefaultHeaders};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use anyhow::Context;
use latch_core::{Core, CoreDeps, RateLimits};
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::repo::Repositories;
use latch_domain::{Clock, Random};
use latch_idp::IdpState;
use latch_oidc::crypto::random_16;
use latch_oidc::password::PasswordHasher;
use latch_store::{OsRandom, SystemClock};
use serde_json::json;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::{RequestId, TracingLogger};

/// Everything a running node holds.
#[derive(Clone)]
pub struct Node {
    pub settings: Arc<Settings>,
    pub repos: Arc<dyn Repositories>,
    pub cache: Arc<dyn EphemeralStore>,
    /// The shared services: the admin API's state, and what the IdP wraps.
    pub core: web::Data<Core>,
    pub idp: web::Data<IdpState>,
}

/// Opens the durable and ephemeral stores named by the settings.
pub async fn open_node(settings: Settings) -> anyhow::Result<Node> {
    open_node_with_clock(settings, Arc::new(SystemClock)).await
}

/// [`open_node`] with a given clock (tests move time forward).
pub async fn open_node_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Node> {
    let (url, pool) = (settings.database_url.clone(), settings.raw.database.pool_size);
    let db = tokio::task::spawn_blocking(move || latch_store::Db::open(&url, pool))
        .await
        .context("opening the database")?
        .with_context(|| format!("opening the {} database", if settings.postgres { "Postgres" } else { "SQLite" }))?;
    let cache = latch_store::connect_ephemeral_with(
        &settings.raw.cache.url,
        &settings.raw.cache.key_prefix,
        settings.raw.cache.memory_max_mib.saturating_mul(1024 * 1024),
    )
    .context("opening the cache")?;
    let repos: Arc<dyn Repositories> = Arc::new(db);
    let secret = crate::secrets::secret_key(&settings)?;
    let random: Arc<dyn Random> = Arc::new(OsRandom);
    let grace = settings.raw.keys.grace_period;
    let keys =
        latch_core::commands::ensure_signing_keys(repos.as_ref(), &secret, clock.as_ref(), random.as_ref(), grace)
            .await
            .context("loading the signing keys")?;
    let ph = &settings.raw.password_hash;
    let hasher = PasswordHasher::new(
        ph.memory_kib,
        ph.iterations,
        ph.parallelism,
        &random_16(random.as_ref()),
        &random_16(random.as_ref()),
    )
    .context("setting up password hashing")?;
    let core_settings = latch_core::Settings {
        issuer: settings.issuer.clone(),
        public_url: settings.public_url.clone(),
        access_token_ttl: settings.raw.tokens.access_token_ttl,
        id_token_ttl: settings.raw.tokens.id_token_ttl,
        code_ttl: settings.raw.tokens.code_ttl,
        interaction_ttl: settings.raw.tokens.interaction_ttl,
        sign_in_ttl: settings.raw.tokens.sign_in_ttl,
        session_ttl: settings.raw.session.ttl,
        session_idle_timeout: settings.raw.session.idle_timeout,
        trust_forwarded_for: settings.raw.trust_forwarded_for,
        key_grace_period: grace,
        key_rotation_interval: settings.raw.keys.rotation_days.saturating_mul(86_400),
        limits: RateLimits {
            ip_failures: settings.raw.limits.ip_failures,
            account_delay_after: settings.raw.limits.account_delay_after,
            account_lock_after: settings.raw.limits.account_lock_after,
            failure_window: settings.raw.limits.failure_window_secs,
            interactions_per_ip: settings.raw.limits.interactions_per_ip,
            interaction_window: settings.raw.limits.interaction_window_secs,
            sign_ups_per_hour: settings.raw.limits.sign_ups_per_hour,
        },
        hash_queue: settings.raw.password_hash.queue,
    };
    let deps = CoreDeps { repos: repos.clone(), cache: cache.clone(), clock, random, hasher };
    use latch_domain::mail::MailSender as _;
    let mut core = Core::new(core_settings, deps, &secret, keys);
    if let Some(sender) = crate::mail::SmtpSender::from_config(&settings.raw.smtp)? {
        let s = sender.settings();
        tracing::info!(host = %s.host, port = s.port, tls = s.tls, "email goes through SMTP");
        core = core.with_mail(std::sync::Arc::new(sender));
    }
    let core = web::Data::new(core);
    let outcome = crate::bootstrap::run(&core, settings.raw.admin_password.as_deref())
        .await
        .context("bootstrapping the admin API")?;
    if let Some(pw) = &outcome.generated_password {
        // Printed once (to stderr, away from any command's JSON output), on the first start of
        // an empty database, and never stored in clear.
        eprintln!(
            "\n  Latch created the first admin user.\n    username: {}\n    password: {pw}\n  \
             Keep it now: it is not shown again.\n",
            crate::bootstrap::FIRST_ADMIN
        );
    } else if outcome.created_admin {
        tracing::info!(
            username = crate::bootstrap::FIRST_ADMIN,
            "created the first admin user with LATCH_ADMIN_PASSWORD"
        );
    }
    latch_core::commands::reload_idp_branding(&core).await.context("reading the sign-in experience")?;
    latch_core::commands::reload_registration_policy(&core).await.context("reading the registration policy")?;
    let documents = document_fetcher(&settings.raw.client_documents)?;
    let idp = web::Data::new(IdpState::new(core.clone().into_inner()).with_documents(documents));
    tokio::spawn(latch_core::catalog::listen(core.clone().into_inner()));
    // Key upkeep: expired previous keys go, the schedule rotates, other nodes' changes load.
    let upkeep = core.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = latch_core::commands::maintain_keys(&upkeep).await {
                tracing::warn!(error = %e, "signing-key upkeep failed; retrying in a minute");
            }
            // Announcements carry branding changes at once; this catches one that was lost.
            if let Err(e) = latch_core::commands::reload_idp_branding(&upkeep).await {
                tracing::warn!(error = %e, "cannot reload the sign-in experience; retrying in a minute");
            }
            if let Err(e) = latch_core::commands::reload_registration_policy(&upkeep).await {
                tracing::warn!(error = %e, "cannot reload the registration policy; retrying in a minute");
            }
        }
    });
    Ok(Node { settings: Arc::new(settings), repos, cache, core, idp })
}

/// Builds a server on an already bound listener (tests bind port 0).
pub fn build_server(node: Node, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = match node.settings.raw.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let shutdown = node.settings.raw.shutdown_timeout_secs;
    let idp = node.idp.clone();
    let core = node.core.clone();
    let console_dir = node.settings.raw.console_dir.clone();
    let tls = crate::tls::Certificate::load(&node.settings.raw.tls)?;
    let reload = Duration::from_secs(node.settings.raw.tls.reload_interval_secs);
    let hsts = hsts(&node.settings);
    crate::metrics::handle()?;
    let data = web::Data::new(node);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(Condition::new(
                hsts.is_some(),
                DefaultHeaders::new().add(("strict-transport-security", hsts.clone().unwrap_or_default())),
            ))
            // actix-web's own 404 / 405 / 413 answers on the IdP's paths, in the IdP's forms.
            .wrap_fn(|req, srv| {
                let fut = srv.call(req);
                async move { Ok(latch_idp::framework_answer(fut.await?.map_into_boxed_body())) }
            })
            .wrap_fn(|req, srv| {
                let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<crate::telemetry::PathOnlySpans>::new())
            .wrap_fn(|req, srv| {
                let started = crate::metrics::start(&req);
                let fut = srv.call(req);
                async move {
                    let res = fut.await?;
                    crate::metrics::record(started.0, started.1, &res);
                    Ok(res)
                }
            })
            .route("/healthz", web::get().to(healthz))
            .route("/metrics", web::get().to(crate::metrics::page))
            .route("/readyz", web::get().to(readyz))
            .configure(latch_idp::routes(idp.clone()))
            .configure(latch_admin::routes(core.clone()))
            .configure(crate::console::routes(console_dir.clone()))
    })
    .workers(workers)
    .shutdown_timeout(shutdown);
    let server = match tls {
        Some(certificate) => {
            let config = certificate.server_config()?;
            tokio::spawn(certificate.watch(reload));
            server.listen_rustls_0_23(listener, config)
        }
        None => server.listen(listener),
    }
    .context("starting the HTTP server")?
    .run();
    Ok(server)
}

/// The `Strict-Transport-Security` value (RFC 6797 §6.1) when users reach Latch over https,
/// through its own TLS or a proxy's; browsers ignore it on plain http (§8.1).
fn hsts(settings: &Settings) -> Option<String> {
    let max_age = settings.raw.tls.hsts_max_age;
    (settings.public_url.starts_with("https://") && max_age > 0).then(|| format!("max-age={max_age}"))
}

/// Runs the server on the configured address until a shutdown signal.
pub fn serve_blocking(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let listen = settings.raw.listen;
        // A certificate that cannot be used stops the start before anything is created.
        crate::tls::Certificate::load(&settings.raw.tls)?;
        let node = open_node(settings).await?;
        let listener = TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
        tracing::info!(
            listen = %listen,
            public_url = %node.settings.public_url,
            database = node.repos.backend(),
            cache = node.cache.backend(),
            tls = node.settings.raw.tls.cert.is_some(),
            "Latch is listening"
        );
        build_server(node, listener)?.await.context("server failed")?;
        tracing::info!("Latch stopped");
        Ok(())
    })
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 only when the database and the cache both answer; 503 naming what is down otherwise.
/// One store's answer to a health ping: why it is down (`None` when it answered), and how long
/// the ping took.
pub(crate) struct Probe {
    pub error: Option<String>,
    pub seconds: f64,
}

/// Pings the database and the cache at once, each given 2 s (`/readyz` and `/metrics`).
pub(crate) async fn probe_stores(node: &Node) -> (Probe, Probe) {
    async fn probe<E: std::fmt::Display>(ping: impl Future<Output = Result<(), E>>) -> Probe {
        let started = std::time::Instant::now();
        let error = match tokio::time::timeout(Duration::from_secs(2), ping).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("timed out after 2 s".to_owned()),
        };
        Probe { error, seconds: started.elapsed().as_secs_f64() }
    }
    tokio::join!(probe(node.repos.ping()), probe(node.cache.ping()))
}

async fn readyz(node: web::Data<Node>) -> HttpResponse {
    let (db, cache) = probe_stores(&node).await;
    let (db, cache) = (db.error, cache.error);
    let check = |backend: &str, err: &Option<String>| match err {
        None => json!({"status": "up", "backend": backend}),
        Some(e) => json!({"status": "down", "backend": backend, "error": e}),
    };
    let down: Vec<&str> =
        [("database", &db), ("cache", &cache)].iter().filter(|(_, e)| e.is_some()).map(|(n, _)| *n).collect();
    let body = json!({
        "status": if down.is_empty() { "ready" } else { "unavailable" },
        "down": down,
        "checks": {
            "database": check(node.repos.backend(), &db),
            "cache": check(node.cache.backend(), &cache),
        },
    });
    if down.is_empty() {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(?down, "not ready");
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The Client ID Metadata Document fetcher `config` describes, its extra roots read now.
fn document_fetcher(config: &crate::config::ClientDocumentsConfig) -> anyhow::Result<latch_idp::DocumentFetcher> {
    let pem = match &config.extra_roots {
        Some(path) => Some(
            std::fs::read(path).with_context(|| format!("reading client_documents.extra_roots {}", path.display()))?,
        ),
        None => None,
    };
    if config.allow_loopback {
        tracing::warn!("client_documents.allow_loopback is on: metadata documents may be fetched from this host");
    }
    latch_idp::DocumentFetcher::new(config.allow_loopback, pem.as_deref())
        .map_err(|e| anyhow::anyhow!("client_documents.extra_roots: {e}"))
}

//! Starts a real Latch server in-process on a random port, on the backends a test asks for.

use latch::config::Config;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::Repositories;
use latch_oidc::password::PasswordHasher;
use latch_testing::{self as testing, TestDb};
use std::net::TcpListener;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backends {
    /// SQLite file + in-memory ephemeral store: the embedded default.
    Embedded,
    /// Postgres + Redis: the production shape.
    Production,
}

pub struct TestServer {
    pub base: String,
    pub issuer: String,
    pub repos: Arc<dyn Repositories>,
    pub hasher: PasswordHasher,
    pub core: actix_web::web::Data<latch_core::Core>,
    /// The server's clock: real time plus an offset tests can move forward.
    pub clock: Arc<TestClock>,
    _db: Arc<TestDb>,
    _data: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
}

impl TestServer {
    /// Starts a server, or returns `None` when the Production backends are not configured
    /// outside CI (in CI they are required and their absence fails the test).
    pub async fn start(backends: Backends) -> Option<TestServer> {
        Self::start_with(backends, |_| {}).await
    }

    pub async fn start_with(backends: Backends, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let (db, cache_url) = match backends {
            Backends::Embedded => (TestDb::sqlite(), "memory://".to_owned()),
            Backends::Production => production_db()?,
        };
        Some(Self::launch(Arc::new(db), cache_url, None, tweak).await)
    }

    /// Two nodes on one Postgres database and one Redis (the production shape), or `None`
    /// outside CI when those are not configured.
    pub async fn start_pair() -> Option<(TestServer, TestServer)> {
        let (db, redis) = production_db()?;
        let db = Arc::new(db);
        // The database name is unique per test: so is the nodes' shared Redis prefix.
        let prefix = format!("latch_test:{}:", db.url.rsplit('/').next().unwrap_or("pair"));
        let a = Self::launch(db.clone(), redis.clone(), Some(prefix.clone()), |_| {}).await;
        let b = Self::launch(db, redis, Some(prefix), |_| {}).await;
        Some((a, b))
    }

    async fn launch(
        db: Arc<TestDb>,
        cache_url: String,
        prefix: Option<String>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        let data = tempfile::tempdir().expect("tempdir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config {
            listen: addr,
            public_url: Some(format!("http://{addr}")),
            data_dir: data.path().to_owned(),
            ..Config::default()
        };
        config.database.url = Some(db.url.clone());
        config.database.pool_size = 4;
        config.cache.url = cache_url;
        // Each server its own Redis keys unless it is one node of several: rate-limit
        // counters must not leak between tests.
        // A port is used again by later servers of the same run: the prefix also counts servers,
        // or one could start with another's counters.
        static SERVERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        config.cache.key_prefix =
            prefix.unwrap_or_else(|| format!("latch_test:{}:{}:{n}:", std::process::id(), addr.port()));
        config.secret_key = Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned());
        config.admin_password = Some("correct horse battery staple".to_owned());
        // Cheap hashing keeps sign-in tests fast; the product default stays at OWASP strength.
        config.password_hash.memory_kib = 64;
        config.password_hash.iterations = 1;
        config.workers = 2;
        config.shutdown_timeout_secs = 1;
        tweak(&mut config);
        let settings = latch::config::validate(config).expect("valid test config");
        let clock = Arc::new(TestClock::default());
        let node = latch::server::open_node_with_clock(settings, clock.clone()).await.expect("open node");
        let repos = node.repos.clone();
        let hasher = node.core.hasher.clone();
        let core = node.core.clone();
        let issuer = node.settings.issuer.clone();
        let server = latch::server::build_server(node, listener).expect("server");
        let handle = server.handle();
        tokio::spawn(server);
        TestServer { base: format!("http://{addr}"), issuer, repos, hasher, core, clock, _db: db, _data: data, handle }
    }

    /// The URL of this server's test database.
    pub fn database_url(&self) -> &str {
        &self._db.url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop without waiting: the runtime of the test is going away anyway.
        drop(handle.stop(false));
    }
}

/// Declares one test per backend pair for an async body taking `&TestServer`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let server = $crate::harness::TestServer::start($crate::harness::Backends::Embedded).await.expect("embedded");
                super::$name(&server).await;
            })*
        }
        mod production {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
            async fn $name() {
                let Some(server) = $crate::harness::TestServer::start($crate::harness::Backends::Production).await else { return };
                super::$name(&server).await;
            })*
        }
    };
}

fn production_db() -> Option<(TestDb, String)> {
    let (Some(pg), Some(redis)) = (testing::postgres_url(), testing::redis_url()) else {
        testing::skipped("LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL");
        return None;
    };
    Some((TestDb::postgres(&pg).expect("postgres test database"), redis))
}

/// A client as a test registers it: its id, and its secret when confidential.
#[derive(Clone, Debug)]
pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestServer {
    /// Registers an application directly in the store.
    pub async fn app(&self, id: &str, app_type: AppType, third_party: bool, redirect_uris: &[&str]) -> TestClient {
        self.app_with(id, app_type, third_party, redirect_uris, CustomClientMetadata::default()).await
    }

    pub async fn app_with(
        &self,
        id: &str,
        app_type: AppType,
        third_party: bool,
        redirect_uris: &[&str],
        custom: CustomClientMetadata,
    ) -> TestClient {
        let app = Application {
            id: ApplicationId::from(id),
            name: format!("App {id}"),
            description: None,
            app_type,
            is_third_party: third_party,
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            post_logout_redirect_uris: vec![],
            custom,
            created_at: Timestamp(1_700_000_000),
        };
        self.repos.insert_application(&app).await.expect("insert app");
        if third_party {
            // Test third-party apps may ask for every user scope unless a test narrows that.
            let all: Vec<latch_domain::entities::ConsentScope> = latch_domain::scope::USER_SCOPES
                .iter()
                .map(|(s, _)| *s)
                .filter(|s| *s != latch_domain::scope::OPENID && *s != latch_domain::scope::OFFLINE_ACCESS)
                .map(|s| latch_domain::entities::ConsentScope {
                    scope_type: latch_domain::entities::ConsentScopeType::User,
                    scope_ref: s.to_owned(),
                    required: true,
                })
                .collect();
            self.repos.add_consent_scopes(&app.id, &all).await.expect("permissions");
        }
        let secret = if app_type.is_confidential() {
            let value = format!("secret-of-{id}-0123456789abcdefghijklmnopqrstuv");
            self.repos
                .insert_secret(&AppSecret {
                    application_id: app.id.clone(),
                    name: "default".into(),
                    hash: latch_oidc::crypto::token_hash(&value),
                    created_at: Timestamp(1_700_000_000),
                    expires_at: None,
                })
                .await
                .expect("insert secret");
            Some(value)
        } else {
            None
        };
        TestClient {
            id: id.to_owned(),
            secret,
            redirect_uri: redirect_uris.first().map(|s| s.to_string()).unwrap_or_default(),
        }
    }

    /// A client_credentials grant for `resource` with `client`'s secret: the JSON body of a 200.
    pub async fn client_credentials(&self, client: &TestClient, resource: &str) -> serde_json::Value {
        let res = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .basic_auth(&client.id, client.secret.as_ref())
            .form(&[("grant_type", "client_credentials"), ("resource", resource)])
            .send()
            .await
            .expect("token request");
        assert_eq!(res.status(), 200);
        res.json().await.expect("json")
    }

    /// A bearer token for the admin API, from a fresh machine-to-machine app holding the admin
    /// role, obtained with client_credentials like any script would.
    pub async fn admin_token(&self) -> String {
        let name = format!("admin-robot-{}", latch_oidc::crypto::random_token(self.core.random.as_ref(), 6));
        let (id, secret) = latch::bootstrap::create_m2m(&self.core, &name).await.expect("create-m2m");
        let res = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .basic_auth(id.as_str(), Some(secret))
            .form(&[("grant_type", "client_credentials"), ("resource", latch_admin::ADMIN_RESOURCE)])
            .send()
            .await
            .expect("token request");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["scope"], "all", "the admin-machine role holds the admin scope");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// A client for the admin API with the admin token set.
    pub async fn admin(&self) -> AdminClient {
        AdminClient {
            base: format!("{}/api", self.base),
            token: self.admin_token().await,
            http: reqwest::Client::new(),
        }
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn user(&self, username: &str) -> User {
        let mut user = User {
            id: UserId::from(format!("user-{username}").as_str()),
            username: Some(username.to_owned()),
            primary_email: Some(format!("{username}@example.com")),
            email_verified: true,
            name: Some(format!("{username} Example")),
            password_hash: Some(self.hasher.hash(PASSWORD, &[3; 16]).expect("hash")),
            custom_data: serde_json::json!({}),
            created_at: Timestamp(1_700_000_000),
            updated_at: Timestamp(1_700_000_000),
            ..Default::default()
        };
        user.profile.insert("given_name".into(), serde_json::json!(username));
        self.repos.insert_user(&user).await.expect("insert user");
        user
    }

    /// An API resource with the given scopes, and a role (of `role_type`) holding all of them.
    pub async fn resource(&self, indicator: &str, scopes: &[&str], role: &str, role_type: RoleType) -> Resource {
        let resource = Resource {
            id: ResourceId::from(format!("res-{role}").as_str()),
            name: format!("API {indicator}"),
            indicator: indicator.to_owned(),
            access_token_ttl: 600,
            access_token_signing_alg: "RS256".into(),
            created_at: Timestamp(1_700_000_000),
        };
        self.repos.insert_resource(&resource).await.expect("resource");
        let mut ids = Vec::new();
        for s in scopes {
            let id = ScopeId::from(format!("scope-{role}-{s}").as_str());
            self.repos
                .insert_scope(&Scope {
                    id: id.clone(),
                    resource_id: resource.id.clone(),
                    name: s.to_string(),
                    description: format!("{s} things"),
                })
                .await
                .expect("scope");
            ids.push(id);
        }
        let role = Role {
            id: RoleId::from(role),
            name: role.to_owned(),
            description: String::new(),
            role_type,
            created_at: Timestamp(1_700_000_000),
        };
        self.repos.insert_role(&role).await.expect("role");
        self.repos.add_role_scopes(&role.id, &ids).await.expect("role scopes");
        resource
    }
}

/// Calls the admin API as a script would.
pub struct AdminClient {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// An admin API answer: status, `Total-Number` when present, and the JSON body (or null).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub total: Option<i64>,
    pub body: serde_json::Value,
}

impl AdminClient {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.base, path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("admin call");
        let status = res.status().as_u16();
        let total = res.headers().get("total-number").and_then(|v| v.to_str().ok()?.parse().ok());
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        assert!(status < 500, "no 5xx from the admin API: {status} {text}");
        if status >= 400 {
            assert_eq!(content_type, "application/problem+json", "errors are problem documents: {text}");
            assert_eq!(body["status"], status, "{text}");
            assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "a stable code: {text}");
        }
        Answer { status, total, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> Answer {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> Answer {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(reqwest::Method::DELETE, path, None).await
    }
}

/// Real time plus an adjustable offset, so a test can jump past a grace period.
#[derive(Default)]
pub struct TestClock {
    offset: std::sync::atomic::AtomicI64,
}

impl TestClock {
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl latch_domain::Clock for TestClock {
    fn now(&self) -> Timestamp {
        let real = latch_domain::Clock::now(&latch_store::SystemClock);
        Timestamp(real.0 + self.offset.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// The Python of the tests' venv (`cargo xtask test` makes it: the MCP SDK, aiosmtpd), or
/// `None`, said skipped, when `LATCH_TEST_PYTHON` is unset.
pub fn test_python() -> Option<String> {
    let p = std::env::var("LATCH_TEST_PYTHON").ok().filter(|p| !p.is_empty());
    if p.is_none() {
        latch_testing::skipped("LATCH_TEST_PYTHON (cargo xtask test installs the tests' Python tools)");
    }
    p
}

//! Starts a real Latch server in-process on a random port, on the backends a test asks for.

use latch::config::Config;
use latch_store::testing::{self, TestDb};
use std::net::TcpListener;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backends {
    /// SQLite file + in-memory ephemeral store: the embedded default.
    Embedded,
    /// Postgres + Redis: the production shape.
    Production,
}

pub struct TestServer {
    pub base: String,
    _db: TestDb,
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
        let data = tempfile::tempdir().expect("tempdir");
        let (db, cache_url) = match backends {
            Backends::Embedded => (TestDb::sqlite(), "memory://".to_owned()),
            Backends::Production => {
                let (Some(pg), Some(redis)) = (testing::postgres_url(), testing::redis_url()) else {
                    assert!(!testing::required(), "CI requires LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL");
                    eprintln!("skipped: Postgres/Redis test URLs not set");
                    return None;
                };
                (TestDb::postgres(&pg).expect("postgres test database"), redis)
            }
        };
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
        config.secret_key = Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned());
        config.admin_password = Some("correct horse battery staple".to_owned());
        // Cheap hashing keeps sign-in tests fast; the product default stays at OWASP strength.
        config.password_hash.memory_kib = 64;
        config.password_hash.iterations = 1;
        config.workers = 2;
        config.shutdown_timeout_secs = 1;
        tweak(&mut config);
        let settings = latch::config::validate(config).expect("valid test config");
        let node = latch::server::open_node(settings).await.expect("open node");
        let server = latch::server::build_server(node, listener).expect("server");
        let handle = server.handle();
        tokio::spawn(server);
        Some(TestServer { base: format!("http://{addr}"), _db: db, _data: data, handle })
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
            async fn $name() {
                let Some(server) = $crate::harness::TestServer::start($crate::harness::Backends::Production).await else { return };
                super::$name(&server).await;
            })*
        }
    };
}

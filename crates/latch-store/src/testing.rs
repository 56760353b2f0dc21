//! Test support shared by the store's contract suite and the end-to-end tests: a fresh,
//! migrated database per test, on SQLite (a temporary file) or Postgres (its own database).

use crate::db::{Db, StoreError};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The Postgres server tests may use, from `LATCH_TEST_DATABASE_URL`.
pub fn postgres_url() -> Option<String> {
    std::env::var("LATCH_TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())
}

/// The Redis server tests may use, from `LATCH_TEST_REDIS_URL`.
pub fn redis_url() -> Option<String> {
    std::env::var("LATCH_TEST_REDIS_URL").ok().filter(|s| !s.is_empty())
}

/// True when `CI` is set: then Postgres and Redis are required, not optional.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// A database that exists for one test and is dropped after it.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Postgres { admin_url: String, name: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}_{}_{}", std::process::id(), nanos % 1_000_000_000, COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestDb {
    /// A new SQLite database file in the system's temporary directory.
    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("latch_test_{}.db", unique_suffix()));
        TestDb { url: path.to_string_lossy().into_owned(), cleanup: Cleanup::File(path) }
    }

    /// A new, empty Postgres database on the server `admin_url` points at.
    pub fn postgres(admin_url: &str) -> Result<TestDb, StoreError> {
        let name = format!("latch_test_{}", unique_suffix());
        let mut conn = PgConnection::establish(admin_url).map_err(|e| StoreError::Connect(e.to_string()))?;
        conn.batch_execute(&format!("CREATE DATABASE {name}")).map_err(|e| StoreError::Connect(e.to_string()))?;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        Ok(TestDb {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::Postgres { admin_url: admin_url.to_owned(), name },
        })
    }

    /// Opens and migrates the database.
    pub fn open(&self) -> Result<Db, StoreError> {
        Db::open(&self.url, 4)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{}", path.display(), suffix));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

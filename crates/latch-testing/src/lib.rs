//! Test support for the store's contract suite and the end-to-end tests (a dev-dependency only,
//! never part of the product): a fresh, migrated database per test, on SQLite (a temporary file
//! copied from a migrated template) or Postgres (its own database, `CREATE DATABASE … TEMPLATE`
//! a migrated one), and [`on_both_databases!`], the one per-backend test macro.

#![allow(clippy::expect_used)]

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use latch_store::{Db, StoreError};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Declares, for each `name`, a test on a fresh SQLite database and one on a fresh Postgres
/// database, each calling `name(&Db)`. Without `LATCH_TEST_DATABASE_URL` the Postgres test is
/// ignored (`test_backends.rs`, the calling crate's build script), and fails under CI, which
/// requires it.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let t = $crate::TestDb::sqlite();
                let db = t.open().expect("open sqlite");
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(latch_no_test_postgres, ignore = "set LATCH_TEST_DATABASE_URL to run it on Postgres")]
            async fn $name() {
                let Some(url) = $crate::postgres_url() else {
                    $crate::skipped("LATCH_TEST_DATABASE_URL");
                    return;
                };
                let t = $crate::TestDb::postgres(&url).expect("create postgres test database");
                let db = t.open().expect("open postgres");
                super::$name(&db).await;
            })*
        }
    };
}

/// Reports a test that cannot run here: on stderr, as `skipped`, or as a failure under CI,
/// where every backend is required.
pub fn skipped(missing: &str) {
    assert!(!required(), "CI requires {missing}");
    eprintln!("skipped: {missing} is not set");
}

/// A fingerprint of the migrations of `backend` (`sqlite` or `postgres`): the template
/// databases are rebuilt whenever a migration changes.
fn migrations_fingerprint(backend: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(backend);
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    entries.sort();
    // FNV-1a over every migration's name and up.sql.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in entries {
        let mut bytes = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default().into_bytes();
        bytes.extend(std::fs::read(path.join("up.sql")).unwrap_or_default());
        for b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// A migrated SQLite file this process copies for each test.
fn sqlite_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!(
            "latch_template_{}_{}.db",
            migrations_fingerprint("sqlite"),
            unique_suffix()
        ));
        let url = path.to_string_lossy().into_owned();
        drop(Db::open(&url, 1).expect("migrate the SQLite template"));
        // Everything into the main file, so that a plain copy carries it.
        let mut conn = SqliteConnection::establish(&url).expect("reopen the SQLite template");
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .expect("checkpoint the SQLite template");
        path
    })
}

/// The name of a migrated Postgres database on `admin_url`'s server that new test databases
/// are created from, made once per migration set (a crashed earlier run leaves nothing half
/// made: the template is built under a temporary name and renamed when complete).
fn postgres_template(admin_url: &str) -> Result<&'static str, StoreError> {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    if let Some(name) = TEMPLATE.get() {
        return Ok(name);
    }
    let name = format!("latch_template_{}", migrations_fingerprint("postgres"));
    let connect = |url: &str| PgConnection::establish(url).map_err(|e| StoreError::Connect(e.to_string()));
    let mut conn = connect(admin_url)?;
    let exists = diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    ));
    let exists: bool = diesel::select(exists).get_result(&mut conn).map_err(|e| StoreError::Connect(e.to_string()))?;
    if !exists {
        let building = format!("latch_template_build_{}", unique_suffix());
        conn.batch_execute(&format!("CREATE DATABASE {building}")).map_err(|e| StoreError::Connect(e.to_string()))?;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        drop(Db::open(&format!("{base}/{building}"), 1)?);
        // Another process may have finished its template first: then ours goes.
        if conn.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}")).is_err() {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
        }
    }
    Ok(TEMPLATE.get_or_init(|| name))
}

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
    /// A new SQLite database file in the system's temporary directory, already migrated (a
    /// copy of this process's template).
    pub fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("latch_test_{}.db", unique_suffix()));
        std::fs::copy(sqlite_template(), &path).expect("copy the SQLite template");
        TestDb { url: path.to_string_lossy().into_owned(), cleanup: Cleanup::File(path) }
    }

    /// A new SQLite database file that nothing has migrated (for the migration tests).
    pub fn sqlite_empty() -> TestDb {
        let path = std::env::temp_dir().join(format!("latch_test_{}.db", unique_suffix()));
        TestDb { url: path.to_string_lossy().into_owned(), cleanup: Cleanup::File(path) }
    }

    /// A new Postgres database on the server `admin_url` points at, already migrated (created
    /// from the migrated template).
    pub fn postgres(admin_url: &str) -> Result<TestDb, StoreError> {
        let template = postgres_template(admin_url)?;
        TestDb::postgres_from(admin_url, &format!("TEMPLATE {template}"))
    }

    /// A new, empty Postgres database that nothing has migrated (for the migration tests).
    pub fn postgres_empty(admin_url: &str) -> Result<TestDb, StoreError> {
        TestDb::postgres_from(admin_url, "")
    }

    fn postgres_from(admin_url: &str, template: &str) -> Result<TestDb, StoreError> {
        let name = format!("latch_test_{}", unique_suffix());
        let mut conn = PgConnection::establish(admin_url).map_err(|e| StoreError::Connect(e.to_string()))?;
        conn.batch_execute(&format!("CREATE DATABASE {name} {template}"))
            .map_err(|e| StoreError::Connect(e.to_string()))?;
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

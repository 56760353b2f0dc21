//! Connection pool over either backend, migrations, and the blocking-to-async bridge.

use crate::private_files;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use latch_domain::repo::{RepoError, RepoResult};
use std::path::PathBuf;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// One connection type for both backends, so every query is written once.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database url `{0}` is neither postgres://… nor a SQLite path (sqlite://… or a file path)")]
    BadUrl(String),
    #[error("cannot create the directory for the SQLite database {0}: {1}")]
    Directory(PathBuf, std::io::Error),
    #[error("cannot create or restrict the SQLite database file {0}: {1}")]
    File(PathBuf, std::io::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migrations failed: {0}")]
    Migrate(String),
}

/// Opens connections of the backend the URL names, never guessing: a Postgres URL that fails
/// to connect is an error, not a SQLite file with a strange name.
#[derive(Debug)]
struct Manager {
    backend: Backend,
    target: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; busy_timeout queues writers instead of
                // failing them; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

/// The durable store: a pool of connections to SQLite or Postgres.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
}

/// Parses `url` into the backend and its connection target.
fn parse_url(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.is_empty() || path.contains("://") {
        return Err(StoreError::BadUrl(url.to_owned()));
    }
    Ok((Backend::Sqlite, path.to_owned()))
}

impl Db {
    /// Connects (creating the SQLite file and its directory when needed) and applies the
    /// embedded migrations.
    pub fn open(url: &str, pool_size: u32) -> Result<Db, StoreError> {
        let db = Db::connect(url, pool_size)?;
        db.migrate()?;
        Ok(db)
    }

    /// Connects without migrating.
    pub fn connect(url: &str, pool_size: u32) -> Result<Db, StoreError> {
        let (backend, target) = parse_url(url)?;
        if backend == Backend::Sqlite && target != ":memory:" {
            // The database holds users' personal data and password hashes: its directory is
            // 0700 and the file (with its -wal and -shm, which SQLite creates with the file's
            // mode) 0600, whatever the umask.
            let path = PathBuf::from(&target);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                private_files::create_private_dir(dir).map_err(|e| StoreError::Directory(dir.to_owned(), e))?;
            }
            private_files::restrict_database_file(&path).map_err(|e| StoreError::File(path.clone(), e))?;
        }
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(3))
            .build(Manager { backend, target })
            .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, StoreError> {
        let mut conn = self.pool.get().map_err(|e| StoreError::Connect(e.to_string()))?;
        let applied = match &mut *conn {
            AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
            AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| StoreError::Migrate(e.to_string()))
    }

    /// Runs `f` on a pooled connection on tokio's blocking pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> RepoResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DieselError> + Send + 'static,
    {
        self.run_repo(move |conn| f(conn).map_err(map_error)).await
    }

    /// Runs `f` on a pooled connection on tokio's blocking pool; `f` translates its own errors
    /// (with [`map_error`] for the database's), for work that can fail in other ways too.
    pub(crate) async fn run_repo<T, F>(&self, f: F) -> RepoResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> RepoResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| RepoError::Unavailable(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| RepoError::Unavailable(format!("database task failed: {e}")))?
    }

    /// Runs `f` in a transaction.
    pub(crate) async fn tx<T, F>(&self, f: F) -> RepoResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, DieselError> + Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }

    pub(crate) async fn ping_db(&self) -> RepoResult<()> {
        self.run(|conn| conn.batch_execute("SELECT 1")).await
    }
}

/// The one translation of database errors into repository errors.
pub(crate) fn map_error(e: DieselError) -> RepoError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            RepoError::Conflict(info.message().to_owned())
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            RepoError::MissingReference(info.message().to_owned())
        }
        other => RepoError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(parse_url("postgres://u@h/db").ok().map(|b| b.0), Some(Backend::Postgres));
        assert_eq!(parse_url("sqlite://./data/latch.db").ok().map(|b| b.1), Some("./data/latch.db".to_owned()));
        assert_eq!(parse_url("data/x.db").ok().map(|b| b.0), Some(Backend::Sqlite));
        assert!(parse_url("mysql://h/db").is_err());
        assert!(parse_url("").is_err());
    }
}

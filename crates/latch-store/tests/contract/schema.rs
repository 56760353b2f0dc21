//! The migrations themselves (`migrations/README.md`): SQLite and Postgres end up with the same
//! tables and columns, `schema.rs` names exactly those, and every `down.sql` undoes its `up.sql`
//! (walking down one migration at a time and back up gives the same schema at every step).

use diesel::connection::Connection;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use latch_testing::{self as testing, TestDb};
use std::collections::{BTreeMap, BTreeSet};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const BOOKKEEPING: &str = "__diesel_schema_migrations";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    detail: String,
}

/// Table → its columns (with their declared types) and its indexes, as the database reports them.
type Shape = BTreeMap<String, BTreeSet<String>>;

fn shape(rows: Vec<Row>) -> Shape {
    let mut out = Shape::new();
    for r in rows.into_iter().filter(|r| r.owner != BOOKKEEPING) {
        out.entry(r.owner.to_lowercase()).or_default().insert(format!("{} {}", r.name.to_lowercase(), r.detail));
    }
    out
}

const SQLITE_COLUMNS: &str = "SELECT m.name AS owner, p.name AS name, 'column' AS detail \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";
const SQLITE_INDEXES: &str = "SELECT tbl_name AS owner, name AS name, 'index' AS detail FROM sqlite_master \
     WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'";
const POSTGRES_COLUMNS: &str = "SELECT table_name::text AS owner, column_name::text AS name, 'column' AS detail \
     FROM information_schema.columns WHERE table_schema = 'public'";
const POSTGRES_INDEXES: &str = "SELECT tablename::text AS owner, indexname::text AS name, 'index' AS detail \
     FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'";

fn sqlite_shape(conn: &mut SqliteConnection, with_indexes: bool) -> Shape {
    let mut rows: Vec<Row> = diesel::sql_query(SQLITE_COLUMNS).load(conn).expect("sqlite columns");
    if with_indexes {
        rows.extend(diesel::sql_query(SQLITE_INDEXES).load::<Row>(conn).expect("sqlite indexes"));
    }
    shape(rows)
}

fn postgres_shape(conn: &mut PgConnection, with_indexes: bool) -> Shape {
    let mut rows: Vec<Row> = diesel::sql_query(POSTGRES_COLUMNS).load(conn).expect("postgres columns");
    if with_indexes {
        rows.extend(diesel::sql_query(POSTGRES_INDEXES).load::<Row>(conn).expect("postgres indexes"));
    }
    shape(rows)
}

fn postgres() -> Option<TestDb> {
    let Some(url) = testing::postgres_url() else {
        testing::skipped("LATCH_TEST_DATABASE_URL");
        return None;
    };
    Some(TestDb::postgres_empty(&url).expect("postgres test database"))
}

/// The tables and columns `schema.rs` declares (`name (key) {` then `column -> Type,` lines).
fn declared() -> Shape {
    let mut out = Shape::new();
    let mut table: Option<String> = None;
    for line in include_str!("../../src/schema.rs").lines().map(str::trim) {
        if let Some(head) = line.strip_suffix('{').map(str::trim)
            && let Some((name, _)) = head.split_once(' ')
            && head.ends_with(')')
        {
            table = Some(name.to_owned());
        } else if let (Some(t), Some((column, _))) = (&table, line.split_once(" -> ")) {
            out.entry(t.clone()).or_default().insert(format!("{column} column"));
        } else if line == "}" {
            table = None;
        }
    }
    out
}

#[test]
fn sqlite_postgres_and_schema_rs_agree_on_every_table_and_column() {
    let lite = TestDb::sqlite_empty();
    lite.open().expect("migrate sqlite");
    let mut conn = SqliteConnection::establish(&lite.url).expect("sqlite");
    let sqlite = sqlite_shape(&mut conn, false);
    assert!(sqlite.len() > 10, "the migrated database has its tables: {sqlite:?}");
    assert_eq!(declared(), sqlite, "schema.rs must name exactly the migrated SQLite tables and columns");
    let Some(pg) = postgres() else { return };
    pg.open().expect("migrate postgres");
    let mut conn = PgConnection::establish(&pg.url).expect("postgres");
    assert_eq!(postgres_shape(&mut conn, false), sqlite, "both backends get the same tables and columns");
}

/// Walks down one migration at a time, remembering each shape, then back up, comparing.
fn down_then_up<C: MigrationHarness<B>, B: diesel::backend::Backend>(
    conn: &mut C,
    migrations: impl Fn() -> EmbeddedMigrations,
    read: impl Fn(&mut C) -> Shape,
) {
    conn.run_pending_migrations(migrations()).expect("up");
    let mut seen = vec![read(conn)];
    while !conn.applied_migrations().expect("applied").is_empty() {
        conn.revert_last_migration(migrations()).expect("down");
        seen.push(read(conn));
    }
    assert_eq!(seen.last(), Some(&Shape::new()), "reverting every migration leaves nothing behind");
    seen.pop();
    while let Some(expected) = seen.pop() {
        let name = conn.pending_migrations(migrations()).expect("pending").first().map(|m| m.name().to_string());
        let applied = conn.run_next_migration(migrations()).expect("up again").to_string();
        assert_eq!(
            read(conn),
            expected,
            "re-applying {applied} ({name:?}) does not give the schema its down.sql started from"
        );
    }
}

#[test]
fn every_down_migration_undoes_its_up_migration() {
    let lite = TestDb::sqlite_empty();
    let mut conn = SqliteConnection::establish(&lite.url).expect("sqlite");
    down_then_up(&mut conn, || SQLITE, |c| sqlite_shape(c, true));
    let Some(pg) = postgres() else { return };
    let mut conn = PgConnection::establish(&pg.url).expect("postgres");
    down_then_up(&mut conn, || POSTGRES, |c| postgres_shape(c, true));
}

//! The domain's repository traits, implemented once over [`AnyConnection`] for both backends,
//! one file per area.
//!
//! Every write is a plain function on a connection (`fn insert_application(conn, app)`): the
//! trait method runs it on its own, and the unit of work ([`commit`]) runs it among others in
//! one transaction. Writes begin with a write statement, never a read, so that on SQLite the
//! (deferred) transaction takes the write lock before it reads anything.
//!
//! Lists with a page are one query for the rows (`LIMIT`/`OFFSET`, joined through the link
//! table where the rows are linked) and one `COUNT` for the total.

/// Runs `$body` with `$c` bound to the backend's own connection (`PgConnection` or
/// `SqliteConnection`), for the statements the `MultiConnection` backend cannot build: its
/// generated `SqlDialect` declares `ON CONFLICT` unsupported (both backends support it), and a
/// multi-row `INSERT` on SQLite is built by `SqliteConnection`'s own `ExecuteDsl`, which the
/// multi-backend does not reach. The statement is still written once; it is compiled for each
/// backend.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            crate::db::AnyConnection::Postgresql($c) => $body,
            crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

mod applications;
mod audit;
mod branding;
mod commit;
mod consent;
mod factors;
mod grants;
mod keys;
mod organization_roles;
mod organizations;
mod registration;
mod resources;
mod roles;
mod sessions;
mod tokens;
mod users;

use crate::db::AnyConnection;
use diesel::result::Error as DieselError;
use latch_domain::repo::Page;
use std::collections::BTreeSet;

diesel::define_sql_function! {
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// `text` with the `LIKE` wildcards `%` and `_` (and the escape character `\\`) escaped, for
/// a pattern written with `ESCAPE '\\'`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `LIKE` pattern (escape character `\\`) matching text that contains `text` in any
/// ASCII case, or `None` for an empty `text` (no condition).
fn contains_pattern(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| format!("%{}%", like_escaped(&text.to_ascii_lowercase())))
}

type Conn = AnyConnection;
type QResult<T> = Result<T, DieselError>;

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// An `amr` column (space-separated RFC 8176 values) as the list it stores.
fn split_amr(text: &str) -> Vec<String> {
    text.split(' ').filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

/// The distinct ids of `ids`, sorted.
fn id_set<T>(ids: &[T], as_str: impl Fn(&T) -> &str) -> BTreeSet<String> {
    ids.iter().map(|id| as_str(id).to_owned()).collect()
}

/// The `LIMIT` of a page.
fn limit(page: Page) -> i64 {
    i64::from(page.size)
}

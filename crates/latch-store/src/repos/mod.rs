//! The domain's repository traits, implemented once over [`AnyConnection`] for both backends,
//! one file per area.

mod applications;
mod audit;
mod branding;
mod consent;
mod grants;
mod keys;
mod organizations;
mod resources;
mod roles;
mod sessions;
mod tokens;
mod users;

use crate::db::{AnyConnection, Db};
use async_trait::async_trait;
use diesel::result::Error as DieselError;
use latch_domain::repo::*;
use std::collections::BTreeSet;

diesel::define_sql_function! {
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

type Conn = AnyConnection;
type QResult<T> = Result<T, DieselError>;

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

fn id_set<T>(ids: &[T], as_str: impl Fn(&T) -> &str) -> BTreeSet<String> {
    ids.iter().map(|id| as_str(id).to_owned()).collect()
}

#[async_trait]
impl Repositories for Db {
    async fn ping(&self) -> RepoResult<()> {
        self.ping_db().await
    }

    fn backend(&self) -> &'static str {
        Db::backend(self).name()
    }
}

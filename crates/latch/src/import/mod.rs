//! `latch import FILE`: applies a declarative TOML file of API resources (with scopes), roles,
//! users, organization scopes, organization roles, organizations (with members) and applications
//! (with third-party permissions and branding) through the repositories. The whole file is
//! validated before anything is written, and applying the same file twice changes nothing the
//! second time.

use crate::config::Settings;
use anyhow::Context;
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::*;
use latch_domain::entities::{
    Branding, ConsentScope, ConsentScopeType, Organization, OrganizationRole, OrganizationScope,
};
use latch_domain::fields::{self, Identifier};
use latch_domain::ids::*;
use latch_domain::redirect::validate_registered;
use latch_domain::repo::{RepoError, Repositories, Write, every_row};
use latch_domain::{Random, Timestamp, scope};
use latch_oidc::crypto;
use latch_oidc::password::{PasswordError, PasswordHasher};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

mod apply;
mod file;
mod report;
mod validate;

pub use apply::apply;
pub use file::*;
pub use report::*;
use validate::*;

/// Access-token lifetime of a new resource that does not name one, seconds.
pub const DEFAULT_ACCESS_TOKEN_TTL: i64 = 3600;

/// Name of the client secret an entry's `secret` is stored under.
pub const IMPORT_SECRET_NAME: &str = "import";

/// Shortest accepted `secret`: it is stored under a fast hash, so it must be unguessable
/// (`openssl rand -hex 32` prints 64 characters).
pub const MIN_SECRET_LEN: usize = 32;

/// How the toml crate represents a date or time inside an untyped value.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// Longest organization, organization role and organization scope name (as in the admin API).
const MAX_ORG_NAME: usize = 128;
/// Longest description of an organization or an organization role (as in the admin API).
const MAX_ORG_DESCRIPTION: usize = 2048;
/// Longest description of an organization scope (as in the admin API).
const MAX_ORG_SCOPE_DESCRIPTION: usize = 512;

/// `latch import FILE`: opens (and migrates) the configured database, applies the file and
/// prints the report as JSON.
pub fn run_command(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = parse(&text).with_context(|| format!("importing {}", path.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let report = runtime.block_on(async {
        // The node's core: the unit of work, its audit entry and the announcement every running
        // server hears (through Redis at once; with the in-memory store they catch up within
        // the cache TTL).
        let node = crate::server::open_node(settings.clone()).await?;
        let report = apply(&node.core, &file).await.with_context(|| format!("importing {}", path.display()))?;
        Ok::<_, anyhow::Error>(report)
    })?;
    println!("{}", serde_json::to_string_pretty(&report).context("rendering the report")?);
    Ok(())
}

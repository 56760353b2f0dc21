//! Creating applications and their secrets: the app row, its URIs, its first secret and its
//! roles are one unit of work, so a crash never leaves a confidential app without a secret.

use super::{Actor, Changeset};
use crate::Core;
use crate::catalog::Change;
use latch_domain::Timestamp;
use latch_domain::entities::{AppSecret, Application};
use latch_domain::ids::RoleId;
use latch_domain::repo::{RepoResult, Write};
use serde_json::json;

/// The name of the secret a confidential application is created with.
pub const DEFAULT_SECRET: &str = "default";

/// An application to create (already validated by the caller with `latch_domain` rules).
#[derive(Clone, Debug)]
pub struct NewApplication {
    pub app: Application,
    /// Roles the app holds from the start (machine-to-machine apps only).
    pub roles: Vec<RoleId>,
}

/// A fresh client secret and the record that stores only its hash.
pub fn new_client_secret(
    core: &Core,
    app: &Application,
    name: &str,
    expires_at: Option<Timestamp>,
) -> (String, AppSecret) {
    let value = latch_oidc::crypto::new_client_secret(core.random.as_ref());
    let record = AppSecret {
        application_id: app.id.clone(),
        name: name.to_owned(),
        hash: latch_oidc::crypto::token_hash(&value),
        created_at: core.clock.now(),
        expires_at,
    };
    (value, record)
}

/// Creates the application; a confidential one gets its [`DEFAULT_SECRET`], returned in clear
/// this once.
pub async fn create_application(core: &Core, actor: &Actor, new: NewApplication) -> RepoResult<Option<String>> {
    let NewApplication { app, roles } = new;
    let mut change = Changeset::new(
        "application.create",
        "application",
        app.id.as_str(),
        json!({"name": app.name}),
        Change::Application(app.id.clone()),
    )
    .write(Write::InsertApplication(app.clone()));
    let secret = if app.app_type.is_confidential() {
        let (value, record) = new_client_secret(core, &app, DEFAULT_SECRET, None);
        change.push(Write::InsertSecret(record));
        Some(value)
    } else {
        None
    };
    if !roles.is_empty() {
        change.push(Write::AddApplicationRoles { app: app.id.clone(), roles });
    }
    core.apply(actor, change).await?;
    Ok(secret)
}

/// Adds a named secret to a confidential application; returns it in clear this once.
pub async fn create_secret(
    core: &Core,
    actor: &Actor,
    app: &Application,
    name: &str,
    expires_at: Option<Timestamp>,
) -> RepoResult<(String, AppSecret)> {
    let (value, record) = new_client_secret(core, app, name, expires_at);
    let change = Changeset::new(
        "application.secret.create",
        "application",
        app.id.as_str(),
        json!({"name": name}),
        Change::Application(app.id.clone()),
    )
    .write(Write::InsertSecret(record.clone()));
    core.apply(actor, change).await?;
    Ok((value, record))
}

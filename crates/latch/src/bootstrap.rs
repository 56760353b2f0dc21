//! First start: the admin API's resource and scope, the admin roles, the console application
//! and the first admin user. Idempotent: what exists is left alone.

use anyhow::Context;
use latch_admin::{ADMIN_RESOURCE, ADMIN_SCOPE};
use latch_core::catalog::Change;
use latch_core::commands::{self, NewApplication};
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::*;
use latch_domain::fields;
use latch_domain::ids::*;
use latch_domain::redirect;
use latch_domain::repo::{Page, Write};
use latch_oidc::crypto;
use serde_json::json;

pub use latch_domain::admin::{ADMIN_MACHINE_ROLE, ADMIN_ROLE, CONSOLE_CLIENT_ID};
/// Username of the first admin user.
pub const FIRST_ADMIN: &str = "admin";

/// What the bootstrap did that someone must hear about.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The first admin's password, when Latch generated it (print it once).
    pub generated_password: Option<String>,
    pub created_admin: bool,
}

/// The role `name`, created (with `scope`) in `change` when missing; an existing role gets
/// `scope` added (a no-op when it has it).
async fn ensure_role(
    core: &Core,
    change: &mut Changeset,
    name: &str,
    role_type: RoleType,
    description: &str,
    scope: &ScopeId,
) -> anyhow::Result<Role> {
    let role = match core.repos.get_role_by_name(name).await? {
        Some(r) => {
            if !core.repos.role_scope_ids(&r.id).await?.contains(scope) {
                change.push(Write::AddRoleScopes { role: r.id.clone(), scopes: vec![scope.clone()] });
                change.also_audit("role.scopes.add", "role", r.id.as_str(), json!({"scopeIds": [scope]}));
            }
            r
        }
        None => {
            let r = Role {
                id: RoleId(new_id(core.random.as_ref())),
                name: name.to_owned(),
                description: description.to_owned(),
                role_type,
                created_at: core.clock.now(),
            };
            change.push(Write::InsertRole(r.clone()));
            change.push(Write::AddRoleScopes { role: r.id.clone(), scopes: vec![scope.clone()] });
            change.also_audit("role.create", "role", r.id.as_str(), json!({"name": r.name}));
            r
        }
    };
    Ok(role)
}

/// Creates what is missing, as one unit of work audited as `system:bootstrap`.
pub async fn run(core: &Core, admin_password: Option<&str>) -> anyhow::Result<Outcome> {
    let now = core.clock.now();
    let public_url = core.settings.public_url.as_str();
    let mut change = Changeset::new("bootstrap", "latch", "admin-api", json!({}), Change::Everything);
    let resource = match core.repos.get_resource_by_indicator(ADMIN_RESOURCE).await? {
        Some(r) => r,
        None => {
            let r = Resource {
                id: ResourceId(new_id(core.random.as_ref())),
                name: "Latch admin API".to_owned(),
                indicator: ADMIN_RESOURCE.to_owned(),
                access_token_ttl: 3600,
                access_token_signing_alg: SIGNING_ALGS[0].to_owned(),
                created_at: now,
            };
            change.push(Write::InsertResource(r.clone()));
            change.also_audit("resource.create", "resource", r.id.as_str(), json!({"indicator": r.indicator}));
            r
        }
    };
    let scope = match core.repos.list_scopes(&resource.id).await?.into_iter().find(|s| s.name == ADMIN_SCOPE) {
        Some(s) => s,
        None => {
            let s = Scope {
                id: ScopeId(new_id(core.random.as_ref())),
                resource_id: resource.id.clone(),
                name: ADMIN_SCOPE.to_owned(),
                description: "Everything the admin API can do".to_owned(),
            };
            change.push(Write::InsertScope(s.clone()));
            change.also_audit("resource.scope.create", "resource", resource.id.as_str(), json!({"name": s.name}));
            s
        }
    };
    let admin_role =
        ensure_role(core, &mut change, ADMIN_ROLE, RoleType::User, "Administers Latch in the console", &scope.id)
            .await?;
    ensure_role(
        core,
        &mut change,
        ADMIN_MACHINE_ROLE,
        RoleType::MachineToMachine,
        "Administers Latch from scripts",
        &scope.id,
    )
    .await?;
    if core.repos.get_application(&ApplicationId::from(CONSOLE_CLIENT_ID)).await?.is_none() {
        // The rules every registered URI follows (canonical form, DESIGN.md security rules).
        let (redirect, post_logout) = (format!("{public_url}/console/callback"), format!("{public_url}/console"));
        for uri in [&redirect, &post_logout] {
            redirect::validate_registered(AppType::Spa, uri)
                .with_context(|| format!("public_url `{public_url}` gives the console an unusable redirect URI"))?;
        }
        const CONSOLE_NAME: &str = "Latch console";
        // An operator may have deleted the console and given its name to another app: Latch
        // still starts; the console is simply not there until the name is free.
        if core.repos.find_application_by_name(CONSOLE_NAME).await?.is_some() {
            tracing::warn!("the console application is missing and its name is taken; not recreating it");
        } else {
            let app = Application {
                id: ApplicationId::from(CONSOLE_CLIENT_ID),
                name: CONSOLE_NAME.to_owned(),
                description: Some("The operator console".to_owned()),
                app_type: AppType::Spa,
                is_third_party: false,
                redirect_uris: vec![redirect],
                post_logout_redirect_uris: vec![post_logout],
                custom: CustomClientMetadata::default(),
                created_at: now,
            };
            change.also_audit("application.create", "application", app.id.as_str(), json!({"name": app.name}));
            change.push(Write::InsertApplication(app));
        }
    }
    let mut outcome = Outcome::default();
    let (_, users) = core.repos.list_users(Page { page: 1, size: 1 }).await?;
    if users == 0 {
        let (password, generated) = match admin_password {
            Some(pw) => (pw.to_owned(), false),
            None => (crypto::random_token(core.random.as_ref(), 18), true),
        };
        // The same field rules as the admin API and `latch import`.
        fields::username(FIRST_ADMIN).context("the first admin's username")?;
        fields::password(&password).context("admin_password (LATCH_ADMIN_PASSWORD)")?;
        let hash = core
            .hasher
            .hash(&password, &crypto::random_16(core.random.as_ref()))
            .context("hashing the admin password")?;
        let user = User {
            id: UserId(new_id(core.random.as_ref())),
            username: Some(FIRST_ADMIN.to_owned()),
            name: Some("Administrator".to_owned()),
            password_hash: Some(hash),
            custom_data: serde_json::json!({}),
            created_at: now,
            updated_at: now,
            ..Default::default()
        };
        change.also_audit("user.create", "user", user.id.as_str(), json!({}));
        change.push(Write::InsertUser(user.clone()));
        change.push(Write::AddUserRoles { user: user.id.clone(), roles: vec![admin_role.id] });
        outcome.created_admin = true;
        outcome.generated_password = generated.then_some(password);
    }
    if !change.is_empty() {
        core.apply(&Actor::System("bootstrap"), change).await?;
    }
    Ok(outcome)
}

/// `latch admin create-m2m`: a machine-to-machine app holding the admin role; its secret is
/// returned once. The app, its secret and its role are one unit of work.
pub async fn create_m2m(core: &Core, name: &str) -> anyhow::Result<(ApplicationId, String)> {
    let role = core
        .repos
        .get_role_by_name(ADMIN_MACHINE_ROLE)
        .await?
        .context("the admin-machine role is missing; start Latch once to bootstrap it")?;
    fields::display_name(name).with_context(|| format!("the application name `{name}`"))?;
    if core.repos.find_application_by_name(name).await?.is_some() {
        anyhow::bail!("an application named `{name}` already exists");
    }
    let app = Application {
        id: ApplicationId(new_id(core.random.as_ref())),
        name: name.to_owned(),
        description: Some("Administers Latch through the admin API".to_owned()),
        app_type: AppType::MachineToMachine,
        is_third_party: false,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        custom: CustomClientMetadata::default(),
        created_at: core.clock.now(),
    };
    let id = app.id.clone();
    let secret =
        commands::create_application(core, &Actor::System("cli"), NewApplication { app, roles: vec![role.id] })
            .await?
            .context("a machine-to-machine application gets a secret")?;
    Ok((id, secret))
}

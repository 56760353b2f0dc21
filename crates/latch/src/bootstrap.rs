//! First start: the admin API's resource and scope, the admin roles, the console application
//! and the first admin user. Idempotent: what exists is left alone.

use anyhow::Context;
use latch_admin::{ADMIN_RESOURCE, ADMIN_SCOPE};
use latch_domain::entities::*;
use latch_domain::fields;
use latch_domain::ids::*;
use latch_domain::redirect;
use latch_domain::repo::{Page, Repositories};
use latch_domain::{Clock, Random};
use latch_oidc::crypto;
use latch_oidc::password::PasswordHasher;

pub use latch_domain::admin::{ADMIN_MACHINE_ROLE, ADMIN_ROLE, CONSOLE_CLIENT_ID};
/// Username of the first admin user.
pub const FIRST_ADMIN: &str = "admin";

pub struct Ports<'a> {
    pub repos: &'a dyn Repositories,
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
}

/// What the bootstrap did that someone must hear about.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The first admin's password, when Latch generated it (print it once).
    pub generated_password: Option<String>,
    pub created_admin: bool,
}

async fn ensure_role(
    p: &Ports<'_>,
    name: &str,
    role_type: RoleType,
    description: &str,
    scope: &ScopeId,
) -> anyhow::Result<Role> {
    let role = match p.repos.get_role_by_name(name).await? {
        Some(r) => r,
        None => {
            let r = Role {
                id: RoleId(new_id(p.random)),
                name: name.to_owned(),
                description: description.to_owned(),
                role_type,
                created_at: p.clock.now(),
            };
            p.repos.insert_role(&r).await?;
            r
        }
    };
    p.repos.add_role_scopes(&role.id, std::slice::from_ref(scope)).await?;
    Ok(role)
}

pub async fn run(
    p: &Ports<'_>,
    public_url: &str,
    admin_password: Option<&str>,
    hasher: &PasswordHasher,
) -> anyhow::Result<Outcome> {
    let now = p.clock.now();
    let resource = match p.repos.get_resource_by_indicator(ADMIN_RESOURCE).await? {
        Some(r) => r,
        None => {
            let r = Resource {
                id: ResourceId(new_id(p.random)),
                name: "Latch admin API".to_owned(),
                indicator: ADMIN_RESOURCE.to_owned(),
                access_token_ttl: 3600,
                created_at: now,
            };
            p.repos.insert_resource(&r).await?;
            r
        }
    };
    let scope = match p.repos.list_scopes(&resource.id).await?.into_iter().find(|s| s.name == ADMIN_SCOPE) {
        Some(s) => s,
        None => {
            let s = Scope {
                id: ScopeId(new_id(p.random)),
                resource_id: resource.id.clone(),
                name: ADMIN_SCOPE.to_owned(),
                description: "Everything the admin API can do".to_owned(),
            };
            p.repos.insert_scope(&s).await?;
            s
        }
    };
    let admin_role = ensure_role(p, ADMIN_ROLE, RoleType::User, "Administers Latch in the console", &scope.id).await?;
    ensure_role(p, ADMIN_MACHINE_ROLE, RoleType::MachineToMachine, "Administers Latch from scripts", &scope.id).await?;
    if p.repos.get_application(&ApplicationId::from(CONSOLE_CLIENT_ID)).await?.is_none() {
        // The rules every registered URI follows (canonical form, DESIGN.md security rules).
        let (redirect, post_logout) = (format!("{public_url}/console/callback"), format!("{public_url}/console"));
        for uri in [&redirect, &post_logout] {
            redirect::validate_registered(AppType::Spa, uri)
                .with_context(|| format!("public_url `{public_url}` gives the console an unusable redirect URI"))?;
        }
        let created = p
            .repos
            .insert_application(&Application {
                id: ApplicationId::from(CONSOLE_CLIENT_ID),
                name: "Latch console".to_owned(),
                description: Some("The operator console".to_owned()),
                app_type: AppType::Spa,
                is_third_party: false,
                redirect_uris: vec![redirect],
                post_logout_redirect_uris: vec![post_logout],
                custom: CustomClientMetadata::default(),
                created_at: now,
            })
            .await;
        // An operator may have deleted the console and given its name to another app: Latch
        // still starts; the console is simply not there until the name is free.
        match created {
            Ok(()) => {}
            Err(latch_domain::repo::RepoError::Conflict(what)) => {
                tracing::warn!(%what, "the console application is missing and its name is taken; not recreating it");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut outcome = Outcome::default();
    let (_, users) = p.repos.list_users(Page { page: 1, size: 1 }).await?;
    if users == 0 {
        let (password, generated) = match admin_password {
            Some(pw) => (pw.to_owned(), false),
            None => (crypto::random_token(p.random, 18), true),
        };
        // The same field rules as the admin API and `latch import`.
        fields::username(FIRST_ADMIN).context("the first admin's username")?;
        fields::password(&password).context("admin_password (LATCH_ADMIN_PASSWORD)")?;
        let hash = hasher.hash(&password, &crypto::random_16(p.random)).context("hashing the admin password")?;
        let user = User {
            id: UserId(new_id(p.random)),
            username: Some(FIRST_ADMIN.to_owned()),
            name: Some("Administrator".to_owned()),
            password_hash: Some(hash),
            custom_data: serde_json::json!({}),
            created_at: now,
            updated_at: now,
            ..Default::default()
        };
        p.repos.insert_user(&user).await?;
        p.repos.add_user_roles(&user.id, &[admin_role.id]).await?;
        outcome.created_admin = true;
        outcome.generated_password = generated.then_some(password);
    }
    Ok(outcome)
}

/// `latch admin create-m2m`: a machine-to-machine app holding the admin role; its secret is
/// returned once.
pub async fn create_m2m(p: &Ports<'_>, name: &str) -> anyhow::Result<(ApplicationId, String)> {
    let role = p
        .repos
        .get_role_by_name(ADMIN_MACHINE_ROLE)
        .await?
        .context("the admin-machine role is missing; start Latch once to bootstrap it")?;
    fields::display_name(name).with_context(|| format!("the application name `{name}`"))?;
    if p.repos.find_application_by_name(name).await?.is_some() {
        anyhow::bail!("an application named `{name}` already exists");
    }
    let now = p.clock.now();
    let app = Application {
        id: ApplicationId(new_id(p.random)),
        name: name.to_owned(),
        description: Some("Administers Latch through the admin API".to_owned()),
        app_type: AppType::MachineToMachine,
        is_third_party: false,
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        custom: CustomClientMetadata::default(),
        created_at: now,
    };
    p.repos.insert_application(&app).await?;
    let secret = crypto::new_client_secret(p.random);
    p.repos
        .insert_secret(&AppSecret {
            application_id: app.id.clone(),
            name: "default".to_owned(),
            hash: crypto::token_hash(&secret),
            created_at: now,
            expires_at: None,
        })
        .await?;
    p.repos.add_application_roles(&app.id, &[role.id]).await?;
    Ok((app.id, secret))
}

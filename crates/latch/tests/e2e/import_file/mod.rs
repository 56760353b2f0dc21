//! `latch import`: a declarative file applied through the repositories, on SQLite and on
//! Postgres, and the command itself on the example files.

use latch::import::{self, Counts, ImportError, ImportFile, ImportReport, Outcome};
use latch_domain::Timestamp;
use latch_domain::clock::FixedClock;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_oidc::crypto;
use latch_oidc::password::PasswordHasher;
use latch_store::{Db, OsRandom};
use std::collections::BTreeSet;

mod basics;
mod command;
mod organizations;

use basics::*;
use organizations::*;

latch_testing::on_both_databases!(
    a_full_file_creates_everything_and_roles_resolve,
    importing_the_same_file_twice_changes_nothing,
    changing_one_field_updates_only_that_entry,
    role_lists_are_exact_when_present_and_left_alone_when_absent,
    invalid_files_name_the_entry_and_field_and_write_nothing,
    references_may_point_at_what_the_database_already_holds,
    a_fixed_id_becomes_the_client_id_and_the_secret_verifies,
    a_new_secret_replaces_only_the_import_secret,
    types_and_client_ids_cannot_change,
    an_unverified_sign_up_is_not_claimed_by_an_email_only_entry,
    organizations_permissions_and_branding_are_created_and_resolve,
    importing_organizations_and_permissions_twice_changes_nothing,
    member_permission_and_organization_role_lists_are_exact_when_present,
    invalid_organizations_permissions_and_branding_name_the_entry_and_field_and_write_nothing,
    organization_references_may_point_at_what_the_database_already_holds,
);

// ---------------------------------------------------------------- fixtures

const PHOTOS: &str = "https://photos.example.com";
const ALICE_PASSWORD: &str = "correct horse battery staple";
const WEB_SECRET: &str = "web-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const ROBOT_SECRET: &str = "robot-secret-0123456789abcdefghijklmnopqrstuvwxyz";

const FULL: &str = r#"
[[resources]]
name = "Photos API"
indicator = "https://photos.example.com"
access_token_ttl = 600
scopes = [
  { name = "read:photos", description = "Read your photos" },
  { name = "write:photos", description = "Upload photos" },
]

[[roles]]
name = "photo-reader"
description = "Can read photos"
type = "User"
scopes = [ { resource = "https://photos.example.com", scope = "read:photos" } ]

[[roles]]
name = "photo-writer-robot"
type = "MachineToMachine"
scopes = [
  { resource = "https://photos.example.com", scope = "read:photos" },
  { resource = "https://photos.example.com", scope = "write:photos" },
]

[[users]]
username = "alice"
email = "alice@example.com"
email_verified = true
phone = "+15551234567"
name = "Alice Example"
password = "correct horse battery staple"
profile = { given_name = "Alice", family_name = "Example", address = { country = "GB" } }
custom_data = { plan = "pro", seats = 3 }
roles = ["photo-reader"]

[[users]]
email = "bob@example.com"
name = "Bob"
roles = ["photo-reader"]

[[applications]]
id = "photo-web"
name = "Photo Web"
description = "The photo site"
type = "Traditional"
redirect_uris = ["https://photos.example.com/callback"]
post_logout_redirect_uris = ["https://photos.example.com/"]
secret = "web-secret-0123456789abcdefghijklmnopqrstuvwxyz"

[[applications]]
name = "Photo SPA"
type = "SPA"
third_party = false
redirect_uris = ["https://spa.example.com/callback", "http://localhost:5173/callback"]
id_token_signed_response_alg = "ES256"

[[applications]]
id = "photo-robot"
name = "Photo Robot"
type = "MachineToMachine"
secret = "robot-secret-0123456789abcdefghijklmnopqrstuvwxyz"
roles = ["photo-writer-robot"]
"#;

const PARTNER_SECRET: &str = "partner-secret-0123456789abcdefghijklmnopqrstuvwxyz";

/// Organizations, their scopes and roles, and a third-party application with permissions and
/// branding; appended to `FULL`.
const ORGS: &str = r##"
[[organization_scopes]]
name = "invite:member"
description = "Invite members"

[[organization_scopes]]
name = "manage:billing"

[[organization_roles]]
name = "admin"
description = "Runs the organization"
scopes = ["invite:member", "manage:billing"]
resource_scopes = [ { resource = "https://photos.example.com", scope = "write:photos" } ]

[[organization_roles]]
name = "member"
scopes = ["invite:member"]

[[organizations]]
name = "Acme"
description = "A customer"
members = [
  { user = "alice", roles = ["admin"] },
  { user = "bob@example.com", roles = ["member"] },
]

[[organizations]]
name = "Globex"

[[applications]]
id = "partner"
name = "Partner App"
type = "Traditional"
third_party = true
redirect_uris = ["https://partner.example.com/callback"]
secret = "partner-secret-0123456789abcdefghijklmnopqrstuvwxyz"

[applications.permissions]
user_scopes = ["email", { id = "profile", required = false }]
resource_scopes = [
  { resource = "https://photos.example.com", scope = "read:photos" },
  { resource = "https://photos.example.com", scope = "write:photos", required = false },
]
organization_scopes = ["invite:member", { id = "manage:billing", required = false }]
organization_resource_scopes = [ { resource = "https://photos.example.com", scope = "write:photos" } ]

[applications.branding]
display_name = "Partner"
logo_url = "https://partner.example.com/logo.png"
dark_logo_url = "https://partner.example.com/logo-dark.png"
terms_of_use_url = "https://partner.example.com/terms"
privacy_policy_url = "http://localhost:8080/privacy"
color = "#3b5bdb"
"##;

/// An edit of the fixture, for tables of invalid files.
type Mutation = fn(&mut ImportFile);

fn full() -> ImportFile {
    import::parse(FULL).expect("the fixture parses")
}

/// `FULL` and `ORGS`: four applications, the fourth the third-party one.
fn with_orgs() -> ImportFile {
    import::parse(&format!("{FULL}\n{ORGS}")).expect("the fixture parses")
}

fn hasher() -> PasswordHasher {
    // Cheap parameters keep the tests fast; the product default stays at OWASP strength.
    PasswordHasher::new(64, 1, 1, &[1; 16], &[2; 16]).expect("hasher")
}

/// One page large enough for every fixture's rows.
const EVERY: Page = Page { page: 1, size: 1000 };

/// The services an import runs on: `db`, a clock fixed at `at`, the in-memory ephemeral store,
/// and no signing keys (an import signs nothing).
fn core_at(db: &Db, at: i64) -> latch_core::Core {
    let settings = latch_core::Settings {
        issuer: "http://localhost:8080/oidc".to_owned(),
        public_url: "http://localhost:8080".to_owned(),
        access_token_ttl: 3600,
        id_token_ttl: 3600,
        code_ttl: 60,
        interaction_ttl: 3600,
        sign_in_ttl: 600,
        session_ttl: 86_400,
        session_idle_timeout: 86_400,
        key_grace_period: 3600,
        key_rotation_interval: 0,
        trust_forwarded_for: false,
        limits: latch_core::RateLimits::default(),
        hash_queue: 8,
    };
    let secret = [7u8; 32];
    let keys = latch_oidc::keys::KeySet::load(&[], &secret).expect("an empty key set");
    let deps = latch_core::CoreDeps {
        repos: std::sync::Arc::new(db.clone()),
        cache: latch_store::connect_ephemeral("memory://", "import-test:").expect("memory store"),
        clock: std::sync::Arc::new(FixedClock(Timestamp(at))),
        random: std::sync::Arc::new(OsRandom),
        hasher: hasher(),
    };
    latch_core::Core::new(settings, deps, &secret, keys)
}

async fn run(db: &Db, file: &ImportFile, at: i64) -> Result<ImportReport, ImportError> {
    import::apply(&core_at(db, at), file).await
}

async fn import_ok(db: &Db, file: &ImportFile, at: i64) -> ImportReport {
    match run(db, file, at).await {
        Ok(report) => report,
        Err(e) => panic!("import failed: {e}"),
    }
}

fn counts(created: u32, updated: u32, unchanged: u32) -> Counts {
    Counts { created, updated, unchanged }
}

fn problems(err: ImportError) -> Vec<String> {
    match err {
        ImportError::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected validation problems, got: {other}"),
    }
}

async fn photos(db: &Db) -> Resource {
    db.get_resource_by_indicator(PHOTOS).await.expect("get").expect("the resource exists")
}

async fn user(db: &Db, login: &str) -> User {
    db.find_user_by_login(login).await.expect("find").expect("the user exists")
}

async fn app(db: &Db, name: &str) -> Application {
    db.find_application_by_name(name).await.expect("find").expect("the application exists")
}

async fn org(db: &Db, name: &str) -> Organization {
    let (all, _) = db.list_organizations(EVERY).await.expect("organizations");
    all.into_iter().find(|o| o.name == name).expect("the organization exists")
}

async fn org_scope_id(db: &Db, name: &str) -> OrganizationScopeId {
    let (all, _) = db.list_organization_scopes(EVERY).await.expect("organization scopes");
    all.into_iter().find(|s| s.name == name).expect("the organization scope exists").id
}

async fn org_role(db: &Db, name: &str) -> OrganizationRole {
    let (all, _) = db.list_organization_roles(EVERY).await.expect("organization roles");
    all.into_iter().find(|r| r.name == name).expect("the organization role exists")
}

/// The id of the Photos API scope `name`.
async fn photos_scope_id(db: &Db, name: &str) -> ScopeId {
    let scopes = db.list_scopes(&photos(db).await.id).await.expect("scopes");
    scopes.into_iter().find(|s| s.name == name).expect("the scope exists").id
}

/// An application's permissions: (kind, reference, required).
type Permissions = BTreeSet<(ConsentScopeType, String, bool)>;

/// An organization's members, sorted, with the names of their organization roles.
type Members = Vec<(UserId, Vec<String>)>;

async fn permissions(db: &Db, app: &ApplicationId) -> Permissions {
    let list = db.list_consent_scopes(app).await.expect("consent scopes");
    list.into_iter().map(|c| (c.scope_type, c.scope_ref, c.required)).collect()
}

/// Sorted member ids of an organization, with their organization role names.
async fn members(db: &Db, org: &OrganizationId) -> Members {
    let mut out = Vec::new();
    for user in db.list_organization_members(org, EVERY).await.expect("members").0 {
        let roles = db.organization_member_roles(org, &user).await.expect("member roles");
        out.push((user, roles.into_iter().map(|r| r.name).collect()));
    }
    out.sort();
    out
}

/// Everything the organization part of an import can touch, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct OrgSnapshot {
    scopes: Vec<OrganizationScope>,
    roles: Vec<(OrganizationRole, Vec<OrganizationScopeId>, Vec<ScopeId>)>,
    orgs: Vec<(Organization, Members)>,
    apps: Vec<(ApplicationId, Permissions, Option<Branding>)>,
}

async fn org_snapshot(db: &Db) -> OrgSnapshot {
    let scopes = db.list_organization_scopes(EVERY).await.expect("organization scopes").0;
    let mut roles = Vec::new();
    for r in db.list_organization_roles(EVERY).await.expect("organization roles").0 {
        let scopes = db.organization_role_scope_ids(&r.id).await.expect("role scopes");
        let resource_scopes = db.organization_role_resource_scope_ids(&r.id).await.expect("role resource scopes");
        roles.push((r, scopes, resource_scopes));
    }
    let mut orgs = Vec::new();
    for o in db.list_organizations(EVERY).await.expect("organizations").0 {
        let m = members(db, &o.id).await;
        orgs.push((o, m));
    }
    let mut apps = Vec::new();
    for a in db.list_applications(None, EVERY).await.expect("apps").0 {
        let branding = db.get_branding(&a.id).await.expect("branding");
        apps.push((a.id.clone(), permissions(db, &a.id).await, branding));
    }
    OrgSnapshot { scopes, roles, orgs, apps }
}

/// Everything an import can touch, for before/after comparisons.
#[derive(Debug, PartialEq)]
struct Snapshot {
    resources: Vec<(Resource, Vec<Scope>)>,
    roles: Vec<(Option<Role>, Vec<ScopeId>)>,
    users: Vec<(User, Vec<String>)>,
    apps: Vec<(Application, Vec<AppSecret>, Vec<String>)>,
}

async fn snapshot(db: &Db) -> Snapshot {
    let mut resources = Vec::new();
    for r in db.list_resources().await.expect("resources") {
        let scopes = db.list_scopes(&r.id).await.expect("scopes");
        resources.push((r, scopes));
    }
    let mut roles = Vec::new();
    for name in ["photo-reader", "photo-writer-robot"] {
        let role = db.get_role_by_name(name).await.expect("role");
        let scopes = match &role {
            Some(r) => db.role_scope_ids(&r.id).await.expect("role scopes"),
            None => Vec::new(),
        };
        roles.push((role, scopes));
    }
    let mut users = Vec::new();
    for u in db.list_users(EVERY).await.expect("users").0 {
        let names = db.user_role_names(&u.id).await.expect("user roles");
        users.push((u, names));
    }
    let mut apps = Vec::new();
    for a in db.list_applications(None, EVERY).await.expect("apps").0 {
        let secrets = db.list_secrets(&a.id).await.expect("secrets");
        let names = db.application_role_names(&a.id).await.expect("app roles");
        apps.push((a, secrets, names));
    }
    Snapshot { resources, roles, users, apps }
}

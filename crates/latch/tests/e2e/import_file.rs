//! `latch import`: a declarative file applied through the repositories, on SQLite and on
//! Postgres, and the command itself on the example files.

use latch::import::{self, Counts, ImportError, ImportFile, ImportReport, Outcome};
use latch_domain::Timestamp;
use latch_domain::clock::FixedClock;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::orgs::*;
use latch_domain::repo::*;
use latch_oidc::crypto;
use latch_oidc::password::PasswordHasher;
use latch_store::testing::{self, TestDb};
use latch_store::{Db, OsRandom};
use std::collections::BTreeSet;

/// Runs `body(&Db)` on a fresh SQLite database and on a fresh Postgres database.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let t = super::TestDb::sqlite();
                let db = t.open().expect("open sqlite");
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(url) = super::testing::postgres_url() else {
                    assert!(!super::testing::required(), "CI requires LATCH_TEST_DATABASE_URL");
                    eprintln!("skipped: LATCH_TEST_DATABASE_URL not set");
                    return;
                };
                let t = super::TestDb::postgres(&url).expect("create postgres test database");
                let db = t.open().expect("open postgres");
                super::$name(&db).await;
            })*
        }
    };
}

on_both_databases!(
    a_full_file_creates_everything_and_roles_resolve,
    importing_the_same_file_twice_changes_nothing,
    changing_one_field_updates_only_that_entry,
    role_lists_are_exact_when_present_and_left_alone_when_absent,
    invalid_files_name_the_entry_and_field_and_write_nothing,
    references_may_point_at_what_the_database_already_holds,
    a_fixed_id_becomes_the_client_id_and_the_secret_verifies,
    a_new_secret_replaces_only_the_import_secret,
    types_and_client_ids_cannot_change,
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
    ImportFile::parse(FULL).expect("the fixture parses")
}

/// `FULL` and `ORGS`: four applications, the fourth the third-party one.
fn with_orgs() -> ImportFile {
    ImportFile::parse(&format!("{FULL}\n{ORGS}")).expect("the fixture parses")
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

// ---------------------------------------------------------------- tests

async fn a_full_file_creates_everything_and_roles_resolve(db: &Db) {
    let report = import_ok(db, &full(), 1_000).await;
    assert_eq!(report.resources, counts(1, 0, 0));
    assert_eq!(report.scopes, counts(2, 0, 0));
    assert_eq!(report.roles, counts(2, 0, 0));
    assert_eq!(report.users, counts(2, 0, 0));
    assert_eq!(report.applications, counts(3, 0, 0));
    assert!(report.changed());

    let res = photos(db).await;
    assert_eq!((res.name.as_str(), res.access_token_ttl), ("Photos API", 600));
    let scopes = db.list_scopes(&res.id).await.expect("scopes");
    assert_eq!(
        scopes.iter().map(|s| (s.name.as_str(), s.description.as_str())).collect::<Vec<_>>(),
        [("read:photos", "Read your photos"), ("write:photos", "Upload photos")]
    );

    let alice = user(db, "alice").await;
    assert_eq!(alice.primary_email.as_deref(), Some("alice@example.com"));
    assert_eq!(alice.primary_phone.as_deref(), Some("+15551234567"));
    assert_eq!(alice.name.as_deref(), Some("Alice Example"));
    assert!(alice.email_verified);
    assert_eq!(alice.profile.get("given_name"), Some(&serde_json::json!("Alice")));
    assert_eq!(alice.profile.get("address"), Some(&serde_json::json!({"country": "GB"})));
    assert_eq!(alice.custom_data, serde_json::json!({"plan": "pro", "seats": 3}));
    assert_eq!(alice.created_at, Timestamp(1_000));
    let hash = alice.password_hash.as_deref().expect("alice has a password");
    assert!(hash.starts_with("$argon2id$"));
    assert!(hasher().verify(ALICE_PASSWORD, Some(hash)));
    assert_eq!(db.user_resource_scopes(&alice.id, &res.id).await.expect("scopes"), ["read:photos"]);

    let bob = user(db, "bob@example.com").await;
    assert_eq!(bob.username, None);
    assert_eq!(bob.password_hash, None);
    assert!(!bob.email_verified);
    assert_eq!(bob.custom_data, serde_json::json!({}));
    assert_eq!(db.user_resource_scopes(&bob.id, &res.id).await.expect("scopes"), ["read:photos"]);

    let web = app(db, "Photo Web").await;
    assert_eq!(web.app_type, AppType::Traditional);
    assert_eq!(web.description.as_deref(), Some("The photo site"));
    assert_eq!(web.redirect_uris, ["https://photos.example.com/callback"]);
    assert_eq!(web.post_logout_redirect_uris, ["https://photos.example.com/"]);

    let spa = app(db, "Photo SPA").await;
    assert_eq!(spa.id.as_str().len(), ID_LEN, "a generated client id");
    assert_eq!(spa.redirect_uris, ["https://spa.example.com/callback", "http://localhost:5173/callback"]);
    assert_eq!(spa.custom.id_token_signed_response_alg.as_deref(), Some("ES256"));
    assert!(!spa.is_third_party);
    assert!(db.list_secrets(&spa.id).await.expect("secrets").is_empty(), "public clients get no secret");

    let robot = app(db, "Photo Robot").await;
    assert_eq!(
        db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );
    assert_eq!(db.application_resource_scopes(&web.id, &res.id).await.expect("scopes"), Vec::<String>::new());

    let clients: Vec<(&str, &str, Outcome)> =
        report.clients.iter().map(|c| (c.name.as_str(), c.client_id.as_str(), c.outcome)).collect();
    assert_eq!(
        clients,
        [
            ("Photo Web", "photo-web", Outcome::Created),
            ("Photo SPA", spa.id.as_str(), Outcome::Created),
            ("Photo Robot", "photo-robot", Outcome::Created),
        ]
    );
}

async fn importing_the_same_file_twice_changes_nothing(db: &Db) {
    let first = import_ok(db, &full(), 1_000).await;
    let before = snapshot(db).await;
    let second = import_ok(db, &full(), 2_000).await;
    assert_eq!(second.resources, counts(0, 0, 1));
    assert_eq!(second.scopes, counts(0, 0, 2));
    assert_eq!(second.roles, counts(0, 0, 2));
    assert_eq!(second.users, counts(0, 0, 2));
    assert_eq!(second.applications, counts(0, 0, 3));
    assert!(!second.changed());
    assert!(second.clients.iter().all(|c| c.outcome == Outcome::Unchanged));
    let ids = |r: &ImportReport| r.clients.iter().map(|c| c.client_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second), "the generated client id is found again by name");
    let after = snapshot(db).await;
    assert_eq!(before, after, "not even a timestamp or a password salt changed");
    assert_eq!(after.users.len(), 2);
    assert_eq!(after.apps.len(), 3);
}

async fn changing_one_field_updates_only_that_entry(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let alice_before = user(db, "alice").await;
    let bob_before = user(db, "bob@example.com").await;

    let mut file = full();
    file.users[0].name = Some("Alice Changed".to_owned());
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    assert_eq!(report.applications, counts(0, 0, 3));
    assert_eq!((report.resources, report.scopes, report.roles), (counts(0, 0, 1), counts(0, 0, 2), counts(0, 0, 2)));
    let alice = user(db, "alice").await;
    assert_eq!(alice.name.as_deref(), Some("Alice Changed"));
    assert_eq!(alice.updated_at, Timestamp(2_000));
    assert_eq!(alice.password_hash, alice_before.password_hash, "an unchanged password is not hashed again");
    assert_eq!(user(db, "bob@example.com").await, bob_before);

    file.applications[1].redirect_uris = Some(vec!["https://spa.example.com/new-callback".to_owned()]);
    let report = import_ok(db, &file, 3_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    assert_eq!(report.users, counts(0, 0, 2));
    let outcomes: Vec<Outcome> = report.clients.iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, [Outcome::Unchanged, Outcome::Updated, Outcome::Unchanged]);
    assert_eq!(app(db, "Photo SPA").await.redirect_uris, ["https://spa.example.com/new-callback"]);

    file.resources[0].scopes[1].description = Some("Upload and edit photos".to_owned());
    let report = import_ok(db, &file, 4_000).await;
    assert_eq!(report.scopes, counts(0, 1, 1));
    assert_eq!(report.resources, counts(0, 0, 1), "a scope's description is the scope's, not the resource's");
    let scopes = db.list_scopes(&photos(db).await.id).await.expect("scopes");
    assert_eq!(scopes[1].description, "Upload and edit photos");

    file.resources[0].access_token_ttl = Some(900);
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!((report.resources, report.scopes), (counts(0, 1, 0), counts(0, 0, 2)));
    assert_eq!(photos(db).await.access_token_ttl, 900);

    file.users[0].password = Some(import::Sensitive("a brand new passphrase".to_owned()));
    let report = import_ok(db, &file, 6_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    let hash = user(db, "alice").await.password_hash.expect("hash");
    assert!(hasher().verify("a brand new passphrase", Some(&hash)));
    assert!(!hasher().verify(ALICE_PASSWORD, Some(&hash)));

    // Leaving a key out keeps the stored value.
    file.users[0].name = None;
    file.applications[1].redirect_uris = None;
    file.resources[0].access_token_ttl = None;
    let report = import_ok(db, &file, 7_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(user(db, "alice").await.name.as_deref(), Some("Alice Changed"));
    assert_eq!(photos(db).await.access_token_ttl, 900);
}

async fn role_lists_are_exact_when_present_and_left_alone_when_absent(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let res = photos(db).await;
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;

    let mut file = full();
    file.users[0].roles = Some(Vec::new());
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.users, counts(0, 1, 1));
    assert!(db.user_role_names(&alice.id).await.expect("roles").is_empty());
    assert!(db.user_resource_scopes(&alice.id, &res.id).await.expect("scopes").is_empty());
    assert_eq!(user(db, "alice").await.updated_at, alice.updated_at, "only the assignment changed");
    assert_eq!(db.user_role_names(&bob.id).await.expect("roles"), ["photo-reader"]);

    // Without `roles`, assignments made elsewhere stay.
    let reader = db.get_role_by_name("photo-reader").await.expect("role").expect("exists");
    db.set_user_roles(&alice.id, std::slice::from_ref(&reader.id)).await.expect("assign");
    file.users[0].roles = None;
    let report = import_ok(db, &file, 3_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(db.user_role_names(&alice.id).await.expect("roles"), ["photo-reader"]);

    // A role's scopes are exact too, and every holder sees the change.
    file.roles[0].scopes =
        Some(vec![import::RoleScopeRef { resource: PHOTOS.to_owned(), scope: "write:photos".to_owned() }]);
    let report = import_ok(db, &file, 4_000).await;
    assert_eq!(report.roles, counts(0, 1, 1));
    assert_eq!(db.user_resource_scopes(&bob.id, &res.id).await.expect("scopes"), ["write:photos"]);

    // An application's roles likewise.
    file.applications[2].roles = Some(Vec::new());
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    let robot = app(db, "Photo Robot").await;
    assert!(db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes").is_empty());
}

async fn invalid_files_name_the_entry_and_field_and_write_nothing(db: &Db) {
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.applications[1].redirect_uris = Some(vec!["http://spa.example.com/cb".to_owned()]),
            "applications[1] (Photo SPA): redirect_uris[0]: `http://spa.example.com/cb` must use https",
        ),
        (
            |f| f.applications[1].redirect_uris = Some(vec!["https://spa.example.com/*".to_owned()]),
            "applications[1] (Photo SPA): redirect_uris[0]: `https://spa.example.com/*` contains a wildcard",
        ),
        (
            |f| f.applications[0].post_logout_redirect_uris = Some(vec!["https://a.example/#x".to_owned()]),
            "applications[0] (Photo Web): post_logout_redirect_uris[0]: `https://a.example/#x` contains a fragment",
        ),
        (
            |f| f.applications[0].redirect_uris = Some(vec!["https://a.example/cb".to_owned(); 2]),
            "applications[0] (Photo Web): redirect_uris[1]: URI `https://a.example/cb` is listed twice",
        ),
        (
            |f| f.applications[2].redirect_uris = Some(vec!["https://robot.example.com/cb".to_owned()]),
            "applications[2] (Photo Robot): redirect_uris[0]: machine-to-machine apps have no redirect URIs",
        ),
        (
            |f| f.applications[2].third_party = Some(true),
            "applications[2] (Photo Robot): third_party: machine-to-machine apps cannot be third-party",
        ),
        (
            |f| f.applications[1].secret = f.applications[0].secret.clone(),
            "applications[1] (Photo SPA): secret: SPA apps are public clients and have no secret",
        ),
        (
            |f| f.applications[0].app_type = "Native".to_owned(),
            "applications[0] (Photo Web): secret: Native apps are public clients and have no secret",
        ),
        (|f| f.applications[1].app_type = "Desktop".to_owned(), "applications[1] (Photo SPA): type: `Desktop`"),
        (
            |f| f.applications[1].id_token_signed_response_alg = Some("HS256".to_owned()),
            "applications[1] (Photo SPA): id_token_signed_response_alg: `HS256` is neither RS256 nor ES256",
        ),
        (
            |f| f.applications[1].roles = Some(vec!["photo-writer-robot".to_owned()]),
            "applications[1] (Photo SPA): roles: only MachineToMachine apps hold roles",
        ),
        (
            |f| f.applications[2].roles = Some(vec!["photo-reader".to_owned()]),
            "applications[2] (Photo Robot): roles[0]: `photo-reader` is a User role",
        ),
        (
            |f| f.applications[2].roles = Some(vec!["nobody".to_owned()]),
            "applications[2] (Photo Robot): roles[0]: no role `nobody` in the file or the database",
        ),
        (|f| f.applications[0].id = Some("has space".to_owned()), "applications[0] (Photo Web): id: `has space`"),
        (
            |f| f.applications[1].id = Some("photo-web".to_owned()),
            "applications[1] (Photo SPA): id: `photo-web` is also used by applications[0] (Photo Web)",
        ),
        (
            |f| f.applications[1].name = "Photo Web".to_owned(),
            "applications[1] (Photo Web): name: `Photo Web` is also used by applications[0] (Photo Web)",
        ),
        (
            |f| f.users[0].password = Some(import::Sensitive("password1".to_owned())),
            "users[0] (alice): password: this password is too common",
        ),
        (
            |f| f.users[0].password = Some(import::Sensitive("short".to_owned())),
            "users[0] (alice): password: the password must be at least 8",
        ),
        (
            |f| f.users[0].roles = Some(vec!["nobody".to_owned()]),
            "users[0] (alice): roles[0]: no role `nobody` in the file or the database",
        ),
        (
            |f| f.users[1].roles = Some(vec!["photo-writer-robot".to_owned()]),
            "users[1] (bob@example.com): roles[0]: `photo-writer-robot` is a MachineToMachine role",
        ),
        (|f| f.users[0].email = Some("not-an-email".to_owned()), "users[0] (alice): email: `not-an-email`"),
        (
            |f| f.users[0].phone = Some("555-1234".to_owned()),
            "users[0] (alice): phone: `555-1234` is not in E.164 form",
        ),
        (
            |f| f.users[1].email = Some("ALICE@example.com".to_owned()),
            "users[1] (ALICE@example.com): email: `alice@example.com` is also used by users[0] (alice)",
        ),
        (
            |f| {
                f.users[1].email = None;
            },
            "users[1] (?): needs a `username` or an `email` to be found by",
        ),
        (
            |f| {
                if let Some(p) = f.users[0].profile.as_mut() {
                    p.insert("shoe_size".to_owned(), serde_json::json!("42"));
                }
            },
            "users[0] (alice): profile.shoe_size: not a standard profile claim",
        ),
        (
            |f| {
                if let Some(p) = f.users[0].profile.as_mut() {
                    p.insert("locale".to_owned(), serde_json::json!(7));
                }
            },
            "users[0] (alice): profile.locale: must be a string",
        ),
        (
            |f| f.roles[0].scopes.as_mut().expect("scopes")[0].scope = "delete:photos".to_owned(),
            "roles[0] (photo-reader): scopes[0]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| f.roles[0].scopes.as_mut().expect("scopes")[0].resource = "https://other.example.com".to_owned(),
            "roles[0] (photo-reader): scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (|f| f.roles[0].role_type = Some("Admin".to_owned()), "roles[0] (photo-reader): type: `Admin`"),
        (
            |f| f.roles[1].name = "photo-reader".to_owned(),
            "roles[1] (photo-reader): name: `photo-reader` is also used by roles[0] (photo-reader)",
        ),
        (
            |f| f.resources[0].indicator = "not a uri".to_owned(),
            "resources[0] (not a uri): indicator: `not a uri` is not an absolute URI",
        ),
        (|f| f.resources[0].access_token_ttl = Some(0), "resources[0] (https://photos.example.com): access_token_ttl"),
        (
            |f| f.resources[0].scopes[0].name = "read photos".to_owned(),
            "resources[0] (https://photos.example.com): scopes[0].name: `read photos` is not a scope token",
        ),
        (
            |f| f.resources[0].scopes[1].name = "read:photos".to_owned(),
            "resources[0] (https://photos.example.com): scopes[1]: scope `read:photos` is listed twice",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = full();
        mutate(&mut file);
        let found = problems(run(db, &file, 1_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }

    // Every problem is reported at once, not only the first.
    let mut file = full();
    file.users[0].password = Some(import::Sensitive("short".to_owned()));
    file.applications[0].secret = Some(import::Sensitive("too-short".to_owned()));
    let found = problems(run(db, &file, 1_000).await.expect_err("two problems"));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[1].starts_with("applications[0] (Photo Web): secret: must be at least 32 characters"), "{found:#?}");

    assert_eq!(db.list_users(EVERY).await.expect("users").1, 0, "nothing was written");
    assert_eq!(db.list_applications(None, EVERY).await.expect("apps").1, 0);
    assert!(db.list_resources().await.expect("resources").is_empty());
    assert_eq!(db.get_role_by_name("photo-reader").await.expect("role"), None);
    assert_eq!(db.get_role_by_name("photo-writer-robot").await.expect("role"), None);
}

async fn references_may_point_at_what_the_database_already_holds(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let second = ImportFile::parse(
        r#"
        [[roles]]
        name = "photo-writer"
        scopes = [ { resource = "https://photos.example.com", scope = "write:photos" } ]

        [[users]]
        username = "carol"
        roles = ["photo-reader", "photo-writer"]

        [[applications]]
        name = "Second Robot"
        type = "MachineToMachine"
        roles = ["photo-writer-robot"]
        "#,
    )
    .expect("parses");
    let report = import_ok(db, &second, 2_000).await;
    assert_eq!((report.roles, report.users, report.applications), (counts(1, 0, 0), counts(1, 0, 0), counts(1, 0, 0)));
    assert_eq!((report.resources, report.scopes), (counts(0, 0, 0), counts(0, 0, 0)), "not in the file, not counted");
    let res = photos(db).await;
    let carol = user(db, "carol").await;
    assert_eq!(db.user_resource_scopes(&carol.id, &res.id).await.expect("scopes"), ["read:photos", "write:photos"]);
    let robot = app(db, "Second Robot").await;
    assert_eq!(
        db.application_resource_scopes(&robot.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );

    let missing = ImportFile::parse(
        "[[roles]]\nname = \"eraser\"\nscopes = [ { resource = \"https://photos.example.com\", scope = \"delete:photos\" } ]",
    )
    .expect("parses");
    let found = problems(run(db, &missing, 3_000).await.expect_err("no such scope"));
    assert_eq!(
        found,
        [
            "roles[0] (eraser): scopes[0]: resource `https://photos.example.com` has no scope `delete:photos` in the file or the database"
        ]
    );
    assert_eq!(db.get_role_by_name("eraser").await.expect("role"), None);
}

async fn a_fixed_id_becomes_the_client_id_and_the_secret_verifies(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let web = db.get_application(&ApplicationId::from("photo-web")).await.expect("get").expect("fixed client id");
    assert_eq!(web.name, "Photo Web");
    let secrets = db.list_secrets(&web.id).await.expect("secrets");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].name, "import");
    assert_eq!(secrets[0].expires_at, None);
    assert!(crypto::secret_matches(WEB_SECRET, &secrets[0].hash));
    assert!(!crypto::secret_matches(ROBOT_SECRET, &secrets[0].hash));
    let robot = db.get_application(&ApplicationId::from("photo-robot")).await.expect("get").expect("fixed id");
    let secrets = db.list_secrets(&robot.id).await.expect("secrets");
    assert!(crypto::secret_matches(ROBOT_SECRET, &secrets[0].hash));

    // With a fixed id the name can change: the id finds the application.
    let mut file = full();
    file.applications[0].name = "Photo Website".to_owned();
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    assert_eq!(db.get_application(&web.id).await.expect("get").expect("same app").name, "Photo Website");
    assert_eq!(db.list_applications(None, EVERY).await.expect("apps").1, 3, "renamed, not duplicated");
}

async fn a_new_secret_replaces_only_the_import_secret(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let web = ApplicationId::from("photo-web");
    let other = AppSecret {
        application_id: web.clone(),
        name: "rotated-by-hand".to_owned(),
        hash: crypto::token_hash("another secret"),
        created_at: Timestamp(1_500),
        expires_at: None,
    };
    db.insert_secret(&other).await.expect("a secret made elsewhere");

    let mut file = full();
    let new_secret = "web-secret-NEW-0123456789abcdefghijklmnopqrstuvwxyz";
    file.applications[0].secret = Some(import::Sensitive(new_secret.to_owned()));
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.applications, counts(0, 1, 2));
    let secrets = db.list_secrets(&web).await.expect("secrets");
    let import_secret = secrets.iter().find(|s| s.name == "import").expect("import secret");
    assert!(crypto::secret_matches(new_secret, &import_secret.hash));
    assert!(!crypto::secret_matches(WEB_SECRET, &import_secret.hash));
    assert_eq!(import_secret.created_at, Timestamp(2_000));
    assert!(secrets.contains(&other), "other secrets are untouched");
    assert_eq!(secrets.len(), 2);

    let again = import_ok(db, &file, 3_000).await;
    assert!(!again.changed(), "{again:?}");
}

async fn types_and_client_ids_cannot_change(db: &Db) {
    import_ok(db, &full(), 1_000).await;
    let before = snapshot(db).await;
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.applications[0].app_type = "SPA".to_owned(),
            "applications[0] (Photo Web): type: the stored application is Traditional; an application's type cannot change",
        ),
        (
            |f| f.roles[0].role_type = Some("MachineToMachine".to_owned()),
            "roles[0] (photo-reader): type: the stored role is a User role; a role's type cannot change",
        ),
        (
            |f| f.applications[1].id = Some("photo-spa".to_owned()),
            "applications[1] (Photo SPA): id: an application with this name already exists with client id",
        ),
        (
            |f| {
                f.applications[0].name = "Photo SPA".to_owned();
                f.applications.remove(1);
            },
            "applications[0] (Photo SPA): name: already used by the application with client id",
        ),
        (
            |f| f.users[1].email = Some("alice@example.com".to_owned()),
            "users[1] (alice@example.com): email: `alice@example.com` is also used by users[0] (alice)",
        ),
        (
            |f| {
                f.users[0].email = Some("bob@example.com".to_owned());
                f.users.truncate(1);
            },
            "users[0] (alice): email: `bob@example.com` already belongs to another user",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = full();
        mutate(&mut file);
        let found = problems(run(db, &file, 2_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }
    assert_eq!(snapshot(db).await, before, "nothing was written");
}

async fn organizations_permissions_and_branding_are_created_and_resolve(db: &Db) {
    let report = import_ok(db, &with_orgs(), 1_000).await;
    assert_eq!(report.organization_scopes, counts(2, 0, 0));
    assert_eq!(report.organization_roles, counts(2, 0, 0));
    assert_eq!(report.organizations, counts(2, 0, 0));
    assert_eq!(report.applications, counts(4, 0, 0));
    assert_eq!(report.clients[3].client_id, "partner");

    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let acme = org(db, "Acme").await;
    assert_eq!(acme.description.as_deref(), Some("A customer"));
    assert_eq!(acme.created_at, Timestamp(1_000));
    assert_eq!(
        members(db, &acme.id).await,
        sorted_members(vec![(alice.id.clone(), vec!["admin"]), (bob.id.clone(), vec!["member"])])
    );
    assert_eq!(
        db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"),
        ["invite:member", "manage:billing"]
    );
    assert_eq!(db.user_organization_scopes(&bob.id, &acme.id).await.expect("scopes"), ["invite:member"]);
    let res = photos(db).await;
    assert_eq!(
        db.user_organization_resource_scopes(&alice.id, &acme.id, &res.id).await.expect("scopes"),
        ["write:photos"]
    );
    assert!(db.user_organization_resource_scopes(&bob.id, &acme.id, &res.id).await.expect("scopes").is_empty());
    assert_eq!(db.user_organizations(&alice.id).await.expect("orgs"), [(acme.id.clone(), "Acme".to_owned())]);
    let globex = org(db, "Globex").await;
    assert_eq!(globex.description, None);
    assert!(members(db, &globex.id).await.is_empty());
    let admin = org_role(db, "admin").await;
    assert_eq!(admin.description, "Runs the organization");
    assert_eq!(org_role(db, "member").await.description, "");

    let partner = app(db, "Partner App").await;
    assert!(partner.is_third_party);
    assert_eq!(partner.id.as_str(), "partner");
    let secrets = db.list_secrets(&partner.id).await.expect("secrets");
    assert!(crypto::secret_matches(PARTNER_SECRET, &secrets[0].hash));
    let read = photos_scope_id(db, "read:photos").await.0;
    let write = photos_scope_id(db, "write:photos").await.0;
    let invite = org_scope_id(db, "invite:member").await.0;
    let billing = org_scope_id(db, "manage:billing").await.0;
    assert_eq!(
        permissions(db, &partner.id).await,
        BTreeSet::from([
            (ConsentScopeType::User, "email".to_owned(), true),
            (ConsentScopeType::User, "profile".to_owned(), false),
            (ConsentScopeType::Resource, read, true),
            (ConsentScopeType::Resource, write.clone(), false),
            (ConsentScopeType::Organization, invite, true),
            (ConsentScopeType::Organization, billing, false),
            (ConsentScopeType::OrganizationResource, write, true),
        ])
    );
    assert_eq!(
        db.get_branding(&partner.id).await.expect("branding"),
        Some(Branding {
            application_id: partner.id.clone(),
            display_name: Some("Partner".to_owned()),
            logo_url: Some("https://partner.example.com/logo.png".to_owned()),
            dark_logo_url: Some("https://partner.example.com/logo-dark.png".to_owned()),
            terms_of_use_url: Some("https://partner.example.com/terms".to_owned()),
            privacy_policy_url: Some("http://localhost:8080/privacy".to_owned()),
            color: Some("#3b5bdb".to_owned()),
            updated_at: Timestamp(1_000),
        })
    );
    // First-party apps of the file get neither.
    let web = app(db, "Photo Web").await;
    assert!(db.list_consent_scopes(&web.id).await.expect("consent scopes").is_empty());
    assert_eq!(db.get_branding(&web.id).await.expect("branding"), None);
}

fn sorted_members(list: Vec<(UserId, Vec<&str>)>) -> Members {
    let mut out: Members =
        list.into_iter().map(|(u, roles)| (u, roles.into_iter().map(str::to_owned).collect())).collect();
    out.sort();
    out
}

async fn importing_organizations_and_permissions_twice_changes_nothing(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let before = (snapshot(db).await, org_snapshot(db).await);
    let second = import_ok(db, &with_orgs(), 2_000).await;
    assert_eq!(second.organization_scopes, counts(0, 0, 2));
    assert_eq!(second.organization_roles, counts(0, 0, 2));
    assert_eq!(second.organizations, counts(0, 0, 2));
    assert_eq!(second.applications, counts(0, 0, 4));
    assert_eq!((second.resources, second.scopes, second.roles), (counts(0, 0, 1), counts(0, 0, 2), counts(0, 0, 2)));
    assert_eq!(second.users, counts(0, 0, 2));
    assert!(!second.changed(), "{second:?}");
    assert_eq!((snapshot(db).await, org_snapshot(db).await), before, "not even the branding's updated_at changed");
}

async fn member_permission_and_organization_role_lists_are_exact_when_present(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let acme = org(db, "Acme").await;
    let globex = org(db, "Globex").await;
    let partner = ApplicationId::from("partner");
    let mut file = with_orgs();

    // A member left out is removed, with its organization roles; the others keep theirs.
    file.organizations[0].members.as_mut().expect("members").truncate(1);
    let report = import_ok(db, &file, 2_000).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert_eq!(report.users, counts(0, 0, 2), "membership is the organization's, not the user's");
    assert_eq!(members(db, &acme.id).await, sorted_members(vec![(alice.id.clone(), vec!["admin"])]));
    assert!(!db.is_organization_member(&acme.id, &bob.id).await.expect("member"));
    assert!(db.user_organization_scopes(&bob.id, &acme.id).await.expect("scopes").is_empty());
    assert_eq!(org(db, "Acme").await, acme, "only the membership changed");

    // A member's roles are exact.
    file.organizations[0].members.as_mut().expect("members")[0].roles = Some(vec!["member".to_owned()]);
    let report = import_ok(db, &file, 3_000).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert_eq!(db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"), ["invite:member"]);

    // Without `roles`, a member's roles stay; without `members`, memberships made elsewhere stay.
    file.organizations[0].members.as_mut().expect("members")[0].roles = None;
    db.add_organization_members(&globex.id, std::slice::from_ref(&bob.id), Timestamp(3_500)).await.expect("add");
    let report = import_ok(db, &file, 4_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(members(db, &acme.id).await, sorted_members(vec![(alice.id.clone(), vec!["member"])]));
    assert_eq!(members(db, &globex.id).await, sorted_members(vec![(bob.id.clone(), vec![])]));
    // `members = []` empties the organization.
    file.organizations[1].members = Some(Vec::new());
    let report = import_ok(db, &file, 4_500).await;
    assert_eq!(report.organizations, counts(0, 1, 1));
    assert!(members(db, &globex.id).await.is_empty());

    // An organization role's scopes and resource scopes are exact too; every holder sees it.
    file.organizations[0].members.as_mut().expect("members")[0].roles = Some(vec!["admin".to_owned()]);
    file.organization_roles[0].scopes = Some(vec!["manage:billing".to_owned()]);
    file.organization_roles[0].resource_scopes = Some(Vec::new());
    let report = import_ok(db, &file, 5_000).await;
    assert_eq!(report.organization_roles, counts(0, 1, 1));
    assert_eq!(db.user_organization_scopes(&alice.id, &acme.id).await.expect("scopes"), ["manage:billing"]);
    let res = photos(db).await;
    assert!(db.user_organization_resource_scopes(&alice.id, &acme.id, &res.id).await.expect("scopes").is_empty());

    // Permissions are the exact allow-list: a kind left out allows nothing of that kind, and
    // `required` is updated in place.
    let perms = file.applications[3].permissions.as_mut().expect("permissions");
    perms.user_scopes =
        vec![import::NamedPermission::Entry(import::NamedPermissionEntry { id: "email".to_owned(), required: false })];
    perms.organization_resource_scopes = Vec::new();
    perms.organization_scopes.truncate(1);
    let report = import_ok(db, &file, 6_000).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    assert_eq!(report.clients[3].outcome, Outcome::Updated);
    let read = photos_scope_id(db, "read:photos").await.0;
    let write = photos_scope_id(db, "write:photos").await.0;
    let invite = org_scope_id(db, "invite:member").await.0;
    let expected = BTreeSet::from([
        (ConsentScopeType::User, "email".to_owned(), false),
        (ConsentScopeType::Resource, read, true),
        (ConsentScopeType::Resource, write, false),
        (ConsentScopeType::Organization, invite, true),
    ]);
    assert_eq!(permissions(db, &partner).await, expected);
    file.applications[3].permissions = Some(import::PermissionsEntry::default());
    let report = import_ok(db, &file, 6_500).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    assert!(permissions(db, &partner).await.is_empty(), "an empty table allows nothing");

    // Without `permissions`, what was added elsewhere stays.
    let phone = ConsentScope { scope_type: ConsentScopeType::User, scope_ref: "phone".to_owned(), required: true };
    db.add_consent_scopes(&partner, std::slice::from_ref(&phone)).await.expect("add");
    file.applications[3].permissions = None;
    let report = import_ok(db, &file, 7_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(permissions(db, &partner).await, BTreeSet::from([(ConsentScopeType::User, "phone".to_owned(), true)]));

    // Branding: a field written is set, a field left out keeps the stored value.
    let branding = file.applications[3].branding.as_mut().expect("branding");
    branding.color = Some("#000000".to_owned());
    branding.logo_url = None;
    let report = import_ok(db, &file, 8_000).await;
    assert_eq!(report.applications, counts(0, 1, 3));
    let stored = db.get_branding(&partner).await.expect("branding").expect("set");
    assert_eq!(stored.color.as_deref(), Some("#000000"));
    assert_eq!(stored.logo_url.as_deref(), Some("https://partner.example.com/logo.png"));
    assert_eq!(stored.updated_at, Timestamp(8_000));
    let report = import_ok(db, &file, 9_000).await;
    assert!(!report.changed(), "{report:?}");
    assert_eq!(db.get_branding(&partner).await.expect("branding").expect("set").updated_at, Timestamp(8_000));
}

async fn invalid_organizations_permissions_and_branding_name_the_entry_and_field_and_write_nothing(db: &Db) {
    fn perms(f: &mut ImportFile) -> &mut import::PermissionsEntry {
        f.applications[3].permissions.as_mut().expect("permissions")
    }
    fn branding(f: &mut ImportFile) -> &mut import::BrandingEntry {
        f.applications[3].branding.as_mut().expect("branding")
    }
    fn member(f: &mut ImportFile, i: usize) -> &mut import::MemberEntry {
        &mut f.organizations[0].members.as_mut().expect("members")[i]
    }
    let cases: &[(Mutation, &str)] = &[
        (
            |f| f.organization_scopes[0].name = "invite member".to_owned(),
            "organization_scopes[0] (invite member): name: `invite member` is not a scope token",
        ),
        (
            |f| f.organization_scopes[1].name = "email".to_owned(),
            "organization_scopes[1] (email): name: `email` is an OpenID Connect user scope",
        ),
        (
            |f| f.organization_scopes[1].name = "invite:member".to_owned(),
            "organization_scopes[1] (invite:member): name: `invite:member` is also used by organization_scopes[0]",
        ),
        (
            |f| f.organization_scopes[0].description = Some("x".repeat(513)),
            "organization_scopes[0] (invite:member): description: must be at most 512 characters",
        ),
        (|f| f.organization_roles[1].name = " ".to_owned(), "organization_roles[1] ( ): name: must not be empty"),
        (
            |f| f.organization_roles[1].scopes = Some(vec!["delete:org".to_owned()]),
            "organization_roles[1] (member): scopes[0]: no organization scope `delete:org` in the file or the database",
        ),
        (
            |f| f.organization_roles[1].scopes = Some(vec!["invite:member".to_owned(); 2]),
            "organization_roles[1] (member): scopes[1]: organization scope `invite:member` is listed twice",
        ),
        (
            |f| f.organization_roles[0].resource_scopes.as_mut().expect("scopes")[0].scope = "delete:photos".to_owned(),
            "organization_roles[0] (admin): resource_scopes[0]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| {
                f.organization_roles[0].resource_scopes.as_mut().expect("scopes")[0].resource =
                    "https://other.example.com".to_owned()
            },
            "organization_roles[0] (admin): resource_scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (
            |f| f.organizations[1].name = "Acme".to_owned(),
            "organizations[1] (Acme): name: `Acme` is also used by organizations[0] (Acme)",
        ),
        (
            |f| f.organizations[0].description = Some("x".repeat(2049)),
            "organizations[0] (Acme): description: must be at most 2048 characters",
        ),
        (
            |f| member(f, 1).user = "nobody".to_owned(),
            "organizations[0] (Acme): members[1].user: no user `nobody` in the file or the database",
        ),
        (
            |f| member(f, 1).user = "ALICE@example.com".to_owned(),
            "organizations[0] (Acme): members[1].user: `ALICE@example.com` is the same user as members[0]",
        ),
        (
            |f| member(f, 0).roles = Some(vec!["owner".to_owned()]),
            "organizations[0] (Acme): members[0].roles[0]: no organization role `owner` in the file or the database",
        ),
        (
            |f| member(f, 0).roles = Some(vec!["admin".to_owned(), "admin".to_owned()]),
            "organizations[0] (Acme): members[0].roles[1]: organization role `admin` is listed twice",
        ),
        (
            |f| f.applications[3].third_party = Some(false),
            "applications[3] (Partner App): permissions: only third-party applications have permissions",
        ),
        (
            |f| f.applications[0].permissions = Some(import::PermissionsEntry::default()),
            "applications[0] (Photo Web): permissions: only third-party applications have permissions",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("openid".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: `openid` is not a user scope",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("shoe_size".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: `shoe_size` is not a user scope",
        ),
        (
            |f| perms(f).user_scopes.push(import::NamedPermission::Name("email".to_owned())),
            "applications[3] (Partner App): permissions.user_scopes[2]: scope `email` is listed twice",
        ),
        (
            |f| perms(f).resource_scopes[1].scope = "delete:photos".to_owned(),
            "applications[3] (Partner App): permissions.resource_scopes[1]: resource `https://photos.example.com` has no scope `delete:photos`",
        ),
        (
            |f| perms(f).resource_scopes[1].scope = "read:photos".to_owned(),
            "applications[3] (Partner App): permissions.resource_scopes[1]: scope `read:photos` of `https://photos.example.com` is listed twice",
        ),
        (
            |f| perms(f).organization_resource_scopes[0].resource = "https://other.example.com".to_owned(),
            "applications[3] (Partner App): permissions.organization_resource_scopes[0]: no resource with indicator `https://other.example.com`",
        ),
        (
            |f| perms(f).organization_scopes.push(import::NamedPermission::Name("delete:org".to_owned())),
            "applications[3] (Partner App): permissions.organization_scopes[2]: no organization scope `delete:org` in the file or the database",
        ),
        (
            |f| branding(f).logo_url = Some("http://partner.example.com/logo.png".to_owned()),
            "applications[3] (Partner App): branding.logo_url: `http://partner.example.com/logo.png` is not an absolute https URL",
        ),
        (
            |f| branding(f).dark_logo_url = Some("/logo-dark.png".to_owned()),
            "applications[3] (Partner App): branding.dark_logo_url: `/logo-dark.png` is not an absolute https URL",
        ),
        (
            |f| branding(f).terms_of_use_url = Some(format!("https://partner.example.com/{}", "t".repeat(2048))),
            "applications[3] (Partner App): branding.terms_of_use_url:",
        ),
        (
            |f| branding(f).privacy_policy_url = Some("https://user@partner.example.com/privacy".to_owned()),
            "applications[3] (Partner App): branding.privacy_policy_url:",
        ),
        (
            |f| branding(f).color = Some("blue".to_owned()),
            "applications[3] (Partner App): branding.color: `blue` is not a color like #3b5bdb",
        ),
        (
            |f| branding(f).color = Some("#3b5bdg".to_owned()),
            "applications[3] (Partner App): branding.color: `#3b5bdg` is not a color",
        ),
        (
            |f| branding(f).display_name = Some("p".repeat(257)),
            "applications[3] (Partner App): branding.display_name: must be at most 256 characters",
        ),
        (
            |f| branding(f).display_name = Some(String::new()),
            "applications[3] (Partner App): branding.display_name: must not be empty",
        ),
    ];
    for (mutate, expected) in cases {
        let mut file = with_orgs();
        mutate(&mut file);
        let found = problems(run(db, &file, 1_000).await.expect_err(expected));
        assert!(found.iter().any(|p| p.contains(expected)), "expected `{expected}` among {found:#?}");
    }
    let mut file = with_orgs();
    member(&mut file, 1).user = "nobody".to_owned();
    branding(&mut file).color = Some("blue".to_owned());
    let found = problems(run(db, &file, 1_000).await.expect_err("two problems"));
    assert_eq!(found.len(), 2, "every problem is reported at once: {found:#?}");

    let written = org_snapshot(db).await;
    assert!(written.scopes.is_empty() && written.roles.is_empty() && written.orgs.is_empty(), "{written:?}");
    assert!(written.apps.is_empty(), "nothing was written: {written:?}");
    assert_eq!(db.list_users(EVERY).await.expect("users").1, 0);
    assert!(db.list_resources().await.expect("resources").is_empty());

    // The branding rules accept what the admin API accepts.
    let mut file = with_orgs();
    branding(&mut file).logo_url = Some("http://127.0.0.1:8080/logo.png".to_owned());
    branding(&mut file).color = Some("#ABCDEF".to_owned());
    import_ok(db, &file, 1_000).await;
    let stored = db.get_branding(&ApplicationId::from("partner")).await.expect("branding").expect("set");
    assert_eq!(
        (stored.logo_url.as_deref(), stored.color.as_deref()),
        (Some("http://127.0.0.1:8080/logo.png"), Some("#ABCDEF"))
    );
}

async fn organization_references_may_point_at_what_the_database_already_holds(db: &Db) {
    import_ok(db, &with_orgs(), 1_000).await;
    let second = ImportFile::parse(
        r#"
        [[organization_roles]]
        name = "billing"
        scopes = ["manage:billing"]
        resource_scopes = [ { resource = "https://photos.example.com", scope = "read:photos" } ]

        [[organizations]]
        name = "Initech"
        members = [
          { user = "alice@example.com", roles = ["admin", "billing"] },
          { user = "bob@example.com" },
        ]

        [[applications]]
        name = "Partner App"
        type = "Traditional"

        [applications.permissions]
        user_scopes = ["email"]
        organization_scopes = ["manage:billing"]
        "#,
    )
    .expect("parses");
    let report = import_ok(db, &second, 2_000).await;
    assert_eq!(
        (report.organization_scopes, report.organization_roles, report.organizations),
        (counts(0, 0, 0), counts(1, 0, 0), counts(1, 0, 0))
    );
    assert_eq!(report.applications, counts(0, 1, 0), "still third-party: the stored value holds");
    assert_eq!(report.users, counts(0, 0, 0), "not in the file, not counted");
    let alice = user(db, "alice").await;
    let bob = user(db, "bob@example.com").await;
    let initech = org(db, "Initech").await;
    assert_eq!(
        members(db, &initech.id).await,
        sorted_members(vec![(alice.id.clone(), vec!["admin", "billing"]), (bob.id.clone(), vec![])])
    );
    assert_eq!(
        db.user_organization_scopes(&alice.id, &initech.id).await.expect("scopes"),
        ["invite:member", "manage:billing"]
    );
    let res = photos(db).await;
    assert_eq!(
        db.user_organization_resource_scopes(&alice.id, &initech.id, &res.id).await.expect("scopes"),
        ["read:photos", "write:photos"]
    );
    let billing = org_scope_id(db, "manage:billing").await.0;
    assert_eq!(
        permissions(db, &ApplicationId::from("partner")).await,
        BTreeSet::from([
            (ConsentScopeType::User, "email".to_owned(), true),
            (ConsentScopeType::Organization, billing, true),
        ])
    );

    let missing = ImportFile::parse(
        r#"
        [[organizations]]
        name = "Nowhere"
        members = [ { user = "carol", roles = ["owner"] } ]

        [[applications]]
        name = "Partner App"
        type = "Traditional"
        permissions = { organization_scopes = ["delete:org"] }
        "#,
    )
    .expect("parses");
    let before = org_snapshot(db).await;
    let found = problems(run(db, &missing, 3_000).await.expect_err("unknown references"));
    assert_eq!(
        found,
        [
            "organizations[0] (Nowhere): members[0].user: no user `carol` in the file or the database",
            "organizations[0] (Nowhere): members[0].roles[0]: no organization role `owner` in the file or the database",
            "applications[0] (Partner App): permissions.organization_scopes[0]: no organization scope `delete:org` in the file or the database",
        ]
    );
    assert_eq!(org_snapshot(db).await, before, "nothing was written");
}

#[test]
fn unknown_keys_are_rejected_when_parsing() {
    let err = ImportFile::parse("[[users]]\nusername = \"alice\"\npasword = \"typo\"\n").expect_err("typo");
    assert!(matches!(err, ImportError::Parse(_)), "{err}");
    assert!(err.to_string().contains("pasword"), "{err}");
    let debug = format!("{:?}", full());
    assert!(!debug.contains(ALICE_PASSWORD) && !debug.contains(WEB_SECRET), "secrets never reach Debug output");
}

#[test]
fn unknown_keys_in_permissions_and_branding_are_rejected_when_parsing() {
    for (text, name) in [
        ("[[applications]]\nname = \"A\"\ntype = \"SPA\"\npermissions = { user_scope = [\"email\"] }\n", "user_scope"),
        ("[[applications]]\nname = \"A\"\ntype = \"SPA\"\nbranding = { logo = \"https://a.example/l.png\" }\n", "logo"),
        ("[[organizations]]\nname = \"Acme\"\nmembers = [ { username = \"alice\" } ]\n", "username"),
    ] {
        let err = ImportFile::parse(text).expect_err(name);
        assert!(matches!(err, ImportError::Parse(_)), "{err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = ImportFile::parse(
        "[[applications]]\nname = \"A\"\ntype = \"SPA\"\npermissions = { user_scopes = [{ id = \"email\", optional = true }] }\n",
    )
    .expect_err("not a permission");
    assert!(err.to_string().contains("a name, or a table like"), "{err}");
}

/// A configuration for the `latch` binary on a fresh SQLite file in `dir`.
fn command_config(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("latch.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[database]\nurl = {:?}\n[log]\nlevel = \"warn\"\n\
             [password_hash]\nmemory_kib = 64\niterations = 1\nparallelism = 1\n",
            dir.display().to_string(),
            dir.join("latch.db").display().to_string()
        ),
    )
    .expect("write config");
    config
}

/// Runs `latch --config CONFIG import FILE` without the caller's `LATCH_*` environment.
fn latch_import(config: &std::path::Path, file: &std::path::Path) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_latch"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("LATCH_") || k == "RUST_LOG") {
        cmd.env_remove(key);
    }
    cmd.arg("--config").arg(config).arg("import").arg(file).output().expect("run latch")
}

/// Runs the import, which must succeed, and parses its JSON report.
fn import_report(config: &std::path::Path, file: &std::path::Path) -> serde_json::Value {
    let out = latch_import(config, file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str::<serde_json::Value>(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}): {stdout}"))
}

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples")).join(name)
}

/// Every kind the report counts.
const REPORT_KINDS: &[&str] = &[
    "resources",
    "scopes",
    "roles",
    "users",
    "organization_scopes",
    "organization_roles",
    "organizations",
    "applications",
];

/// The `latch import` command on the documented example: a JSON report with client ids, and a
/// second run that changes nothing.
#[test]
fn the_import_command_applies_the_example_file_and_prints_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = command_config(dir.path());
    let example = example("import.toml");
    let run = || import_report(&config, &example);
    let first = run();
    assert_eq!(first["applications"], serde_json::json!({"created": 3, "updated": 0, "unchanged": 0}));
    assert_eq!(first["users"], serde_json::json!({"created": 2, "updated": 0, "unchanged": 0}));
    assert_eq!(first["clients"][0]["client_id"], "photo-web");
    assert_eq!(first["clients"][2]["client_id"], "photo-thumbnailer");
    let second = run();
    for kind in REPORT_KINDS {
        assert_eq!(second[kind]["created"], 0, "{kind}: {second}");
        assert_eq!(second[kind]["updated"], 0, "{kind}: {second}");
    }
    assert_eq!(second["clients"], {
        let mut c = first["clients"].clone();
        for client in c.as_array_mut().expect("array") {
            client["outcome"] = serde_json::json!("unchanged");
        }
        c
    });

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[applications]]\nname = \"Bad\"\ntype = \"SPA\"\nredirect_uris = [\"http://x.example/cb\"]\n",
    )
    .expect("write");
    let out = latch_import(&config, &broken);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("applications[0] (Bad): redirect_uris[0]:"), "{stderr}");
}

/// The third-party demo: everything created on the first run, everything unchanged on the
/// second, and the permissions and branding stored.
#[test]
fn the_import_command_applies_the_demo_file_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = command_config(dir.path());
    let demo = example("demo.toml");
    let first = import_report(&config, &demo);
    let created = |n: u32| serde_json::json!({"created": n, "updated": 0, "unchanged": 0});
    let expected = [
        ("resources", 1),
        ("scopes", 2),
        ("roles", 1),
        ("users", 2),
        ("organization_scopes", 1),
        ("organization_roles", 1),
        ("organizations", 1),
        ("applications", 1),
    ];
    for (kind, n) in expected {
        assert_eq!(first[kind], created(n), "{kind}: {first}");
    }
    assert_eq!(first["clients"][0]["name"], "Partner Photos");
    assert_eq!(first["clients"][0]["outcome"], "created");

    let second = import_report(&config, &demo);
    for (kind, n) in expected {
        assert_eq!(second[kind], serde_json::json!({"created": 0, "updated": 0, "unchanged": n}), "{kind}: {second}");
    }
    assert_eq!(second["clients"][0]["client_id"], first["clients"][0]["client_id"]);
    assert_eq!(second["clients"][0]["outcome"], "unchanged");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let db = Db::open(&dir.path().join("latch.db").display().to_string(), 1).expect("open the demo database");
        let partner = app(&db, "Partner Photos").await;
        assert!(partner.is_third_party);
        assert_eq!(partner.redirect_uris, ["http://localhost:3000/callback"]);
        let perms = permissions(&db, &partner.id).await;
        assert!(perms.contains(&(ConsentScopeType::User, "email".to_owned(), true)), "{perms:?}");
        assert!(perms.contains(&(ConsentScopeType::User, "profile".to_owned(), false)), "{perms:?}");
        let mut kinds: Vec<(ConsentScopeType, bool)> = perms.iter().map(|(t, _, required)| (*t, *required)).collect();
        kinds.sort();
        let mut expected = vec![
            (ConsentScopeType::User, true),
            (ConsentScopeType::User, false),
            (ConsentScopeType::User, true),
            (ConsentScopeType::Resource, true),
            (ConsentScopeType::Resource, false),
            (ConsentScopeType::Organization, true),
        ];
        expected.sort();
        assert_eq!(kinds, expected);
        let branding = db.get_branding(&partner.id).await.expect("branding").expect("the demo brands its app");
        assert!(branding.display_name.is_some() && branding.logo_url.is_some() && branding.color.is_some());
        let orgs = db.list_organizations(EVERY).await.expect("organizations").0;
        assert_eq!(members(&db, &orgs[0].id).await.len(), 2);
    });
}

//! The one write path (issue 10): every admin mutation, import and command-line change is one
//! unit of work with its audit entry and an announcement to every node, and a failed
//! multi-step command leaves nothing behind. On SQLite + memory and on Postgres + Redis.

use crate::harness::{AdminClient, Answer, TestServer};
use crate::on_both_backends;
use futures_util::StreamExt;
use latch_core::catalog::{CHANNEL, Change};
use latch_core::{Actor, commands};
use latch_domain::entities::{Grant, GrantDetails, Session};
use latch_domain::entities::{OrganizationRole, OrganizationScope};
use latch_domain::ids::{GrantId, OrganizationRoleId, OrganizationScopeId, SessionId};
use latch_domain::repo::{Page, RepoError};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Queries run per database, counted by a diesel instrumentation on every connection opened
/// after [`count_queries`] (keyed by the URL the connection was opened with).
static QUERIES: std::sync::Mutex<std::collections::BTreeMap<String, Vec<String>>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn count_queries() {
    fn counting() -> Option<Box<dyn diesel::connection::Instrumentation>> {
        let mut url = String::new();
        Some(Box::new(move |event: diesel::connection::InstrumentationEvent<'_>| match event {
            diesel::connection::InstrumentationEvent::StartEstablishConnection { url: u, .. } => url = u.to_owned(),
            diesel::connection::InstrumentationEvent::StartQuery { query, .. } => {
                QUERIES.lock().unwrap().entry(url.clone()).or_default().push(query.to_string());
            }
            _ => {}
        }))
    }
    diesel::connection::set_default_instrumentation(counting).expect("instrumentation");
}

/// Queries run so far on the database whose URL ends with `name`.
fn queries_on(name: &str) -> Vec<String> {
    QUERIES.lock().unwrap().iter().filter(|(url, _)| url.ends_with(name)).flat_map(|(_, q)| q.clone()).collect()
}

/// The query count of `GET /api/organizations/{id}/users?pageSize=100` with 100 members: the
/// organization, one joined page and one count, whatever the number of members (it was 103:
/// the ids, then one `get_user` per member).
async fn listing_organization_members_costs_the_same_for_one_or_a_hundred(backends: crate::harness::Backends) {
    count_queries();
    let Some(server) = TestServer::start(backends).await else { return };
    let admin = server.admin().await;
    let org = id(&admin.post("/organizations", json!({"name": "Big"})).await);
    let mut ids = Vec::new();
    for i in 0..100 {
        let body = json!({"username": format!("member{i}"), "password": "correct horse battery staple"});
        ids.push(id(&admin.post("/users", body).await));
    }
    let path = format!("/organizations/{org}/users?pageSize=100");
    let name = server.database_url().rsplit(['/', ':']).next().unwrap().to_owned();
    let cost = |n: usize| {
        let (admin, path, ids, name, org) = (&admin, &path, &ids, &name, &org);
        async move {
            let added = admin.post(&format!("/organizations/{org}/users"), json!({"userIds": ids[..n]})).await;
            assert_eq!(added.status, 201);
            admin.get(path).await; // warms the caller's cached client and role scopes
            let before = queries_on(name).len();
            let page = admin.get(path).await;
            assert_eq!(page.total, Some(n as i64));
            assert_eq!(page.body.as_array().unwrap().len(), n, "the page holds whole users");
            assert!(page.body[0]["username"].as_str().is_some_and(|u| u.starts_with("member")));
            assert!(page.body[0]["organizationRoles"].is_array(), "with each member's roles");
            // r2d2 checks each connection it hands out with `SELECT 1`; the rest is the work.
            queries_on(name).split_off(before).into_iter().filter(|q| q != "SELECT 1").collect::<Vec<_>>()
        }
    };
    let one = cost(1).await;
    let hundred = cost(100).await;
    let (one, hundred) = (one.len(), hundred);
    eprintln!(
        "GET /api/organizations/{{id}}/users?pageSize=100 on {backends:?}: {one} queries for 1 member, {} for 100",
        hundred.len()
    );
    assert_eq!(one, hundred.len(), "no query per member: {hundred:#?}");
    assert_eq!(hundred.len(), 4, "the organization, the page, its count and the page's roles: {hundred:#?}");
}

/// The database queries of the token hot path (issue 12), pinned so that none is added
/// unnoticed; the hot-path work lowers the pins. The catalog holds clients, resources and role
/// scopes, so a warm client_credentials grant asks the database nothing.
async fn hot_path_queries(backends: crate::harness::Backends) {
    use crate::browser::Browser;
    use crate::oidc_flows::{FlowOptions, run_flow};
    use latch_domain::entities::{AppType, RoleType};
    count_queries();
    let Some(server) = TestServer::start(backends).await else { return };
    let name = server.database_url().rsplit(['/', ':']).next().unwrap().to_owned();
    let work =
        |before: usize| queries_on(&name).split_off(before).into_iter().filter(|q| q != "SELECT 1").collect::<Vec<_>>();

    let robot = server.app("robot", AppType::MachineToMachine, false, &[]).await;
    server.resource("https://api.example.com", &["read"], "robot-role", RoleType::MachineToMachine).await;
    server.repos.add_application_roles(&"robot".into(), &["robot-role".into()]).await.unwrap();
    let grant = || async {
        server.client_credentials(&robot, "https://api.example.com").await;
    };
    grant().await; // loads the catalog's entries
    let before = queries_on(&name).len();
    grant().await;
    let cc = work(before);

    let web = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    run_flow(&server, &browser, &web, FlowOptions::default()).await;
    let before = queries_on(&name).len();
    run_flow(&server, &browser, &web, FlowOptions { sign_in: false, ..Default::default() }).await;
    let sso = work(before);
    eprintln!(
        "hot path on {backends:?}: client_credentials {} queries, SSO flow (authorize, token, userinfo) {}: {sso:#?}",
        cc.len(),
        sso.len()
    );
    assert!(cc.is_empty(), "a warm client_credentials grant reads nothing: {cc:#?}");
    assert!(sso.len() <= SSO_QUERIES, "the SSO flow ran {} queries, more than {SSO_QUERIES}: {sso:#?}", sso.len());
}

/// Queries of a signed-in authorization request, its code exchange and a userinfo call today:
/// the session, the user three times (authorize, token, userinfo), the grant read, the access
/// token stored and read back. It was 12: the app came from the database, not the catalog, and
/// every authorization wrote its unchanged grant (a transaction of three statements).
const SSO_QUERIES: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_path_runs_a_pinned_number_of_queries_embedded() {
    hot_path_queries(crate::harness::Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn the_hot_path_runs_a_pinned_number_of_queries_production() {
    hot_path_queries(crate::harness::Backends::Production).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_organization_members_is_a_fixed_number_of_queries_embedded() {
    listing_organization_members_costs_the_same_for_one_or_a_hundred(crate::harness::Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn listing_organization_members_is_a_fixed_number_of_queries_production() {
    listing_organization_members_costs_the_same_for_one_or_a_hundred(crate::harness::Backends::Production).await;
}

on_both_backends!(
    a_failed_multi_step_command_leaves_nothing_behind,
    a_unit_of_work_with_an_object_breaking_a_rule_is_refused_whole,
    every_admin_mutation_writes_one_audit_entry_and_announces_it,
    import_bootstrap_and_command_line_changes_are_audited_and_announced,
);

/// Announcements as a node hears them.
type Announcements = futures_util::stream::BoxStream<'static, String>;

async fn listen(server: &TestServer) -> Announcements {
    server.core.cache.subscribe(CHANNEL).await.expect("subscribe to announcements")
}

/// The announcements heard since the last call: at least one is awaited (the change announced
/// before its response was sent), then whatever else arrives within a moment.
async fn heard(messages: &mut Announcements) -> Vec<Change> {
    let mut out = Vec::new();
    if let Ok(Some(m)) = tokio::time::timeout(Duration::from_secs(5), messages.next()).await {
        out.push(Change::parse(&m));
        while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), messages.next()).await {
            out.push(Change::parse(&m));
        }
    }
    out
}

async fn newest_audit(admin: &AdminClient) -> (i64, Value) {
    let page = admin.get("/audit-logs?pageSize=1").await;
    assert_eq!(page.status, 200);
    (page.total.expect("a total"), page.body[0].clone())
}

/// Runs mutation after mutation through the admin API, checking that each one adds exactly one
/// audit entry by the caller and is announced; records which route templates it covered.
struct Script<'a> {
    admin: &'a AdminClient,
    messages: Announcements,
    actor: String,
    covered: BTreeSet<String>,
    actions: Vec<String>,
}

impl Script<'_> {
    async fn call(&mut self, method: Method, template: &str, path: &str, body: Option<Value>, status: u16) -> Answer {
        let (before, _) = newest_audit(self.admin).await;
        let answer = self.admin.call(method.clone(), path, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {:?}", answer.body);
        let heard = heard(&mut self.messages).await;
        assert!(!heard.is_empty(), "{method} {path} was announced");
        let (after, entry) = newest_audit(self.admin).await;
        assert_eq!(after, before + 1, "{method} {path} wrote exactly one audit entry");
        assert_eq!(entry["actor"], self.actor.as_str(), "{method} {path}: the caller is recorded");
        let action = entry["action"].as_str().unwrap_or_default().to_owned();
        assert!(!action.is_empty(), "{method} {path}: an action is named");
        self.actions.push(action);
        self.covered.insert(format!("{method} /api{template}"));
        answer
    }
}

fn id(a: &Answer) -> String {
    a.body["id"].as_str().expect("an id").to_owned()
}

/// Every mutating operation of the OpenAPI document, as `METHOD /api/path/{param}`.
/// Operations that are not GETs yet store nothing: a test message goes to the SMTP server and
/// nowhere else (`tests/e2e/email.rs` covers it).
const NOT_WRITES: &[&str] = &["POST /api/email/test"];

async fn mutating_operations(server: &TestServer) -> BTreeSet<String> {
    let doc: Value = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            let op = format!("{} {path}", method.to_uppercase());
            if method != "get" && !NOT_WRITES.contains(&op.as_str()) {
                out.insert(op);
            }
        }
    }
    out
}

async fn every_admin_mutation_writes_one_audit_entry_and_announces_it(server: &TestServer) {
    let admin = server.admin().await;
    // The caller: the machine-to-machine app `admin()` created for this test.
    let apps = admin.get("/applications?pageSize=100").await;
    let robot = apps.body.as_array().unwrap().iter().find(|a| a["name"].as_str().unwrap().starts_with("admin-robot"));
    let actor = format!("application:{}", robot.expect("the robot app")["id"].as_str().unwrap());
    let mut s =
        Script { admin: &admin, messages: listen(server).await, actor, covered: BTreeSet::new(), actions: Vec::new() };
    let (post, patch, put, delete) = (Method::POST, Method::PATCH, Method::PUT, Method::DELETE);

    // Applications, secrets, branding and permissions.
    let web = json!({"name": "Partner", "type": "Traditional", "isThirdParty": true,
        "oidcClientMetadata": {"redirectUris": ["https://partner.example.com/cb"], "postLogoutRedirectUris": []}});
    let a = id(&s.call(post.clone(), "/applications", "/applications", Some(web), 201).await);
    s.call(patch.clone(), "/applications/{id}", &format!("/applications/{a}"), Some(json!({"description": "d"})), 200)
        .await;
    let path = format!("/applications/{a}/secrets");
    s.call(post.clone(), "/applications/{id}/secrets", &path, Some(json!({"name": "second"})), 201).await;
    let path = format!("/applications/{a}/secrets/second");
    s.call(delete.clone(), "/applications/{id}/secrets/{name}", &path, None, 204).await;
    let body = json!({"displayName": "Partner", "color": "#3b5bdb"});
    let path = format!("/applications/{a}/sign-in-experience");
    s.call(put.clone(), "/applications/{id}/sign-in-experience", &path, Some(body), 200).await;
    let body = json!({"organizationName": "Acme", "accentColor": "#1864ab"});
    s.call(put.clone(), "/sign-in-experience", "/sign-in-experience", Some(body), 200).await;
    let body = json!({"enabled": true, "appTypes": ["SPA"], "registrationsPerHour": 10, "permissions": {"userScopes": ["email"]}});
    s.call(put.clone(), "/registration-policy", "/registration-policy", Some(body), 200).await;
    // A client registers itself (RFC 7591); an operator takes it over.
    let registered: Value = reqwest::Client::new()
        .post(server.url("/oidc/reg"))
        .json(&json!({"redirect_uris": ["https://reg.example.com/cb"], "token_endpoint_auth_method": "none"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!("/applications/{}/registration", registered["client_id"].as_str().expect("registered"));
    s.call(delete.clone(), "/applications/{id}/registration", &path, None, 204).await;
    let path = "/registration-policy/initial-access-tokens";
    let issued = s.call(post.clone(), path, path, Some(json!({"name": "Partner"})), 201).await;
    let path = format!("/registration-policy/initial-access-tokens/{}", id(&issued));
    s.call(delete.clone(), "/registration-policy/initial-access-tokens/{id}", &path, None, 204).await;

    // Resources and scopes.
    let body = json!({"name": "Photos", "indicator": "https://photos.example.com"});
    let r = id(&s.call(post.clone(), "/resources", "/resources", Some(body), 201).await);
    s.call(patch.clone(), "/resources/{id}", &format!("/resources/{r}"), Some(json!({"name": "Photos API"})), 200)
        .await;
    let path = format!("/resources/{r}/scopes");
    let read = id(&s.call(post.clone(), "/resources/{id}/scopes", &path, Some(json!({"name": "read"})), 201).await);
    let write = id(&s.call(post.clone(), "/resources/{id}/scopes", &path, Some(json!({"name": "write"})), 201).await);

    let body = json!({"resourceScopes": [{"id": read, "required": true}]});
    let path = format!("/applications/{a}/user-consent-scopes");
    s.call(post.clone(), "/applications/{id}/user-consent-scopes", &path, Some(body), 201).await;
    let path = format!("/applications/{a}/user-consent-scopes/resource-scopes/{read}");
    s.call(delete.clone(), "/applications/{id}/user-consent-scopes/{scopeType}/{scopeId}", &path, None, 204).await;

    // Roles and users.
    let body = json!({"name": "viewer", "scopeIds": [read]});
    let role = id(&s.call(post.clone(), "/roles", "/roles", Some(body), 201).await);
    s.call(patch.clone(), "/roles/{id}", &format!("/roles/{role}"), Some(json!({"description": "d"})), 200).await;
    let path = format!("/roles/{role}/scopes");
    s.call(post.clone(), "/roles/{id}/scopes", &path, Some(json!({"scopeIds": [write]})), 201).await;
    let path = format!("/roles/{role}/scopes/{write}");
    s.call(delete.clone(), "/roles/{id}/scopes/{scopeId}", &path, None, 204).await;
    let body = json!({"username": "writer", "password": "correct horse battery staple"});
    let u = id(&s.call(post.clone(), "/users", "/users", Some(body), 201).await);
    s.call(patch.clone(), "/users/{id}", &format!("/users/{u}"), Some(json!({"name": "Writer"})), 200).await;
    let path = format!("/users/{u}/password");
    let body = json!({"password": "another long pass phrase"});
    s.call(patch.clone(), "/users/{id}/password", &path, Some(body), 200).await;
    let path = format!("/roles/{role}/users");
    s.call(post.clone(), "/roles/{id}/users", &path, Some(json!({"userIds": [u]})), 201).await;
    let path = format!("/roles/{role}/users/{u}");
    s.call(delete.clone(), "/roles/{id}/users/{userId}", &path, None, 204).await;
    let path = format!("/users/{u}/roles");
    s.call(post.clone(), "/users/{id}/roles", &path, Some(json!({"roleIds": [role]})), 201).await;
    let path = format!("/users/{u}/roles/{role}");
    s.call(delete.clone(), "/users/{id}/roles/{roleId}", &path, None, 204).await;

    // A machine-to-machine app and its roles.
    let body = json!({"name": "robot-role", "type": "MachineToMachine"});
    let m_role = id(&s.call(post.clone(), "/roles", "/roles", Some(body), 201).await);
    let body = json!({"name": "Batch", "type": "MachineToMachine", "isThirdParty": false});
    let b = id(&s.call(post.clone(), "/applications", "/applications", Some(body), 201).await);
    let path = format!("/applications/{b}/roles");
    s.call(post.clone(), "/applications/{id}/roles", &path, Some(json!({"roleIds": [m_role]})), 201).await;
    let path = format!("/applications/{b}/roles/{m_role}");
    s.call(delete.clone(), "/applications/{id}/roles/{roleId}", &path, None, 204).await;

    // Organizations.
    let os = id(&s
        .call(post.clone(), "/organization-scopes", "/organization-scopes", Some(json!({"name": "invite"})), 201)
        .await);
    let path = format!("/organization-scopes/{os}");
    s.call(patch.clone(), "/organization-scopes/{id}", &path, Some(json!({"description": "d"})), 200).await;
    let or = id(&s
        .call(post.clone(), "/organization-roles", "/organization-roles", Some(json!({"name": "member"})), 201)
        .await);
    let path = format!("/organization-roles/{or}");
    s.call(patch.clone(), "/organization-roles/{id}", &path, Some(json!({"description": "d"})), 200).await;
    let path = format!("/organization-roles/{or}/scopes");
    let body = json!({"organizationScopeIds": [os]});
    s.call(post.clone(), "/organization-roles/{id}/scopes", &path, Some(body), 201).await;
    let path = format!("/organization-roles/{or}/scopes/{os}");
    s.call(delete.clone(), "/organization-roles/{id}/scopes/{scopeId}", &path, None, 204).await;
    let path = format!("/organization-roles/{or}/resource-scopes");
    s.call(post.clone(), "/organization-roles/{id}/resource-scopes", &path, Some(json!({"scopeIds": [read]})), 201)
        .await;
    let path = format!("/organization-roles/{or}/resource-scopes/{read}");
    s.call(delete.clone(), "/organization-roles/{id}/resource-scopes/{scopeId}", &path, None, 204).await;
    let o = id(&s.call(post.clone(), "/organizations", "/organizations", Some(json!({"name": "Acme"})), 201).await);
    let path = format!("/organizations/{o}");
    s.call(patch.clone(), "/organizations/{id}", &path, Some(json!({"name": "Acme Inc"})), 200).await;
    let path = format!("/organizations/{o}/users");
    s.call(post.clone(), "/organizations/{id}/users", &path, Some(json!({"userIds": [u]})), 201).await;
    let path = format!("/organizations/{o}/users/{u}/roles");
    let body = json!({"organizationRoleIds": [or]});
    s.call(put.clone(), "/organizations/{id}/users/{userId}/roles", &path, Some(body.clone()), 204).await;
    s.call(post.clone(), "/organizations/{id}/users/{userId}/roles", &path, Some(body), 201).await;
    let path = format!("/organizations/{o}/users/{u}");
    s.call(delete.clone(), "/organizations/{id}/users/{userId}", &path, None, 204).await;

    // Sessions and grants, made as sign-in and consent make them.
    let now = server.core.clock.now();
    for sid in ["s1", "s2"] {
        let session = Session {
            id: SessionId::from(sid),
            user_id: u.as_str().into(),
            auth_time: now,
            created_at: now,
            last_active_at: now,
            expires_at: now.plus_secs(3600),
            amr: vec!["pwd".into()],
            user_agent: None,
        };
        server.repos.insert_session(&session).await.unwrap();
    }
    let path = format!("/users/{u}/sessions/s1");
    s.call(delete.clone(), "/users/{id}/sessions/{sessionId}", &path, None, 204).await;
    let path = format!("/users/{u}/sessions");
    s.call(delete.clone(), "/users/{id}/sessions", &path, None, 204).await;
    let path = format!("/users/{u}/sign-in-failures");
    s.call(delete.clone(), "/users/{id}/sign-in-failures", &path, None, 204).await;
    let path = format!("/users/{u}/mfa");
    s.call(delete.clone(), "/users/{id}/mfa", &path, None, 204).await;
    let grant = Grant {
        id: GrantId::from("g1"),
        user_id: u.as_str().into(),
        application_id: a.as_str().into(),
        details: GrantDetails::default(),
        created_at: now,
        updated_at: now,
        last_used_at: None,
    };
    server.repos.save_grant(&grant).await.unwrap();
    let stored = server.repos.get_grant(&grant.user_id, &grant.application_id).await.unwrap().expect("the grant");
    let path = format!("/users/{u}/grants/{}", stored.id);
    s.call(delete.clone(), "/users/{id}/grants/{grantId}", &path, None, 204).await;

    s.call(post.clone(), "/configs/oidc/private-keys/rotate", "/configs/oidc/private-keys/rotate", None, 200).await;

    // And everything goes again.
    for (template, path) in [
        ("/organizations/{id}", format!("/organizations/{o}")),
        ("/organization-roles/{id}", format!("/organization-roles/{or}")),
        ("/organization-scopes/{id}", format!("/organization-scopes/{os}")),
        ("/roles/{id}", format!("/roles/{role}")),
        ("/roles/{id}", format!("/roles/{m_role}")),
        ("/resources/{id}/scopes/{scopeId}", format!("/resources/{r}/scopes/{write}")),
        ("/resources/{id}", format!("/resources/{r}")),
        ("/users/{id}", format!("/users/{u}")),
        ("/applications/{id}", format!("/applications/{a}")),
        ("/applications/{id}", format!("/applications/{b}")),
    ] {
        s.call(delete.clone(), template, &path, None, 204).await;
    }

    let all = mutating_operations(server).await;
    let missed: Vec<_> = all.difference(&s.covered).collect();
    assert!(missed.is_empty(), "every mutating route of the OpenAPI document is exercised; missed {missed:?}");
    assert!(
        s.covered.is_subset(&all),
        "the script names real routes: {:?}",
        s.covered.difference(&all).collect::<Vec<_>>()
    );
    assert!(s.actions.len() >= all.len(), "{} audited calls", s.actions.len());
}

async fn audit_entries(server: &TestServer) -> Vec<latch_domain::entities::AuditEntry> {
    server.repos.list_audit(Page { page: 1, size: 100 }).await.unwrap().0
}

async fn import_bootstrap_and_command_line_changes_are_audited_and_announced(server: &TestServer) {
    // The first start: the bootstrap's objects, audited as the system.
    let first = audit_entries(server).await;
    assert!(
        first.iter().any(|e| e.actor == "system:bootstrap" && e.action == "bootstrap"),
        "the bootstrap is audited: {first:?}"
    );
    assert!(first.iter().any(|e| e.actor == "system:bootstrap" && e.action == "keys.generate"));

    let mut messages = listen(server).await;
    let file = latch::import::parse(
        r#"
[[resources]]
name = "Files"
indicator = "https://files.example.com"
scopes = [ { name = "read" } ]
"#,
    )
    .unwrap();
    let report = latch::import::apply(&server.core, &file).await.expect("import");
    assert!(report.changed());
    assert!(heard(&mut messages).await.contains(&Change::Everything), "the import is announced");
    let entries = audit_entries(server).await;
    assert_eq!((entries[0].actor.as_str(), entries[0].action.as_str()), ("system:import", "import.apply"));
    assert_eq!(entries[0].details["resources"]["created"], 1, "the report travels with the entry");

    // The same file again changes nothing, so writes nothing, audits nothing.
    let before = entries.len();
    latch::import::apply(&server.core, &file).await.expect("import again");
    assert_eq!(audit_entries(server).await.len(), before, "an unchanged import writes no audit entry");

    commands::rotate_keys(&server.core, &Actor::System("cli")).await.expect("rotate");
    assert!(heard(&mut messages).await.contains(&Change::Keys), "the rotation is announced");
    let entries = audit_entries(server).await;
    assert_eq!((entries[0].actor.as_str(), entries[0].action.as_str()), ("system:cli", "keys.rotate"));

    let (robot, _) = latch::bootstrap::create_m2m(&server.core, "cli-robot").await.expect("create-m2m");
    assert!(heard(&mut messages).await.contains(&Change::Application(robot.clone())));
    let entries = audit_entries(server).await;
    assert_eq!((entries[0].actor.as_str(), entries[0].action.as_str()), ("system:cli", "application.create"));
    assert_eq!(entries[0].target_id, robot.as_str());
    assert_eq!(server.repos.list_secrets(&robot).await.unwrap().len(), 1, "created with its secret");
    assert_eq!(server.repos.application_role_names(&robot).await.unwrap(), ["admin-machine"], "and its role");
}

async fn a_failed_multi_step_command_leaves_nothing_behind(server: &TestServer) {
    let now = server.core.clock.now();
    let known = OrganizationScope {
        id: OrganizationScopeId::from("scope-known"),
        name: "invite".to_owned(),
        description: String::new(),
        created_at: now,
    };
    server.repos.insert_organization_scope(&known).await.unwrap();
    let role = OrganizationRole {
        id: OrganizationRoleId::from("role-half"),
        name: "half".to_owned(),
        description: String::new(),
        created_at: now,
    };
    let audit_before = audit_entries(server).await.len();
    let scopes = vec![known.id.clone(), OrganizationScopeId::from("scope-unknown")];
    let result =
        commands::create_organization_role(&server.core, &Actor::System("test"), &role, scopes, Vec::new()).await;
    assert!(matches!(result, Err(RepoError::MissingReference(_))), "the second scope does not exist: {result:?}");
    assert_eq!(server.repos.get_organization_role(&role.id).await.unwrap(), None, "no role without its scopes");
    assert!(server.repos.organization_role_scope_ids(&role.id).await.unwrap().is_empty(), "and no scope link");
    assert_eq!(audit_entries(server).await.len(), audit_before, "and no audit entry for what did not happen");

    // The same through the admin API: refused, and nothing created either.
    let admin = server.admin().await;
    let body = json!({"name": "half", "organizationScopeIds": [known.id.as_str(), "scope-unknown"]});
    let refused = admin.post("/organization-roles", body).await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert_eq!(admin.get("/organization-roles").await.total, Some(0));

    // A role with both scopes known is created whole.
    let other =
        OrganizationScope { id: OrganizationScopeId::from("scope-other"), name: "remove".to_owned(), ..known.clone() };
    server.repos.insert_organization_scope(&other).await.unwrap();
    let scopes = vec![known.id.clone(), other.id.clone()];
    commands::create_organization_role(&server.core, &Actor::System("test"), &role, scopes, Vec::new()).await.unwrap();
    assert_eq!(server.repos.organization_role_scope_ids(&role.id).await.unwrap(), [known.id, other.id]);
}

/// `Core::apply` checks every write against the domain rules, whoever builds the changeset: a
/// writer that skipped its own checks still cannot store a user no other path would accept.
async fn a_unit_of_work_with_an_object_breaking_a_rule_is_refused_whole(server: &TestServer) {
    let good = server.user("kept-out").await;
    server.repos.delete_user(&good.id).await.unwrap();
    let bad = latch_domain::entities::User {
        id: latch_domain::ids::UserId::from("bad-user"),
        username: Some("has@sign".to_owned()),
        ..good.clone()
    };
    let audit_before = audit_entries(server).await.len();
    let change = latch_core::Changeset::new("user.create", "user", "two", json!({}), Change::Roles)
        .write(latch_domain::repo::Write::InsertUser(good.clone()))
        .write(latch_domain::repo::Write::InsertUser(bad));
    let refused = server.core.apply(&Actor::System("test"), change).await;
    let Err(RepoError::Invalid(v)) = refused else { panic!("expected a rule violation, got {refused:?}") };
    assert_eq!((v.field.as_str(), v.code), ("username", "user.invalid_username"));
    assert_eq!(server.repos.get_user(&good.id).await.unwrap(), None, "the valid user of the unit is not stored either");
    assert_eq!(audit_entries(server).await.len(), audit_before, "and nothing is audited");

    // The admin API reports the same rule at its field.
    let admin = server.admin().await;
    let answer = admin.post("/users", json!({"username": "has@sign"})).await;
    assert_eq!(answer.status, 422, "{:?}", answer.body);
    assert_eq!(answer.body["field"], "username");
    assert_eq!(answer.body["code"], "user.invalid_username");
}

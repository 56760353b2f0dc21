//! The paged lists of the admin API (`page_*`): their order, their total, a second page and a
//! page past the end, run against SQLite and Postgres with the `repo_contract!` harness of
//! `main.rs`. Each list holds rows that must be left out (another owner's, an expired one).

use super::orgs::{oid, org, org_role, org_scope, resources, rid, uids, users};
use super::{app, grant, user};
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_store::Db;
use std::fmt::Debug;
use std::future::Future;

latch_testing::on_both_databases!(
    secrets_are_paged_by_creation_then_name,
    resources_are_paged_by_creation_then_id,
    scopes_are_paged_by_name,
    role_users_are_paged_by_user_id,
    role_scopes_are_paged_by_resource_then_name,
    user_roles_are_paged_by_name,
    application_roles_are_paged_by_name,
    user_sessions_are_paged_newest_first_and_only_live_ones,
    signing_keys_are_paged_by_creation_then_kid,
    organization_members_are_paged_as_users_in_the_order_they_joined,
    organization_member_roles_are_paged_by_name,
    organization_role_scopes_are_paged_by_name,
    organization_role_resource_scopes_are_paged_by_scope_id,
    user_grants_are_paged_oldest_first,
);

/// Checks a paged list against the rows it must hold, in their order: pages of two (the last
/// one partial), each with the total; an empty page past the end with the total still; and
/// one page large enough for everything.
async fn pages_of<T, F, Fut>(expected: &[T], fetch: F)
where
    T: PartialEq + Debug,
    F: Fn(Page) -> Fut,
    Fut: Future<Output = RepoResult<(Vec<T>, i64)>>,
{
    assert!(expected.len() >= 3 && expected.len() % 2 == 1, "a full first page and a partial last one");
    let total = i64::try_from(expected.len()).expect("small");
    let mut page = 1;
    for chunk in expected.chunks(2) {
        let (rows, t) = fetch(Page { page, size: 2 }).await.expect("page");
        assert_eq!(rows.as_slice(), chunk, "page {page}");
        assert_eq!(t, total, "the total, on page {page}");
        page += 1;
    }
    let (rows, t) = fetch(Page { page, size: 2 }).await.expect("page past the end");
    assert!(rows.is_empty(), "page {page} is past the end: {rows:?}");
    assert_eq!(t, total);
    let (rows, t) = fetch(Page { page: 1, size: 100 }).await.expect("one big page");
    assert_eq!((rows.as_slice(), t), (expected, total));
}

fn role(id: &str, name: &str) -> Role {
    Role {
        id: RoleId::from(id),
        name: name.to_owned(),
        description: format!("{name} things"),
        role_type: RoleType::User,
        created_at: Timestamp(1),
    }
}

fn scope(id: &str, resource: &str, name: &str) -> Scope {
    Scope {
        id: ScopeId::from(id),
        resource_id: ResourceId::from(resource),
        name: name.to_owned(),
        description: format!("may {name}"),
    }
}

async fn users_by_id(db: &Db, ids: &[&str]) -> Vec<User> {
    let mut out = Vec::new();
    for id in ids {
        out.push(db.get_user(&UserId::from(*id)).await.expect("get").expect("exists"));
    }
    out
}

// ---------------------------------------------------------------- applications, resources, roles

async fn secrets_are_paged_by_creation_then_name(db: &Db) {
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.insert_application(&app("app2", "Second", false)).await.expect("app");
    let secret = |app: &str, name: &str, at: i64| AppSecret {
        application_id: ApplicationId::from(app),
        name: name.to_owned(),
        hash: format!("hash-{name}"),
        created_at: Timestamp(at),
        expires_at: (at > 1).then_some(Timestamp(at + 100)),
    };
    for s in [secret("app1", "b", 2), secret("app1", "a", 2), secret("app1", "c", 1), secret("app2", "d", 0)] {
        db.insert_secret(&s).await.expect("secret");
    }
    let expected = [secret("app1", "c", 1), secret("app1", "a", 2), secret("app1", "b", 2)];
    let a1 = ApplicationId::from("app1");
    assert_eq!(db.list_secrets(&a1).await.expect("list"), expected, "the order of list_secrets");
    pages_of(&expected, |p| db.page_secrets(&a1, p)).await;
}

async fn resources_are_paged_by_creation_then_id(db: &Db) {
    let resource = |id: &str, at: i64| Resource {
        id: ResourceId::from(id),
        name: format!("Resource {id}"),
        indicator: format!("https://{id}.example"),
        access_token_ttl: 600 + at,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(at),
    };
    for r in [resource("r-x", 3), resource("r-y", 1), resource("r-z", 2), resource("r-w", 1), resource("r-v", 4)] {
        db.insert_resource(&r).await.expect("resource");
    }
    let expected = [resource("r-w", 1), resource("r-y", 1), resource("r-z", 2), resource("r-x", 3), resource("r-v", 4)];
    assert_eq!(db.list_resources().await.expect("list"), expected, "the order of list_resources");
    pages_of(&expected, |p| db.page_resources(p)).await;
}

async fn scopes_are_paged_by_name(db: &Db) {
    resources(db).await; // res1: s1 read, s2 write; res2: s3 read
    db.insert_scope(&scope("s4", "res1", "admin")).await.expect("scope");
    db.insert_scope(&scope("s0", "res1", "delete")).await.expect("scope");
    let res1 = ResourceId::from("res1");
    let expected = db.list_scopes(&res1).await.expect("list");
    assert_eq!(expected.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["s4", "s0", "s1", "s2"]);
    // Four rows: check pages of two by hand, then the helper's rules on three of them.
    let (first, total) = db.page_scopes(&res1, Page { page: 1, size: 2 }).await.expect("page");
    let (second, _) = db.page_scopes(&res1, Page { page: 2, size: 2 }).await.expect("page");
    assert_eq!((first.as_slice(), second.as_slice(), total), (&expected[..2], &expected[2..], 4));
    db.delete_scope(&ScopeId::from("s2")).await.expect("delete");
    pages_of(&expected[..3], |p| db.page_scopes(&res1, p)).await;
}

async fn role_users_are_paged_by_user_id(db: &Db) {
    users(db, 4).await;
    db.insert_role(&role("r1", "reader")).await.expect("role");
    db.insert_role(&role("r2", "writer")).await.expect("role");
    for (u, r) in [("u3", "r1"), ("u1", "r1"), ("u4", "r1"), ("u2", "r2")] {
        db.add_user_roles(&UserId::from(u), &[RoleId::from(r)]).await.expect("roles");
    }
    let r1 = RoleId::from("r1");
    let (ids, _) = db.role_user_ids(&r1, Page { page: 1, size: 10 }).await.expect("ids");
    assert_eq!(ids, uids(&["u1", "u3", "u4"]), "the order of role_user_ids");
    let expected = users_by_id(db, &["u1", "u3", "u4"]).await;
    assert_eq!(expected[1], user("u3", "user3", "user3@example.com"), "whole users");
    pages_of(&expected, |p| db.page_role_users(&r1, p)).await;
}

async fn role_scopes_are_paged_by_resource_then_name(db: &Db) {
    resources(db).await; // res1: s1 read, s2 write; res2: s3 read
    db.insert_scope(&scope("s0", "res2", "admin")).await.expect("scope");
    db.insert_role(&role("r1", "reader")).await.expect("role");
    db.insert_role(&role("r2", "other")).await.expect("role");
    let ids = |v: &[&str]| v.iter().map(|s| ScopeId::from(*s)).collect::<Vec<_>>();
    db.add_role_scopes(&RoleId::from("r1"), &ids(&["s3", "s0", "s2"])).await.expect("scopes");
    db.add_role_scopes(&RoleId::from("r2"), &ids(&["s1"])).await.expect("scopes");
    let r1 = RoleId::from("r1");
    let expected = db.role_scopes(&r1).await.expect("list");
    let blank = |s: Scope| Scope { description: String::new(), ..s };
    assert_eq!(
        expected,
        [blank(scope("s2", "res1", "write")), scope("s0", "res2", "admin"), blank(scope("s3", "res2", "read"))],
        "the order of role_scopes: by resource, then name"
    );
    pages_of(&expected, |p| db.page_role_scopes(&r1, p)).await;
}

async fn user_roles_are_paged_by_name(db: &Db) {
    users(db, 2).await;
    for (id, name) in [("r1", "c"), ("r2", "a"), ("r3", "d"), ("r4", "b")] {
        db.insert_role(&role(id, name)).await.expect("role");
    }
    let ids = |v: &[&str]| v.iter().map(|s| RoleId::from(*s)).collect::<Vec<_>>();
    db.add_user_roles(&UserId::from("u1"), &ids(&["r1", "r2", "r3"])).await.expect("roles");
    db.add_user_roles(&UserId::from("u2"), &ids(&["r4"])).await.expect("roles");
    let u1 = UserId::from("u1");
    let expected = [role("r2", "a"), role("r1", "c"), role("r3", "d")];
    assert_eq!(db.user_roles(&u1).await.expect("list"), expected, "the order of user_roles");
    pages_of(&expected, |p| db.page_user_roles(&u1, p)).await;
}

async fn application_roles_are_paged_by_name(db: &Db) {
    for (id, name) in [("m1", "Robot"), ("m2", "Other")] {
        let mut m2m = app(id, name, false);
        m2m.app_type = AppType::MachineToMachine;
        db.insert_application(&m2m).await.expect("app");
    }
    for (id, name) in [("r1", "c"), ("r2", "a"), ("r3", "d"), ("r4", "b")] {
        db.insert_role(&Role { role_type: RoleType::MachineToMachine, ..role(id, name) }).await.expect("role");
    }
    let ids = |v: &[&str]| v.iter().map(|s| RoleId::from(*s)).collect::<Vec<_>>();
    db.add_application_roles(&ApplicationId::from("m1"), &ids(&["r3", "r1", "r2"])).await.expect("roles");
    db.add_application_roles(&ApplicationId::from("m2"), &ids(&["r4"])).await.expect("roles");
    let m1 = ApplicationId::from("m1");
    let expected = db.application_roles(&m1).await.expect("list");
    assert_eq!(expected.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "c", "d"]);
    pages_of(&expected, |p| db.page_application_roles(&m1, p)).await;
}

// ---------------------------------------------------------------- sessions and keys

async fn user_sessions_are_paged_newest_first_and_only_live_ones(db: &Db) {
    users(db, 2).await;
    let session = |id: &str, user: &str, at: i64, expires: i64| Session {
        id: SessionId::from(id),
        user_id: UserId::from(user),
        auth_time: Timestamp(at),
        created_at: Timestamp(at),
        last_active_at: Timestamp(at + 1),
        expires_at: Timestamp(expires),
        amr: vec!["pwd".into()],
        user_agent: None,
    };
    let now = Timestamp(100);
    for s in [
        session("s1", "u1", 10, 1010),
        session("s2", "u1", 20, 50), // expired
        session("s3", "u1", 30, 1030),
        session("s5", "u1", 40, 1040), // as new as s4: then by id
        session("s4", "u1", 40, 1040),
        session("s6", "u1", 60, 100),  // expires at `now`: over
        session("s7", "u2", 70, 1070), // another user's
    ] {
        db.insert_session(&s).await.expect("session");
    }
    let u1 = UserId::from("u1");
    let expected = vec![
        session("s4", "u1", 40, 1040),
        session("s5", "u1", 40, 1040),
        session("s3", "u1", 30, 1030),
        session("s1", "u1", 10, 1010),
    ];
    // Four live sessions: pages of two by hand, then pages_of on three after one ends.
    let (first, total) = db.page_user_sessions(&u1, now, Page { page: 1, size: 2 }).await.expect("page");
    let (second, _) = db.page_user_sessions(&u1, now, Page { page: 2, size: 2 }).await.expect("page");
    assert_eq!((first.as_slice(), second.as_slice(), total), (&expected[..2], &expected[2..], 4));
    db.delete_session(&SessionId::from("s5")).await.expect("delete");
    let expected: Vec<Session> = expected.into_iter().filter(|s| s.id.as_str() != "s5").collect();
    pages_of(&expected, |p| db.page_user_sessions(&u1, now, p)).await;
    let (later, total) = db.page_user_sessions(&u1, Timestamp(1035), Page { page: 1, size: 10 }).await.expect("page");
    assert_eq!((later, total), (vec![session("s4", "u1", 40, 1040)], 1), "what is live depends on `now`");
}

async fn signing_keys_are_paged_by_creation_then_kid(db: &Db) {
    let key = |kid: &str, at: i64, state| SigningKey {
        kid: KeyId::from(kid),
        alg: "RS256".to_owned(),
        state,
        private_jwe: format!("jwe-{kid}"),
        public_jwk: format!("{{\"kid\":\"{kid}\"}}"),
        created_at: Timestamp(at),
        retired_at: None,
    };
    for k in [key("k-b", 1, KeyState::Current), key("k-a", 1, KeyState::Next), key("k-c", 0, KeyState::Previous)] {
        db.insert_signing_key(&k).await.expect("key");
    }
    let expected = [key("k-c", 0, KeyState::Previous), key("k-a", 1, KeyState::Next), key("k-b", 1, KeyState::Current)];
    assert_eq!(db.list_signing_keys().await.expect("list"), expected, "the order of list_signing_keys");
    pages_of(&expected, |p| db.page_signing_keys(p)).await;
}

// ---------------------------------------------------------------- organizations

async fn organization_members_are_paged_as_users_in_the_order_they_joined(db: &Db) {
    users(db, 5).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization(&org("o2", "Globex")).await.expect("org");
    for (users, at) in [(&["u3"][..], 10), (&["u2", "u1"][..], 20), (&["u4"][..], 30)] {
        db.add_organization_members(&oid("o1"), &uids(users), Timestamp(at)).await.expect("members");
    }
    db.add_organization_members(&oid("o2"), &uids(&["u5", "u1"]), Timestamp(5)).await.expect("members");
    let o1 = oid("o1");
    let (ids, _) = db.list_organization_members(&o1, Page { page: 1, size: 10 }).await.expect("ids");
    assert_eq!(ids, uids(&["u3", "u1", "u2", "u4"]), "the order of list_organization_members");
    db.remove_organization_member(&o1, &UserId::from("u2")).await.expect("remove");
    let expected = users_by_id(db, &["u3", "u1", "u4"]).await;
    pages_of(&expected, |p| db.page_organization_members(&o1, p)).await;
}

async fn organization_member_roles_are_paged_by_name(db: &Db) {
    users(db, 2).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization(&org("o2", "Globex")).await.expect("org");
    for (id, name) in [("or-c", "viewer"), ("or-a", "billing"), ("or-b", "admin"), ("or-d", "owner")] {
        db.insert_organization_role(&org_role(id, name)).await.expect("role");
    }
    db.add_organization_members(&oid("o1"), &uids(&["u1", "u2"]), Timestamp(1)).await.expect("members");
    db.add_organization_members(&oid("o2"), &uids(&["u1"]), Timestamp(1)).await.expect("members");
    let (o1, u1) = (oid("o1"), UserId::from("u1"));
    db.set_organization_member_roles(&o1, &u1, &[rid("or-c"), rid("or-a"), rid("or-b")]).await.expect("roles");
    db.set_organization_member_roles(&oid("o2"), &u1, &[rid("or-d")]).await.expect("roles");
    db.set_organization_member_roles(&o1, &UserId::from("u2"), &[rid("or-d")]).await.expect("roles");
    let expected = [org_role("or-b", "admin"), org_role("or-a", "billing"), org_role("or-c", "viewer")];
    assert_eq!(db.organization_member_roles(&o1, &u1).await.expect("list"), expected);
    pages_of(&expected, |p| db.page_organization_member_roles(&o1, &u1, p)).await;
}

async fn organization_role_scopes_are_paged_by_name(db: &Db) {
    for (id, name) in [("os1", "write"), ("os2", "invite"), ("os3", "read"), ("os4", "delete"), ("os5", "audit")] {
        db.insert_organization_scope(&org_scope(id, name)).await.expect("scope");
    }
    db.insert_organization_role(&org_role("or1", "admin")).await.expect("role");
    db.insert_organization_role(&org_role("or2", "viewer")).await.expect("role");
    let ids = |v: &[&str]| v.iter().map(|s| OrganizationScopeId::from(*s)).collect::<Vec<_>>();
    db.add_organization_role_scopes(&rid("or1"), &ids(&["os1", "os2", "os3"])).await.expect("scopes");
    db.add_organization_role_scopes(&rid("or2"), &ids(&["os4", "os5"])).await.expect("scopes");
    let or1 = rid("or1");
    let expected = [org_scope("os2", "invite"), org_scope("os3", "read"), org_scope("os1", "write")];
    pages_of(&expected, |p| db.page_organization_role_scopes(&or1, p)).await;
}

async fn organization_role_resource_scopes_are_paged_by_scope_id(db: &Db) {
    resources(db).await; // res1: s1 read, s2 write; res2: s3 read
    db.insert_scope(&scope("s0", "res2", "admin")).await.expect("scope");
    db.insert_organization_role(&org_role("or1", "admin")).await.expect("role");
    db.insert_organization_role(&org_role("or2", "viewer")).await.expect("role");
    let ids = |v: &[&str]| v.iter().map(|s| ScopeId::from(*s)).collect::<Vec<_>>();
    db.add_organization_role_resource_scopes(&rid("or1"), &ids(&["s3", "s1", "s2"])).await.expect("scopes");
    db.add_organization_role_resource_scopes(&rid("or2"), &ids(&["s0"])).await.expect("scopes");
    let or1 = rid("or1");
    assert_eq!(db.organization_role_resource_scope_ids(&or1).await.expect("ids"), ids(&["s1", "s2", "s3"]));
    let blank = |s: Scope| Scope { description: String::new(), ..s };
    let expected = [scope("s1", "res1", "read"), scope("s2", "res1", "write"), scope("s3", "res2", "read")].map(blank);
    pages_of(&expected, |p| db.page_organization_role_resource_scopes(&or1, p)).await;
}

// ---------------------------------------------------------------- grants

async fn user_grants_are_paged_oldest_first(db: &Db) {
    users(db, 2).await;
    for i in 1..=3 {
        db.insert_application(&app(&format!("app{i}"), &format!("App {i}"), true)).await.expect("app");
    }
    let g = |id: &str, user: &str, app: &str, at: i64| Grant {
        user_id: UserId::from(user),
        application_id: ApplicationId::from(app),
        created_at: Timestamp(at),
        updated_at: Timestamp(at + 1),
        ..grant(id, &["openid", id])
    };
    for x in [g("g1", "u1", "app1", 7), g("g3", "u1", "app2", 5), g("g2", "u1", "app3", 5), g("g4", "u2", "app1", 1)] {
        db.save_grant(&x).await.expect("grant");
    }
    let u1 = UserId::from("u1");
    let expected = [g("g2", "u1", "app3", 5), g("g3", "u1", "app2", 5), g("g1", "u1", "app1", 7)];
    assert_eq!(db.list_user_grants(&u1).await.expect("list"), expected, "the order of list_user_grants");
    pages_of(&expected, |p| db.page_user_grants(&u1, p)).await;
}

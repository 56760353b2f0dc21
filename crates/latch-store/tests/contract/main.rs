//! The storage contract: one suite, run against SQLite and Postgres (repositories) and against
//! memory and Redis (ephemeral store). Each test gets its own database or key prefix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures_util::StreamExt;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_store::{Db, MemoryStore, RedisStore};
use latch_testing as testing;
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- harness

macro_rules! ephemeral_contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store: std::sync::Arc<dyn super::EphemeralStore> = std::sync::Arc::new(super::MemoryStore::default());
                super::$name(store).await;
            })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some(url) = super::testing::redis_url() else {
                    super::testing::skipped("LATCH_TEST_REDIS_URL");
                    return;
                };
                let prefix = format!("latch_test:{}:{}:", stringify!($name), std::process::id());
                let store: std::sync::Arc<dyn super::EphemeralStore> =
                    std::sync::Arc::new(super::RedisStore::connect(&url, &prefix).expect("redis"));
                super::$name(store).await;
            })*
        }
    };
}

// Declared after the harness macros so the modules can use them.
mod commit;
mod orgs;
mod pages;
mod schema;
mod searches;

latch_testing::on_both_databases!(
    migrations_are_idempotent,
    application_round_trip_keeps_uri_order,
    application_update_replaces_uris,
    application_names_are_unique,
    applications_list_filters_and_paginates,
    deleting_an_application_removes_its_secrets,
    secrets_need_an_existing_application,
    users_are_found_by_username_or_email_case_insensitively,
    usernames_and_emails_are_unique,
    user_updates_and_deletes,
    role_scopes_resolve_for_users_and_apps,
    users_are_found_by_exact_username_or_by_email_alone,
    resources_scopes_and_roles_can_be_updated,
    role_scopes_and_role_assignments_can_be_replaced,
    roles_and_resources_are_read_listed_and_unlinked,
    sessions_round_trip,
    grants_are_one_per_user_and_app,
    revoking_a_grant_deletes_its_tokens,
    refresh_tokens_round_trip_and_are_consumed_once,
    revoking_a_token_family_deletes_its_tokens_and_nothing_else,
    revoking_a_users_tokens_keeps_their_grants_and_other_users_tokens,
    second_factors_accept_each_totp_step_and_recovery_code_once,
    concurrent_consumers_of_one_refresh_token_have_exactly_one_winner,
    a_rotation_stores_its_successor_only_when_it_wins,
    a_users_sessions_are_listed_and_deleted_together,
    signing_keys_change_state,
    audit_log_lists_newest_first,
);

ephemeral_contract!(
    put_get_take_delete,
    values_expire,
    take_is_atomic_under_concurrency,
    counters_count_within_their_window,
    counters_count_down_without_coming_back,
    increments_are_atomic_under_concurrency,
    published_messages_reach_subscribers,
);

// ---------------------------------------------------------------- fixtures

fn app(id: &str, name: &str, third_party: bool) -> Application {
    Application {
        id: ApplicationId::from(id),
        name: name.to_owned(),
        description: Some("an app".to_owned()),
        app_type: AppType::Traditional,
        is_third_party: third_party,
        redirect_uris: vec!["https://b.example/cb".to_owned(), "https://a.example/cb".to_owned()],
        post_logout_redirect_uris: vec!["https://a.example/bye".to_owned()],
        custom: CustomClientMetadata { id_token_ttl: Some(600), ..Default::default() },
        created_at: Timestamp(1_700_000_000),
    }
}

fn user(id: &str, username: &str, email: &str) -> User {
    User {
        id: UserId::from(id),
        username: Some(username.to_owned()),
        primary_email: Some(email.to_owned()),
        name: Some("Ada Lovelace".to_owned()),
        password_hash: Some("$argon2id$stub".to_owned()),
        custom_data: serde_json::json!({"plan": "pro"}),
        created_at: Timestamp(1_700_000_000),
        updated_at: Timestamp(1_700_000_000),
        ..Default::default()
    }
}

// ---------------------------------------------------------------- repository contract

async fn migrations_are_idempotent(db: &Db) {
    assert_eq!(db.migrate().expect("second migrate"), 0, "a second run applies nothing");
    db.ping().await.expect("ping");
}

async fn application_round_trip_keeps_uri_order(db: &Db) {
    let a = app("app1", "First", true);
    db.insert_application(&a).await.expect("insert");
    let got = db.get_application(&a.id).await.expect("get").expect("exists");
    assert_eq!(got, a);
    assert_eq!(db.find_application_by_name("First").await.expect("find"), Some(a));
    assert_eq!(db.get_application(&ApplicationId::from("nope")).await.expect("get"), None);
}

async fn application_update_replaces_uris(db: &Db) {
    let mut a = app("app1", "First", false);
    db.insert_application(&a).await.expect("insert");
    a.redirect_uris = vec!["https://c.example/cb".to_owned()];
    a.post_logout_redirect_uris.clear();
    a.name = "Renamed".to_owned();
    assert!(db.update_application(&a).await.expect("update"));
    assert_eq!(db.get_application(&a.id).await.expect("get"), Some(a.clone()));
    let ghost = app("ghost", "Ghost", false);
    assert!(!db.update_application(&ghost).await.expect("update of a missing app"));
}

async fn application_names_are_unique(db: &Db) {
    db.insert_application(&app("a1", "Same", false)).await.expect("insert");
    let err = db.insert_application(&app("a2", "Same", false)).await.expect_err("duplicate name");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");
    assert!(db.get_application(&ApplicationId::from("a2")).await.expect("get").is_none(), "no half-written app");
}

async fn applications_list_filters_and_paginates(db: &Db) {
    for i in 0..5 {
        let mut a = app(&format!("app{i}"), &format!("App {i}"), i % 2 == 0);
        a.created_at = Timestamp(1_700_000_000 + i);
        db.insert_application(&a).await.expect("insert");
    }
    let (all, total) = db.list_applications(None, Page { page: 1, size: 2 }).await.expect("list");
    assert_eq!(total, 5);
    assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["app0", "app1"]);
    let (third, total) = db.list_applications(Some(true), Page { page: 2, size: 2 }).await.expect("list");
    assert_eq!(total, 3);
    assert_eq!(third.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["app4"]);
    assert_eq!(third[0].redirect_uris.len(), 2, "lists carry the URIs too");
}

async fn deleting_an_application_removes_its_secrets(db: &Db) {
    let a = app("app1", "First", false);
    db.insert_application(&a).await.expect("insert");
    let secret = AppSecret {
        application_id: a.id.clone(),
        name: "default".to_owned(),
        hash: "h".to_owned(),
        created_at: Timestamp(1),
        expires_at: Some(Timestamp(100)),
    };
    db.insert_secret(&secret).await.expect("secret");
    assert!(matches!(db.insert_secret(&secret).await, Err(RepoError::Conflict(_))), "secret names are unique per app");
    assert_eq!(db.list_secrets(&a.id).await.expect("list"), vec![secret]);
    assert!(db.delete_application(&a.id).await.expect("delete"));
    assert!(db.list_secrets(&a.id).await.expect("list").is_empty());
    assert!(!db.delete_application(&a.id).await.expect("second delete"));
}

async fn secrets_need_an_existing_application(db: &Db) {
    let secret = AppSecret {
        application_id: ApplicationId::from("missing"),
        name: "x".to_owned(),
        hash: "h".to_owned(),
        created_at: Timestamp(1),
        expires_at: None,
    };
    let err = db.insert_secret(&secret).await.expect_err("foreign key");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
}

async fn users_are_found_by_username_or_email_case_insensitively(db: &Db) {
    let u = user("u1", "ada", "Ada@Example.com");
    db.insert_user(&u).await.expect("insert");
    assert_eq!(db.find_user_by_login("ada").await.expect("find"), Some(u.clone()));
    assert_eq!(db.find_user_by_login("ada@example.COM").await.expect("find"), Some(u.clone()));
    assert_eq!(db.find_user_by_login("ADA").await.expect("find"), None, "usernames are exact");
    // An identifier with `@` is an email only: a username that looks like Ada's email (stored
    // before the field rules refused it) never answers for her.
    let impostor = user("u2", "ada@example.com", "mallory@example.com");
    db.insert_user(&impostor).await.expect("insert");
    assert_eq!(db.find_user_by_login("ada@example.com").await.expect("find"), Some(u.clone()));
    assert_eq!(db.find_user_by_login("mallory@example.com").await.expect("find"), Some(impostor));
    assert_eq!(db.get_user(&u.id).await.expect("get"), Some(u));
}

async fn usernames_and_emails_are_unique(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("insert");
    assert!(matches!(db.insert_user(&user("u2", "ada", "x@example.com")).await, Err(RepoError::Conflict(_))));
    assert!(matches!(db.insert_user(&user("u3", "bob", "ADA@example.com")).await, Err(RepoError::Conflict(_))));
}

async fn user_updates_and_deletes(db: &Db) {
    let mut u = user("u1", "ada", "ada@example.com");
    db.insert_user(&u).await.expect("insert");
    db.insert_user(&user("u2", "bob", "bob@example.com")).await.expect("insert");
    u.name = None;
    u.email_verified = true;
    u.profile.insert("given_name".to_owned(), serde_json::json!("Ada"));
    assert!(db.update_user(&u).await.expect("update"));
    assert_eq!(db.get_user(&u.id).await.expect("get"), Some(u.clone()));
    let (page, total) = db.list_users(Page { page: 1, size: 1 }).await.expect("list");
    assert_eq!((page.len(), total), (1, 2));
    assert!(db.delete_user(&u.id).await.expect("delete"));
    assert_eq!(db.get_user(&u.id).await.expect("get"), None);
}

async fn role_scopes_resolve_for_users_and_apps(db: &Db) {
    let r = Resource {
        id: ResourceId::from("res1"),
        name: "Photos".to_owned(),
        indicator: "https://api.example.com".to_owned(),
        access_token_ttl: 3600,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(1),
    };
    db.insert_resource(&r).await.expect("resource");
    assert!(matches!(
        db.insert_resource(&Resource { id: ResourceId::from("res2"), ..r.clone() }).await,
        Err(RepoError::Conflict(_))
    ));
    for (id, name) in [("s1", "read"), ("s2", "write"), ("s3", "admin")] {
        db.insert_scope(&Scope {
            id: ScopeId::from(id),
            resource_id: r.id.clone(),
            name: name.to_owned(),
            description: String::new(),
        })
        .await
        .expect("scope");
    }
    let reader = Role {
        id: RoleId::from("r1"),
        name: "reader".to_owned(),
        description: String::new(),
        role_type: RoleType::User,
        created_at: Timestamp(1),
    };
    let writer = Role {
        id: RoleId::from("r2"),
        name: "writer".to_owned(),
        role_type: RoleType::MachineToMachine,
        ..reader.clone()
    };
    db.insert_role(&reader).await.expect("role");
    db.insert_role(&writer).await.expect("role");
    db.add_role_scopes(&reader.id, &[ScopeId::from("s1")]).await.expect("scopes");
    db.add_role_scopes(&writer.id, &[ScopeId::from("s1"), ScopeId::from("s2")]).await.expect("scopes");
    db.add_role_scopes(&writer.id, &[ScopeId::from("s2")]).await.expect("adding twice is harmless");
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.add_user_roles(&UserId::from("u1"), std::slice::from_ref(&reader.id)).await.expect("user roles");
    let mut m2m = app("m2m", "Robot", false);
    m2m.app_type = AppType::MachineToMachine;
    m2m.redirect_uris.clear();
    db.insert_application(&m2m).await.expect("app");
    db.add_application_roles(&m2m.id, std::slice::from_ref(&writer.id)).await.expect("app roles");

    assert_eq!(db.user_resource_scopes(&UserId::from("u1"), &r.id).await.expect("scopes"), ["read"]);
    assert_eq!(db.application_resource_scopes(&m2m.id, &r.id).await.expect("scopes"), ["read", "write"]);
    assert_eq!(db.user_role_names(&UserId::from("u1")).await.expect("roles"), ["reader"]);
    assert_eq!(db.get_role_by_name("writer").await.expect("role"), Some(writer));
    assert_eq!(db.get_resource_by_indicator(&r.indicator).await.expect("get"), Some(r.clone()));
    assert_eq!(db.list_scopes(&r.id).await.expect("scopes").len(), 3);
    assert_eq!(db.list_resources().await.expect("resources"), vec![r]);
}

async fn users_are_found_by_exact_username_or_by_email_alone(db: &Db) {
    let ada = user("u1", "ada", "Ada@Example.com");
    let odd = user("u2", "bob@example.com", "robert@example.com");
    db.insert_user(&ada).await.expect("insert");
    db.insert_user(&odd).await.expect("insert");
    assert_eq!(db.find_user_by_username("ada").await.expect("find"), Some(ada.clone()));
    assert_eq!(db.find_user_by_username("ADA").await.expect("find"), None, "usernames are exact");
    assert_eq!(db.find_user_by_username("Ada@Example.com").await.expect("find"), None, "not by email");
    assert_eq!(db.find_user_by_email("ada@example.COM").await.expect("find"), Some(ada));
    assert_eq!(db.find_user_by_email("ada").await.expect("find"), None, "not by username");
    assert_eq!(db.find_user_by_email("bob@example.com").await.expect("find"), None, "a username is not an email");
    assert_eq!(db.find_user_by_email("ROBERT@example.com").await.expect("find"), Some(odd));
}

async fn resources_scopes_and_roles_can_be_updated(db: &Db) {
    let mut r = Resource {
        id: ResourceId::from("res1"),
        name: "Photos".to_owned(),
        indicator: "https://api.example.com".to_owned(),
        access_token_ttl: 3600,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(1),
    };
    db.insert_resource(&r).await.expect("resource");
    r.name = "Photos API".to_owned();
    r.access_token_ttl = 600;
    r.access_token_signing_alg = "ES256".into();
    assert!(db.update_resource(&r).await.expect("update"));
    assert_eq!(db.get_resource_by_indicator(&r.indicator).await.expect("get"), Some(r.clone()));
    let ghost = Resource { id: ResourceId::from("ghost"), ..r.clone() };
    assert!(!db.update_resource(&ghost).await.expect("update of a missing resource"));

    let mut s = Scope {
        id: ScopeId::from("s1"),
        resource_id: r.id.clone(),
        name: "read".to_owned(),
        description: String::new(),
    };
    db.insert_scope(&s).await.expect("scope");
    s.description = "Read things".to_owned();
    assert!(db.update_scope(&s).await.expect("update"));
    assert_eq!(db.list_scopes(&r.id).await.expect("scopes"), vec![s.clone()]);
    assert!(!db.update_scope(&Scope { id: ScopeId::from("ghost"), ..s }).await.expect("update of a missing scope"));

    let mut role = Role {
        id: RoleId::from("r1"),
        name: "reader".to_owned(),
        description: String::new(),
        role_type: RoleType::User,
        created_at: Timestamp(1),
    };
    db.insert_role(&role).await.expect("role");
    role.description = "Reads".to_owned();
    role.role_type = RoleType::MachineToMachine;
    assert!(db.update_role(&role).await.expect("update"));
    assert_eq!(db.get_role_by_name("reader").await.expect("get"), Some(role.clone()));
    assert!(!db.update_role(&Role { id: RoleId::from("ghost"), ..role }).await.expect("update of a missing role"));
}

async fn role_scopes_and_role_assignments_can_be_replaced(db: &Db) {
    let r = Resource {
        id: ResourceId::from("res1"),
        name: "Photos".to_owned(),
        indicator: "https://api.example.com".to_owned(),
        access_token_ttl: 3600,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(1),
    };
    db.insert_resource(&r).await.expect("resource");
    for id in ["s1", "s2", "s3"] {
        let scope =
            Scope { id: ScopeId::from(id), resource_id: r.id.clone(), name: id.to_owned(), description: String::new() };
        db.insert_scope(&scope).await.expect("scope");
    }
    let role = |id: &str, name: &str, role_type| Role {
        id: RoleId::from(id),
        name: name.to_owned(),
        description: String::new(),
        role_type,
        created_at: Timestamp(1),
    };
    for r in
        [role("r1", "a", RoleType::User), role("r2", "b", RoleType::User), role("r3", "c", RoleType::MachineToMachine)]
    {
        db.insert_role(&r).await.expect("role");
    }
    let (r1, r2, r3) = (RoleId::from("r1"), RoleId::from("r2"), RoleId::from("r3"));
    let ids = |v: &[&str]| v.iter().map(|s| ScopeId::from(*s)).collect::<Vec<_>>();

    assert!(db.role_scope_ids(&r1).await.expect("none yet").is_empty());
    db.set_role_scopes(&r1, &ids(&["s3", "s1", "s1"])).await.expect("set; duplicates are harmless");
    assert_eq!(db.role_scope_ids(&r1).await.expect("ids"), ids(&["s1", "s3"]));
    db.set_role_scopes(&r1, &ids(&["s2"])).await.expect("replace");
    assert_eq!(db.role_scope_ids(&r1).await.expect("ids"), ids(&["s2"]));
    assert!(matches!(db.set_role_scopes(&r1, &ids(&["nope"])).await, Err(RepoError::MissingReference(_))));
    assert_eq!(db.role_scope_ids(&r1).await.expect("ids"), ids(&["s2"]), "a failed replace changes nothing");
    db.set_role_scopes(&r1, &[]).await.expect("clear");
    assert!(db.role_scope_ids(&r1).await.expect("ids").is_empty());

    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    let u1 = UserId::from("u1");
    db.set_user_roles(&u1, &[r1.clone(), r2.clone()]).await.expect("set");
    assert_eq!(db.user_role_names(&u1).await.expect("names"), ["a", "b"]);
    db.set_user_roles(&u1, std::slice::from_ref(&r2)).await.expect("replace");
    assert_eq!(db.user_role_names(&u1).await.expect("names"), ["b"]);

    let mut m2m = app("m2m", "Robot", false);
    m2m.app_type = AppType::MachineToMachine;
    m2m.redirect_uris.clear();
    db.insert_application(&m2m).await.expect("app");
    assert!(db.application_role_names(&m2m.id).await.expect("none yet").is_empty());
    db.set_application_roles(&m2m.id, &[r3.clone(), r2.clone()]).await.expect("set");
    assert_eq!(db.application_role_names(&m2m.id).await.expect("names"), ["b", "c"]);
    db.set_application_roles(&m2m.id, std::slice::from_ref(&r3)).await.expect("replace");
    assert_eq!(db.application_role_names(&m2m.id).await.expect("names"), ["c"]);
    assert_eq!(db.user_role_names(&u1).await.expect("names"), ["b"], "other owners keep their roles");
}

async fn sessions_round_trip(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    let s = Session {
        id: SessionId::from("sess1"),
        user_id: UserId::from("u1"),
        auth_time: Timestamp(10),
        created_at: Timestamp(10),
        last_active_at: Timestamp(10),
        expires_at: Timestamp(1000),
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
    };
    db.insert_session(&s).await.expect("insert");
    assert_eq!(db.get_session(&s.id).await.expect("get").as_ref(), Some(&s), "amr and user agent kept");
    db.touch_session(&s.id, Timestamp(20)).await.expect("touch");
    assert_eq!(db.get_session(&s.id).await.expect("get").map(|s| s.last_active_at), Some(Timestamp(20)));
    assert!(db.delete_session(&s.id).await.expect("delete"));
    assert_eq!(db.get_session(&s.id).await.expect("get"), None);
}

fn grant(id: &str, scopes: &[&str]) -> Grant {
    Grant {
        id: GrantId::from(id),
        user_id: UserId::from("u1"),
        application_id: ApplicationId::from("app1"),
        details: GrantDetails { scopes: scopes.iter().map(|s| s.to_string()).collect(), ..Default::default() },
        created_at: Timestamp(5),
        updated_at: Timestamp(5),
        last_used_at: None,
    }
}

async fn grants_are_one_per_user_and_app(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    db.save_grant(&grant("g1", &["openid"])).await.expect("first save");
    let mut second = grant("g-other", &["openid", "email"]);
    second.details.resource_scopes.insert("https://api".to_owned(), vec!["read".to_owned()]);
    second.updated_at = Timestamp(9);
    db.save_grant(&second).await.expect("second save updates");
    let got = db.get_grant(&UserId::from("u1"), &ApplicationId::from("app1")).await.expect("get").expect("exists");
    assert_eq!(got.id, GrantId::from("g1"), "the grant keeps its id");
    assert_eq!(got.details, second.details);
    assert_eq!(got.updated_at, Timestamp(9));
}

async fn revoking_a_grant_deletes_its_tokens(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    db.save_grant(&grant("g1", &["openid"])).await.expect("grant");
    let token = |h: &str, g: Option<&str>| AccessTokenRecord {
        token_hash: h.to_owned(),
        application_id: ApplicationId::from("app1"),
        user_id: Some(UserId::from("u1")),
        grant_id: g.map(GrantId::from),
        family: None,
        scope: "openid".to_owned(),
        issued_at: Timestamp(1),
        expires_at: Timestamp(3601),
    };
    db.insert_access_token(&token("h1", Some("g1"))).await.expect("token");
    db.insert_access_token(&token("h2", None)).await.expect("token");
    assert_eq!(db.get_access_token("h1").await.expect("get"), Some(token("h1", Some("g1"))));
    assert_eq!(db.revoke_grant_tokens(&GrantId::from("g1")).await.expect("revoke"), 1);
    assert_eq!(db.get_access_token("h1").await.expect("get"), None);
    assert!(db.get_access_token("h2").await.expect("get").is_some(), "other tokens stay");
    assert!(db.delete_access_token("h2").await.expect("delete"));
    assert!(db.delete_grant(&GrantId::from("g1")).await.expect("delete grant"));
}

fn refresh(hash: &str, grant: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: hash.to_owned(),
        grant_id: GrantId::from(grant),
        application_id: ApplicationId::from("app1"),
        user_id: UserId::from("u1"),
        family: format!("family-of-{grant}"),
        scope: "openid offline_access read".to_owned(),
        resources: [("https://api.example.com".to_owned(), vec!["read".to_owned()])].into(),
        auth_time: Timestamp(10),
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
        issued_at: Timestamp(20),
        expires_at: Timestamp(20 + 14 * 86_400),
        consumed_at: None,
    }
}

async fn refresh_tokens_round_trip_and_are_consumed_once(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.save_grant(&grant("g1", &["openid", "offline_access"])).await.expect("grant");
    db.insert_refresh_token(&refresh("r1", "g1")).await.expect("insert");
    db.insert_refresh_token(&refresh("r2", "g1")).await.expect("insert");
    assert_eq!(db.get_refresh_token("r1").await.expect("get"), Some(refresh("r1", "g1")));
    assert_eq!(db.get_refresh_token("nope").await.expect("get"), None);
    assert!(db.consume_refresh_token("r1", Timestamp(30)).await.expect("consume"));
    assert!(!db.consume_refresh_token("r1", Timestamp(31)).await.expect("consume again"), "only once");
    assert!(!db.consume_refresh_token("nope", Timestamp(31)).await.expect("unknown"));
    let consumed = db.get_refresh_token("r1").await.expect("get").expect("kept after consumption");
    assert_eq!(consumed.consumed_at, Some(Timestamp(30)), "kept so a replay can be recognised");
    let at = AccessTokenRecord {
        token_hash: "a1".to_owned(),
        application_id: ApplicationId::from("app1"),
        user_id: Some(UserId::from("u1")),
        grant_id: Some(GrantId::from("g1")),
        family: None,
        scope: "openid".to_owned(),
        issued_at: Timestamp(20),
        expires_at: Timestamp(3620),
    };
    db.insert_access_token(&at).await.expect("access token");
    assert_eq!(db.delete_grant_access_tokens(&GrantId::from("g1")).await.expect("delete"), 1);
    assert!(db.get_refresh_token("r2").await.expect("get").is_some(), "refresh tokens stay");
    assert!(db.delete_refresh_token("r2").await.expect("delete"));
    assert!(!db.delete_refresh_token("r2").await.expect("delete again"));
    db.insert_access_token(&at).await.expect("access token");
    assert_eq!(db.revoke_grant_tokens(&GrantId::from("g1")).await.expect("revoke"), 2, "r1 and a1");
    assert_eq!(db.get_refresh_token("r1").await.expect("get"), None);
}

async fn second_factors_accept_each_totp_step_and_recovery_code_once(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_user(&user("u2", "eve", "eve@example.com")).await.expect("user");
    let factor = |id: &str, user: &str, kind: FactorKind, at: i64| MfaFactor {
        id: FactorId::from(id),
        user_id: UserId::from(user),
        kind,
        name: format!("factor {id}"),
        secret: "sealed".to_owned(),
        last_used_step: None,
        created_at: Timestamp(at),
        last_used_at: None,
        credential_id: (kind == FactorKind::Passkey).then(|| format!("cred-{id}")),
    };
    db.commit(vec![
        Write::InsertFactor(factor("f2", "u1", FactorKind::Passkey, 20)),
        Write::InsertFactor(factor("f1", "u1", FactorKind::Totp, 10)),
        Write::InsertFactor(factor("f3", "u2", FactorKind::Totp, 5)),
        Write::SetRecoveryCodes { user: UserId::from("u1"), hashes: vec!["h1".into(), "h2".into()] },
        Write::SetRecoveryCodes { user: UserId::from("u2"), hashes: vec!["h1".into()] },
    ])
    .await
    .expect("enrol");
    let mine = db.list_user_factors(&UserId::from("u1")).await.expect("list");
    assert_eq!(mine.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["f1", "f2"], "oldest first, mine only");
    assert_eq!(mine[0], factor("f1", "u1", FactorKind::Totp, 10));

    // A step is used once, and never an earlier one after a later.
    let f1 = FactorId::from("f1");
    assert!(db.use_totp_step(&f1, 100, Timestamp(3000)).await.expect("use"));
    assert!(!db.use_totp_step(&f1, 100, Timestamp(3001)).await.expect("replay"), "the same step again");
    assert!(!db.use_totp_step(&f1, 99, Timestamp(3002)).await.expect("earlier"), "an earlier step");
    assert!(db.use_totp_step(&f1, 101, Timestamp(3030)).await.expect("next"));
    let used = db.list_user_factors(&UserId::from("u1")).await.expect("list");
    assert_eq!((used[0].last_used_step, used[0].last_used_at), (Some(101), Some(Timestamp(3030))));
    assert!(!db.use_totp_step(&FactorId::from("nope"), 1, Timestamp(1)).await.expect("unknown"));

    // A passkey is found by its credential id, and a use stores its new state once.
    let f2 = db.find_passkey("cred-f2").await.expect("find").expect("the passkey");
    assert_eq!(f2, factor("f2", "u1", FactorKind::Passkey, 20));
    assert_eq!(db.find_passkey("cred-nope").await.expect("find"), None);
    assert!(db.use_passkey(&f2.id, "sealed", "counter 1", Timestamp(4000)).await.expect("use"));
    assert!(
        !db.use_passkey(&f2.id, "sealed", "counter 1 again", Timestamp(4001)).await.expect("stale"),
        "read before the other use"
    );
    let f2 = db.find_passkey("cred-f2").await.expect("find").expect("the passkey");
    assert_eq!((f2.secret.as_str(), f2.last_used_at), ("counter 1", Some(Timestamp(4000))));
    let twin = MfaFactor { id: FactorId::from("f9"), ..f2.clone() };
    let taken = db.commit(vec![Write::InsertFactor(twin)]).await;
    assert!(matches!(taken, Err(RepoError::Conflict(_))), "one credential, one factor: {taken:?}");

    // Recovery codes: each once, per user.
    assert_eq!(db.count_recovery_codes(&UserId::from("u1")).await.expect("count"), 2);
    assert!(db.use_recovery_code(&UserId::from("u1"), "h1", Timestamp(5)).await.expect("use"));
    assert!(!db.use_recovery_code(&UserId::from("u1"), "h1", Timestamp(6)).await.expect("again"), "once");
    assert!(!db.use_recovery_code(&UserId::from("u1"), "h9", Timestamp(6)).await.expect("unknown"));
    assert_eq!(db.count_recovery_codes(&UserId::from("u1")).await.expect("count"), 1);
    assert_eq!(db.count_recovery_codes(&UserId::from("u2")).await.expect("count"), 1, "another user's code stays");
    db.commit(vec![Write::SetRecoveryCodes { user: UserId::from("u1"), hashes: vec!["h3".into()] }])
        .await
        .expect("new codes");
    assert!(!db.use_recovery_code(&UserId::from("u1"), "h2", Timestamp(7)).await.expect("old"), "replaced");
    assert_eq!(db.count_recovery_codes(&UserId::from("u1")).await.expect("count"), 1);

    // Removing one, then all (an operator's reset), then a missing one.
    db.commit(vec![Write::DeleteFactor { user: UserId::from("u1"), id: FactorId::from("f2") }]).await.expect("delete");
    let other = db.commit(vec![Write::DeleteFactor { user: UserId::from("u2"), id: f1.clone() }]).await;
    assert!(matches!(other, Err(RepoError::NotFound(_))), "not another user's factor: {other:?}");
    db.commit(vec![Write::DeleteUserFactors(UserId::from("u1"))]).await.expect("reset");
    assert!(db.list_user_factors(&UserId::from("u1")).await.expect("list").is_empty());
    assert_eq!(db.count_recovery_codes(&UserId::from("u1")).await.expect("count"), 0);
    assert_eq!(db.list_user_factors(&UserId::from("u2")).await.expect("list").len(), 1, "eve keeps hers");
    // Deleting the user takes the rest.
    assert!(db.delete_user(&UserId::from("u2")).await.expect("delete user"));
    assert_eq!(db.count_recovery_codes(&UserId::from("u2")).await.expect("count"), 0);
}

async fn revoking_a_users_tokens_keeps_their_grants_and_other_users_tokens(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_user(&user("u2", "eve", "eve@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.save_grant(&grant("g1", &["openid", "offline_access"])).await.expect("grant");
    db.save_grant(&Grant { user_id: UserId::from("u2"), ..grant("g2", &["openid", "offline_access"]) })
        .await
        .expect("grant");
    db.insert_refresh_token(&refresh("r1", "g1")).await.expect("insert");
    db.insert_refresh_token(&RefreshTokenRecord { user_id: UserId::from("u2"), ..refresh("r2", "g2") })
        .await
        .expect("insert");
    let at = |hash: &str, user: &str, grant: Option<&str>| AccessTokenRecord {
        token_hash: hash.to_owned(),
        application_id: ApplicationId::from("app1"),
        user_id: Some(UserId::from(user)),
        grant_id: grant.map(GrantId::from),
        family: None,
        scope: "openid".to_owned(),
        issued_at: Timestamp(20),
        expires_at: Timestamp(3620),
    };
    for t in [at("a1", "u1", Some("g1")), at("a2", "u1", None), at("a3", "u2", Some("g2"))] {
        db.insert_access_token(&t).await.expect("access token");
    }
    db.commit(vec![Write::RevokeUserTokens(UserId::from("u1"))]).await.expect("revoke");
    for gone in ["a1", "a2"] {
        assert_eq!(db.get_access_token(gone).await.expect("get"), None, "{gone}");
    }
    assert_eq!(db.get_refresh_token("r1").await.expect("get"), None);
    assert!(db.get_access_token("a3").await.expect("get").is_some(), "another user's token stays");
    assert!(db.get_refresh_token("r2").await.expect("get").is_some(), "another user's token stays");
    assert!(
        db.get_grant(&UserId::from("u1"), &ApplicationId::from("app1")).await.expect("get").is_some(),
        "grants stay"
    );
    db.commit(vec![Write::RevokeUserTokens(UserId::from("ghost"))]).await.expect("nobody's tokens is fine");
}

async fn revoking_a_token_family_deletes_its_tokens_and_nothing_else(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.save_grant(&grant("g1", &["openid", "offline_access"])).await.expect("grant");
    let member = |hash: &str, family: &str| RefreshTokenRecord { family: family.to_owned(), ..refresh(hash, "g1") };
    db.insert_refresh_token(&member("r1", "fa")).await.expect("insert");
    db.insert_refresh_token(&member("r2", "fa")).await.expect("insert");
    db.insert_refresh_token(&member("r3", "fb")).await.expect("insert");
    let at = |hash: &str, family: Option<&str>| AccessTokenRecord {
        token_hash: hash.to_owned(),
        application_id: ApplicationId::from("app1"),
        user_id: Some(UserId::from("u1")),
        grant_id: Some(GrantId::from("g1")),
        family: family.map(str::to_owned),
        scope: "openid".to_owned(),
        issued_at: Timestamp(20),
        expires_at: Timestamp(3620),
    };
    db.insert_access_token(&at("a1", Some("fa"))).await.expect("insert");
    db.insert_access_token(&at("a2", Some("fb"))).await.expect("insert");
    db.insert_access_token(&at("a3", None)).await.expect("insert");
    assert_eq!(db.get_access_token("a1").await.expect("get"), Some(at("a1", Some("fa"))), "the family round-trips");
    assert_eq!(db.get_refresh_token("r1").await.expect("get").map(|r| r.family), Some("fa".to_owned()));
    assert_eq!(db.revoke_token_family("").await.expect("revoke"), 0, "an empty family names nothing");
    assert_eq!(db.revoke_token_family("fa").await.expect("revoke"), 3, "r1, r2 and a1");
    for gone in ["r1", "r2"] {
        assert_eq!(db.get_refresh_token(gone).await.expect("get"), None);
    }
    assert_eq!(db.get_access_token("a1").await.expect("get"), None);
    assert!(db.get_refresh_token("r3").await.expect("get").is_some(), "another family stays");
    assert!(db.get_access_token("a2").await.expect("get").is_some());
    assert!(db.get_access_token("a3").await.expect("get").is_some());
}

async fn concurrent_consumers_of_one_refresh_token_have_exactly_one_winner(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.save_grant(&grant("g1", &["openid", "offline_access"])).await.expect("grant");
    for round in 0..3 {
        let hash = format!("race{round}");
        db.insert_refresh_token(&refresh(&hash, "g1")).await.expect("insert");
        let barrier = Arc::new(tokio::sync::Barrier::new(16));
        let consumers: Vec<_> = (0..16)
            .map(|i| {
                let (db, hash, barrier) = (db.clone(), hash.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    db.consume_refresh_token(&hash, Timestamp(100 + i)).await.expect("consume")
                })
            })
            .collect();
        let mut winners = 0;
        for c in consumers {
            if c.await.expect("join") {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}: exactly one consumer wins");
    }
}

async fn a_rotation_stores_its_successor_only_when_it_wins(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_application(&app("app1", "First", false)).await.expect("app");
    db.save_grant(&grant("g1", &["openid", "offline_access"])).await.expect("grant");
    let at = |hash: &str| AccessTokenRecord {
        token_hash: hash.to_owned(),
        application_id: ApplicationId::from("app1"),
        user_id: Some(UserId::from("u1")),
        grant_id: Some(GrantId::from("g1")),
        family: Some("family-of-g1".to_owned()),
        scope: "openid".to_owned(),
        issued_at: Timestamp(20),
        expires_at: Timestamp(3620),
    };
    db.insert_refresh_token(&refresh("old", "g1")).await.expect("insert");
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let rotations: Vec<_> = (0..16)
        .map(|i| {
            let (db, barrier) = (db.clone(), barrier.clone());
            let (next, access) = (refresh(&format!("next{i}"), "g1"), at(&format!("at{i}")));
            tokio::spawn(async move {
                barrier.wait().await;
                db.rotate_refresh_token("old", Timestamp(100), &next, Some(&access)).await.expect("rotate")
            })
        })
        .collect();
    let mut won = Vec::new();
    for (i, r) in rotations.into_iter().enumerate() {
        if r.await.expect("join") {
            won.push(i);
        }
    }
    assert_eq!(won.len(), 1, "exactly one rotation wins: {won:?}");
    for i in 0..16 {
        let stored = db.get_refresh_token(&format!("next{i}")).await.expect("get").is_some();
        let access = db.get_access_token(&format!("at{i}")).await.expect("get").is_some();
        assert_eq!((stored, access), (won == [i], won == [i]), "rotation {i} stores its tokens only when it won");
    }
    assert_eq!(db.get_refresh_token("old").await.expect("get").and_then(|r| r.consumed_at), Some(Timestamp(100)));

    // A rotation that fails half-way (its successor's hash is taken) leaves the old token usable.
    db.insert_refresh_token(&refresh("fresh", "g1")).await.expect("insert");
    let clash = refresh(&format!("next{}", won[0]), "g1");
    assert!(db.rotate_refresh_token("fresh", Timestamp(200), &clash, None).await.is_err());
    assert_eq!(db.get_refresh_token("fresh").await.expect("get").and_then(|r| r.consumed_at), None, "rolled back");
}

async fn a_users_sessions_are_listed_and_deleted_together(db: &Db) {
    db.insert_user(&user("u1", "ada", "ada@example.com")).await.expect("user");
    db.insert_user(&user("u2", "bob", "bob@example.com")).await.expect("user");
    let session = |id: &str, user: &str, at: i64| Session {
        id: SessionId::from(id),
        user_id: UserId::from(user),
        auth_time: Timestamp(at),
        created_at: Timestamp(at),
        last_active_at: Timestamp(at),
        expires_at: Timestamp(at + 1000),
        amr: vec!["pwd".into()],
        user_agent: None,
    };
    db.insert_session(&session("s1", "u1", 10)).await.expect("insert");
    db.insert_session(&session("s2", "u1", 20)).await.expect("insert");
    db.insert_session(&session("s3", "u2", 30)).await.expect("insert");
    let listed = db.list_user_sessions(&UserId::from("u1")).await.expect("list");
    assert_eq!(listed, vec![session("s2", "u1", 20), session("s1", "u1", 10)], "newest first, own only");
    assert_eq!(db.delete_user_sessions(&UserId::from("u1")).await.expect("delete"), 2);
    assert!(db.list_user_sessions(&UserId::from("u1")).await.expect("list").is_empty());
    assert!(db.get_session(&SessionId::from("s3")).await.expect("get").is_some(), "other users keep theirs");
}

async fn signing_keys_change_state(db: &Db) {
    let k = SigningKey {
        kid: KeyId::from("k1"),
        alg: "RS256".to_owned(),
        state: KeyState::Next,
        private_jwe: "jwe".to_owned(),
        public_jwk: "{}".to_owned(),
        created_at: Timestamp(1),
        retired_at: None,
    };
    db.insert_signing_key(&k).await.expect("insert");
    assert!(db.set_signing_key_state(&k.kid, KeyState::Current).await.expect("state"));
    assert_eq!(db.list_signing_keys().await.expect("list")[0].state, KeyState::Current);
    assert!(db.retire_signing_key(&k.kid, Timestamp(50)).await.expect("retire"));
    let listed = db.list_signing_keys().await.expect("list");
    assert_eq!((listed[0].state, listed[0].retired_at), (KeyState::Previous, Some(Timestamp(50))));
    assert!(db.delete_signing_key(&k.kid).await.expect("delete"));
    assert!(db.list_signing_keys().await.expect("list").is_empty());
}

async fn audit_log_lists_newest_first(db: &Db) {
    for i in 0..3 {
        db.append_audit(&AuditEntry {
            id: format!("e{i}"),
            at: Timestamp(100 + i),
            actor: "admin".to_owned(),
            action: "application.create".to_owned(),
            target_type: "application".to_owned(),
            target_id: format!("app{i}"),
            details: serde_json::json!({"i": i}),
        })
        .await
        .expect("append");
    }
    let (entries, total) = db.list_audit(Page { page: 1, size: 2 }).await.expect("list");
    assert_eq!(total, 3);
    assert_eq!(entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e2", "e1"]);
    assert_eq!(entries[0].details, serde_json::json!({"i": 2}));
}

// ---------------------------------------------------------------- ephemeral contract

async fn put_get_take_delete(store: Arc<dyn EphemeralStore>) {
    store.ping().await.expect("ping");
    store.put("k", "v1", Duration::from_secs(30)).await.expect("put");
    assert_eq!(store.get("k").await.expect("get").as_deref(), Some("v1"));
    assert_eq!(store.get("k").await.expect("get").as_deref(), Some("v1"), "get does not consume");
    store.put("k", "v2", Duration::from_secs(30)).await.expect("overwrite");
    assert_eq!(store.take("k").await.expect("take").as_deref(), Some("v2"));
    assert_eq!(store.take("k").await.expect("take"), None, "take consumes");
    store.put("d", "x", Duration::from_secs(30)).await.expect("put");
    store.delete("d").await.expect("delete");
    assert_eq!(store.get("d").await.expect("get"), None);
}

async fn values_expire(store: Arc<dyn EphemeralStore>) {
    store.put("short", "v", Duration::from_millis(100)).await.expect("put");
    store.put("long", "v", Duration::from_secs(30)).await.expect("put");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.get("short").await.expect("get"), None);
    assert_eq!(store.take("short").await.expect("take"), None);
    assert_eq!(store.get("long").await.expect("get").as_deref(), Some("v"));
}

async fn take_is_atomic_under_concurrency(store: Arc<dyn EphemeralStore>) {
    for round in 0..5 {
        let key = format!("code{round}");
        store.put(&key, "secret", Duration::from_secs(30)).await.expect("put");
        let barrier = Arc::new(tokio::sync::Barrier::new(64));
        let takers: Vec<_> = (0..64)
            .map(|_| {
                let (store, key, barrier) = (store.clone(), key.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.take(&key).await.expect("take")
                })
            })
            .collect();
        let mut winners = 0;
        for t in takers {
            if t.await.expect("join").is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}: exactly one taker wins");
    }
}

async fn counters_count_within_their_window(store: Arc<dyn EphemeralStore>) {
    let window = Duration::from_millis(300);
    for expected in 1..=5 {
        assert_eq!(store.incr("fails", window).await.expect("incr"), expected);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.incr("fails", window).await.expect("incr"), 1, "a new window starts from one");
}

async fn counters_count_down_without_coming_back(store: Arc<dyn EphemeralStore>) {
    let window = Duration::from_millis(300);
    for expected in 1..=3 {
        assert_eq!(store.incr("tries", window).await.expect("incr"), expected);
    }
    assert_eq!(store.decr("tries").await.expect("decr"), 2);
    assert_eq!(store.decr("tries").await.expect("decr"), 1);
    assert_eq!(store.decr("tries").await.expect("decr"), 0);
    assert_eq!(store.decr("tries").await.expect("decr"), 0, "never below zero");
    assert_eq!(store.incr("tries", window).await.expect("incr"), 1);
    assert_eq!(store.decr("never").await.expect("decr"), 0);
    assert_eq!(store.get("never").await.expect("get"), None, "decr does not create a counter");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.decr("tries").await.expect("decr"), 0);
    assert_eq!(store.get("tries").await.expect("get"), None, "an expired counter is not brought back");
}

/// Rate limits rely on this: of many concurrent increments each sees its own count.
async fn increments_are_atomic_under_concurrency(store: Arc<dyn EphemeralStore>) {
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                store.incr("burst", Duration::from_secs(30)).await.expect("incr")
            })
        })
        .collect();
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.expect("join"));
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=64).collect::<Vec<u64>>());
}

async fn published_messages_reach_subscribers(store: Arc<dyn EphemeralStore>) {
    let mut a = store.subscribe("invalidate").await.expect("subscribe");
    let mut b = store.subscribe("invalidate").await.expect("subscribe");
    let mut other = store.subscribe("elsewhere").await.expect("subscribe");
    store.publish("invalidate", "client:app1").await.expect("publish");
    for s in [&mut a, &mut b] {
        let got = tokio::time::timeout(Duration::from_secs(5), s.next()).await.expect("message in time");
        assert_eq!(got.as_deref(), Some("client:app1"));
    }
    assert!(tokio::time::timeout(Duration::from_millis(200), other.next()).await.is_err(), "other channels stay quiet");
}

async fn roles_and_resources_are_read_listed_and_unlinked(db: &Db) {
    let r = Resource {
        id: ResourceId::from("res1"),
        name: "Photos".to_owned(),
        indicator: "https://api.example.com".to_owned(),
        access_token_ttl: 3600,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(1),
    };
    db.insert_resource(&r).await.expect("resource");
    let scope = Scope {
        id: ScopeId::from("s1"),
        resource_id: r.id.clone(),
        name: "read".to_owned(),
        description: "Read".to_owned(),
    };
    db.insert_scope(&scope).await.expect("scope");
    assert_eq!(db.get_resource(&r.id).await.expect("get"), Some(r.clone()));
    assert_eq!(db.get_scope(&scope.id).await.expect("get"), Some(scope.clone()));
    let role = |id: &str, name: &str, t: RoleType, at: i64| Role {
        id: RoleId::from(id),
        name: name.to_owned(),
        description: String::new(),
        role_type: t,
        created_at: Timestamp(at),
    };
    let (reader, robots) =
        (role("r1", "reader", RoleType::User, 1), role("r2", "robots", RoleType::MachineToMachine, 2));
    db.insert_role(&reader).await.expect("role");
    db.insert_role(&robots).await.expect("role");
    assert_eq!(db.get_role(&reader.id).await.expect("get"), Some(reader.clone()));
    let (page, total) = db.list_roles(Page { page: 2, size: 1 }).await.expect("list");
    assert_eq!((page, total), (vec![robots.clone()], 2));
    db.add_role_scopes(&reader.id, std::slice::from_ref(&scope.id)).await.expect("scopes");
    assert_eq!(db.role_scopes(&reader.id).await.expect("scopes"), vec![scope.clone()]);
    for u in ["u1", "u2"] {
        db.insert_user(&user(u, u, &format!("{u}@example.com"))).await.expect("user");
        db.add_user_roles(&UserId::from(u), std::slice::from_ref(&reader.id)).await.expect("roles");
    }
    let (ids, total) = db.role_user_ids(&reader.id, Page { page: 1, size: 1 }).await.expect("holders");
    assert_eq!((ids, total), (vec![UserId::from("u1")], 2));
    assert_eq!(db.user_roles(&UserId::from("u1")).await.expect("roles"), vec![reader.clone()]);
    let mut m2m = app("m2m", "Robot", false);
    m2m.app_type = AppType::MachineToMachine;
    m2m.redirect_uris.clear();
    db.insert_application(&m2m).await.expect("app");
    db.add_application_roles(&m2m.id, std::slice::from_ref(&robots.id)).await.expect("app roles");
    assert_eq!(db.application_roles(&m2m.id).await.expect("roles"), vec![robots.clone()]);
    // Unlinking answers whether there was something to unlink.
    assert!(db.remove_user_role(&UserId::from("u1"), &reader.id).await.expect("remove"));
    assert!(!db.remove_user_role(&UserId::from("u1"), &reader.id).await.expect("remove again"));
    assert!(db.remove_application_role(&m2m.id, &robots.id).await.expect("remove"));
    assert!(db.application_roles(&m2m.id).await.expect("roles").is_empty());
    assert!(db.remove_role_scope(&reader.id, &scope.id).await.expect("remove"));
    assert!(db.role_scopes(&reader.id).await.expect("scopes").is_empty());
    // Deleting a scope or a resource takes the role links with it.
    db.add_role_scopes(&reader.id, std::slice::from_ref(&scope.id)).await.expect("scopes");
    assert!(db.delete_scope(&scope.id).await.expect("delete"));
    assert!(db.role_scopes(&reader.id).await.expect("scopes").is_empty());
    assert!(db.delete_resource(&r.id).await.expect("delete"));
    assert_eq!(db.get_resource(&r.id).await.expect("get"), None);
    assert!(db.delete_role(&reader.id).await.expect("delete"));
    assert!(db.user_roles(&UserId::from("u2")).await.expect("roles").is_empty(), "holders lose a deleted role");
    assert!(!db.delete_role(&reader.id).await.expect("delete again"));
}

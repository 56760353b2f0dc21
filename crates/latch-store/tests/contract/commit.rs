//! The unit of work (`Repositories::commit`): all of a list of writes or none of them, "not
//! there" as `NotFound`, and link writes that may repeat (also concurrently). Run against
//! SQLite and Postgres with the `repo_contract!` harness of `main.rs`.

use super::orgs::{JOINED, consent, oid, org, org_role, org_scope, resources, rid, uids, users};
use super::{app, user};
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_store::Db;
use std::sync::Arc;

latch_testing::on_both_databases!(
    a_unit_whose_last_write_fails_leaves_nothing,
    a_unit_refused_by_a_unique_constraint_leaves_nothing,
    updating_an_unknown_application_fails_the_unit_with_not_found_and_writes_no_audit,
    every_update_delete_and_removal_of_a_missing_row_is_not_found,
    a_unit_creating_an_application_its_secret_and_an_audit_entry_commits_all_three,
    a_unit_applies_its_writes_in_order,
    an_empty_unit_is_fine,
    adding_links_twice_gives_no_error_and_no_duplicates,
    adding_links_concurrently_from_two_tasks_gives_no_error_and_no_duplicates,
    setting_links_concurrently_from_two_tasks_gives_exactly_the_list,
    consent_scopes_added_in_a_unit_take_the_new_required,
);

// ---------------------------------------------------------------- fixtures

fn entry(id: &str, target: &str) -> AuditEntry {
    AuditEntry {
        id: id.to_owned(),
        at: Timestamp(1_700_000_500),
        actor: "admin".to_owned(),
        action: "test.write".to_owned(),
        target_type: "test".to_owned(),
        target_id: target.to_owned(),
        details: serde_json::json!({"target": target}),
    }
}

async fn audit_total(db: &Db) -> i64 {
    db.list_audit(Page { page: 1, size: 10 }).await.expect("audit").1
}

fn expect_not_found(result: RepoResult<()>, names: &str) {
    match result {
        Err(RepoError::NotFound(what)) => assert!(what.contains(names), "{what:?} names {names:?}"),
        other => panic!("expected NotFound naming {names:?}, got {other:?}"),
    }
}

fn role(id: &str, name: &str) -> Role {
    Role {
        id: RoleId::from(id),
        name: name.to_owned(),
        description: String::new(),
        role_type: RoleType::User,
        created_at: Timestamp(1),
    }
}

fn sids(ids: &[&str]) -> Vec<ScopeId> {
    ids.iter().map(|s| ScopeId::from(*s)).collect()
}

fn osids(ids: &[&str]) -> Vec<OrganizationScopeId> {
    ids.iter().map(|s| OrganizationScopeId::from(*s)).collect()
}

fn role_ids(ids: &[&str]) -> Vec<RoleId> {
    ids.iter().map(|s| RoleId::from(*s)).collect()
}

/// Users u1..u3, resources res1 (s1, s2) and res2 (s3), roles r1 `a` and r2 `b`, application
/// `app1`, organization o1, organization scopes os1 `invite` and os2 `remove`, organization role
/// or1 `admin`.
async fn world(db: &Db) {
    users(db, 3).await;
    resources(db).await;
    db.insert_role(&role("r1", "a")).await.expect("role");
    db.insert_role(&role("r2", "b")).await.expect("role");
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization_scope(&org_scope("os1", "invite")).await.expect("org scope");
    db.insert_organization_scope(&org_scope("os2", "remove")).await.expect("org scope");
    db.insert_organization_role(&org_role("or1", "admin")).await.expect("org role");
}

/// Every kind of link of [`world`], as read back: role scopes, user roles, application roles,
/// organization members, member roles, organization role scopes and resource scopes.
async fn links(db: &Db) -> Vec<Vec<String>> {
    let (members, _) = db.list_organization_members(&oid("o1"), Page { page: 1, size: 10 }).await.expect("members");
    vec![
        db.role_scope_ids(&RoleId::from("r1")).await.expect("role scopes").into_iter().map(|s| s.0).collect(),
        db.user_role_names(&UserId::from("u1")).await.expect("user roles"),
        db.application_role_names(&ApplicationId::from("app1")).await.expect("app roles"),
        members.into_iter().map(|u| u.0).collect(),
        db.organization_member_roles(&oid("o1"), &UserId::from("u1"))
            .await
            .expect("member roles")
            .into_iter()
            .map(|r| r.name)
            .collect(),
        db.organization_role_scope_ids(&rid("or1")).await.expect("org role scopes").into_iter().map(|s| s.0).collect(),
        db.organization_role_resource_scope_ids(&rid("or1"))
            .await
            .expect("org role resource scopes")
            .into_iter()
            .map(|s| s.0)
            .collect(),
    ]
}

/// One unit adding every kind of link (with a duplicate inside each list).
fn add_every_link() -> Vec<Write> {
    vec![
        Write::AddRoleScopes { role: RoleId::from("r1"), scopes: sids(&["s2", "s1", "s2"]) },
        Write::AddUserRoles { user: UserId::from("u1"), roles: role_ids(&["r2", "r1", "r1"]) },
        Write::AddApplicationRoles { app: ApplicationId::from("app1"), roles: role_ids(&["r1", "r1"]) },
        Write::AddOrganizationMembers { org: oid("o1"), users: uids(&["u2", "u1", "u2"]), at: JOINED },
        Write::SetOrganizationMemberRoles { org: oid("o1"), user: UserId::from("u1"), roles: vec![rid("or1")] },
        Write::AddOrganizationRoleScopes { role: rid("or1"), scopes: osids(&["os2", "os1", "os1"]) },
        Write::AddOrganizationRoleResourceScopes { role: rid("or1"), scopes: sids(&["s3", "s1", "s3"]) },
    ]
}

fn every_link_added() -> Vec<Vec<String>> {
    let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["s1", "s2"]),
        v(&["a", "b"]),
        v(&["a"]),
        v(&["u1", "u2"]),
        v(&["admin"]),
        v(&["os1", "os2"]),
        v(&["s1", "s3"]),
    ]
}

// ---------------------------------------------------------------- all or nothing

async fn a_unit_whose_last_write_fails_leaves_nothing(db: &Db) {
    db.insert_organization_scope(&org_scope("os1", "invite")).await.expect("scope");
    let r = org_role("or1", "admin");
    let err = db
        .commit(vec![
            Write::Audit(entry("e1", "or1")),
            Write::InsertOrganizationRole(r.clone()),
            Write::AddOrganizationRoleScopes { role: r.id.clone(), scopes: osids(&["os1", "ghost"]) },
        ])
        .await
        .expect_err("an unknown scope");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
    assert_eq!(db.get_organization_role(&r.id).await.expect("get"), None, "the role was rolled back");
    assert!(db.organization_role_scope_ids(&r.id).await.expect("ids").is_empty());
    assert_eq!(audit_total(db).await, 0, "and its audit entry");

    db.commit(vec![
        Write::InsertOrganizationRole(r.clone()),
        Write::AddOrganizationRoleScopes { role: r.id.clone(), scopes: osids(&["os1"]) },
    ])
    .await
    .expect("the same unit without the unknown scope");
    assert_eq!(db.get_organization_role(&r.id).await.expect("get"), Some(r.clone()));
    assert_eq!(db.organization_role_scope_ids(&r.id).await.expect("ids"), osids(&["os1"]));
}

async fn a_unit_refused_by_a_unique_constraint_leaves_nothing(db: &Db) {
    let err = db
        .commit(vec![
            Write::InsertApplication(app("a1", "Same", false)),
            Write::Audit(entry("e1", "a1")),
            Write::InsertApplication(app("a2", "Same", false)),
        ])
        .await
        .expect_err("a duplicate name");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");
    assert_eq!(db.get_application(&ApplicationId::from("a1")).await.expect("get"), None);
    assert_eq!(audit_total(db).await, 0);
}

async fn updating_an_unknown_application_fails_the_unit_with_not_found_and_writes_no_audit(db: &Db) {
    let ghost = app("ghost", "Ghost", false);
    // The audit entry before the failing write and after it: rolled back, or never written.
    expect_not_found(
        db.commit(vec![Write::Audit(entry("e1", "ghost")), Write::UpdateApplication(ghost.clone())]).await,
        "application ghost",
    );
    expect_not_found(
        db.commit(vec![Write::UpdateApplication(ghost.clone()), Write::Audit(entry("e2", "ghost"))]).await,
        "application ghost",
    );
    assert_eq!(audit_total(db).await, 0, "the audit log is still empty");
    assert_eq!(db.get_application(&ghost.id).await.expect("get"), None, "an update creates nothing");

    let mut a = app("app1", "First", false);
    db.insert_application(&a).await.expect("insert");
    a.name = "Renamed".to_owned();
    a.redirect_uris = vec!["https://c.example/cb".to_owned()];
    db.commit(vec![Write::UpdateApplication(a.clone()), Write::Audit(entry("e3", "app1"))]).await.expect("update");
    assert_eq!(db.get_application(&a.id).await.expect("get"), Some(a), "fields and URIs replaced");
    assert_eq!(audit_total(db).await, 1);
}

async fn every_update_delete_and_removal_of_a_missing_row_is_not_found(db: &Db) {
    world(db).await;
    let (app1, u1) = (ApplicationId::from("app1"), UserId::from("u1"));
    let key = SigningKey {
        kid: KeyId::from("ghost"),
        alg: "RS256".to_owned(),
        state: KeyState::Next,
        private_jwe: "jwe".to_owned(),
        public_jwk: "{}".to_owned(),
        created_at: Timestamp(1),
        retired_at: None,
    };
    let resource = Resource {
        id: ResourceId::from("ghost"),
        name: "Ghost".to_owned(),
        indicator: "https://ghost.example".to_owned(),
        access_token_ttl: 60,
        access_token_signing_alg: "RS256".into(),
        created_at: Timestamp(1),
    };
    let scope = Scope {
        id: ScopeId::from("ghost"),
        resource_id: ResourceId::from("res1"),
        name: "ghost".to_owned(),
        description: String::new(),
    };
    let cases: Vec<(Write, &str)> = vec![
        (Write::UpdateApplication(app("ghost", "Ghost", false)), "application ghost"),
        (Write::DeleteApplication(ApplicationId::from("ghost")), "application ghost"),
        (Write::DeleteSecret { app: app1.clone(), name: "none".to_owned() }, "secret none"),
        (Write::UpdateUser(user("ghost", "ghost", "ghost@example.com")), "user ghost"),
        (Write::DeleteUser(UserId::from("ghost")), "user ghost"),
        (Write::DeleteSession(SessionId::from("ghost")), "session ghost"),
        (Write::DeleteFactor { user: u1.clone(), id: FactorId::from("ghost") }, "factor ghost"),
        (Write::UpdateResource(resource), "resource ghost"),
        (Write::DeleteResource(ResourceId::from("ghost")), "resource ghost"),
        (Write::UpdateScope(scope), "scope ghost"),
        (Write::DeleteScope(ScopeId::from("ghost")), "scope ghost"),
        (Write::UpdateRole(role("ghost", "ghost")), "role ghost"),
        (Write::DeleteRole(RoleId::from("ghost")), "role ghost"),
        (Write::RemoveRoleScope { role: RoleId::from("r1"), scope: ScopeId::from("s1") }, "scope s1 of role r1"),
        (Write::RemoveUserRole { user: u1.clone(), role: RoleId::from("r1") }, "role r1 of user u1"),
        (Write::RemoveApplicationRole { app: app1.clone(), role: RoleId::from("r1") }, "role r1 of application app1"),
        (Write::UpdateOrganization(org("ghost", "Ghost")), "organization ghost"),
        (Write::DeleteOrganization(oid("ghost")), "organization ghost"),
        (Write::RemoveOrganizationMember { org: oid("o1"), user: u1.clone() }, "member u1 of organization o1"),
        (Write::UpdateOrganizationScope(org_scope("ghost", "ghost")), "organization scope ghost"),
        (Write::DeleteOrganizationScope(OrganizationScopeId::from("ghost")), "organization scope ghost"),
        (Write::UpdateOrganizationRole(org_role("ghost", "ghost")), "organization role ghost"),
        (Write::DeleteOrganizationRole(rid("ghost")), "organization role ghost"),
        (
            Write::RemoveOrganizationRoleScope { role: rid("or1"), scope: OrganizationScopeId::from("os1") },
            "organization scope os1 of organization role or1",
        ),
        (
            Write::RemoveOrganizationRoleResourceScope { role: rid("or1"), scope: ScopeId::from("s1") },
            "resource scope s1 of organization role or1",
        ),
        (
            Write::DeleteConsentScope {
                app: app1.clone(),
                scope_type: ConsentScopeType::User,
                scope_ref: "email".to_owned(),
            },
            "consent scope email of application app1",
        ),
        (Write::DeleteBranding(app1.clone()), "branding of application app1"),
        (Write::SetSigningKeyState { kid: key.kid.clone(), state: KeyState::Current }, "signing key ghost"),
        (Write::RetireSigningKey { kid: key.kid.clone(), at: Timestamp(5) }, "signing key ghost"),
        (Write::DeleteSigningKey(key.kid.clone()), "signing key ghost"),
    ];
    for (write, names) in cases {
        let label = format!("{write:?}");
        match db.commit(vec![Write::Audit(entry("e1", "x")), write]).await {
            Err(RepoError::NotFound(what)) => assert!(what.contains(names), "{label}: {what:?} names {names:?}"),
            other => panic!("{label}: expected NotFound, got {other:?}"),
        }
    }
    assert_eq!(audit_total(db).await, 0, "no unit wrote its audit entry");
    // Ending the sessions of a user without any is no error.
    db.commit(vec![Write::DeleteUserSessions(u1.clone())]).await.expect("no sessions is fine");
    db.commit(vec![Write::DeleteUserSessions(UserId::from("ghost"))]).await.expect("no user is fine too");
}

async fn a_unit_creating_an_application_its_secret_and_an_audit_entry_commits_all_three(db: &Db) {
    let a = app("app1", "First", false);
    let secret = AppSecret {
        application_id: a.id.clone(),
        name: "default".to_owned(),
        hash: "h".to_owned(),
        created_at: Timestamp(1),
        expires_at: Some(Timestamp(100)),
    };
    let e = entry("e1", "app1");
    db.commit(vec![Write::InsertApplication(a.clone()), Write::InsertSecret(secret.clone()), Write::Audit(e.clone())])
        .await
        .expect("commit");
    assert_eq!(db.get_application(&a.id).await.expect("get"), Some(a.clone()), "with its URIs");
    assert_eq!(db.list_secrets(&a.id).await.expect("secrets"), vec![secret]);
    assert_eq!(db.list_audit(Page { page: 1, size: 10 }).await.expect("audit"), (vec![e], 1));
}

async fn a_unit_applies_its_writes_in_order(db: &Db) {
    users(db, 1).await;
    resources(db).await;
    let r = role("r1", "reader");
    db.commit(vec![
        Write::InsertRole(r.clone()),
        Write::SetRoleScopes { role: r.id.clone(), scopes: sids(&["s1", "s2", "s3"]) },
        Write::RemoveRoleScope { role: r.id.clone(), scope: ScopeId::from("s2") },
        Write::AddUserRoles { user: UserId::from("u1"), roles: vec![r.id.clone()] },
        Write::UpdateRole(Role { description: "Reads".to_owned(), ..r.clone() }),
    ])
    .await
    .expect("commit");
    assert_eq!(db.role_scope_ids(&r.id).await.expect("ids"), sids(&["s1", "s3"]));
    assert_eq!(db.user_role_names(&UserId::from("u1")).await.expect("names"), ["reader"]);
    assert_eq!(db.get_role(&r.id).await.expect("get").map(|r| r.description), Some("Reads".to_owned()));

    db.commit(vec![
        Write::DeleteRole(r.id.clone()),
        Write::InsertRole(Role { name: "reader".to_owned(), ..role("r2", "x") }),
    ])
    .await
    .expect("a name freed earlier in the unit can be taken later in it");
    assert_eq!(db.get_role_by_name("reader").await.expect("get").map(|r| r.id), Some(RoleId::from("r2")));
    assert!(db.user_role_names(&UserId::from("u1")).await.expect("names").is_empty());
}

async fn an_empty_unit_is_fine(db: &Db) {
    db.commit(Vec::new()).await.expect("nothing to do");
    assert_eq!(audit_total(db).await, 0);
}

// ---------------------------------------------------------------- links that may repeat

async fn adding_links_twice_gives_no_error_and_no_duplicates(db: &Db) {
    world(db).await;
    db.commit(add_every_link()).await.expect("first");
    db.commit(add_every_link()).await.expect("the same links again");
    assert_eq!(links(db).await, every_link_added());

    // The single-write methods share the same statements.
    db.add_role_scopes(&RoleId::from("r1"), &sids(&["s1", "s1"])).await.expect("again");
    db.add_user_roles(&UserId::from("u1"), &role_ids(&["r1"])).await.expect("again");
    db.add_application_roles(&ApplicationId::from("app1"), &role_ids(&["r1"])).await.expect("again");
    db.add_organization_members(&oid("o1"), &uids(&["u1"]), Timestamp(JOINED.0 + 50)).await.expect("again");
    db.add_organization_role_scopes(&rid("or1"), &osids(&["os1"])).await.expect("again");
    db.add_organization_role_resource_scopes(&rid("or1"), &sids(&["s1"])).await.expect("again");
    assert_eq!(links(db).await, every_link_added());

    // An existing member keeps the time it joined: u3 joins later, and still lists after u1.
    db.commit(vec![Write::AddOrganizationMembers { org: oid("o1"), users: uids(&["u3", "u1"]), at: Timestamp(1) }])
        .await
        .expect("u3 joins; u1 again");
    let (members, total) = db.list_organization_members(&oid("o1"), Page { page: 1, size: 10 }).await.expect("members");
    assert_eq!((members, total), (uids(&["u3", "u1", "u2"]), 3), "u3 at 1, u1 and u2 at JOINED");
}

async fn adding_links_concurrently_from_two_tasks_gives_no_error_and_no_duplicates(db: &Db) {
    world(db).await;
    for round in 0..4 {
        if round > 0 {
            // Start each round from no links at all.
            db.commit(vec![
                Write::SetRoleScopes { role: RoleId::from("r1"), scopes: vec![] },
                Write::SetUserRoles { user: UserId::from("u1"), roles: vec![] },
                Write::SetApplicationRoles { app: ApplicationId::from("app1"), roles: vec![] },
                Write::RemoveOrganizationMember { org: oid("o1"), user: UserId::from("u1") },
                Write::RemoveOrganizationMember { org: oid("o1"), user: UserId::from("u2") },
                Write::RemoveOrganizationRoleScope { role: rid("or1"), scope: OrganizationScopeId::from("os1") },
                Write::RemoveOrganizationRoleScope { role: rid("or1"), scope: OrganizationScopeId::from("os2") },
                Write::RemoveOrganizationRoleResourceScope { role: rid("or1"), scope: ScopeId::from("s1") },
                Write::RemoveOrganizationRoleResourceScope { role: rid("or1"), scope: ScopeId::from("s3") },
            ])
            .await
            .expect("reset");
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (db, barrier) = (db.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    db.commit(add_every_link()).await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("join").unwrap_or_else(|e| panic!("round {round}: a concurrent add failed: {e:?}"));
        }
        assert_eq!(links(db).await, every_link_added(), "round {round}");
    }
}

async fn setting_links_concurrently_from_two_tasks_gives_exactly_the_list(db: &Db) {
    world(db).await;
    db.add_organization_members(&oid("o1"), &uids(&["u1"]), JOINED).await.expect("member");
    db.insert_organization_role(&org_role("or2", "viewer")).await.expect("org role");
    for round in 0..4 {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (db, barrier) = (db.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    db.commit(vec![
                        Write::SetRoleScopes { role: RoleId::from("r1"), scopes: sids(&["s3", "s1"]) },
                        Write::SetUserRoles { user: UserId::from("u1"), roles: role_ids(&["r2", "r1"]) },
                        Write::SetApplicationRoles { app: ApplicationId::from("app1"), roles: role_ids(&["r2"]) },
                        Write::SetOrganizationMemberRoles {
                            org: oid("o1"),
                            user: UserId::from("u1"),
                            roles: vec![rid("or2"), rid("or1")],
                        },
                    ])
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("join").unwrap_or_else(|e| panic!("round {round}: a concurrent set failed: {e:?}"));
        }
        assert_eq!(db.role_scope_ids(&RoleId::from("r1")).await.expect("ids"), sids(&["s1", "s3"]), "round {round}");
        assert_eq!(db.user_role_names(&UserId::from("u1")).await.expect("names"), ["a", "b"]);
        assert_eq!(db.application_role_names(&ApplicationId::from("app1")).await.expect("names"), ["b"]);
        let names: Vec<String> = db
            .organization_member_roles(&oid("o1"), &UserId::from("u1"))
            .await
            .expect("roles")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["admin", "viewer"]);
    }
}

async fn consent_scopes_added_in_a_unit_take_the_new_required(db: &Db) {
    use ConsentScopeType::*;
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    let a1 = ApplicationId::from("app1");
    db.commit(vec![
        Write::AddConsentScopes {
            app: a1.clone(),
            scopes: vec![consent(User, "email", true), consent(Resource, "s1", true)],
        },
        Write::AddConsentScopes {
            app: a1.clone(),
            scopes: vec![
                consent(User, "email", false),
                consent(User, "profile", true),
                consent(User, "profile", false),
            ],
        },
    ])
    .await
    .expect("commit");
    assert_eq!(
        db.list_consent_scopes(&a1).await.expect("list"),
        [consent(Resource, "s1", true), consent(User, "email", false), consent(User, "profile", false)],
        "the later entry wins, inside one list too"
    );
    db.commit(vec![Write::DeleteConsentScope { app: a1.clone(), scope_type: User, scope_ref: "email".to_owned() }])
        .await
        .expect("delete");
    assert_eq!(db.list_consent_scopes(&a1).await.expect("list").len(), 2);
    let err = db
        .commit(vec![Write::AddConsentScopes {
            app: ApplicationId::from("ghost"),
            scopes: vec![consent(User, "x", true)],
        }])
        .await
        .expect_err("no such app");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
}

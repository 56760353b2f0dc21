//! The storage contract for organizations, application permissions, branding and a user's
//! grants, run against SQLite and Postgres with the `repo_contract!` harness of `main.rs`.

use super::{app, grant, user};
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use latch_store::Db;

latch_testing::on_both_databases!(
    organizations_round_trip_update_delete_and_list_in_pages,
    organization_names_scope_names_and_role_names_are_unique,
    organization_scopes_and_roles_round_trip_update_and_delete,
    adding_members_is_idempotent_and_members_list_in_pages,
    members_need_an_existing_user_and_organization,
    member_roles_are_set_exactly,
    organization_role_scope_links_are_added_idempotently_and_removed,
    organization_scopes_resolve_through_member_roles_in_that_organization_only,
    organization_resource_scopes_resolve_through_member_roles_in_that_organization_only,
    organization_role_names_are_listed_per_organization,
    deleting_an_organization_removes_its_memberships_and_member_roles,
    consent_scopes_are_added_updated_and_deleted,
    consent_scopes_need_an_existing_application,
    scopes_are_looked_up_by_id_sets_with_their_resources,
    branding_is_put_replaced_and_deleted,
    user_grants_are_listed_and_found_by_id,
);

// ---------------------------------------------------------------- fixtures

pub(super) fn org(id: &str, name: &str) -> Organization {
    Organization {
        id: OrganizationId::from(id),
        name: name.to_owned(),
        description: Some("a customer".to_owned()),
        created_at: Timestamp(1_700_000_000),
    }
}

pub(super) fn org_scope(id: &str, name: &str) -> OrganizationScope {
    OrganizationScope {
        id: OrganizationScopeId::from(id),
        name: name.to_owned(),
        description: format!("may {name}"),
        created_at: Timestamp(1_700_000_000),
    }
}

pub(super) fn org_role(id: &str, name: &str) -> OrganizationRole {
    OrganizationRole {
        id: OrganizationRoleId::from(id),
        name: name.to_owned(),
        description: String::new(),
        created_at: Timestamp(1_700_000_000),
    }
}

pub(super) fn uids(ids: &[&str]) -> Vec<UserId> {
    ids.iter().map(|s| UserId::from(*s)).collect()
}

pub(super) fn oid(id: &str) -> OrganizationId {
    OrganizationId::from(id)
}

pub(super) fn rid(id: &str) -> OrganizationRoleId {
    OrganizationRoleId::from(id)
}

pub(super) const JOINED: Timestamp = Timestamp(1_700_000_100);

/// Users u1..=u`n` (usernames `user1`…).
pub(super) async fn users(db: &Db, n: usize) {
    for i in 1..=n {
        db.insert_user(&user(&format!("u{i}"), &format!("user{i}"), &format!("user{i}@example.com")))
            .await
            .expect("user");
    }
}

/// Resource `res1` with scopes s1 `read`, s2 `write`; resource `res2` with scope s3 `read`.
pub(super) async fn resources(db: &Db) {
    for (id, indicator) in [("res1", "https://photos.example"), ("res2", "https://mail.example")] {
        db.insert_resource(&Resource {
            id: ResourceId::from(id),
            name: id.to_owned(),
            indicator: indicator.to_owned(),
            access_token_ttl: 3600,
            access_token_signing_alg: "RS256".into(),
            created_at: Timestamp(1),
        })
        .await
        .expect("resource");
    }
    for (id, resource, name) in [("s1", "res1", "read"), ("s2", "res1", "write"), ("s3", "res2", "read")] {
        db.insert_scope(&Scope {
            id: ScopeId::from(id),
            resource_id: ResourceId::from(resource),
            name: name.to_owned(),
            description: String::new(),
        })
        .await
        .expect("scope");
    }
}

// ---------------------------------------------------------------- organizations

async fn organizations_round_trip_update_delete_and_list_in_pages(db: &Db) {
    for i in 0..3 {
        let mut o = org(&format!("o{i}"), &format!("Org {i}"));
        o.created_at = Timestamp(1_700_000_000 + i);
        db.insert_organization(&o).await.expect("insert");
    }
    let mut o1 = db.get_organization(&oid("o1")).await.expect("get").expect("exists");
    assert_eq!(o1.name, "Org 1");
    assert_eq!(db.get_organization(&oid("nope")).await.expect("get"), None);

    o1.name = "Renamed".to_owned();
    o1.description = None;
    assert!(db.update_organization(&o1).await.expect("update"));
    assert_eq!(db.get_organization(&o1.id).await.expect("get"), Some(o1.clone()));
    assert!(!db.update_organization(&org("ghost", "Ghost")).await.expect("update of a missing organization"));

    let (page, total) = db.list_organizations(Page { page: 2, size: 2 }).await.expect("list");
    assert_eq!(total, 3);
    assert_eq!(page.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["o2"]);

    assert!(db.delete_organization(&o1.id).await.expect("delete"));
    assert!(!db.delete_organization(&o1.id).await.expect("second delete"));
    let (all, total) = db.list_organizations(Page { page: 1, size: 10 }).await.expect("list");
    assert_eq!(total, 2);
    assert_eq!(all.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["o0", "o2"]);
}

async fn organization_names_scope_names_and_role_names_are_unique(db: &Db) {
    db.insert_organization(&org("o1", "Acme")).await.expect("insert");
    let err = db.insert_organization(&org("o2", "Acme")).await.expect_err("duplicate name");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");
    db.insert_organization(&org("o2", "Globex")).await.expect("another name");
    let err = db.update_organization(&org("o2", "Acme")).await.expect_err("renaming onto a taken name");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");

    db.insert_organization_scope(&org_scope("os1", "invite")).await.expect("scope");
    let err = db.insert_organization_scope(&org_scope("os2", "invite")).await.expect_err("duplicate scope");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");

    db.insert_organization_role(&org_role("or1", "admin")).await.expect("role");
    let err = db.insert_organization_role(&org_role("or2", "admin")).await.expect_err("duplicate role");
    assert!(matches!(err, RepoError::Conflict(_)), "{err:?}");
}

async fn organization_scopes_and_roles_round_trip_update_and_delete(db: &Db) {
    for (id, name) in [("os1", "write"), ("os2", "invite"), ("os3", "read")] {
        db.insert_organization_scope(&org_scope(id, name)).await.expect("scope");
    }
    let mut s = db.get_organization_scope(&OrganizationScopeId::from("os1")).await.expect("get").expect("exists");
    assert_eq!(s, org_scope("os1", "write"));
    s.description = "Write documents".to_owned();
    assert!(db.update_organization_scope(&s).await.expect("update"));
    assert_eq!(db.get_organization_scope(&s.id).await.expect("get"), Some(s.clone()));
    assert!(!db.update_organization_scope(&org_scope("ghost", "ghost")).await.expect("update of a missing scope"));
    let (page, total) = db.list_organization_scopes(Page { page: 1, size: 2 }).await.expect("list");
    assert_eq!(total, 3);
    assert_eq!(page.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["invite", "read"], "by name");
    assert!(db.delete_organization_scope(&s.id).await.expect("delete"));
    assert!(!db.delete_organization_scope(&s.id).await.expect("second delete"));
    assert_eq!(db.get_organization_scope(&s.id).await.expect("get"), None);

    for (id, name) in [("or1", "viewer"), ("or2", "admin")] {
        db.insert_organization_role(&org_role(id, name)).await.expect("role");
    }
    let mut r = db.get_organization_role(&rid("or1")).await.expect("get").expect("exists");
    assert_eq!(r, org_role("or1", "viewer"));
    r.name = "reader".to_owned();
    r.description = "Reads".to_owned();
    assert!(db.update_organization_role(&r).await.expect("update"));
    assert_eq!(db.get_organization_role(&r.id).await.expect("get"), Some(r.clone()));
    assert!(!db.update_organization_role(&org_role("ghost", "ghost")).await.expect("update of a missing role"));
    let (all, total) = db.list_organization_roles(Page { page: 1, size: 10 }).await.expect("list");
    assert_eq!(total, 2);
    assert_eq!(all.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["admin", "reader"], "by name");
    assert!(db.delete_organization_role(&r.id).await.expect("delete"));
    assert!(!db.delete_organization_role(&r.id).await.expect("second delete"));
    assert_eq!(db.get_organization_role(&r.id).await.expect("get"), None);
}

// ---------------------------------------------------------------- membership

async fn adding_members_is_idempotent_and_members_list_in_pages(db: &Db) {
    users(db, 3).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization(&org("o2", "Globex")).await.expect("org");
    db.add_organization_members(&oid("o1"), &uids(&["u2", "u1"]), JOINED).await.expect("add");
    db.add_organization_members(&oid("o1"), &uids(&["u1", "u3", "u3"]), Timestamp(JOINED.0 + 1))
        .await
        .expect("adding again, and twice in one call, is harmless");
    db.add_organization_members(&oid("o2"), &uids(&["u1"]), JOINED).await.expect("add");

    let (first, total) = db.list_organization_members(&oid("o1"), Page { page: 1, size: 2 }).await.expect("list");
    assert_eq!(total, 3);
    assert_eq!(first, uids(&["u1", "u2"]), "in the order they joined; re-adding keeps the join time");
    let (second, _) = db.list_organization_members(&oid("o1"), Page { page: 2, size: 2 }).await.expect("list");
    assert_eq!(second, uids(&["u3"]));

    assert!(db.is_organization_member(&oid("o1"), &UserId::from("u2")).await.expect("member"));
    assert!(!db.is_organization_member(&oid("o2"), &UserId::from("u2")).await.expect("member"));
    assert_eq!(
        db.user_organizations(&UserId::from("u1")).await.expect("orgs"),
        [(oid("o1"), "Acme".to_owned()), (oid("o2"), "Globex".to_owned())]
    );

    assert!(db.remove_organization_member(&oid("o1"), &UserId::from("u2")).await.expect("remove"));
    assert!(!db.remove_organization_member(&oid("o1"), &UserId::from("u2")).await.expect("second remove"));
    assert!(!db.is_organization_member(&oid("o1"), &UserId::from("u2")).await.expect("member"));
    assert!(db.user_organizations(&UserId::from("u2")).await.expect("orgs").is_empty());
    let (all, total) = db.list_organization_members(&oid("o1"), Page { page: 1, size: 10 }).await.expect("list");
    assert_eq!((all, total), (uids(&["u1", "u3"]), 2));
}

async fn members_need_an_existing_user_and_organization(db: &Db) {
    users(db, 1).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    let err = db.add_organization_members(&oid("o1"), &uids(&["u1", "x-ghost"]), JOINED).await.expect_err("no user");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
    assert!(!db.is_organization_member(&oid("o1"), &UserId::from("u1")).await.expect("member"), "all or nothing");
    let err = db.add_organization_members(&oid("ghost"), &uids(&["u1"]), JOINED).await.expect_err("no org");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
}

async fn member_roles_are_set_exactly(db: &Db) {
    users(db, 2).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    for (id, name) in [("or1", "admin"), ("or2", "member"), ("or3", "billing")] {
        db.insert_organization_role(&org_role(id, name)).await.expect("role");
    }
    db.add_organization_members(&oid("o1"), &uids(&["u1"]), JOINED).await.expect("add");
    let (o1, u1) = (oid("o1"), UserId::from("u1"));
    let names = |roles: Vec<OrganizationRole>| roles.into_iter().map(|r| r.name).collect::<Vec<_>>();

    assert!(db.organization_member_roles(&o1, &u1).await.expect("none yet").is_empty());
    db.set_organization_member_roles(&o1, &u1, &[rid("or2"), rid("or1"), rid("or1")]).await.expect("set");
    assert_eq!(names(db.organization_member_roles(&o1, &u1).await.expect("roles")), ["admin", "member"]);
    db.set_organization_member_roles(&o1, &u1, &[rid("or3")]).await.expect("replace");
    assert_eq!(db.organization_member_roles(&o1, &u1).await.expect("roles"), [org_role("or3", "billing")]);

    let err = db.set_organization_member_roles(&o1, &u1, &[rid("ghost")]).await.expect_err("unknown role");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
    assert_eq!(names(db.organization_member_roles(&o1, &u1).await.expect("roles")), ["billing"], "unchanged");
    let err = db
        .set_organization_member_roles(&o1, &UserId::from("u2"), &[rid("or1")])
        .await
        .expect_err("roles need a membership");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");

    db.set_organization_member_roles(&o1, &u1, &[]).await.expect("clear");
    assert!(db.organization_member_roles(&o1, &u1).await.expect("roles").is_empty());
}

// ---------------------------------------------------------------- organization roles and scopes

async fn organization_role_scope_links_are_added_idempotently_and_removed(db: &Db) {
    resources(db).await;
    for (id, name) in [("os1", "invite"), ("os2", "remove")] {
        db.insert_organization_scope(&org_scope(id, name)).await.expect("scope");
    }
    db.insert_organization_role(&org_role("or1", "admin")).await.expect("role");
    let role = rid("or1");
    let os = |v: &[&str]| v.iter().map(|s| OrganizationScopeId::from(*s)).collect::<Vec<_>>();
    let rs = |v: &[&str]| v.iter().map(|s| ScopeId::from(*s)).collect::<Vec<_>>();

    db.add_organization_role_scopes(&role, &os(&["os2", "os1"])).await.expect("add");
    db.add_organization_role_scopes(&role, &os(&["os1", "os1"])).await.expect("adding again is harmless");
    assert_eq!(db.organization_role_scope_ids(&role).await.expect("ids"), os(&["os1", "os2"]));
    let err = db.add_organization_role_scopes(&role, &os(&["ghost"])).await.expect_err("unknown scope");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
    assert!(db.remove_organization_role_scope(&role, &OrganizationScopeId::from("os1")).await.expect("remove"));
    assert!(!db.remove_organization_role_scope(&role, &OrganizationScopeId::from("os1")).await.expect("again"));
    assert_eq!(db.organization_role_scope_ids(&role).await.expect("ids"), os(&["os2"]));

    db.add_organization_role_resource_scopes(&role, &rs(&["s3", "s1"])).await.expect("add");
    db.add_organization_role_resource_scopes(&role, &rs(&["s1"])).await.expect("adding again is harmless");
    assert_eq!(db.organization_role_resource_scope_ids(&role).await.expect("ids"), rs(&["s1", "s3"]));
    let err = db.add_organization_role_resource_scopes(&role, &rs(&["ghost"])).await.expect_err("unknown scope");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
    assert!(db.remove_organization_role_resource_scope(&role, &ScopeId::from("s3")).await.expect("remove"));
    assert!(!db.remove_organization_role_resource_scope(&role, &ScopeId::from("s3")).await.expect("again"));
    assert_eq!(db.organization_role_resource_scope_ids(&role).await.expect("ids"), rs(&["s1"]));

    let err = db.add_organization_role_scopes(&rid("ghost"), &os(&["os1"])).await.expect_err("unknown role");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
}

/// u1 is `admin` in o1 and `viewer` in o2; u2 is a member of o1 without roles; u3 is no member.
async fn two_organizations_with_roles(db: &Db) {
    users(db, 3).await;
    resources(db).await;
    db.insert_organization(&org("o1", "Acme")).await.expect("org");
    db.insert_organization(&org("o2", "Globex")).await.expect("org");
    for (id, name) in [("os1", "invite"), ("os2", "remove"), ("os3", "view")] {
        db.insert_organization_scope(&org_scope(id, name)).await.expect("scope");
    }
    for (id, name) in [("or1", "admin"), ("or2", "viewer")] {
        db.insert_organization_role(&org_role(id, name)).await.expect("role");
    }
    let os = |v: &[&str]| v.iter().map(|s| OrganizationScopeId::from(*s)).collect::<Vec<_>>();
    db.add_organization_role_scopes(&rid("or1"), &os(&["os1", "os2", "os3"])).await.expect("scopes");
    db.add_organization_role_scopes(&rid("or2"), &os(&["os3"])).await.expect("scopes");
    db.add_organization_role_resource_scopes(&rid("or1"), &[ScopeId::from("s1"), ScopeId::from("s2")])
        .await
        .expect("resource scopes");
    db.add_organization_role_resource_scopes(&rid("or1"), &[ScopeId::from("s3")]).await.expect("resource scopes");
    db.add_organization_role_resource_scopes(&rid("or2"), &[ScopeId::from("s1")]).await.expect("resource scopes");
    db.add_organization_members(&oid("o1"), &uids(&["u1", "u2"]), JOINED).await.expect("members");
    db.add_organization_members(&oid("o2"), &uids(&["u1"]), JOINED).await.expect("members");
    db.set_organization_member_roles(&oid("o1"), &UserId::from("u1"), &[rid("or1")]).await.expect("roles");
    db.set_organization_member_roles(&oid("o2"), &UserId::from("u1"), &[rid("or2")]).await.expect("roles");
}

async fn organization_scopes_resolve_through_member_roles_in_that_organization_only(db: &Db) {
    two_organizations_with_roles(db).await;
    let scopes = |u: &str, o: &str| {
        let (u, o) = (UserId::from(u), oid(o));
        async move { db.user_organization_scopes(&u, &o).await.expect("scopes") }
    };
    assert_eq!(scopes("u1", "o1").await, ["invite", "remove", "view"]);
    assert_eq!(scopes("u1", "o2").await, ["view"], "another organization, another role");
    assert!(scopes("u2", "o1").await.is_empty(), "a member without roles holds nothing");
    assert!(scopes("u3", "o1").await.is_empty(), "a non-member holds nothing");
    assert!(scopes("u1", "ghost").await.is_empty());

    db.set_organization_member_roles(&oid("o1"), &UserId::from("u1"), &[rid("or1"), rid("or2")])
        .await
        .expect("two roles");
    assert_eq!(scopes("u1", "o1").await, ["invite", "remove", "view"], "a scope held twice is listed once");
}

async fn organization_resource_scopes_resolve_through_member_roles_in_that_organization_only(db: &Db) {
    two_organizations_with_roles(db).await;
    let scopes = |u: &str, o: &str, r: &str| {
        let (u, o, r) = (UserId::from(u), oid(o), ResourceId::from(r));
        async move { db.user_organization_resource_scopes(&u, &o, &r).await.expect("scopes") }
    };
    assert_eq!(scopes("u1", "o1", "res1").await, ["read", "write"]);
    assert_eq!(scopes("u1", "o1", "res2").await, ["read"], "only that resource's scopes");
    assert_eq!(scopes("u1", "o2", "res1").await, ["read"], "another organization, another role");
    assert!(scopes("u1", "o2", "res2").await.is_empty());
    assert!(scopes("u2", "o1", "res1").await.is_empty(), "a member without roles holds nothing");
    assert!(scopes("u3", "o1", "res1").await.is_empty(), "a non-member holds nothing");
}

async fn organization_role_names_are_listed_per_organization(db: &Db) {
    two_organizations_with_roles(db).await;
    assert_eq!(
        db.user_organization_role_names(&UserId::from("u1")).await.expect("names"),
        [(oid("o1"), "admin".to_owned()), (oid("o2"), "viewer".to_owned())]
    );
    assert!(db.user_organization_role_names(&UserId::from("u2")).await.expect("names").is_empty());
    assert!(db.user_organization_role_names(&UserId::from("u3")).await.expect("names").is_empty());

    db.delete_organization_role(&rid("or2")).await.expect("delete role");
    assert_eq!(
        db.user_organization_role_names(&UserId::from("u1")).await.expect("names"),
        [(oid("o1"), "admin".to_owned())],
        "a deleted role leaves its members"
    );
}

async fn deleting_an_organization_removes_its_memberships_and_member_roles(db: &Db) {
    two_organizations_with_roles(db).await;
    assert!(db.delete_organization(&oid("o1")).await.expect("delete"));

    let u1 = UserId::from("u1");
    assert_eq!(db.user_organizations(&u1).await.expect("orgs"), [(oid("o2"), "Globex".to_owned())]);
    assert_eq!(db.user_organization_role_names(&u1).await.expect("names"), [(oid("o2"), "viewer".to_owned())]);
    assert!(!db.is_organization_member(&oid("o1"), &u1).await.expect("member"));
    assert!(db.user_organization_scopes(&u1, &oid("o1")).await.expect("scopes").is_empty());
    assert_eq!(db.user_organization_scopes(&u1, &oid("o2")).await.expect("scopes"), ["view"], "o2 is untouched");

    // An organization created again with the same id starts empty.
    db.insert_organization(&org("o1", "Acme")).await.expect("recreate");
    assert_eq!(db.list_organization_members(&oid("o1"), Page { page: 1, size: 10 }).await.expect("members").1, 0);
    db.add_organization_members(&oid("o1"), std::slice::from_ref(&u1), JOINED).await.expect("rejoin");
    assert!(db.organization_member_roles(&oid("o1"), &u1).await.expect("roles").is_empty());
    assert_eq!(db.organization_role_scope_ids(&rid("or1")).await.expect("roles keep their scopes").len(), 3);
}

// ---------------------------------------------------------------- application permissions

pub(super) fn consent(scope_type: ConsentScopeType, scope_ref: &str, required: bool) -> ConsentScope {
    ConsentScope { scope_type, scope_ref: scope_ref.to_owned(), required }
}

async fn consent_scopes_are_added_updated_and_deleted(db: &Db) {
    use ConsentScopeType::*;
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    db.insert_application(&app("app2", "Second", true)).await.expect("app");
    let a1 = ApplicationId::from("app1");
    assert!(db.list_consent_scopes(&a1).await.expect("none yet").is_empty());

    db.add_consent_scopes(
        &a1,
        &[
            consent(User, "email", true),
            consent(Resource, "s1", true),
            consent(Organization, "os1", false),
            consent(OrganizationResource, "s1", true),
        ],
    )
    .await
    .expect("add");
    db.add_consent_scopes(&a1, &[consent(User, "profile", false), consent(Resource, "s1", false)])
        .await
        .expect("adding keeps what is there and updates `required`");
    db.add_consent_scopes(&ApplicationId::from("app2"), &[consent(User, "email", true)]).await.expect("other app");

    assert_eq!(
        db.list_consent_scopes(&a1).await.expect("list"),
        [
            consent(Organization, "os1", false),
            consent(OrganizationResource, "s1", true),
            consent(Resource, "s1", false),
            consent(User, "email", true),
            consent(User, "profile", false),
        ]
    );

    assert!(db.delete_consent_scope(&a1, User, "email").await.expect("delete"));
    assert!(!db.delete_consent_scope(&a1, User, "email").await.expect("second delete"));
    assert!(!db.delete_consent_scope(&a1, Resource, "os1").await.expect("the type is part of the key"));
    assert!(db.delete_consent_scope(&a1, OrganizationResource, "s1").await.expect("delete"));
    assert_eq!(
        db.list_consent_scopes(&a1).await.expect("list"),
        [consent(Organization, "os1", false), consent(Resource, "s1", false), consent(User, "profile", false)]
    );
    assert_eq!(
        db.list_consent_scopes(&ApplicationId::from("app2")).await.expect("list"),
        [consent(User, "email", true)],
        "other apps keep theirs"
    );

    assert!(db.delete_application(&a1).await.expect("delete app"));
    assert!(db.list_consent_scopes(&a1).await.expect("list").is_empty(), "they go with the app");
}

async fn consent_scopes_need_an_existing_application(db: &Db) {
    let err = db
        .add_consent_scopes(&ApplicationId::from("ghost"), &[consent(ConsentScopeType::User, "email", true)])
        .await
        .expect_err("foreign key");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");
}

// ---------------------------------------------------------------- branding

async fn branding_is_put_replaced_and_deleted(db: &Db) {
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    let a1 = ApplicationId::from("app1");
    assert_eq!(db.get_branding(&a1).await.expect("get"), None);

    let first = Branding {
        application_id: a1.clone(),
        display_name: Some("Photo Print".to_owned()),
        logo_url: Some("https://cdn.example/logo.png".to_owned()),
        dark_logo_url: Some("https://cdn.example/logo-dark.png".to_owned()),
        terms_of_use_url: Some("https://example.com/terms".to_owned()),
        privacy_policy_url: Some("https://example.com/privacy".to_owned()),
        color: Some("#336699".to_owned()),
        updated_at: Timestamp(10),
    };
    db.put_branding(&first).await.expect("put");
    assert_eq!(db.get_branding(&a1).await.expect("get"), Some(first.clone()));

    let second = Branding {
        application_id: a1.clone(),
        display_name: Some("Photo Print 2".to_owned()),
        updated_at: Timestamp(20),
        ..Default::default()
    };
    db.put_branding(&second).await.expect("replace");
    assert_eq!(db.get_branding(&a1).await.expect("get"), Some(second), "a put replaces every field");

    let err = db
        .put_branding(&Branding { application_id: ApplicationId::from("ghost"), ..first })
        .await
        .expect_err("foreign key");
    assert!(matches!(err, RepoError::MissingReference(_)), "{err:?}");

    assert!(db.delete_branding(&a1).await.expect("delete"));
    assert!(!db.delete_branding(&a1).await.expect("second delete"));
    assert_eq!(db.get_branding(&a1).await.expect("get"), None);
}

// ---------------------------------------------------------------- grants of a user

async fn user_grants_are_listed_and_found_by_id(db: &Db) {
    users(db, 2).await;
    db.insert_application(&app("app1", "First", true)).await.expect("app");
    db.insert_application(&app("app2", "Second", true)).await.expect("app");
    let mut g1 = grant("g1", &["openid", "email"]);
    g1.created_at = Timestamp(7);
    g1.details.resource_scopes.insert("https://photos.example".to_owned(), vec!["read".to_owned()]);
    g1.details.organizations = vec![oid("o1")];
    g1.last_used_at = Some(Timestamp(8));
    let mut g2 = grant("g2", &["openid"]);
    g2.application_id = ApplicationId::from("app2");
    let mut other = grant("g3", &["openid"]);
    other.user_id = UserId::from("u2");
    for g in [&g1, &g2, &other] {
        db.save_grant(g).await.expect("grant");
    }

    assert_eq!(db.list_user_grants(&UserId::from("u1")).await.expect("list"), [g2.clone(), g1.clone()], "oldest first");
    assert_eq!(db.list_user_grants(&UserId::from("u2")).await.expect("list"), [other]);
    assert!(db.list_user_grants(&UserId::from("ghost")).await.expect("list").is_empty());
    assert_eq!(db.get_grant_by_id(&GrantId::from("g1")).await.expect("get"), Some(g1));
    assert_eq!(db.get_grant_by_id(&GrantId::from("ghost")).await.expect("get"), None);
}

/// The set lookups behind the permission list and the consent screen: one query each, unknown
/// ids left out, resource scopes ordered by resource name then scope name.
async fn scopes_are_looked_up_by_id_sets_with_their_resources(db: &Db) {
    resources(db).await;
    let ids = [ScopeId::from("s3"), ScopeId::from("nope"), ScopeId::from("s2"), ScopeId::from("s1")];
    let found = db.scopes_with_resources(&ids).await.expect("lookup");
    let got: Vec<(&str, &str, &str)> =
        found.iter().map(|(s, r)| (r.name.as_str(), s.name.as_str(), s.id.as_str())).collect();
    assert_eq!(got, [("res1", "read", "s1"), ("res1", "write", "s2"), ("res2", "read", "s3")]);
    assert_eq!(found[2].1.indicator, "https://mail.example");
    assert!(db.scopes_with_resources(&[]).await.expect("empty").is_empty());

    for (id, name) in [("os1", "invite"), ("os2", "billing")] {
        db.insert_organization_scope(&org_scope(id, name)).await.expect("org scope");
    }
    let orgs = db
        .organization_scopes_by_ids(&[
            OrganizationScopeId::from("os1"),
            OrganizationScopeId::from("gone"),
            OrganizationScopeId::from("os2"),
        ])
        .await
        .expect("lookup");
    let names: Vec<&str> = orgs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["billing", "invite"]);
}

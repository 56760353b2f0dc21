//! The organization routes of the admin API on a real server: organizations, members, members'
//! organization roles, organization scopes and organization roles, with their error answers.

use crate::harness::{AdminClient, Answer, TestServer};
use crate::on_both_backends;
use latch_domain::ids::{OrganizationId, UserId};
use serde_json::{Value, json};

on_both_backends!(
    organizations_are_created_listed_renamed_and_deleted,
    organization_members_are_added_listed_and_removed,
    member_roles_are_listed_set_exactly_and_added,
    organization_scopes_follow_the_scope_token_rules,
    organization_roles_grant_organization_and_resource_scopes,
    a_member_holds_the_organization_scopes_of_their_roles,
);

/// The `id` of a created object, after checking the 201.
fn created_id(answer: &Answer) -> String {
    assert_eq!(answer.status, 201, "{:?}", answer.body);
    answer.body["id"].as_str().expect("an id").to_owned()
}

/// Asserts a problem answer: its status, its stable code and, when given, its field.
fn assert_problem(answer: &Answer, status: u16, code: &str, field: Option<&str>) {
    assert_eq!(answer.status, status, "{:?}", answer.body);
    assert_eq!(answer.body["code"], code, "{:?}", answer.body);
    match field {
        Some(f) => assert_eq!(answer.body["field"], f, "{:?}", answer.body),
        None => assert!(answer.body.get("field").is_none(), "{:?}", answer.body),
    }
}

fn names(answer: &Answer) -> Vec<String> {
    answer.body.as_array().expect("a JSON array").iter().map(|v| v["name"].as_str().unwrap_or("").to_owned()).collect()
}

fn ids(answer: &Answer) -> Vec<String> {
    answer.body.as_array().expect("a JSON array").iter().map(|v| v["id"].as_str().unwrap_or("").to_owned()).collect()
}

async fn organization(admin: &AdminClient, name: &str) -> String {
    created_id(&admin.post("/organizations", json!({"name": name})).await)
}

async fn organization_scope(admin: &AdminClient, name: &str) -> String {
    created_id(&admin.post("/organization-scopes", json!({"name": name, "description": format!("{name}!")})).await)
}

async fn organization_role(admin: &AdminClient, name: &str) -> String {
    created_id(&admin.post("/organization-roles", json!({"name": name})).await)
}

/// An API resource with one scope per name; the scope ids in the same order.
async fn resource_scopes(admin: &AdminClient, indicator: &str, names: &[&str]) -> Vec<String> {
    let resource = created_id(&admin.post("/resources", json!({"name": "Billing", "indicator": indicator})).await);
    let mut out = Vec::new();
    for name in names {
        out.push(created_id(&admin.post(&format!("/resources/{resource}/scopes"), json!({"name": name})).await));
    }
    out
}

async fn organizations_are_created_listed_renamed_and_deleted(server: &TestServer) {
    let unauthenticated = reqwest::get(format!("{}/api/organizations", server.base)).await.expect("request");
    assert_eq!(unauthenticated.status(), 401);

    let admin = server.admin().await;
    let acme = admin.post("/organizations", json!({"name": "  Acme ", "description": "Rockets"})).await;
    let acme_id = created_id(&acme);
    assert_eq!(acme.body["name"], "Acme", "names are trimmed");
    assert_eq!(acme.body["description"], "Rockets");
    assert!(acme.body["createdAt"].as_i64().is_some_and(|t| t > 0));
    let globex = admin.post("/organizations", json!({"name": "Globex"})).await;
    assert_eq!(globex.body["description"], Value::Null);
    organization(&admin, "Initech").await;

    assert_problem(
        &admin.post("/organizations", json!({"name": "Acme"})).await,
        409,
        "organization.name_taken",
        Some("name"),
    );
    assert_problem(&admin.post("/organizations", json!({"name": "   "})).await, 422, "request.empty", Some("name"));
    let long = "x".repeat(129);
    assert_problem(&admin.post("/organizations", json!({"name": long})).await, 422, "request.too_long", Some("name"));
    assert_problem(&admin.post("/organizations", json!({"name": 5})).await, 400, "request.invalid_body", None);

    let first = admin.get("/organizations?pageSize=2").await;
    assert_eq!((first.status, first.total), (200, Some(3)));
    let second = admin.get("/organizations?page=2&pageSize=2").await;
    assert_eq!((second.total, names(&first).len(), names(&second).len()), (Some(3), 2, 1));
    // Creation order, ties (same second) broken by id: the pages together hold each one once.
    let mut all = [names(&first), names(&second)].concat();
    all.sort();
    assert_eq!(all, ["Acme", "Globex", "Initech"]);
    assert_problem(&admin.get("/organizations?pageSize=101").await, 422, "request.invalid_page_size", Some("pageSize"));

    let read = admin.get(&format!("/organizations/{acme_id}")).await;
    assert_eq!((read.status, &read.body), (200, &acme.body));
    assert_problem(&admin.get("/organizations/nope").await, 404, "organization.not_found", None);

    let renamed = admin.patch(&format!("/organizations/{acme_id}"), json!({"name": "Acme Corp"})).await;
    assert_eq!(
        (renamed.status, &renamed.body["name"], &renamed.body["description"]),
        (200, &json!("Acme Corp"), &json!("Rockets"))
    );
    let cleared = admin.patch(&format!("/organizations/{acme_id}"), json!({"description": null})).await;
    assert_eq!((cleared.status, &cleared.body["description"]), (200, &Value::Null), "null clears");
    assert_eq!(admin.get(&format!("/organizations/{acme_id}")).await.body, cleared.body);
    let again = admin.patch(&format!("/organizations/{acme_id}"), json!({"description": "Anvils"})).await;
    assert_eq!((again.status, &again.body["description"]), (200, &json!("Anvils")));
    let emptied = admin.patch(&format!("/organizations/{acme_id}"), json!({"description": ""})).await;
    assert_eq!((emptied.status, &emptied.body["description"]), (200, &Value::Null), "empty clears");
    assert_eq!(emptied.body["name"], "Acme Corp", "absent fields stay");
    let taken = admin.patch(&format!("/organizations/{acme_id}"), json!({"name": "Globex"})).await;
    assert_problem(&taken, 409, "organization.name_taken", Some("name"));
    assert_problem(
        &admin.patch("/organizations/nope", json!({"name": "X"})).await,
        404,
        "organization.not_found",
        None,
    );

    assert_eq!(admin.delete(&format!("/organizations/{acme_id}")).await.status, 204);
    assert_problem(&admin.get(&format!("/organizations/{acme_id}")).await, 404, "organization.not_found", None);
    assert_problem(&admin.delete(&format!("/organizations/{acme_id}")).await, 404, "organization.not_found", None);
    assert_eq!(admin.get("/organizations").await.total, Some(2));

    let audit = admin.get("/audit-logs?pageSize=100").await;
    let actions: Vec<&str> =
        audit.body.as_array().expect("array").iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["organization.create", "organization.update", "organization.delete"] {
        assert!(actions.contains(&action), "{action} is audited: {actions:?}");
    }
}

async fn organization_members_are_added_listed_and_removed(server: &TestServer) {
    let admin = server.admin().await;
    let (ada, bob, cy) = (server.user("ada").await, server.user("bob").await, server.user("cy").await);
    let org = organization(&admin, "Acme").await;
    let users = format!("/organizations/{org}/users");

    let added = admin.post(&users, json!({"userIds": [ada.id.as_str(), bob.id.as_str()]})).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let again = admin.post(&users, json!({"userIds": [ada.id.as_str(), cy.id.as_str()]})).await;
    assert_eq!(again.status, 201, "adding a member twice is harmless");

    let unknown = admin.post(&users, json!({"userIds": [bob.id.as_str(), "ghost"]})).await;
    assert_problem(&unknown, 422, "user.not_found", Some("userIds[1]"));
    assert_problem(&admin.post(&users, json!({"userIds": "ada"})).await, 400, "request.invalid_body", None);
    let no_org = admin.post("/organizations/nope/users", json!({"userIds": [ada.id.as_str()]})).await;
    assert_problem(&no_org, 404, "organization.not_found", None);

    let all = admin.get(&users).await;
    assert_eq!((all.status, all.total), (200, Some(3)));
    let mut members = ids(&all);
    members.sort();
    assert_eq!(members, [ada.id.as_str(), bob.id.as_str(), cy.id.as_str()]);
    let mut usernames: Vec<&str> =
        all.body.as_array().expect("array").iter().filter_map(|u| u["username"].as_str()).collect();
    usernames.sort();
    assert_eq!(usernames, ["ada", "bob", "cy"], "members are listed as users");
    let page = admin.get(&format!("{users}?page=2&pageSize=2")).await;
    assert_eq!((page.total, ids(&page).len()), (Some(3), 1));
    assert_problem(&admin.get("/organizations/nope/users").await, 404, "organization.not_found", None);

    assert_eq!(admin.delete(&format!("{users}/{}", bob.id)).await.status, 204);
    let gone = admin.delete(&format!("{users}/{}", bob.id)).await;
    assert_problem(&gone, 404, "organization.member_not_found", None);
    assert_problem(&admin.delete(&format!("{users}/ghost")).await, 404, "organization.member_not_found", None);
    assert_problem(
        &admin.delete(&format!("/organizations/nope/users/{}", ada.id)).await,
        404,
        "organization.not_found",
        None,
    );
    let left = admin.get(&users).await;
    assert_eq!(left.total, Some(2));
    assert!(!ids(&left).contains(&bob.id.to_string()));

    let listed = server.repos.user_organizations(&ada.id).await.expect("user organizations");
    assert_eq!(listed, [(OrganizationId(org.clone()), "Acme".to_owned())]);
    assert!(server.repos.user_organizations(&bob.id).await.expect("user organizations").is_empty());
}

async fn member_roles_are_listed_set_exactly_and_added(server: &TestServer) {
    let admin = server.admin().await;
    let (ada, bob) = (server.user("ada").await, server.user("bob").await);
    let org = organization(&admin, "Acme").await;
    admin.post(&format!("/organizations/{org}/users"), json!({"userIds": [ada.id.as_str()]})).await;
    let (admin_role, editor, viewer) = (
        organization_role(&admin, "admin").await,
        organization_role(&admin, "editor").await,
        organization_role(&admin, "viewer").await,
    );
    let roles = format!("/organizations/{org}/users/{}/roles", ada.id);

    let empty = admin.get(&roles).await;
    assert_eq!((empty.status, empty.total, &empty.body), (200, Some(0), &json!([])));

    let set = admin.put(&roles, json!({"organizationRoleIds": [viewer.as_str(), editor.as_str()]})).await;
    assert_eq!(set.status, 204, "{:?}", set.body);
    let held = admin.get(&roles).await;
    assert_eq!((held.total, names(&held)), (Some(2), vec!["editor".to_owned(), "viewer".to_owned()]));

    let added = admin.post(&roles, json!({"organizationRoleIds": [admin_role.as_str(), editor.as_str()]})).await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    let held = admin.get(&roles).await;
    assert_eq!(names(&held), ["admin", "editor", "viewer"], "POST adds to what is there");
    // The member list shows each member's roles in this organization.
    admin.post(&format!("/organizations/{org}/users"), json!({"userIds": [bob.id.as_str()]})).await;
    let members = admin.get(&format!("/organizations/{org}/users")).await;
    let column: Vec<(String, Vec<String>)> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let roles = m["organizationRoles"].as_array().unwrap().iter();
            (
                m["username"].as_str().unwrap().to_owned(),
                roles.map(|r| r["name"].as_str().unwrap().to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        column,
        [
            ("ada".to_owned(), vec!["admin".to_owned(), "editor".to_owned(), "viewer".to_owned()]),
            ("bob".to_owned(), vec![])
        ]
    );
    admin.delete(&format!("/organizations/{org}/users/{}", bob.id)).await;
    let page = admin.get(&format!("{roles}?page=2&pageSize=2")).await;
    assert_eq!((page.total, names(&page)), (Some(3), vec!["viewer".to_owned()]));

    assert_eq!(admin.put(&roles, json!({"organizationRoleIds": [viewer.as_str()]})).await.status, 204);
    assert_eq!(names(&admin.get(&roles).await), ["viewer"], "PUT sets exactly");

    let unknown = admin.put(&roles, json!({"organizationRoleIds": [editor.as_str(), "ghost"]})).await;
    assert_problem(&unknown, 422, "organization_role.not_found", Some("organizationRoleIds[1]"));
    let unknown = admin.post(&roles, json!({"organizationRoleIds": ["ghost"]})).await;
    assert_problem(&unknown, 422, "organization_role.not_found", Some("organizationRoleIds[0]"));
    assert_eq!(names(&admin.get(&roles).await), ["viewer"], "a refused change changes nothing");
    assert_problem(&admin.put(&roles, json!({"roleIds": []})).await, 400, "request.invalid_body", None);

    let not_member = format!("/organizations/{org}/users/{}/roles", bob.id);
    assert_problem(&admin.get(&not_member).await, 404, "organization.member_not_found", None);
    let body = json!({"organizationRoleIds": [viewer.as_str()]});
    assert_problem(&admin.put(&not_member, body.clone()).await, 404, "organization.member_not_found", None);
    assert_problem(&admin.post(&not_member, body.clone()).await, 404, "organization.member_not_found", None);
    let no_org = format!("/organizations/nope/users/{}/roles", ada.id);
    assert_problem(&admin.get(&no_org).await, 404, "organization.not_found", None);
    assert_problem(&admin.put(&no_org, body).await, 404, "organization.not_found", None);

    assert_eq!(admin.delete(&format!("/organization-roles/{viewer}")).await.status, 204);
    assert_eq!(admin.get(&roles).await.total, Some(0), "a deleted role is held by nobody");

    assert_eq!(admin.put(&roles, json!({"organizationRoleIds": [editor.as_str()]})).await.status, 204);
    assert_eq!(admin.delete(&format!("/organizations/{org}/users/{}", ada.id)).await.status, 204);
    assert_problem(&admin.get(&roles).await, 404, "organization.member_not_found", None);
    admin.post(&format!("/organizations/{org}/users"), json!({"userIds": [ada.id.as_str()]})).await;
    assert_eq!(admin.get(&roles).await.total, Some(0), "leaving the organization drops its roles");
}

async fn organization_scopes_follow_the_scope_token_rules(server: &TestServer) {
    let admin = server.admin().await;
    let invite = admin.post("/organization-scopes", json!({"name": "invite:member", "description": "Invite"})).await;
    let invite_id = created_id(&invite);
    assert_eq!((&invite.body["name"], &invite.body["description"]), (&json!("invite:member"), &json!("Invite")));
    let bare = admin.post("/organization-scopes", json!({"name": "read:billing"})).await;
    assert_eq!(bare.body["description"], "", "the description is optional");
    organization_scope(&admin, "manage:sso").await;

    assert_problem(
        &admin.post("/organization-scopes", json!({"name": "invite:member"})).await,
        409,
        "organization_scope.name_taken",
        Some("name"),
    );
    let max = "s".repeat(128);
    created_id(&admin.post("/organization-scopes", json!({"name": max})).await);
    for bad in ["", "two words", "quote\"d", "back\\slash", "caf\u{e9}", &"s".repeat(129)] {
        let answer = admin.post("/organization-scopes", json!({"name": bad})).await;
        assert_problem(&answer, 422, "organization_scope.invalid_name", Some("name"));
    }
    for reserved in ["openid", "email", "offline_access", "urn:latch:scope:organizations"] {
        let answer = admin.post("/organization-scopes", json!({"name": reserved})).await;
        assert_problem(&answer, 422, "organization_scope.reserved", Some("name"));
    }
    let long = admin.post("/organization-scopes", json!({"name": "x", "description": "d".repeat(513)})).await;
    assert_problem(&long, 422, "request.too_long", Some("description"));

    let first = admin.get("/organization-scopes?pageSize=2").await;
    assert_eq!((first.status, first.total), (200, Some(4)));
    assert_eq!(names(&first), ["invite:member", "manage:sso"], "by name");
    let last = admin.get("/organization-scopes?page=2&pageSize=3").await;
    assert_eq!((last.total, names(&last)), (Some(4), vec!["s".repeat(128)]));

    let path = format!("/organization-scopes/{invite_id}");
    assert_eq!(admin.get(&path).await.body, invite.body);
    assert_problem(&admin.get("/organization-scopes/nope").await, 404, "organization_scope.not_found", None);
    let patched = admin.patch(&path, json!({"name": "invite:members", "description": "Invite people"})).await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(
        (&patched.body["name"], &patched.body["description"]),
        (&json!("invite:members"), &json!("Invite people"))
    );
    assert_eq!(admin.get(&path).await.body, patched.body);
    assert_problem(
        &admin.patch(&path, json!({"name": "read:billing"})).await,
        409,
        "organization_scope.name_taken",
        Some("name"),
    );
    assert_problem(
        &admin.patch(&path, json!({"name": "profile"})).await,
        422,
        "organization_scope.reserved",
        Some("name"),
    );
    assert_problem(
        &admin.patch(&path, json!({"name": "a b"})).await,
        422,
        "organization_scope.invalid_name",
        Some("name"),
    );
    let missing = admin.patch("/organization-scopes/nope", json!({"name": "y"})).await;
    assert_problem(&missing, 404, "organization_scope.not_found", None);

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_problem(&admin.get(&path).await, 404, "organization_scope.not_found", None);
    assert_problem(&admin.delete(&path).await, 404, "organization_scope.not_found", None);
    assert_eq!(admin.get("/organization-scopes").await.total, Some(3));
}

async fn organization_roles_grant_organization_and_resource_scopes(server: &TestServer) {
    let admin = server.admin().await;
    let (invite, billing) =
        (organization_scope(&admin, "invite:member").await, organization_scope(&admin, "read:billing").await);
    let api = resource_scopes(&admin, "https://billing.example.com", &["invoices:read", "invoices:write"]).await;

    let bad = admin
        .post("/organization-roles", json!({"name": "admin", "organizationScopeIds": [invite.as_str(), "ghost"]}))
        .await;
    assert_problem(&bad, 422, "organization_scope.not_found", Some("organizationScopeIds[1]"));
    let bad = admin.post("/organization-roles", json!({"name": "admin", "resourceScopeIds": ["ghost"]})).await;
    assert_problem(&bad, 422, "scope.not_found", Some("resourceScopeIds[0]"));
    assert_eq!(admin.get("/organization-roles").await.total, Some(0), "a refused role is not created");

    let created = admin
        .post(
            "/organization-roles",
            json!({"name": "admin", "description": "Runs it", "organizationScopeIds": [invite.as_str()],
                   "resourceScopeIds": [api[0].as_str()]}),
        )
        .await;
    let role = created_id(&created);
    assert_eq!((&created.body["name"], &created.body["description"]), (&json!("admin"), &json!("Runs it")));
    organization_role(&admin, "member").await;
    organization_role(&admin, "guest").await;
    assert_problem(
        &admin.post("/organization-roles", json!({"name": "admin"})).await,
        409,
        "organization_role.name_taken",
        Some("name"),
    );
    assert_problem(&admin.post("/organization-roles", json!({"name": ""})).await, 422, "request.empty", Some("name"));

    let first = admin.get("/organization-roles?pageSize=2").await;
    assert_eq!(
        (first.status, first.total, names(&first)),
        (200, Some(3), vec!["admin".to_owned(), "guest".to_owned()])
    );
    let path = format!("/organization-roles/{role}");
    assert_eq!(admin.get(&path).await.body, created.body);
    assert_problem(&admin.get("/organization-roles/nope").await, 404, "organization_role.not_found", None);
    let patched = admin.patch(&path, json!({"name": "owner", "description": "Owns it"})).await;
    assert_eq!(
        (patched.status, &patched.body["name"], &patched.body["description"]),
        (200, &json!("owner"), &json!("Owns it"))
    );
    assert_problem(
        &admin.patch(&path, json!({"name": "member"})).await,
        409,
        "organization_role.name_taken",
        Some("name"),
    );
    assert_problem(&admin.patch("/organization-roles/nope", json!({})).await, 404, "organization_role.not_found", None);

    // Organization scopes of the role.
    let scopes = format!("{path}/scopes");
    let held = admin.get(&scopes).await;
    assert_eq!((held.status, held.total, names(&held)), (200, Some(1), vec!["invite:member".to_owned()]));
    assert_eq!(
        admin.post(&scopes, json!({"organizationScopeIds": [billing.as_str(), invite.as_str()]})).await.status,
        201
    );
    let held = admin.get(&scopes).await;
    let mut held_names = names(&held);
    held_names.sort();
    assert_eq!((held.total, held_names), (Some(2), vec!["invite:member".to_owned(), "read:billing".to_owned()]));
    assert_eq!(admin.get(&format!("{scopes}?page=2&pageSize=1")).await.total, Some(2));
    let unknown = admin.post(&scopes, json!({"organizationScopeIds": ["ghost"]})).await;
    assert_problem(&unknown, 422, "organization_scope.not_found", Some("organizationScopeIds[0]"));
    assert_problem(
        &admin.post(&scopes, json!({"scopeIds": [billing.as_str()]})).await,
        400,
        "request.invalid_body",
        None,
    );
    assert_eq!(admin.delete(&format!("{scopes}/{billing}")).await.status, 204);
    assert_problem(&admin.delete(&format!("{scopes}/{billing}")).await, 404, "organization_scope.not_found", None);
    assert_eq!(names(&admin.get(&scopes).await), ["invite:member"]);
    assert_problem(&admin.get("/organization-roles/nope/scopes").await, 404, "organization_role.not_found", None);
    let no_role =
        admin.post("/organization-roles/nope/scopes", json!({"organizationScopeIds": [billing.as_str()]})).await;
    assert_problem(&no_role, 404, "organization_role.not_found", None);

    // API resource scopes of the role.
    let resource = format!("{path}/resource-scopes");
    let held = admin.get(&resource).await;
    assert_eq!((held.status, held.total, names(&held)), (200, Some(1), vec!["invoices:read".to_owned()]));
    assert!(held.body[0]["resourceId"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(admin.post(&resource, json!({"scopeIds": [api[1].as_str()]})).await.status, 201);
    let mut held_ids = ids(&admin.get(&resource).await);
    held_ids.sort();
    let mut expected = api.clone();
    expected.sort();
    assert_eq!(held_ids, expected);
    assert_problem(
        &admin.post(&resource, json!({"scopeIds": [api[0].as_str(), "ghost"]})).await,
        422,
        "scope.not_found",
        Some("scopeIds[1]"),
    );
    assert_eq!(admin.delete(&format!("{resource}/{}", api[0])).await.status, 204);
    assert_problem(&admin.delete(&format!("{resource}/{}", api[0])).await, 404, "scope.not_found", None);
    assert_eq!(names(&admin.get(&resource).await), ["invoices:write"]);
    assert_problem(
        &admin.get("/organization-roles/nope/resource-scopes").await,
        404,
        "organization_role.not_found",
        None,
    );

    // Deleting an organization scope takes it from every role.
    assert_eq!(admin.delete(&format!("/organization-scopes/{invite}")).await.status, 204);
    assert_eq!(admin.get(&scopes).await.total, Some(0));

    assert_eq!(admin.delete(&path).await.status, 204);
    assert_problem(&admin.get(&path).await, 404, "organization_role.not_found", None);
    assert_problem(&admin.delete(&path).await, 404, "organization_role.not_found", None);
    assert_problem(&admin.get(&scopes).await, 404, "organization_role.not_found", None);
}

async fn a_member_holds_the_organization_scopes_of_their_roles(server: &TestServer) {
    let admin = server.admin().await;
    let (ada, bob) = (server.user("ada").await, server.user("bob").await);
    let org = organization(&admin, "Acme").await;
    let other = organization(&admin, "Globex").await;
    let invite = organization_scope(&admin, "invite:member").await;
    organization_scope(&admin, "delete:organization").await;
    let api = resource_scopes(&admin, "https://billing.example.com", &["invoices:read"]).await;
    let role = created_id(
        &admin
            .post(
                "/organization-roles",
                json!({"name": "inviter", "organizationScopeIds": [invite.as_str()], "resourceScopeIds": [api[0].as_str()]}),
            )
            .await,
    );
    for o in [&org, &other] {
        let added = admin
            .post(&format!("/organizations/{o}/users"), json!({"userIds": [ada.id.as_str(), bob.id.as_str()]}))
            .await;
        assert_eq!(added.status, 201);
    }
    let roles = admin
        .post(&format!("/organizations/{org}/users/{}/roles", ada.id), json!({"organizationRoleIds": [role.as_str()]}))
        .await;
    assert_eq!(roles.status, 201, "{:?}", roles.body);

    let (org_id, other_id) = (OrganizationId(org.clone()), OrganizationId(other.clone()));
    let held = |user: &UserId, o: &OrganizationId| {
        let (user, o) = (user.clone(), o.clone());
        let repos = server.repos.clone();
        async move { repos.user_organization_scopes(&user, &o).await.expect("organization scopes") }
    };
    assert_eq!(held(&ada.id, &org_id).await, ["invite:member"]);
    assert!(held(&ada.id, &other_id).await.is_empty(), "roles hold only inside their organization");
    assert!(held(&bob.id, &org_id).await.is_empty(), "membership alone grants nothing");
    let resources = server.repos.list_resources().await.expect("resources");
    let billing = resources.iter().find(|r| r.indicator == "https://billing.example.com").expect("billing resource");
    let resource_held =
        server.repos.user_organization_resource_scopes(&ada.id, &org_id, &billing.id).await.expect("resource scopes");
    assert_eq!(resource_held, ["invoices:read"]);
    let role_names = server.repos.user_organization_role_names(&ada.id).await.expect("role names");
    assert_eq!(role_names, [(org_id.clone(), "inviter".to_owned())]);

    // A scope added to the role later reaches the member at once.
    let sso = organization_scope(&admin, "manage:sso").await;
    admin.post(&format!("/organization-roles/{role}/scopes"), json!({"organizationScopeIds": [sso.as_str()]})).await;
    assert_eq!(held(&ada.id, &org_id).await, ["invite:member", "manage:sso"]);

    // Taking the role away takes its scopes.
    let cleared =
        admin.put(&format!("/organizations/{org}/users/{}/roles", ada.id), json!({"organizationRoleIds": []})).await;
    assert_eq!(cleared.status, 204);
    assert!(held(&ada.id, &org_id).await.is_empty());
}

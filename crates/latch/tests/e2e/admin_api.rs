//! The admin API over HTTP with a real token, on both backend pairs: every route's success and
//! error answers, and the operator's whole third-party-app script.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    the_admin_api_demands_an_admin_token,
    applications_are_created_validated_listed_changed_and_deleted,
    secrets_are_shown_once_and_deleted_secrets_fail_at_the_token_endpoint,
    users_are_created_validated_and_given_roles,
    resources_scopes_and_roles_fit_together,
    permissions_and_branding_apply_to_third_party_apps,
    grants_are_listed_and_revoked,
    a_script_sets_up_a_third_party_app_through_the_api_alone,
    changes_are_in_the_audit_log,
);

async fn the_admin_api_demands_an_admin_token(server: &TestServer) {
    let anonymous = http().get(server.url("/api/applications")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["content-type"], "application/problem+json");
    assert!(anonymous.headers().get("www-authenticate").is_some());
    let forged = http().get(server.url("/api/applications")).bearer_auth("not.a.jwt").send().await.unwrap();
    assert_eq!(forged.status(), 401);
    // A valid token for another API is not an admin token.
    let robot = server.app("robot", latch_domain::entities::AppType::MachineToMachine, false, &[]).await;
    server
        .resource(
            "https://api.example.com",
            &["read"],
            "other-role",
            latch_domain::entities::RoleType::MachineToMachine,
        )
        .await;
    let token = |resource: &'static str| {
        let req = http()
            .post(format!("{}/token", server.issuer))
            .basic_auth(&robot.id, robot.secret.as_ref())
            .form(&[("grant_type", "client_credentials"), ("resource", resource)]);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned() }
    };
    server.repos.add_application_roles(&"robot".into(), &["other-role".into()]).await.unwrap();
    let other = token("https://api.example.com").await;
    let res = http().get(server.url("/api/applications")).bearer_auth(other).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // An admin-API token without the `all` scope (the robot holds only a narrower scope of the
    // admin API, no admin role) is forbidden.
    let admin_api = server.repos.get_resource_by_indicator("urn:latch:api:admin").await.unwrap().unwrap();
    let audit = latch_domain::entities::Scope {
        id: "admin-audit".into(),
        resource_id: admin_api.id,
        name: "audit".into(),
        description: "Read the audit log".into(),
    };
    server.repos.insert_scope(&audit).await.unwrap();
    server
        .repos
        .insert_role(&latch_domain::entities::Role {
            id: "auditor".into(),
            name: "auditor".into(),
            description: String::new(),
            role_type: latch_domain::entities::RoleType::MachineToMachine,
            created_at: latch_domain::Timestamp(1_700_000_000),
        })
        .await
        .unwrap();
    server.repos.add_role_scopes(&"auditor".into(), &["admin-audit".into()]).await.unwrap();
    server.repos.add_application_roles(&"robot".into(), &["auditor".into()]).await.unwrap();
    let scopeless = token("urn:latch:api:admin").await;
    let res = http().get(server.url("/api/applications")).bearer_auth(scopeless).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let admin = server.admin().await;
    assert_eq!(admin.get("/applications").await.status, 200);
    assert_eq!(admin.get("/no-such-route").await.status, 404);
    // The spec is public, and it is OpenAPI 3.1.
    let spec: Value = http().get(server.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
}

async fn applications_are_created_validated_listed_changed_and_deleted(server: &TestServer) {
    let admin = server.admin().await;
    let spa = admin
        .post(
            "/applications",
            json!({"name": "Partner SPA", "type": "SPA", "isThirdParty": true,
                   "oidcClientMetadata": {"redirectUris": ["https://partner.example.com/cb"]}}),
        )
        .await;
    assert_eq!(spa.status, 201, "{:?}", spa.body);
    assert!(spa.body.get("secret").is_none(), "public clients have no secret");
    let id = spa.body["id"].as_str().unwrap().to_owned();
    let web = admin.post("/applications", json!({"name": "Partner web", "type": "Traditional"})).await;
    assert_eq!(web.status, 201);
    assert!(web.body["secret"].as_str().is_some_and(|s| s.len() >= 43), "confidential apps get their secret once");

    let cases = [
        (json!({"name": "Robot", "type": "MachineToMachine", "isThirdParty": true}), 422, "isThirdParty"),
        (
            json!({"name": "Bad", "type": "SPA", "oidcClientMetadata": {"redirectUris": ["https://ok.example/cb", "http://evil.example/cb"]}}),
            422,
            "oidcClientMetadata.redirectUris[1]",
        ),
        (
            json!({"name": "Wild", "type": "Traditional", "oidcClientMetadata": {"redirectUris": ["https://*.example.com/cb"]}}),
            422,
            "oidcClientMetadata.redirectUris[0]",
        ),
        (
            json!({"name": "Native", "type": "Native", "oidcClientMetadata": {"redirectUris": ["myapp:/cb"]}}),
            422,
            "oidcClientMetadata.redirectUris[0]",
        ),
        (
            json!({"name": "Robot", "type": "MachineToMachine", "oidcClientMetadata": {"redirectUris": ["https://x.example/cb"]}}),
            422,
            "oidcClientMetadata.redirectUris[0]",
        ),
        (
            json!({"name": "Alg", "type": "SPA", "customClientMetadata": {"idTokenSignedResponseAlg": "HS256"}}),
            422,
            "customClientMetadata.idTokenSignedResponseAlg",
        ),
        (
            json!({"name": "Origin", "type": "SPA", "customClientMetadata": {"corsAllowedOrigins": ["https://a.example/path"]}}),
            422,
            "customClientMetadata.corsAllowedOrigins[0]",
        ),
        (json!({"name": "", "type": "SPA"}), 422, "name"),
        (json!({"name": "Partner SPA", "type": "SPA"}), 409, "name"),
    ];
    for (body, status, field) in cases {
        let a = admin.post("/applications", body.clone()).await;
        assert_eq!((a.status, a.body["field"].as_str()), (status, Some(field)), "{body}: {:?}", a.body);
    }
    assert_eq!(admin.post("/applications", json!({"name": "x", "type": "Desktop"})).await.status, 400);
    assert_eq!(admin.post("/applications", json!("not an object")).await.status, 400);

    let all = admin.get("/applications?pageSize=1").await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert!(all.total.unwrap() >= 3, "console, two partner apps, the admin robot");
    let third = admin.get("/applications?isThirdParty=true").await;
    assert_eq!((third.total, third.body[0]["id"].as_str()), (Some(1), Some(id.as_str())));
    assert_eq!(admin.get("/applications?pageSize=101").await.status, 422);
    assert_eq!(admin.get("/applications?page=0").await.status, 422);
    assert_eq!(admin.get("/applications?isThirdParty=maybe").await.status, 400);

    let patched = admin
        .patch(
            &format!("/applications/{id}"),
            json!({"name": "Renamed", "oidcClientMetadata": {"redirectUris": ["https://partner.example.com/cb2"]}}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["oidcClientMetadata"]["redirectUris"], json!(["https://partner.example.com/cb2"]));
    assert_eq!(admin.get(&format!("/applications/{id}")).await.body["name"], "Renamed");
    let immutable = admin.patch(&format!("/applications/{id}"), json!({"type": "Native"})).await;
    assert_eq!((immutable.status, immutable.body["field"].as_str()), (422, Some("type")));
    let immutable = admin.patch(&format!("/applications/{id}"), json!({"isThirdParty": false})).await;
    assert_eq!((immutable.status, immutable.body["field"].as_str()), (422, Some("isThirdParty")));
    assert_eq!(admin.delete(&format!("/applications/{id}")).await.status, 204);
    assert_eq!(admin.get(&format!("/applications/{id}")).await.status, 404);
    assert_eq!(admin.delete(&format!("/applications/{id}")).await.status, 404);
    assert_eq!(admin.patch("/applications/nope", json!({})).await.status, 404);
}

async fn secrets_are_shown_once_and_deleted_secrets_fail_at_the_token_endpoint(server: &TestServer) {
    let admin = server.admin().await;
    server
        .resource(
            "https://api.example.com",
            &["read"],
            "robot-role",
            latch_domain::entities::RoleType::MachineToMachine,
        )
        .await;
    let robot = admin.post("/applications", json!({"name": "Robot", "type": "MachineToMachine"})).await;
    let id = robot.body["id"].as_str().unwrap().to_owned();
    let roles = admin.post(&format!("/applications/{id}/roles"), json!({"roleIds": ["robot-role"]})).await;
    assert_eq!(roles.status, 201, "{:?}", roles.body);
    let first = robot.body["secret"].as_str().unwrap().to_owned();
    let grant = |secret: String| {
        let req = http()
            .post(format!("{}/token", server.issuer))
            .basic_auth(&id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("resource", "https://api.example.com")]);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(grant(first.clone()).await, 200);
    let second = admin.post(&format!("/applications/{id}/secrets"), json!({"name": "ci"})).await;
    assert_eq!(second.status, 201);
    let second_value = second.body["value"].as_str().unwrap().to_owned();
    assert_eq!(grant(second_value.clone()).await, 200);
    let listed = admin.get(&format!("/applications/{id}/secrets")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(listed.body.as_array().unwrap().iter().all(|s| s.get("value").is_none()), "values are never listed");
    let paged = admin.get(&format!("/applications/{id}/secrets?pageSize=1&page=2")).await;
    assert_eq!((paged.total, paged.body.as_array().unwrap().len()), (Some(2), 1), "sub-collections page too");
    assert_eq!(admin.post(&format!("/applications/{id}/secrets"), json!({"name": "ci"})).await.status, 409);
    assert_eq!(
        admin.post(&format!("/applications/{id}/secrets"), json!({"name": "old", "expiresAt": 1})).await.status,
        422
    );
    assert_eq!(admin.delete(&format!("/applications/{id}/secrets/default")).await.status, 204);
    assert_eq!(grant(first).await, 401, "a deleted secret fails at once");
    assert_eq!(grant(second_value).await, 200);
    assert_eq!(admin.delete(&format!("/applications/{id}/secrets/default")).await.status, 404);
    // A secret that expires, on the server's own (movable) clock.
    let now = latch_domain::Clock::now(server.clock.as_ref()).0;
    let brief =
        admin.post(&format!("/applications/{id}/secrets"), json!({"name": "brief", "expiresAt": now + 60})).await;
    let brief_value = brief.body["value"].as_str().unwrap().to_owned();
    assert_eq!(grant(brief_value.clone()).await, 200, "live until it expires");
    server.clock.advance(61);
    assert_eq!(grant(brief_value).await, 401, "an expired secret fails");
    // Public clients have no secrets.
    let spa = admin.post("/applications", json!({"name": "SPA", "type": "SPA"})).await;
    let spa_id = spa.body["id"].as_str().unwrap();
    assert_eq!(admin.get(&format!("/applications/{spa_id}/secrets")).await.status, 422);
    assert_eq!(admin.get("/applications/nope/secrets").await.status, 404);
}

async fn users_are_created_validated_and_given_roles(server: &TestServer) {
    let admin = server.admin().await;
    let ada = admin
        .post(
            "/users",
            json!({"username": "ada", "primaryEmail": "ada@example.com", "name": "Ada", "password": PASSWORD,
                               "profile": {"given_name": "Ada"}, "customData": {"plan": "pro"}}),
        )
        .await;
    assert_eq!(ada.status, 201, "{:?}", ada.body);
    assert_eq!(ada.body["hasPassword"], true);
    assert!(ada.body.get("password").is_none() && ada.body.get("passwordHash").is_none());
    let id = ada.body["id"].as_str().unwrap().to_owned();
    let cases = [
        (json!({"username": "ada"}), 409, "username"),
        (json!({"primaryEmail": "ADA@example.com"}), 409, "primaryEmail"),
        (json!({"username": "bob", "password": "password"}), 422, "password"),
        (json!({"username": "bob", "password": "short"}), 422, "password"),
        (json!({"primaryEmail": "not-an-email"}), 422, "primaryEmail"),
        (json!({"primaryPhone": "555-1234"}), 422, "primaryPhone"),
        (json!({"username": "has space"}), 422, "username"),
        (json!({"name": "nobody"}), 422, "username"),
        (json!({"username": "bob", "profile": {"favourite_colour": "blue"}}), 422, "profile.favourite_colour"),
        (json!({"username": "bob", "customData": [1, 2]}), 422, "customData"),
    ];
    for (body, status, field) in cases {
        let a = admin.post("/users", body.clone()).await;
        assert_eq!((a.status, a.body["field"].as_str()), (status, Some(field)), "{body}: {:?}", a.body);
    }
    let patched = admin.patch(&format!("/users/{id}"), json!({"name": null, "primaryPhone": "+15551234567"})).await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["name"], Value::Null);
    assert_eq!(patched.body["primaryPhone"], "+15551234567");
    // A new password works at the sign-in page; the old one does not.
    assert_eq!(
        admin.patch(&format!("/users/{id}/password"), json!({"password": "a brand new passphrase"})).await.status,
        200
    );
    assert_eq!(admin.patch(&format!("/users/{id}/password"), json!({"password": "123"})).await.status, 422);
    let web =
        server.app("web", latch_domain::entities::AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let page = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert_eq!(page.status, 401, "the old password no longer works");
    let (_, params) = browser.sign_in(&page, "ada", "a brand new passphrase").await.client();
    assert!(params.contains_key("code"));
    // Roles.
    let role = admin.post("/roles", json!({"name": "reader", "description": "Reads"})).await;
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let machine = admin.post("/roles", json!({"name": "robots", "type": "MachineToMachine"})).await;
    let machine_id = machine.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/users/{id}/roles"), json!({"roleIds": [role_id]})).await.status, 201);
    let wrong = admin.post(&format!("/users/{id}/roles"), json!({"roleIds": [machine_id]})).await;
    assert_eq!((wrong.status, wrong.body["field"].as_str()), (422, Some("roleIds[0]")));
    let unknown = admin.post(&format!("/users/{id}/roles"), json!({"roleIds": ["nope"]})).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(admin.get(&format!("/users/{id}/roles")).await.body[0]["name"], "reader");
    assert_eq!(admin.delete(&format!("/users/{id}/roles/{role_id}")).await.status, 204);
    assert_eq!(admin.get(&format!("/users/{id}/roles")).await.body, json!([]));
    let listed = admin.get("/users?pageSize=100").await;
    assert!(listed.body.as_array().unwrap().iter().any(|u| u["id"] == id.as_str()));
    // Search: any identifier or the name, letters in any case; wildcards are plain characters.
    admin.post("/users", json!({"username": "grace_h", "name": "Grace Hopper"})).await;
    for (search, expected) in
        [("ADA@EXAMPLE", vec!["ada"]), ("hopper", vec!["grace_h"]), ("%", vec![]), ("_h", vec!["grace_h"])]
    {
        let found = admin.get(&format!("/users?search={}", urlencoding(search))).await;
        assert_eq!(found.status, 200, "{search}");
        let names: Vec<&str> = found.body.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!((names, found.total), (expected.clone(), Some(expected.len() as i64)), "search {search}");
    }
    let long = admin.get(&format!("/users?search={}", "x".repeat(257))).await;
    assert_eq!((long.status, long.body["field"].as_str()), (422, Some("search")));
    assert_eq!(admin.delete(&format!("/users/{id}")).await.status, 204);
    assert_eq!(admin.get(&format!("/users/{id}")).await.status, 404);
}

async fn resources_scopes_and_roles_fit_together(server: &TestServer) {
    let admin = server.admin().await;
    let api = admin
        .post("/resources", json!({"name": "Photos", "indicator": "https://photos.example.com", "accessTokenTtl": 600}))
        .await;
    assert_eq!(api.status, 201, "{:?}", api.body);
    let rid = api.body["id"].as_str().unwrap().to_owned();
    let dup = admin.post("/resources", json!({"name": "Again", "indicator": "https://photos.example.com"})).await;
    assert_eq!((dup.status, dup.body["field"].as_str()), (409, Some("indicator")));
    let bad = admin.post("/resources", json!({"name": "Bad", "indicator": "photos"})).await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("indicator")));
    let ttl =
        admin.post("/resources", json!({"name": "Bad", "indicator": "https://x.example", "accessTokenTtl": 5})).await;
    assert_eq!((ttl.status, ttl.body["field"].as_str()), (422, Some("accessTokenTtl")));
    let read = admin
        .post(&format!("/resources/{rid}/scopes"), json!({"name": "read:photos", "description": "See photos"}))
        .await;
    assert_eq!(read.status, 201);
    let read_id = read.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/resources/{rid}/scopes"), json!({"name": "read:photos"})).await.status, 409);
    assert_eq!(admin.post(&format!("/resources/{rid}/scopes"), json!({"name": "has space"})).await.status, 422);
    assert_eq!(admin.post(&format!("/resources/{rid}/scopes"), json!({"name": "email"})).await.status, 422);
    assert_eq!(admin.get(&format!("/resources/{rid}/scopes")).await.body[0]["name"], "read:photos");
    let role = admin.post("/roles", json!({"name": "viewer", "scopeIds": [read_id]})).await;
    assert_eq!(role.status, 201);
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post("/roles", json!({"name": "viewer"})).await.status, 409);
    assert_eq!(admin.post("/roles", json!({"name": "x", "scopeIds": ["nope"]})).await.status, 422);
    assert_eq!(admin.get(&format!("/roles/{role_id}/scopes")).await.body[0]["id"], read_id.as_str());
    let ada = server.user("ada").await;
    assert_eq!(admin.post(&format!("/roles/{role_id}/users"), json!({"userIds": [ada.id.as_str()]})).await.status, 201);
    assert_eq!(admin.post(&format!("/roles/{role_id}/users"), json!({"userIds": ["ghost"]})).await.status, 422);
    let holders = admin.get(&format!("/roles/{role_id}/users")).await;
    assert_eq!((holders.total, holders.body[0]["username"].as_str()), (Some(1), Some("ada")));
    let scopes = server.repos.user_resource_scopes(&ada.id, &latch_domain::ids::ResourceId(rid.clone())).await.unwrap();
    assert_eq!(scopes, ["read:photos"], "the user now holds the scope through the role");
    assert_eq!(admin.patch(&format!("/roles/{role_id}"), json!({"description": "Views photos"})).await.status, 200);
    assert_eq!(admin.delete(&format!("/roles/{role_id}/scopes/{read_id}")).await.status, 204);
    assert!(
        server
            .repos
            .user_resource_scopes(&ada.id, &latch_domain::ids::ResourceId(rid.clone()))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(admin.delete(&format!("/roles/{role_id}/users/{}", ada.id)).await.status, 204);
    assert_eq!(admin.delete(&format!("/resources/{rid}/scopes/{read_id}")).await.status, 204);
    assert_eq!(admin.delete(&format!("/resources/{rid}/scopes/{read_id}")).await.status, 404);
    assert_eq!(admin.patch(&format!("/resources/{rid}"), json!({"name": "Pictures"})).await.body["name"], "Pictures");
    assert_eq!(admin.delete(&format!("/resources/{rid}")).await.status, 204);
    assert_eq!(admin.get(&format!("/resources/{rid}")).await.status, 404);
    let all = admin.get("/resources").await;
    let admin_api = all.body.as_array().unwrap().iter().find(|r| r["indicator"] == "urn:latch:api:admin").unwrap();
    let admin_id = admin_api["id"].as_str().unwrap();
    assert_eq!(admin.delete(&format!("/resources/{admin_id}")).await.status, 422, "the admin API cannot be deleted");
    assert_eq!(admin.delete(&format!("/roles/{role_id}")).await.status, 204);
    assert_eq!(admin.get(&format!("/roles/{role_id}")).await.status, 404);
}

async fn permissions_and_branding_apply_to_third_party_apps(server: &TestServer) {
    let admin = server.admin().await;
    let first = admin.post("/applications", json!({"name": "In-house", "type": "SPA"})).await;
    let first_id = first.body["id"].as_str().unwrap();
    assert_eq!(admin.get(&format!("/applications/{first_id}/user-consent-scopes")).await.status, 422);
    let partner =
        admin.post("/applications", json!({"name": "Partner", "type": "Traditional", "isThirdParty": true})).await;
    let id = partner.body["id"].as_str().unwrap().to_owned();
    let api = admin.post("/resources", json!({"name": "Photos", "indicator": "https://photos.example.com"})).await;
    let rid = api.body["id"].as_str().unwrap().to_owned();
    let scope = admin
        .post(&format!("/resources/{rid}/scopes"), json!({"name": "read:photos", "description": "See your photos"}))
        .await;
    let sid = scope.body["id"].as_str().unwrap().to_owned();
    let added = admin
        .post(
            &format!("/applications/{id}/user-consent-scopes"),
            json!({"userScopes": ["email", {"id": "profile", "required": false}], "resourceScopes": [sid]}),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    // Each permission comes with what a UI shows: its name, the end user's words or the
    // scope's description, and its resource.
    assert_eq!(
        added.body["userScopes"],
        json!([{"id": "email", "required": true, "name": "email", "description": "Your email address"},
               {"id": "profile", "required": false, "name": "profile",
                "description": "Your name, username and profile picture"}])
    );
    assert_eq!(
        added.body["resourceScopes"],
        json!([{"id": sid, "required": true, "name": "read:photos", "description": "See your photos",
                "resource": {"id": rid, "name": "Photos", "indicator": "https://photos.example.com"}}])
    );
    for (body, field) in [
        (json!({"userScopes": ["favourite_colour"]}), "userScopes[0]"),
        (json!({"resourceScopes": ["nope"]}), "resourceScopes[0]"),
        (json!({"organizationScopes": ["nope"]}), "organizationScopes[0]"),
        (json!({"organizationResourceScopes": ["nope"]}), "organizationResourceScopes[0]"),
    ] {
        let a = admin.post(&format!("/applications/{id}/user-consent-scopes"), body).await;
        assert_eq!((a.status, a.body["field"].as_str()), (422, Some(field)));
    }
    assert_eq!(admin.delete(&format!("/applications/{id}/user-consent-scopes/user-scopes/profile")).await.status, 204);
    assert_eq!(admin.delete(&format!("/applications/{id}/user-consent-scopes/user-scopes/profile")).await.status, 404);
    assert_eq!(admin.delete(&format!("/applications/{id}/user-consent-scopes/bogus/profile")).await.status, 404);
    assert_eq!(
        admin.get(&format!("/applications/{id}/user-consent-scopes")).await.body["userScopes"],
        json!([{"id": "email", "required": true, "name": "email", "description": "Your email address"}])
    );

    // Before it is set, the branding is there and empty (a console form can start from it).
    let unset = admin.get(&format!("/applications/{id}/sign-in-experience")).await;
    assert_eq!(unset.status, 200, "{:?}", unset.body);
    for field in ["displayName", "logoUrl", "darkLogoUrl", "termsOfUseUrl", "privacyPolicyUrl", "color"] {
        assert!(unset.body[field].is_null(), "{field} is empty until set: {:?}", unset.body);
    }
    assert_eq!(admin.get("/applications/no-such-app/sign-in-experience").await.status, 404, "unknown apps are 404");
    let branding = json!({"displayName": "Partner Photos", "logoUrl": "https://partner.example.com/logo.svg",
                          "darkLogoUrl": "http://localhost:3000/dark.svg", "termsOfUseUrl": "https://partner.example.com/terms",
                          "privacyPolicyUrl": "https://partner.example.com/privacy", "color": "#3b5bdb"});
    assert_eq!(admin.put(&format!("/applications/{id}/sign-in-experience"), branding.clone()).await.status, 200);
    assert_eq!(admin.get(&format!("/applications/{id}/sign-in-experience")).await.body, branding);
    for (body, field) in [
        (json!({"logoUrl": "http://partner.example.com/logo.svg"}), "logoUrl"),
        (json!({"termsOfUseUrl": "javascript:alert(1)"}), "termsOfUseUrl"),
        (json!({"color": "blue"}), "color"),
        (json!({"displayName": "x".repeat(257)}), "displayName"),
    ] {
        let a = admin.put(&format!("/applications/{id}/sign-in-experience"), body).await;
        assert_eq!((a.status, a.body["field"].as_str()), (422, Some(field)));
    }
}

async fn grants_are_listed_and_revoked(server: &TestServer) {
    let admin = server.admin().await;
    let ada = server.user("ada").await;
    let partner = server
        .app("partner", latch_domain::entities::AppType::Traditional, true, &["https://partner.example.com/cb"])
        .await;
    let browser = Browser::new(&server.base);
    let url = authorize_url(server, &partner, "openid email");
    let consent = browser.sign_in(&browser.open(&url).await.page(), "ada", PASSWORD).await.page();
    let (_, params) = browser.consent(&consent, true).await.client();
    let res: Value = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&partner.id, partner.secret.as_ref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", partner.redirect_uri.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let at = res["access_token"].as_str().unwrap().to_owned();
    let grants = admin.get(&format!("/users/{}/grants", ada.id)).await;
    assert_eq!(grants.body.as_array().unwrap().len(), 1);
    assert_eq!(grants.body[0]["applicationId"], "partner");
    assert_eq!(grants.body[0]["applicationName"], "App partner", "the list names the app");
    assert!(grants.body[0]["scopes"].as_array().unwrap().iter().any(|s| s == "email"));
    let gid = grants.body[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.delete(&format!("/users/{}/grants/{gid}", ada.id)).await.status, 204);
    let me = http().get(format!("{}/me", server.issuer)).bearer_auth(at).send().await.unwrap();
    assert_eq!(me.status(), 401, "revoking the grant kills its opaque access tokens");
    assert!(browser.open(&url).await.page().url.contains("/consent"), "and consent is asked again");
    assert_eq!(admin.delete(&format!("/users/{}/grants/{gid}", ada.id)).await.status, 404);
    assert_eq!(admin.get("/users/ghost/grants").await.status, 404);
}

/// DESIGN.md / issue "Done when": a script with only the base URL and an M2M client sets up a
/// third-party SPA end to end and reads it all back.
async fn a_script_sets_up_a_third_party_app_through_the_api_alone(server: &TestServer) {
    let admin = server.admin().await;
    let app = admin.post("/applications", json!({"name": "Community SPA", "type": "SPA", "isThirdParty": true})).await;
    let id = app.body["id"].as_str().unwrap().to_owned();
    let uris = json!({"oidcClientMetadata": {"redirectUris": ["https://community.example.org/callback"]}});
    assert_eq!(admin.patch(&format!("/applications/{id}"), uris).await.status, 200);
    let api =
        admin.post("/resources", json!({"name": "Forum API", "indicator": "https://forum.example.org/api"})).await;
    let rid = api.body["id"].as_str().unwrap().to_owned();
    let post = admin
        .post(&format!("/resources/{rid}/scopes"), json!({"name": "write:posts", "description": "Post for you"}))
        .await;
    let sid = post.body["id"].as_str().unwrap().to_owned();
    let perms = json!({"userScopes": ["email"], "resourceScopes": [sid]});
    assert_eq!(admin.post(&format!("/applications/{id}/user-consent-scopes"), perms).await.status, 201);
    let branding = json!({"displayName": "Community", "logoUrl": "https://community.example.org/logo.png"});
    assert_eq!(admin.put(&format!("/applications/{id}/sign-in-experience"), branding).await.status, 200);
    let role = admin.post("/roles", json!({"name": "poster", "scopeIds": [sid]})).await;
    let role_id = role.body["id"].as_str().unwrap().to_owned();
    let user = admin
        .post("/users", json!({"username": "grace", "primaryEmail": "grace@example.org", "password": PASSWORD}))
        .await;
    let uid = user.body["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.post(&format!("/users/{uid}/roles"), json!({"roleIds": [role_id]})).await.status, 201);
    // Read everything back.
    let app = admin.get(&format!("/applications/{id}")).await.body;
    assert_eq!((app["type"].as_str(), app["isThirdParty"].as_bool()), (Some("SPA"), Some(true)));
    assert_eq!(app["oidcClientMetadata"]["redirectUris"], json!(["https://community.example.org/callback"]));
    let perms = admin.get(&format!("/applications/{id}/user-consent-scopes")).await.body;
    assert_eq!(perms["userScopes"][0]["id"], "email");
    assert_eq!(perms["resourceScopes"][0]["id"], sid.as_str());
    assert_eq!(admin.get(&format!("/applications/{id}/sign-in-experience")).await.body["displayName"], "Community");
    assert_eq!(admin.get(&format!("/users/{uid}/roles")).await.body[0]["name"], "poster");
    assert_eq!(admin.get(&format!("/roles/{role_id}/scopes")).await.body[0]["name"], "write:posts");
}

async fn changes_are_in_the_audit_log(server: &TestServer) {
    let admin = server.admin().await;
    let app = admin.post("/applications", json!({"name": "Audited", "type": "SPA"})).await;
    let id = app.body["id"].as_str().unwrap().to_owned();
    admin.delete(&format!("/applications/{id}")).await;
    let log = admin.get("/audit-logs?pageSize=2").await;
    assert_eq!(log.status, 200);
    let entries = log.body.as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"application.delete") && actions.contains(&"application.create"), "{actions:?}");
    assert!(entries.iter().all(|e| e["targetId"] == id.as_str()));
    assert!(entries[0]["actor"].as_str().unwrap().starts_with("application:"), "who: the admin robot");
    assert!(log.total.unwrap() >= 2);
    // Filters: exact action, an action prefix, target, actor, time; a bad range is refused.
    let user = admin.post("/users", json!({"username": "audited"})).await;
    let uid = user.body["id"].as_str().unwrap().to_owned();
    admin.patch(&format!("/users/{uid}"), json!({"name": "Audited"})).await;
    let actions = |log: &crate::harness::Answer| -> Vec<String> {
        log.body.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
    };
    let by_target = admin.get(&format!("/audit-logs?targetType=user&targetId={uid}")).await;
    assert_eq!(actions(&by_target), ["user.update", "user.create"]);
    let created = admin.get(&format!("/audit-logs?action=user.create&targetId={uid}")).await;
    assert_eq!(actions(&created), ["user.create"]);
    assert_eq!(admin.get("/audit-logs?action=user.create").await.total, Some(2), "the bootstrap's admin, and this one");
    let prefix = admin.get(&format!("/audit-logs?action=application.&targetId={id}")).await;
    assert_eq!(actions(&prefix), ["application.delete", "application.create"]);
    let actor = entries[0]["actor"].as_str().unwrap().to_owned();
    let mine = admin.get(&format!("/audit-logs?actor={}&pageSize=100", urlencoding(&actor))).await;
    // The four changes, and the first use of this robot's token (`security.admin_token.used`).
    assert_eq!(mine.total, Some(5), "{:?}", actions(&mine));
    assert_eq!(actions(&mine).last().map(String::as_str), Some("security.admin_token.used"));
    assert_eq!(admin.get("/audit-logs?since=4102444800").await.total, Some(0), "nothing from 2100 on");
    assert_eq!(admin.get("/audit-logs?until=1").await.total, Some(0));
    let backwards = admin.get("/audit-logs?since=200&until=100").await;
    assert_eq!((backwards.status, backwards.body["field"].as_str()), (422, Some("until")));
}

/// `s` percent-encoded for a query.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

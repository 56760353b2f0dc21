//! The third-party consent rules end to end (issue: permissions, RBAC, branding, resources,
//! organizations, remembered and granular consent, connected apps, preview), on both backends.

use crate::browser::{Browser, Page};
use crate::harness::{PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http, verify_with_jwks};
use crate::on_both_backends;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, RoleType};
use latch_domain::entities::{
    Branding, ConsentScope, ConsentScopeType, Organization, OrganizationRole, OrganizationScope,
};
use latch_domain::ids::*;
use serde_json::Value;

on_both_backends!(
    a_user_scope_the_app_may_not_ask_for_is_invalid_scope,
    users_see_and_get_only_resource_scopes_their_roles_hold,
    the_consent_screen_is_branded_and_names_everything,
    unticked_optional_scopes_are_left_out_of_the_tokens,
    consent_is_remembered_across_sessions_and_asks_only_for_new_scopes,
    organizations_are_picked_and_only_shared_ones_reach_the_tokens,
    not_you_signs_out_and_restarts_the_same_request,
    the_screen_speaks_french_when_asked,
    connected_apps_lists_grants_and_revoking_kills_their_tokens,
    the_console_preview_uses_the_same_renderer_and_may_be_framed_by_the_console_only,
);

const API: &str = "https://photos.example.com";

/// A third-party web app permitted exactly `user` scopes (name, required) and `resource`
/// scope names of the photos API (name, required).
async fn partner(server: &TestServer, user: &[(&str, bool)], resource: &[(&str, bool)]) -> TestClient {
    let client = server.app("partner", AppType::Traditional, false, &["https://partner.example.com/cb"]).await;
    let mut app = server.repos.get_application(&"partner".into()).await.unwrap().unwrap();
    app.is_third_party = true;
    server.repos.update_application(&app).await.unwrap();
    let mut perms: Vec<ConsentScope> = user
        .iter()
        .map(|(s, r)| ConsentScope { scope_type: ConsentScopeType::User, scope_ref: s.to_string(), required: *r })
        .collect();
    if !resource.is_empty() {
        let api = server.repos.get_resource_by_indicator(API).await.unwrap().unwrap();
        for (name, required) in resource {
            let scope = server.repos.list_scopes(&api.id).await.unwrap().into_iter().find(|s| s.name == *name).unwrap();
            perms.push(ConsentScope {
                scope_type: ConsentScopeType::Resource,
                scope_ref: scope.id.0,
                required: *required,
            });
        }
    }
    server.repos.add_consent_scopes(&"partner".into(), &perms).await.unwrap();
    client
}

/// The photos API with `read:photos` and `write:photos`, and a role `photographer` holding both.
async fn photos_api(server: &TestServer) {
    server.resource(API, &["read:photos", "write:photos"], "photographer", RoleType::User).await;
}

async fn give_role(server: &TestServer, user: &UserId, role: &str) {
    server.repos.add_user_roles(user, &[RoleId::from(role)]).await.unwrap();
}

fn with_resource(url: String) -> String {
    format!("{url}&resource={}", url::form_urlencoded::byte_serialize(API.as_bytes()).collect::<String>())
}

async fn consent_page(browser: &Browser, url: &str, user: &str) -> Page {
    let page = browser.open(url).await.page();
    let page = if page.url.contains("/sign-in") { browser.sign_in(&page, user, PASSWORD).await.page() } else { page };
    assert!(page.url.contains("/consent"), "expected the consent page, got {}", page.url);
    page
}

async fn exchange(server: &TestServer, client: &TestClient, code: &str, resource: Option<&str>) -> Value {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri.as_str())];
    if let Some(r) = resource {
        form.push(("resource", r));
    }
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn scopes_on(page: &Page) -> Vec<String> {
    let doc = scraper::Html::parse_document(&page.html);
    let sel = scraper::Selector::parse("li[data-scope]").unwrap();
    doc.select(&sel).map(|e| e.value().attr("data-scope").unwrap().to_owned()).collect()
}

async fn a_user_scope_the_app_may_not_ask_for_is_invalid_scope(server: &TestServer) {
    server.user("ada").await;
    let client = partner(server, &[("email", true)], &[]).await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &client, "openid phone")).await.page();
    let (_, params) = browser.sign_in(&page, "ada", PASSWORD).await.client();
    assert_eq!(params.get("error").map(String::as_str), Some("invalid_scope"));
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    // openid and offline_access need no permission; permitted ones pass.
    let page = browser.open(&authorize_url(server, &client, "openid offline_access email")).await.page();
    assert!(page.url.contains("/consent"));
}

async fn users_see_and_get_only_resource_scopes_their_roles_hold(server: &TestServer) {
    photos_api(server).await;
    let ada = server.user("ada").await;
    server.user("bob").await;
    give_role(server, &ada.id, "photographer").await;
    let client = partner(server, &[("email", true)], &[("read:photos", true)]).await;
    let url = with_resource(authorize_url(server, &client, "openid email read:photos write:photos"));
    // Ada holds read (write is not permitted to the app): she sees and gets read only.
    let browser = Browser::new(&server.base);
    let page = consent_page(&browser, &url, "ada").await;
    assert_eq!(scopes_on(&page), ["email", "read:photos"]);
    let (_, params) = browser.consent(&page, true).await.client();
    let body = exchange(server, &client, &params["code"], Some(API)).await;
    let claims = verify_with_jwks(server, body["access_token"].as_str().unwrap(), "at+jwt").await;
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "read:photos");
    assert_eq!(claims["sub"], ada.id.as_str());
    assert_eq!(claims["client_id"], "partner");
    // Bob holds no role: the screen does not show the scope and no token for the API is issued
    // (DESIGN.md "Scopes are per resource": never an audience with an empty scope).
    let other = Browser::new(&server.base);
    let page = consent_page(&other, &url, "bob").await;
    assert_eq!(scopes_on(&page), ["email"]);
    let (_, params) = other.consent(&page, true).await.client();
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("resource", API),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope", "{body}");
    // An unknown resource is invalid_target.
    let bad = format!("{}&resource=https%3A%2F%2Fnope.example.com", authorize_url(server, &client, "openid"));
    let (_, params) = browser.open(&bad).await.client();
    assert_eq!(params.get("error").map(String::as_str), Some("invalid_target"));
}

async fn the_consent_screen_is_branded_and_names_everything(server: &TestServer) {
    photos_api(server).await;
    let ada = server.user("ada").await;
    give_role(server, &ada.id, "photographer").await;
    let client = partner(server, &[("email", true), ("offline_access", true)], &[("read:photos", true)]).await;
    server
        .repos
        .put_branding(&Branding {
            application_id: "partner".into(),
            display_name: Some("Partner Photos".into()),
            logo_url: Some("https://partner.example.com/logo.svg".into()),
            dark_logo_url: Some("https://partner.example.com/logo-dark.svg".into()),
            terms_of_use_url: Some("https://partner.example.com/terms".into()),
            privacy_policy_url: Some("https://partner.example.com/privacy".into()),
            color: None,
            updated_at: Timestamp(1),
        })
        .await
        .unwrap();
    let browser = Browser::new(&server.base);
    let url = with_resource(authorize_url(server, &client, "openid email offline_access read:photos"));
    let page = consent_page(&browser, &url, "ada").await;
    let text = page.text();
    for expected in [
        "Partner Photos",
        "ada@example.com",
        "Not you? Use another account",
        "Your email address",
        "Keep access while you are away",
        "API https://photos.example.com",
        "read:photos things",
        "Terms of use",
        "Privacy policy",
        "https://partner.example.com",
        "Authorize",
        "Cancel",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(page.html.contains("src=\"https://partner.example.com/logo.svg\""));
    assert!(
        page.html
            .contains("srcset=\"https://partner.example.com/logo-dark.svg\" media=\"(prefers-color-scheme: dark)\"")
    );
    assert!(page.html.contains("href=\"https://partner.example.com/terms\""));
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

async fn unticked_optional_scopes_are_left_out_of_the_tokens(server: &TestServer) {
    server.user("ada").await;
    let client = partner(server, &[("email", true), ("profile", false)], &[]).await;
    let browser = Browser::new(&server.base);
    let page = consent_page(&browser, &authorize_url(server, &client, "openid email profile"), "ada").await;
    assert!(page.html.contains("name=\"scope\" value=\"profile\""), "optional items have a checkbox");
    assert!(!page.html.contains("name=\"scope\" value=\"email\""), "required ones do not");
    // Untick profile: submit without any `scope` field.
    let (_, fields) = page.form();
    let mut form: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "scope").collect();
    form.push(("decision".into(), "authorize".into()));
    let code = browser.post_for_code(&page, &form).await;
    let body = exchange(server, &client, &code, None).await;
    assert_eq!(body["scope"], "openid email");
    let me: Value = http()
        .get(format!("{}/me", server.issuer))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert!(me.get("name").is_none(), "profile was unticked: {me}");
}

async fn consent_is_remembered_across_sessions_and_asks_only_for_new_scopes(server: &TestServer) {
    server.user("ada").await;
    let client = partner(server, &[("email", true), ("profile", true), ("phone", true)], &[]).await;
    let first = Browser::new(&server.base);
    let page = consent_page(&first, &authorize_url(server, &client, "openid email"), "ada").await;
    first.consent(&page, true).await.client();
    // A new browser: a new session, the same remembered consent.
    let second = Browser::new(&server.base);
    let page = second.open(&authorize_url(server, &client, "openid email")).await.page();
    let (_, params) = second.sign_in(&page, "ada", PASSWORD).await.client();
    assert!(params.contains_key("code"), "no consent screen the second time");
    // A wider request asks only about what is new.
    let page = second.open(&authorize_url(server, &client, "openid email profile phone")).await.page();
    assert_eq!(scopes_on(&page), ["profile", "phone"]);
    let (_, params) = second.consent(&page, true).await.client();
    let body = exchange(server, &client, &params["code"], None).await;
    assert_eq!(body["scope"], "openid email profile phone");
    // prompt=none now yields a code; prompt=consent shows everything again.
    let (_, params) =
        second.open(&format!("{}&prompt=none", authorize_url(server, &client, "openid email profile"))).await.client();
    assert!(params.contains_key("code"));
    let page =
        second.open(&format!("{}&prompt=consent", authorize_url(server, &client, "openid email profile"))).await.page();
    assert_eq!(scopes_on(&page), ["email", "profile"]);
}

async fn organizations_are_picked_and_only_shared_ones_reach_the_tokens(server: &TestServer) {
    let ada = server.user("ada").await;
    let now = Timestamp(1_700_000_000);
    for (id, name) in [("org-a", "Acme"), ("org-b", "Beta")] {
        server
            .repos
            .insert_organization(&Organization { id: id.into(), name: name.into(), description: None, created_at: now })
            .await
            .unwrap();
        server.repos.add_organization_members(&id.into(), std::slice::from_ref(&ada.id), now).await.unwrap();
    }
    server
        .repos
        .insert_organization_scope(&OrganizationScope {
            id: "os1".into(),
            name: "invite".into(),
            description: "Invite people".into(),
            created_at: now,
        })
        .await
        .unwrap();
    server
        .repos
        .insert_organization_role(&OrganizationRole {
            id: "or1".into(),
            name: "manager".into(),
            description: String::new(),
            created_at: now,
        })
        .await
        .unwrap();
    server.repos.add_organization_role_scopes(&"or1".into(), &["os1".into()]).await.unwrap();
    server.repos.set_organization_member_roles(&"org-a".into(), &ada.id, &["or1".into()]).await.unwrap();
    let client =
        partner(server, &[("urn:latch:scope:organizations", true), ("urn:latch:scope:organization_roles", true)], &[])
            .await;
    server
        .repos
        .add_consent_scopes(
            &"partner".into(),
            &[ConsentScope { scope_type: ConsentScopeType::Organization, scope_ref: "os1".into(), required: true }],
        )
        .await
        .unwrap();
    let browser = Browser::new(&server.base);
    let url = authorize_url(
        server,
        &client,
        "openid offline_access urn:latch:scope:organizations urn:latch:scope:organization_roles invite",
    );
    let page = consent_page(&browser, &url, "ada").await;
    let text = page.text();
    assert!(text.contains("Invite people"), "{text}");
    assert!(text.contains("Acme") && text.contains("Beta"), "the picker lists the user's organizations");
    // Share Acme only.
    let (_, fields) = page.form();
    let mut form: Vec<(String, String)> =
        fields.into_iter().filter(|(k, v)| k != "organization" || v == "org-a").collect();
    form.push(("decision".into(), "authorize".into()));
    let code = browser.post_for_code(&page, &form).await;
    let body = exchange(server, &client, &code, None).await;
    assert!(body["scope"].as_str().unwrap().contains("invite"));
    let id_claims = verify_with_jwks(server, body["id_token"].as_str().unwrap(), "JWT").await;
    assert_eq!(id_claims["organizations"], serde_json::json!(["org-a"]), "only the shared organization");
    assert_eq!(id_claims["organization_roles"], serde_json::json!(["org-a:manager"]));
    let me: Value = http()
        .get(format!("{}/me", server.issuer))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["organizations"], serde_json::json!(["org-a"]));
    let grant = server.repos.get_grant(&ada.id, &"partner".into()).await.unwrap().unwrap();
    assert_eq!(grant.details.organizations, [OrganizationId::from("org-a")]);
    // Organization tokens: granted for the shared organization, refused for the other.
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let org_token = |refresh: String, org: &'static str| {
        let req = http()
            .post(format!("{}/token", server.issuer))
            .basic_auth(&client.id, client.secret.as_ref())
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("organization_id", org)]);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, org_body) = org_token(refresh, "org-a").await;
    assert_eq!(status, 200, "{org_body}");
    let claims = verify_with_jwks(server, org_body["access_token"].as_str().unwrap(), "at+jwt").await;
    assert_eq!(claims["aud"], "urn:latch:organization:org-a");
    assert_eq!(claims["scope"], "invite");
    assert_eq!(claims["organization_id"], "org-a");
    let next = org_body["refresh_token"].as_str().unwrap().to_owned();
    let (status, refused) = org_token(next, "org-b").await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "org-b was not shared");
}

async fn not_you_signs_out_and_restarts_the_same_request(server: &TestServer) {
    server.user("ada").await;
    server.user("bob").await;
    let client = partner(server, &[("email", true)], &[]).await;
    let browser = Browser::new(&server.base);
    let page = consent_page(&browser, &authorize_url(server, &client, "openid email"), "ada").await;
    let step = browser.submit(&page, &[], Some(("decision", "switch"))).await.page();
    assert!(step.url.contains("/sign-in"), "back at the sign-in page: {}", step.url);
    let page = browser.sign_in(&step, "bob", PASSWORD).await.page();
    assert!(page.url.contains("/consent"));
    assert!(page.text().contains("bob@example.com"));
    let (_, params) = browser.consent(&page, true).await.client();
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"), "the same request continues");
}

async fn the_screen_speaks_french_when_asked(server: &TestServer) {
    server.user("ada").await;
    let client = partner(server, &[("email", true)], &[]).await;
    let browser = Browser::new(&server.base);
    let page =
        consent_page(&browser, &format!("{}&ui_locales=fr", authorize_url(server, &client, "openid email")), "ada")
            .await;
    let text = page.text();
    assert!(text.contains("Votre adresse e-mail") && text.contains("Autoriser") && text.contains("Annuler"), "{text}");
    assert!(page.html.contains("<html lang=\"fr\">"));
}

async fn connected_apps_lists_grants_and_revoking_kills_their_tokens(server: &TestServer) {
    server.user("ada").await;
    let client = partner(server, &[("email", true)], &[]).await;
    let browser = Browser::new(&server.base);
    let anonymous = Browser::new(&server.base).open(&server.url("/account/apps")).await.page();
    assert_eq!(anonymous.status, 401);
    let page = consent_page(&browser, &authorize_url(server, &client, "openid email offline_access"), "ada").await;
    let (_, params) = browser.consent(&page, true).await.client();
    let body = exchange(server, &client, &params["code"], None).await;
    let at = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().expect("offline_access gives a refresh token").to_owned();
    let apps = browser.open(&server.url("/account/apps")).await.page();
    let text = apps.text();
    assert!(text.contains("App partner") && text.contains("Your email address") && text.contains("Revoke"), "{text}");
    assert!(text.contains("until they expire"), "the page says JWT access tokens live out their TTL");
    let step = browser.submit(&apps, &[], None).await.page();
    assert!(!step.text().contains("App partner"), "the row is gone");
    let me = http().get(format!("{}/me", server.issuer)).bearer_auth(at).send().await.unwrap();
    assert_eq!(me.status(), 401, "the grant's access tokens died with it");
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "and so did its refresh tokens");
    assert!(browser.open(&authorize_url(server, &client, "openid email")).await.page().url.contains("/consent"));
    // A forged form is refused.
    let res = browser
        .http()
        .post(server.url("/account/apps/revoke"))
        .form(&[("grant", "x"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn the_console_preview_uses_the_same_renderer_and_may_be_framed_by_the_console_only(server: &TestServer) {
    let client = partner(server, &[("email", true), ("profile", false)], &[]).await;
    let token = server.admin_token().await;
    let res = http()
        .get(server.url(&format!(
            "/console/preview/consent?app={}&displayName=Draft%20Name&logoUrl=https%3A%2F%2Fcdn.example.com%2Flogo.png",
            client.id
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("frame-ancestors {}", server.base)), "{csp}");
    assert!(res.headers().get("x-frame-options").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("Draft Name") && html.contains("https://cdn.example.com/logo.png"));
    assert!(html.contains("Your email address") && html.contains("sam.sample@example.com"));
    assert!(!html.contains("<form"), "the preview cannot be submitted");
    let missing = http().get(server.url("/console/preview/consent?app=nope")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

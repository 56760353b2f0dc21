//! The review's scope and token holes (issue 9 items 1–4, 10–12), each reproduced as the
//! attack itself against a real server: scopes are per resource, the admin API is reachable
//! only through the console and admin machines, organization tokens follow granular consent,
//! a replayed code revokes its whole token family, the preview is admin-only, an audience
//! never comes with an empty scope, and introspection answers only the token's own client.

use crate::browser::{Browser, Page};
use crate::harness::{PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http, verify_with_jwks};
use crate::on_both_backends;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, CustomClientMetadata, RoleType, User};
use latch_domain::entities::{ConsentScope, ConsentScopeType, Organization, OrganizationRole, OrganizationScope};
use serde_json::Value;

on_both_backends!(
    a_consent_for_one_api_never_becomes_a_token_for_another_or_the_admin_api,
    admin_resource_scopes_cannot_be_permitted_to_a_third_party_app,
    a_first_party_app_gets_no_admin_token,
    admin_tokens_of_other_clients_are_refused,
    a_demoted_or_suspended_admin_loses_access_at_the_next_request,
    organization_tokens_carry_only_what_the_consent_screen_showed_and_the_user_kept,
    a_replayed_code_revokes_every_token_of_its_family_after_a_refresh,
    the_consent_preview_needs_an_admin_token_and_refuses_unsafe_urls,
    a_resource_with_nothing_granted_is_invalid_scope,
    introspection_answers_only_the_tokens_own_client,
    an_administrator_cannot_lock_itself_or_everyone_out,
);

const API_A: &str = "https://a.example.com";
const API_B: &str = "https://b.example.com";
const ADMIN: &str = "urn:latch:api:admin";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn with_resources(url: String, resources: &[&str]) -> String {
    resources.iter().fold(url, |u, r| format!("{u}&resource={}", enc(r)))
}

async fn first_admin(server: &TestServer) -> User {
    server.repos.find_user_by_username("admin").await.unwrap().expect("the bootstrap admin")
}

/// Permits `scope` of resource `indicator` to `app` (as the store holds it, bypassing the API).
async fn permit_resource_scope(server: &TestServer, app: &str, indicator: &str, scope: &str, kind: ConsentScopeType) {
    let res = server.repos.get_resource_by_indicator(indicator).await.unwrap().unwrap();
    let s = server.repos.list_scopes(&res.id).await.unwrap().into_iter().find(|s| s.name == scope).unwrap();
    server
        .repos
        .add_consent_scopes(&app.into(), &[ConsentScope { scope_type: kind, scope_ref: s.id.0, required: true }])
        .await
        .unwrap();
}

/// Signs in as `user` (when asked), presses Authorize on a consent page (when shown) and returns
/// the code.
async fn code_as(browser: &Browser, url: &str, user: &str) -> String {
    let mut step = browser.open(url).await;
    if let crate::browser::Step::Page(p) = &step
        && p.url.contains("/sign-in")
    {
        step = browser.sign_in(p, user, PASSWORD).await;
    }
    if let crate::browser::Step::Page(p) = &step
        && p.url.contains("/consent")
    {
        step = browser.consent(p, true).await;
    }
    // The console's redirect URI is on Latch's own origin, where the browser follows it.
    if let crate::browser::Step::Page(p) = &step
        && p.url.contains("/console/callback?")
    {
        let url = url::Url::parse(&p.url).unwrap();
        return url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code");
    }
    let (_, params) = step.client();
    params.get("code").cloned().unwrap_or_else(|| panic!("no code: {params:?}"))
}

async fn token(server: &TestServer, client: &TestClient, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form = form.to_vec();
    if client.secret.is_none() {
        form.push(("client_id", client.id.as_str()));
    }
    let mut req = http().post(format!("{}/token", server.issuer)).form(&form);
    if let Some(secret) = &client.secret {
        req = req.basic_auth(&client.id, Some(secret));
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn exchange(server: &TestServer, client: &TestClient, code: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri.as_str())];
    form.extend_from_slice(extra);
    token(server, client, &form).await
}

async fn admin_status(server: &TestServer, access_token: &str) -> u16 {
    http().get(server.url("/api/applications")).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

/// Item 1, exactly as the review found it: a third-party app permitted `all` of API A; the admin
/// (who holds `all` on A, on B — another API with a scope of the same name — and on the admin
/// API) consents with `resource=A&resource=B&resource=<admin>`; exchanging the code (or a
/// refresh token) for B or the admin API must give nothing.
async fn a_consent_for_one_api_never_becomes_a_token_for_another_or_the_admin_api(server: &TestServer) {
    let admin = first_admin(server).await;
    server.resource(API_A, &["all"], "a-users", RoleType::User).await;
    server.resource(API_B, &["all"], "b-users", RoleType::User).await;
    server.repos.add_user_roles(&admin.id, &["a-users".into(), "b-users".into()]).await.unwrap();
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    permit_resource_scope(server, "partner", API_A, "all", ConsentScopeType::Resource).await;
    let url = with_resources(authorize_url(server, &client, "openid offline_access all"), &[API_A, API_B, ADMIN]);
    let browser = Browser::new(&server.base);
    let code = code_as(&browser, &url, "admin").await;
    let (status, body) = exchange(server, &client, &code, &[("resource", ADMIN)]).await;
    if status == 200 {
        let at = body["access_token"].as_str().unwrap_or_default();
        panic!("an admin token for a third-party app (admin API answers {}): {body}", admin_status(server, at).await);
    }
    assert_eq!(status, 400, "{body}");
    assert!(["invalid_target", "invalid_scope"].contains(&error_of(&body)), "{body}");

    // The same consent, a fresh code: B shares the scope name but was never granted.
    let code = code_as(&browser, &url, "admin").await;
    let (status, body) = exchange(server, &client, &code, &[("resource", API_B)]).await;
    assert_eq!(status, 400, "B was never granted: {body}");
    assert!(["invalid_target", "invalid_scope"].contains(&error_of(&body)), "{body}");

    // A itself works, and its refresh token mints tokens for A only.
    let code = code_as(&browser, &url, "admin").await;
    let (status, body) = exchange(server, &client, &code, &[("resource", API_A)]).await;
    assert_eq!(status, 200, "{body}");
    let claims = verify_with_jwks(server, body["access_token"].as_str().unwrap(), "at+jwt").await;
    assert_eq!(claims["aud"], API_A);
    assert_eq!(claims["scope"], "all");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = token(
        server,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("resource", ADMIN)],
    )
    .await;
    assert_eq!(status, 400, "no admin token on refresh: {body}");
    assert!(["invalid_target", "invalid_scope"].contains(&error_of(&body)), "{body}");
    let (status, body) = token(
        server,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("resource", API_B)],
    )
    .await;
    assert_eq!(status, 400, "no B token on refresh: {body}");
}

/// Item 2: the admin resource's scopes are never a third-party app's permission (422).
async fn admin_resource_scopes_cannot_be_permitted_to_a_third_party_app(server: &TestServer) {
    let api = server.admin().await;
    let created = api
        .post(
            "/applications",
            serde_json::json!({"name": "Partner", "type": "Traditional", "isThirdParty": true,
                "oidcClientMetadata": {"redirectUris": ["https://partner.example.com/cb"], "postLogoutRedirectUris": []}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let admin_res = server.repos.get_resource_by_indicator(ADMIN).await.unwrap().unwrap();
    let all = server.repos.list_scopes(&admin_res.id).await.unwrap().into_iter().find(|s| s.name == "all").unwrap();
    for field in ["resourceScopes", "organizationResourceScopes"] {
        let answer =
            api.post(&format!("/applications/{id}/user-consent-scopes"), serde_json::json!({field: [all.id.0]})).await;
        assert_eq!(answer.status, 422, "{field}: {:?}", answer.body);
        assert_eq!(answer.body["field"], format!("{field}[0]"), "{:?}", answer.body);
    }
    let now = api.get(&format!("/applications/{id}/user-consent-scopes")).await;
    assert_eq!(now.body["resourceScopes"], serde_json::json!([]), "nothing was added: {:?}", now.body);
}

/// Item 2: a first-party app other than the console cannot get an admin token for the admin
/// user, with or without consent.
async fn a_first_party_app_gets_no_admin_token(server: &TestServer) {
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let browser = Browser::new(&server.base);
    let url = with_resources(authorize_url(server, &client, "openid all"), &[ADMIN]);
    let code = code_as(&browser, &url, "admin").await;
    let (status, body) = exchange(server, &client, &code, &[("resource", ADMIN)]).await;
    if status == 200 {
        let at = body["access_token"].as_str().unwrap_or_default();
        panic!("a first-party app got an admin token (admin API answers {}): {body}", admin_status(server, at).await);
    }
    assert!(["invalid_target", "invalid_scope"].contains(&error_of(&body)), "{body}");
}

/// A JWT access token for the admin API signed by this Latch, as an older build or a bug could
/// have issued it to `client` for `sub`.
fn signed_admin_token(server: &TestServer, client: &str, sub: &str) -> String {
    let now = latch_domain::Clock::now(server.core.clock.as_ref());
    let claims = latch_oidc::tokens::access_token_claims(&latch_oidc::tokens::AccessTokenInput {
        issuer: &server.issuer,
        audience: ADMIN,
        client_id: client,
        subject: Some(sub),
        scopes: &["all".to_owned()],
        jti: "forged-jti",
        now,
        ttl: 600,
        auth_time: Some(now),
    });
    server.core.keys().sign(latch_oidc::keys::Alg::RS256, latch_oidc::tokens::AT_JWT_TYP, claims).unwrap()
}

/// Item 2: the admin API accepts tokens issued to the console (for an admin) or to a
/// machine-to-machine app holding the admin role, nothing else.
async fn admin_tokens_of_other_clients_are_refused(server: &TestServer) {
    let admin = first_admin(server).await;
    server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    server.app("robot", AppType::MachineToMachine, false, &[]).await;
    assert_eq!(admin_status(server, &signed_admin_token(server, "console", admin.id.as_str())).await, 200);
    for (client, sub) in [("web", admin.id.as_str()), ("robot", "robot"), ("web", "web"), ("console", "console")] {
        let status = admin_status(server, &signed_admin_token(server, client, sub)).await;
        assert!(status == 401 || status == 403, "client {client}, sub {sub}: {status}");
    }
}

/// The console's own flow (auth code + PKCE, `resource=<admin>`) for `user`.
async fn console_token(server: &TestServer, user: &str) -> Value {
    let console =
        TestClient { id: "console".into(), secret: None, redirect_uri: format!("{}/console/callback", server.base) };
    let url = format!(
        "{}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        with_resources(authorize_url(server, &console, "openid all"), &[ADMIN])
    );
    let code = code_as(&Browser::new(&server.base), &url, user).await;
    let (status, body) = exchange(server, &console, &code, &[("resource", ADMIN), ("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Item 2: each admin request rechecks the user: a removed admin role or a suspension takes
/// effect at the next request, not when the token expires.
async fn a_demoted_or_suspended_admin_loses_access_at_the_next_request(server: &TestServer) {
    let admin = first_admin(server).await;
    let admin_role = server.repos.get_role_by_name("admin").await.unwrap().unwrap();
    let at = console_token(server, "admin").await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(admin_status(server, &at).await, 200);
    server.repos.remove_user_role(&admin.id, &admin_role.id).await.unwrap();
    let status = admin_status(server, &at).await;
    assert!(status == 401 || status == 403, "demoted: {status}");
    server.repos.add_user_roles(&admin.id, std::slice::from_ref(&admin_role.id)).await.unwrap();
    assert_eq!(admin_status(server, &at).await, 200, "the role is back");
    let mut suspended = server.repos.get_user(&admin.id).await.unwrap().unwrap();
    suspended.is_suspended = true;
    server.repos.update_user(&suspended).await.unwrap();
    let status = admin_status(server, &at).await;
    assert!(status == 401 || status == 403, "suspended: {status}");
}

/// Submits the consent page with only the optional items in `keep` ticked (matched on the
/// `data-scope` name of their line).
async fn consent_keeping(browser: &Browser, page: &Page, keep: &[&str]) -> String {
    let doc = scraper::Html::parse_document(&page.html);
    let sel = scraper::Selector::parse("li[data-scope] input[name=scope]").unwrap();
    let ticked: Vec<String> = doc
        .select(&sel)
        .filter(|input| {
            let li = input.ancestors().filter_map(scraper::ElementRef::wrap).find(|e| e.value().name() == "li");
            li.and_then(|li| li.value().attr("data-scope")).is_some_and(|s| keep.contains(&s))
        })
        .map(|input| input.value().attr("value").unwrap().to_owned())
        .collect();
    let (_, fields) = page.form();
    let mut form: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "scope").collect();
    form.extend(ticked.into_iter().map(|v| ("scope".to_owned(), v)));
    form.push(("decision".into(), "authorize".into()));
    browser.post_for_code(page, &form).await
}

/// Item 3: organization and organization-resource scopes in an organization token are within
/// what the grant recorded, which is within what the screen showed.
async fn organization_tokens_carry_only_what_the_consent_screen_showed_and_the_user_kept(server: &TestServer) {
    let ada = server.user("ada").await;
    let now = Timestamp(1_700_000_000);
    server
        .repos
        .insert_organization(&Organization {
            id: "org-a".into(),
            name: "Acme".into(),
            description: None,
            created_at: now,
        })
        .await
        .unwrap();
    server.repos.add_organization_members(&"org-a".into(), std::slice::from_ref(&ada.id), now).await.unwrap();
    for (id, name, description) in [("os-invite", "invite", "Invite people"), ("os-kick", "kick", "Remove people")] {
        let s =
            OrganizationScope { id: id.into(), name: name.into(), description: description.into(), created_at: now };
        server.repos.insert_organization_scope(&s).await.unwrap();
    }
    // A resource whose scopes the user holds only through the organization role.
    server.resource(API_A, &["read:reports", "write:reports"], "nobody", RoleType::User).await;
    let role =
        OrganizationRole { id: "or1".into(), name: "manager".into(), description: String::new(), created_at: now };
    server.repos.insert_organization_role(&role).await.unwrap();
    server.repos.add_organization_role_scopes(&"or1".into(), &["os-invite".into(), "os-kick".into()]).await.unwrap();
    let reports = ["scope-nobody-read:reports".into(), "scope-nobody-write:reports".into()];
    server.repos.add_organization_role_resource_scopes(&"or1".into(), &reports).await.unwrap();
    server.repos.set_organization_member_roles(&"org-a".into(), &ada.id, &["or1".into()]).await.unwrap();
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let optional = |kind, id: &str| ConsentScope { scope_type: kind, scope_ref: id.to_owned(), required: false };
    server
        .repos
        .add_consent_scopes(
            &"partner".into(),
            &[
                optional(ConsentScopeType::Organization, "os-invite"),
                optional(ConsentScopeType::Organization, "os-kick"),
                optional(ConsentScopeType::OrganizationResource, "scope-nobody-read:reports"),
                optional(ConsentScopeType::OrganizationResource, "scope-nobody-write:reports"),
            ],
        )
        .await
        .unwrap();
    let browser = Browser::new(&server.base);
    let url = with_resources(
        authorize_url(
            server,
            &client,
            "openid offline_access urn:latch:scope:organizations invite kick read:reports write:reports",
        ),
        &[API_A],
    );
    let page = browser.sign_in(&browser.open(&url).await.page(), "ada", PASSWORD).await.page();
    assert!(page.url.contains("/consent"), "{}", page.url);
    let text = page.text();
    assert!(text.contains("Invite people") && text.contains("Remove people"), "{text}");
    assert!(text.contains("read:reports things") && text.contains("write:reports things"), "shown: {text}");
    // Keep `kick` and `read:reports`; untick `invite` and `write:reports`.
    let code = consent_keeping(&browser, &page, &["kick", "read:reports"]).await;
    let (status, body) = exchange(server, &client, &code, &[]).await;
    assert_eq!(status, 200, "{body}");
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = token(
        server,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token), ("organization_id", "org-a")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "kick", "invite was unticked: {body}");
    let refresh_token = body["refresh_token"].as_str().unwrap_or(&refresh_token).to_owned();
    let (status, body) = token(
        server,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("organization_id", "org-a"),
            ("resource", API_A),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "read:reports", "write:reports was unticked: {body}");
    let claims = verify_with_jwks(server, body["access_token"].as_str().unwrap(), "at+jwt").await;
    assert_eq!((claims["aud"].as_str(), claims["organization_id"].as_str()), (Some(API_A), Some("org-a")));
}

async fn userinfo_status(server: &TestServer, access_token: &str) -> u16 {
    http().get(format!("{}/me", server.issuer)).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

/// Item 4 (RFC 6749 §4.1.2): after one refresh, replaying the code revokes the rotated refresh
/// token and the access token minted from it, not just the first pair.
async fn a_replayed_code_revokes_every_token_of_its_family_after_a_refresh(server: &TestServer) {
    server.user("ada").await;
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let browser = Browser::new(&server.base);
    let code = code_as(&browser, &authorize_url(server, &client, "openid offline_access email"), "ada").await;
    let (status, first) = exchange(server, &client, &code, &[]).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = token(
        server,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let (rotated, access) = (second["refresh_token"].as_str().unwrap(), second["access_token"].as_str().unwrap());
    assert_eq!(userinfo_status(server, access).await, 200);
    // Another sign-in of the same user and app: a different family, which must survive.
    let other_code = code_as(&browser, &authorize_url(server, &client, "openid offline_access email"), "ada").await;
    let (_, other) = exchange(server, &client, &other_code, &[]).await;
    let (status, replay) = exchange(server, &client, &code, &[]).await;
    assert_eq!((status, error_of(&replay)), (400, "invalid_grant"));
    assert_eq!(userinfo_status(server, access).await, 401, "the refreshed access token is revoked");
    let (status, body) = token(server, &client, &[("grant_type", "refresh_token"), ("refresh_token", rotated)]).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_grant"), "the rotated refresh token is revoked");
    assert_eq!(userinfo_status(server, other["access_token"].as_str().unwrap()).await, 200, "other family lives");
}

/// Item 10: the preview answers only to an admin and validates draft branding like
/// `PUT …/sign-in-experience`.
async fn the_consent_preview_needs_an_admin_token_and_refuses_unsafe_urls(server: &TestServer) {
    server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let path = "/console/preview/consent?app=partner&displayName=Draft";
    let anonymous = http().get(server.url(path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "no token, no preview");
    let token = server.admin_token().await;
    let ok = http().get(server.url(path)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("Draft"));
    // RFC 6750 §2.2: the console may post the token in a form aimed at the preview frame.
    let posted = http()
        .post(server.url("/console/preview/consent"))
        .form(&[("access_token", token.as_str()), ("app", "partner"), ("displayName", "Posted draft")])
        .send()
        .await
        .unwrap();
    let posted_status = posted.status();
    let html = posted.text().await.unwrap();
    assert_eq!(posted_status, 200, "{html}");
    assert!(html.contains("Posted draft"));
    let in_the_url = http().get(server.url(&format!("{path}&access_token={token}"))).send().await.unwrap();
    assert_eq!(in_the_url.status(), 401, "RFC 6750 §2.3: a token in the URL is not accepted");
    let robot_without_role = signed_admin_token(server, "partner", "partner");
    let res = http().get(server.url(path)).bearer_auth(robot_without_role).send().await.unwrap();
    assert!(res.status() == 401 || res.status() == 403, "{}", res.status());
    for bad in ["javascript:alert(1)", "data:text/html,hi", "not a url"] {
        let res =
            http().get(server.url(&format!("{path}&logoUrl={}", enc(bad)))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        let html = res.text().await.unwrap();
        for attribute in ["src", "href", "srcset"] {
            assert!(!html.contains(&format!("{attribute}=\"{bad}")), "{bad} is not rendered as a {attribute}");
        }
        assert!(html.contains("logoUrl"), "the page names the field: {html}");
    }
}

/// Item 11: a token for a resource never comes with an empty scope.
async fn a_resource_with_nothing_granted_is_invalid_scope(server: &TestServer) {
    server.resource(API_A, &["read"], "a-machines", RoleType::MachineToMachine).await;
    let roleless = server.app("roleless", AppType::MachineToMachine, false, &[]).await;
    let (status, body) = token(server, &roleless, &[("grant_type", "client_credentials"), ("resource", API_A)]).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "no role on A: {body}");
    let robot = server.app("robot", AppType::MachineToMachine, false, &[]).await;
    server.repos.add_application_roles(&"robot".into(), &["a-machines".into()]).await.unwrap();
    let (status, body) = token(server, &robot, &[("grant_type", "client_credentials"), ("resource", API_A)]).await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("read")), "{body}");
    let (status, body) =
        token(server, &robot, &[("grant_type", "client_credentials"), ("resource", API_A), ("scope", "write")]).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "nothing of what was asked: {body}");
    // An authorization code for a resource the user holds nothing of.
    server.user("ada").await;
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let url = with_resources(authorize_url(server, &client, "openid read"), &[API_A]);
    let code = code_as(&Browser::new(&server.base), &url, "ada").await;
    let (status, body) = exchange(server, &client, &code, &[("resource", API_A)]).await;
    assert_eq!((status, error_of(&body)), (400, "invalid_scope"), "{body}");
}

async fn introspect(server: &TestServer, caller: &TestClient, token: &str) -> Value {
    let res = http()
        .post(format!("{}/token/introspection", server.issuer))
        .basic_auth(&caller.id, caller.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Item 12 (RFC 7662 §2.2, §4): another client learns nothing about a token; a client the
/// operator marks as a resource server may introspect any.
async fn introspection_answers_only_the_tokens_own_client(server: &TestServer) {
    server.user("ada").await;
    let owner = server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let nosy = server.app("nosy", AppType::Traditional, false, &["https://nosy.example.com/cb"]).await;
    let rs = CustomClientMetadata { is_resource_server: Some(true), ..Default::default() };
    let resource_server = server.app_with("rs", AppType::MachineToMachine, false, &[], rs).await;
    let code =
        code_as(&Browser::new(&server.base), &authorize_url(server, &owner, "openid offline_access email"), "ada")
            .await;
    let (_, body) = exchange(server, &owner, &code, &[]).await;
    server.resource(API_A, &["read"], "a-machines", RoleType::MachineToMachine).await;
    let robot = server.app("robot", AppType::MachineToMachine, false, &[]).await;
    server.repos.add_application_roles(&"robot".into(), &["a-machines".into()]).await.unwrap();
    let (_, m2m) = token(server, &robot, &[("grant_type", "client_credentials"), ("resource", API_A)]).await;
    let tokens = [
        (&owner, body["access_token"].as_str().unwrap()),
        (&owner, body["refresh_token"].as_str().unwrap()),
        (&robot, m2m["access_token"].as_str().unwrap()),
    ];
    for (own, t) in tokens {
        assert_eq!(introspect(server, own, t).await["active"], true, "its own client");
        let answer = introspect(server, &nosy, t).await;
        assert_eq!(answer, serde_json::json!({"active": false}), "another client learns nothing");
        assert_eq!(introspect(server, &resource_server, t).await["active"], true, "a designated resource server");
    }
}

/// With item 2's per-request recheck, a change that takes away the caller's own admin right
/// (or every administrator's) would lock it out at the next request: such changes are refused.
async fn an_administrator_cannot_lock_itself_or_everyone_out(server: &TestServer) {
    let api = server.admin().await;
    let me = verify_with_jwks(server, &api.token, "at+jwt").await["client_id"].as_str().unwrap().to_owned();
    let admin_api = server.repos.get_resource_by_indicator(ADMIN).await.unwrap().unwrap();
    let all = server.repos.list_scopes(&admin_api.id).await.unwrap().into_iter().find(|s| s.name == "all").unwrap();
    let role = |name: &str| {
        let name = name.to_owned();
        async move { server.repos.get_role_by_name(&name).await.unwrap().unwrap().id.0 }
    };
    let (person, machine) = (role("admin").await, role("admin-machine").await);
    for path in [
        format!("/applications/{me}"),
        format!("/applications/{me}/roles/{machine}"),
        format!("/roles/{person}"),
        format!("/roles/{machine}"),
        format!("/roles/{machine}/scopes/{}", all.id.0),
        format!("/resources/{}/scopes/{}", admin_api.id.0, all.id.0),
    ] {
        let answer = api.delete(&path).await;
        assert_eq!((answer.status, answer.body["code"].as_str()), (422, Some("admin.lockout")), "{path}");
    }
    assert_eq!(api.get("/applications").await.status, 200, "still an administrator");
    // Other apps, and other users, are the caller's to delete.
    let other = api.post("/applications", serde_json::json!({"name": "Other robot", "type": "MachineToMachine"})).await;
    assert_eq!(api.delete(&format!("/applications/{}", other.body["id"].as_str().unwrap())).await.status, 204);
    let admin = first_admin(server).await;
    let person_token = console_token(server, "admin").await["access_token"].as_str().unwrap().to_owned();
    let res =
        http().delete(server.url(&format!("/api/users/{}", admin.id))).bearer_auth(&person_token).send().await.unwrap();
    assert_eq!(res.status(), 422, "an administrator cannot delete their own account");
    assert_eq!(api.delete(&format!("/users/{}", admin.id)).await.status, 204, "another administrator can");
}

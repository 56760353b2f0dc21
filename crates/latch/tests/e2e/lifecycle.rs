//! The token and session lifecycle end to end: refresh tokens (rotation, reuse detection,
//! down-scoping, resources, concurrency), revocation (RFC 7009), introspection (RFC 7662),
//! RP-initiated logout and the admin API's session routes, on both backends.

use crate::browser::{Browser, Step};
use crate::harness::{Backends, PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http, metadata, verify_with_jwks};
use crate::on_both_backends;
use latch_domain::entities::{AppType, CustomClientMetadata, RoleType};
use latch_domain::ids::{ApplicationId, RoleId};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

on_both_backends!(
    refresh_with_the_rp_library_rotates_the_token,
    offline_access_is_echoed_and_without_it_there_is_no_refresh_token,
    a_replayed_refresh_token_revokes_the_whole_grant,
    refresh_can_narrow_the_scope_but_not_widen_it,
    refresh_with_a_resource_gives_a_jwt_for_that_resource,
    a_confidential_client_that_opts_out_of_rotation_keeps_its_token,
    concurrent_refreshes_with_one_token_have_exactly_one_winner,
    revoked_tokens_stop_working_and_unknown_tokens_are_fine,
    a_client_cannot_revoke_another_clients_token,
    introspection_describes_active_and_revoked_tokens,
    introspection_needs_client_authentication,
    logout_with_a_registered_uri_redirects_and_ends_the_session,
    logout_with_an_unregistered_uri_shows_a_page_instead,
    logout_without_a_hint_asks_the_user_first,
    admin_lists_and_ends_a_users_sessions,
);

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const API: &str = "https://api.example.com";
const BYE: &str = "https://web.example.com/signed-out";

async fn web(server: &TestServer, custom: CustomClientMetadata) -> TestClient {
    server.app_with("web", AppType::Traditional, false, &["https://web.example.com/callback"], custom).await
}

async fn spa(server: &TestServer) -> TestClient {
    server.app("spa", AppType::Spa, false, &["http://localhost:3000/callback"]).await
}

/// Authorizes `scope` for `client` as ada (signing in when the browser has no session) and
/// returns the code.
async fn code(server: &TestServer, browser: &Browser, client: &TestClient, scope: &str, extra: &str) -> String {
    let mut url = authorize_url(server, client, scope);
    if client.secret.is_none() {
        url.push_str(&format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"));
    }
    url.push_str(extra);
    let step = match browser.open(&url).await {
        Step::Page(p) if p.url.contains("/sign-in") => browser.sign_in(&p, "ada", PASSWORD).await,
        other => other,
    };
    let (_, params) = step.client();
    params.get("code").unwrap_or_else(|| panic!("no code: {params:?}")).clone()
}

/// A token-endpoint style call authenticated as `client` (Basic, or `client_id` when public).
async fn call(server: &TestServer, path: &str, client: &TestClient, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut req = http().post(format!("{}{path}", server.issuer));
    match &client.secret {
        Some(s) => req = req.basic_auth(&client.id, Some(s)),
        None => form.push(("client_id", &client.id)),
    }
    let res = req.form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn exchange(server: &TestServer, client: &TestClient, code: &str) -> Value {
    let mut form = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &client.redirect_uri)];
    if client.secret.is_none() {
        form.push(("code_verifier", VERIFIER));
    }
    let (status, body) = call(server, "/token", client, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn refresh(server: &TestServer, client: &TestClient, token: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend_from_slice(extra);
    call(server, "/token", client, &form).await
}

/// Signs in and returns the first token response for `scope`.
async fn tokens(server: &TestServer, client: &TestClient, scope: &str) -> Value {
    let browser = Browser::new(&server.base);
    let code = code(server, &browser, client, scope, "").await;
    exchange(server, client, &code).await
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("no `{k}` in {v}")).to_owned()
}

async fn userinfo_status(server: &TestServer, access_token: &str) -> u16 {
    http().get(format!("{}/me", server.issuer)).bearer_auth(access_token).send().await.unwrap().status().as_u16()
}

/// A resource server: a machine-to-machine app that introspects.
/// A machine-to-machine app the operator marked as a resource server: it may introspect tokens
/// issued to other clients (RFC 7662 §4).
async fn resource_server(server: &TestServer) -> TestClient {
    let custom = CustomClientMetadata { is_resource_server: Some(true), ..Default::default() };
    server.app_with("rs", AppType::MachineToMachine, false, &[], custom).await
}

async fn introspect(server: &TestServer, rs: &TestClient, token: &str) -> Value {
    let (status, body) = call(server, "/token/introspection", rs, &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn refresh_with_the_rp_library_rotates_the_token(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let http = http();
    let rp = CoreClient::from_provider_metadata(
        metadata(server).await,
        ClientId::new(client.id.clone()),
        client.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.clone()).unwrap());
    let (url, _, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("email".into()))
        .url();
    let browser = Browser::new(&server.base);
    let (_, params) = browser.sign_in(&browser.open(url.as_str()).await.page(), "ada", PASSWORD).await.client();
    let first = rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("code exchange");
    let verifier = rp.id_token_verifier();
    let first_claims = first.id_token().unwrap().claims(&verifier, &nonce).unwrap().clone();
    let r0 = first.refresh_token().expect("offline_access gives a refresh token").clone();
    let scopes: Vec<String> = first.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert!(scopes.contains(&"offline_access".to_owned()), "offline_access is echoed: {scopes:?}");
    let second = rp.exchange_refresh_token(&r0).unwrap().request_async(&http).await.expect("refresh");
    let r1 = second.refresh_token().expect("rotated").clone();
    assert_ne!(r0.secret(), r1.secret(), "a public or default confidential client gets a new refresh token");
    assert_ne!(first.access_token().secret(), second.access_token().secret());
    let no_nonce = |n: Option<&Nonce>| -> Result<(), String> {
        if n.is_none() { Ok(()) } else { Err("a refreshed ID token has no nonce".to_owned()) }
    };
    let claims = second.id_token().expect("openid was granted: a new ID token").claims(&verifier, no_nonce).unwrap();
    assert_eq!(claims.subject(), first_claims.subject());
    assert_eq!(claims.auth_time(), first_claims.auth_time(), "the original auth_time");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(userinfo_status(server, second.access_token().secret()).await, 200);
    let third = rp.exchange_refresh_token(&r1).unwrap().request_async(&http).await.expect("the new one works");
    assert!(third.refresh_token().is_some());
}

async fn offline_access_is_echoed_and_without_it_there_is_no_refresh_token(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let without = tokens(server, &client, "openid email").await;
    assert!(without.get("refresh_token").is_none(), "{without}");
    assert_eq!(without["scope"], "openid email");
    let with = tokens(server, &client, "openid offline_access").await;
    assert!(with["refresh_token"].as_str().is_some_and(|t| t.len() >= 43));
    assert_eq!(with["scope"], "openid offline_access");
    // alwaysIssueRefreshToken: one without offline_access too.
    let always = server
        .app_with(
            "always",
            AppType::Traditional,
            false,
            &["https://always.example.com/cb"],
            CustomClientMetadata { always_issue_refresh_token: Some(true), ..Default::default() },
        )
        .await;
    let body = tokens(server, &always, "openid").await;
    assert!(body["refresh_token"].as_str().is_some(), "{body}");
    // A refresh token cannot be used by another client.
    let other = spa(server).await;
    let (status, err) = refresh(server, &other, &s(&body, "refresh_token"), &[]).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
}

async fn a_replayed_refresh_token_revokes_the_whole_grant(server: &TestServer) {
    let client = spa(server).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid offline_access").await;
    let (status, t1) = refresh(server, &client, &s(&t0, "refresh_token"), &[]).await;
    assert_eq!(status, 200, "{t1}");
    assert_ne!(s(&t1, "refresh_token"), s(&t0, "refresh_token"), "public clients always rotate");
    assert_eq!(userinfo_status(server, &s(&t1, "access_token")).await, 200);
    // The rotated-out token comes back: refused, and the whole family goes.
    let (status, err) = refresh(server, &client, &s(&t0, "refresh_token"), &[]).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")), "{err}");
    let (status, _) = refresh(server, &client, &s(&t1, "refresh_token"), &[]).await;
    assert_eq!(status, 400, "the successor is revoked too");
    assert_eq!(userinfo_status(server, &s(&t1, "access_token")).await, 401, "so are the grant's access tokens");
    assert_eq!(userinfo_status(server, &s(&t0, "access_token")).await, 401);
}

async fn refresh_can_narrow_the_scope_but_not_widen_it(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid offline_access email profile").await;
    let (status, narrow) = refresh(server, &client, &s(&t0, "refresh_token"), &[("scope", "openid email")]).await;
    assert_eq!(status, 200, "{narrow}");
    assert_eq!(narrow["scope"], "openid email");
    let info: Value = http()
        .get(format!("{}/me", server.issuer))
        .bearer_auth(s(&narrow, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "ada@example.com");
    assert!(info.get("name").is_none(), "profile was left out: {info}");
    // The new refresh token keeps the full scope (RFC 6749 §6).
    let (status, full) = refresh(server, &client, &s(&narrow, "refresh_token"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(full["scope"], "openid offline_access email profile");
    let (status, err) = refresh(server, &client, &s(&full, "refresh_token"), &[("scope", "openid phone")]).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_scope")));
}

async fn refresh_with_a_resource_gives_a_jwt_for_that_resource(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    let ada = server.user("ada").await;
    server.resource(API, &["read:things", "write:things"], "reader", RoleType::User).await;
    server.repos.add_user_roles(&ada.id, &[RoleId::from("reader")]).await.unwrap();
    let browser = Browser::new(&server.base);
    let resource = format!("&resource={}", url::form_urlencoded::byte_serialize(API.as_bytes()).collect::<String>());
    let code = code(server, &browser, &client, "openid offline_access read:things write:things", &resource).await;
    let t0 = exchange(server, &client, &code).await;
    let (status, jwt) =
        refresh(server, &client, &s(&t0, "refresh_token"), &[("resource", API), ("scope", "read:things")]).await;
    assert_eq!(status, 200, "{jwt}");
    let claims = verify_with_jwks(server, &s(&jwt, "access_token"), "at+jwt").await;
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "read:things");
    assert_eq!(claims["sub"], ada.id.as_str());
    assert_eq!(claims["client_id"], "web");
    let (status, err) =
        refresh(server, &client, &s(&jwt, "refresh_token"), &[("resource", "https://other.example.com")]).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_target")));
}

async fn a_confidential_client_that_opts_out_of_rotation_keeps_its_token(server: &TestServer) {
    let client = web(server, CustomClientMetadata { rotate_refresh_token: Some(false), ..Default::default() }).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid offline_access").await;
    let r0 = s(&t0, "refresh_token");
    for _ in 0..3 {
        let (status, body) = refresh(server, &client, &r0, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("refresh_token").is_none(), "no new refresh token: the old one stays");
    }
}

async fn concurrent_refreshes_with_one_token_have_exactly_one_winner(server: &TestServer) {
    let client = spa(server).await;
    server.user("ada").await;
    for _ in 0..2 {
        let t0 = tokens(server, &client, "openid offline_access").await;
        let r0 = s(&t0, "refresh_token");
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let (client_id, issuer, barrier, r0) =
                    (client.id.clone(), server.issuer.clone(), barrier.clone(), r0.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let res = http()
                        .post(format!("{issuer}/token"))
                        .form(&[("grant_type", "refresh_token"), ("refresh_token", &r0), ("client_id", &client_id)])
                        .send()
                        .await
                        .unwrap();
                    res.status().as_u16()
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for r in racers {
            statuses.push(r.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "exactly one winner: {statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    }
}

async fn revoked_tokens_stop_working_and_unknown_tokens_are_fine(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid offline_access").await;
    let (status, _) = call(
        server,
        "/token/revocation",
        &client,
        &[("token", &s(&t0, "access_token")), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(userinfo_status(server, &s(&t0, "access_token")).await, 401);
    // A wrong hint still finds the token (RFC 7009 §2.1).
    let (status, t1) = refresh(server, &client, &s(&t0, "refresh_token"), &[]).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        server,
        "/token/revocation",
        &client,
        &[("token", &s(&t1, "refresh_token")), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, err) = refresh(server, &client, &s(&t1, "refresh_token"), &[]).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(userinfo_status(server, &s(&t1, "access_token")).await, 401, "the grant's access tokens go too");
    let (status, _) = call(server, "/token/revocation", &client, &[("token", "never-issued")]).await;
    assert_eq!(status, 200, "RFC 7009 §2.2: unknown tokens are not an error");
    let res = http()
        .post(format!("{}/token/revocation", server.issuer))
        .basic_auth(&client.id, Some("wrong"))
        .form(&[("token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the client must authenticate");
}

async fn a_client_cannot_revoke_another_clients_token(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    let other = spa(server).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid offline_access").await;
    for token in [s(&t0, "refresh_token"), s(&t0, "access_token")] {
        let (status, body) = call(server, "/token/revocation", &other, &[("token", &token)]).await;
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(userinfo_status(server, &s(&t0, "access_token")).await, 200);
    let (status, _) = refresh(server, &client, &s(&t0, "refresh_token"), &[]).await;
    assert_eq!(status, 200, "still usable by its own client");
}

async fn introspection_describes_active_and_revoked_tokens(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    let ada = server.user("ada").await;
    let rs = resource_server(server).await;
    server.resource(API, &["read:things"], "robots", RoleType::MachineToMachine).await;
    server.repos.add_application_roles(&ApplicationId::from("rs"), &[RoleId::from("robots")]).await.unwrap();
    let t0 = tokens(server, &client, "openid offline_access email").await;
    let at = introspect(server, &rs, &s(&t0, "access_token")).await;
    assert_eq!(at["active"], true, "{at}");
    assert_eq!(at["client_id"], "web");
    assert_eq!(at["sub"], ada.id.as_str());
    assert_eq!(at["scope"], "openid offline_access email");
    assert_eq!(at["token_type"], "Bearer");
    assert!(at["exp"].as_i64().unwrap() > at["iat"].as_i64().unwrap());
    let rt = introspect(server, &rs, &s(&t0, "refresh_token")).await;
    assert_eq!(rt["active"], true);
    assert_eq!(rt["token_type"], "refresh_token");
    // A JWT access token: verified with the key set, aud = the resource.
    let (status, cc) = call(server, "/token", &rs, &[("grant_type", "client_credentials"), ("resource", API)]).await;
    assert_eq!(status, 200);
    let jwt = introspect(server, &rs, &s(&cc, "access_token")).await;
    assert_eq!(jwt["active"], true, "{jwt}");
    assert_eq!(jwt["aud"], API);
    assert_eq!(jwt["scope"], "read:things");
    assert_eq!(jwt["client_id"], "rs");
    // Rotated out, revoked, tampered or unknown: only `active: false`.
    let (_, t1) = refresh(server, &client, &s(&t0, "refresh_token"), &[]).await;
    assert_eq!(introspect(server, &rs, &s(&t0, "refresh_token")).await, serde_json::json!({"active": false}));
    call(server, "/token/revocation", &client, &[("token", &s(&t1, "access_token"))]).await;
    assert_eq!(introspect(server, &rs, &s(&t1, "access_token")).await, serde_json::json!({"active": false}));
    let tampered = format!("{}x", s(&cc, "access_token"));
    assert_eq!(introspect(server, &rs, &tampered).await, serde_json::json!({"active": false}));
    assert_eq!(introspect(server, &rs, "nothing").await, serde_json::json!({"active": false}));
}

async fn introspection_needs_client_authentication(server: &TestServer) {
    let client = spa(server).await;
    server.user("ada").await;
    let t0 = tokens(server, &client, "openid").await;
    let url = format!("{}/token/introspection", server.issuer);
    let form = [("token", s(&t0, "access_token"))];
    let anonymous = http().post(&url).form(&form).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, body) = call(server, "/token/introspection", &client, &[("token", &s(&t0, "access_token"))]).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "a public client id is not enough");
    let wrong = http().post(&url).basic_auth("web", Some("nope")).form(&form).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
}

/// The web app with `BYE` registered as its post-logout redirect URI.
async fn web_with_logout(server: &TestServer) -> TestClient {
    let client = web(server, CustomClientMetadata::default()).await;
    let mut app = server.repos.get_application(&ApplicationId::from("web")).await.unwrap().unwrap();
    app.post_logout_redirect_uris = vec![BYE.to_owned()];
    server.repos.update_application(&app).await.unwrap();
    latch_core::catalog::announce(
        server.core.cache.as_ref(),
        &server.core.catalog,
        latch_core::catalog::Change::Application(app.id.clone()),
    )
    .await;
    client
}

fn end_session_url(server: &TestServer, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/session/end", server.issuer)).unwrap();
    url.query_pairs_mut().extend_pairs(pairs);
    url.to_string()
}

async fn assert_signed_out(server: &TestServer, browser: &Browser, client: &TestClient) {
    let page = browser.open(&authorize_url(server, client, "openid")).await.page();
    assert!(page.url.contains("/sign-in"), "the next authorization asks for the password again: {}", page.url);
}

async fn logout_with_a_registered_uri_redirects_and_ends_the_session(server: &TestServer) {
    let client = web_with_logout(server).await;
    let ada = server.user("ada").await;
    let browser = Browser::new(&server.base);
    let code = code(server, &browser, &client, "openid", "").await;
    let id_token = s(&exchange(server, &client, &code).await, "id_token");
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1);
    let url = end_session_url(
        server,
        &[("id_token_hint", &id_token), ("post_logout_redirect_uri", BYE), ("state", "bye-state")],
    );
    let (target, params) = browser.open(&url).await.client();
    assert_eq!(format!("{}{}", target.origin().ascii_serialization(), target.path()), BYE);
    assert_eq!(params.get("state").map(String::as_str), Some("bye-state"));
    assert!(server.repos.list_user_sessions(&ada.id).await.unwrap().is_empty(), "the record is gone for every node");
    assert_signed_out(server, &browser, &client).await;
}

async fn logout_with_an_unregistered_uri_shows_a_page_instead(server: &TestServer) {
    let client = web_with_logout(server).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let code = code(server, &browser, &client, "openid", "").await;
    let id_token = s(&exchange(server, &client, &code).await, "id_token");
    // POST works as well as GET.
    let res = browser
        .http()
        .post(format!("{}/session/end", server.issuer))
        .form(&[("id_token_hint", id_token.as_str()), ("post_logout_redirect_uri", "https://evil.example.com/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "no redirect to an unregistered URI");
    let cleared =
        res.headers().get_all("set-cookie").iter().any(|c| c.to_str().unwrap().starts_with("latch_session=;"));
    assert!(cleared, "the session cookie is cleared");
    assert!(res.text().await.unwrap().contains("You are signed out"));
    assert_signed_out(server, &browser, &client).await;
    // A hint Latch did not sign is refused outright.
    let forged = format!("{}x", &id_token[..id_token.len() - 1]);
    let page = browser.open(&end_session_url(server, &[("id_token_hint", &forged)])).await.page();
    assert_eq!(page.status, 400);
}

async fn logout_without_a_hint_asks_the_user_first(server: &TestServer) {
    let client = web_with_logout(server).await;
    let ada = server.user("ada").await;
    let browser = Browser::new(&server.base);
    code(server, &browser, &client, "openid", "").await;
    let url = end_session_url(server, &[("client_id", "web"), ("post_logout_redirect_uri", BYE)]);
    let page = browser.open(&url).await.page();
    assert!(page.text().contains("Sign out?"), "{}", page.html);
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1, "nothing ended yet");
    // A forged form (wrong CSRF token) does nothing.
    let forged = browser.submit(&page, &[("csrf", "forged")], Some(("decision", "sign_out"))).await.page();
    assert_eq!(forged.status, 400);
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1);
    let page = browser.open(&url).await.page();
    let (target, _) = browser.submit(&page, &[], Some(("decision", "sign_out"))).await.client();
    assert_eq!(target.as_str(), BYE);
    assert!(server.repos.list_user_sessions(&ada.id).await.unwrap().is_empty());
    assert_signed_out(server, &browser, &client).await;
}

async fn admin_lists_and_ends_a_users_sessions(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    let ada = server.user("ada").await;
    let admin = server.admin().await;
    let (laptop, phone) = (Browser::new(&server.base), Browser::new(&server.base));
    code(server, &laptop, &client, "openid", "").await;
    code(server, &phone, &client, "openid", "").await;
    let path = format!("/users/{}/sessions", ada.id);
    let listed = admin.get(&path).await;
    assert_eq!(listed.status, 200);
    let sessions = listed.body.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{}", listed.body);
    assert!(sessions[0]["lastActiveAt"].as_i64().is_some() && sessions[0]["expiresAt"].as_i64().is_some());
    let one = sessions[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(admin.delete(&format!("{path}/{one}")).await.status, 204);
    assert_eq!(admin.delete(&format!("{path}/{one}")).await.status, 404);
    assert_eq!(admin.get(&path).await.body.as_array().unwrap().len(), 1);
    // Sign out everywhere.
    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.body, serde_json::json!([]));
    assert_signed_out(server, &laptop, &client).await;
    assert_signed_out(server, &phone, &client).await;
    assert_eq!(admin.get("/users/nobody/sessions").await.status, 404);
}

// ---------------------------------------------------------------- short lifetimes

/// Declares a test per backend on a server with `tweak`ed configuration.
macro_rules! on_both_backends_with {
    ($tweak:expr, $($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let server = super::TestServer::start_with(super::Backends::Embedded, $tweak).await.expect("embedded");
                super::$name(&server).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
            async fn production() {
                let Some(server) = super::TestServer::start_with(super::Backends::Production, $tweak).await else { return };
                super::$name(&server).await;
            }
        })*
    };
}

on_both_backends_with!(
    |c: &mut latch::config::Config| {
        c.tokens.access_token_ttl = 1;
        c.session.idle_timeout = 1;
    },
    expired_tokens_introspect_as_inactive,
    an_idle_session_is_not_accepted,
);

async fn expired_tokens_introspect_as_inactive(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let rs = resource_server(server).await;
    let t0 = tokens(server, &client, "openid offline_access").await;
    server.clock.advance(2);
    assert_eq!(introspect(server, &rs, &s(&t0, "access_token")).await, serde_json::json!({"active": false}));
    assert_eq!(introspect(server, &rs, &s(&t0, "refresh_token")).await["active"], true, "14 days, not 1 s");
}

async fn an_idle_session_is_not_accepted(server: &TestServer) {
    let client = web(server, CustomClientMetadata::default()).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    code(server, &browser, &client, "openid", "").await;
    server.clock.advance(2);
    assert_signed_out(server, &browser, &client).await;
}

//! Issue 14, the device authorization grant (RFC 8628): a "TV" (the `openidconnect` crate's
//! device flow, polling the real token endpoint) waits while a person approves in the form
//! driver: the code typed at `/device`, sign-in, the app's consent screen, and the tokens the
//! TV then verifies. Every refusal answers the RFC's error code, on both backend pairs.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{http, metadata};
use crate::on_both_backends;
use crate::registration::jwt_claims;
use latch_domain::entities::{AppType, ConsentScope, ConsentScopeType, CustomClientMetadata, RoleType};
use openidconnect::core::{CoreClient, CoreDeviceAuthorizationResponse};
use openidconnect::{ClientId, DeviceAuthorizationUrl, OAuth2TokenResponse, Scope, TokenResponse};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    discovery_advertises_the_device_flow,
    a_tv_signs_in_while_a_person_approves_on_another_device,
    cancel_on_consent_answers_access_denied,
    an_approval_after_the_device_gave_up_connects_nothing,
    refusals_answer_the_rfc_8628_codes,
    wrong_and_reused_user_codes_are_refused_and_counted,
    a_signed_in_browser_still_meets_the_mfa_policy,
);

const API: &str = "https://tv-api.example.com";

/// A native third-party app with the device flow on, permitted only `email` and the API's
/// `watch`.
async fn tv_app(server: &TestServer, id: &str) {
    let custom = CustomClientMetadata { device_flow: Some(true), ..Default::default() };
    // Made first-party, then third-party, so it is permitted exactly what follows.
    server.app_with(id, AppType::Native, false, &[], custom).await;
    let mut app = server.repos.get_application(&id.into()).await.unwrap().unwrap();
    app.is_third_party = true;
    server.repos.update_application(&app).await.unwrap();
    let perms = [
        ConsentScope { scope_type: ConsentScopeType::User, scope_ref: "email".into(), required: true },
        ConsentScope { scope_type: ConsentScopeType::Resource, scope_ref: "scope-viewer-watch".into(), required: true },
    ];
    server.repos.add_consent_scopes(&id.into(), &perms).await.unwrap();
}

async fn setup(server: &TestServer) {
    server.resource(API, &["watch"], "viewer", RoleType::User).await;
    let ada = server.user("ada").await;
    server.repos.add_user_roles(&ada.id, &["viewer".into()]).await.unwrap();
    tv_app(server, "tv").await;
}

/// `POST /oidc/device/auth` as a public client; the status and the JSON answer.
async fn device_auth(server: &TestServer, form: &[(&str, &str)]) -> (u16, Value) {
    let res = http().post(format!("{}/device/auth", server.issuer)).form(form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// One poll of the token endpoint with `device_code`.
async fn poll(server: &TestServer, client: &str, device_code: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", client),
    ];
    let res = http().post(format!("{}/token", server.issuer)).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

/// The person's side: open `verification_uri_complete`, check the code is filled in, press
/// Continue, sign in; returns the consent page.
async fn enter_code(server: &TestServer, browser: &Browser, complete: &str, user_code: &str) -> crate::browser::Page {
    let form = browser.open(complete).await.page();
    assert_eq!(form.status, 200, "{}", form.html);
    let (_, fields) = form.form();
    assert!(fields.contains(&("user_code".into(), user_code.into())), "the code is filled in: {fields:?}");
    assert!(form.text().contains("Enter a code only from a device you are setting up yourself"), "{}", form.text());
    let sign_in = browser.submit(&form, &[], None).await.page();
    assert!(sign_in.url.starts_with(&format!("{}/sign-in", server.base)), "{}", sign_in.url);
    browser.sign_in(&sign_in, "ada", PASSWORD).await.page()
}

/// Codes for the TV, and a person who entered them and signed in: the consent page.
async fn at_consent(server: &TestServer) -> (Value, Browser, crate::browser::Page) {
    setup(server).await;
    let (_, codes) = device_auth(server, &[("client_id", "tv"), ("scope", "openid email")]).await;
    let browser = Browser::new(&server.base);
    let complete = codes["verification_uri_complete"].as_str().unwrap();
    let consent = enter_code(server, &browser, complete, codes["user_code"].as_str().unwrap()).await;
    (codes, browser, consent)
}

async fn discovery_advertises_the_device_flow(server: &TestServer) {
    let meta: Value = http()
        .get(format!("{}/.well-known/openid-configuration", server.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["device_authorization_endpoint"], format!("{}/device/auth", server.issuer));
    let grants = meta["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!("urn:ietf:params:oauth:grant-type:device_code")), "{grants:?}");
}

async fn a_tv_signs_in_while_a_person_approves_on_another_device(server: &TestServer) {
    setup(server).await;
    let meta = metadata(server).await;
    let rp = CoreClient::new(ClientId::new("tv".into()), meta.issuer().clone(), meta.jwks().clone())
        .set_auth_uri(meta.authorization_endpoint().clone())
        .set_token_uri(meta.token_endpoint().cloned().unwrap())
        .set_device_authorization_url(DeviceAuthorizationUrl::new(format!("{}/device/auth", server.issuer)).unwrap());
    let client = http();
    let details: CoreDeviceAuthorizationResponse = rp
        .exchange_device_code()
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("watch".into()))
        .add_extra_param("resource", API)
        .request_async(&client)
        .await
        .expect("device authorization");
    let user_code = details.user_code().secret().clone();
    assert_eq!(details.verification_uri().as_str(), format!("{}/device", server.base));
    assert_eq!(details.interval(), Duration::from_secs(5));
    assert_eq!(details.expires_in(), Duration::from_secs(600));
    assert!(user_code.len() == 9 && user_code.as_bytes()[4] == b'-', "{user_code}");
    let complete = details.verification_uri_complete().expect("verification_uri_complete").secret().clone();
    assert_eq!(complete, format!("{}/device?user_code={user_code}", server.base));

    // The TV polls (the library sleeps `interval` between polls) while the person approves.
    let tv = {
        let (rp, details, client) = (rp.clone(), details.clone(), client.clone());
        tokio::spawn(async move {
            rp.exchange_device_access_token(&details)
                .add_extra_param("resource", API)
                .request_async(&client, tokio::time::sleep, Some(Duration::from_secs(60)))
                .await
        })
    };
    let browser = Browser::new(&server.base);
    let consent = enter_code(server, &browser, &complete, &user_code).await;
    assert!(consent.text().contains("You are signing in on another device"), "{}", consent.text());
    assert!(!consent.text().contains("you will be sent to"), "no redirect origin: {}", consent.text());
    let done = browser.consent(&consent, true).await.page();
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.text().contains("Device connected"), "{}", done.text());

    let tokens = tv.await.unwrap().expect("the TV gets its tokens");
    let id_token = tokens.id_token().expect("an ID token for openid");
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, |_: Option<&openidconnect::Nonce>| Ok(())).expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), "user-ada");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    let access = jwt_claims(tokens.access_token().secret());
    assert_eq!(access["aud"], API);
    assert_eq!(access["scope"], "watch");
    assert_eq!(access["client_id"], "tv");

    // A browser already signed in, a grant that covers the request: the consent screen still
    // shows (RFC 8628 §5.4: the link may come from someone else's device).
    let (status, again) = device_auth(server, &[("client_id", "tv"), ("scope", "openid email")]).await;
    assert_eq!(status, 200, "{again}");
    let form = browser.open(again["verification_uri_complete"].as_str().unwrap()).await.page();
    let consent = browser.submit(&form, &[], None).await.page();
    assert!(consent.text().contains("You are signing in on another device"), "{}", consent.text());
    let done = browser.consent(&consent, true).await.page();
    assert!(done.text().contains("Device connected"), "{}", done.text());
    let device_code = again["device_code"].as_str().unwrap();
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id_token"].is_string() && body["access_token"].is_string(), "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    let userinfo = |token: String| async move {
        http().get(format!("{}/me", server.issuer)).bearer_auth(token).send().await.unwrap().status().as_u16()
    };
    assert_eq!(userinfo(access.clone()).await, 200);
    // A device code is redeemed once; presented again, what it issued is revoked.
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert_eq!(userinfo(access).await, 401, "the replay revoked the first answer's tokens");

    // Approved, then the user revokes the app before the device polls: nothing is issued.
    let (_, third) = device_auth(server, &[("client_id", "tv"), ("scope", "openid email")]).await;
    let form = browser.open(third["verification_uri_complete"].as_str().unwrap()).await.page();
    let consent = browser.submit(&form, &[], None).await.page();
    browser.consent(&consent, true).await.page();
    let grant = server.repos.get_grant(&"user-ada".into(), &"tv".into()).await.unwrap().expect("granted");
    let revoked = server.admin().await.delete(&format!("/users/user-ada/grants/{}", grant.id)).await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let (_, body) = poll(server, "tv", third["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

/// The person signs in after the device stopped waiting: they are told, and no grant is
/// written for a device that will never collect it.
async fn an_approval_after_the_device_gave_up_connects_nothing(server: &TestServer) {
    let (codes, browser, consent) = at_consent(server).await;
    server.clock.advance(601);
    let late = browser.consent(&consent, true).await.page();
    assert_eq!(late.status, 400, "{}", late.html);
    assert!(late.text().contains("This device code has expired"), "{}", late.text());
    assert!(server.repos.get_grant(&"user-ada".into(), &"tv".into()).await.unwrap().is_none(), "no grant");
    let (_, body) = poll(server, "tv", codes["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "expired_token", "{body}");
}

async fn cancel_on_consent_answers_access_denied(server: &TestServer) {
    let (codes, browser, consent) = at_consent(server).await;
    let device_code = codes["device_code"].as_str().unwrap();
    let done = browser.consent(&consent, false).await.page();
    assert!(done.text().contains("Device not connected"), "{}", done.text());
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("access_denied")), "{body}");
    // Spent: the next poll no longer knows the code.
    let (_, body) = poll(server, "tv", device_code).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

async fn refusals_answer_the_rfc_8628_codes(server: &TestServer) {
    setup(server).await;
    server.app("plain-native", AppType::Native, true, &["http://127.0.0.1/cb"]).await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("no opt-in", vec![("client_id", "plain-native"), ("scope", "openid")], 400, "unauthorized_client"),
        ("unknown client", vec![("client_id", "nobody"), ("scope", "openid")], 401, "invalid_client"),
        ("a scope the app may not ask for", vec![("client_id", "tv"), ("scope", "openid phone")], 400, "invalid_scope"),
        (
            "an unknown resource",
            vec![("client_id", "tv"), ("resource", "https://nowhere.example")],
            400,
            "invalid_target",
        ),
        ("a malformed resource", vec![("client_id", "tv"), ("resource", "not a uri")], 400, "invalid_target"),
        ("scope twice", vec![("client_id", "tv"), ("scope", "openid"), ("scope", "email")], 400, "invalid_request"),
    ];
    for (what, form, status, error) in cases {
        let (got, body) = device_auth(server, &form).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{what}: {body}");
    }
    // A device code is not a JSON body.
    let res =
        http().post(format!("{}/device/auth", server.issuer)).json(&json!({"client_id": "tv"})).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);

    let (_, codes) = device_auth(server, &[("client_id", "tv"), ("scope", "openid")]).await;
    let device_code = codes["device_code"].as_str().unwrap();
    // Nobody answered: pending; polled again at once: slow_down.
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("authorization_pending")), "{body}");
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("slow_down")), "{body}");
    // Another client cannot redeem it; an unknown code is invalid_grant.
    tv_app(server, "other-tv").await;
    let (_, body) = poll(server, "other-tv", device_code).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let (_, body) = poll(server, "tv", "never-issued").await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let res = http()
        .post(format!("{}/token", server.issuer))
        .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", "tv")])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    // Ten minutes later: expired_token, and the code is spent.
    server.clock.advance(601);
    let (status, body) = poll(server, "tv", device_code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("expired_token")), "{body}");
    let (_, body) = poll(server, "tv", device_code).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // Turning the flow off for an app stops new device authorizations, and those waiting.
    let (_, waiting) = device_auth(server, &[("client_id", "tv"), ("scope", "openid")]).await;
    let admin = server.admin().await;
    let off = admin.patch("/applications/tv", json!({"customClientMetadata": {"deviceFlow": false}})).await;
    assert_eq!(off.status, 200, "{}", off.body);
    let (_, body) = device_auth(server, &[("client_id", "tv"), ("scope", "openid")]).await;
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    let (_, body) = poll(server, "tv", waiting["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    // Only native apps may have it.
    let web = server.app("web", AppType::Spa, true, &["https://web.example/cb"]).await;
    let refused =
        admin.patch(&format!("/applications/{}", web.id), json!({"customClientMetadata": {"deviceFlow": true}})).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["field"], "customClientMetadata.deviceFlow", "{}", refused.body);
}

async fn wrong_and_reused_user_codes_are_refused_and_counted(server: &TestServer) {
    setup(server).await;
    let (_, codes) = device_auth(server, &[("client_id", "tv"), ("scope", "openid")]).await;
    let user_code = codes["user_code"].as_str().unwrap();
    let browser = Browser::new(&server.base);
    let mut form = browser.open(&format!("{}/device", server.base)).await.page();
    // A code that was never issued, and text that cannot be a code: the form again, with the
    // error, and nothing reflected but what was typed.
    for typed in ["BBBB-BBBB", "<script>", "ABCD-EFGH"] {
        let again = browser.submit(&form, &[("user_code", typed)], None).await.page();
        assert_eq!(again.status, 400, "{typed}: {}", again.html);
        assert!(again.text().contains("This code is not valid or has expired"), "{}", again.text());
        assert!(!again.html.contains("<script>"), "escaped: {}", again.html);
        form = again;
    }
    // Lower case and no dash are fine (RFC 8628 §6.1).
    let typed = user_code.replace('-', "").to_lowercase();
    let sign_in = browser.submit(&form, &[("user_code", &typed)], None).await.page();
    assert!(sign_in.url.starts_with(&format!("{}/sign-in", server.base)), "{}", sign_in.url);
    // A code is entered once: a second browser cannot take over the same device's request.
    let other = Browser::new(&server.base);
    let form = other.open(&format!("{}/device", server.base)).await.page();
    let refused = other.submit(&form, &[("user_code", user_code)], None).await.page();
    assert_eq!(refused.status, 400, "{}", refused.html);
    // A form without its CSRF cookie is refused.
    let stranger = http()
        .post(format!("{}/device", server.base))
        .form(&[("user_code", user_code), ("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status().as_u16(), 400);
    // Guessing is limited per address like failed sign-ins.
    let mut limited = false;
    for _ in 0..110 {
        let page = other.submit(&form, &[("user_code", "CCCC-CCCC")], None).await.page();
        if page.status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "wrong codes are rate limited");
}

/// The operator's MFA policy holds for a device approved from a browser already signed in: a
/// session from before `required` is asked for the second factor (set up first, as Ada has
/// none), not waved through to consent.
async fn a_signed_in_browser_still_meets_the_mfa_policy(server: &TestServer) {
    let (_, browser, consent) = at_consent(server).await;
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    let admin = server.admin().await;
    let mut experience = admin.get("/sign-in-experience").await.body;
    experience["mfa"] = json!("required");
    assert_eq!(admin.put("/sign-in-experience", experience).await.status, 200);
    let (_, codes) = device_auth(server, &[("client_id", "tv"), ("scope", "openid email")]).await;
    let form = browser.open(codes["verification_uri_complete"].as_str().unwrap()).await.page();
    let next = browser.submit(&form, &[], None).await.page();
    assert!(next.url.contains("/sign-in/factor"), "the second factor first: {}", next.url);
    assert!(next.text().contains("This account needs a second step"), "{}", next.text());
}

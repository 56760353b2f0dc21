//! The authorization code flow end to end, with the `openidconnect` crate as the relying party
//! and the form driver as the browser, on both backend pairs.

use crate::browser::{Browser, Step};
use crate::harness::{PASSWORD, TestClient, TestServer};
use crate::on_both_backends;
use latch_domain::entities::{AppType, CustomClientMetadata, RoleType};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use std::collections::BTreeMap;

on_both_backends!(
    discovery_parses_as_provider_metadata,
    confidential_web_app_with_basic_auth,
    confidential_web_app_with_post_auth,
    spa_with_pkce,
    native_app_on_a_random_loopback_port,
    second_authorization_in_the_same_browser_needs_no_password,
    third_party_app_asks_for_consent_and_remembers_it,
    cancel_on_consent_returns_access_denied,
    es256_id_tokens_for_apps_registered_for_them,
    form_post_response_mode,
    client_credentials_issues_a_verifiable_resource_token,
    a_resource_chooses_es256_for_its_access_tokens,
);

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http")
}

pub async fn metadata(server: &TestServer) -> CoreProviderMetadata {
    CoreProviderMetadata::discover_async(IssuerUrl::new(server.issuer.clone()).expect("issuer"), &http())
        .await
        .expect("discovery")
}

/// How the relying party authenticates at the token endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Basic,
    Post,
    /// Public client: PKCE only.
    Pkce,
}

pub struct FlowOptions<'a> {
    pub auth: Auth,
    pub scopes: &'a [&'a str],
    pub username: &'a str,
    pub redirect_uri: Option<String>,
    pub extra: &'a [(&'a str, &'a str)],
    /// Press Authorize on the consent page when it shows (None: it must not show).
    pub consent: Option<bool>,
    pub sign_in: bool,
    pub allowed_algs: Vec<CoreJwsSigningAlgorithm>,
}

impl Default for FlowOptions<'_> {
    fn default() -> Self {
        FlowOptions {
            auth: Auth::Basic,
            scopes: &["email", "profile"],
            username: "ada",
            redirect_uri: None,
            extra: &[],
            consent: None,
            sign_in: true,
            allowed_algs: vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        }
    }
}

/// What a completed flow yields, all verified by the relying-party library.
pub struct FlowResult {
    pub id_claims: CoreIdTokenClaims,
    pub access_token: String,
    pub userinfo: CoreUserInfoClaims,
    pub scope: Option<String>,
}

/// Runs a whole authorization code flow: authorize → sign in → (consent) → code → token →
/// ID token verification against the JWKS → userinfo.
pub async fn run_flow(
    server: &TestServer,
    browser: &Browser,
    client: &TestClient,
    opts: FlowOptions<'_>,
) -> FlowResult {
    let http = http();
    let meta = metadata(server).await;
    let secret = match opts.auth {
        Auth::Pkce => None,
        _ => client.secret.clone().map(ClientSecret::new),
    };
    let redirect = opts.redirect_uri.clone().unwrap_or_else(|| client.redirect_uri.clone());
    let rp = CoreClient::from_provider_metadata(meta, ClientId::new(client.id.clone()), secret)
        .set_redirect_uri(RedirectUrl::new(redirect).expect("redirect"))
        .set_auth_type(if opts.auth == Auth::Post { AuthType::RequestBody } else { AuthType::BasicAuth });
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = rp.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for s in opts.scopes {
        req = req.add_scope(Scope::new(s.to_string()));
    }
    for (k, v) in opts.extra {
        req = req.add_extra_param(*k, *v);
    }
    if opts.auth == Auth::Pkce {
        req = req.set_pkce_challenge(challenge);
    }
    let (url, state, nonce) = req.url();
    let mut step = browser.open(url.as_str()).await;
    if opts.sign_in {
        step = browser.sign_in(&step.page(), opts.username, PASSWORD).await;
    }
    if let Some(authorize) = opts.consent {
        step = browser.consent(&step.page(), authorize).await;
    }
    let (_, params) = step.client();
    assert_eq!(params.get("state"), Some(state.secret()), "state comes back");
    assert_eq!(params.get("iss"), Some(&server.issuer), "RFC 9207 iss comes back");
    let code = params.get("code").unwrap_or_else(|| panic!("no code: {params:?}")).clone();
    let mut exchange = rp.exchange_code(AuthorizationCode::new(code)).expect("token endpoint");
    if opts.auth == Auth::Pkce {
        exchange = exchange.set_pkce_verifier(verifier);
    }
    let token = exchange.request_async(&http).await.expect("token exchange");
    let id_token = token.id_token().expect("an ID token");
    let id_verifier = rp.id_token_verifier().set_allowed_algs(opts.allowed_algs.clone());
    let id_claims = id_token.claims(&id_verifier, &nonce).expect("ID token verifies").clone();
    let expected = id_claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().expect("alg"),
        id_token.signing_key(&id_verifier).expect("key"),
    )
    .expect("hash");
    assert_eq!(&actual, expected, "at_hash binds the access token");
    let userinfo: CoreUserInfoClaims = rp
        .user_info(token.access_token().clone(), Some(id_claims.subject().clone()))
        .expect("userinfo endpoint")
        .request_async(&http)
        .await
        .expect("userinfo");
    let scope = token.scopes().map(|s| s.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" "));
    FlowResult { id_claims, access_token: token.access_token().secret().clone(), userinfo, scope }
}

async fn discovery_parses_as_provider_metadata(server: &TestServer) {
    let meta = metadata(server).await;
    assert_eq!(meta.issuer().as_str(), server.issuer);
    assert_eq!(meta.authorization_endpoint().as_str(), format!("{}/auth", server.issuer));
    assert!(meta.jwks().keys().len() >= 2, "RS256 and ES256 keys are published");
    let raw: serde_json::Value =
        reqwest::get(server.url("/.well-known/oauth-authorization-server/oidc")).await.unwrap().json().await.unwrap();
    assert_eq!(raw["authorization_response_iss_parameter_supported"], true);
    assert_eq!(raw["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(raw["response_types_supported"], serde_json::json!(["code"]));
}

async fn confidential_web_app_with_basic_auth(server: &TestServer) {
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let user = server.user("ada").await;
    let browser = Browser::new(&server.base);
    let r = run_flow(server, &browser, &client, FlowOptions::default()).await;
    assert_eq!(r.id_claims.subject().as_str(), user.id.as_str());
    assert_eq!(r.id_claims.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert!(r.id_claims.auth_time().is_some());
    assert_eq!(r.userinfo.email().map(|e| e.as_str()), Some("ada@example.com"));
    assert_eq!(r.userinfo.preferred_username().map(|u| u.as_str()), Some("ada"));
    assert!(r.userinfo.phone_number().is_none(), "phone scope was not requested");
}

async fn confidential_web_app_with_post_auth(server: &TestServer) {
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let r =
        run_flow(server, &browser, &client, FlowOptions { auth: Auth::Post, scopes: &["email"], ..Default::default() })
            .await;
    assert_eq!(r.scope.as_deref(), Some("openid email"));
    assert!(r.userinfo.name().is_none(), "profile was not requested");
}

async fn spa_with_pkce(server: &TestServer) {
    let client = server.app("spa", AppType::Spa, false, &["http://localhost:3000/callback"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let r = run_flow(server, &browser, &client, FlowOptions { auth: Auth::Pkce, ..Default::default() }).await;
    assert_eq!(r.id_claims.audiences()[0].as_str(), "spa");
}

async fn native_app_on_a_random_loopback_port(server: &TestServer) {
    let client = server.app("native", AppType::Native, false, &["http://127.0.0.1/callback"]).await;
    server.user("ada").await;
    // The port the app's own loopback listener got from the OS (RFC 8252 §7.3).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let browser = Browser::new(&server.base);
    let r = run_flow(
        server,
        &browser,
        &client,
        FlowOptions {
            auth: Auth::Pkce,
            redirect_uri: Some(format!("http://127.0.0.1:{port}/callback")),
            ..Default::default()
        },
    )
    .await;
    assert!(!r.access_token.is_empty());
}

async fn second_authorization_in_the_same_browser_needs_no_password(server: &TestServer) {
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let first = run_flow(server, &browser, &client, FlowOptions::default()).await;
    let second = run_flow(server, &browser, &client, FlowOptions { sign_in: false, ..Default::default() }).await;
    assert_eq!(first.id_claims.subject(), second.id_claims.subject());
    assert_eq!(first.id_claims.auth_time(), second.id_claims.auth_time(), "same session, same auth_time");
    assert_ne!(first.access_token, second.access_token);
    // A different browser has no session.
    let other = Browser::new(&server.base);
    let url = format!(
        "{}/auth?client_id=web&redirect_uri=https%3A%2F%2Fweb.example.com%2Fcallback&response_type=code&scope=openid&state=s",
        server.issuer
    );
    assert!(other.open(&url).await.page().url.contains("/sign-in"));
}

async fn third_party_app_asks_for_consent_and_remembers_it(server: &TestServer) {
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    // The consent page names the app, the user, the permissions and where the user goes next.
    let url = authorize_url(server, &client, "openid email");
    let consent = browser.sign_in(&browser.open(&url).await.page(), "ada", PASSWORD).await.page();
    let text = consent.text();
    assert!(text.contains("App partner"), "{text}");
    assert!(text.contains("ada@example.com"));
    assert!(text.contains("Your email address"));
    assert!(text.contains("https://partner.example.com"));
    assert!(consent.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let (_, params) = browser.consent(&consent, true).await.client();
    assert!(params.contains_key("code"));
    // Remembered: the same scopes again go straight back with a code.
    let (_, again) = browser.open(&url).await.client();
    assert!(again.contains_key("code"), "no second consent for granted scopes");
    // A new scope asks again.
    let wider = authorize_url(server, &client, "openid email profile");
    let page = browser.open(&wider).await.page();
    assert!(page.url.contains("/consent"));
    assert!(page.text().contains("Your name"));
    // prompt=consent always asks.
    let forced = format!("{url}&prompt=consent");
    assert!(browser.open(&forced).await.page().url.contains("/consent"));
    // First-party apps never ask.
    let first_party = server.app("inhouse", AppType::Traditional, false, &["https://in.example.com/cb"]).await;
    let (_, fp) = browser.open(&authorize_url(server, &first_party, "openid email")).await.client();
    assert!(fp.contains_key("code"));
}

pub fn authorize_url(server: &TestServer, client: &TestClient, scope: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/auth", server.issuer)).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-123");
    url.to_string()
}

async fn cancel_on_consent_returns_access_denied(server: &TestServer) {
    let client = server.app("partner", AppType::Spa, true, &["https://partner.example.com/cb"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let url = format!(
        "{}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        authorize_url(server, &client, "openid email")
    );
    let consent = browser.sign_in(&browser.open(&url).await.page(), "ada", PASSWORD).await.page();
    let (target, params) = browser.consent(&consent, false).await.client();
    assert_eq!(target.origin().ascii_serialization(), "https://partner.example.com");
    assert_eq!(params.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
    assert_eq!(params.get("iss"), Some(&server.issuer));
    assert!(!params.contains_key("code"));
}

async fn es256_id_tokens_for_apps_registered_for_them(server: &TestServer) {
    let custom = CustomClientMetadata { id_token_signed_response_alg: Some("ES256".into()), ..Default::default() };
    let client = server.app_with("ec", AppType::Traditional, false, &["https://ec.example.com/cb"], custom).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let r = run_flow(
        server,
        &browser,
        &client,
        FlowOptions { allowed_algs: vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256], ..Default::default() },
    )
    .await;
    assert!(r.id_claims.email().is_some());
}

async fn form_post_response_mode(server: &TestServer) {
    let client = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    server.user("ada").await;
    let browser = Browser::new(&server.base);
    let url = format!("{}&response_mode=form_post", authorize_url(server, &client, "openid"));
    let step = browser.sign_in(&browser.open(&url).await.page(), "ada", PASSWORD).await;
    match step {
        Step::Client { url, params } => {
            assert_eq!(url.as_str(), "https://web.example.com/callback");
            assert!(params.contains_key("code"));
            assert_eq!(params.get("state").map(String::as_str), Some("state-123"));
            assert_eq!(params.get("iss"), Some(&server.issuer));
        }
        Step::Page(p) => panic!("expected a form_post, got {}", p.html),
    }
}

async fn client_credentials_issues_a_verifiable_resource_token(server: &TestServer) {
    let robot = server.app("robot", AppType::MachineToMachine, false, &[]).await;
    server
        .resource("https://api.example.com", &["read:things", "write:things"], "robot-role", RoleType::MachineToMachine)
        .await;
    server.repos.add_application_roles(&"robot".into(), &["robot-role".into()]).await.unwrap();
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&robot.id, robot.secret.as_ref())
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", "https://api.example.com"),
            ("scope", "read:things other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read:things", "only scopes the app's roles hold");
    let token = body["access_token"].as_str().unwrap();
    let claims = verify_with_jwks(server, token, "at+jwt").await;
    assert_eq!(claims["aud"], "https://api.example.com");
    assert_eq!(claims["client_id"], "robot");
    assert_eq!(claims["sub"], "robot");
    assert_eq!(claims["scope"], "read:things");
    assert_eq!(claims["iss"], server.issuer.as_str());
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
}

async fn a_resource_chooses_es256_for_its_access_tokens(server: &TestServer) {
    let admin = server.admin().await;
    let created = admin
        .post(
            "/resources",
            serde_json::json!({"name": "Fast API", "indicator": "https://fast.example.com", "accessTokenSigningAlg": "ES256"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["accessTokenSigningAlg"], "ES256");
    let none = serde_json::json!({"name": "None API", "indicator": "https://none.example.com", "accessTokenSigningAlg": "none"});
    assert_eq!(admin.post("/resources", none).await.body["code"], "resource.unsupported_alg");

    let robot = server.app("robot", AppType::MachineToMachine, false, &[]).await;
    let api = server.resource("https://api.example.com", &["read"], "robot-role", RoleType::MachineToMachine).await;
    server.repos.add_application_roles(&"robot".into(), &["robot-role".into()]).await.unwrap();
    let path = format!("/resources/{}", api.id);
    assert_eq!(admin.patch(&path, serde_json::json!({"accessTokenSigningAlg": "ES256"})).await.status, 200);
    let token = || async {
        let body = server.client_credentials(&robot, "https://api.example.com").await;
        body["access_token"].as_str().unwrap_or_else(|| panic!("a token: {body}")).to_owned()
    };
    let es = token().await;
    assert_eq!(josekit::jwt::decode_header(&es).unwrap().claim("alg"), Some(&serde_json::json!("ES256")));
    assert_eq!(verify_with_jwks(server, &es, "at+jwt").await["aud"], "https://api.example.com");

    let refused = admin.patch(&path, serde_json::json!({"accessTokenSigningAlg": "HS256"})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["code"], "resource.unsupported_alg");
    assert_eq!(refused.body["field"], "accessTokenSigningAlg");
    assert_eq!(admin.get(&path).await.body["accessTokenSigningAlg"], "ES256", "a refused change stores nothing");

    // Back to RS256: new tokens switch at once (the catalog hears of the change), and the ES256
    // token issued before still verifies at the introspection endpoint.
    assert_eq!(admin.patch(&path, serde_json::json!({"accessTokenSigningAlg": "RS256"})).await.status, 200);
    let rs = token().await;
    assert_eq!(josekit::jwt::decode_header(&rs).unwrap().claim("alg"), Some(&serde_json::json!("RS256")));
    verify_with_jwks(server, &rs, "at+jwt").await;
    let res = http()
        .post(format!("{}/token/introspection", server.issuer))
        .basic_auth(&robot.id, robot.secret.as_ref())
        .form(&[("token", es.as_str())])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
}

/// Verifies a JWT's signature against the published JWKS with josekit (RS256 or ES256, as the
/// header says), checks `typ`, and returns its claims.
pub async fn verify_with_jwks(server: &TestServer, token: &str, typ: &str) -> BTreeMap<String, serde_json::Value> {
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", server.issuer)).await.unwrap().json().await.unwrap();
    let set = josekit::jwk::JwkSet::from_bytes(jwks.to_string()).unwrap();
    let header = josekit::jwt::decode_header(token).unwrap();
    assert_eq!(header.claim("typ").and_then(|v| v.as_str()), Some(typ));
    let kid = header.claim("kid").and_then(|v| v.as_str()).unwrap().to_owned();
    let jwk = set.get(&kid).first().copied().expect("kid is published").clone();
    let verifier: Box<dyn josekit::jws::JwsVerifier> = match header.claim("alg").and_then(|v| v.as_str()) {
        Some("RS256") => Box::new(josekit::jws::RS256.verifier_from_jwk(&jwk).unwrap()),
        Some("ES256") => Box::new(josekit::jws::ES256.verifier_from_jwk(&jwk).unwrap()),
        other => panic!("unexpected alg {other:?}"),
    };
    let (payload, _) = josekit::jwt::decode_with_verifier(token, verifier.as_ref()).expect("signature verifies");
    payload.claims_set().clone().into_iter().collect()
}

//! One negative test per security rule (DESIGN.md "Security rules"), each asserting the exact
//! error and that nothing was sent to an unregistered URI.

use crate::browser::Browser;
use crate::harness::{Backends, PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::entities::AppType;
use serde_json::Value;

on_both_backends!(
    untrusted_redirect_uris_get_an_error_page_and_no_redirect,
    unknown_clients_get_an_error_page_and_no_redirect,
    a_reused_code_fails_and_revokes_what_its_first_use_issued,
    pkce_verifier_rules_hold_at_the_token_endpoint,
    a_code_is_bound_to_its_client,
    wrong_client_secrets_are_refused,
    duplicate_parameters_are_invalid_requests,
    oversized_parameters_are_refused_without_a_5xx,
    plain_pkce_and_public_clients_without_pkce_are_refused,
    userinfo_demands_a_valid_bearer_token,
    failed_sign_ins_do_not_say_which_part_was_wrong,
    an_account_locks_after_ten_failures,
    a_forged_csrf_token_is_refused,
    prompt_none_never_shows_a_page,
    session_cookies_are_http_only_and_same_site,
    own_urls_are_absolute_and_built_from_public_url,
    prompt_login_and_max_age_force_a_new_sign_in,
    token_endpoint_failures_are_rate_limited_per_ip,
    cors_answers_only_registered_browser_origins,
);

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn web_app(server: &TestServer) -> TestClient {
    server.user("ada").await;
    server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await
}

/// Signs in through the browser and returns the code for `url`.
async fn code_for(browser: &Browser, url: &str) -> String {
    let step = browser.open(url).await;
    let step = match step {
        crate::browser::Step::Page(p) if p.url.contains("/sign-in") => browser.sign_in(&p, "ada", PASSWORD).await,
        other => other,
    };
    let (_, params) = step.client();
    params.get("code").cloned().unwrap_or_else(|| panic!("no code: {params:?}"))
}

async fn token(
    server: &TestServer,
    client: &TestClient,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = http().post(format!("{}/token", server.issuer)).form(form);
    if let Some(secret) = &client.secret {
        req = req.basic_auth(&client.id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

async fn exchange(server: &TestServer, client: &TestClient, code: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri.as_str())];
    form.extend_from_slice(extra);
    let (status, _, body) = token(server, client, &form).await;
    (status, body)
}

fn assert_no_redirect(res: &reqwest::Response) {
    assert!(res.headers().get("location").is_none(), "must not redirect: {:?}", res.headers().get("location"));
}

async fn untrusted_redirect_uris_get_an_error_page_and_no_redirect(server: &TestServer) {
    let client = web_app(server).await;
    for bad in [
        "https://web.example.com/callback/extra",
        "https://web.example.com/callback?x=1",
        "https://web.example.com/callback/",
        "http://web.example.com/callback",
        "https://attacker@web.example.com/callback",
        "https://web.example.com/x/../callback",
        "https://web.example.com.evil.com/callback",
    ] {
        let c = TestClient { redirect_uri: bad.to_owned(), ..client.clone() };
        let res = http().get(authorize_url(server, &c, "openid")).send().await.unwrap();
        assert_eq!(res.status(), 400, "{bad}");
        assert_no_redirect(&res);
        assert!(res.text().await.unwrap().contains("not registered"), "{bad}");
    }
}

async fn unknown_clients_get_an_error_page_and_no_redirect(server: &TestServer) {
    let ghost = TestClient { id: "ghost".into(), secret: None, redirect_uri: "https://attacker.example.com/cb".into() };
    let res = http().get(authorize_url(server, &ghost, "openid")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_no_redirect(&res);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let missing = http().get(format!("{}/auth?response_type=code", server.issuer)).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert_no_redirect(&missing);
}

async fn a_reused_code_fails_and_revokes_what_its_first_use_issued(server: &TestServer) {
    let client = web_app(server).await;
    let browser = Browser::new(&server.base);
    let code = code_for(&browser, &authorize_url(server, &client, "openid email")).await;
    let (status, first) = exchange(server, &client, &code, &[]).await;
    assert_eq!(status, 200, "{first}");
    let at = first["access_token"].as_str().unwrap().to_owned();
    let me = |t: String| async move {
        http().get(format!("{}/me", server.issuer)).bearer_auth(t).send().await.unwrap().status().as_u16()
    };
    assert_eq!(me(at.clone()).await, 200);
    let (status, second) = exchange(server, &client, &code, &[]).await;
    assert_eq!((status, second["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(me(at).await, 401, "the first use's access token is revoked");
}

async fn pkce_verifier_rules_hold_at_the_token_endpoint(server: &TestServer) {
    server.user("ada").await;
    let spa = server.app("spa", AppType::Spa, false, &["https://spa.example.com/cb"]).await;
    let web = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let browser = Browser::new(&server.base);
    let with_pkce = |c: &TestClient| {
        format!("{}&code_challenge={CHALLENGE}&code_challenge_method=S256", authorize_url(server, c, "openid"))
    };
    let public_form = |code: &str| -> Vec<(String, String)> {
        vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), code.into()),
            ("redirect_uri".into(), spa.redirect_uri.clone()),
            ("client_id".into(), spa.id.clone()),
        ]
    };
    let post = |form: Vec<(String, String)>| async move {
        let res = http().post(format!("{}/token", server.issuer)).form(&form).send().await.unwrap();
        (res.status().as_u16(), res.json::<Value>().await.unwrap())
    };
    // Missing verifier.
    let code = code_for(&browser, &with_pkce(&spa)).await;
    let (s, b) = post(public_form(&code)).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "missing verifier: {b}");
    // Wrong verifier.
    let code = code_for(&browser, &with_pkce(&spa)).await;
    let mut form = public_form(&code);
    form.push(("code_verifier".into(), VERIFIER.replace('d', "e")));
    let (s, b) = post(form).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "wrong verifier: {b}");
    // Right verifier.
    let code = code_for(&browser, &with_pkce(&spa)).await;
    let mut form = public_form(&code);
    form.push(("code_verifier".into(), VERIFIER.into()));
    let (s, b) = post(form).await;
    assert_eq!(s, 200, "{b}");
    // Downgrade: a verifier for a code issued without a challenge.
    let code = code_for(&browser, &authorize_url(server, &web, "openid")).await;
    let (s, b) = exchange(server, &web, &code, &[("code_verifier", VERIFIER)]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "downgrade: {b}");
}

async fn a_code_is_bound_to_its_client(server: &TestServer) {
    let web = web_app(server).await;
    let other = server.app("other", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let browser = Browser::new(&server.base);
    let code = code_for(&browser, &authorize_url(server, &web, "openid")).await;
    let (s, b) = exchange(server, &other, &code, &[]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "{b}");
    let code = code_for(&browser, &authorize_url(server, &web, "openid")).await;
    let wrong_redirect = TestClient { redirect_uri: "https://web.example.com/other".into(), ..web.clone() };
    let (s, b) = exchange(server, &wrong_redirect, &code, &[]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")), "redirect_uri binding: {b}");
}

async fn wrong_client_secrets_are_refused(server: &TestServer) {
    let web = web_app(server).await;
    let bad = TestClient { secret: Some("not-the-secret".into()), ..web.clone() };
    let (s, headers, b) = token(server, &bad, &[("grant_type", "authorization_code"), ("code", "x")]).await;
    assert_eq!((s, b["error"].as_str()), (401, Some("invalid_client")));
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"), "Basic was used: 401 + challenge");
    assert_eq!(headers["cache-control"], "no-store");
    let res = http()
        .post(format!("{}/token", server.issuer))
        .form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "web"), ("client_secret", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");
    // A confidential client cannot act as a public one.
    let res = http()
        .post(format!("{}/token", server.issuer))
        .form(&[("grant_type", "authorization_code"), ("code", "x"), ("client_id", "web")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn duplicate_parameters_are_invalid_requests(server: &TestServer) {
    let web = web_app(server).await;
    let url = format!("{}&scope=openid", authorize_url(server, &web, "openid email"));
    let res = http().get(url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with("https://web.example.com/callback?"));
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], "state-123");
    // A duplicated client_id cannot be trusted: error page, no redirect.
    let res = http().get(format!("{}&client_id=web", authorize_url(server, &web, "openid"))).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_no_redirect(&res);
    let (s, _, b) = token(server, &web, &[("grant_type", "authorization_code"), ("code", "a"), ("code", "b")]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
}

async fn oversized_parameters_are_refused_without_a_5xx(server: &TestServer) {
    let web = web_app(server).await;
    let huge = "x".repeat(5000);
    let res = http().get(format!("{}&nonce={huge}", authorize_url(server, &web, "openid"))).send().await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let (s, _, b) = token(server, &web, &[("grant_type", "authorization_code"), ("code", &huge)]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_request")));
    let giant = "y".repeat(200_000);
    let res = http()
        .post(format!("{}/token", server.issuer))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=authorization_code&code={giant}"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = http().post(format!("{}/token", server.issuer)).body("{}").send().await.unwrap();
    assert_eq!(res.status(), 400, "wrong content type");
}

async fn plain_pkce_and_public_clients_without_pkce_are_refused(server: &TestServer) {
    server.user("ada").await;
    let spa = server.app("spa", AppType::Spa, false, &["https://spa.example.com/cb"]).await;
    for (extra, what) in
        [(format!("&code_challenge={VERIFIER}&code_challenge_method=plain"), "plain"), (String::new(), "no PKCE")]
    {
        let res = http().get(format!("{}{extra}", authorize_url(server, &spa, "openid"))).send().await.unwrap();
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        assert_eq!(location.origin().ascii_serialization(), "https://spa.example.com", "{what}");
        let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(params["error"], "invalid_request", "{what}");
        assert_eq!(params["iss"], server.issuer);
    }
}

async fn userinfo_demands_a_valid_bearer_token(server: &TestServer) {
    let me = format!("{}/me", server.issuer);
    let res = http().get(&me).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"latch\"");
    let res = http().get(&me).bearer_auth("made-up").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    let res = http().post(&me).bearer_auth("made-up").send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = http().get(&me).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(res.status(), 401);
}

async fn failed_sign_ins_do_not_say_which_part_was_wrong(server: &TestServer) {
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let wrong_password = browser.sign_in(&page, "ada", "not the password").await.page();
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let unknown_user = browser.sign_in(&page, "nobody", "not the password").await.page();
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, 401);
    let message = "The username, email or password is incorrect.";
    assert!(wrong_password.text().contains(message));
    assert!(unknown_user.text().contains(message));
    // The page keeps working: the right password now succeeds.
    let (_, params) = browser.sign_in(&wrong_password, "ada", PASSWORD).await.client();
    assert!(params.contains_key("code"));
}

async fn an_account_locks_after_ten_failures(server: &TestServer) {
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let mut page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    for _ in 0..10 {
        page = browser.sign_in(&page, "ada", "wrong password!").await.page();
        assert_eq!(page.status, 401);
    }
    let locked = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert_eq!(locked.status, 401, "even the right password is refused while locked");
    assert!(locked.text().contains("The username, email or password is incorrect."));
    // Other accounts are not slowed.
    server.user("bob").await;
    let other = Browser::new(&server.base);
    let page = other.open(&authorize_url(server, &web, "openid")).await.page();
    let started = std::time::Instant::now();
    let (_, params) = other.sign_in(&page, "bob", PASSWORD).await.client();
    assert!(params.contains_key("code"));
    assert!(started.elapsed() < std::time::Duration::from_millis(1000));
}

async fn a_forged_csrf_token_is_refused(server: &TestServer) {
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let step = browser.submit(&page, &[("identifier", "ada"), ("password", PASSWORD), ("csrf", "forged")], None).await;
    let page = step.page();
    assert_eq!(page.status, 400);
    assert!(page.text().contains("expired"));
    // A different browser cannot finish this browser's interaction either.
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let thief = Browser::new(&server.base);
    let stolen = thief.sign_in(&page, "ada", PASSWORD).await.page();
    assert_eq!(stolen.status, 400);
}

async fn prompt_none_never_shows_a_page(server: &TestServer) {
    server.user("ada").await;
    let partner = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let browser = Browser::new(&server.base);
    let url = format!("{}&prompt=none", authorize_url(server, &partner, "openid email"));
    let (_, params) = browser.open(&url).await.client();
    assert_eq!(params.get("error").map(String::as_str), Some("login_required"));
    // Signed in, but this third-party app has no consent yet.
    let page = browser.open(&authorize_url(server, &partner, "openid email")).await.page();
    let consent = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert!(consent.url.contains("/consent"));
    let (_, params) = browser.open(&url).await.client();
    assert_eq!(params.get("error").map(String::as_str), Some("consent_required"));
    browser.consent(&browser.open(&authorize_url(server, &partner, "openid email")).await.page(), true).await.client();
    let (_, params) = browser.open(&url).await.client();
    assert!(params.contains_key("code"), "session and consent: a code without any page");
}

async fn session_cookies_are_http_only_and_same_site(server: &TestServer) {
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let (_, fields) = page.form();
    let res = browser.http().post(server.url("/sign-in")).form(&[
        ("interaction", fields.iter().find(|f| f.0 == "interaction").unwrap().1.as_str()),
        ("csrf", fields.iter().find(|f| f.0 == "csrf").unwrap().1.as_str()),
        ("identifier", "ada"),
        ("password", PASSWORD),
    ]);
    let res = res.send().await.unwrap();
    let cookies: Vec<String> =
        res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let session = cookies.iter().find(|c| c.starts_with("latch_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "http public URL: no Secure flag");
}

async fn prompt_login_and_max_age_force_a_new_sign_in(server: &TestServer) {
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    code_for(&browser, &authorize_url(server, &web, "openid")).await;
    for extra in ["&prompt=login", "&max_age=0"] {
        let page = browser.open(&format!("{}{extra}", authorize_url(server, &web, "openid"))).await.page();
        assert!(page.url.contains("/sign-in"), "{extra} shows the sign-in page");
    }
    let (_, params) = browser.open(&format!("{}&max_age=3600", authorize_url(server, &web, "openid"))).await.client();
    assert!(params.contains_key("code"), "a recent sign-in satisfies max_age");
    // The forced sign-in is a new authentication: auth_time moves forward.
    let web_ref = &web;
    let auth_time = |code: String| async move {
        let (_, body) = exchange(server, web_ref, &code, &[]).await;
        let claims = crate::oidc_flows::verify_with_jwks(server, body["id_token"].as_str().unwrap(), "JWT").await;
        claims["auth_time"].as_i64().unwrap()
    };
    let before = auth_time(params["code"].clone()).await;
    server.clock.advance(5);
    let page = browser.open(&format!("{}&prompt=login", authorize_url(server, &web, "openid"))).await.page();
    let (_, params) = browser.sign_in(&page, "ada", PASSWORD).await.client();
    let after = auth_time(params["code"].clone()).await;
    assert!(after >= before + 5, "auth_time updated by the new sign-in: {before} → {after}");
}

async fn token_endpoint_failures_are_rate_limited_per_ip(server: &TestServer) {
    let web = web_app(server).await;
    let bad = TestClient { secret: Some("wrong".into()), ..web.clone() };
    for _ in 0..100 {
        let (s, _, _) = token(server, &bad, &[("grant_type", "client_credentials")]).await;
        assert_eq!(s, 401);
    }
    let (s, headers, b) = token(server, &web, &[("grant_type", "client_credentials")]).await;
    assert_eq!((s, b["error"].as_str()), (429, Some("slow_down")));
    assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_refused() {
    let server = TestServer::start(Backends::Embedded).await.expect("server");
    let web = web_app(&server).await;
    let browser = Browser::new(&server.base);
    let code = code_for(&browser, &authorize_url(&server, &web, "openid")).await;
    // DESIGN.md: a code lives 60 s. Past that on the server's clock, it is refused.
    server.clock.advance(61);
    let (s, b) = exchange(&server, &web, &code, &[]).await;
    assert_eq!((s, b["error"].as_str()), (400, Some("invalid_grant")));
}

async fn cors_answers_only_registered_browser_origins(server: &TestServer) {
    server.app("spa", AppType::Spa, false, &["https://spa.example.com/callback"]).await;
    web_app(server).await;
    for path in ["/oidc/token", "/oidc/me", "/oidc/jwks", "/oidc/.well-known/openid-configuration"] {
        for (origin, allowed) in
            [("https://spa.example.com", true), ("https://web.example.com", false), ("https://evil.example", false)]
        {
            let preflight = http()
                .request(reqwest::Method::OPTIONS, server.url(path))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap();
            assert!(preflight.status().is_success(), "{path}");
            let acao = preflight.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(acao.as_deref(), allowed.then_some(origin), "preflight {path} from {origin}");
            let res = http().get(server.url(path)).header("origin", origin).send().await.unwrap();
            let acao = res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(acao.as_deref(), allowed.then_some(origin), "GET {path} from {origin}");
        }
    }
}

/// The error bodies clients parse, pinned so a change shows in review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_snapshot() {
    let server = TestServer::start(Backends::Embedded).await.expect("server");
    let web = web_app(&server).await;
    let (_, _, unknown_code) = token(
        &server,
        &web,
        &[("grant_type", "authorization_code"), ("code", "nope"), ("redirect_uri", &web.redirect_uri)],
    )
    .await;
    let (_, _, grant_type) = token(&server, &web, &[("grant_type", "password")]).await;
    let (_, _, missing) = token(&server, &web, &[("code", "x")]).await;
    let bad = TestClient { secret: Some("wrong".into()), ..web.clone() };
    let (_, _, client) = token(&server, &bad, &[("grant_type", "client_credentials")]).await;
    let (_, _, m2m_only) = token(&server, &web, &[("grant_type", "client_credentials")]).await;
    let userinfo: Value =
        http().get(format!("{}/me", server.issuer)).bearer_auth("nope").send().await.unwrap().json().await.unwrap();
    insta::assert_json_snapshot!(serde_json::json!({
        "unknown_code": unknown_code,
        "unsupported_grant_type": grant_type,
        "missing_grant_type": missing,
        "wrong_secret": client,
        "client_credentials_for_a_web_app": m2m_only,
        "userinfo_unknown_token": userinfo,
    }));
}

async fn own_urls_are_absolute_and_built_from_public_url(server: &TestServer) {
    let web = web_app(server).await;
    // A Host header naming another site must not leak into what Latch emits.
    let res = http().get(authorize_url(server, &web, "openid")).header("host", "evil.example").send().await.unwrap();
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("{}/sign-in?interaction=", server.base)), "{location}");
    let page = http().get(location).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"{}/assets/latch.css\"", server.base)));
}

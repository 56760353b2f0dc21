//! Issue 13, hardening: what a browser or a script sending malformed requests to the end-user
//! pages gets back. Always a readable HTML page with a 4xx, never actix-web's plain-text
//! message naming Rust fields, never a 5xx, and the server stays healthy.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Branding};
use serde_json::json;

on_both_backends!(
    malformed_end_user_requests_get_readable_pages,
    the_root_leads_somewhere,
    the_sign_in_page_is_branded_and_escapes_what_it_shows,
    end_user_pages_speak_french_when_asked,
    a_new_sign_in_replaces_the_session_and_consent_checks_suspension,
    the_identity_provider_is_branded_on_every_page,
);

/// Sends `req` and checks that the answer is a 4xx HTML page a person can read.
async fn readable(what: &str, req: reqwest::RequestBuilder) {
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.text().await.unwrap();
    assert!(status.is_client_error(), "{what}: a 4xx, got {status}: {body}");
    assert!(content_type.starts_with("text/html"), "{what}: an HTML page, got {content_type:?}: {body}");
    assert!(body.contains("<h1>"), "{what}: a page with a heading: {body}");
    for raw in ["deserialize", "missing field", "Content type error", "Payload", "interaction`"] {
        assert!(!body.contains(raw), "{what}: no framework message ({raw:?}) in {body}");
    }
}

async fn malformed_end_user_requests_get_readable_pages(server: &TestServer) {
    let base = &server.base;
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("GET /sign-in without an interaction", http().get(format!("{base}/sign-in"))),
        ("GET /consent without an interaction", http().get(format!("{base}/consent"))),
        ("GET /sign-in with invalid percent-encoding", http().get(format!("{base}/sign-in?interaction=%ZZ%"))),
        ("POST /sign-in without fields", http().post(format!("{base}/sign-in")).header("content-type", form).body("")),
        (
            "POST /sign-in as JSON",
            http().post(format!("{base}/sign-in")).json(&serde_json::json!({"identifier": "a", "password": "b"})),
        ),
        (
            "POST /sign-in with invalid UTF-8",
            http().post(format!("{base}/sign-in")).header("content-type", form).body(vec![b'i', b'=', 0xff, 0xfe]),
        ),
        (
            "POST /sign-in larger than 64 KiB",
            http()
                .post(format!("{base}/sign-in"))
                .header("content-type", form)
                .body(format!("identifier={}", "a".repeat(70_000))),
        ),
        ("POST /consent without fields", http().post(format!("{base}/consent")).header("content-type", form).body("")),
        (
            "POST /account/apps/revoke without fields",
            http().post(format!("{base}/account/apps/revoke")).header("content-type", form).body("x=1"),
        ),
        (
            "POST /oidc/session/end/confirm as text",
            http()
                .post(format!("{}/session/end/confirm", server.issuer))
                .header("content-type", "text/plain")
                .body("yes"),
        ),
    ];
    for (what, req) in cases {
        readable(what, req).await;
    }
    let health = http().get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server stays healthy");
}

async fn the_root_leads_somewhere(server: &TestServer) {
    let res = http().get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 302, "/ is not an empty 404");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("/console/") || to.ends_with("/console"), "/ leads to the console: {to}");
}

/// The sign-in page names the app as its branding does, and every value an attacker controls
/// (the `login_hint`, the branded name) arrives escaped: the templates escape by construction.
async fn the_sign_in_page_is_branded_and_escapes_what_it_shows(server: &TestServer) {
    let client = server.app("holdout", AppType::Traditional, true, &["https://holdout.example.com/cb"]).await;
    server
        .repos
        .put_branding(&Branding {
            application_id: "holdout".into(),
            display_name: Some("Holdout <script>alert(1)</script>".into()),
            logo_url: Some("https://holdout.example.com/logo.svg".into()),
            dark_logo_url: None,
            terms_of_use_url: None,
            privacy_policy_url: None,
            color: None,
            updated_at: Timestamp(1),
        })
        .await
        .unwrap();
    let hint = "\"><img src=x onerror=alert(2)>";
    let url = format!(
        "{}&login_hint={}",
        authorize_url(server, &client, "openid"),
        url::form_urlencoded::byte_serialize(hint.as_bytes()).collect::<String>()
    );
    let page = Browser::new(&server.base).open(&url).await.page();
    assert!(page.url.contains("/sign-in"), "{}", page.url);
    let text = page.text().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("to continue to Holdout <script>alert(1)</script>"), "the branded name: {text}");
    assert!(!text.contains("App holdout"), "not the internal name: {text}");
    assert!(page.html.contains("Holdout &#60;script&#62;") || page.html.contains("Holdout &lt;script&gt;"));
    assert!(!page.html.contains("<script>alert(1)"), "no script from the branding: {}", page.html);
    assert!(!page.html.contains("<img src=x"), "no element from the login_hint: {}", page.html);
    let doc = scraper::Html::parse_document(&page.html);
    let input = doc.select(&scraper::Selector::parse("#identifier").unwrap()).next().expect("identifier field");
    assert_eq!(input.value().attr("value"), Some(hint), "the hint is the field's value, nothing more");
    assert!(page.html.contains("<img class=\"logo\" src=\"https://holdout.example.com/logo.svg\""), "{}", page.html);
    // RFC 9700 §4.2.4: the page (and its logo request) leaks no URL through the Referer.
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    assert_eq!(page.headers["x-frame-options"], "DENY");
}

/// The pages speak the reader's language: `ui_locales` first, then `Accept-Language`; error
/// pages too, and a wrong password reads the same in either.
async fn end_user_pages_speak_french_when_asked(server: &TestServer) {
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    server.user("ada").await;
    let french = Browser::speaking(&server.base, "fr-FR, fr;q=0.9, en;q=0.5");
    let page = french.open(&authorize_url(server, &client, "openid")).await.page();
    let text = page.text();
    for expected in ["Connexion", "pour continuer vers", "Mot de passe", "Se connecter"] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(page.html.contains("<html lang=\"fr\""), "{}", page.html);
    let failed = french.sign_in(&page, "ada", "wrong password").await.page();
    assert_eq!(failed.status, 401);
    assert!(failed.text().contains("Le nom d’utilisateur, l’e-mail ou le mot de passe est incorrect."));

    // ui_locales wins over the browser.
    let url = format!("{}&ui_locales=fr", authorize_url(server, &client, "openid"));
    let page = Browser::new(&server.base).open(&url).await.page();
    assert!(page.text().contains("Mot de passe"), "{}", page.text());

    // Error pages.
    let expired = french.open(&format!("{}/sign-in?interaction=gone", server.base)).await.page();
    assert_eq!(expired.status, 400);
    assert!(expired.text().contains("Cette connexion a expiré"), "{}", expired.text());
    let unreadable = french.open(&format!("{}/consent", server.base)).await.page();
    assert!(unreadable.text().contains("Cette page ne peut pas être affichée"), "{}", unreadable.text());
    let bad = french.open(&format!("{}/auth?client_id=nobody", server.issuer)).await.page();
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("Cette demande de connexion ne peut pas aboutir"), "{}", bad.text());
    assert!(bad.text().contains("Pour le développeur de l’application"), "{}", bad.text());
    let english = Browser::new(&server.base).open(&format!("{}/auth?client_id=nobody", server.issuer)).await.page();
    assert!(english.text().contains("This sign-in request cannot be completed"), "{}", english.text());
}

/// Signing in again in the same browser ends the session it replaces; the consent page checks
/// suspension like the token endpoint: a user suspended while it is open gets no code.
async fn a_new_sign_in_replaces_the_session_and_consent_checks_suspension(server: &TestServer) {
    let web = server.app("web", AppType::Traditional, false, &["https://web.example.com/cb"]).await;
    let ada = server.user("ada").await;
    let bob = server.user("bob").await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &web, "openid")).await.page();
    let (_, params) = browser.sign_in(&page, "ada", PASSWORD).await.client();
    assert!(params.contains_key("code"));
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1);
    let page = browser.open(&format!("{}&prompt=login", authorize_url(server, &web, "openid"))).await.page();
    let (_, params) = browser.sign_in(&page, "bob", PASSWORD).await.client();
    assert!(params.contains_key("code"));
    assert!(server.repos.list_user_sessions(&ada.id).await.unwrap().is_empty(), "ada's session ended");
    assert_eq!(server.repos.list_user_sessions(&bob.id).await.unwrap().len(), 1);

    let partner = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let carol = server.user("carol").await;
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &partner, "openid email")).await.page();
    let consent = browser.sign_in(&page, "carol", PASSWORD).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    let mut suspended = server.repos.get_user(&carol.id).await.unwrap().unwrap();
    suspended.is_suspended = true;
    server.repos.update_user(&suspended).await.unwrap();
    match browser.consent(&consent, true).await {
        crate::browser::Step::Page(p) => {
            assert_eq!(p.status, 400, "{}", p.html);
            assert!(p.text().contains("This sign-in has expired"), "{}", p.text());
        }
        crate::browser::Step::Client { url, .. } => panic!("a suspended user got sent to the app: {url}"),
    }
    let reload = browser.open(&consent.url).await.page();
    assert_eq!(reload.status, 400, "the consent page is not shown to a suspended user");
}

/// An operator brands the identity provider itself: organisation name, logo, favicon, accent
/// colours (refused when text on them would be unreadable) and custom CSS, on every end-user
/// page, error pages included.
async fn the_identity_provider_is_branded_on_every_page(server: &TestServer) {
    let admin = server.admin().await;
    let empty = admin.get("/sign-in-experience").await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["organizationName"], serde_json::Value::Null, "{}", empty.body);

    // White text on #748ffc (the dark-mode button of old) is 2.96:1.
    let low = admin.put("/sign-in-experience", json!({"accentColor": "#748ffc"})).await;
    assert_eq!(low.status, 422, "{}", low.body);
    assert_eq!(low.body["code"], "branding.low_contrast", "{}", low.body);
    assert!(low.body.to_string().contains("accentColor"), "names the field: {}", low.body);
    assert!(low.body.to_string().contains("2.96:1"), "gives the ratio: {}", low.body);
    let dark = admin.put("/sign-in-experience", json!({"darkAccentColor": "#1c3d8c"})).await;
    assert_eq!((dark.status, dark.body["code"].as_str()), (422, Some("branding.low_contrast")), "{}", dark.body);
    let bad_url = admin.put("/sign-in-experience", json!({"faviconUrl": "javascript:alert(1)"})).await;
    assert_eq!((bad_url.status, bad_url.body["code"].as_str()), (422, Some("branding.invalid_url")));

    let set = admin
        .put(
            "/sign-in-experience",
            json!({
                "organizationName": "Acme <Identity>",
                "logoUrl": "https://acme.example.com/logo.svg",
                "faviconUrl": "https://acme.example.com/favicon.ico",
                "accentColor": "#1864ab",
                "darkAccentColor": "#74c0fc",
                "customCss": ".card { border: 2px solid var(--accent); }",
            }),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(admin.get("/sign-in-experience").await.body["accentColor"], "#1864ab");

    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let page = Browser::new(&server.base).open(&authorize_url(server, &client, "openid")).await.page();
    let doc = scraper::Html::parse_document(&page.html);
    let one = |css: &str| doc.select(&scraper::Selector::parse(css).unwrap()).next().map(|e| e.html());
    let header = one("header.brand").expect("the branded header");
    assert!(header.contains("Acme &lt;Identity&gt;"), "the name, escaped: {header}");
    assert!(header.contains("src=\"https://acme.example.com/logo.svg\""), "{header}");
    assert!(one("link[rel=icon][href=\"https://acme.example.com/favicon.ico\"]").is_some(), "{}", page.html);
    let title = doc.select(&scraper::Selector::parse("title").unwrap()).next().unwrap().text().collect::<String>();
    assert_eq!(title, "Sign in – Acme <Identity>");
    assert!(!page.html.contains("<Identity>"), "escaped everywhere: {}", page.html);
    let css_href = doc
        .select(&scraper::Selector::parse("link[rel=stylesheet]").unwrap())
        .filter_map(|l| l.value().attr("href"))
        .find(|h| h.contains("/assets/brand.css"))
        .expect("the brand stylesheet")
        .to_owned();
    let css = http().get(&css_href).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let css = css.text().await.unwrap();
    assert!(css.contains("--accent: #1864ab; --on-accent: #fff;"), "{css}");
    assert!(css.contains("--accent: #74c0fc; --on-accent: #141517;"), "{css}");
    assert!(css.contains(".card { border: 2px solid var(--accent); }"), "{css}");
    let error = Browser::new(&server.base).open(&format!("{}/sign-in?interaction=gone", server.base)).await.page();
    let org = scraper::Html::parse_document(&error.html)
        .select(&scraper::Selector::parse("header.brand .org").unwrap())
        .next()
        .map(|e| e.text().collect::<String>());
    assert_eq!(org.as_deref(), Some("Acme <Identity>"), "error pages are branded too: {}", error.html);

    let log = admin.get("/audit-logs?action=sign_in_experience.set").await;
    assert_eq!(log.total, Some(1), "one audited change: {}", log.body);

    // Cleared: the pages go back to Latch's own look.
    assert_eq!(admin.put("/sign-in-experience", json!({})).await.status, 200);
    let plain = Browser::new(&server.base).open(&authorize_url(server, &client, "openid")).await.page();
    assert!(!plain.html.contains("header class=\"brand\"") && !plain.html.contains("brand.css"), "{}", plain.html);
}

/// A whole life of a grant against the real `latch serve` logging at `trace`: sign-in, code,
/// exchange, userinfo, refresh, introspection, revocation, sign-out with an `id_token_hint`,
/// and admin API calls. No password, client secret, code, token, cookie or hint may appear in
/// the log or in the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_secret_reaches_the_logs_or_the_audit_log_at_trace_level() {
    use crate::review_input::Served;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let served = Served::start_with(dir.path(), &data, &[("RUST_LOG", "trace")]).await;
    let base = served.base.clone();
    let robot = served.admin_robot(dir.path(), &data, &http()).await;
    let (robot_secret, admin_token) = (robot.secret.clone(), robot.token.clone());
    let user_password = "leaky-password-7f3a9c correct horse";
    robot.create("/users", json!({"username": "leaky", "password": user_password})).await;
    let app = robot
        .create(
            "/applications",
            json!({"name": "Leak check", "type": "Traditional",
                "oidcClientMetadata": {"redirectUris": ["https://rp.example.com/cb"],
                    "postLogoutRedirectUris": ["https://rp.example.com/bye"]}}),
        )
        .await;
    let client_id = app["id"].as_str().unwrap().to_owned();
    let client_secret = app["secret"].as_str().expect("a secret").to_owned();

    // Sign in and get a code.
    let browser = Browser::new(&base);
    let auth = format!(
        "{base}/oidc/auth?client_id={client_id}&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&response_type=code\
         &scope=openid%20email%20offline_access&prompt=consent&state=leak-state&nonce=leak-nonce&login_hint=leaky"
    );
    let page = browser.open(&auth).await.page();
    let (_, params) = match browser.sign_in(&page, "leaky", user_password).await {
        crate::browser::Step::Client { url, params } => (url, params),
        crate::browser::Step::Page(consent) => browser.consent(&consent, true).await.client(),
    };
    let code = params["code"].clone();
    let token = |form: Vec<(&'static str, String)>| {
        http().post(format!("{base}/oidc/token")).basic_auth(&client_id, Some(&client_secret)).form(&form).send()
    };
    let tokens: serde_json::Value = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.clone()),
        ("redirect_uri", "https://rp.example.com/cb".into()),
    ])
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let access = tokens["access_token"].as_str().expect("access token").to_owned();
    let refresh = tokens["refresh_token"].as_str().expect("refresh token").to_owned();
    let id_token = tokens["id_token"].as_str().expect("id token").to_owned();
    // A wrong secret, userinfo, refresh, introspection, revocation, then a replayed code.
    let wrong_secret = "not-the-secret-0b1c2d3e4f";
    let refused = http()
        .post(format!("{base}/oidc/token"))
        .basic_auth(&client_id, Some(wrong_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let me = http().get(format!("{base}/oidc/me")).bearer_auth(&access).send().await.unwrap();
    assert!(me.status().as_u16() < 500);
    let renewed: serde_json::Value =
        token(vec![("grant_type", "refresh_token".into()), ("refresh_token", refresh.clone())])
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let refresh2 = renewed["refresh_token"].as_str().expect("a rotated refresh token").to_owned();
    for (path, t) in [("/oidc/token/introspection", &refresh2), ("/oidc/token/revocation", &refresh2)] {
        let res = http()
            .post(format!("{base}{path}"))
            .basic_auth(&client_id, Some(&client_secret))
            .form(&[("token", t.as_str())])
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert_eq!(status, 200, "{path}: {}", res.text().await.unwrap());
    }
    let replay = token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.clone()),
        ("redirect_uri", "https://rp.example.com/cb".into()),
    ])
    .await
    .unwrap();
    assert_eq!(replay.status(), 400);
    let logout = browser
        .http()
        .get(format!(
            "{base}/oidc/session/end?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye"
        ))
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_redirection(), "{}", logout.status());
    let audit: serde_json::Value =
        robot.api(reqwest::Method::GET, "/audit-logs?pageSize=100").send().await.unwrap().json().await.unwrap();

    let logs = served.wait_for_log("/oidc/session/end").await;
    let traced = logs.lines().filter(|l| l.contains("TRACE")).count();
    assert!(traced > 20, "the log is at trace level ({traced} trace lines):\n{}", &logs[..2000.min(logs.len())]);
    assert!(logs.contains("/oidc/token") && logs.contains("/oidc/me"), "the requests are in the log");
    let audit = audit.to_string();
    assert!(audit.contains("application.create"), "the audit log is read: {audit}");
    for (what, secret) in [
        ("the user's password", user_password),
        ("the admin robot's secret", robot_secret.as_str()),
        ("the admin token", admin_token.as_str()),
        ("the client secret", client_secret.as_str()),
        ("a wrong client secret", wrong_secret),
        ("the code", code.as_str()),
        ("the access token", access.as_str()),
        ("the refresh token", refresh.as_str()),
        ("the rotated refresh token", refresh2.as_str()),
        ("the ID token (and id_token_hint)", id_token.as_str()),
    ] {
        assert!(!secret.is_empty(), "{what} was issued");
        assert!(!logs.contains(secret), "{what} is in the log");
        assert!(!audit.contains(secret), "{what} is in the audit log");
    }
}

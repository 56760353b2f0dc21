//! Issue 13, hardening: what a browser or a script sending malformed requests to the end-user
//! pages gets back. Always a readable HTML page with a 4xx, never actix-web's plain-text
//! message naming Rust fields, never a 5xx, and the server stays healthy.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Branding};

on_both_backends!(
    malformed_end_user_requests_get_readable_pages,
    the_root_leads_somewhere,
    the_sign_in_page_is_branded_and_escapes_what_it_shows,
    end_user_pages_speak_french_when_asked,
    a_new_sign_in_replaces_the_session_and_consent_checks_suspension,
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

//! Issue 15, email verification and password reset, with a real SMTP server (aiosmtpd) taking
//! the codes: sign-up → verify → consent → token; verification required before sign-in; a
//! reset that ends every other session and revokes the apps' refresh tokens; codes that are
//! wrong, replayed, expired or guessed too often refused; nothing said about which addresses
//! have accounts. On SQLite + memory and Postgres + Redis.

use crate::browser::{Browser, Page, Step};
use crate::email::Sink;
use crate::harness::{Backends, PASSWORD, TestClient, TestServer, test_python};
use crate::oidc_flows::{authorize_url, http};
use latch::config::SmtpTls;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, FactorKind, Grant, GrantDetails, MfaFactor, RefreshTokenRecord, User};
use latch_domain::ids::{ApplicationId, FactorId, GrantId, UserId};
use latch_domain::repo::Write;
use serde_json::{Value, json};
use std::time::Duration;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const REDIRECT: &str = "https://partner.example.com/cb";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_by_email_on_the_embedded_backends() {
    run(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn codes_by_email_on_postgres_and_redis() {
    run(Backends::Production).await;
}

/// A server sending through `sink`, with sign-up by email on.
pub(crate) async fn start(backends: Backends, sink: &Sink) -> Option<TestServer> {
    let port = sink.port;
    let server = TestServer::start_with(backends, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = Some(port);
        c.smtp.tls = SmtpTls::None;
        c.smtp.from = Some("Acme Identity <no-reply@acme.example>".into());
    })
    .await?;
    let put = server
        .admin()
        .await
        .put("/sign-in-experience", json!({"signUp": "email", "organizationName": "Acme", "accentColor": "#3b5bdb"}))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    Some(server)
}

async fn run(backends: Backends) {
    let Some(python) = test_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(&python, dir.path(), "mail", &[]);
    let Some(server) = start(backends, &sink).await else { return };
    let mut mailbox = Mailbox { sink: &sink, seen: 0 };
    let partner = server.app("partner", AppType::Spa, true, &[REDIRECT]).await;
    sign_up_verify_consent_and_token(&server, &mut mailbox, &partner).await;
    verification_required_before_sign_in(&server, &mut mailbox, &partner).await;
    reset_then_sign_in(&server, &mut mailbox, &partner).await;
    a_reset_ends_a_verification_someone_else_began(&server, &mut mailbox, &partner).await;
    a_reset_still_asks_for_the_second_factor(&server, &mut mailbox, &partner).await;
}

/// The messages of a sink, read in order.
pub(crate) struct Mailbox<'a> {
    pub(crate) sink: &'a Sink,
    pub(crate) seen: usize,
}

impl Mailbox<'_> {
    /// The next message (delivery happens after the page answers: it is waited for).
    pub(crate) async fn next(&mut self) -> Value {
        for _ in 0..100 {
            if let Some(m) = self.sink.messages().into_iter().nth(self.seen) {
                self.seen += 1;
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message arrived after {} messages", self.seen);
    }

    /// Nothing more arrived (after a moment for a delivery under way).
    pub(crate) async fn is_empty(&self) -> bool {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.sink.messages().len() == self.seen
    }
}

/// A page's text with its white space collapsed.
pub(crate) fn words(page: &Page) -> String {
    page.text().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An account with `email`, never verified, and [`PASSWORD`].
async fn unverified(server: &TestServer, id: &str, email: &str) -> User {
    let user = User {
        id: UserId::from(id),
        primary_email: Some(email.into()),
        password_hash: Some(server.hasher.hash(PASSWORD, &[3; 16]).unwrap()),
        custom_data: json!({}),
        ..Default::default()
    };
    server.repos.insert_user(&user).await.unwrap();
    user
}

/// The newest audit entries of `action`, once there is one (security events of work done after
/// the answer are written a moment later).
async fn audited(server: &TestServer, action: &str) -> Value {
    let admin = server.admin().await;
    for _ in 0..100 {
        let got = admin.get(&format!("/audit-logs?action={action}")).await.body;
        if got.as_array().is_some_and(|a| !a.is_empty()) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {action} entry");
}

/// The code in a message: the six digits on a line of their own.
pub(crate) fn code_in(message: &Value) -> String {
    let text = message["text"].as_str().unwrap();
    let line = text.lines().map(str::trim).find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()));
    line.unwrap_or_else(|| panic!("no code in {text}")).to_owned()
}

pub(crate) fn sign_in_url(server: &TestServer, client: &TestClient, extra: &str) -> String {
    format!(
        "{}&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        authorize_url(server, client, "openid email profile")
    )
}

/// The href of the link whose text contains `text`.
fn link(page: &Page, text: &str) -> String {
    let doc = scraper::Html::parse_document(&page.html);
    let a = scraper::Selector::parse("a").unwrap();
    let found = doc.select(&a).find(|e| e.text().collect::<String>().contains(text));
    found.and_then(|e| e.value().attr("href").map(str::to_owned)).unwrap_or_else(|| panic!("no `{text}` link"))
}

/// Posts the page's interaction and CSRF token with `fields` to `path` (a second form of the
/// page, such as "Send a new code").
async fn post(browser: &Browser, server: &TestServer, page: &Page, path: &str, fields: &[(&str, &str)]) -> Page {
    let (_, hidden) = page.form();
    let mut form: Vec<(String, String)> =
        hidden.into_iter().filter(|(k, _)| k == "interaction" || k == "csrf").collect();
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let res = browser.http().post(server.url(path)).form(&form).send().await.unwrap();
    assert!(!res.status().is_redirection(), "{}", res.status());
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page { status, url: server.url(path), html: res.text().await.unwrap(), headers }
}

pub(crate) async fn tokens(server: &TestServer, client: &TestClient, code: &str) -> Value {
    http()
        .post(format!("{}/token", server.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client.id.as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn sign_up_verify_consent_and_token(server: &TestServer, mail: &mut Mailbox<'_>, partner: &TestClient) {
    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(server, partner, "")).await.page();
    let form = browser.open(&link(&sign_in, "Create one")).await.page();
    let verify = browser
        .submit(&form, &[("identifier", "eve@example.com"), ("name", "Eve"), ("password", PASSWORD)], None)
        .await
        .page();
    assert!(verify.url.contains("/verify-email"), "{}", verify.url);
    assert!(words(&verify).contains("We sent a 6-digit code to eve@example.com"), "{}", verify.text());
    assert!(verify.html.contains("autocomplete=\"one-time-code\""));
    assert!(verify.html.contains("value=\"skip\""), "not required: the user may skip");

    // The message: to the new address, branded, in the reader's language, text and HTML.
    let message = mail.next().await;
    assert_eq!(message["to"], json!(["eve@example.com"]));
    assert_eq!(message["subject"], "Acme: your verification code");
    let code = code_in(&message);
    let html = message["html"].as_str().unwrap();
    assert!(html.contains(&code) && html.contains("Acme") && html.contains("#3b5bdb"), "{html}");
    assert!(message["text"].as_str().unwrap().contains("expires in 10 minutes"), "{message}");
    let eve = server.repos.find_user_by_login("eve@example.com").await.unwrap().unwrap();
    assert!(!eve.email_verified);
    let stored = server.core.cache.get(&format!("email-code:verify_email:{}", eve.id)).await.unwrap().unwrap();
    assert!(!stored.contains(&code), "only a MAC of the code is kept: {stored}");

    // A wrong code is refused in words; the right one verifies, signs in and goes on to consent.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser.submit(&verify, &[("code", wrong)], Some(("action", "verify"))).await.page();
    assert_eq!(refused.status, 422);
    assert!(words(&refused).contains("This code is not right"), "{}", refused.text());
    let consent = browser.submit(&refused, &[("code", &code)], Some(("action", "verify"))).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    let Step::Client { params, .. } = browser.consent(&consent, true).await else { panic!("expected the app") };
    let tokens = tokens(server, partner, &params["code"]).await;
    let id_token = tokens["id_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    let claims = crate::registration::jwt_claims(id_token);
    assert_eq!((claims["email"].as_str(), claims["email_verified"].as_bool()), (Some("eve@example.com"), Some(true)));
    let eve = server.repos.get_user(&eve.id).await.unwrap().unwrap();
    assert!(eve.email_verified);
    let audit = server.admin().await.get("/audit-logs?action=user.email_verified").await;
    assert_eq!(audit.body[0]["actor"], format!("user:{}", eve.id), "{}", audit.body);
    let trail = server.admin().await.get("/audit-logs?action=security.sign_up").await;
    assert_eq!(trail.body.as_array().map(Vec::len), Some(1), "{}", trail.body);

    // Skipping: another new account goes straight on, unverified; its code stays unused.
    let other = Browser::new(&server.base);
    let sign_in = other.open(&sign_in_url(server, partner, "")).await.page();
    let form = other.open(&link(&sign_in, "Create one")).await.page();
    let verify = other.submit(&form, &[("identifier", "sam@example.com"), ("password", PASSWORD)], None).await.page();
    mail.next().await;
    let (_, hidden) = verify.form();
    let mut skip: Vec<(String, String)> = hidden.into_iter().filter(|(k, _)| k != "code").collect();
    skip.push(("action".into(), "skip".into()));
    let res = other.http().post(server.url("/verify-email")).form(&skip).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"].to_str().unwrap().contains("/consent"));
    let sam = server.repos.find_user_by_login("sam@example.com").await.unwrap().unwrap();
    assert!(!sam.email_verified);
}

async fn verification_required_before_sign_in(server: &TestServer, mail: &mut Mailbox<'_>, partner: &TestClient) {
    let admin = server.admin().await;
    let mut experience = admin.get("/sign-in-experience").await.body;
    experience["requireVerifiedEmail"] = json!(true);
    let put = admin.put("/sign-in-experience", experience.clone()).await;
    assert_eq!((put.status, put.body["requireVerifiedEmail"].as_bool()), (200, Some(true)), "{}", put.body);

    // Sam skipped verifying: signing in now asks for a code first, with no way around it.
    let browser = Browser::speaking(&server.base, "fr");
    let sign_in = browser.open(&sign_in_url(server, partner, "")).await.page();
    let verify = browser.sign_in(&sign_in, "sam@example.com", PASSWORD).await.page();
    assert!(verify.url.contains("/verify-email"), "{}", verify.url);
    assert!(!verify.html.contains("value=\"skip\""), "required: no skipping");
    let first = mail.next().await;
    assert_eq!(first["subject"], "Acme: votre code de vérification", "in the reader's language");
    assert!(first["text"].as_str().unwrap().contains("Il expire dans 10 minutes"), "{first}");
    let skipped = post(&browser, server, &verify, "/verify-email", &[("action", "skip")]).await;
    assert_eq!(skipped.status, 400, "{}", skipped.html);
    // The consent page is not reachable without the session verification gives.
    let interaction = verify.url.split("interaction=").nth(1).unwrap();
    let consent = browser.open(&server.url(&format!("/consent?interaction={interaction}"))).await.page();
    assert_eq!(consent.status, 400, "{}", consent.html);

    // A new code replaces the first; the first no longer works.
    let again = post(&browser, server, &verify, "/verify-email", &[("action", "resend")]).await;
    assert!(words(&again).contains("Un nouveau code"), "{}", again.text());
    let second = code_in(&mail.next().await);
    let old = code_in(&first);
    let mut tries = 0;
    if old != second {
        let refused = browser.submit(&again, &[("code", &old)], Some(("action", "verify"))).await.page();
        assert_eq!(refused.status, 422, "the replaced code is refused");
        tries += 1;
    }
    // Five wrong tries end the code: even the right one is refused after them.
    let wrong = if second == "000000" { "111111" } else { "000000" };
    let mut page = again;
    for _ in tries..5 {
        page = browser.submit(&page, &[("code", wrong)], Some(("action", "verify"))).await.page();
        assert_eq!(page.status, 422);
    }
    let ended = browser.submit(&page, &[("code", &second)], Some(("action", "verify"))).await.page();
    assert!(words(&ended).contains("Trop de codes erronés"), "{}", ended.text());
    let trail = admin.get("/audit-logs?action=security.email_code.refused").await;
    let reasons: Vec<&str> =
        trail.body.as_array().unwrap().iter().filter_map(|e| e["details"]["reason"].as_str()).collect();
    assert!(reasons.contains(&"too_many_tries") && reasons.contains(&"wrong"), "{reasons:?}");

    // A fresh code, used once, signs in; the same code in another sign-in is refused.
    let fresh = post(&browser, server, &ended, "/verify-email", &[("action", "resend")]).await;
    let code = code_in(&mail.next().await);
    let consent = browser.submit(&fresh, &[("code", &code)], Some(("action", "verify"))).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    let sam = server.repos.find_user_by_login("sam@example.com").await.unwrap().unwrap();
    assert!(sam.email_verified);
    // Verified accounts sign in without a code.
    let other = Browser::new(&server.base);
    let sign_in = other.open(&sign_in_url(server, partner, "")).await.page();
    let consent = other.sign_in(&sign_in, "sam@example.com", PASSWORD).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    assert!(mail.is_empty().await);

    // A code expires: ten minutes later it is refused.
    unverified(server, "user-late", "late@example.com").await;
    let late = Browser::new(&server.base);
    let sign_in = late.open(&sign_in_url(server, partner, "")).await.page();
    let verify = late.sign_in(&sign_in, "late@example.com", PASSWORD).await.page();
    let code = code_in(&mail.next().await);
    server.clock.advance(601);
    let expired = late.submit(&verify, &[("code", &code)], Some(("action", "verify"))).await.page();
    assert_eq!(expired.status, 422, "{}", expired.html);
    assert!(words(&expired).contains("This code has expired"), "{}", expired.text());

    experience["requireVerifiedEmail"] = json!(false);
    assert_eq!(admin.put("/sign-in-experience", experience).await.status, 200);
}

async fn reset_then_sign_in(server: &TestServer, mail: &mut Mailbox<'_>, partner: &TestClient) {
    let ada = server.user("ada").await;
    // Ada is signed in elsewhere, and an app holds a refresh token of hers.
    let elsewhere = Browser::new(&server.base);
    let sign_in = elsewhere.open(&sign_in_url(server, partner, "")).await.page();
    let consent = elsewhere.sign_in(&sign_in, "ada", PASSWORD).await.page();
    assert!(consent.url.contains("/consent"));
    let grant = Grant {
        id: GrantId::from("grant-ada"),
        user_id: ada.id.clone(),
        application_id: ApplicationId::from("partner"),
        details: GrantDetails { scopes: vec!["openid".into(), "offline_access".into()], ..Default::default() },
        created_at: Timestamp(1),
        updated_at: Timestamp(1),
        last_used_at: None,
    };
    server.repos.save_grant(&grant).await.unwrap();
    let now = server.core.clock.now();
    let refresh = RefreshTokenRecord {
        token_hash: "refresh-of-ada".into(),
        grant_id: grant.id.clone(),
        application_id: grant.application_id.clone(),
        user_id: ada.id.clone(),
        family: "family-ada".into(),
        scope: "openid offline_access".into(),
        resources: Default::default(),
        auth_time: now,
        amr: vec!["pwd".into()],
        issued_at: now,
        expires_at: now.plus_secs(86_400),
        consumed_at: None,
    };
    server.repos.insert_refresh_token(&refresh).await.unwrap();
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1);

    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(server, partner, "")).await.page();
    let ask = browser.open(&link(&sign_in, "Forgot your password?")).await.page();
    assert_eq!(ask.status, 200, "{}", ask.html);
    // An address no account has: the same answer, and no message.
    let unknown = browser.submit(&ask, &[("email", "nobody@example.com")], Some(("action", "send"))).await.page();
    assert_eq!(unknown.status, 200);
    assert!(words(&unknown).contains("If an account uses this address, we sent a 6-digit code to it"));
    assert!(mail.is_empty().await, "no message for an address without an account");
    let trail = audited(server, "security.email_code.not_sent").await;
    assert_eq!(
        (trail[0]["actor"].as_str(), trail[0]["details"]["reason"].as_str()),
        (Some("anonymous"), Some("no_account"))
    );
    let refused = browser
        .submit(&unknown, &[("code", "123456"), ("password", "a brand new passphrase")], Some(("action", "reset")))
        .await
        .page();
    assert_eq!(refused.status, 422);
    let refusal = "This code is not right or no longer works";
    assert!(words(&refused).contains(refusal), "{}", refused.text());

    // Ada's address: the same page, and a code.
    let sent = browser.submit(&ask, &[("email", "ADA@example.com")], Some(("action", "send"))).await.page();
    assert_eq!(sent.html.replace("ADA@example.com", "x"), unknown.html.replace("nobody@example.com", "x"));
    let message = mail.next().await;
    assert_eq!(
        (message["to"].clone(), message["subject"].as_str()),
        (json!(["ada@example.com"]), Some("Acme: reset your password"))
    );
    let code = code_in(&message);
    // A password the policy refuses does not spend the code; a wrong code reads as any refusal.
    let short =
        browser.submit(&sent, &[("code", &code), ("password", "short")], Some(("action", "reset"))).await.page();
    assert_eq!(short.status, 422);
    assert!(words(&short).contains("at least 8 characters"), "{}", short.text());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = browser
        .submit(&sent, &[("code", wrong), ("password", "a brand new passphrase")], Some(("action", "reset")))
        .await
        .page();
    assert!(words(&bad).contains(refusal), "{}", bad.text());
    // The right code: a new password, signed in here, on to the app.
    let consent = browser
        .submit(&sent, &[("code", &code), ("password", "a brand new passphrase")], Some(("action", "reset")))
        .await
        .page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    let sessions = server.repos.list_user_sessions(&ada.id).await.unwrap();
    assert_eq!(sessions.len(), 1, "every other session ended: only this browser's is left");
    assert_eq!(server.repos.get_refresh_token("refresh-of-ada").await.unwrap(), None, "apps signed out");
    assert!(server.repos.get_grant(&ada.id, &grant.application_id).await.unwrap().is_some(), "the grant stays");
    let audit = server.admin().await.get("/audit-logs?action=user.password_reset").await;
    assert_eq!(audit.body[0]["details"]["signedOutApps"], true, "{}", audit.body);
    assert!(audit.body[0]["details"]["ip"].is_string(), "{}", audit.body);

    // The code worked once: replayed from another browser, it is refused.
    let replay = Browser::new(&server.base);
    let sign_in = replay.open(&sign_in_url(server, partner, "")).await.page();
    let ask = replay.open(&link(&sign_in, "Forgot your password?")).await.page();
    let (_, hidden) = ask.form();
    let mut form: Vec<(String, String)> =
        hidden.into_iter().filter(|(k, _)| k == "interaction" || k == "csrf").collect();
    for (k, v) in
        [("action", "reset"), ("email", "ada@example.com"), ("code", &code), ("password", "an attacker's pick")]
    {
        form.push((k.into(), v.into()));
    }
    let res = replay.http().post(server.url("/reset-password")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(refusal));
    // The old password is gone, the new one signs in.
    let fresh = Browser::new(&server.base);
    let sign_in = fresh.open(&sign_in_url(server, partner, "")).await.page();
    assert_eq!(fresh.sign_in(&sign_in, "ada", PASSWORD).await.page().status, 401);
    let sign_in = fresh.open(&sign_in_url(server, partner, "")).await.page();
    assert!(fresh.sign_in(&sign_in, "ada", "a brand new passphrase").await.page().url.contains("/consent"));
}

/// Someone who knows an old password and signed up with another person's address (never
/// verified) waits on the verification page; the owner resets the password: the waiting step
/// ends, and whatever the other person connected is revoked, grants and all.
async fn a_reset_ends_a_verification_someone_else_began(
    server: &TestServer,
    mail: &mut Mailbox<'_>,
    partner: &TestClient,
) {
    let admin = server.admin().await;
    let mut experience = admin.get("/sign-in-experience").await.body;
    experience["requireVerifiedEmail"] = json!(true);
    assert_eq!(admin.put("/sign-in-experience", experience.clone()).await.status, 200);
    let owner = unverified(server, "user-owner", "owner@example.com").await;
    let grant = Grant {
        id: GrantId::from("grant-squatter"),
        user_id: owner.id.clone(),
        application_id: ApplicationId::from("partner"),
        details: GrantDetails { scopes: vec!["openid".into()], ..Default::default() },
        created_at: Timestamp(1),
        updated_at: Timestamp(1),
        last_used_at: None,
    };
    server.repos.save_grant(&grant).await.unwrap();
    let squatter = Browser::new(&server.base);
    let sign_in = squatter.open(&sign_in_url(server, partner, "")).await.page();
    let waiting = squatter.sign_in(&sign_in, "owner@example.com", PASSWORD).await.page();
    assert!(waiting.url.contains("/verify-email"), "{}", waiting.url);
    mail.next().await;

    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(server, partner, "")).await.page();
    let ask = browser.open(&link(&sign_in, "Forgot your password?")).await.page();
    let sent = browser.submit(&ask, &[("email", "owner@example.com")], Some(("action", "send"))).await.page();
    let code = code_in(&mail.next().await);
    let done = browser
        .submit(&sent, &[("code", &code), ("password", "only the owner knows")], Some(("action", "reset")))
        .await
        .page();
    assert!(done.url.contains("/consent"), "{}", done.url);

    // The waiting step is over: neither its page nor a skip gets anywhere.
    let gone = squatter.open(&waiting.url).await.page();
    assert_eq!(gone.status, 400, "{}", gone.html);
    assert!(words(&gone).contains("This sign-in has expired"), "{}", words(&gone));
    let skipped = post(&squatter, server, &waiting, "/verify-email", &[("action", "skip")]).await;
    assert_eq!(skipped.status, 400);
    assert!(server.repos.get_grant(&owner.id, &grant.application_id).await.unwrap().is_none(), "grant revoked");
    let audit = admin.get("/audit-logs?action=user.password_reset").await;
    let entry = &audit.body[0];
    assert_eq!((entry["targetId"].as_str(), entry["details"]["revokedGrants"].as_u64()), (Some("user-owner"), Some(1)));
    assert_eq!(entry["details"]["signedOutApps"], true, "{entry}");
    experience["requireVerifiedEmail"] = json!(false);
    assert_eq!(admin.put("/sign-in-experience", experience).await.status, 200);
}

/// Without an SMTP server nothing that needs email shows, and verification cannot be required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_there_is_no_reset_and_no_required_verification() {
    let Some(server) = TestServer::start(Backends::Embedded).await else { return };
    let partner = server.app("partner", AppType::Spa, true, &[REDIRECT]).await;
    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(&server, &partner, "")).await.page();
    assert!(!sign_in.html.contains("Forgot your password?"), "no reset link without email");
    let interaction = sign_in.url.split("interaction=").nth(1).unwrap();
    let reset = browser.open(&server.url(&format!("/reset-password?interaction={interaction}"))).await.page();
    assert_eq!(reset.status, 404, "{}", reset.html);
    let refused = server.admin().await.put("/sign-in-experience", json!({"requireVerifiedEmail": true})).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (409, Some("email.not_configured")),
        "{}",
        refused.body
    );
    // Sign-up by email still works, without a verification step.
    let put = server.admin().await.put("/sign-in-experience", json!({"signUp": "email"})).await;
    assert_eq!(put.status, 200);
    let sign_in = browser.open(&sign_in_url(&server, &partner, "")).await.page();
    let form = browser.open(&link(&sign_in, "Create one")).await.page();
    let next = browser.submit(&form, &[("identifier", "eve@example.com"), ("password", PASSWORD)], None).await.page();
    assert!(next.url.contains("/consent"), "{}", next.url);
}

/// A reset by email proves the address, not the second factor: an account with an
/// authenticator app gets the second step after choosing its new password, and no session
/// (so no app) before it.
async fn a_reset_still_asks_for_the_second_factor(server: &TestServer, mail: &mut Mailbox<'_>, partner: &TestClient) {
    let mia = server.user("mia").await;
    let secret = latch_oidc::mfa::new_totp_secret(server.core.random.as_ref());
    let sealed = latch_oidc::mfa::seal_totp_secret(&server.core.mfa_key(), &mia.id, &secret).unwrap();
    let factor = MfaFactor {
        id: FactorId::from("f-mia"),
        user_id: mia.id.clone(),
        kind: FactorKind::Totp,
        name: "Phone".into(),
        secret: sealed,
        last_used_step: None,
        created_at: Timestamp(1),
        last_used_at: None,
        credential_id: None,
    };
    server.repos.commit(vec![Write::InsertFactor(factor)]).await.unwrap();
    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(server, partner, "")).await.page();
    let ask = browser.open(&link(&sign_in, "Forgot your password?")).await.page();
    let sent = browser.submit(&ask, &[("email", "mia@example.com")], Some(("action", "send"))).await.page();
    let code = code_in(&mail.next().await);
    let fields = [("code", code.as_str()), ("password", "a brand new passphrase")];
    let second = browser.submit(&sent, &fields, Some(("action", "reset"))).await.page();
    assert!(second.url.contains("/sign-in/factor"), "the reset does not skip the second factor: {}", second.url);
    assert!(server.repos.list_user_sessions(&mia.id).await.unwrap().is_empty(), "no session before the code");
    let interaction = second.url.split("interaction=").nth(1).unwrap();
    let consent = browser.open(&server.url(&format!("/consent?interaction={interaction}"))).await.page();
    assert_eq!(consent.status, 400, "{}", consent.html);
    let totp = crate::mfa::code_now(server, &secret);
    let consent = browser.submit(&second, &[("code", &totp)], Some(("action", "verify"))).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
}

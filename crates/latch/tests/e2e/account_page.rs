//! Issue 15, the account page: `/account` shows the signed-in user's profile, address, password
//! and sessions; each change is a form bound to the session (a foreign CSRF token is refused),
//! checked by the shared field rules, audited as the user's own act. A password change needs the
//! current password and ends every other session; a new address needs the code sent to it;
//! "sign out everywhere" ends this session too. On both backends, with a real SMTP server.

use crate::account_recovery::{Mailbox, REDIRECT, code_in, sign_in_url, start, words};
use crate::browser::{Browser, Page};
use crate::email::Sink;
use crate::harness::{Backends, PASSWORD, TestServer, test_python};
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, FactorKind, MfaFactor};
use latch_domain::ids::{FactorId, UserId};
use latch_domain::repo::Write;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_on_the_embedded_backends() {
    run(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn the_account_page_on_postgres_and_redis() {
    run(Backends::Production).await;
}

/// Posts `fields` and the page's CSRF token to `path`, and reads the page that answers.
pub(crate) async fn post(
    browser: &Browser,
    server: &TestServer,
    csrf: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let res = browser.http().post(server.url(path)).form(&form).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page { status, url: server.url(path), html: res.text().await.unwrap(), headers }
}

/// The CSRF token of the account page's forms.
pub(crate) fn csrf(page: &Page) -> String {
    let (_, fields) = page.form();
    fields.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v).expect("a csrf field")
}

async fn run(backends: Backends) {
    let Some(python) = test_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(&python, dir.path(), "mail", &[]);
    let Some(server) = start(backends, &sink).await else { return };
    let mut mail = Mailbox { sink: &sink, seen: 0 };
    let app = server.app("planner", AppType::Spa, false, &[REDIRECT]).await;
    let ada = server.user("ada").await;
    server.user("bob").await;

    // Not signed in: a page saying so, never a 5xx.
    let nobody = Browser::new(&server.base);
    assert_eq!(nobody.open(&server.url("/account")).await.page().status, 401);

    // Ada is signed in in two browsers.
    let here = Browser::new(&server.base);
    let elsewhere = Browser::new(&server.base);
    for b in [&here, &elsewhere] {
        let sign_in = b.open(&sign_in_url(&server, &app, "")).await.page();
        let (url, _) = b.sign_in(&sign_in, "ada", PASSWORD).await.client();
        assert_eq!(url.host_str(), Some("partner.example.com"));
    }
    let page = here.open(&server.url("/account")).await.page();
    assert_eq!(page.status, 200, "{}", page.html);
    let text = words(&page);
    assert!(text.contains("ada@example.com (verified)"), "{text}");
    assert!(text.contains("This browser") && text.contains("Another browser"), "{text}");
    let token = csrf(&page);

    // A form posted with another session's token is refused.
    let theirs = csrf(&elsewhere.open(&server.url("/account")).await.page());
    let forged = post(&here, &server, &theirs, "/account/profile", &[("name", "Mallory")]).await;
    assert_eq!(forged.status, 400, "{}", forged.html);

    // The profile: a picture that is no https address is refused in words, then saved.
    let bad =
        post(&here, &server, &token, "/account/profile", &[("name", "Ada"), ("picture", "javascript:alert(1)")]).await;
    assert_eq!(bad.status, 422);
    assert!(words(&bad).contains("Enter an https address"), "{}", words(&bad));
    let saved = post(
        &here,
        &server,
        &token,
        "/account/profile",
        &[("name", "Ada Lovelace"), ("picture", "https://example.com/ada.png")],
    )
    .await;
    assert_eq!(saved.status, 200);
    assert!(words(&saved).contains("Saved."), "{}", words(&saved));
    let stored = server.repos.get_user(&ada.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.name.as_deref(), stored.avatar.as_deref()),
        (Some("Ada Lovelace"), Some("https://example.com/ada.png"))
    );
    let audit = server.admin().await.get("/audit-logs?action=user.profile.update").await;
    assert_eq!(audit.body[0]["actor"], format!("user:{}", ada.id), "{}", audit.body);

    // The password: the current one is required, the new one meets the policy; every other
    // session ends, this one stays.
    let wrong =
        post(&here, &server, &token, "/account/password", &[("current", "nope"), ("password", "a fresh passphrase")])
            .await;
    assert_eq!(wrong.status, 401);
    assert!(words(&wrong).contains("The current password is not right"), "{}", words(&wrong));
    let short =
        post(&here, &server, &token, "/account/password", &[("current", PASSWORD), ("password", "short")]).await;
    assert_eq!(short.status, 422);
    let changed =
        post(&here, &server, &token, "/account/password", &[("current", PASSWORD), ("password", "a fresh passphrase")])
            .await;
    assert_eq!(changed.status, 200, "{}", changed.html);
    assert!(words(&changed).contains("Password changed"), "{}", words(&changed));
    assert_eq!(server.repos.list_user_sessions(&ada.id).await.unwrap().len(), 1, "the other session ended");
    assert_eq!(elsewhere.open(&server.url("/account")).await.page().status, 401);
    assert_eq!(here.open(&server.url("/account")).await.page().status, 200, "this one stays");

    // A new address: a code goes to it, and only the right code makes it the account's.
    let sent =
        post(&here, &server, &token, "/account/email", &[("action", "send"), ("email", "ada.new@example.com")]).await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    let message = mail.next().await;
    assert_eq!(message["to"], serde_json::json!(["ada.new@example.com"]));
    let code = code_in(&message);
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let refused = post(
        &here,
        &server,
        &token,
        "/account/email",
        &[("action", "confirm"), ("email", "ada.new@example.com"), ("code", wrong_code)],
    )
    .await;
    assert_eq!(refused.status, 422);
    // A code for one address does not confirm another.
    let other = post(
        &here,
        &server,
        &token,
        "/account/email",
        &[("action", "confirm"), ("email", "eve@example.com"), ("code", &code)],
    )
    .await;
    assert_eq!(other.status, 422);
    let done = post(
        &here,
        &server,
        &token,
        "/account/email",
        &[("action", "confirm"), ("email", "ada.new@example.com"), ("code", &code)],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(words(&done).contains("ada.new@example.com (verified)"), "{}", words(&done));
    let stored = server.repos.get_user(&ada.id).await.unwrap().unwrap();
    assert_eq!((stored.primary_email.as_deref(), stored.email_verified), (Some("ada.new@example.com"), true));
    // Bob's address, even proved, stays Bob's.
    post(&here, &server, &token, "/account/email", &[("action", "send"), ("email", "bob@example.com")]).await;
    let code = code_in(&mail.next().await);
    let taken = post(
        &here,
        &server,
        &token,
        "/account/email",
        &[("action", "confirm"), ("email", "bob@example.com"), ("code", &code)],
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.html);
    assert!(words(&taken).contains("already has an account"), "{}", words(&taken));

    // Sign out everywhere: this browser too.
    let out = post(&here, &server, &token, "/account/sessions/end", &[]).await;
    assert_eq!(out.status, 200);
    assert!(words(&out).contains("You are signed out"), "{}", words(&out));
    assert!(server.repos.list_user_sessions(&ada.id).await.unwrap().is_empty());
    assert_eq!(here.open(&server.url("/account")).await.page().status, 401);
    let audit = server.admin().await.get("/audit-logs?action=user.sessions.delete").await;
    assert_eq!(audit.body[0]["actor"], format!("user:{}", ada.id), "{}", audit.body);
    an_operator_sees_and_resets_a_users_second_factors(&server, &ada.id).await;
}

/// `GET /api/users/{id}/mfa` shows the factors (never a secret) and the recovery codes left;
/// `DELETE` removes them all, audited.
async fn an_operator_sees_and_resets_a_users_second_factors(server: &TestServer, user: &UserId) {
    let admin = server.admin().await;
    let path = format!("/users/{user}/mfa");
    let none = admin.get(&path).await;
    assert_eq!((none.status, &none.body), (200, &json!({"factors": [], "recoveryCodesLeft": 0})));
    let factor = MfaFactor {
        id: FactorId::from("f-phone"),
        user_id: user.clone(),
        kind: FactorKind::Totp,
        name: "Phone".into(),
        secret: "sealed-secret".into(),
        last_used_step: Some(7),
        created_at: Timestamp(1_000),
        last_used_at: Some(Timestamp(2_000)),
        credential_id: None,
    };
    let codes = Write::SetRecoveryCodes { user: user.clone(), hashes: vec!["a".into(), "b".into()] };
    server.repos.commit(vec![Write::InsertFactor(factor), codes]).await.unwrap();
    let shown = admin.get(&path).await;
    assert_eq!(
        shown.body,
        json!({"factors": [{"id": "f-phone", "kind": "totp", "name": "Phone", "createdAt": 1000, "lastUsedAt": 2000}],
            "recoveryCodesLeft": 2})
    );
    assert!(!shown.body.to_string().contains("sealed-secret"));
    assert_eq!(admin.delete(&path).await.status, 204);
    assert_eq!(admin.get(&path).await.body, json!({"factors": [], "recoveryCodesLeft": 0}));
    let audit = admin.get("/audit-logs?action=user.mfa.reset").await;
    assert_eq!(
        (audit.body[0]["targetId"].as_str(), audit.body[0]["details"]["removed"].as_u64()),
        (Some(user.as_str()), Some(1))
    );
    assert_eq!(admin.get("/users/nobody/mfa").await.status, 404);
    assert_eq!(admin.delete("/users/nobody/mfa").await.status, 404);
}

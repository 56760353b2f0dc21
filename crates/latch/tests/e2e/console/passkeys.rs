//! Issue 15, passkeys in a real headless Chromium with a virtual authenticator (the Chrome
//! DevTools WebAuthn domain) that makes synced passkeys (backup eligible and backed up): one is
//! added on the account page, then proves the second step after a password, then signs in
//! alone from the sign-in page; the ID tokens say how (`amr`), and the stored credential keeps
//! its backup flags. The server's public URL is `http://localhost:…` (an IP address cannot be a
//! WebAuthn relying party). On SQLite + memory and Postgres + Redis.

use super::Chrome;
use crate::account_recovery::{sign_in_url, tokens};
use crate::harness::{Backends, PASSWORD, TestServer};
use latch_domain::entities::{AppType, FactorKind};
use serde_json::{Value, json};
use std::time::Duration;
use thirtyfour::extensions::cdp::ChromeDevTools;

async fn cdp(chrome: &Chrome, cmd: &str, params: Value) -> Value {
    ChromeDevTools::new(chrome.d().handle.clone())
        .execute_cdp_with_params(cmd, params)
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// The code the browser brought back to the app (which does not exist: the address is read).
async fn code_at_app(chrome: &Chrome) -> String {
    for _ in 0..200 {
        let url = chrome.d().current_url().await.unwrap();
        if url.host_str() == Some("partner.example.com") {
            let code = url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned());
            return code.unwrap_or_else(|| panic!("no code in {url}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached the app: {}", chrome.d().current_url().await.unwrap());
}

/// Drops the browser's cookies of this server (the browser's page is on the server first:
/// WebDriver deletes the current page's cookies).
async fn forget(chrome: &Chrome, base: &str) {
    chrome.d().goto(&format!("{base}/assets/latch.css")).await.unwrap();
    chrome.d().delete_all_cookies().await.unwrap();
}

/// The `amr` of the ID token `code` gets.
async fn amr_of(server: &TestServer, client: &crate::harness::TestClient, code: &str) -> Value {
    let tokens = tokens(server, client, code).await;
    crate::registration::jwt_claims(tokens["id_token"].as_str().unwrap_or_else(|| panic!("{tokens}")))["amr"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_on_the_embedded_backends() {
    run(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn passkeys_on_postgres_and_redis() {
    run(Backends::Production).await;
}

/// Added, then proving the second step, then signing in alone.
async fn run(backends: Backends) {
    let Some(server) = TestServer::start_with(backends, |c| {
        c.public_url = Some(format!("http://localhost:{}", c.listen.port()));
    })
    .await
    else {
        return;
    };
    let Some(chrome) = Chrome::start().await else { return };
    // The pages with a passkey form pass the same WCAG audit as every other end-user page.
    let axe = super::end_user_pages::axe_source();
    let mut failures = Vec::new();
    let base = server.issuer.trim_end_matches("/oidc").to_owned();
    assert!(base.starts_with("http://localhost:"), "{base}");
    let app = server.app("planner", AppType::Spa, false, &["https://partner.example.com/cb"]).await;
    let ada = server.user("ada").await;
    cdp(&chrome, "WebAuthn.enable", json!({})).await;
    let options = json!({
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": true,
        "hasUserVerification": true,
        "isUserVerified": true,
        "automaticPresenceSimulation": true,
        "defaultBackupEligibility": true,
        "defaultBackupState": true,
    });
    let added = cdp(&chrome, "WebAuthn.addVirtualAuthenticator", json!({ "options": options })).await;
    let authenticator = added["authenticatorId"].as_str().expect("an authenticator id").to_owned();

    // A password sign-in; the sign-in page offers a passkey too (shown by the script).
    chrome.d().goto(&sign_in_url(&server, &app, "")).await.unwrap();
    chrome.find("#passkey-sign-in").await;
    chrome.screenshot("end-user-sign-in-passkey").await;
    audit(&chrome, axe.as_deref(), "sign-in with a passkey", &mut failures).await;
    chrome.find("#identifier").await.send_keys("ada").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    assert_eq!(amr_of(&server, &app, &code_at_app(&chrome).await).await, json!(["pwd"]));

    // Adding a passkey on the account page: the first factor, so recovery codes follow.
    chrome.d().goto(&format!("{base}/account")).await.unwrap();
    chrome.find("#add-passkey").await.click().await.unwrap();
    chrome.find("#create-passkey").await;
    chrome.find("#passkey-password").await.send_keys(PASSWORD).await.unwrap();
    chrome.screenshot("end-user-add-passkey").await;
    audit(&chrome, axe.as_deref(), "add a passkey", &mut failures).await;
    chrome.find("#create-passkey").await.click().await.unwrap();
    chrome.find("#recovery-codes").await;
    let factors = server.repos.list_user_factors(&ada.id).await.unwrap();
    assert_eq!(factors.len(), 1, "{factors:?}");
    assert_eq!(factors[0].kind, FactorKind::Passkey);
    let credential = factors[0].credential_id.clone().expect("a credential id");
    let stored: Value = serde_json::from_str(&factors[0].secret).unwrap();
    let text = stored.to_string();
    assert!(text.contains("\"backup_eligible\":true"), "a synced passkey is kept as backup eligible: {text}");
    let credentials = cdp(&chrome, "WebAuthn.getCredentials", json!({ "authenticatorId": authenticator })).await;
    assert_eq!(credentials["credentials"][0]["isResidentCredential"], true, "discoverable: {credentials}");

    // The passkey as the second step after the password.
    forget(&chrome, &base).await;
    chrome.d().goto(&sign_in_url(&server, &app, "")).await.unwrap();
    chrome.find("#identifier").await.send_keys("ada").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("#use-passkey").await;
    chrome.screenshot("end-user-second-factor-passkey").await;
    audit(&chrome, axe.as_deref(), "second step with a passkey", &mut failures).await;
    chrome.find("#use-passkey").await.click().await.unwrap();
    assert_eq!(amr_of(&server, &app, &code_at_app(&chrome).await).await, json!(["pwd", "hwk", "mfa"]));
    let used = server.admin().await.get("/audit-logs?action=security.mfa.succeeded").await.body;
    assert_eq!(used[0]["details"]["method"], "passkey", "{used}");

    // The passkey alone, from the sign-in page.
    forget(&chrome, &base).await;
    chrome.d().goto(&sign_in_url(&server, &app, "")).await.unwrap();
    chrome.find("#passkey-sign-in").await.click().await.unwrap();
    assert_eq!(amr_of(&server, &app, &code_at_app(&chrome).await).await, json!(["hwk", "mfa"]));
    let factor = server.repos.find_passkey(&credential).await.unwrap().expect("still there");
    assert!(factor.last_used_at.is_some());

    // A passkey whose factor is gone signs nobody in: the page says so, and the trail has it.
    server.repos.commit(vec![latch_domain::repo::Write::DeleteUserFactors(ada.id.clone())]).await.unwrap();
    forget(&chrome, &base).await;
    chrome.d().goto(&sign_in_url(&server, &app, "")).await.unwrap();
    chrome.find("#passkey-sign-in").await.click().await.unwrap();
    chrome.until_text("p[role=alert]", "This passkey could not sign you in").await;
    let failed = server.admin().await.get("/audit-logs?action=security.sign_in.failed").await.body;
    assert_eq!(failed[0]["details"]["reason"], "passkey", "{failed}");

    // Required for everyone: Bob, who has no factor, may set up a passkey instead of an
    // authenticator app at his next sign-in, then sees his recovery codes and goes on.
    let bob = server.user("bob").await;
    let admin = server.admin().await;
    let mut experience = admin.get("/sign-in-experience").await.body;
    experience["mfa"] = json!("required");
    assert_eq!(admin.put("/sign-in-experience", experience.clone()).await.status, 200);
    forget(&chrome, &base).await;
    chrome.d().goto(&sign_in_url(&server, &app, "")).await.unwrap();
    chrome.find("#identifier").await.send_keys("bob").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("#totp-key").await;
    chrome.find("#create-passkey").await;
    chrome.screenshot("end-user-enrol-passkey").await;
    audit(&chrome, axe.as_deref(), "set up a factor, passkey offered", &mut failures).await;
    chrome.find("#create-passkey").await.click().await.unwrap();
    chrome.find("#recovery-codes").await;
    chrome.find("button[value=continue]").await.click().await.unwrap();
    assert_eq!(amr_of(&server, &app, &code_at_app(&chrome).await).await, json!(["pwd", "hwk", "mfa"]));
    let bobs = server.repos.list_user_factors(&bob.id).await.unwrap();
    assert_eq!(bobs.iter().map(|f| f.kind).collect::<Vec<_>>(), [FactorKind::Passkey]);
    assert_eq!(server.repos.count_recovery_codes(&bob.id).await.unwrap(), 10);
    experience["mfa"] = json!("optional");
    assert_eq!(admin.put("/sign-in-experience", experience).await.status, 200);

    assert!(chrome.console_errors().await.is_empty(), "{:?}", chrome.console_errors().await);
    chrome.quit().await;
    assert!(failures.is_empty(), "WCAG 2.2 AA violations:\n{}", failures.join("\n"));
}

async fn audit(chrome: &Chrome, axe: Option<&str>, page: &str, failures: &mut Vec<String>) {
    if let Some(axe) = axe {
        failures
            .extend(super::end_user_pages::violations(chrome, axe).await.into_iter().map(|v| format!("{page}: {v}")));
    }
}

//! The end-user pages (sign-in, its error state, sign-up, the account page, setting up an
//! authenticator app, recovery codes, the second step of a sign-in, email verification and password reset
//! when an SMTP server takes the codes, consent, connected apps, the device flow's
//! code page and its error state, sign-out, signed out, an error page) pass an automated WCAG
//! 2.2 AA audit: axe-core in headless Chromium, in light and dark mode, in English and French,
//! at 375 px wide and on a desktop. `cargo xtask
//! test` installs axe-core from npm and names its script in `LATCH_TEST_AXE`.

use super::Chrome;
use crate::harness::{Backends, PASSWORD, TestServer};
use crate::oidc_flows::authorize_url;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Branding};
use serde_json::json;
use thirtyfour::extensions::cdp::ChromeDevTools;

/// axe-core's script, which the audit injects into each page.
pub(super) fn axe_source() -> Option<String> {
    let path = std::env::var("LATCH_TEST_AXE").ok().filter(|p| !p.is_empty());
    let Some(path) = path else {
        latch_testing::skipped("LATCH_TEST_AXE (cargo xtask test installs axe-core)");
        return None;
    };
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core at {path}: {e}")))
}

/// How the page is looked at: colour scheme, language, width.
#[derive(Clone, Copy, Debug)]
struct View {
    dark: bool,
    lang: &'static str,
    width: u32,
}

const VIEWS: [View; 5] = [
    View { dark: false, lang: "en", width: 1280 },
    View { dark: false, lang: "en", width: 375 },
    View { dark: true, lang: "en", width: 375 },
    View { dark: false, lang: "fr", width: 375 },
    View { dark: true, lang: "fr", width: 375 },
];

async fn cdp(chrome: &Chrome, cmd: &str, params: serde_json::Value) {
    ChromeDevTools::new(chrome.d().handle.clone())
        .execute_cdp_with_params(cmd, params)
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
}

/// Emulates `view` for the pages loaded from now on.
async fn look(chrome: &Chrome, view: View) {
    let scheme = if view.dark { "dark" } else { "light" };
    cdp(chrome, "Emulation.setEmulatedMedia", json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}))
        .await;
    cdp(
        chrome,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": view.width, "height": 900, "deviceScaleFactor": 1, "mobile": view.width < 600}),
    )
    .await;
    let ua: String = chrome.d().execute("return navigator.userAgent", Vec::new()).await.unwrap().convert().unwrap();
    cdp(chrome, "Emulation.setUserAgentOverride", json!({"userAgent": ua, "acceptLanguage": view.lang})).await;
}

/// The WCAG 2.2 A and AA violations axe-core finds on the current page, one line each; and
/// sideways scrolling, which 375 px must not need (SC 1.4.10).
pub(super) async fn violations(chrome: &Chrome, axe: &str) -> Vec<String> {
    let script = format!(
        "{axe}\n;return axe.run(document, {{runOnly: {{type: 'tag', values: \
         ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}}}}).then(r => r.violations.map(v => \
         v.id + ': ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ') + ' (' + n.failureSummary + ')').join('; ')));"
    );
    let mut found: Vec<String> = chrome.d().execute(&script, Vec::new()).await.unwrap().convert().unwrap();
    let overflow: bool = chrome
        .d()
        .execute("return document.documentElement.scrollWidth > window.innerWidth", Vec::new())
        .await
        .unwrap()
        .convert()
        .unwrap();
    if overflow {
        found.push("the page scrolls sideways".to_owned());
    }
    found
}

/// Audits `url` in every view; `expect` is a CSS selector the page must show (so an audit of
/// the wrong page cannot pass). Screenshots the first view as `name`.
async fn audit(chrome: &Chrome, axe: &str, name: &str, url: &str, expect: &str, failures: &mut Vec<String>) {
    for (i, view) in VIEWS.iter().enumerate() {
        look(chrome, *view).await;
        chrome.d().goto(url).await.unwrap();
        chrome.find(expect).await;
        let lang: String =
            chrome.d().execute("return document.documentElement.lang", Vec::new()).await.unwrap().convert().unwrap();
        assert_eq!(lang, view.lang, "{name} in {view:?} is in the reader's language");
        for v in violations(chrome, axe).await {
            failures.push(format!("{name} {view:?}: {v}"));
        }
        if i == 0 {
            chrome.screenshot(&format!("end-user-{name}")).await;
        }
        if i == 2 {
            chrome.screenshot(&format!("end-user-{name}-dark-phone")).await;
        }
    }
    look(chrome, VIEWS[0]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_user_pages_pass_a_wcag_audit_in_both_schemes_and_languages() {
    let Some(axe) = axe_source() else { return };
    // With the tests' Python, a real SMTP server takes the codes, and the pages that need email
    // (verification, password reset) are audited too.
    let mail_dir = tempfile::tempdir().unwrap();
    let sink = crate::harness::test_python().map(|py| crate::email::Sink::start(&py, mail_dir.path(), "audit", &[]));
    let port = sink.as_ref().map(|s| s.port);
    let Some(server) = TestServer::start_with(Backends::Embedded, |c| {
        if let Some(port) = port {
            c.smtp.host = Some("127.0.0.1".into());
            c.smtp.port = Some(port);
            c.smtp.tls = latch::config::SmtpTls::None;
            c.smtp.from = Some("no-reply@acme.example".into());
        }
    })
    .await
    else {
        return;
    };
    let Some(chrome) = Chrome::start().await else { return };
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    server
        .repos
        .put_branding(&Branding {
            application_id: "partner".into(),
            display_name: Some("Partner Photos".into()),
            logo_url: None,
            dark_logo_url: None,
            terms_of_use_url: Some("https://partner.example.com/terms".into()),
            privacy_policy_url: Some("https://partner.example.com/privacy".into()),
            color: None,
            updated_at: Timestamp(1),
        })
        .await
        .unwrap();
    server.user("ada").await;
    // The identity provider's own branding is on every page the audit sees.
    let branded = server
        .admin()
        .await
        .put(
            "/sign-in-experience",
            json!({"organizationName": "Acme", "accentColor": "#1864ab", "darkAccentColor": "#74c0fc", "signUp": "email"}),
        )
        .await;
    assert_eq!(branded.status, 200, "{}", branded.body);
    let mut failures = Vec::new();

    // Sign-in, then its error state (a wrong password).
    chrome.d().goto(&authorize_url(&server, &client, "openid email profile")).await.unwrap();
    chrome.find("#identifier").await;
    let sign_in = chrome.d().current_url().await.unwrap().to_string();
    audit(&chrome, &axe, "sign-in", &sign_in, "#identifier", &mut failures).await;
    // Sign-up, reached from the sign-in page's link (the same interaction).
    let sign_up = sign_in.replacen("/sign-in?", "/sign-up?", 1);
    audit(&chrome, &axe, "sign-up", &sign_up, "#password[autocomplete=new-password]", &mut failures).await;
    if sink.is_some() {
        // Password reset: the address, then the code and the new password.
        let reset = sign_in.replacen("/sign-in?", "/reset-password?", 1);
        audit(&chrome, &axe, "reset-password", &reset, "#email", &mut failures).await;
        chrome.find("#email").await.send_keys("ada@example.com").await.unwrap();
        chrome.find("button[value=send]").await.click().await.unwrap();
        chrome.find("#code").await;
        let sent = violations(&chrome, &axe).await;
        failures.extend(sent.into_iter().map(|v| format!("reset code: {v}")));
        chrome.screenshot("end-user-reset-password-code").await;
        // Verification, after signing up in an interaction of its own.
        chrome.d().goto(&authorize_url(&server, &client, "openid email profile")).await.unwrap();
        chrome.find("#identifier").await;
        let other = chrome.d().current_url().await.unwrap().to_string().replacen("/sign-in?", "/sign-up?", 1);
        chrome.d().goto(&other).await.unwrap();
        chrome.find("#identifier").await.send_keys("eve@example.com").await.unwrap();
        chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
        chrome.find("button[type=submit]").await.click().await.unwrap();
        chrome.find("#code").await;
        let verify = chrome.d().current_url().await.unwrap().to_string();
        audit(&chrome, &axe, "verify-email", &verify, "#code", &mut failures).await;
    }
    chrome.d().goto(&sign_in).await.unwrap();
    chrome.find("#identifier").await.send_keys("ada").await.unwrap();
    chrome.find("#password").await.send_keys("not the password").await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("#sign-in-error").await;
    let failed: Vec<String> = violations(&chrome, &axe).await;
    failures.extend(failed.into_iter().map(|v| format!("sign-in error: {v}")));
    chrome.screenshot("end-user-sign-in-error").await;

    // Consent.
    chrome.find("#identifier").await.clear().await.unwrap();
    chrome.find("#identifier").await.send_keys("ada").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("button[value=authorize]").await;
    let consent = chrome.d().current_url().await.unwrap().to_string();
    audit(&chrome, &axe, "consent", &consent, "button[value=authorize]", &mut failures).await;
    chrome.find("button[value=authorize]").await.click().await.unwrap();
    // The browser is sent on to the app (which does not exist); the grant is stored.
    for _ in 0..100 {
        if chrome.d().current_url().await.unwrap().host_str() == Some("partner.example.com") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let base = &server.base;
    audit(&chrome, &axe, "account", &format!("{base}/account"), "#current-password", &mut failures).await;
    audit(&chrome, &axe, "connected-apps", &format!("{base}/account/apps"), "button.danger", &mut failures).await;
    // Two-step verification: setting up an authenticator app, then its recovery codes (pages a
    // form answers, audited where they are).
    chrome.d().goto(&format!("{base}/account")).await.unwrap();
    chrome.find("button[value=start]").await.click().await.unwrap();
    let key = chrome.find("#totp-key").await.text().await.unwrap();
    failures.extend(violations(&chrome, &axe).await.into_iter().map(|v| format!("enrol: {v}")));
    chrome.screenshot("end-user-enrol-totp").await;
    let secret = crate::mfa::base32(&key);
    chrome.find("#current-password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("#code").await.send_keys(crate::mfa::code_now(&server, &secret)).await.unwrap();
    chrome.find("button[value=enrol]").await.click().await.unwrap();
    chrome.find("#recovery-codes").await;
    failures.extend(violations(&chrome, &axe).await.into_iter().map(|v| format!("recovery codes: {v}")));
    chrome.screenshot("end-user-recovery-codes").await;
    audit(&chrome, &axe, "error", &format!("{base}/sign-in?interaction=gone"), "p[role=alert]", &mut failures).await;
    // The device flow's code page (RFC 8628), then its error state (a code never issued).
    audit(&chrome, &axe, "device", &format!("{base}/device?user_code=WDJB-MJHT"), "#user_code", &mut failures).await;
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("#device-error").await;
    let wrong = violations(&chrome, &axe).await;
    failures.extend(wrong.into_iter().map(|v| format!("device code error: {v}")));
    chrome.screenshot("end-user-device-error").await;
    audit(
        &chrome,
        &axe,
        "sign-out",
        &format!("{}/session/end", server.issuer),
        "button[value=sign_out]",
        &mut failures,
    )
    .await;
    chrome.find("button[value=sign_out]").await.click().await.unwrap();
    chrome.find("p[role=status]").await;
    let out = violations(&chrome, &axe).await;
    failures.extend(out.into_iter().map(|v| format!("signed out: {v}")));
    chrome.screenshot("end-user-signed-out").await;
    // The second step of the next sign-in.
    chrome.d().goto(&authorize_url(&server, &client, "openid email profile")).await.unwrap();
    chrome.find("#identifier").await.send_keys("ada").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.find("#code").await;
    let factor = chrome.d().current_url().await.unwrap().to_string();
    audit(&chrome, &axe, "second-factor", &factor, "#code", &mut failures).await;

    chrome.quit().await;
    assert!(failures.is_empty(), "WCAG 2.2 AA violations:\n{}", failures.join("\n"));
}

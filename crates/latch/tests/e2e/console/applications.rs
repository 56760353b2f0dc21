//! Applications: create, settings, secrets, and the third-party story from the console to the
//! end user's consent; the not-an-administrator page.

use super::{PASSWORD, sign_in, start};
use latch_domain::ids::ApplicationId;
use std::time::Duration;
use thirtyfour::prelude::*;

/// The operator signs in, creates a third-party single page app, gives it a redirect URI, sees
/// an invalid one refused at its field, copies nothing it should not see, and signs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_creates_a_third_party_app_and_edits_it() {
    let Some((server, chrome)) = start().await else { return };
    // `/` leads to the console, which signs in through Latch's own page.
    chrome.d().goto(&format!("{}/", server.base)).await.unwrap();
    chrome.find("#identifier").await;
    assert!(
        chrome.path().await.contains("/sign-in") || chrome.path().await.starts_with("/oidc"),
        "{}",
        chrome.path().await
    );
    chrome.screenshot("sign-in").await;
    sign_in(&chrome, &server).await;
    assert_eq!(chrome.path().await, "/console/applications");
    chrome.screenshot("applications").await;
    // Every bit of markup rendered as markup (a stray `>` in a view would print Rust instead).
    let pager = chrome.find(".pager").await.text().await.unwrap();
    assert!(pager.contains("Page 1 of 1") && pager.ends_with("Next") && !pager.contains("move"), "{pager}");
    // The tab that is showing says so.
    let selected = chrome.find("[role=tab][aria-selected=true]").await;
    assert_eq!(selected.text().await.unwrap(), "My apps");

    // Create: third-party, Single page app, name and description.
    chrome.until_text("button", "Create application").await.click().await.unwrap();
    chrome.until_text("label.choice", "Third-party app").await.click().await.unwrap();
    let machine = chrome.d().find_all(By::Css("label.choice")).await.unwrap();
    let mut labels = Vec::new();
    for m in machine {
        labels.push(m.text().await.unwrap());
    }
    assert!(!labels.iter().any(|l| l.contains("Machine-to-machine")), "no M2M for a third party: {labels:?}");
    chrome.until_text("label.choice", "Single page app").await.click().await.unwrap();
    chrome.type_into("#app-name", "Partner planner").await;
    chrome.type_into("#app-description", "Plans partner events").await;
    chrome.screenshot("create-application").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Partner planner").await;
    chrome.until_text(".tag", "Third-party").await;
    let path = chrome.path().await;
    let id = path.strip_prefix("/console/applications/").expect("on the details page").to_owned();
    let stored = server.repos.get_application(&ApplicationId::from(id.as_str())).await.unwrap().expect("created");
    assert!(stored.is_third_party);
    assert_eq!(stored.app_type, latch_domain::entities::AppType::Spa);
    chrome.screenshot("application-settings").await;

    // A redirect URI that is not one: the server's error shows at the field, nothing saved.
    chrome.type_into("#s-redirects", "javascript:alert(1)").await;
    chrome.until_text("button[type=submit]", "Save changes").await.click().await.unwrap();
    let error = chrome.find("#s-redirects-error").await;
    assert!(!error.text().await.unwrap().is_empty());
    let field = chrome.find("#s-redirects").await;
    assert_eq!(field.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    chrome.screenshot("application-settings-error").await;
    let unchanged = server.repos.get_application(&stored.id).await.unwrap().unwrap();
    assert!(unchanged.redirect_uris.is_empty(), "nothing saved: {:?}", unchanged.redirect_uris);

    // A real one is saved.
    chrome.type_into("#s-redirects", "https://planner.partner.example/callback").await;
    chrome.until_text("button[type=submit]", "Save changes").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    let saved = server.repos.get_application(&stored.id).await.unwrap().unwrap();
    assert_eq!(saved.redirect_uris, ["https://planner.partner.example/callback"]);
    assert!(chrome.d().find_all(By::Css("#s-redirects-error")).await.unwrap().is_empty(), "the error is gone");

    // Endpoints: discovery, and the details on request.
    chrome.until_text("[role=tab]", "Endpoints").await.click().await.unwrap();
    chrome.until_text("dd code", "/oidc/.well-known/openid-configuration").await;
    let toggle = chrome.until_text("button", "Show endpoint details").await;
    assert_eq!(toggle.attr("aria-expanded").await.unwrap().as_deref(), Some("false"));
    toggle.click().await.unwrap();
    chrome.until_text("#endpoint-details", "/oidc/token").await;
    assert!(chrome.d().find_all(By::Css("input#secret-name")).await.unwrap().is_empty(), "an SPA has no secrets");
    chrome.screenshot("application-endpoints").await;

    // It is listed under Third-party apps, not My apps.
    chrome.until_text("a", "← Applications").await.click().await.unwrap();
    chrome.until_text("[role=tab]", "Third-party apps").await.click().await.unwrap();
    chrome.until_text("table.list a", "Partner planner").await;
    assert!(chrome.console_errors().await.is_empty());

    // Sign out ends the Latch session: the console asks for a sign-in again.
    chrome.until_text("button", "Sign out").await.click().await.unwrap();
    chrome.find("#identifier").await;
    let audit = server.repos.list_audit(latch_domain::repo::Page { page: 1, size: 50 }).await.unwrap().0;
    assert!(
        audit.iter().any(|e| e.action == "application.create" && e.actor.starts_with("user:")),
        "audited as the operator"
    );
    chrome.quit().await;
}

/// A Traditional app's first secret is shown once, right after creation; a new named secret
/// with an expiry is shown once too, listed with its expiry, and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secrets_are_shown_once() {
    let Some((server, chrome)) = start().await else { return };
    sign_in(&chrome, &server).await;
    chrome.until_text("button", "Create application").await.click().await.unwrap();
    chrome.until_text("label.choice", "Traditional web").await.click().await.unwrap();
    chrome.type_into("#app-name", "Billing portal").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    // The first secret, once, on the credentials tab.
    let first = chrome.find(".reveal code.secret").await.text().await.unwrap();
    assert!(first.len() >= 20, "{first}");
    chrome.screenshot("application-secret-once").await;
    let id = chrome.path().await.trim_start_matches("/console/applications/").to_owned();
    let app = ApplicationId::from(id.as_str());
    let hashes = server.repos.list_secrets(&app).await.unwrap();
    assert_eq!(hashes.len(), 1);
    assert_eq!(latch_oidc::crypto::token_hash(&first), hashes[0].hash, "the value shown is the app's secret");

    // A second one, for 7 days.
    chrome.type_into("#secret-name", "rotation-2027").await;
    chrome.find("#secret-expiry option[value='7']").await.click().await.unwrap();
    chrome.until_text("button", "Create secret").await.click().await.unwrap();
    chrome.until_text(".reveal", "rotation-2027").await;
    chrome.until_text("table.list td", "rotation-2027").await;
    let secrets = server.repos.list_secrets(&app).await.unwrap();
    let second = secrets.iter().find(|s| s.name == "rotation-2027").expect("created");
    let days = (second.expires_at.expect("expires").0 - second.created_at.0) / 86_400;
    assert!((6..=7).contains(&days), "expires in 7 days: {days}");

    // Reloading shows no value again: only the hash is kept.
    chrome.d().refresh().await.unwrap();
    chrome.until_text("table.list td", "rotation-2027").await;
    assert!(chrome.d().find_all(By::Css(".reveal")).await.unwrap().is_empty(), "never shown twice");

    chrome.find("button[aria-label='Delete secret rotation-2027']").await.click().await.unwrap();
    for _ in 0..50 {
        if server.repos.list_secrets(&app).await.unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(server.repos.list_secrets(&app).await.unwrap().len(), 1);
    chrome.quit().await;
}

/// A local page for the app's redirect URI: answers every request with 200.
async fn callback_listener() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = "<!doctype html><title>Photo frame</title><p>Signed in";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

/// The whole story in one browser: the operator creates a third-party single page app,
/// gives it a redirect URI, permits `email` (optional) and one API resource scope, brands it
/// and sees the branding in the live preview; then an end user runs the authorization code +
/// PKCE flow for that app, sees the branded consent screen with exactly those permissions,
/// unticks email, authorizes, and reaches the redirect URI with a code whose tokens lack email.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branded_third_party_app_from_the_console_to_the_end_users_consent() {
    let Some((server, chrome)) = start().await else { return };
    let api = server
        .resource("https://photos.example", &["read:photos"], "photo-readers", latch_domain::entities::RoleType::User)
        .await;
    let erin = server.user("erin").await;
    server.repos.add_user_roles(&erin.id, &[latch_domain::ids::RoleId::from("photo-readers")]).await.unwrap();
    let cb_port = callback_listener().await;
    let redirect = format!("http://127.0.0.1:{cb_port}/callback");

    sign_in(&chrome, &server).await;
    chrome.until_text("button", "Create application").await.click().await.unwrap();
    chrome.until_text("label.choice", "Third-party app").await.click().await.unwrap();
    chrome.until_text("label.choice", "Single page app").await.click().await.unwrap();
    chrome.type_into("#app-name", "Photo frame").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Photo frame").await;
    let id = chrome.path().await.trim_start_matches("/console/applications/").to_owned();
    chrome.type_into("#s-redirects", &redirect).await;
    chrome.until_text("button[type=submit]", "Save changes").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;

    // Permissions: email, optional; the API's read:photos, required.
    chrome.until_text("[role=tab]", "Permissions").await.click().await.unwrap();
    let user_section = "section[aria-labelledby=perm-user-scopes]";
    let select = thirtyfour::components::SelectElement::new(&chrome.find("#add-user-scopes").await).await.unwrap();
    select.select_by_value("email").await.unwrap();
    chrome.find("#add-user-scopes-required").await.click().await.unwrap();
    chrome.until_text(&format!("{user_section} button"), "Add").await.click().await.unwrap();
    chrome.until_text(&format!("{user_section} table td"), "Your email address").await;
    let resource_section = "section[aria-labelledby=perm-resource-scopes]";
    let picker = thirtyfour::components::SelectElement::new(&chrome.find("#pick-resource-scopes").await).await.unwrap();
    picker.select_by_value(api.id.as_str()).await.unwrap();
    chrome.until_text("#add-resource-scopes option", "read:photos").await;
    chrome.until_text(&format!("{resource_section} button"), "Add").await.click().await.unwrap();
    chrome.until_text(&format!("{resource_section} tr.group"), "https://photos.example").await;
    chrome.until_text(&format!("{resource_section} table td"), "read:photos").await;
    chrome.screenshot("application-permissions").await;
    let app = ApplicationId::from(id.as_str());
    let mut permitted: Vec<(String, bool)> =
        server.repos.list_consent_scopes(&app).await.unwrap().into_iter().map(|c| (c.scope_ref, c.required)).collect();
    permitted.sort();
    assert_eq!(permitted, [("email".to_owned(), false), ("scope-photo-readers-read:photos".to_owned(), true)]);

    // Branding, seen in the live preview as it is typed, then saved.
    chrome.until_text("[role=tab]", "Branding").await.click().await.unwrap();
    chrome.type_into("#b-display-name", "Photo Frame by Partner").await;
    chrome.type_into("#b-logo", "https://partner.example/logo.png").await;
    let mut seen = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        chrome.find("iframe[name=preview-light]").await.enter_frame().await.unwrap();
        seen = chrome.d().source().await.unwrap_or_default();
        chrome.d().enter_default_frame().await.unwrap();
        if seen.contains("Photo Frame by Partner") && seen.contains("https://partner.example/logo.png") {
            break;
        }
    }
    assert!(seen.contains("Photo Frame by Partner"), "the preview shows the draft name: {seen}");
    assert!(seen.contains("https://partner.example/logo.png"), "and the draft logo");
    assert!(seen.contains("theme-light"));
    chrome.find("iframe[name=preview-dark]").await.enter_frame().await.unwrap();
    let dark = chrome.d().source().await.unwrap();
    chrome.d().enter_default_frame().await.unwrap();
    assert!(dark.contains("theme-dark") && dark.contains("Photo Frame by Partner"), "{dark}");
    chrome.screenshot("application-branding").await;
    chrome.until_text("button[type=submit]", "Save branding").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    let branding = server.repos.get_branding(&app).await.unwrap().expect("saved");
    assert_eq!(branding.display_name.as_deref(), Some("Photo Frame by Partner"));
    chrome.until_text("button", "Sign out").await.click().await.unwrap();
    chrome.find("#identifier").await;

    // The end user, in the same browser: code + PKCE for the new app.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorize = reqwest::Url::parse_with_params(
        &format!("{}/auth", server.issuer),
        [
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("scope", "openid email read:photos"),
            ("resource", "https://photos.example"),
            ("state", "s1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    chrome.d().goto(authorize.as_str()).await.unwrap();
    chrome.find("#identifier").await.send_keys("erin").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.until_text("h1, .lead, main", "Photo Frame by Partner").await;
    let logo = chrome.find("img.logo").await;
    assert_eq!(logo.attr("src").await.unwrap().as_deref(), Some("https://partner.example/logo.png"));
    let mut listed = Vec::new();
    for li in chrome.d().find_all(By::Css("ul.permissions li")).await.unwrap() {
        listed.push(li.attr("data-scope").await.unwrap().unwrap_or_default());
    }
    listed.sort();
    assert_eq!(listed, ["email", "read:photos"], "exactly the permitted scopes");
    chrome.screenshot("consent-screen").await;
    let email = chrome.find("input[type=checkbox][name=scope]").await;
    assert!(email.is_selected().await.unwrap(), "an optional permission starts ticked");
    email.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Authorize").await.click().await.unwrap();
    for _ in 0..100 {
        if chrome.d().current_url().await.unwrap().port() == Some(cb_port) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back = chrome.d().current_url().await.unwrap();
    assert_eq!(back.path(), "/callback", "{back}");
    let params: std::collections::HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(params.get("state").map(String::as_str), Some("s1"));
    let code = params.get("code").expect("a code").clone();
    let tokens: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/token", server.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("client_id", id.as_str()),
            ("code_verifier", VERIFIER),
            ("resource", "https://photos.example"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scope = tokens["scope"].as_str().unwrap_or_default();
    assert!(!scope.split(' ').any(|s| s == "email"), "email was unticked: {tokens}");
    assert!(scope.split(' ').any(|s| s == "read:photos"), "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let payload = id_token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(claims.get("email").is_none(), "no email in the ID token: {claims}");
    chrome.quit().await;
}

/// Someone without the admin role who signs in to the console is told so, and can sign out;
/// the admin API never answered them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_who_is_not_an_administrator_is_told_so() {
    let Some((server, chrome)) = start().await else { return };
    server.user("nadia").await;
    chrome.d().goto(&format!("{}/console", server.base)).await.unwrap();
    chrome.find("#identifier").await.send_keys("nadia").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.until_text("[role=alert] h1", "You are not an administrator").await;
    chrome.screenshot("not-an-administrator").await;
    assert!(chrome.d().find_all(By::Css("nav a")).await.unwrap().is_empty(), "no console sections");
    // Without tokens there is no ID token to hint with: Latch asks before ending the session
    // (OpenID Connect RP-Initiated Logout §2), then the console asks for a sign-in again.
    chrome.until_text("button", "Sign out").await.click().await.unwrap();
    chrome.until_text("h1", "Sign out?").await;
    chrome.until_text("button[value=sign_out]", "Sign out").await.click().await.unwrap();
    chrome.find("#identifier").await;
    chrome.quit().await;
}

/// The device flow from the console to a TV: the operator turns the device flow on for a
/// native app (the Authorization flow choice), the TV asks for codes, and the person approves
/// in Chromium: the `/device` page filled in from `verification_uri_complete`, Continue, the
/// consent screen that says the sign-in is for another device, Authorize, "Device connected";
/// the TV's next poll gets its tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_allows_the_device_flow_and_a_tv_signs_in_from_a_phone() {
    let Some((server, chrome)) = start().await else { return };
    let tv = server.app("living-room-tv", latch_domain::entities::AppType::Native, true, &[]).await;
    // A client id that is a URL (a Client ID Metadata Document) opens like any other.
    let url_id = "https://agent.example/oauth/client.json";
    server.app(url_id, latch_domain::entities::AppType::Native, true, &["http://127.0.0.1/cb"]).await;
    sign_in(&chrome, &server).await;
    chrome.d().goto(&format!("{}/console/applications?tab=third-party", server.base)).await.unwrap();
    chrome.until_text("table.list a", url_id).await.click().await.unwrap();
    chrome.until_text("h1", url_id).await;
    chrome.until_text(".client-id code", url_id).await;
    chrome.d().goto(&format!("{}/console/applications/{}", server.base, tv.id)).await.unwrap();
    chrome.until_text("legend", "Authorization flow").await;
    chrome.until_text("label.check", "Authorization code and device flow").await.click().await.unwrap();
    chrome.screenshot("application-device-flow").await;
    chrome.until_text("button[type=submit]", "Save changes").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    let stored = server.repos.get_application(&ApplicationId::from(tv.id.as_str())).await.unwrap().unwrap();
    assert_eq!(stored.custom.device_flow, Some(true));

    let http = crate::oidc_flows::http();
    let codes: serde_json::Value = http
        .post(format!("{}/device/auth", server.issuer))
        .form(&[("client_id", tv.id.as_str()), ("scope", "openid profile")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = codes["user_code"].as_str().unwrap().to_owned();
    chrome.d().goto(codes["verification_uri_complete"].as_str().unwrap()).await.unwrap();
    let field = chrome.find("#user_code").await;
    assert_eq!(field.value().await.unwrap().as_deref(), Some(user_code.as_str()), "filled in from the link");
    chrome.screenshot("end-user-device-code").await;
    chrome.until_text("button[type=submit]", "Continue").await.click().await.unwrap();
    // The operator's browser is signed in: straight to the app's consent screen.
    let note = chrome.until_text("p.note", "another device").await.text().await.unwrap();
    assert!(note.contains("not in this browser"), "{note}");
    chrome.screenshot("end-user-device-consent").await;
    chrome.find("button[value=authorize]").await.click().await.unwrap();
    chrome.until_text("h1", "Device connected").await;
    chrome.screenshot("end-user-device-connected").await;

    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", codes["device_code"].as_str().unwrap()),
        ("client_id", tv.id.as_str()),
    ];
    let res = http.post(format!("{}/token", server.issuer)).form(&form).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    assert!(tokens["id_token"].is_string() && tokens["access_token"].is_string(), "{tokens}");
    assert!(chrome.console_errors().await.is_empty());
    chrome.quit().await;
}

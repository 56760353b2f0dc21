//! Everything else an operator manages, in one browser session: an API resource and its
//! scopes, a role granting one, a user (search, create, roles, suspension, password, connected
//! apps, sessions), an organization with a member and an organization role from the template,
//! signing keys, and the audit log with its filters.

use super::{Chrome, PASSWORD, sign_in, start};
use crate::harness::TestServer;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Grant, GrantDetails};
use latch_domain::ids::{ApplicationId, GrantId, OrganizationId};
use thirtyfour::prelude::*;

/// Opens a section from the navigation.
async fn open(chrome: &Chrome, section: &str) {
    chrome.until_text("nav[aria-label=Sections] a", section).await.click().await.unwrap();
    chrome.until_text("h1", section).await;
}

/// The texts of the elements matching `css`.
async fn texts(chrome: &Chrome, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for el in chrome.d().find_all(By::Css(css)).await.unwrap() {
        out.push(el.text().await.unwrap());
    }
    out
}

/// Waits until `check` holds of the server's state (the console writes asynchronously).
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_manages_resources_roles_users_organizations_keys_and_the_audit_log() {
    let Some((server, chrome)) = start().await else { return };
    sign_in(&chrome, &server).await;
    resources_and_roles(&chrome).await;
    let grace = users(&chrome, &server).await;
    organizations(&chrome, &server, &grace).await;
    keys(&chrome, &server).await;
    sign_in_experience(&chrome, &server).await;
    open_registration(&chrome, &server).await;
    audit(&chrome).await;
    assert!(chrome.console_errors().await.is_empty(), "{:?}", chrome.console_errors().await);
    chrome.quit().await;
}

async fn resources_and_roles(chrome: &Chrome) {
    open(chrome, "API resources").await;
    chrome.until_text("table.list code", "urn:latch:api:admin").await;
    chrome.until_text("button", "Create API resource").await.click().await.unwrap();
    chrome.type_into("#r-name", "Photos API").await;
    chrome.type_into("#r-indicator", "photos.example.com").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    // Not an absolute URI: refused at the field.
    let error = chrome.find("#r-indicator-error").await;
    assert!(!error.text().await.unwrap().is_empty());
    assert_eq!(chrome.find("#r-indicator").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    chrome.type_into("#r-indicator", "https://photos.example.com").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Photos API").await;
    chrome.type_into("#scope-name", "read:photos").await;
    chrome.type_into("#scope-description", "See your photos").await;
    chrome.until_text("button", "Add scope").await.click().await.unwrap();
    chrome.until_text("table.list code", "read:photos").await;
    chrome.screenshot("resource").await;

    open(chrome, "Roles").await;
    chrome.until_text("button", "Create role").await.click().await.unwrap();
    chrome.type_into("#role-name", "Photo viewer").await;
    chrome.type_into("#role-description", "Sees photos").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Photo viewer").await;
    let selected = chrome.find("[role=tab][aria-selected=true]").await;
    assert_eq!(selected.text().await.unwrap(), "Permissions");
    chrome.until_text("#role-scopes-resource option", "Photos API").await.click().await.unwrap();
    chrome.until_text(".scope-choices label", "read:photos").await.click().await.unwrap();
    chrome.until_text("button", "Add permissions").await.click().await.unwrap();
    chrome.until_text("tr.group", "Photos API").await;
    chrome.until_text("table.list code", "read:photos").await;
    chrome.screenshot("role").await;
}

async fn users(chrome: &Chrome, server: &TestServer) -> latch_domain::entities::User {
    // A third-party app the user will have connected, to revoke from the console.
    server.app("partner-app", AppType::Traditional, true, &["https://partner.example/cb"]).await;
    open(chrome, "Users").await;
    chrome.until_text("table.list a", "Administrator").await;
    chrome.screenshot("users").await;
    chrome.until_text("button", "Create user").await.click().await.unwrap();
    chrome.type_into("#u-username", "grace").await;
    chrome.type_into("#u-email", "grace@navy.example").await;
    chrome.type_into("#u-name", "Grace Hopper").await;
    chrome.type_into("#u-password", "short").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    // The password policy answers at the password field; nothing is created.
    assert!(!chrome.find("#u-password-error").await.text().await.unwrap().is_empty());
    assert!(server.repos.find_user_by_username("grace").await.unwrap().is_none());
    chrome.type_into("#u-password", PASSWORD).await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Grace Hopper").await;
    let grace = server.repos.find_user_by_username("grace").await.unwrap().expect("created");
    assert!(grace.password_hash.is_some());
    server
        .repos
        .save_grant(&Grant {
            id: GrantId::from("grant-grace"),
            user_id: grace.id.clone(),
            application_id: ApplicationId::from("partner-app"),
            details: GrantDetails { scopes: vec!["openid".into(), "email".into()], ..Default::default() },
            created_at: Timestamp(1_700_000_000),
            updated_at: Timestamp(1_700_000_000),
            last_used_at: None,
        })
        .await
        .unwrap();

    // Search finds her by any part of what she is called, in any case.
    open(chrome, "Users").await;
    chrome.type_into("#user-search", "HOPPER").await;
    chrome.until_text("button", "Search").await.click().await.unwrap();
    chrome.until_text(".pager", "1 in all").await;
    assert_eq!(texts(chrome, "table.list tbody td:first-child a").await, ["Grace Hopper"]);
    chrome.type_into("#user-search", "nobody-at-all").await;
    chrome.until_text("button", "Search").await.click().await.unwrap();
    chrome.until_text(".empty", "No user matches.").await;
    chrome.type_into("#user-search", "grace").await;
    chrome.until_text("button", "Search").await.click().await.unwrap();
    chrome.until_text("table.list a", "Grace Hopper").await.click().await.unwrap();
    chrome.until_text("h1", "Grace Hopper").await;

    // Suspend, and back.
    chrome.until_text("button", "Suspend user").await.click().await.unwrap();
    chrome.until_text(".tag", "Suspended").await;
    assert!(server.repos.get_user(&grace.id).await.unwrap().unwrap().is_suspended);
    chrome.screenshot("user").await;
    chrome.until_text("button", "Reactivate user").await.click().await.unwrap();
    chrome.until_text(".tag", "Active").await;
    assert!(!server.repos.get_user(&grace.id).await.unwrap().unwrap().is_suspended);

    // A role.
    chrome.until_text("[role=tab]", "Roles").await.click().await.unwrap();
    chrome.until_text("#add-role option", "Photo viewer").await.click().await.unwrap();
    chrome.until_text("button", "Give role").await.click().await.unwrap();
    chrome.until_text("table.list a", "Photo viewer").await;
    let held = server.repos.page_user_roles(&grace.id, latch_domain::repo::Page { page: 1, size: 10 }).await.unwrap().0;
    assert_eq!(held.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Photo viewer"]);

    // A new password, refused when too short, at its field.
    chrome.until_text("[role=tab]", "Password").await.click().await.unwrap();
    let before = server.repos.get_user(&grace.id).await.unwrap().unwrap().password_hash;
    chrome.type_into("#pw-new", "abc").await;
    chrome.until_text("button", "Set password").await.click().await.unwrap();
    assert!(!chrome.find("#pw-new-error").await.text().await.unwrap().is_empty());
    chrome.type_into("#pw-new", "another correct horse battery").await;
    chrome.until_text("button", "Set password").await.click().await.unwrap();
    chrome.until_text(".saved", "Password set").await;
    assert_ne!(server.repos.get_user(&grace.id).await.unwrap().unwrap().password_hash, before);

    // Locked out by failed sign-ins, then unlocked from the Sessions tab.
    let key = latch_core::commands::sign_in_failures_key(&grace.id);
    for _ in 0..10 {
        server.core.cache.incr(&key, std::time::Duration::from_secs(900)).await.unwrap();
    }
    chrome.until_text("[role=tab]", "Sessions").await.click().await.unwrap();
    chrome.until_text("button", "Unlock sign-in").await.click().await.unwrap();
    chrome.until_text(".saved", "Sign-in unlocked").await;
    assert_eq!(server.core.cache.get(&key).await.unwrap(), None, "the failures are cleared");

    // Her authenticator app, seen on the MFA tab and reset.
    let phone = latch_domain::entities::MfaFactor {
        id: latch_domain::ids::FactorId::from("f-grace"),
        user_id: grace.id.clone(),
        kind: latch_domain::entities::FactorKind::Totp,
        name: "Grace's phone".into(),
        secret: "sealed".into(),
        last_used_step: None,
        created_at: latch_domain::Timestamp(1_700_000_000),
        last_used_at: None,
        credential_id: None,
    };
    let codes = latch_domain::repo::Write::SetRecoveryCodes { user: grace.id.clone(), hashes: vec!["h".into()] };
    server.repos.commit(vec![latch_domain::repo::Write::InsertFactor(phone), codes]).await.unwrap();
    chrome.until_text("[role=tab]", "MFA").await.click().await.unwrap();
    chrome.until_text("table.list td", "Grace's phone").await;
    chrome.until_text("table.list td", "Authenticator app").await;
    chrome.until_text("p.muted", "Recovery codes left: 1").await;
    chrome.screenshot("user-mfa").await;
    chrome.until_text("button", "Reset MFA").await.click().await.unwrap();
    chrome.until_text(".empty", "No second factor").await;
    assert!(server.repos.list_user_factors(&grace.id).await.unwrap().is_empty());

    // The app she connected, by name, revoked.
    chrome.until_text("[role=tab]", "Connected apps").await.click().await.unwrap();
    chrome.until_text("table.list a", "App partner-app").await;
    chrome.until_text("table.list code", "email").await;
    chrome.screenshot("user-connected-apps").await;
    chrome.until_text("button", "Revoke").await.click().await.unwrap();
    chrome.until_text(".empty", "has not connected any app").await;
    assert!(server.repos.get_grant_by_id(&GrantId::from("grant-grace")).await.unwrap().is_none());
    grace
}

async fn organizations(chrome: &Chrome, server: &TestServer, grace: &latch_domain::entities::User) {
    // The template first: a permission and a role granting it and an API scope.
    open(chrome, "Organization template").await;
    chrome.type_into("#os-scope-name", "invite:member").await;
    chrome.type_into("#os-scope-description", "Invite people").await;
    chrome.until_text("button", "Add permission").await.click().await.unwrap();
    chrome.until_text("table.list code", "invite:member").await;
    chrome.until_text("[role=tab]", "Organization roles").await.click().await.unwrap();
    chrome.type_into("#or-name", "org-admin").await;
    chrome.until_text("button", "Create role").await.click().await.unwrap();
    chrome.until_text("h1", "org-admin").await;
    chrome.until_text(".scope-choices label", "invite:member").await.click().await.unwrap();
    chrome.until_text("#org-role-scopes-resource option", "Photos API").await.click().await.unwrap();
    chrome.until_text(".picker .scope-choices label", "read:photos").await.click().await.unwrap();
    chrome.until_text("button", "Add API permissions").await.click().await.unwrap();
    chrome.until_text("tr.group", "Photos API").await;
    let role = server.repos.list_organization_roles(latch_domain::repo::Page { page: 1, size: 10 }).await.unwrap().0;
    let role = role.into_iter().find(|r| r.name == "org-admin").expect("created");
    eventually("the role grants invite:member", || async {
        server.repos.organization_role_scope_ids(&role.id).await.unwrap().len() == 1
    })
    .await;
    chrome.screenshot("organization-role").await;

    open(chrome, "Organizations").await;
    chrome.until_text("button", "Create organization").await.click().await.unwrap();
    chrome.type_into("#o-name", "Acme").await;
    chrome.type_into("#o-description", "Our first customer").await;
    chrome.until_text("button[type=submit]", "Create").await.click().await.unwrap();
    chrome.until_text("h1", "Acme").await;
    chrome.type_into("#org-members-search", "grace").await;
    chrome.until_text("ul.found button", "Add").await.click().await.unwrap();
    chrome.until_text("table.list a", "Grace Hopper").await;
    chrome.until_text("button", "Edit roles").await.click().await.unwrap();
    chrome.until_text("td .scope-choices label", "org-admin").await.click().await.unwrap();
    chrome.until_text("button", "Save roles").await.click().await.unwrap();
    chrome.until_text("table.list td", "org-admin").await;
    chrome.screenshot("organization").await;
    let orgs = server.repos.list_organizations(latch_domain::repo::Page { page: 1, size: 10 }).await.unwrap().0;
    let acme: OrganizationId = orgs.into_iter().find(|o| o.name == "Acme").expect("created").id;
    let roles = server.repos.organization_member_roles(&acme, &grace.id).await.unwrap();
    assert_eq!(roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["org-admin"]);
}

async fn keys(chrome: &Chrome, server: &TestServer) {
    let current = |keys: Vec<latch_domain::entities::SigningKey>| {
        keys.into_iter()
            .filter(|k| k.state == latch_domain::entities::KeyState::Current)
            .map(|k| k.kid)
            .collect::<Vec<_>>()
    };
    let before = current(server.repos.list_signing_keys().await.unwrap());
    open(chrome, "Signing keys").await;
    chrome.until_text(".tag", "current").await;
    chrome.until_text("button", "Rotate keys").await.click().await.unwrap();
    chrome.until_text("[role=alertdialog] h2", "Rotate the signing keys?").await;
    chrome.until_text("button", "Rotate now").await.click().await.unwrap();
    chrome.until_text(".saved", "Rotated").await;
    let after = current(server.repos.list_signing_keys().await.unwrap());
    assert!(!after.is_empty() && after != before, "{before:?} → {after:?}");
    chrome.until_text(".tag", "previous").await;
    chrome.screenshot("signing-keys").await;
}

/// The identity provider's own branding: an unreadable accent is refused at its field with
/// the ratio; a readable one is saved and every end-user page shows the organisation's name.
async fn sign_in_experience(chrome: &Chrome, server: &TestServer) {
    open(chrome, "Sign-in experience").await;
    chrome.type_into("#x-name", "Acme Corporation").await;
    chrome.type_into("#x-accent", "#748ffc").await;
    chrome.until_text("button[type=submit]", "Save sign-in experience").await.click().await.unwrap();
    let refused = chrome.until_text("#x-accentColor-error", "2.96:1").await;
    assert!(refused.text().await.unwrap().contains("4.5:1"));
    assert_eq!(chrome.find("#x-accent").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    chrome.type_into("#x-accent", "#1864ab").await;
    chrome.type_into("#x-dark-accent", "#74c0fc").await;
    chrome.screenshot("sign-in-experience").await;
    chrome.find("#x-sign-up-email").await.click().await.unwrap();
    chrome.find("#x-mfa-admins").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save sign-in experience").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    let stored = server.repos.get_idp_branding().await.unwrap().expect("saved");
    assert_eq!(stored.sign_up, latch_domain::entities::SignUpMode::Email);
    assert_eq!(stored.mfa, latch_domain::entities::MfaPolicy::Admins);
    // Back to optional before anything else: the console's own admin has no second factor.
    chrome.find("#x-mfa-optional").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save sign-in experience").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    assert_eq!(server.repos.get_idp_branding().await.unwrap().expect("saved").mfa, Default::default());
    assert_eq!(stored.organization_name.as_deref(), Some("Acme Corporation"));
    assert_eq!(stored.accent_color.as_deref(), Some("#1864ab"));
    // Required verification needs email, which this server cannot send: refused, in words.
    chrome.find("#x-verified").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save sign-in experience").await.click().await.unwrap();
    chrome.until_text("form p.error[role=alert]", "needs an SMTP server").await;
    assert!(!server.repos.get_idp_branding().await.unwrap().expect("saved").require_verified_email);
    chrome.find("#x-verified").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save sign-in experience").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    let page = reqwest::get(format!("{}/sign-in?interaction=none", server.base)).await.unwrap().text().await.unwrap();
    assert!(page.contains("<span class=\"org\">Acme Corporation</span>"), "{page}");
}

/// Open registration: on for native apps only, with email and the Photos API's scope; the admin
/// API's scopes are refused at the permissions; a client then registers within the ceiling.
async fn open_registration(chrome: &Chrome, server: &TestServer) {
    let invite = latch_domain::entities::OrganizationScope {
        id: "os-invite".into(),
        name: "invite-member".into(),
        description: "Invite members".into(),
        created_at: latch_domain::Timestamp(1),
    };
    server.repos.insert_organization_scope(&invite).await.unwrap();
    open(chrome, "Open registration").await;
    chrome.find("#r-enabled").await.click().await.unwrap();
    chrome.find("#r-org-invite-member").await.click().await.unwrap();
    // SPA and Native are ticked by default: native apps only.
    assert_eq!(chrome.find("#r-type-Native").await.prop("checked").await.unwrap().as_deref(), Some("true"));
    chrome.find("#r-type-SPA").await.click().await.unwrap();
    chrome.find("#r-scope-email").await.click().await.unwrap();
    chrome.find("#r-pick-resource").await.click().await.unwrap();
    chrome.until_text("#r-pick-resource option", "urn:latch:api:admin").await.click().await.unwrap();
    chrome.until_text(".scope-choices label", "all").await.click().await.unwrap();
    chrome.until_text("button", "Allow").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save open registration").await.click().await.unwrap();
    chrome.until_text("#r-permissions-error", "never be permitted").await;
    chrome.until_text("ul.chosen button", "Remove").await.click().await.unwrap();
    chrome.find("#r-pick-resource").await.click().await.unwrap();
    chrome.until_text("#r-pick-resource option", "Photos API").await.click().await.unwrap();
    chrome.until_text(".scope-choices label", "read:photos").await.click().await.unwrap();
    chrome.until_text("button", "Allow").await.click().await.unwrap();
    chrome.until_text("button[type=submit]", "Save open registration").await.click().await.unwrap();
    chrome.until_text(".saved", "Saved").await;
    chrome.until_text("ul.chosen span", "Photos API · read:photos").await;
    chrome.d().execute("window.scrollTo(0, 0)", Vec::new()).await.unwrap();
    chrome.screenshot("open-registration").await;
    let policy = server.repos.get_registration_policy().await.unwrap().expect("saved");
    assert!(policy.enabled);
    assert_eq!(policy.app_types, [latch_domain::entities::AppType::Native]);
    let refs: Vec<&str> = policy.permissions.iter().map(|p| p.scope_ref.as_str()).collect();
    assert!(refs.contains(&"email") && refs.contains(&"os-invite") && refs.len() == 3, "{refs:?}");
    let registered: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/reg", server.issuer))
        .json(&serde_json::json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none",
            "scope": "email read:photos phone"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered["scope"], "email read:photos", "{registered}");
    // It is marked among the third-party apps; the operator reviews it and takes it over.
    let id = registered["client_id"].as_str().unwrap().to_owned();
    chrome.d().goto(&format!("{}/console/applications?tab=third-party", server.base)).await.unwrap();
    chrome.until_text("table.list .tag", "Self-registered").await;
    chrome.d().goto(&format!("{}/console/applications/{id}", server.base)).await.unwrap();
    chrome.until_text(".registered", "Registered itself on").await;
    chrome.until_text("button", "Take over").await.click().await.unwrap();
    eventually("the app is taken over", || async {
        server.repos.get_client_registration(&id.as_str().into()).await.unwrap().is_none()
    })
    .await;
    let mut shown = true;
    for _ in 0..50 {
        shown = !chrome.d().find_all(thirtyfour::By::Css(".registered")).await.unwrap().is_empty();
        if !shown {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!shown, "the notice goes once the app is taken over");
    // An initial access token: shown once, listed by name, revoked.
    open(chrome, "Open registration").await;
    chrome.type_into("#t-name", "Acme's MCP client").await;
    chrome.until_text("button", "Issue token").await.click().await.unwrap();
    let fresh = chrome.until_text(".fresh-token", "not shown again").await;
    let value = fresh.find(thirtyfour::By::Css("code")).await.unwrap().text().await.unwrap();
    let stored = server.repos.list_initial_access_tokens().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token_hash, latch_oidc::crypto::token_hash(&value), "the value shown is the token");
    chrome.until_text("table.list td", "Acme's MCP client").await;
    chrome.until_text("table.list button", "Revoke").await.click().await.unwrap();
    eventually("the token is revoked", || async {
        server.repos.list_initial_access_tokens().await.unwrap().is_empty()
    })
    .await;
}

async fn audit(chrome: &Chrome) {
    open(chrome, "Audit log").await;
    chrome.until_text("table.list code", "keys.rotate").await;
    chrome.type_into("#f-action", "user.").await;
    chrome.until_text("button", "Filter").await.click().await.unwrap();
    chrome.until_text("table.list code", "user.create").await;
    let actions = texts(chrome, "table.list tbody td:nth-child(3)").await;
    assert!(!actions.is_empty() && actions.iter().all(|a| a.starts_with("user.")), "{actions:?}");
    assert!(actions.iter().any(|a| a == "user.roles.add"), "{actions:?}");
    // The filter is in the address: a reload keeps it.
    let url = chrome.d().current_url().await.unwrap();
    assert!(url.query().unwrap_or_default().contains("action=user."), "{url}");
    chrome.screenshot("audit-log").await;
    chrome.until_text("button", "Clear").await.click().await.unwrap();
    chrome.until_text("table.list code", "keys.rotate").await;
    assert_eq!(chrome.find("#f-action").await.prop("value").await.unwrap().as_deref(), Some(""), "the form follows");
    chrome.find("#f-target-type").await.click().await.unwrap();
    chrome.until_text("#f-target-type option", "organization").await.click().await.unwrap();
    chrome.until_text("button", "Filter").await.click().await.unwrap();
    chrome.until_text("table.list code", "organization.create").await;
    let targets = texts(chrome, "table.list tbody td:nth-child(4)").await;
    assert!(!targets.is_empty() && targets.iter().all(|t| t.starts_with("organization ")), "{targets:?}");
}

/// The Email page: the SMTP settings as configured (no password), and a test message the
/// real SMTP server receives, with the answer shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_checks_the_email_settings_with_a_test_message() {
    let Some(python) = crate::harness::test_python() else { return };
    let Some(dir) = super::console_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sink = crate::email::Sink::start(&python, tmp.path(), "console", &[]);
    let port = sink.port;
    let Some(server) = TestServer::start_with(crate::harness::Backends::Embedded, |c| {
        c.console_dir = Some(dir);
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = Some(port);
        c.smtp.tls = latch::config::SmtpTls::None;
        c.smtp.from = Some("Acme Identity <no-reply@acme.example>".into());
    })
    .await
    else {
        return;
    };
    let Some(chrome) = Chrome::start().await else { return };
    super::sign_in(&chrome, &server).await;
    open(&chrome, "Email").await;
    let status = chrome.until_text("#email-status", "127.0.0.1").await.text().await.unwrap();
    assert!(status.contains("Encryption\nnone") && status.contains("no-reply@acme.example"), "{status}");
    chrome.type_into("#e-to", "not an address").await;
    chrome.until_text("button[type=submit]", "Send test message").await.click().await.unwrap();
    chrome.find("#e-to-error").await;
    assert_eq!(chrome.find("#e-to").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    chrome.type_into("#e-to", "ops@example.com").await;
    chrome.until_text("button[type=submit]", "Send test message").await.click().await.unwrap();
    chrome.until_text("#e-result", "The server took the message.").await;
    chrome.screenshot("email").await;
    let got = sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["to"], serde_json::json!(["ops@example.com"]));
    assert!(chrome.console_errors().await.is_empty());
    chrome.quit().await;
}

//! Issue 13, the security audit trail: sign-ins and their failures with the reason, consent
//! granted and changed, a grant revoked on the connected-apps page, a replayed code, a reused
//! refresh token, a failed client authentication, a lockout and an expired secret are each in
//! the audit log with time, actor, client, address and user agent, and the admin API filters
//! them.

use crate::browser::{Browser, USER_AGENT};
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::entities::AppType;
use serde_json::Value;

on_both_backends!(security_events_are_audited_with_who_where_and_why);

async fn security_events_are_audited_with_who_where_and_why(server: &TestServer) {
    let admin = server.admin().await;
    let client = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let ada = server.user("ada").await;
    let browser = Browser::new(&server.base);
    let url = format!("{}&prompt=consent", authorize_url(server, &client, "openid email offline_access"));
    let page = browser.open(&url).await.page();
    let page = browser.sign_in(&page, "ada", "not her password").await.page();
    let page = browser.sign_in(&page, "nobody-at-all", "whatever it is").await.page();
    let consent = browser.sign_in(&page, "ada", PASSWORD).await.page();
    let (_, params) = browser.consent(&consent, true).await.client();
    let code = params["code"].clone();
    let secret = client.secret.clone().unwrap();
    let token = |form: Vec<(&'static str, String)>, secret: String| {
        http().post(format!("{}/token", server.issuer)).basic_auth("partner", Some(secret)).form(&form).send()
    };
    let exchange = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect::<Vec<_>>();
    let tokens: Value = token(exchange.clone(), secret.clone()).await.unwrap().json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();
    let renew = vec![("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect::<Vec<_>>();
    assert_eq!(token(renew.clone(), secret.clone()).await.unwrap().status(), 200);
    assert_eq!(token(renew, secret.clone()).await.unwrap().status(), 400, "the rotated-out token is refused");
    assert_eq!(token(exchange, secret.clone()).await.unwrap().status(), 400, "the code is single-use");
    let wrong = vec![("grant_type", "client_credentials".to_owned())];
    assert_eq!(token(wrong, "not-the-secret".into()).await.unwrap().status(), 401);
    // The user revokes the app on the connected-apps page.
    let apps = browser.open(&format!("{}/account/apps", server.base)).await.page();
    let (_, fields) = apps.form();
    let res = browser.http().post(format!("{}/account/apps/revoke", server.base)).form(&fields).send().await.unwrap();
    assert_eq!(res.status(), 303);

    let events = admin.get("/audit-logs?action=security.&pageSize=100").await;
    assert_eq!(events.status, 200);
    let entries = events.body.as_array().unwrap().clone();
    let find = |action: &str| -> Vec<Value> { entries.iter().filter(|e| e["action"] == action).cloned().collect() };
    let failed = find("security.sign_in.failed");
    let reasons: Vec<(&str, &str)> =
        failed.iter().map(|e| (e["actor"].as_str().unwrap(), e["details"]["reason"].as_str().unwrap())).collect();
    assert!(reasons.contains(&("user:user-ada", "wrong_password")), "{reasons:?}");
    assert!(reasons.contains(&("anonymous", "unknown_account")), "{reasons:?}");
    let user_actor = format!("user:{}", ada.id);
    for action in [
        "security.sign_in.succeeded",
        "security.consent.granted",
        "security.grant.revoked",
        "security.code.replayed",
        "security.refresh_token.reused",
        "security.client_auth.failed",
    ] {
        let found = find(action);
        assert_eq!(found.len(), 1, "{action} once: {entries:#?}");
        let e = &found[0];
        assert_eq!(e["targetType"], "application", "{action}");
        assert_eq!(e["targetId"], "partner", "{action}: the client");
        assert_eq!(e["details"]["ip"], "127.0.0.1", "{action}: the address");
        assert!(e["at"].as_i64().is_some_and(|t| t > 1_700_000_000), "{action}: the time");
        if action.starts_with("security.sign_in")
            || action.starts_with("security.consent")
            || action == "security.grant.revoked"
        {
            assert_eq!(e["actor"], user_actor.as_str(), "{action}: the user");
            assert_eq!(e["details"]["userAgent"], USER_AGENT, "{action}: the user agent");
        }
    }
    let scopes = &find("security.consent.granted")[0]["details"]["scopes"];
    assert!(scopes.as_array().unwrap().iter().any(|s| s == "email"), "what was granted: {scopes}");
    // The admin robot's token: its first use is recorded once, however often it is used.
    let used = admin.get("/audit-logs?action=security.admin_token.used").await;
    assert_eq!(used.total, Some(1), "{}", used.body);
    let used = &used.body[0];
    assert!(used["actor"].as_str().unwrap().starts_with("application:"), "the robot: {used}");
    assert_eq!(used["targetId"], used["actor"].as_str().unwrap().trim_start_matches("application:"));
    assert_eq!(used["details"]["token"].as_str().map(str::len), Some(16), "a hash prefix names the token: {used}");
    // Filters: by actor, by action, by client.
    let mine = admin.get(&format!("/audit-logs?actor={user_actor}&action=security.")).await;
    assert!(mine.body.as_array().unwrap().iter().all(|e| e["actor"] == user_actor.as_str()));
    assert!(mine.total.unwrap() >= 4, "{}", mine.body);
    let by_client =
        admin.get("/audit-logs?targetType=application&targetId=partner&action=security.client_auth.failed").await;
    assert_eq!(by_client.total, Some(1), "{}", by_client.body);
    // Secrets never: not the password, the client secret, the code or the refresh token.
    let all = entries.iter().map(Value::to_string).collect::<String>();
    for s in [
        PASSWORD,
        "not her password",
        "whatever it is",
        "nobody-at-all",
        secret.as_str(),
        code.as_str(),
        refresh.as_str(),
    ] {
        assert!(!all.contains(s), "`{s}` is in the audit log: {all}");
    }
}

/// The failed sign-in that locks an account is audited once (the user, the app, the rule),
/// attempts while it is locked say `locked`; a client presenting an expired secret is refused
/// and the trail names the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockout_and_an_expired_secret_are_audited() {
    let Some(server) = TestServer::start_with(crate::harness::Backends::Embedded, |c| {
        c.limits.account_delay_after = 3;
        c.limits.account_lock_after = 3;
    })
    .await
    else {
        return;
    };
    let admin = server.admin().await;
    let client = server.app("locker", AppType::Traditional, false, &["https://locker.example.com/cb"]).await;
    let ada = server.user("ada").await;
    let browser = Browser::new(&server.base);
    let mut page = browser.open(&authorize_url(&server, &client, "openid")).await.page();
    for attempt in 1..=3 {
        page = browser.sign_in(&page, "ada", &format!("wrong password {attempt}")).await.page();
    }
    let refused = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert_eq!(refused.status, 401, "locked: even the right password is refused");
    let locked = admin.get("/audit-logs?action=security.account.locked").await;
    assert_eq!(locked.total, Some(1), "the lock is recorded once: {}", locked.body);
    let e = &locked.body[0];
    assert_eq!(
        (e["actor"].as_str(), e["targetType"].as_str()),
        (Some(format!("user:{}", ada.id).as_str()), Some("user"))
    );
    assert_eq!(e["targetId"], ada.id.as_str());
    assert_eq!(e["details"]["application"], "locker");
    assert_eq!((e["details"]["failures"].as_u64(), e["details"]["windowSecs"].as_u64()), (Some(3), Some(900)));
    assert_eq!(e["details"]["userAgent"], USER_AGENT);
    let reasons = admin.get("/audit-logs?action=security.sign_in.failed&pageSize=100").await;
    let reasons: Vec<&str> =
        reasons.body.as_array().unwrap().iter().filter_map(|e| e["details"]["reason"].as_str()).collect();
    assert_eq!(reasons.iter().filter(|r| **r == "locked").count(), 1, "{reasons:?}");
    // The operator unlocks the account: the right password signs in at once, and the audit
    // log has who did it and how many failures were cleared.
    assert_eq!(admin.delete(&format!("/users/{}/sign-in-failures", ada.id)).await.status, 204);
    assert_eq!(admin.delete("/users/nobody/sign-in-failures").await.status, 404);
    let again = Browser::new(&server.base);
    let page = again.open(&authorize_url(&server, &client, "openid")).await.page();
    let (_, params) = again.sign_in(&page, "ada", PASSWORD).await.client();
    assert!(params.contains_key("code"), "unlocked: {params:?}");
    let unlocked = admin.get("/audit-logs?action=user.unlock").await;
    assert_eq!(unlocked.total, Some(1), "{}", unlocked.body);
    assert_eq!(unlocked.body[0]["targetId"], ada.id.as_str());
    assert_eq!(unlocked.body[0]["details"]["clearedFailures"], 4, "3 failures and the refused attempt");
    assert!(unlocked.body[0]["actor"].as_str().unwrap().starts_with("application:"), "the admin robot");

    // A secret that expires on the server's clock.
    let now = latch_domain::Clock::now(server.clock.as_ref()).0;
    let brief =
        admin.post("/applications/locker/secrets", serde_json::json!({"name": "brief", "expiresAt": now + 60})).await;
    let value = brief.body["value"].as_str().unwrap().to_owned();
    server.clock.advance(61);
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth("locker", Some(&value))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["error_description"].as_str()),
        (Some("invalid_client"), Some("the client secret has expired"))
    );
    let expired = admin.get("/audit-logs?action=security.secret.expired").await;
    assert_eq!(expired.total, Some(1), "{}", expired.body);
    let e = &expired.body[0];
    assert_eq!((e["actor"].as_str(), e["targetId"].as_str()), (Some("application:locker"), Some("locker")));
    assert_eq!(e["details"]["secret"], "brief", "the secret by name");
    assert!(!expired.body.to_string().contains(&value), "never its value");
}

/// RFC 9700 §4.13: `X-Forwarded-For` counts only when the operator says a proxy sets it, and
/// then only its last hop (the one the proxy appended); the audit trail records that address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forwarded_address_is_trusted_only_when_configured() {
    for trusted in [false, true] {
        let Some(server) =
            TestServer::start_with(crate::harness::Backends::Embedded, |c| c.trust_forwarded_for = trusted).await
        else {
            return;
        };
        let res = http()
            .post(format!("{}/token", server.issuer))
            .header("x-forwarded-for", "198.51.100.7, 203.0.113.9")
            .basic_auth("nobody", Some("wrong"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        let log = server.admin().await.get("/audit-logs?action=security.client_auth.failed").await;
        let ip = log.body[0]["details"]["ip"].clone();
        let expected = if trusted { "203.0.113.9" } else { "127.0.0.1" };
        assert_eq!(ip, expected, "trust_forwarded_for = {trusted}: {}", log.body);
    }
}

/// An IPv6 client is counted by its /64 (the block one site holds): rotating addresses inside
/// it meets the same limit, a neighbouring /64 has its own; the audit trail keeps each address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_clients_are_limited_by_their_64() {
    let Some(server) = TestServer::start_with(crate::harness::Backends::Embedded, |c| {
        c.trust_forwarded_for = true;
        c.limits.ip_failures = 3;
    })
    .await
    else {
        return;
    };
    let attempt = |ip: String| {
        let url = format!("{}/token", server.issuer);
        async move {
            http()
                .post(url)
                .header("x-forwarded-for", ip)
                .basic_auth("nobody", Some("wrong"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for i in 1..=3 {
        assert_eq!(attempt(format!("2001:db8:1:2::{i:x}")).await, 401, "attempt {i}");
    }
    assert_eq!(attempt("2001:db8:1:2:ffff::9".into()).await, 429, "another address of the same /64");
    assert_eq!(attempt("2001:db8:1:3::1".into()).await, 401, "the next /64 is counted on its own");
    let log = server.admin().await.get("/audit-logs?action=security.client_auth.failed").await;
    assert_eq!(log.body[0]["details"]["ip"], "2001:db8:1:3::1", "the trail keeps the address itself");
}

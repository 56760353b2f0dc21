//! Two nodes on one Postgres and one Redis: a flow started on one finishes on the other, and a
//! change announced by one reaches the other's cache at once.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use latch_core::catalog::{self, Change};
use latch_domain::Timestamp;
use latch_domain::entities::{AppSecret, AppType};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_from_one_node_is_redeemed_on_the_other_once() {
    let Some((a, b)) = TestServer::start_pair().await else { return };
    a.user("ada").await;
    let web = a.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let browser = Browser::new(&a.base);
    let page = browser.open(&authorize_url(&a, &web, "openid email")).await.page();
    let (_, params) = browser.sign_in(&page, "ada", PASSWORD).await.client();
    let code = params["code"].clone();
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", web.redirect_uri.as_str())];
    let exchange = |server: &TestServer| {
        let req = http().post(format!("{}/token", server.issuer)).basic_auth(&web.id, web.secret.as_ref()).form(&form);
        async move { req.send().await.unwrap() }
    };
    let res = exchange(&b).await;
    assert_eq!(res.status(), 200, "node B redeems node A's code");
    let body: Value = res.json().await.unwrap();
    // The ID token B signed verifies with the keys A publishes: one key set for the cluster.
    let claims = crate::oidc_flows::verify_with_jwks(&a, body["id_token"].as_str().unwrap(), "JWT").await;
    assert_eq!(claims["iss"], a.issuer.replace(&a.base, &b.base).as_str(), "each node names its public_url");
    let again = exchange(&a).await;
    assert_eq!(again.status(), 400, "and it is single-use across nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_secret_stops_working_on_every_node_at_once() {
    let Some((a, b)) = TestServer::start_pair().await else { return };
    let robot = a.app("robot", AppType::MachineToMachine, false, &[]).await;
    a.resource("https://api.example.com", &["read"], "robot-role", latch_domain::entities::RoleType::MachineToMachine)
        .await;
    a.repos.add_application_roles(&"robot".into(), &["robot-role".into()]).await.unwrap();
    let grant = |server: &TestServer, secret: String| {
        let req = http()
            .post(format!("{}/token", server.issuer))
            .basic_auth("robot", Some(secret))
            .form(&[("grant_type", "client_credentials"), ("resource", "https://api.example.com")]);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let old = robot.secret.clone().unwrap();
    assert_eq!(grant(&b, old.clone()).await, 200, "B now caches the robot");
    // Rotate the secret through the store, then announce it from A.
    a.repos.delete_secret(&"robot".into(), "default").await.unwrap();
    let new = "a-brand-new-secret-0123456789abcdefghijklmnop".to_owned();
    a.repos
        .insert_secret(&AppSecret {
            application_id: "robot".into(),
            name: "rotated".into(),
            hash: latch_oidc::crypto::token_hash(&new),
            created_at: Timestamp(1),
            expires_at: None,
        })
        .await
        .unwrap();
    catalog::announce(a.core.cache.as_ref(), &a.core.catalog, Change::Application("robot".into())).await;
    // Pub/sub is asynchronous: give the message a moment to cross Redis.
    let mut status = 0;
    for _ in 0..50 {
        status = grant(&b, old.clone()).await;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401, "the old secret fails on B within a second, long before the cache TTL");
    assert_eq!(grant(&b, new).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_on_one_node_reaches_the_other_and_old_tokens_still_verify() {
    let Some((a, b)) = TestServer::start_pair().await else { return };
    a.user("ada").await;
    let web = a.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let browser = Browser::new(&a.base);
    let page = browser.open(&authorize_url(&a, &web, "openid")).await.page();
    let (_, params) = browser.sign_in(&page, "ada", PASSWORD).await.client();
    let body: Value = http()
        .post(format!("{}/token", a.issuer))
        .basic_auth(&web.id, web.secret.as_ref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", web.redirect_uri.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old_token = body["id_token"].as_str().unwrap().to_owned();
    let kid = |t: &str| josekit::jwt::decode_header(t).unwrap().claim("kid").unwrap().as_str().unwrap().to_owned();
    let old_kid = kid(&old_token);
    let admin = a.admin().await;
    let rotated = admin.post("/configs/oidc/private-keys/rotate", serde_json::json!({})).await;
    assert_eq!(rotated.status, 200);
    let states: Vec<(String, String)> = rotated
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["id"].as_str().unwrap().to_owned(), k["state"].as_str().unwrap().to_owned()))
        .collect();
    assert!(states.contains(&(old_kid.clone(), "previous".to_owned())), "{states:?}");
    // Node B reloads its keys at once: its JWKS has the new key, and still the old one.
    let mut published = Vec::new();
    for _ in 0..50 {
        let jwks: Value = http().get(format!("{}/jwks", b.issuer)).send().await.unwrap().json().await.unwrap();
        published = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
        if published.len() == 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(published.len(), 6, "previous, current and next keys of both algorithms: {published:?}");
    assert!(published.contains(&old_kid));
    crate::oidc_flows::verify_with_jwks(&b, &old_token, "JWT").await;
    // B now signs with the new RS256 key.
    let robot = b.admin().await;
    let token = &robot.token;
    assert_ne!(kid(token), old_kid);
    assert!(published.contains(&kid(token)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_before_a_rotation_verifies_until_the_grace_period_ends() {
    let server = TestServer::start(crate::harness::Backends::Embedded).await.expect("server");
    let admin = server.admin().await;
    let old_token = admin.token.clone();
    let kid = |t: &str| josekit::jwt::decode_header(t).unwrap().claim("kid").unwrap().as_str().unwrap().to_owned();
    let jwks_kids = || async {
        let jwks: Value = http().get(format!("{}/jwks", server.issuer)).send().await.unwrap().json().await.unwrap();
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let next_before: Vec<String> = server
        .repos
        .list_signing_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.state == latch_domain::entities::KeyState::Next)
        .map(|k| k.kid.0)
        .collect();
    assert_eq!(next_before.len(), 2, "next keys are published ahead of use");
    assert_eq!(admin.post("/configs/oidc/private-keys/rotate", serde_json::json!({})).await.status, 200);
    // The next key became current: new tokens are signed with a key relying parties already had.
    let fresh = server.admin_token().await;
    assert!(next_before.contains(&kid(&fresh)), "the new current key is the former next key");
    // Within the grace period the old key is published and old tokens work.
    assert!(jwks_kids().await.contains(&kid(&old_token)));
    assert_eq!(admin.get("/applications").await.status, 200, "an admin token signed before the rotation still works");
    // Past the grace period (2 days by default) the key is gone: tokens it signed fail.
    server.clock.advance(2 * 24 * 3600 + 1);
    latch_core::commands::maintain_keys(&server.core).await.unwrap();
    assert!(!jwks_kids().await.contains(&kid(&old_token)));
    let res = http().get(server.url("/api/applications")).bearer_auth(&old_token).send().await.unwrap();
    assert_eq!(res.status(), 401, "the old key no longer verifies");
    let listed = server.repos.list_signing_keys().await.unwrap();
    assert!(listed.iter().all(|k| k.kid.0 != kid(&old_token)), "and it is deleted from the store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_on_schedule() {
    let server = TestServer::start_with(crate::harness::Backends::Embedded, |c| c.keys.rotation_days = 30)
        .await
        .expect("server");
    let current = |keys: &[latch_domain::entities::SigningKey]| {
        keys.iter()
            .filter(|k| k.state == latch_domain::entities::KeyState::Current)
            .map(|k| k.kid.0.clone())
            .collect::<Vec<_>>()
    };
    let before = current(&server.repos.list_signing_keys().await.unwrap());
    latch_core::commands::maintain_keys(&server.core).await.unwrap();
    assert_eq!(current(&server.repos.list_signing_keys().await.unwrap()), before, "not due yet");
    server.clock.advance(30 * 24 * 3600);
    latch_core::commands::maintain_keys(&server.core).await.unwrap();
    let after = current(&server.repos.list_signing_keys().await.unwrap());
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|k| !before.contains(k)), "rotated after 30 days");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_experience_set_on_one_node_shows_on_the_other_at_once() {
    let Some((a, b)) = TestServer::start_pair().await else { return };
    let web = a.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let before = Browser::new(&b.base).open(&authorize_url(&b, &web, "openid")).await.page();
    assert!(!before.html.contains("Acme"), "{}", before.html);
    let set = a.admin().await.put("/sign-in-experience", serde_json::json!({"organizationName": "Acme"})).await;
    assert_eq!(set.status, 200, "{}", set.body);
    // The announcement reaches B's listener asynchronously: within moments, not a minute.
    let mut shown = false;
    for _ in 0..50 {
        let page = Browser::new(&b.base).open(&authorize_url(&b, &web, "openid")).await.page();
        if page.html.contains("<span class=\"org\">Acme</span>") {
            shown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown, "node B shows node A's branding within 5 s");
}

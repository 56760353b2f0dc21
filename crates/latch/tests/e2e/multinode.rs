//! Two nodes on one Postgres and one Redis: a flow started on one finishes on the other, and a
//! change announced by one reaches the other's cache at once.

use crate::browser::Browser;
use crate::harness::{PASSWORD, TestServer};
use crate::oidc_flows::{authorize_url, http};
use latch_domain::Timestamp;
use latch_domain::entities::{AppSecret, AppType};
use latch_idp::catalog::{self, Change};
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
    catalog::announce(a.idp.cache.as_ref(), &a.idp.catalog, Change::Application(&"robot".into())).await;
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

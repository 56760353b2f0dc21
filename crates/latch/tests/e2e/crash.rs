//! A crash never leaves half an object (issue 10): the real `latch serve` is killed with
//! SIGKILL while four loops create confidential apps, users and roles with scopes through the
//! admin API; after each restart every listed object is whole — every Traditional app has its
//! secret, every role both its scopes — and every creation that was answered 201 is there.

use crate::oidc_flows::http;
use crate::review_input::{Served, latch_command};
use latch_testing::{self as testing, TestDb};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;

/// What the loops were told was created.
#[derive(Default)]
struct Created {
    apps: BTreeSet<String>,
    users: BTreeSet<String>,
    roles: BTreeSet<String>,
}

async fn token(base: &str, id: &str, secret: &str) -> String {
    let res = http()
        .post(format!("{base}/oidc/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("resource", "urn:latch:api:admin")])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.expect("json")["access_token"].as_str().expect("a token").to_owned()
}

/// Every row of an admin list.
async fn all(base: &str, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = http()
            .get(format!("{base}/api{path}{sep}page={page}&pageSize=100"))
            .bearer_auth(token)
            .send()
            .await
            .expect("list");
        assert_eq!(res.status(), 200, "{path}");
        let rows: Vec<Value> = res.json().await.expect("json");
        if rows.is_empty() {
            return out;
        }
        out.extend(rows);
    }
    out
}

/// Creates apps, users or roles until `stop`; each 201 is recorded.
async fn create_until(
    kind: usize,
    base: String,
    token: String,
    scopes: [String; 2],
    stop: Arc<AtomicBool>,
    created: Arc<Mutex<Created>>,
) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let tag = format!("{kind}-{n}-{}", latch_oidc::crypto::random_token(&latch_store::OsRandom, 4));
        let (path, body) = match kind % 3 {
            0 => (
                "/applications",
                json!({"name": format!("app-{tag}"), "type": "Traditional",
                "oidcClientMetadata": {"redirectUris": ["https://app.example.com/cb"], "postLogoutRedirectUris": []}}),
            ),
            1 => ("/users", json!({"username": format!("user-{tag}"), "password": "correct horse battery staple"})),
            _ => ("/roles", json!({"name": format!("role-{tag}"), "scopeIds": scopes})),
        };
        let Ok(res) = client.post(format!("{base}/api{path}")).bearer_auth(&token).json(&body).send().await else {
            continue; // the server is gone: nothing was promised
        };
        if res.status() != 201 {
            continue;
        }
        let Ok(v) = res.json::<Value>().await else { continue };
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let mut c = created.lock().await;
        match kind % 3 {
            0 => c.apps.insert(id),
            1 => c.users.insert(id),
            _ => c.roles.insert(id),
        };
    }
}

/// Checks that every listed object is whole and every acknowledged one is listed.
async fn check_whole(base: &str, token: &str, created: &Created) {
    let apps = all(base, token, "/applications").await;
    let mut listed = BTreeSet::new();
    for app in apps.iter().filter(|a| a["type"] == "Traditional") {
        let id = app["id"].as_str().expect("id");
        listed.insert(id.to_owned());
        let secrets = all(base, token, &format!("/applications/{id}/secrets")).await;
        assert!(!secrets.is_empty(), "the confidential app {id} has its secret after the crash");
    }
    assert!(created.apps.is_subset(&listed), "every app answered 201 survived");
    let users: BTreeSet<String> =
        all(base, token, "/users").await.iter().map(|u| u["id"].as_str().expect("id").to_owned()).collect();
    assert!(created.users.is_subset(&users), "every user answered 201 survived");
    let roles = all(base, token, "/roles").await;
    let mut listed = BTreeSet::new();
    for role in roles.iter().filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("role-"))) {
        let id = role["id"].as_str().expect("id");
        listed.insert(id.to_owned());
        let scopes = all(base, token, &format!("/roles/{id}/scopes")).await;
        assert_eq!(scopes.len(), 2, "the role {id} has both the scopes it was created with");
    }
    assert!(created.roles.is_subset(&listed), "every role answered 201 survived");
}

async fn crash_and_restart(dir: &Path, env: &[(&str, &str)]) {
    let data = dir.join("data");
    let mut served = Served::start_with(dir, &data, env).await;
    let cli_env: Vec<(&str, &str)> =
        [("LATCH_DATA_DIR", data.to_str().expect("utf-8")), ("LATCH_ADMIN_PASSWORD", "correct horse battery staple")]
            .into_iter()
            .chain(env.iter().copied())
            .collect();
    let out =
        latch_command(dir, &["admin", "create-m2m", "--name", "crash-robot"], &cli_env).output().expect("create-m2m");
    assert!(out.status.success(), "create-m2m: {}", String::from_utf8_lossy(&out.stderr));
    let robot: Value = serde_json::from_slice(&out.stdout).expect("create-m2m prints JSON");
    let (id, secret) =
        (robot["clientId"].as_str().unwrap().to_owned(), robot["clientSecret"].as_str().unwrap().to_owned());
    let token_now = token(&served.base, &id, &secret).await;
    let res = http()
        .post(format!("{}/api/resources", served.base))
        .bearer_auth(&token_now)
        .json(&json!({"name": "Crash API", "indicator": "https://crash.example.com"}))
        .send()
        .await
        .unwrap();
    let resource: Value = res.json().await.unwrap();
    let mut scopes = Vec::new();
    for name in ["read", "write"] {
        let res = http()
            .post(format!("{}/api/resources/{}/scopes", served.base, resource["id"].as_str().unwrap()))
            .bearer_auth(&token_now)
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        scopes.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let scopes = [scopes[0].clone(), scopes[1].clone()];
    let created = Arc::new(Mutex::new(Created::default()));
    for round in 0..3 {
        let stop = Arc::new(AtomicBool::new(false));
        let token_now = token(&served.base, &id, &secret).await;
        let loops: Vec<_> = (0..4)
            .map(|kind| {
                tokio::spawn(create_until(
                    kind + round,
                    served.base.clone(),
                    token_now.clone(),
                    scopes.clone(),
                    stop.clone(),
                    created.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // SIGKILL (std's `Child::kill` on Unix): no shutdown, no flushing, mid-request.
        served.child.kill().expect("SIGKILL");
        let _ = served.child.wait();
        stop.store(true, Ordering::Relaxed);
        for l in loops {
            l.await.expect("a loop");
        }
        served = Served::start_with(dir, &data, env).await;
        let token_now = token(&served.base, &id, &secret).await;
        check_whole(&served.base, &token_now, &*created.lock().await).await;
    }
    let c = created.lock().await;
    assert!(
        !c.apps.is_empty() && !c.users.is_empty() && !c.roles.is_empty(),
        "the loops created things: {}",
        served.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_leaves_every_object_whole_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    crash_and_restart(dir.path(), &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_leaves_every_object_whole_on_postgres() {
    let Some(pg) = testing::postgres_url() else {
        testing::skipped("LATCH_TEST_DATABASE_URL");
        return;
    };
    let db = TestDb::postgres(&pg).expect("postgres test database");
    let dir = tempfile::tempdir().expect("tempdir");
    // Several nodes could share this database: the secret key is configured, not generated.
    let secret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    crash_and_restart(dir.path(), &[("LATCH_DATABASE__URL", &db.url), ("LATCH_SECRET_KEY", secret)]).await;
}

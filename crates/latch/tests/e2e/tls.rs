//! Built-in TLS against the real `latch serve`: self-signed certificates made by the test, a
//! rustls client trusting only the one it is given, the OpenID Connect client library over
//! https, `__Host-` cookies and HSTS, and a certificate renewed on disk while the server runs.

use crate::browser::Browser;
use crate::oidc_flows::http;
use crate::review_input::Served;
use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// A certificate for 127.0.0.1 and localhost; written to `dir/tls.crt` and `dir/tls.key` when
/// `install` (by renaming, as an ACME client does), and what a client must trust for it.
fn certificate(dir: &Path, install: bool) -> reqwest::Certificate {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    if install {
        for (name, pem) in [("tls.key", made.signing_key.serialize_pem()), ("tls.crt", made.cert.pem())] {
            let staged = dir.join(format!("{name}.new"));
            std::fs::write(&staged, pem).unwrap();
            std::fs::rename(&staged, dir.join(name)).unwrap();
        }
    }
    reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap()
}

/// A client that trusts `cert` and nothing else.
fn trusting(cert: &reqwest::Certificate) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert.clone())
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
}

async fn answers(client: &reqwest::Client, base: &str) -> bool {
    matches!(client.get(format!("{base}/healthz")).send().await, Ok(res) if res.status() == 200)
}

/// Polls until `client` reaches `base` (or stops reaching it), for up to 15 s.
async fn until_reachable(client: &reqwest::Client, base: &str, reachable: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if answers(client, base).await == reachable {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latch_serves_https_itself_and_picks_up_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = certificate(dir.path(), true);
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let tls_env = [
        ("LATCH_TLS__CERT", cert.to_str().unwrap()),
        ("LATCH_TLS__KEY", key.to_str().unwrap()),
        ("LATCH_TLS__RELOAD_INTERVAL_SECS", "1"),
    ];
    let client = trusting(&first).build().unwrap();
    let served = Served::start_tls(dir.path(), &data, &tls_env, &client).await;
    let base = served.base.clone();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    // HSTS on every answer (RFC 6797), and discovery through the OpenID Connect client library:
    // the issuer is the https one.
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.headers()["strict-transport-security"], "max-age=31536000");
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(format!("{base}/oidc")).unwrap(), &client)
        .await
        .expect("discovery over TLS");
    assert_eq!(metadata.issuer().as_str(), format!("{base}/oidc"));
    assert!(metadata.token_endpoint().unwrap().as_str().starts_with("https://"));

    // Nothing is served in the clear on the TLS port, and a client that does not trust the
    // certificate gets no answer.
    let plain = base.replacen("https://", "http://", 1);
    assert!(http().get(format!("{plain}/healthz")).send().await.map(|r| r.status() != 200).unwrap_or(true));
    let stranger = reqwest::Client::builder().use_rustls_tls().tls_built_in_root_certs(false).build().unwrap();
    assert!(stranger.get(format!("{base}/healthz")).send().await.is_err(), "an untrusted certificate is refused");

    // A sign-in over https: the session and interaction cookies carry `__Host-` (Secure,
    // Path=/, no Domain) and the browser sends them back.
    let robot = served.admin_robot(dir.path(), &data, &client).await;
    robot.create("/users", json!({"username": "tls-user", "password": "correct horse battery staple"})).await;
    let app = robot
        .create(
            "/applications",
            json!({"name": "TLS check", "type": "Traditional",
                "oidcClientMetadata": {"redirectUris": ["https://rp.example.com/cb"]}}),
        )
        .await;
    let client_id = app["id"].as_str().unwrap();
    let auth = format!(
        "{base}/oidc/auth?client_id={client_id}&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&response_type=code\
         &scope=openid&state=tls-state"
    );
    let started = client.get(&auth).send().await.unwrap();
    let set_cookie: Vec<&str> = started.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let interaction = set_cookie.iter().find(|c| c.contains("latch_interaction_")).expect("an interaction cookie");
    assert!(interaction.starts_with("__Host-latch_interaction_"), "{interaction}");
    assert!(interaction.contains("Secure") && interaction.contains("Path=/") && !interaction.contains("Domain"));
    let browser = Browser::over(&base, trusting(&first));
    let page = browser.open(&auth).await.page();
    let (_, params) = browser.sign_in(&page, "tls-user", "correct horse battery staple").await.client();
    assert_eq!(params["state"], "tls-state");
    let tokens = client
        .post(format!("{base}/oidc/token"))
        .basic_auth(client_id, Some(app["secret"].as_str().unwrap()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", "https://rp.example.com/cb"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200, "the code is exchanged over TLS");

    // The certificate is renewed on disk: new handshakes get the new one, without a restart.
    let second = certificate(dir.path(), true);
    let renewed = trusting(&second).build().unwrap();
    assert!(until_reachable(&renewed, &base, true).await, "the renewed certificate is served:\n{}", served.logs());
    assert!(!answers(&trusting(&first).build().unwrap(), &base).await, "the old certificate is no longer served");
    assert!(served.wait_for_log("TLS certificate reloaded").await.contains("TLS certificate reloaded"));

    // A broken file on disk: the server keeps the certificate it has and says why.
    // (Renaming the key before the certificate may already have logged one refusal.)
    let refusals = || served.logs().matches("cannot reload the TLS certificate").count();
    let before = refusals();
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while refusals() == before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refusals() > before, "the broken file is reported:\n{}", served.logs());
    assert!(answers(&renewed, &base).await, "the last good certificate stays in use");
}

/// A certificate that cannot be used stops `latch serve` at start with the file named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_certificate_stops_the_start_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), true);
    let other = tempfile::tempdir().unwrap();
    certificate(other.path(), true);
    let (cert, key) = (dir.path().join("tls.crt"), other.path().join("tls.key"));
    let out = crate::review_input::latch_command(
        dir.path(),
        &["serve"],
        &[
            ("LATCH_DATA_DIR", dir.path().join("data").to_str().unwrap()),
            ("LATCH_LISTEN", "127.0.0.1:0"),
            ("LATCH_TLS__CERT", cert.to_str().unwrap()),
            ("LATCH_TLS__KEY", key.to_str().unwrap()),
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("does not fit tls.cert") && stderr.contains("tls.key"), "{stderr}");
}

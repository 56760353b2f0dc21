//! Issue 14, Client ID Metadata Documents: an MCP client names an https URL as its client id;
//! Latch fetches the document from a real local HTTPS server (loopback and its certificate
//! allowed by this test's configuration only), admits it under the registration ceiling as a
//! public third-party client, keeps it for its cache lifetime, fetches it again after, and
//! refuses documents that lie about themselves, redirect, are too large, or live at addresses
//! Latch never fetches from.

use crate::browser::{Browser, Step};
use crate::harness::{Backends, PASSWORD, TestServer};
use crate::oidc_flows::http;
use actix_web::{HttpResponse, web};
use latch_domain::entities::RoleType;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const MCP: &str = "https://mcp.example.com/mcp";
const REDIRECT: &str = "http://127.0.0.1:40111/callback";

/// What the document server answers at `/client.json`, and how often it was asked.
#[derive(Default)]
struct Documents {
    body: Mutex<String>,
    cache_control: Mutex<String>,
    fetches: AtomicUsize,
}

/// A real HTTPS server on 127.0.0.1 with a certificate for `localhost`, serving `/client.json`
/// as `documents` says, `/moved.json` as a redirect, `/big.json` over 5 KB and
/// `/liar.json` naming another client id. Returns its base URL and the CA file to trust.
async fn document_server(documents: Arc<Documents>, dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let ca = dir.join("documents-ca.pem");
    std::fs::write(&ca, made.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let liar = format!(r#"{{"client_id":"{base}/other.json","redirect_uris":["{REDIRECT}"]}}"#);
    let big =
        format!(r#"{{"client_id":"{base}/big.json","redirect_uris":["{REDIRECT}"],"pad":"{}"}}"#, "x".repeat(6000));
    let server = actix_web::HttpServer::new(move || {
        let documents = documents.clone();
        let (liar, big) = (liar.clone(), big.clone());
        actix_web::App::new()
            .route(
                "/client.json",
                web::get().to(move || {
                    let documents = documents.clone();
                    async move {
                        documents.fetches.fetch_add(1, Ordering::SeqCst);
                        let body = documents.body.lock().unwrap().clone();
                        let cache = documents.cache_control.lock().unwrap().clone();
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .insert_header(("cache-control", cache))
                            .body(body)
                    }
                }),
            )
            .route(
                "/moved.json",
                web::get().to(|| async { HttpResponse::Found().insert_header(("location", "/client.json")).finish() }),
            )
            .route("/big.json", web::get().to(move || std::future::ready(HttpResponse::Ok().body(big.clone()))))
            .route("/liar.json", web::get().to(move || std::future::ready(HttpResponse::Ok().body(liar.clone()))))
    })
    .workers(1)
    .listen_rustls_0_23(listener, tls)
    .unwrap()
    .run();
    tokio::spawn(server);
    (base, ca)
}

fn document(client_id: &str, name: &str) -> String {
    // What an MCP client's document holds, with members Latch does not use (dropped).
    json!({
        "client_id": client_id,
        "client_name": name,
        "client_uri": "https://tool.example/",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "openid email tools:call tools:admin",
        "software_id": "doc-mcp",
        "jwks_uri": "https://tool.example/jwks.json",
        "software_statement_hint": "ignored",
    })
    .to_string()
}

fn authorize(server: &TestServer, client_id: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/auth", server.issuer)).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email tools:call")
        .append_pair("state", "s1")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", MCP);
    url.to_string()
}

/// Fetches the discovery document.
async fn discovery(server: &TestServer) -> Value {
    let url = format!("{}/.well-known/oauth-authorization-server/oidc", server.base);
    http().get(url).send().await.unwrap().json().await.unwrap()
}

async fn a_client_named_by_its_metadata_document_signs_a_user_in(backends: Backends) {
    let dir = tempfile::tempdir().unwrap();
    let documents = Arc::new(Documents::default());
    let (docs, ca) = document_server(documents.clone(), dir.path()).await;
    let Some(server) = TestServer::start_with(backends, |c| {
        c.client_documents.allow_loopback = true;
        c.client_documents.extra_roots = Some(ca.clone());
    })
    .await
    else {
        return;
    };
    let admin = server.admin().await;
    server.resource(MCP, &["tools:call", "tools:admin"], "mcp", RoleType::User).await;
    let ada = server.user("ada").await;
    server.repos.add_user_roles(&ada.id, &[latch_domain::ids::RoleId::from("mcp")]).await.unwrap();
    let client_id = format!("{docs}/client.json");
    *documents.body.lock().unwrap() = document(&client_id, "Doc MCP client");
    *documents.cache_control.lock().unwrap() = "max-age=600".to_owned();

    // Registration closed: not advertised, never fetched, an unknown client.
    assert!(discovery(&server).await.get("client_id_metadata_document_supported").is_none());
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize(&server, &client_id)).await.page();
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.html.contains("invalid_client"), "{}", page.html);
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 0, "nothing is fetched while registration is closed");

    let policy = admin
        .put(
            "/registration-policy",
            json!({"enabled": true, "appTypes": ["SPA", "Native"], "registrationsPerHour": 20,
            "permissions": {"userScopes": ["email"], "resourceScopes": ["scope-mcp-tools:call"]}}),
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.body);
    assert_eq!(discovery(&server).await["client_id_metadata_document_supported"], true);

    // The first authorization request fetches the document and admits the client it describes:
    // consent (with the unverified notice), then a code exchanged with PKCE for a JWT whose
    // audience is the MCP server, within the ceiling.
    let page = browser.open(&authorize(&server, &client_id)).await.page();
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 1);
    let consent = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert!(consent.html.contains("Doc MCP client"), "{}", consent.html);
    assert!(consent.html.contains("registered itself and nobody has reviewed it"), "{}", consent.html);
    let Step::Client { params, .. } = browser.consent(&consent, true).await else { panic!("expected the client") };
    let tokens: Value = http()
        .post(format!("{}/token", server.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            ("resource", MCP),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    let claims = crate::registration::jwt_claims(access);
    assert_eq!((claims["aud"].as_str(), claims["scope"].as_str()), (Some(MCP), Some("tools:call")), "{claims}");
    assert_eq!(claims["client_id"], client_id.as_str());

    // The console's view: a third-party Native app under the URL, registered by document.
    let app = admin.get(&format!("/applications/{}", crate::registration::urlencode(&client_id))).await;
    assert_eq!(app.status, 200, "{}", app.body);
    assert_eq!((app.body["isThirdParty"].as_bool(), app.body["type"].as_str()), (Some(true), Some("Native")));
    assert_eq!(app.body["registration"]["kind"], "metadataDocument", "{}", app.body);
    assert_eq!(app.body["registration"]["softwareId"], "doc-mcp");
    // A document client holds no registration access token: RFC 7592 does not manage it.
    let managed = http().get(format!("{}/reg/{}", server.issuer, crate::registration::urlencode(&client_id)));
    assert_eq!(managed.bearer_auth("anything").send().await.unwrap().status(), 401);

    // Within its cache lifetime the document is not fetched again.
    let again = browser.open(&authorize(&server, &client_id)).await;
    assert!(matches!(again, Step::Client { .. }), "the grant is remembered: straight back with a code");
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 1);

    // Once it has expired (its cache entry gone), the next request fetches it again and the
    // client follows what it now says; `no-store` still keeps it 30 s.
    server.core.cache.delete(&document_key(&client_id)).await.unwrap();
    *documents.body.lock().unwrap() = document(&client_id, "Doc MCP client v2");
    *documents.cache_control.lock().unwrap() = "no-store".to_owned();
    browser.open(&authorize(&server, &client_id)).await;
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 2);
    let branding =
        admin.get(&format!("/applications/{}/sign-in-experience", crate::registration::urlencode(&client_id))).await;
    assert_eq!(branding.body["displayName"], "Doc MCP client v2");
    browser.open(&authorize(&server, &client_id)).await;
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 2, "kept at least 30 s");
    let trail = admin.get("/audit-logs?action=application.registration.update").await;
    assert_eq!(trail.total, Some(1), "one change, one entry: {}", trail.body);

    // Refusals, each an invalid_client page and no client: a document naming another client
    // id, a redirect, a document over 5 KB, and addresses Latch never fetches from.
    let refused = [
        (format!("{docs}/liar.json"), "does not name this URL as its client_id"),
        (format!("{docs}/moved.json"), "answered HTTP 302"),
        (format!("{docs}/big.json"), "larger than 5120 bytes"),
        ("https://169.254.169.254/latest/meta-data/client.json".to_owned(), "never fetches from"),
        ("https://10.0.0.1/client.json".to_owned(), "never fetches from"),
        ("https://[::ffff:192.168.1.1]/client.json".to_owned(), "never fetches from"),
    ];
    for (id, why) in &refused {
        let page = browser.open(&authorize(&server, id)).await.page();
        assert_eq!(page.status, 400, "{id}: {}", page.html);
        assert!(page.html.contains("invalid_client") && page.html.contains(why), "{id}: {}", page.html);
        let app = admin.get(&format!("/applications/{}", crate::registration::urlencode(id))).await;
        assert_eq!(app.status, 404, "{id}");
    }
    // A redirect URI the document does not list is refused like any other (on loopback only the
    // port may vary, RFC 8252 §7.3).
    let foreign = authorize(&server, &client_id).replace("%2Fcallback", "%2Felsewhere");
    assert_eq!(browser.open(&foreign).await.page().status, 400);

    // Taken over by an operator, the client is the operator's: its document is no longer read.
    let id = crate::registration::urlencode(&client_id);
    assert_eq!(admin.delete(&format!("/applications/{id}/registration")).await.status, 204);
    server.core.cache.delete(&document_key(&client_id)).await.unwrap();
    browser.open(&authorize(&server, &client_id)).await;
    assert_eq!(documents.fetches.load(Ordering::SeqCst), 2);
}

/// The cache entry Latch keeps while a document is fresh (deleting it stands for its expiry).
fn document_key(client_id: &str) -> String {
    format!("client-document:{}", latch_oidc::crypto::token_hash(client_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_a_client_named_by_its_metadata_document_signs_a_user_in() {
    a_client_named_by_its_metadata_document_signs_a_user_in(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn production_a_client_named_by_its_metadata_document_signs_a_user_in() {
    a_client_named_by_its_metadata_document_signs_a_user_in(Backends::Production).await;
}

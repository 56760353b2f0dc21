//! Issue 13, hardening: what a browser or a script sending malformed requests to the end-user
//! pages gets back. Always a readable HTML page with a 4xx, never actix-web's plain-text
//! message naming Rust fields, never a 5xx, and the server stays healthy.

use crate::harness::TestServer;
use crate::oidc_flows::http;
use crate::on_both_backends;

on_both_backends!(malformed_end_user_requests_get_readable_pages, the_root_leads_somewhere);

/// Sends `req` and checks that the answer is a 4xx HTML page a person can read.
async fn readable(what: &str, req: reqwest::RequestBuilder) {
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = res.text().await.unwrap();
    assert!(status.is_client_error(), "{what}: a 4xx, got {status}: {body}");
    assert!(content_type.starts_with("text/html"), "{what}: an HTML page, got {content_type:?}: {body}");
    assert!(body.contains("<h1>"), "{what}: a page with a heading: {body}");
    for raw in ["deserialize", "missing field", "Content type error", "Payload", "interaction`"] {
        assert!(!body.contains(raw), "{what}: no framework message ({raw:?}) in {body}");
    }
}

async fn malformed_end_user_requests_get_readable_pages(server: &TestServer) {
    let base = &server.base;
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("GET /sign-in without an interaction", http().get(format!("{base}/sign-in"))),
        ("GET /consent without an interaction", http().get(format!("{base}/consent"))),
        ("GET /sign-in with invalid percent-encoding", http().get(format!("{base}/sign-in?interaction=%ZZ%"))),
        ("POST /sign-in without fields", http().post(format!("{base}/sign-in")).header("content-type", form).body("")),
        (
            "POST /sign-in as JSON",
            http().post(format!("{base}/sign-in")).json(&serde_json::json!({"identifier": "a", "password": "b"})),
        ),
        (
            "POST /sign-in with invalid UTF-8",
            http().post(format!("{base}/sign-in")).header("content-type", form).body(vec![b'i', b'=', 0xff, 0xfe]),
        ),
        (
            "POST /sign-in larger than 64 KiB",
            http()
                .post(format!("{base}/sign-in"))
                .header("content-type", form)
                .body(format!("identifier={}", "a".repeat(70_000))),
        ),
        ("POST /consent without fields", http().post(format!("{base}/consent")).header("content-type", form).body("")),
        (
            "POST /account/apps/revoke without fields",
            http().post(format!("{base}/account/apps/revoke")).header("content-type", form).body("x=1"),
        ),
        (
            "POST /oidc/session/end/confirm as text",
            http()
                .post(format!("{}/session/end/confirm", server.issuer))
                .header("content-type", "text/plain")
                .body("yes"),
        ),
    ];
    for (what, req) in cases {
        readable(what, req).await;
    }
    let health = http().get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server stays healthy");
}

async fn the_root_leads_somewhere(server: &TestServer) {
    let res = http().get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(res.status(), 302, "/ is not an empty 404");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("/console/") || to.ends_with("/console"), "/ leads to the console: {to}");
}

//! `/healthz` and `/readyz` on a real server.

use crate::harness::{Backends, TestServer};
use crate::on_both_backends;

on_both_backends!(ready_when_database_and_cache_answer, every_response_carries_a_request_id);

async fn ready_when_database_and_cache_answer(server: &TestServer) {
    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: latch_types::Readiness = ready.json().await.expect("json");
    assert_eq!(body.status, "ready");
    assert!(body.down.is_empty());
}

async fn every_response_carries_a_request_id(server: &TestServer) {
    let a = reqwest::get(server.url("/healthz")).await.expect("healthz");
    let b = reqwest::get(server.url("/no-such-page")).await.expect("404");
    let id = |r: &reqwest::Response| r.headers().get("x-request-id").map(|v| v.to_str().unwrap_or("").to_owned());
    let (ia, ib) = (id(&a), id(&b));
    assert!(ia.as_deref().is_some_and(|s| s.len() >= 16), "{ia:?}");
    assert!(ib.is_some());
    assert_ne!(ia, ib, "ids are per request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_cache_when_it_is_down() {
    // A Redis URL nobody listens on: the database is fine, the cache is not.
    let server = TestServer::start_with(Backends::Embedded, |c| c.cache.url = "redis://127.0.0.1:9/".to_owned())
        .await
        .expect("server");
    let res = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(res.status(), 503);
    let body: latch_types::Readiness = res.json().await.expect("json");
    assert_eq!(body.status, "unavailable");
    assert_eq!(body.down, ["cache"]);
}

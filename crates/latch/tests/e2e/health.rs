//! `/healthz`, `/readyz` and `/metrics` on a real server.

use crate::harness::{Backends, TestServer};
use crate::on_both_backends;

on_both_backends!(
    ready_when_database_and_cache_answer,
    every_response_carries_a_request_id,
    metrics_count_requests_grants_and_health
);

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

/// `(name, labels, value)` of every sample in a Prometheus text exposition.
fn samples(text: &str) -> Vec<(String, std::collections::BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample line");
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").expect("label=value");
                    (k.to_owned(), v.trim_end_matches('"').to_owned())
                })
                .collect();
            (name.to_owned(), labels, value.parse().expect("a number"))
        })
        .collect()
}

/// The sum of the samples named `name` whose labels include `with`.
fn total(text: &str, name: &str, with: &[(&str, &str)]) -> f64 {
    samples(text)
        .into_iter()
        .filter(|(n, labels, _)| n == name && with.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, _, v)| v)
        .sum()
}

async fn scrape(server: &TestServer) -> String {
    let res = reqwest::get(server.url("/metrics")).await.expect("metrics");
    assert_eq!(res.status(), 200);
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.expect("body")
}

async fn metrics_count_requests_grants_and_health(server: &TestServer) {
    let issued = [("grant_type", "client_credentials"), ("outcome", "issued")];
    let refused = [("grant_type", "client_credentials"), ("outcome", "invalid_client")];
    let before = scrape(server).await;
    let token = server.admin_token().await;
    let res = reqwest::Client::new()
        .post(server.url("/oidc/token"))
        .basic_auth("no-such-client", Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(res.status(), 401);
    // A path with an id is counted under its route pattern, never under the raw path.
    let res = reqwest::Client::new()
        .get(server.url("/api/applications/app-metrics-probe-4711"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("admin get");
    assert_eq!(res.status(), 404);
    let after = scrape(server).await;

    assert!(total(&after, "latch_grants_total", &issued) >= total(&before, "latch_grants_total", &issued) + 1.0);
    assert!(total(&after, "latch_grants_total", &refused) >= total(&before, "latch_grants_total", &refused) + 1.0);
    let token_ok = [("method", "POST"), ("route", "/oidc/token"), ("status", "200")];
    assert!(total(&after, "latch_http_requests_total", &token_ok) >= 1.0, "{after}");
    let by_pattern = [("method", "GET"), ("route", "/api/applications/{id}"), ("status", "404")];
    assert!(total(&after, "latch_http_requests_total", &by_pattern) >= 1.0, "{after}");
    assert!(!after.contains("app-metrics-probe-4711"), "raw paths never become labels");
    let all_token_requests = [("route", "/oidc/token"), ("le", "+Inf")];
    let in_buckets = total(&after, "latch_http_request_duration_seconds_bucket", &all_token_requests);
    assert!(in_buckets >= 2.0, "both token requests are in the latency histogram: {in_buckets}");
    assert_eq!(total(&after, "latch_database_up", &[]), 1.0);
    assert_eq!(total(&after, "latch_cache_up", &[]), 1.0);
    assert!(after.contains("# HELP latch_password_hash_queue_depth"), "{after}");
    assert!(after.contains("# TYPE latch_password_hash_jobs_total counter"), "{after}");
}

#[test]
fn the_exposition_parser_reads_labels_and_values() {
    let text = "# HELP x y\nlatch_a{k=\"v\",route=\"/a/{id}\"} 3\nlatch_a{k=\"w\"} 2\nlatch_b 1.5\n";
    assert_eq!(total(text, "latch_a", &[]), 5.0);
    assert_eq!(total(text, "latch_a", &[("route", "/a/{id}")]), 3.0);
    assert_eq!(total(text, "latch_b", &[]), 1.5);
    assert_eq!(total(text, "latch_c", &[]), 0.0);
}

//! `GET /metrics`: Prometheus text exposition of what a node counts. The recorder is installed
//! once per process (the `metrics` facade is global); requests are counted by route pattern
//! (never by raw path, so the series stay bounded), method and status, with a latency
//! histogram; the IdP adds grants, sign-ins, consent decisions, refresh-token reuse and
//! rate-limit refusals (`latch_idp::describe_metrics`); each scrape reads the hash pool's
//! queue and whether the database and the cache answer.

use crate::server::Node;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const REQUESTS: &str = "latch_http_requests_total";
const DURATION: &str = "latch_http_request_duration_seconds";
const HASH_QUEUE: &str = "latch_password_hash_queue_depth";
const HASH_JOBS: &str = "latch_password_hash_jobs_total";
const DATABASE_UP: &str = "latch_database_up";
const CACHE_UP: &str = "latch_cache_up";
const DATABASE_PING: &str = "latch_database_ping_seconds";
const CACHE_PING: &str = "latch_cache_ping_seconds";

/// Latency buckets from 0.5 ms (a cached discovery) to 10 s (a queued sign-in).
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// The process's Prometheus recorder, installed on first use.
pub fn handle() -> anyhow::Result<PrometheusHandle> {
    let mut slot = HANDLE.lock().map_err(|_| anyhow::anyhow!("the metrics recorder lock is poisoned"))?;
    if let Some(h) = slot.as_ref() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
        .context("latency buckets")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe();
    latch_idp::describe_metrics();
    // Histograms are kept in blocks the recorder folds on upkeep; a thread for the process.
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("latch-metrics".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                upkeep.run_upkeep();
            }
        })
        .context("starting the metrics upkeep thread")?;
    *slot = Some(handle.clone());
    Ok(handle)
}

fn describe() {
    metrics::describe_counter!(REQUESTS, "HTTP requests by method, route pattern and status");
    metrics::describe_histogram!(DURATION, metrics::Unit::Seconds, "HTTP request latency by method and route pattern");
    metrics::describe_gauge!(HASH_QUEUE, "Password checks waiting for a hashing thread");
    metrics::describe_counter!(HASH_JOBS, "Password hashes and checks the hashing pool ran");
    metrics::describe_gauge!(DATABASE_UP, "1 when the database answered the scrape's ping");
    metrics::describe_gauge!(CACHE_UP, "1 when the ephemeral store answered the scrape's ping");
    metrics::describe_gauge!(DATABASE_PING, metrics::Unit::Seconds, "How long the scrape's database ping took");
    metrics::describe_gauge!(CACHE_PING, metrics::Unit::Seconds, "How long the scrape's ephemeral-store ping took");
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one finished request (the middleware in `server.rs` calls it).
pub fn record<B>(method: &'static str, started: Instant, res: &ServiceResponse<B>) {
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(DURATION, "method" => method, "route" => route).record(started.elapsed().as_secs_f64());
}

/// What the middleware keeps of a request before it runs.
pub fn start(req: &ServiceRequest) -> (&'static str, Instant) {
    (method_label(req.method()), Instant::now())
}

/// `GET /metrics`.
pub async fn page(node: web::Data<Node>) -> HttpResponse {
    let Ok(handle) = handle() else {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("metrics are unavailable\n");
    };
    let (db, cache) = crate::server::probe_stores(&node).await;
    let up = |p: &crate::server::Probe| if p.error.is_none() { 1.0 } else { 0.0 };
    metrics::gauge!(DATABASE_UP).set(up(&db));
    metrics::gauge!(DATABASE_PING).set(db.seconds);
    metrics::gauge!(CACHE_UP).set(up(&cache));
    metrics::gauge!(CACHE_PING).set(cache.seconds);
    let pool = &node.core.hash_pool;
    metrics::gauge!(HASH_QUEUE).set(pool.queue_depth() as f64);
    metrics::counter!(HASH_JOBS).absolute(pool.jobs_run());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(handle.render())
}

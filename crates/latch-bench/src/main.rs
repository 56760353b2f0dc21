//! `latch-bench`: starts a release Latch on the embedded default, drives it over loopback and
//! reports throughput, latency and memory next to the raw cost of the work it cannot avoid
//! (one RS256 signature per token, one argon2id hash per sign-in). A benchmark, not a test:
//! it asserts nothing, it measures.
//!
//! Usage: latch-bench --latch PATH [--seconds N] [--concurrency N] [--out FILE]

use anyhow::{Context, bail};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const BENCH_TOML: &str = include_str!("bench.toml");
const ROBOT_SECRET: &str = "bench-robot-secret-0123456789abcdefghijklmnop";
const WEB_SECRET: &str = "bench-web-secret-0123456789abcdefghijklmnopqrs";
const PASSWORD: &str = "bench password 0123";
const REDIRECT: &str = "https://bench.example.com/callback";
const API: &str = "https://bench.example.com/api";

struct Args {
    latch: PathBuf,
    seconds: u64,
    concurrency: usize,
    out: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args { latch: PathBuf::new(), seconds: 5, concurrency: 16, out: PathBuf::from("bench-report.json") };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--latch" => a.latch = PathBuf::from(value),
            "--seconds" => a.seconds = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--out" => a.out = PathBuf::from(value),
            other => bail!("unknown flag {other}"),
        }
    }
    if a.latch.as_os_str().is_empty() {
        bail!("usage: latch-bench --latch PATH [--seconds N] [--concurrency N] [--out FILE]");
    }
    Ok(a)
}

/// A Latch process that is killed when dropped.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

async fn start(latch: &PathBuf) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("bench.toml");
    std::fs::write(&file, BENCH_TOML)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let env = |c: &mut Command| {
        c.env("LATCH_DATA_DIR", dir.path())
            .env("LATCH_LISTEN", format!("127.0.0.1:{port}"))
            .env("LATCH_LOG__LEVEL", "warn")
            // Every simulated user comes from 127.0.0.1: lift the per-address limit on new
            // sign-ins, which a real deployment keeps.
            .env("LATCH_LIMITS__INTERACTIONS_PER_IP", "1000000000")
            .env_remove("RUST_LOG");
    };
    let mut import = Command::new(latch);
    import.args(["import"]).arg(&file).stdout(Stdio::null());
    env(&mut import);
    if !import.status().context("running latch import")?.success() {
        bail!("latch import failed");
    }
    let mut serve = Command::new(latch);
    serve.arg("serve").stdout(Stdio::null());
    env(&mut serve);
    let child = serve.spawn().context("starting latch serve")?;
    let server = Server { child, base: format!("http://127.0.0.1:{port}"), _dir: dir };
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("latch did not become ready")
}

/// Runs `work` on `concurrency` tasks for `seconds`; returns operations per second and the
/// sorted latencies in microseconds.
async fn load<F, Fut>(concurrency: usize, seconds: u64, work: F) -> (f64, Vec<u64>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let work = Arc::new(work);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (stop, work) = (stop.clone(), work.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut errors = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match work(i).await {
                        Ok(()) => lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)),
                        Err(e) => {
                            errors += 1;
                            if errors < 3 {
                                eprintln!("  error: {e:#}");
                            }
                        }
                    }
                }
                lat
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    (all.len() as f64 / elapsed, all)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap_or_default()
}

async fn client_credentials(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let res = http
        .post(format!("{base}/oidc/token"))
        .basic_auth("bench-robot", Some(ROBOT_SECRET))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("token: {}", res.status());
    }
    res.bytes().await?;
    Ok(())
}

fn location(res: &reqwest::Response) -> anyhow::Result<String> {
    Ok(res.headers().get("location").context("no location")?.to_str()?.to_owned())
}

/// Latch's own redirects are absolute (built from `public_url`); resolve relative ones too.
fn own(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        format!("{base}{location}")
    }
}

fn hidden(html: &str, name: &str) -> anyhow::Result<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).context("hidden field")? + marker.len();
    let end = html[start..].find('"').context("hidden field end")?;
    Ok(html[start..start + end].to_owned())
}

fn auth_url(base: &str, prompt: &str) -> String {
    format!(
        "{base}/oidc/auth?client_id=bench-web&redirect_uri={}&response_type=code&scope=openid%20email&state=s&nonce=n{prompt}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    )
}

async fn exchange(http: &reqwest::Client, base: &str, callback: &str) -> anyhow::Result<()> {
    let url = url::Url::parse(callback)?;
    let code = url.query_pairs().find(|(k, _)| k == "code").context("no code")?.1.into_owned();
    let res = http
        .post(format!("{base}/oidc/token"))
        .basic_auth("bench-web", Some(WEB_SECRET))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("token: {}", res.status());
    }
    res.bytes().await?;
    Ok(())
}

/// Sign-in (argon2id) + consent + token, in a fresh browser.
async fn full_flow(base: &str) -> anyhow::Result<()> {
    let b = browser();
    let next = sign_in(&b, base, "&prompt=consent").await?;
    if !next.contains("/consent") {
        bail!("expected the consent page, got {next}");
    }
    let callback = authorize(&b, base, &next).await?;
    exchange(&b, base, &callback).await
}

/// Opens the authorization URL in browser `b` and signs in; returns where Latch sends it next.
async fn sign_in(b: &reqwest::Client, base: &str, extra: &str) -> anyhow::Result<String> {
    let res = b.get(auth_url(base, extra)).send().await?;
    let page = b.get(own(base, &location(&res)?)).send().await?.text().await?;
    let form = [
        ("interaction", hidden(&page, "interaction")?),
        ("csrf", hidden(&page, "csrf")?),
        ("identifier", "bench".to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let res = b.post(format!("{base}/sign-in")).form(&form).send().await?;
    location(&res)
}

/// Presses Authorize on the consent page at `consent_url`; returns the callback URL.
async fn authorize(b: &reqwest::Client, base: &str, consent_url: &str) -> anyhow::Result<String> {
    let page = b.get(own(base, consent_url)).send().await?.text().await?;
    let form = [
        ("interaction", hidden(&page, "interaction")?),
        ("csrf", hidden(&page, "csrf")?),
        ("decision", "authorize".to_owned()),
    ];
    let res = b.post(format!("{base}/consent")).form(&form).send().await?;
    location(&res)
}

/// Browser already signed in, consent remembered: authorize → code → token.
async fn sso_flow(b: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let res = b.get(auth_url(base, "")).send().await?;
    let callback = location(&res)?;
    if !callback.starts_with(REDIRECT) {
        bail!("expected a code, got {callback}");
    }
    exchange(b, base, &callback).await
}

/// Raw RS256 signatures per second on all cores, for the same payload size as an access token.
fn raw_rs256_per_sec(cores: usize, seconds: f64) -> anyhow::Result<f64> {
    let pair = josekit::jws::RS256.generate_key_pair(2048)?;
    let signer = josekit::jws::RS256.signer_from_der(pair.to_der_private_key())?;
    let signer = Arc::new(signer);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let signer = signer.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                let payload = [7u8; 300];
                while Instant::now() < deadline {
                    if josekit::jws::JwsSigner::sign(&*signer, &payload).is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    Ok(total as f64 / seconds)
}

/// Raw argon2id hashes per second on all cores at Latch's default (OWASP) parameters.
fn raw_argon2_per_sec(cores: usize, seconds: f64) -> anyhow::Result<f64> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let params = params.clone();
            std::thread::spawn(move || {
                let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
                let mut out = [0u8; 32];
                let mut n = 0u64;
                while Instant::now() < deadline {
                    if argon.hash_password_into(PASSWORD.as_bytes(), b"0123456789abcdef", &mut out).is_ok() {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    Ok(total as f64 / seconds)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("latch-bench: {cores} cores, {} s per scenario, {} concurrent clients", a.seconds, a.concurrency);

    let raw_sign = raw_rs256_per_sec(cores, 2.0)?;
    let raw_argon = raw_argon2_per_sec(cores, 3.0)?;
    println!("raw RS256 signatures/s      {raw_sign:>10.0}");
    println!("raw argon2id hashes/s       {raw_argon:>10.1}");

    let server = start(&a.latch).await?;
    let pid = server.child.id();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(pid, "VmRSS:");
    let base = Arc::new(server.base.clone());

    let http = client();
    client_credentials(&http, &base).await.context("warm-up client_credentials")?;
    let b = base.clone();
    let (cc_rate, cc_lat) = load(a.concurrency, a.seconds, move |_| {
        let (http, b) = (http.clone(), b.clone());
        async move { client_credentials(&http, &b).await }
    })
    .await;
    println!(
        "client_credentials grants/s {cc_rate:>10.0}   p50 {:.2} ms  p99 {:.2} ms   (peak RSS so far {:.1} MiB)",
        percentile(&cc_lat, 0.5),
        percentile(&cc_lat, 0.99),
        rss_kib(pid, "VmHWM:") as f64 / 1024.0
    );

    // SSO: each task has its own signed-in browser with consent remembered.
    let mut browsers = Vec::new();
    for _ in 0..a.concurrency {
        let br = browser();
        let next = sign_in(&br, &base, "").await?;
        if next.contains("/consent") {
            authorize(&br, &base, &next).await?;
        }
        browsers.push(br);
    }
    let browsers = Arc::new(browsers);
    let b = base.clone();
    let (sso_rate, sso_lat) = load(a.concurrency, a.seconds, move |i| {
        let (browsers, b) = (browsers.clone(), b.clone());
        async move { sso_flow(&browsers[i], &b).await }
    })
    .await;
    println!(
        "SSO flows/s                 {sso_rate:>10.0}   p50 {:.2} ms  p99 {:.2} ms   (peak RSS so far {:.1} MiB)",
        percentile(&sso_lat, 0.5),
        percentile(&sso_lat, 0.99),
        rss_kib(pid, "VmHWM:") as f64 / 1024.0
    );

    let b = base.clone();
    let full_concurrency = (cores * 2).max(2);
    let (full_rate, full_lat) = load(full_concurrency, a.seconds, move |_| {
        let b = b.clone();
        async move { full_flow(&b).await }
    })
    .await;
    println!(
        "full flows/s                {full_rate:>10.1}   p50 {:.1} ms  p99 {:.1} ms   ({:.0} % of raw argon2id)",
        percentile(&full_lat, 0.5),
        percentile(&full_lat, 0.99),
        100.0 * full_rate / raw_argon.max(f64::MIN_POSITIVE)
    );
    let peak_rss = rss_kib(pid, "VmHWM:");
    println!("RSS idle {:.1} MiB, peak {:.1} MiB", idle_rss as f64 / 1024.0, peak_rss as f64 / 1024.0);

    let report = json!({
        "machine": { "cores": cores },
        "settings": { "seconds": a.seconds, "concurrency": a.concurrency, "full_flow_concurrency": full_concurrency },
        "raw": { "rs256_signatures_per_sec": raw_sign, "argon2id_hashes_per_sec": raw_argon },
        "client_credentials": {
            "grants_per_sec": cc_rate,
            "p50_ms": percentile(&cc_lat, 0.5),
            "p99_ms": percentile(&cc_lat, 0.99),
            "share_of_raw_signing": cc_rate / raw_sign.max(f64::MIN_POSITIVE),
        },
        "sso_flow": { "flows_per_sec": sso_rate, "p50_ms": percentile(&sso_lat, 0.5), "p99_ms": percentile(&sso_lat, 0.99) },
        "full_flow": {
            "flows_per_sec": full_rate,
            "p50_ms": percentile(&full_lat, 0.5),
            "p99_ms": percentile(&full_lat, 0.99),
            "share_of_raw_argon2id": full_rate / raw_argon.max(f64::MIN_POSITIVE),
        },
        "memory": { "idle_rss_mib": idle_rss as f64 / 1024.0, "peak_rss_mib": peak_rss as f64 / 1024.0 },
    });
    std::fs::write(&a.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("report written to {}", a.out.display());
    drop(server);
    Ok(())
}

//! The scenarios, run in turn against one target, each timed by wall clock and by the CPU its
//! processes spent.

use crate::Args;
use crate::driver::{self, Run};
use crate::measure::{self, CpuClock};
use crate::targets::Target;
use anyhow::Context;
use std::sync::Arc;
use tokio::sync::Mutex;

/// client_credentials for the resource whose tokens are ES256.
pub const CC_ES256: &str = "client_credentials ES256";

/// Latch's password-hashing threads (`latch_core::hashing`).
const HASH_THREADS: &str = "latch-hash-";

#[derive(Debug)]
pub struct Measured {
    pub name: &'static str,
    pub run: Run,
    pub cpu_seconds: f64,
    /// CPU of the provider's password-hashing threads (Latch only; 0 for the peer).
    pub hashing_seconds: f64,
}

impl Measured {
    /// Operations per second of CPU the target's processes spent: per core-second.
    pub fn per_core_second(&self) -> f64 {
        self.run.ops as f64 / self.cpu_seconds.max(1e-9)
    }
    pub fn per_wall_second(&self) -> f64 {
        self.run.ops as f64 / self.run.wall_seconds.max(1e-9)
    }
}

#[derive(Debug)]
pub struct TargetResult {
    pub name: String,
    pub scenarios: Vec<Measured>,
    pub idle_rss_mib: f64,
    pub peak_rss_mib: f64,
    /// p99 of client_credentials paced at half the throughput measured without a pace.
    pub cc_p99_at_half_ms: f64,
    pub cc_half_rate: f64,
}

impl TargetResult {
    pub fn get(&self, name: &str) -> Option<&Measured> {
        self.scenarios.iter().find(|m| m.name == name)
    }
}

async fn measure<F, Fut>(
    t: &Target,
    clock: CpuClock,
    name: &'static str,
    a: &Args,
    rate: Option<f64>,
    work: F,
) -> Option<Measured>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    if !a.wants(name) {
        return None;
    }
    let before = clock.seconds(&t.procs);
    let hashing_before = measure::thread_seconds(&clock, t.pid, HASH_THREADS);
    let run = driver::load(a.concurrency, a.seconds, rate, work).await;
    let cpu_seconds = clock.seconds(&t.procs) - before;
    let hashing_seconds = measure::thread_seconds(&clock, t.pid, HASH_THREADS) - hashing_before;
    let m = Measured { name, run, cpu_seconds, hashing_seconds };
    println!(
        "  {name:<24} {:>8.0} ops/core-s {:>8.0} ops/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}{}",
        m.per_core_second(),
        m.per_wall_second(),
        m.run.percentile_ms(0.5),
        m.run.percentile_ms(0.99),
        m.run.errors,
        if m.hashing_seconds > 0.0 {
            format!(
                "  (hashing: {:.0} % of the CPU, {:.1} ms per operation)",
                100.0 * m.hashing_seconds / m.cpu_seconds.max(1e-9),
                1000.0 * m.hashing_seconds / (m.run.ops.max(1) as f64)
            )
        } else {
            String::new()
        }
    );
    Some(m)
}

/// Every scenario against `t`, from a fresh start.
pub async fn run_all(t: &Target, a: &Args, clock: CpuClock) -> anyhow::Result<TargetResult> {
    println!("{}:", t.d.name);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let idle_rss_mib = measure::memory_mib(t.pid, "VmRSS:");
    let http = driver::client();
    let mut out = Vec::new();
    // Every closure below gets its own handles: the client (a shared pool) and the description.
    let with = || (http.clone(), t.d.clone());

    let (h, d) = with();
    out.extend(
        measure(t, clock, "discovery", a, None, move |_| {
            let (h, d) = (h.clone(), d.clone());
            async move { get_ok(&h, &format!("{}/.well-known/openid-configuration", d.issuer)).await }
        })
        .await,
    );
    let (h, d) = with();
    out.extend(
        measure(t, clock, "jwks", a, None, move |_| {
            let (h, d) = (h.clone(), d.clone());
            async move { get_ok(&h, &d.jwks).await }
        })
        .await,
    );

    driver::client_credentials(&http, &t.d, &t.d.resource).await.context("warm-up client_credentials")?;
    let (h, d) = with();
    let cc_work = move |_| {
        let (h, d) = (h.clone(), d.clone());
        async move { driver::client_credentials(&h, &d, &d.resource).await }
    };
    let cc = measure(t, clock, "client_credentials", a, None, cc_work.clone()).await;
    let half = cc.as_ref().map(|cc| cc.per_wall_second() / 2.0).unwrap_or(0.0);
    let paced = match cc {
        Some(_) => measure(t, clock, "cc at half rate", a, Some(half), cc_work).await,
        None => None,
    };
    let cc_p99_at_half_ms = paced.map(|p| p.run.percentile_ms(0.99)).unwrap_or(0.0);
    out.extend(cc);
    if let Some(es256) = t.d.es256_resource.clone() {
        let (h, d) = with();
        out.extend(
            measure(t, clock, CC_ES256, a, None, move |_| {
                let (h, d, es256) = (h.clone(), d.clone(), es256.clone());
                async move { driver::client_credentials(&h, &d, &es256).await }
            })
            .await,
        );
    }

    // One signed-in browser per worker, consent given, with its tokens.
    let mut sessions = Vec::new();
    let signed_in_scenarios = ["refresh", "userinfo", "introspection", "SSO flow"];
    let workers = if signed_in_scenarios.iter().any(|s| a.wants(s)) { a.concurrency } else { 0 };
    for _ in 0..workers {
        sessions.push(driver::signed_in(&t.d).await.context("signing in the workers")?);
    }
    let field = |tk: &serde_json::Value, k: &str| tk[k].as_str().unwrap_or_default().to_owned();
    let browsers: Arc<Vec<reqwest::Client>> = Arc::new(sessions.iter().map(|(b, _)| b.clone()).collect());
    let access: Arc<Vec<String>> = Arc::new(sessions.iter().map(|(_, tk)| field(tk, "access_token")).collect());
    let refresh: Vec<String> = sessions.iter().map(|(_, tk)| field(tk, "refresh_token")).collect();
    if refresh.iter().any(String::is_empty) {
        anyhow::bail!("{} gave no refresh token for offline_access", t.d.name);
    }
    let refresh: Arc<Vec<Mutex<String>>> = Arc::new(refresh.into_iter().map(Mutex::new).collect());

    let (h, d, at) = (http.clone(), t.d.clone(), access.clone());
    out.extend(
        measure(t, clock, "userinfo", a, None, move |i| {
            let (h, d, at) = (h.clone(), d.clone(), at.clone());
            async move {
                let res = h.get(&d.userinfo).bearer_auth(&at[i]).send().await?;
                anyhow::ensure!(res.status().is_success(), "userinfo: {}", res.status());
                res.bytes().await?;
                Ok(())
            }
        })
        .await,
    );
    let (h, d) = with();
    out.extend(
        measure(t, clock, "introspection", a, None, move |i| {
            let (h, d, at) = (h.clone(), d.clone(), access.clone());
            async move {
                let form = [("token", at[i].as_str())];
                let res =
                    h.post(&d.introspection).basic_auth(&d.web.id, Some(&d.web.secret)).form(&form).send().await?;
                let body: serde_json::Value = res.json().await?;
                anyhow::ensure!(body["active"] == true, "introspection: {body}");
                Ok(())
            }
        })
        .await,
    );
    let (h, d) = with();
    out.extend(
        measure(t, clock, "refresh", a, None, move |i| {
            let (h, d, rt) = (h.clone(), d.clone(), refresh.clone());
            async move {
                let mut current = rt[i].lock().await;
                let tk = driver::token(&h, &d, &[("grant_type", "refresh_token"), ("refresh_token", &current)]).await?;
                if let Some(next) = tk["refresh_token"].as_str() {
                    *current = next.to_owned();
                }
                Ok(())
            }
        })
        .await,
    );
    let d = t.d.clone();
    out.extend(
        measure(t, clock, "SSO flow", a, None, move |i| {
            let (d, br) = (d.clone(), browsers.clone());
            async move {
                let (code, verifier) = driver::authorize(&br[i], &d, &d.login_scope, "").await?;
                driver::exchange(&br[i], &d, &code, &verifier).await.map(drop)
            }
        })
        .await,
    );
    let d = t.d.clone();
    out.extend(
        measure(t, clock, "full flow", a, None, move |_| {
            let d = d.clone();
            async move {
                let b = driver::browser();
                let (code, verifier) = driver::authorize(&b, &d, &d.login_scope, "consent").await?;
                driver::exchange(&b, &d, &code, &verifier).await.map(drop)
            }
        })
        .await,
    );
    let peak_rss_mib = measure::memory_mib(t.pid, "VmHWM:");
    println!(
        "  memory: idle {idle_rss_mib:.1} MiB, peak {peak_rss_mib:.1} MiB; cc p99 at {half:.0}/s: {cc_p99_at_half_ms:.2} ms"
    );
    Ok(TargetResult {
        name: t.d.name.clone(),
        scenarios: out,
        idle_rss_mib,
        peak_rss_mib,
        cc_p99_at_half_ms,
        cc_half_rate: half,
    })
}

async fn get_ok(h: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let res = h.get(url).send().await?;
    anyhow::ensure!(res.status().is_success(), "{url}: {}", res.status());
    res.bytes().await?;
    Ok(())
}

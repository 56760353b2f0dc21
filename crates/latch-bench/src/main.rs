//! `latch-bench`: runs the same scenarios with the same driver and concurrency against the
//! reference peer (`oidc-provider`, argon2id) and against a release Latch on each backend, and
//! reports **provider CPU per operation**: the user + system CPU time the provider (and, on
//! Postgres + Redis, every postgres and redis-server process) spent, divided by the operations
//! completed. The load generator shares the machine, so requests per second alone would
//! measure it too; CPU per operation does not. Next to it: the ceilings of the work no provider
//! avoids (an RS256 signature, an argon2id hash) on one core, peak and idle memory, latency.
//! A benchmark, not a test: it asserts nothing, it measures and says which targets hold.
//!
//! Usage: latch-bench --latch PATH [--seconds N] [--concurrency N] [--out FILE]
//! [--backends sqlite,postgres] [--postgres URL] [--redis URL] [--peer DIR|none] [--peer-work DIR]
//! [--only SCENARIO,…]

mod driver;
mod measure;
mod report;
mod scenarios;
mod targets;

use anyhow::{Context, bail};
use std::path::PathBuf;
use targets::Backend;

pub struct Args {
    latch: PathBuf,
    seconds: f64,
    concurrency: usize,
    out: PathBuf,
    backends: Vec<Backend>,
    postgres: String,
    redis: String,
    peer: Option<PathBuf>,
    peer_work: PathBuf,
    /// Only these scenarios (`--only "full flow,refresh"`), e.g. to profile one.
    only: Vec<String>,
}

impl Args {
    pub fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty()
            || self.only.iter().any(|s| {
                s == scenario
                    || (s == "client_credentials" && [scenarios::CC_ES256, "cc at half rate"].contains(&scenario))
            })
    }
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        latch: PathBuf::new(),
        seconds: 5.0,
        concurrency: 16,
        out: PathBuf::from("bench-report.json"),
        backends: vec![Backend::SqliteMemory, Backend::PostgresRedis],
        postgres: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
        redis: "redis://127.0.0.1:6379".to_owned(),
        peer: None,
        peer_work: std::env::temp_dir().join("latch-bench-peer"),
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--latch" => a.latch = PathBuf::from(value),
            "--seconds" => a.seconds = value.parse()?,
            "--concurrency" => a.concurrency = value.parse()?,
            "--out" => a.out = PathBuf::from(value),
            "--postgres" => a.postgres = value,
            "--redis" => a.redis = value,
            "--peer" => a.peer = (value != "none").then(|| PathBuf::from(value)),
            "--peer-work" => a.peer_work = PathBuf::from(value),
            "--only" => a.only = value.split(',').map(|s| s.trim().to_owned()).collect(),
            "--backends" => {
                a.backends = value
                    .split(',')
                    .filter(|b| !b.trim().is_empty())
                    .map(|b| match b.trim() {
                        "sqlite" => Ok(Backend::SqliteMemory),
                        "postgres" => Ok(Backend::PostgresRedis),
                        other => bail!("unknown backend {other} (sqlite, postgres)"),
                    })
                    .collect::<anyhow::Result<_>>()?
            }
            other => bail!("unknown flag {other}"),
        }
    }
    if a.latch.as_os_str().is_empty() {
        bail!(
            "usage: latch-bench --latch PATH [--seconds N] [--concurrency N] [--out FILE] [--backends sqlite,postgres] [--peer DIR|none]"
        );
    }
    if a.concurrency == 0 || a.seconds <= 0.0 {
        bail!("--concurrency and --seconds must be positive");
    }
    Ok(a)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("latch-bench: {cores} cores, {} s per scenario, {} concurrent clients", a.seconds, a.concurrency);
    let ceilings = measure::ceilings(2.0, "bench password 0123")?;
    println!(
        "ceilings on one core: RS256 {:.0} signatures/s, ES256 {:.0} signatures/s, argon2id {:.1} hashes/s \
         ({:.1} when each hash allocates its 19 MiB, {:.1} per core with every core hashing)",
        ceilings.rs256_per_core_second,
        ceilings.es256_per_core_second,
        ceilings.argon2id_per_core_second,
        ceilings.argon2id_allocating_per_core_second,
        ceilings.argon2id_all_cores_per_core_second
    );
    let clock = measure::CpuClock::new();
    let mut results = Vec::new();
    if let Some(source) = &a.peer {
        let peer = targets::peer(source, &a.peer_work).await.context("starting the reference peer")?;
        results.push(scenarios::run_all(&peer, &a, clock).await?);
    }
    for backend in &a.backends {
        let latch = targets::latch(&a.latch, *backend, &a.postgres, &a.redis)
            .await
            .with_context(|| format!("starting {}", backend.label()))?;
        results.push(scenarios::run_all(&latch, &a, clock).await?);
    }
    let report = report::Report { cores, seconds: a.seconds, concurrency: a.concurrency, ceilings, targets: results };
    report.print();
    std::fs::write(&a.out, serde_json::to_string_pretty(&report.json())? + "\n")
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!("report written to {}", a.out.display());
    Ok(())
}

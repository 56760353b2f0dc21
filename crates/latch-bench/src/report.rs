//! The run's table (provider CPU per operation, each Latch column next to the peer), the
//! wall-clock figures, the targets of issue 12 each marked met or missed, and the JSON report.

use crate::measure::Ceilings;
use crate::scenarios::{CC_ES256, TargetResult};
use serde_json::json;

pub struct Report {
    pub cores: usize,
    pub seconds: f64,
    pub concurrency: usize,
    pub ceilings: Ceilings,
    pub targets: Vec<TargetResult>,
}

const ROWS: &[&str] = &[
    "discovery",
    "jwks",
    "client_credentials",
    CC_ES256,
    "refresh",
    "userinfo",
    "introspection",
    "SSO flow",
    "full flow",
];

impl Report {
    fn peer(&self) -> Option<&TargetResult> {
        self.targets.iter().find(|t| !t.name.starts_with("Latch"))
    }

    /// `t`'s operations per core-second over the peer's; `None` for the peer itself.
    fn ratio(&self, t: &TargetResult, scenario: &str) -> Option<f64> {
        let peer = self.peer()?;
        if std::ptr::eq(t, peer) {
            return None;
        }
        let theirs = peer.get(scenario)?.per_core_second();
        Some(t.get(scenario)?.per_core_second() / theirs.max(1e-9))
    }

    /// The one-core ceiling of the unavoidable work in `scenario`, and what it counts.
    fn ceiling(&self, scenario: &str) -> Option<(f64, &'static str)> {
        match scenario {
            "client_credentials" => Some((self.ceilings.rs256_per_core_second, "RS256 signatures")),
            CC_ES256 => Some((self.ceilings.es256_per_core_second, "ES256 signatures")),
            "full flow" => Some((self.ceilings.argon2id_per_core_second, "argon2id hashes")),
            _ => None,
        }
    }

    pub fn print(&self) {
        println!("\nprovider CPU per operation: operations per core-second (× the peer), same run, same machine");
        print!("| {:<24} |", "operation");
        for t in &self.targets {
            print!(" {:<24} |", t.name);
        }
        println!(" ceiling (one core) |");
        print!("|{}|", "-".repeat(26));
        for _ in &self.targets {
            print!("{}|", "-".repeat(26));
        }
        println!("{}|", "-".repeat(20));
        for name in ROWS {
            print!("| {name:<24} |");
            for t in &self.targets {
                let cell = match (t.get(name), self.ratio(t, name)) {
                    (Some(m), Some(r)) => format!("{:.0} ({r:.2}×)", m.per_core_second()),
                    (Some(m), None) => format!("{:.0}", m.per_core_second()),
                    (None, _) => "–".to_owned(),
                };
                print!(" {cell:<24} |");
            }
            match self.ceiling(name) {
                Some((per, unit)) => println!(" {per:.0} {unit} |"),
                None => println!(" {:<18} |", ""),
            }
        }
        print!("| {:<24} |", "peak RSS (MiB)");
        for t in &self.targets {
            print!(" {:<24} |", format!("{:.0} (idle {:.0})", t.peak_rss_mib, t.idle_rss_mib));
        }
        println!(" {:<18} |", "");
        println!(
            "\nES256 ceiling: {:.0} signatures/core-s; argon2id allocating its memory per hash: {:.1} hashes/core-s; \
             argon2id with every core hashing: {:.1} hashes/core-s",
            self.ceilings.es256_per_core_second,
            self.ceilings.argon2id_allocating_per_core_second,
            self.ceilings.argon2id_all_cores_per_core_second
        );
        println!("\nwall clock (the load generator shares the cores):");
        for t in &self.targets {
            println!("{}:", t.name);
            for m in &t.scenarios {
                println!(
                    "  {:<24} {:>8.0} ops/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
                    m.name,
                    m.per_wall_second(),
                    m.run.percentile_ms(0.5),
                    m.run.percentile_ms(0.99),
                    m.run.errors
                );
            }
            println!(
                "  client_credentials p99 at {:.0}/s (half the maximum): {:.2} ms",
                t.cc_half_rate, t.cc_p99_at_half_ms
            );
        }
        println!("\ntargets (issue 12):");
        for line in self.verdicts() {
            println!("  {line}");
        }
    }

    /// Each target of issue 12 for each Latch backend: met, or missed and by how much.
    pub fn verdicts(&self) -> Vec<String> {
        let mut out = Vec::new();
        let check = |out: &mut Vec<String>, what: String, value: f64, goal: f64, higher: bool| {
            let met = if higher { value >= goal } else { value < goal };
            let verdict = if met {
                "met".to_owned()
            } else if higher {
                format!("MISSED by {:.0} %", 100.0 * (1.0 - value / goal.max(1e-9)))
            } else {
                format!("MISSED by {:.0} %", 100.0 * (value / goal.max(1e-9) - 1.0))
            };
            out.push(format!("{what}: {value:.2} (goal {} {goal:.2}) {verdict}", if higher { "≥" } else { "<" }));
        };
        let c = &self.ceilings;
        for t in self.targets.iter().filter(|t| t.name.starts_with("Latch")) {
            let sqlite = t.name.contains("SQLite");
            let per = |s: &str| t.get(s).map(|m| m.per_core_second()).unwrap_or(0.0);
            check(
                &mut out,
                format!("{} full flow / argon2id ceiling", t.name),
                per("full flow") / c.argon2id_per_core_second,
                0.9,
                true,
            );
            check(
                &mut out,
                format!("{} client_credentials / RS256 ceiling", t.name),
                per("client_credentials") / c.rs256_per_core_second,
                0.87,
                true,
            );
            let vs_peer = [
                ("full flow", 1.3),
                ("client_credentials", 2.2),
                ("refresh", 2.0),
                ("SSO flow", if sqlite { 2.5 } else { 2.0 }),
            ];
            for (s, goal) in vs_peer {
                if let Some(r) = self.ratio(t, s) {
                    check(&mut out, format!("{} {s} × peer", t.name), r, goal, true);
                }
            }
            check(&mut out, format!("{} peak RSS MiB", t.name), t.peak_rss_mib, 150.0, false);
            check(&mut out, format!("{} idle RSS MiB", t.name), t.idle_rss_mib, 30.0, false);
            check(
                &mut out,
                format!("{} client_credentials p99 ms at half rate", t.name),
                t.cc_p99_at_half_ms,
                5.0,
                false,
            );
        }
        out
    }

    pub fn json(&self) -> serde_json::Value {
        let targets: Vec<_> = self
            .targets
            .iter()
            .map(|t| {
                let scenarios: serde_json::Map<String, serde_json::Value> = t
                    .scenarios
                    .iter()
                    .map(|m| {
                        let v = json!({
                            "ops": m.run.ops,
                            "errors": m.run.errors,
                            "cpu_seconds": m.cpu_seconds,
                            "hashing_cpu_seconds": m.hashing_seconds,
                            "ops_per_core_second": m.per_core_second(),
                            "ops_per_second": m.per_wall_second(),
                            "vs_peer": self.ratio(t, m.name),
                            "p50_ms": m.run.percentile_ms(0.5),
                            "p99_ms": m.run.percentile_ms(0.99),
                        });
                        (m.name.to_owned(), v)
                    })
                    .collect();
                json!({
                    "name": t.name,
                    "scenarios": scenarios,
                    "memory": { "idle_rss_mib": t.idle_rss_mib, "peak_rss_mib": t.peak_rss_mib },
                    "client_credentials_p99_ms_at_half_rate": t.cc_p99_at_half_ms,
                    "half_rate_per_second": t.cc_half_rate,
                })
            })
            .collect();
        json!({
            "machine": { "cores": self.cores },
            "settings": { "seconds": self.seconds, "concurrency": self.concurrency },
            "ceilings_per_core_second": {
                "rs256_signatures": self.ceilings.rs256_per_core_second,
                "es256_signatures": self.ceilings.es256_per_core_second,
                "argon2id_hashes": self.ceilings.argon2id_per_core_second,
                "argon2id_hashes_allocating": self.ceilings.argon2id_allocating_per_core_second,
                "argon2id_hashes_every_core_hashing": self.ceilings.argon2id_all_cores_per_core_second,
            },
            "targets": targets,
            "verdicts": self.verdicts(),
        })
    }
}

//! What the bench reads off the machine: the CPU time and memory of processes (`/proc`), and
//! the ceilings of the work no provider can avoid (one RS256 signature per token, one argon2id
//! hash per password sign-in), each on one core.

use std::time::{Duration, Instant};

/// Processes whose CPU an operation costs: the provider itself, and for a deployment with a
/// database and a cache, every process of those servers.
#[derive(Debug, Clone)]
pub enum Procs {
    Pid(u32),
    /// Every process whose command name (`/proc/<pid>/comm`) is this, e.g. `postgres`.
    Named(&'static str),
}

/// User + system CPU time of a set of processes, in seconds since each started.
#[derive(Debug, Clone, Copy)]
pub struct CpuClock {
    ticks_per_second: f64,
}

impl CpuClock {
    pub fn new() -> CpuClock {
        // `getconf` asks the C library for sysconf(_SC_CLK_TCK); 100 on every Linux we know.
        let ticks = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|t| *t > 0.0)
            .unwrap_or(100.0);
        CpuClock { ticks_per_second: ticks }
    }

    /// CPU seconds of `procs`, their reaped children included (a postgres backend that ends
    /// moves its time to the postmaster), so a difference of two readings is what ran between.
    pub fn seconds(&self, procs: &[Procs]) -> f64 {
        let mut ticks = 0u64;
        for p in procs {
            match p {
                Procs::Pid(pid) => ticks += stat(*pid).map(|s| s.ticks).unwrap_or(0),
                Procs::Named(name) => {
                    let Ok(dir) = std::fs::read_dir("/proc") else { continue };
                    for pid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
                        if let Some(s) = stat(pid).filter(|s| s.comm == *name) {
                            ticks += s.ticks;
                        }
                    }
                }
            }
        }
        ticks as f64 / self.ticks_per_second
    }
}

/// CPU seconds of the threads of `pid` whose name starts with `prefix` (`latch-hash-`: the
/// password-hashing pool), to tell the hash's own cost in place from everything around it.
pub fn thread_seconds(clock: &CpuClock, pid: u32, prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0.0 };
    let ticks: u64 = tasks
        .filter_map(|t| {
            let text = std::fs::read_to_string(t.ok()?.path().join("stat")).ok()?;
            parse_stat(&text).filter(|s| s.comm.starts_with(prefix)).map(|s| s.ticks)
        })
        .sum();
    ticks as f64 / clock.ticks_per_second
}

struct Stat {
    comm: String,
    /// utime + stime + cutime + cstime.
    ticks: u64,
}

/// Fields of `/proc/<pid>/stat` (proc(5)): `pid (comm) state …`, utime is field 14.
fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    // After ") " come the fields from 3 (state) on: utime, stime, cutime, cstime are 14–17.
    let fields: Vec<&str> = text.get(close + 2..)?.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat { comm, ticks: field(14)? + field(15)? + field(16)? + field(17)? })
}

/// A `/proc/<pid>/status` field in MiB: `VmRSS:` now, `VmHWM:` the peak.
pub fn memory_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .map(|kib: f64| kib / 1024.0)
        .unwrap_or(0.0)
}

/// Runs `op` on this thread for `seconds`; operations per second of this one core.
fn per_core_second(seconds: f64, mut op: impl FnMut() -> bool) -> f64 {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    while Instant::now() < deadline {
        if op() {
            n += 1;
        }
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[derive(Debug, Clone, Copy)]
pub struct Ceilings {
    pub rs256_per_core_second: f64,
    pub es256_per_core_second: f64,
    /// argon2id at m=19456 KiB, t=2, p=1 in memory kept from hash to hash (what Latch does).
    pub argon2id_per_core_second: f64,
    /// The same with 19 MiB allocated for every hash (what `Argon2::hash_password` does).
    pub argon2id_allocating_per_core_second: f64,
    /// Kept memory, one thread per core all hashing at once, per core: what the cores' shared
    /// caches and memory bandwidth leave when every core hashes.
    pub argon2id_all_cores_per_core_second: f64,
}

/// The ceilings, each measured on one thread (one core) for `seconds`.
pub fn ceilings(seconds: f64, password: &str) -> anyhow::Result<Ceilings> {
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    let payload = [7u8; 300];
    let rsa = josekit::jws::RS256.generate_key_pair(2048)?;
    let rsa = josekit::jws::RS256.signer_from_der(rsa.to_der_private_key())?;
    let rs256 = per_core_second(seconds, || josekit::jws::JwsSigner::sign(&rsa, &payload).is_ok());
    let ec = josekit::jws::ES256.generate_key_pair()?;
    let ec = josekit::jws::ES256.signer_from_der(ec.to_der_private_key())?;
    let es256 = per_core_second(seconds, || josekit::jws::JwsSigner::sign(&ec, &payload).is_ok());

    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; 32];
    let mut blocks = vec![Block::default(); params.block_count()];
    let salt = b"0123456789abcdef";
    let kept = per_core_second(seconds, || {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks).is_ok()
    });
    drop(blocks);
    let allocating = per_core_second(seconds, || argon.hash_password_into(password.as_bytes(), salt, &mut out).is_ok());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (argon, password) = (argon.clone(), password.to_owned());
            std::thread::spawn(move || {
                let mut out = [0u8; 32];
                let mut blocks = vec![Block::default(); argon.params().block_count()];
                per_core_second(seconds, || {
                    argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks).is_ok()
                })
            })
        })
        .collect();
    let all_cores = threads.into_iter().map(|t| t.join().unwrap_or(0.0)).sum::<f64>() / cores as f64;
    Ok(Ceilings {
        rs256_per_core_second: rs256,
        es256_per_core_second: es256,
        argon2id_per_core_second: kept,
        argon2id_allocating_per_core_second: allocating,
        argon2id_all_cores_per_core_second: all_cores,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn this_process_cpu_time_grows_while_it_works() {
        let clock = CpuClock::new();
        let me = [Procs::Pid(std::process::id())];
        let before = clock.seconds(&me);
        let started = Instant::now();
        let mut x = 0u64;
        // Busy until the clock has seen 0.2 s of CPU: it must, long before 10 s of wall time,
        // however busy the machine is.
        while clock.seconds(&me) - before < 0.2 {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            assert!(started.elapsed() < Duration::from_secs(10), "the CPU clock did not move");
        }
        std::hint::black_box(x);
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
        let (spent, wall) = (clock.seconds(&me) - before, started.elapsed().as_secs_f64());
        assert!(spent <= wall * cores + 0.05, "{spent} s of CPU in {wall} s of wall time");
        assert!(memory_mib(std::process::id(), "VmRSS:") > 0.0);
    }

    #[test]
    fn stat_reads_a_command_name_with_spaces_and_parentheses() {
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 11 13 20 0 1 0 5 1000 50";
        let s = parse_stat(line).expect("parsed");
        assert_eq!(s.comm, "a (b) c");
        assert_eq!(s.ticks, 7 + 3 + 11 + 13);
        assert!(parse_stat("42 (truncated) S 1").is_none());
        assert!(stat(std::process::id()).is_some_and(|s| !s.comm.is_empty()));
        assert!(stat(u32::MAX).is_none());
    }
}

//! `cargo xtask fuzz`: the cargo-fuzz targets in `crates/latch-fuzz` (nightly, libFuzzer with
//! AddressSanitizer). `--smoke` runs each for a bounded time, as CI does; otherwise each runs
//! for `--seconds N` (default 600). Crashes land in `crates/latch-fuzz/artifacts/<target>/`
//! and become regression tests in the crate they hit. The build goes to `target/fuzz`, beside
//! the other builds.

use anyhow::{Context, bail};
use std::process::Command;

const FUZZ_DIR: &str = "crates/latch-fuzz";
pub const TARGETS: &[&str] = &["authorize_request", "token_request", "redirect_uri", "jwt", "cookie", "import_file"];
/// Real inputs a target's corpus starts from: every file in the directory.
const SEEDS: &[(&str, &str)] = &[("import_file", "docs/examples")];
/// Seconds per target in a smoke run.
const SMOKE_SECONDS: u64 = 20;

fn cargo_fuzz() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args(["+nightly", "fuzz"]);
    cmd
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut seconds = 600;
    let mut only: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => seconds = SMOKE_SECONDS,
            "--seconds" => seconds = it.next().context("--seconds N")?.parse().context("--seconds N")?,
            "--only" => only = it.next().context("--only a,b")?.split(',').map(str::to_owned).collect(),
            other => bail!("unknown fuzz option `{other}` (--smoke, --seconds N, --only a,b)"),
        }
    }
    if seconds == 0 {
        bail!("--seconds must be at least 1 (libFuzzer reads 0 as no limit)");
    }
    let installed = cargo_fuzz().arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        bail!("cargo-fuzz is missing: cargo install cargo-fuzz --locked (and rustup toolchain install nightly)");
    }
    let target_dir = std::path::absolute("target/fuzz").context("target/fuzz")?;
    let mut build = cargo_fuzz();
    build.args(["build", "--fuzz-dir", FUZZ_DIR, "--target-dir"]).arg(&target_dir);
    crate::status(build)?;
    for target in TARGETS.iter().filter(|t| only.is_empty() || only.iter().any(|o| o == *t)) {
        let corpus = target_dir.join("corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        for (_, dir) in SEEDS.iter().filter(|(t, _)| t == target) {
            for entry in std::fs::read_dir(dir).with_context(|| format!("reading the seeds in {dir}"))? {
                let path = entry?.path();
                if let Some(name) = path.file_name() {
                    std::fs::copy(&path, corpus.join(name)).with_context(|| format!("seeding {}", path.display()))?;
                }
            }
        }
        let mut run = cargo_fuzz();
        run.args(["run", "--fuzz-dir", FUZZ_DIR, "--target-dir"])
            .arg(&target_dir)
            .arg(target)
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-max_len=8192")
            .arg("-print_final_stats=1");
        crate::status(run).with_context(|| format!("fuzz target `{target}` found a crash"))?;
    }
    Ok(())
}

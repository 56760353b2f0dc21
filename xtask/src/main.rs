//! `cargo xtask`: every developer and CI workflow, in Rust instead of shell.
//!
//! - `run [ARGS…]`: build the console, then build and start Latch on the embedded default
//!   (`latch serve`), serving the console at `/console`
//! - `console`: build the console alone into `target/console/dist`
//! - `test`: the whole suite on SQLite + memory, and on Postgres + Redis when
//!   `LATCH_TEST_DATABASE_URL` / `LATCH_TEST_REDIS_URL` are set
//! - `ci`: fmt check, clippy `-D warnings`, dependency rules, wasm32 check, tests
//! - `deps`: the dependency-direction rule alone
//! - `bench [--seconds N] [--concurrency N]`: release build, then `latch-bench` against it;
//!   prints the figures and writes `target/bench-report.json`

mod console;
mod deps;
mod tidy;

use anyhow::{Context, bail};
use std::process::Command;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "run" => run(&rest),
        "console" => console::build().map(|_| ()),
        "test" => test(&rest),
        "ci" => ci(),
        "deps" => deps::check_workspace(),
        "bench" => bench(&rest),
        _ => {
            eprintln!("usage: cargo xtask <run|test|ci|deps|bench|console> [args…]");
            bail!("unknown task `{task}`")
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn status(mut cmd: Command) -> anyhow::Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let dist = console::build()?;
    let dist = std::fs::canonicalize(&dist).unwrap_or(dist);
    let mut cmd = cargo();
    if std::env::var_os("LATCH_CONSOLE_DIR").is_none() {
        cmd.env("LATCH_CONSOLE_DIR", &dist);
    }
    cmd.args(["run", "--package", "latch", "--bin", "latch", "--"]);
    if args.is_empty() {
        cmd.arg("serve");
    } else {
        cmd.args(args);
    }
    status(cmd)
}

fn ci_mode() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn test(args: &[String]) -> anyhow::Result<()> {
    let pg = std::env::var("LATCH_TEST_DATABASE_URL").unwrap_or_default();
    let redis = std::env::var("LATCH_TEST_REDIS_URL").unwrap_or_default();
    if ci_mode() && (pg.is_empty() || redis.is_empty()) {
        bail!("CI is set: LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL are required, not optional");
    }
    eprintln!(
        "backends: sqlite + memory{}{}",
        if pg.is_empty() { "" } else { ", postgres" },
        if redis.is_empty() { "" } else { ", redis" }
    );
    // The browser tests serve the built console.
    let dist = console::build()?;
    let dist = std::fs::canonicalize(&dist).unwrap_or(dist);
    if ci_mode() {
        console::check_budget(&dist)?;
    }
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--exclude", console::PACKAGE, "--all-targets"]).args(args);
    cmd.env("LATCH_TEST_CONSOLE_DIR", &dist);
    status(cmd)?;
    let mut doc = cargo();
    doc.args(["test", "--workspace", "--exclude", console::PACKAGE, "--doc"]);
    status(doc)
}

fn ci() -> anyhow::Result<()> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    status(fmt)?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--exclude", console::PACKAGE, "--all-targets", "--", "-D", "warnings"]);
    status(clippy)?;
    // The console is built for the browser only.
    let mut console_clippy = cargo();
    console_clippy.args([
        "clippy",
        "--package",
        console::PACKAGE,
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]);
    status(console_clippy)?;
    deps::check_workspace()?;
    let mut wasm = cargo();
    wasm.args(["check", "--package", "latch-types", "--target", "wasm32-unknown-unknown"]);
    status(wasm).context("the wire-types crate must build for wasm32 (rustup target add wasm32-unknown-unknown)")?;
    test(&[])
}

fn bench(args: &[String]) -> anyhow::Result<()> {
    let mut build = cargo();
    build.args(["build", "--release", "--package", "latch", "--package", "latch-bench"]);
    status(build)?;
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let mut run = Command::new(format!("{target}/release/latch-bench"));
    run.args(["--latch", &format!("{target}/release/latch"), "--out", &format!("{target}/bench-report.json")]);
    run.args(args);
    status(run)
}

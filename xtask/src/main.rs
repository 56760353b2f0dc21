//! `cargo xtask`: every developer and CI workflow, in Rust instead of shell.
//!
//! - `run [ARGS…]`: build the console, then build and start Latch on the embedded default
//!   (`latch serve`), serving the console at `/console`
//! - `console`: build the console alone into `target/console/dist`
//! - `test`: the whole suite on SQLite + memory, and on Postgres + Redis when
//!   `LATCH_TEST_DATABASE_URL` / `LATCH_TEST_REDIS_URL` are set
//! - `ci`: fmt check, dependency rules, wasm32 check, tests, with clippy `-D warnings` run on
//!   every workspace crate while the tests and the console build (one compile of the
//!   dependencies instead of a check pass and a build pass)
//! - `deps`: the dependency-direction rule alone
//! - `bench [--seconds N] [--concurrency N] [--backends sqlite,postgres] [--peer DIR|none]`:
//!   release build, then `latch-bench`: the reference peer and Latch on each backend, same
//!   scenarios, provider CPU per operation; prints the table and writes `target/bench-report.json`
//! - `fuzz [--smoke | --seconds N] [--only a,b]`: the cargo-fuzz targets (`crates/latch-fuzz`)

mod console;
mod deps;
mod fuzz;
mod tidy;

use anyhow::{Context, bail};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Set by `ci`: every cargo command compiles the workspace's own crates through clippy.
static LINT_WHILE_BUILDING: AtomicBool = AtomicBool::new(false);

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
        "fuzz" => fuzz::run(&rest),
        _ => {
            eprintln!("usage: cargo xtask <run|test|ci|deps|bench|console|fuzz> [args…]");
            bail!("unknown task `{task}`")
        }
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    if LINT_WHILE_BUILDING.load(Ordering::Relaxed) {
        // What `cargo clippy` does, on a build instead of a check: clippy-driver wraps rustc for
        // workspace members only, and `CLIPPY_ARGS` carries the lint levels
        // (separated as cargo-clippy separates them).
        cmd.env("RUSTC_WORKSPACE_WRAPPER", "clippy-driver");
        cmd.env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__");
    }
    cmd
}

fn status(mut cmd: Command) -> anyhow::Result<()> {
    eprintln!("$ {cmd:?}");
    let started = Instant::now();
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    eprintln!("  ({:.0} s)", started.elapsed().as_secs_f64());
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

/// The axe-core release the accessibility audit runs (npm).
const AXE_CORE: &str = "4.14.1";

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
    // The end-user pages' accessibility audit runs axe-core in the browser.
    match console::npm_tool("axe-core", AXE_CORE, &["axe.min.js"]) {
        Some(axe) => {
            cmd.env("LATCH_TEST_AXE", std::fs::canonicalize(&axe).unwrap_or(axe));
        }
        None if ci_mode() => bail!("CI is set: npm must install axe-core@{AXE_CORE} for the accessibility audit"),
        None => eprintln!("no npm: the accessibility audit of the end-user pages is skipped"),
    }
    // The MCP test runs the official MCP Python SDK as the client; the email tests a real SMTP
    // server (aiosmtpd).
    match mcp_python() {
        Some(python) => {
            cmd.env("LATCH_TEST_PYTHON", python);
        }
        None if ci_mode() => {
            bail!("CI is set: python3 -m venv and pip must install the Python test tools (MCP SDK, aiosmtpd)")
        }
        None => eprintln!("no python3 venv or pip: the MCP SDK and SMTP tests are skipped"),
    }
    // No crate has doc tests (tidy keeps it so): a `--doc` pass would compile every library again.
    status(cmd)
}

/// The Python of a venv under `target/tools/test-venv` holding the end-to-end tests' pinned
/// requirements (`crates/latch/tests/e2e/python/requirements.txt`: the MCP SDK, an SMTP
/// server), made on first use and again
/// when the requirements change.
fn mcp_python() -> Option<std::path::PathBuf> {
    let requirements = std::path::Path::new("crates/latch/tests/e2e/python/requirements.txt");
    let wanted = std::fs::read_to_string(requirements).ok()?;
    let venv = console::target_dir().join("tools").join("test-venv");
    let python = venv.join("bin").join("python");
    let stamp = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        if !made.is_ok_and(|s| s.success()) {
            return None;
        }
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(requirements)
            .status();
        if !installed.is_ok_and(|s| s.success()) {
            return None;
        }
        std::fs::write(&stamp, &wanted).ok()?;
    }
    // Not canonicalized: `bin/python` is a link to the base interpreter, which would lose the venv.
    Some(std::path::absolute(&python).unwrap_or(python))
}

fn ci() -> anyhow::Result<()> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    status(fmt)?;
    deps::check_workspace()?;
    LINT_WHILE_BUILDING.store(true, Ordering::Relaxed);
    let mut wasm = cargo();
    wasm.args(["check", "--package", "latch-types", "--target", "wasm32-unknown-unknown"]);
    status(wasm).context("the wire-types crate must build for wasm32 (rustup target add wasm32-unknown-unknown)")?;
    // The console is linted as it is built for the browser, every other crate as its tests build
    // (`--all-targets`: libraries, binaries, tests and benches, as `cargo clippy --all-targets`).
    test(&[])
}

fn bench(args: &[String]) -> anyhow::Result<()> {
    let mut build = cargo();
    build.args(["build", "--release", "--package", "latch", "--package", "latch-bench"]);
    status(build)?;
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let mut run = Command::new(format!("{target}/release/latch-bench"));
    run.args(["--latch", &format!("{target}/release/latch"), "--out", &format!("{target}/bench-report.json")]);
    run.args(["--peer-work", &format!("{target}/bench/peer")]);
    if !args.iter().any(|a| a == "--peer") {
        // The reference peer sits next to the workspace where it is shared; without it the run
        // measures Latch alone.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        match std::fs::canonicalize(root.join("../shared/peers/oidc-provider")) {
            Ok(peer) if peer.join("server.mjs").exists() => run.arg("--peer").arg(peer),
            _ => {
                eprintln!("no ../shared/peers/oidc-provider: measuring Latch without the reference peer");
                run.args(["--peer", "none"])
            }
        };
    }
    run.args(args);
    status(run)
}

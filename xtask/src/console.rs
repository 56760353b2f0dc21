//! `cargo xtask console`: builds the operator console (`console/`) for wasm32, runs
//! `wasm-bindgen`, and writes `target/console/dist`: `index.html` and content-hashed files under
//! `assets/` (what `latch serve` serves at `/console` when `console_dir` names the folder).
//! Installs the wasm32 target and the `wasm-bindgen` CLI matching Cargo.lock when missing.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The console's crate, profile and wasm file.
pub const PACKAGE: &str = "latch-console";
const PROFILE: &str = "console";
const TARGET: &str = "wasm32-unknown-unknown";

pub fn target_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned()))
}

/// Where the built console goes.
pub fn dist_dir() -> PathBuf {
    target_dir().join("console").join("dist")
}

/// The version of `name` Cargo.lock pins.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let v = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(v.to_owned());
        }
    }
    None
}

fn ensure_target() -> anyhow::Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    if out.as_ref().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET)) {
        return Ok(());
    }
    let mut add = Command::new("rustup");
    add.args(["target", "add", TARGET]);
    crate::status(add).context("adding the wasm32 target")
}

/// A `wasm-bindgen` of exactly `version`: on PATH, or installed under `target/tools`.
fn wasm_bindgen(version: &str) -> anyhow::Result<PathBuf> {
    let on_path = PathBuf::from("wasm-bindgen");
    let local = target_dir().join("tools").join("bin").join("wasm-bindgen");
    for candidate in [&local, &on_path] {
        if let Ok(out) = Command::new(candidate).arg("--version").output()
            && String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1) == Some(version)
        {
            return Ok(candidate.clone());
        }
    }
    // Not --locked: its lockfile names a crate the registry here lacks (../shared/STACK.md).
    let mut install = crate::cargo();
    install.args(["install", "wasm-bindgen-cli", "--version", version, "--root"]).arg(target_dir().join("tools"));
    crate::status(install).context("installing the wasm-bindgen CLI")?;
    Ok(local)
}

/// `stem-<hash>.ext` for `bytes`: the name changes whenever the content does.
fn hashed(stem: &str, ext: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{stem}-{hex}.{ext}")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {name}"))
}

pub fn build() -> anyhow::Result<PathBuf> {
    let lock = std::fs::read_to_string("Cargo.lock").context("reading Cargo.lock")?;
    let version = locked_version(&lock, "wasm-bindgen").context("Cargo.lock pins no wasm-bindgen")?;
    ensure_target()?;
    let bindgen = wasm_bindgen(&version)?;
    let mut build = crate::cargo();
    build.args(["build", "--package", PACKAGE, "--target", TARGET, "--profile", PROFILE]);
    crate::status(build)?;
    // A binary crate's wasm keeps its package name, dashes included.
    let wasm = target_dir().join(TARGET).join(PROFILE).join(format!("{PACKAGE}.wasm"));
    let out = target_dir().join("console").join("bindgen");
    let _ = std::fs::remove_dir_all(&out);
    let mut run = Command::new(&bindgen);
    run.arg(&wasm)
        .args(["--target", "web", "--no-typescript", "--remove-name-section", "--remove-producers-section"])
        .args(["--out-name", "console", "--out-dir"])
        .arg(&out);
    crate::status(run)?;

    let dist = dist_dir();
    let assets = dist.join("assets");
    let _ = std::fs::remove_dir_all(&dist);
    std::fs::create_dir_all(&assets).context("creating the console's dist folder")?;
    let js = std::fs::read(out.join("console.js")).context("wasm-bindgen wrote no console.js")?;
    let wasm_bytes = std::fs::read(out.join("console_bg.wasm")).context("wasm-bindgen wrote no console_bg.wasm")?;
    let css = std::fs::read("console/style.css").context("reading console/style.css")?;
    let (js_name, wasm_name, css_name) =
        (hashed("console", "js", &js), hashed("console", "wasm", &wasm_bytes), hashed("style", "css", &css));
    // The one script the page loads: keep a list of the page's errors (the browser tests
    // require it to stay empty), then start the app with its hashed WebAssembly.
    let boot = format!(
        "window.__latchErrors = [];\n\
         const keep = (m) => window.__latchErrors.push(String(m));\n\
         window.addEventListener('error', (e) => keep(e.message));\n\
         window.addEventListener('unhandledrejection', (e) => keep(e.reason));\n\
         const logError = console.error.bind(console);\n\
         console.error = (...args) => {{ keep(args.join(' ')); logError(...args); }};\n\
         import('./{js_name}').then((m) => m.default({{ module_or_path: new URL('./{wasm_name}', import.meta.url) }}));\n"
    );
    let boot_name = hashed("boot", "js", boot.as_bytes());
    write(&assets, &js_name, &js)?;
    write(&assets, &wasm_name, &wasm_bytes)?;
    write(&assets, &css_name, &css)?;
    write(&assets, &boot_name, boot.as_bytes())?;
    let html = std::fs::read_to_string("console/index.html").context("reading console/index.html")?;
    let html = html
        .replace("{{JS}}", &js_name)
        .replace("{{WASM}}", &wasm_name)
        .replace("{{CSS}}", &css_name)
        .replace("{{BOOT}}", &boot_name);
    write(&dist, "index.html", html.as_bytes())?;
    eprintln!("console: {} ({} KB of WebAssembly)", dist.display(), wasm_bytes.len() / 1024);
    Ok(dist)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n";
        assert_eq!(super::locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(super::locked_version(lock, "y"), None);
    }

    #[test]
    fn hashed_names_change_with_content() {
        assert_ne!(super::hashed("a", "js", b"1"), super::hashed("a", "js", b"2"));
        assert_eq!(super::hashed("a", "js", b"1"), super::hashed("a", "js", b"1"));
        assert!(super::hashed("style", "css", b"x").starts_with("style-"));
    }
}

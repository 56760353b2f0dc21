//! `cargo xtask console`: builds the operator console (`console/`) for wasm32, runs
//! `wasm-bindgen`, and writes `target/console/dist`: `index.html` and content-hashed files under
//! `assets/` (what `latch serve` serves at `/console` when `console_dir` names the folder).
//! Installs the wasm32 target when missing; wasm-bindgen runs in-process, as the library the
//! CLI is made of, so its version is the one Cargo.lock pins next to the console's.

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
#[cfg(test)]
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

/// Runs wasm-bindgen (the library of the CLI, pinned to the console's `wasm-bindgen` in
/// Cargo.lock) on `wasm`: `console.js` and `console_bg.wasm` in `out`, for the web, without
/// TypeScript, names or producers.
fn bindgen(wasm: &Path, out: &Path) -> anyhow::Result<()> {
    let mut b = wasm_bindgen_cli_support::Bindgen::new();
    b.input_path(wasm).out_name("console").typescript(false).remove_name_section(true).remove_producers_section(true);
    b.web(true)?;
    b.generate(out).context("running wasm-bindgen")
}

/// The Binaryen release `cargo xtask console` installs from npm when no new enough
/// `wasm-opt` is on PATH (releases before 110, such as Debian bookworm's 108, break
/// wasm-bindgen's `externref` table).
const BINARYEN: &str = "132.0.0";

/// Binaryen's `wasm-opt`: on PATH when its release is 110 or later, else the npm package under
/// `target/tools/binaryen` (installed when npm is there); `None` without either.
fn wasm_opt() -> Option<PathBuf> {
    if let Ok(out) = Command::new("wasm-opt").arg("--version").output() {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let release = text.split_whitespace().nth(2).and_then(|v| v.parse::<u32>().ok());
        if release.is_some_and(|r| r >= 110) {
            return Some(PathBuf::from("wasm-opt"));
        }
    }
    npm_tool("binaryen", BINARYEN, &["bin", "wasm-opt"])
}

/// The file `path` of the npm package `name@version`, installed under `target/tools/<name>`
/// when missing; `None` when npm cannot install it.
pub fn npm_tool(name: &str, version: &str, path: &[&str]) -> Option<PathBuf> {
    let root = target_dir().join("tools").join(name);
    let mut local = root.join("node_modules").join(name);
    local.extend(path);
    if !local.exists() {
        let installed = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&root)
            .arg(format!("{name}@{version}"))
            .status();
        if !installed.is_ok_and(|s| s.success()) {
            return None;
        }
    }
    local.exists().then_some(local)
}

/// Shrinks `wasm` in place with Binaryen's `wasm-opt -Oz` when it can be had; without it the
/// console still works, only larger.
fn shrink(wasm: &Path) -> anyhow::Result<()> {
    let Some(tool) = wasm_opt() else {
        eprintln!(
            "console: no wasm-opt (Binaryen 110+ on PATH, or npm to install it): the WebAssembly is not size-optimized"
        );
        return Ok(());
    };
    let mut opt = Command::new(tool);
    // The features rustc's wasm32 target emits (Rust 1.82+), which Binaryen leaves off by default.
    // `--converge` runs the passes again while they still shrink (about 2 KiB, a few seconds).
    opt.args(["--converge", "-Oz", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext"])
        .args(["--enable-reference-types", "--enable-multivalue", "--enable-mutable-globals"])
        .arg(wasm)
        .arg("-o")
        .arg(wasm);
    crate::status(opt).context("wasm-opt")
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

/// The console's rustflags: `.cargo/config.toml`'s `--cfg erase_components` (which this replaces),
/// and the registry's directories stripped from the source paths panic locations keep in the
/// file (a few KB of WebAssembly; they differ per machine, so they cannot be in the config).
fn rustflags() -> String {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut flags = vec!["--cfg".to_owned(), "erase_components".to_owned()];
    let indexes = home.and_then(|h| std::fs::read_dir(h.join("registry").join("src")).ok());
    for index in indexes.into_iter().flatten().flatten() {
        flags.push(format!("--remap-path-prefix={}/=", index.path().display()));
    }
    flags.join("\x1f")
}

pub fn build() -> anyhow::Result<PathBuf> {
    ensure_target()?;
    let mut build = crate::cargo();
    build.args(["build", "--package", PACKAGE, "--target", TARGET, "--profile", PROFILE]);
    build.env("CARGO_ENCODED_RUSTFLAGS", rustflags());
    crate::status(build)?;
    // A binary crate's wasm keeps its package name, dashes included.
    let wasm = target_dir().join(TARGET).join(PROFILE).join(format!("{PACKAGE}.wasm"));
    let out = target_dir().join("console").join("bindgen");
    let _ = std::fs::remove_dir_all(&out);
    bindgen(&wasm, &out)?;
    shrink(&out.join("console_bg.wasm"))?;

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
    eprintln!("console: {} ({} KiB of WebAssembly)", dist.display(), wasm_bytes.len() / 1024);
    Ok(dist)
}

/// The most WebAssembly the console may ship, uncompressed (the console issue's budget).
pub const WASM_BUDGET: usize = 1024 * 1024;

/// Fails when the built console's WebAssembly in `dist` is over [`WASM_BUDGET`].
pub fn check_budget(dist: &Path) -> anyhow::Result<()> {
    let assets = std::fs::read_dir(dist.join("assets")).context("reading the console's assets")?;
    for entry in assets {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let size = std::fs::metadata(&path)?.len();
            if size > WASM_BUDGET as u64 {
                anyhow::bail!(
                    "the console's WebAssembly is {} KiB, over its {} KiB budget (is wasm-opt there?)",
                    size / 1024,
                    WASM_BUDGET / 1024
                );
            }
            return Ok(());
        }
    }
    anyhow::bail!("no WebAssembly in {}", dist.display())
}

#[cfg(test)]
mod tests {
    /// The bindings generator must be the exact release of the `wasm-bindgen` the console
    /// links: their schema changes between releases.
    #[test]
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    fn the_bindings_generator_matches_the_consoles_wasm_bindgen() {
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
        let linked = super::locked_version(&lock, "wasm-bindgen").expect("the console links wasm-bindgen");
        assert_eq!(super::locked_version(&lock, "wasm-bindgen-cli-support").as_deref(), Some(linked.as_str()));
    }

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

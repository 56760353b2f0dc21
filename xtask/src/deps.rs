//! The dependency-direction rules (ARCHITECTURE.md): the domain, wire-type and protocol-engine
//! crates must not depend, even indirectly, on an HTTP server, a database driver, Redis or an
//! async runtime; the service layer (`latch-core`) on no HTTP or SQL crate and on neither
//! surface; the admin API on `latch-core`, never on the IdP.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};

/// Crates that must stay pure.
pub const GUARDED: &[&str] = &["latch-types", "latch-domain", "latch-oidc"];

/// Crates the guarded ones must never reach.
pub const FORBIDDEN: &[&str] = &["actix-web", "actix-http", "actix-rt", "diesel", "redis", "tokio", "sqlx"];

/// Every rule: these crates must never reach those, even indirectly.
pub const RULES: &[(&[&str], &[&str])] = &[
    (GUARDED, FORBIDDEN),
    (&["latch-core"], &["latch-idp", "latch-admin", "actix-web", "actix-http", "diesel", "redis", "sqlx"]),
    (&["latch-admin"], &["latch-idp"]),
    // The console reaches Latch only through the admin API and the public OIDC endpoints.
    (
        &["latch-console"],
        &[
            "latch-domain",
            "latch-oidc",
            "latch-core",
            "latch-store",
            "latch-idp",
            "latch-admin",
            "latch",
            "actix-web",
            "diesel",
        ],
    ),
];

/// Every violation of [`RULES`].
pub fn rule_violations(meta: &Metadata) -> Vec<String> {
    RULES.iter().flat_map(|(guarded, forbidden)| violations(meta, guarded, forbidden)).collect()
}

#[derive(Deserialize)]
pub struct Metadata {
    packages: Vec<Package>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// Every forbidden crate reachable through normal (non-dev, non-build) dependencies of each
/// guarded crate, as `(guarded, forbidden, path)` lines.
pub fn violations(meta: &Metadata, guarded: &[&str], forbidden: &[&str]) -> Vec<String> {
    let names: HashMap<&str, &str> = meta.packages.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let edges: HashMap<&str, Vec<&str>> = meta
        .resolve
        .nodes
        .iter()
        .map(|n| {
            let normal = n
                .deps
                .iter()
                .filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()))
                .map(|d| d.pkg.as_str())
                .collect();
            (n.id.as_str(), normal)
        })
        .collect();
    let mut out = Vec::new();
    for root in meta.packages.iter().filter(|p| guarded.contains(&p.name.as_str())) {
        // Depth-first walk keeping the path, so the report says how the crate got in.
        let mut seen = BTreeSet::new();
        let mut stack = vec![(root.id.as_str(), vec![root.name.as_str()])];
        while let Some((id, path)) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for dep in edges.get(id).into_iter().flatten() {
                let name = names.get(dep).copied().unwrap_or("?");
                let mut next = path.clone();
                next.push(name);
                if forbidden.contains(&name) {
                    out.push(format!("{} depends on {}: {}", root.name, name, next.join(" → ")));
                }
                stack.push((dep, next));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

pub fn workspace_metadata() -> anyhow::Result<Metadata> {
    metadata_of(None, true)
}

/// `cargo metadata` of the workspace at `manifest` (this one when `None`).
fn metadata_of(manifest: Option<&std::path::Path>, locked: bool) -> anyhow::Result<Metadata> {
    let mut cmd = super::cargo();
    cmd.args(["metadata", "--format-version", "1"]);
    if locked {
        cmd.arg("--locked");
    }
    if let Some(m) = manifest {
        cmd.arg("--offline").arg("--manifest-path").arg(m);
    }
    let out = cmd.output().context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).context("parsing cargo metadata")
}

pub fn check_workspace() -> anyhow::Result<()> {
    let meta = workspace_metadata()?;
    let found = rule_violations(&meta);
    if found.is_empty() {
        for (guarded, forbidden) in RULES {
            eprintln!("deps: {} stay free of {}", guarded.join(", "), forbidden.join(", "));
        }
        return Ok(());
    }
    for v in &found {
        eprintln!("deps: {v}");
    }
    bail!("{} forbidden dependency path(s); see ARCHITECTURE.md", found.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn synthetic(edges: &[(&str, &str, Option<&str>)]) -> Metadata {
        let mut names: Vec<&str> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        names.sort();
        names.dedup();
        let json = serde_json::json!({
            "packages": names.iter().map(|n| serde_json::json!({"id": n, "name": n})).collect::<Vec<_>>(),
            "resolve": {"nodes": names.iter().map(|n| serde_json::json!({
                "id": n,
                "deps": edges.iter().filter(|(a, _, _)| a == n).map(|(_, b, kind)| serde_json::json!({
                    "pkg": b, "dep_kinds": [{"kind": kind}]
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()},
        });
        serde_json::from_value(json).expect("synthetic metadata")
    }

    #[test]
    fn an_indirect_forbidden_dependency_is_reported_with_its_path() {
        let meta = synthetic(&[("latch-oidc", "helper", None), ("helper", "tokio", None)]);
        assert_eq!(violations(&meta, GUARDED, FORBIDDEN), ["latch-oidc depends on tokio: latch-oidc → helper → tokio"]);
    }

    #[test]
    fn dev_dependencies_do_not_count() {
        let meta = synthetic(&[("latch-oidc", "tokio", Some("dev"))]);
        assert!(violations(&meta, GUARDED, FORBIDDEN).is_empty());
    }

    /// A real cargo workspace on disk whose `latch-admin` depends on `latch-idp` through
    /// `latch-helper`, read by `cargo metadata` exactly as the real workspace is.
    #[test]
    fn a_test_crate_that_re_adds_the_admin_to_idp_edge_fails_the_check() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write(
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"latch-admin\", \"latch-helper\", \"latch-idp\"]\n",
        );
        let krate = |name: &str, deps: &str| {
            write(
                &format!("{name}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[dependencies]\n{deps}"
                ),
            );
            write(&format!("{name}/src/lib.rs"), "");
        };
        krate("latch-idp", "");
        krate("latch-helper", "latch-idp = { path = \"../latch-idp\" }\n");
        krate("latch-admin", "latch-helper = { path = \"../latch-helper\" }\n");
        let meta = metadata_of(Some(&root.join("Cargo.toml")), false).expect("metadata of the test workspace");
        assert_eq!(
            rule_violations(&meta),
            ["latch-admin depends on latch-idp: latch-admin → latch-helper → latch-idp"],
            "the re-added edge is found, with its path"
        );
        // The same workspace without the edge passes.
        krate("latch-helper", "");
        let meta = metadata_of(Some(&root.join("Cargo.toml")), false).expect("metadata");
        assert!(rule_violations(&meta).is_empty());
    }

    #[test]
    fn the_real_workspace_passes_and_the_check_catches_a_crate_that_breaks_the_rule() {
        let meta = workspace_metadata().expect("metadata");
        assert!(rule_violations(&meta).is_empty(), "{:?}", rule_violations(&meta));
        // latch-store legitimately uses diesel, redis and tokio: guarding it must fail, which
        // shows the check sees real dependency edges of this workspace.
        let found = violations(&meta, &["latch-store"], FORBIDDEN);
        for name in ["diesel", "redis", "tokio"] {
            assert!(found.iter().any(|v| v.contains(&format!("depends on {name}:"))), "{name} missing from {found:?}");
        }
    }
}

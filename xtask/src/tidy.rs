//! Tidy checks written as plain tests (rust-analyzer style): ARCHITECTURE.md names every crate
//! and every top-level module, so the code map cannot silently fall behind the code.

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// `(crate dir name, module names)` of every workspace crate: the `.rs` files and folders
    /// directly under its `src/`, without `lib` and `main`.
    fn crates_and_modules(root: &Path) -> Vec<(String, Vec<String>)> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
            .expect("crates/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("Cargo.toml").exists())
            .collect();
        dirs.push(root.join("xtask"));
        dirs.sort();
        dirs.iter()
            .map(|dir| {
                let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let mut modules: Vec<String> = std::fs::read_dir(dir.join("src"))
                    .expect("src/")
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter_map(|p| match p.extension().and_then(|x| x.to_str()) {
                        Some("rs") => p.file_stem().map(|s| s.to_string_lossy().into_owned()),
                        None if p.is_dir() && p.file_name().is_some_and(|n| n != "snapshots") => {
                            p.file_name().map(|s| s.to_string_lossy().into_owned())
                        }
                        _ => None,
                    })
                    .filter(|m| m != "lib" && m != "main")
                    .collect();
                modules.sort();
                (name, modules)
            })
            .collect()
    }

    #[test]
    fn architecture_md_names_every_crate_and_module() {
        let root = root();
        let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
        let mut missing = Vec::new();
        let found = crates_and_modules(&root);
        assert!(found.len() >= 8, "the workspace's crates were found: {found:?}");
        for (krate, modules) in &found {
            if !map.contains(&format!("`crates/{krate}`")) && !map.contains(&format!("`{krate}`")) {
                missing.push(format!("crate {krate}"));
            }
            for m in modules {
                if !map.contains(&format!("{m}.rs")) && !map.contains(&format!("`{m}`")) {
                    missing.push(format!("{krate}/src/{m}"));
                }
            }
        }
        assert!(missing.is_empty(), "ARCHITECTURE.md does not mention: {missing:?}");
    }

    #[test]
    fn architecture_md_states_the_api_boundaries() {
        let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
        for boundary in ["latch-types", "/oidc", "/api"] {
            assert!(map.contains(boundary), "ARCHITECTURE.md names the API boundary {boundary}");
        }
    }
}

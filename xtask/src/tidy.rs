//! Tidy checks written as plain tests (rust-analyzer style): ARCHITECTURE.md names every crate
//! and every top-level module, so the code map cannot silently fall behind the code; and the
//! admin API, the import, the bootstrap and the command line change data only through
//! `latch-core` commands, never by a repository write of their own; and no doc comment holds
//! a doc test, which `cargo xtask test` does not compile (examples live in tests and docs/).

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// `(crate dir name, module names)` of every workspace crate: the `.rs` files and folders
    /// directly under its `src/`, without `lib` and `main` (`latch-fuzz` has only fuzz targets).
    fn crates_and_modules(root: &Path) -> Vec<(String, Vec<String>)> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
            .expect("crates/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("Cargo.toml").exists() && p.join("src").exists())
            .collect();
        dirs.push(root.join("xtask"));
        dirs.push(root.join("console"));
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

    /// Repository methods that change data; outside `latch-core` (and the store that implements
    /// them, and the IdP's protocol writes of sessions, grants and tokens) nothing calls them.
    const WRITES: &[&str] =
        &["insert_", "update_", "delete_", "add_", "set_", "remove_", "put_", "retire_", "revoke_", "append_audit"];

    /// `file:line: call` of every repository write call in `text`, also when the call is
    /// split over lines (`repos\n    .insert_user(…)`); comments do not count.
    fn repository_writes(file: &str, text: &str) -> Vec<String> {
        let code: String =
            text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(at) = code[from..].find("repos").map(|i| i + from) {
            let after = code[at + "repos".len()..].trim_start();
            if let Some(call) = after.strip_prefix('.')
                && let Some(w) = WRITES.iter().find(|w| call.trim_start().starts_with(*w))
            {
                let line = code[..at].matches('\n').count() + 1;
                let name: String = call.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push(format!("{file}:{line}: repos.{name} ({w}…)"));
            }
            from = at + "repos".len();
        }
        out
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source dir").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_admin_api_import_bootstrap_and_cli_write_only_through_commands() {
        let root = root();
        let mut files = Vec::new();
        rust_files(&root.join("crates/latch-admin/src"), &mut files);
        rust_files(&root.join("crates/latch/src"), &mut files);
        assert!(files.len() > 20, "the sources were found: {files:?}");
        let mut found = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).expect("a source file");
            found.extend(repository_writes(&f.display().to_string(), &text));
        }
        assert!(found.is_empty(), "write through latch_core::Core::apply instead: {found:#?}");
    }

    #[test]
    fn the_write_check_sees_direct_writes_across_lines_and_ignores_reads_and_comments() {
        let text = "idp.repos.get_user(&id).await?;\n\
                    idp.repos\n    .insert_user(&u).await?;\n\
                    // repos.delete_user is what we avoid\n\
                    self.repos.update_application(&a).await?;\n";
        assert_eq!(
            repository_writes("f.rs", text),
            ["f.rs:2: repos.insert_user (insert_…)", "f.rs:5: repos.update_application (update_…)"]
        );
        assert!(repository_writes("f.rs", "repos.list_users(page); repos.page_user_roles(u, p)").is_empty());
    }

    /// The line of every doc comment in `text` that opens a code block other than `text`,
    /// which rustdoc would compile and run as a doc test.
    fn doc_tests(file: &str, text: &str) -> Vec<String> {
        text.lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let doc = l.trim_start().strip_prefix("///").or_else(|| l.trim_start().strip_prefix("//!"))?;
                let fence = doc.trim_start().strip_prefix("```")?;
                let is_text = fence.trim().split(',').any(|tag| tag == "text" || tag == "ignore" || tag == "sh");
                ((!is_text && !fence.trim().is_empty()) || (fence.trim().is_empty() && !closes_block(text, i)))
                    .then(|| format!("{file}:{}", i + 1))
            })
            .collect()
    }

    /// Whether the bare fence on line `at` closes a block that an earlier fence opened.
    fn closes_block(text: &str, at: usize) -> bool {
        let fences = text.lines().take(at).filter(|l| {
            let t = l.trim_start();
            (t.starts_with("///") || t.starts_with("//!")) && t[3..].trim_start().starts_with("```")
        });
        fences.count() % 2 == 1
    }

    #[test]
    fn no_doc_comment_holds_a_doc_test() {
        let root = root();
        let mut files = Vec::new();
        rust_files(&root.join("crates"), &mut files);
        rust_files(&root.join("console/src"), &mut files);
        assert!(files.len() > 50, "the sources were found: {}", files.len());
        let found: Vec<String> = files
            .iter()
            .flat_map(|f| doc_tests(&f.display().to_string(), &std::fs::read_to_string(f).expect("a source file")))
            .collect();
        assert!(found.is_empty(), "doc tests do not run here; make the block ```text or move it to a test: {found:?}");
    }

    #[test]
    fn the_doc_test_check_sees_rust_blocks_and_bare_fences_and_passes_text() {
        let text = "/// ```\n/// let x = 1;\n/// ```\n//! ```text\n//! a\n//! ```\n/// ```rust\n/// ```\n";
        assert_eq!(doc_tests("f.rs", text), ["f.rs:1", "f.rs:7"]);
    }
}

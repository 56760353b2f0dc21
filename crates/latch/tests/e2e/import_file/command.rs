//! The `latch import` command itself, on the example files.

use super::*;

#[test]
fn unknown_keys_are_rejected_when_parsing() {
    let err = import::parse("[[users]]\nusername = \"alice\"\npasword = \"typo\"\n").expect_err("typo");
    assert!(matches!(err, ImportError::Parse(_)), "{err}");
    assert!(err.to_string().contains("pasword"), "{err}");
    let debug = format!("{:?}", full());
    assert!(!debug.contains(ALICE_PASSWORD) && !debug.contains(WEB_SECRET), "secrets never reach Debug output");
}

#[test]
fn unknown_keys_in_permissions_and_branding_are_rejected_when_parsing() {
    for (text, name) in [
        ("[[applications]]\nname = \"A\"\ntype = \"SPA\"\npermissions = { user_scope = [\"email\"] }\n", "user_scope"),
        ("[[applications]]\nname = \"A\"\ntype = \"SPA\"\nbranding = { logo = \"https://a.example/l.png\" }\n", "logo"),
        ("[[organizations]]\nname = \"Acme\"\nmembers = [ { username = \"alice\" } ]\n", "username"),
    ] {
        let err = import::parse(text).expect_err(name);
        assert!(matches!(err, ImportError::Parse(_)), "{err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = import::parse(
        "[[applications]]\nname = \"A\"\ntype = \"SPA\"\npermissions = { user_scopes = [{ id = \"email\", optional = true }] }\n",
    )
    .expect_err("not a permission");
    assert!(err.to_string().contains("a name, or a table like"), "{err}");
}

/// A configuration for the `latch` binary on a fresh SQLite file in `dir`.
fn command_config(dir: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("latch.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[database]\nurl = {:?}\n[log]\nlevel = \"warn\"\n\
             [password_hash]\nmemory_kib = 64\niterations = 1\nparallelism = 1\n",
            dir.display().to_string(),
            dir.join("latch.db").display().to_string()
        ),
    )
    .expect("write config");
    config
}

/// Runs `latch --config CONFIG import FILE` without the caller's `LATCH_*` environment.
fn latch_import(config: &std::path::Path, file: &std::path::Path) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_latch"));
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("LATCH_") || k == "RUST_LOG") {
        cmd.env_remove(key);
    }
    cmd.arg("--config").arg(config).arg("import").arg(file).output().expect("run latch")
}

/// Runs the import, which must succeed, and parses its JSON report.
fn import_report(config: &std::path::Path, file: &std::path::Path) -> serde_json::Value {
    let out = latch_import(config, file);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str::<serde_json::Value>(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}): {stdout}"))
}

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples")).join(name)
}

/// Every kind the report counts.
const REPORT_KINDS: &[&str] = &[
    "resources",
    "scopes",
    "roles",
    "users",
    "organization_scopes",
    "organization_roles",
    "organizations",
    "applications",
];

/// The `latch import` command on the documented example: a JSON report with client ids, and a
/// second run that changes nothing.
#[test]
fn the_import_command_applies_the_example_file_and_prints_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = command_config(dir.path());
    let example = example("import.toml");
    let run = || import_report(&config, &example);
    let first = run();
    assert_eq!(first["applications"], serde_json::json!({"created": 3, "updated": 0, "unchanged": 0}));
    assert_eq!(first["users"], serde_json::json!({"created": 2, "updated": 0, "unchanged": 0}));
    assert_eq!(first["clients"][0]["client_id"], "photo-web");
    assert_eq!(first["clients"][2]["client_id"], "photo-thumbnailer");
    let second = run();
    for kind in REPORT_KINDS {
        assert_eq!(second[kind]["created"], 0, "{kind}: {second}");
        assert_eq!(second[kind]["updated"], 0, "{kind}: {second}");
    }
    assert_eq!(second["clients"], {
        let mut c = first["clients"].clone();
        for client in c.as_array_mut().expect("array") {
            client["outcome"] = serde_json::json!("unchanged");
        }
        c
    });

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "[[applications]]\nname = \"Bad\"\ntype = \"SPA\"\nredirect_uris = [\"http://x.example/cb\"]\n",
    )
    .expect("write");
    let out = latch_import(&config, &broken);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("applications[0] (Bad): redirect_uris[0]:"), "{stderr}");
}

/// The third-party demo: everything created on the first run, everything unchanged on the
/// second, and the permissions and branding stored.
#[test]
fn the_import_command_applies_the_demo_file_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = command_config(dir.path());
    let demo = example("demo.toml");
    let first = import_report(&config, &demo);
    let created = |n: u32| serde_json::json!({"created": n, "updated": 0, "unchanged": 0});
    let expected = [
        ("resources", 1),
        ("scopes", 2),
        ("roles", 1),
        ("users", 2),
        ("organization_scopes", 1),
        ("organization_roles", 1),
        ("organizations", 1),
        ("applications", 1),
    ];
    for (kind, n) in expected {
        assert_eq!(first[kind], created(n), "{kind}: {first}");
    }
    assert_eq!(first["clients"][0]["name"], "Partner Photos");
    assert_eq!(first["clients"][0]["outcome"], "created");

    let second = import_report(&config, &demo);
    for (kind, n) in expected {
        assert_eq!(second[kind], serde_json::json!({"created": 0, "updated": 0, "unchanged": n}), "{kind}: {second}");
    }
    assert_eq!(second["clients"][0]["client_id"], first["clients"][0]["client_id"]);
    assert_eq!(second["clients"][0]["outcome"], "unchanged");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let db = Db::open(&dir.path().join("latch.db").display().to_string(), 1).expect("open the demo database");
        let partner = app(&db, "Partner Photos").await;
        assert!(partner.is_third_party);
        assert_eq!(partner.redirect_uris, ["http://localhost:3000/callback"]);
        let perms = permissions(&db, &partner.id).await;
        assert!(perms.contains(&(ConsentScopeType::User, "email".to_owned(), true)), "{perms:?}");
        assert!(perms.contains(&(ConsentScopeType::User, "profile".to_owned(), false)), "{perms:?}");
        let mut kinds: Vec<(ConsentScopeType, bool)> = perms.iter().map(|(t, _, required)| (*t, *required)).collect();
        kinds.sort();
        let mut expected = vec![
            (ConsentScopeType::User, true),
            (ConsentScopeType::User, false),
            (ConsentScopeType::User, true),
            (ConsentScopeType::Resource, true),
            (ConsentScopeType::Resource, false),
            (ConsentScopeType::Organization, true),
        ];
        expected.sort();
        assert_eq!(kinds, expected);
        let branding = db.get_branding(&partner.id).await.expect("branding").expect("the demo brands its app");
        assert!(branding.display_name.is_some() && branding.logo_url.is_some() && branding.color.is_some());
        let orgs = db.list_organizations(EVERY).await.expect("organizations").0;
        assert_eq!(members(&db, &orgs[0].id).await.len(), 2);
    });
}

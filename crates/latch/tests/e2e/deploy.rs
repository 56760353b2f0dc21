//! The files under `deploy/` are checked by what runs here (no cluster, no container engine):
//! every YAML file parses; the Kubernetes objects agree with each other (probes on `/readyz`
//! and `/healthz`, ports, selectors, the autoscaler's and budget's targets, the secrets the
//! Deployment reads); and the Latch configuration each deployment carries passes
//! `latch config --check` with the environment it would run with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn documents(path: &Path) -> Vec<Yaml> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("deploy/").filter_map(Result::ok) {
        let p = entry.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn s<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str().unwrap_or_else(|| panic!("{what} is not a string: {y:?}"))
}

/// A valid stand-in for a placeholder a person fills in (`REPLACE-…`).
fn filled(value: &str) -> String {
    if value.starts_with("REPLACE-") {
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned()
    } else {
        value.replace("REPLACE-password", "pw")
    }
}

/// Runs `latch --config FILE config --check` with exactly `env`; `(success, output)`.
fn check(config: &str, env: &BTreeMap<String, String>) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("latch.toml");
    std::fs::write(&file, config).expect("write config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .arg("--config")
        .arg(&file)
        .args(["config", "--check"])
        .env_clear()
        .envs(env)
        .env("LATCH_DATA_DIR", dir.path())
        .output()
        .expect("run latch");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let mut files = Vec::new();
    yaml_files(&deploy(), &mut files);
    assert!(files.len() >= 7, "the deploy files were found: {files:?}");
    for f in &files {
        for doc in documents(f) {
            assert!(doc.as_hash().is_some(), "{}: each document is a mapping", f.display());
        }
    }
}

#[test]
fn kubernetes_objects_agree_and_carry_a_valid_configuration() {
    let dir = deploy().join("kubernetes");
    let kustomization = &documents(&dir.join("kustomization.yaml"))[0];
    let mut objects: BTreeMap<String, Yaml> = BTreeMap::new();
    for r in kustomization["resources"].as_vec().expect("resources") {
        for doc in documents(&dir.join(s(r, "resource"))) {
            for key in ["apiVersion", "kind"] {
                assert!(doc[key].as_str().is_some(), "{key} in {r:?}");
            }
            assert_eq!(s(&doc["metadata"]["name"], "name"), "latch");
            objects.insert(s(&doc["kind"], "kind").to_owned(), doc);
        }
    }
    let kinds: Vec<&str> = objects.keys().map(String::as_str).collect();
    assert_eq!(
        kinds,
        ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Service"]
    );
    let deployment = &objects["Deployment"];
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels, "the Deployment selects its pods");
    assert_eq!(&objects["Service"]["spec"]["selector"], labels, "the Service selects them");
    assert_eq!(&objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"], labels);
    let target = &objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"];
    assert_eq!((s(&target["kind"], "kind"), s(&target["name"], "name")), ("Deployment", "latch"));

    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(s(&container["readinessProbe"]["httpGet"]["path"], "readiness"), "/readyz");
    assert_eq!(s(&container["livenessProbe"]["httpGet"]["path"], "liveness"), "/healthz");
    let port = container["ports"][0]["containerPort"].as_i64().expect("containerPort");
    assert_eq!(
        s(&container["ports"][0]["name"], "port name"),
        s(&objects["Service"]["spec"]["ports"][0]["targetPort"], "targetPort")
    );
    let args: Vec<&str> = container["args"].as_vec().expect("args").iter().map(|a| s(a, "arg")).collect();
    assert_eq!(args, ["--config", "/etc/latch/latch.toml", "serve"]);
    assert_eq!(s(&container["envFrom"][0]["secretRef"]["name"], "secretRef"), "latch");
    let mount =
        container["volumeMounts"].as_vec().expect("mounts").iter().find(|m| m["name"].as_str() == Some("config"));
    assert_eq!(mount.map(|m| s(&m["mountPath"], "mountPath")), Some("/etc/latch"));

    let config = s(&objects["ConfigMap"]["data"]["latch.toml"], "latch.toml");
    assert!(config.contains(&format!("listen = \"0.0.0.0:{port}\"")), "the container port is the one Latch listens on");
    let secret = objects["Secret"]["stringData"].as_hash().expect("stringData");
    let env: BTreeMap<String, String> =
        secret.iter().map(|(k, v)| (s(k, "key").to_owned(), filled(s(v, "value")))).collect();
    assert!(env.contains_key("LATCH_SECRET_KEY") && env.contains_key("LATCH_DATABASE__URL"), "{env:?}");
    let (ok, out) = check(config, &env);
    assert!(ok && out.contains("Postgres database, Redis cache"), "{out}");
    // The check can fail: a Postgres deployment without the shared secret key is refused.
    let mut missing = env.clone();
    missing.remove("LATCH_SECRET_KEY");
    let (ok, out) = check(config, &missing);
    assert!(!ok && out.contains("secret_key"), "{out}");
}

#[test]
fn the_systemd_unit_runs_a_configuration_that_checks() {
    let dir = deploy().join("systemd");
    let unit = std::fs::read_to_string(dir.join("latch.service")).expect("latch.service");
    let value = |key: &str| {
        unit.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key}= in latch.service"))
    };
    assert_eq!(value("ExecStart"), "/usr/local/bin/latch --config /etc/latch/latch.toml serve");
    assert_eq!(value("ExecStartPre"), "/usr/local/bin/latch --config /etc/latch/latch.toml migrate");
    assert_eq!(value("EnvironmentFile"), "/etc/latch/latch.env");
    for section in ["[Unit]", "[Service]", "[Install]"] {
        assert!(unit.contains(section), "{section}");
    }
    let env: BTreeMap<String, String> = std::fs::read_to_string(dir.join("latch.env"))
        .expect("latch.env")
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), filled(v))))
        .collect();
    assert!(env.contains_key("LATCH_SECRET_KEY"), "{env:?}");
    let config = std::fs::read_to_string(dir.join("latch.toml")).expect("latch.toml");
    let (ok, out) = check(&config, &env);
    assert!(ok && out.contains("SQLite database, in-memory cache"), "{out}");
    // With the Postgres lines switched on it still checks.
    let mut pg = env.clone();
    pg.insert("LATCH_DATABASE__URL".into(), "postgres://latch:pw@127.0.0.1:5432/latch".into());
    pg.insert("LATCH_CACHE__URL".into(), "redis://127.0.0.1:6379".into());
    let (ok, out) = check(&config, &pg);
    assert!(ok && out.contains("Postgres database, Redis cache"), "{out}");
}

#[test]
fn the_compose_nodes_carry_a_configuration_that_checks() {
    let compose = &documents(&deploy().join("compose.yaml"))[0];
    let node = &compose["services"]["latch-1"]["environment"];
    let env: BTreeMap<String, String> = node
        .as_hash()
        .expect("environment")
        .iter()
        .map(|(k, v)| {
            let v = s(v, "value");
            // `${LATCH_SECRET_KEY:?…}` is compose's required-variable syntax.
            let v = if v.starts_with("${") { filled("REPLACE-") } else { v.to_owned() };
            (s(k, "key").to_owned(), v)
        })
        .collect();
    let (ok, out) = check("", &env);
    assert!(ok && out.contains("Postgres database, Redis cache"), "{out}");
    assert_eq!(&compose["services"]["latch-2"], &compose["services"]["latch-1"], "both nodes are the same");
}

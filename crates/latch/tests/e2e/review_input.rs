//! Security review, issue 9 items 8, 9 and 13: one set of field rules on every write path and
//! unambiguous sign-in identifiers (8), canonical redirect URIs only (9), and no secrets or
//! personal data in logs, printed configuration or world-readable files (13).

use crate::browser::{Browser, Step};
use crate::harness::TestServer;
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch::import::{self, ImportError};
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

on_both_backends!(
    import_refuses_a_username_that_looks_like_an_email,
    no_write_path_creates_a_username_that_looks_like_an_email,
    an_email_identifier_signs_in_the_email_owner_never_a_username,
    the_admin_api_refuses_non_canonical_redirect_uris,
    import_refuses_non_canonical_redirect_uris,
    a_stored_non_canonical_redirect_uri_is_never_redirected_to,
    the_redirect_goes_to_exactly_the_registered_string,
);

// ---------------------------------------------------------------- item 8

async fn import_file(server: &TestServer, text: &str) -> Result<import::ImportReport, ImportError> {
    let file = import::parse(text).expect("the file parses");
    import::apply(&server.core, &file).await
}

fn problems(result: Result<import::ImportReport, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("expected validation problems, got: {other}"),
        Ok(report) => panic!("expected the file to be refused, it was applied: {report:?}"),
    }
}

async fn import_refuses_a_username_that_looks_like_an_email(server: &TestServer) {
    let found = problems(
        import_file(
            server,
            r#"
            [[users]]
            username = "bob@example.com"
            email = "mallory@example.com"
            password = "correct horse battery staple"
            "#,
        )
        .await,
    );
    assert!(
        found.iter().any(|p| p.starts_with("users[0] (bob@example.com): username:") && p.contains('@')),
        "the problem names the entry and the field, and says why: {found:#?}"
    );
    assert_eq!(server.repos.find_user_by_username("bob@example.com").await.expect("find"), None, "nothing written");
}

async fn no_write_path_creates_a_username_that_looks_like_an_email(server: &TestServer) {
    let admin = server.admin().await;
    let created = admin.post("/users", json!({"username": "bob@example.com", "primaryEmail": "x@example.com"})).await;
    assert_eq!((created.status, created.body["field"].as_str()), (422, Some("username")), "{:?}", created.body);
    let carol = admin.post("/users", json!({"username": "carol"})).await;
    assert_eq!(carol.status, 201, "{:?}", carol.body);
    let id = carol.body["id"].as_str().expect("id");
    let patched = admin.patch(&format!("/users/{id}"), json!({"username": "bob@example.com"})).await;
    assert_eq!((patched.status, patched.body["field"].as_str()), (422, Some("username")), "{:?}", patched.body);
    // The import path: refused as well (see import_refuses_a_username_that_looks_like_an_email),
    // also when the entry updates a stored user.
    let found = problems(
        import_file(server, "[[users]]\nusername = \"carol\"\n\n[[users]]\nusername = \"dave+x@example.org\"\n").await,
    );
    assert!(found.iter().any(|p| p.contains("users[1] (dave+x@example.org): username:")), "{found:#?}");
    // The same rule everywhere: what the admin API refuses, the import refuses too.
    for bad in ["has space", "tab\tname", "+15551234567", ""] {
        let api = admin.post("/users", json!({"username": bad})).await;
        assert_eq!((api.status, api.body["field"].as_str()), (422, Some("username")), "{bad:?}: {:?}", api.body);
        let found = problems(import_file(server, &format!("[[users]]\nusername = {bad:?}\n")).await);
        assert!(found.iter().any(|p| p.contains(": username:")), "{bad:?}: {found:#?}");
    }
    for (field, wire, bad) in [("email", "primaryEmail", "not-an-email"), ("phone", "primaryPhone", "+12")] {
        let api = admin.post("/users", json!({"username": "erin", wire: bad})).await;
        assert_eq!((api.status, api.body["field"].as_str()), (422, Some(wire)), "{bad:?}: {:?}", api.body);
        let found =
            problems(import_file(server, &format!("[[users]]\nusername = \"erin\"\n{field} = {bad:?}\n")).await);
        assert!(found.iter().any(|p| p.contains(&format!(": {field}:"))), "{bad:?}: {found:#?}");
    }
}

const BOB_PASSWORD: &str = "bob's own long passphrase";
const MALLORY_PASSWORD: &str = "mallory's own long passphrase";

async fn insert_user(server: &TestServer, id: &str, username: &str, email: &str, password: &str) -> User {
    let user = User {
        id: UserId::from(id),
        username: Some(username.to_owned()),
        primary_email: Some(email.to_owned()),
        email_verified: true,
        password_hash: Some(server.hasher.hash(password, &[7; 16]).expect("hash")),
        custom_data: json!({}),
        created_at: Timestamp(1_700_000_000),
        updated_at: Timestamp(1_700_000_000),
        ..Default::default()
    };
    server.repos.insert_user(&user).await.expect("insert user");
    user
}

/// Signs in with `identifier` / `password`; the `sub` the app then sees, or `None` when the
/// sign-in was refused.
async fn signed_in_as(server: &TestServer, identifier: &str, password: &str) -> Option<String> {
    let client = crate::harness::TestClient {
        id: "web".to_owned(),
        secret: Some("secret-of-web-0123456789abcdefghijklmnopqrstuv".to_owned()),
        redirect_uri: "https://web.example.com/callback".to_owned(),
    };
    let browser = Browser::new(&server.base);
    let page = browser.open(&authorize_url(server, &client, "openid")).await.page();
    let Step::Client { params, .. } = browser.sign_in(&page, identifier, password).await else { return None };
    let code = params.get("code").expect("a code");
    let res = http()
        .post(format!("{}/token", server.issuer))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &client.redirect_uri)])
        .send()
        .await
        .expect("token");
    let body: Value = res.json().await.expect("json");
    let at = body["access_token"].as_str().expect("access token");
    let me: Value = http()
        .get(format!("{}/me", server.issuer))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    me["sub"].as_str().map(str::to_owned)
}

async fn an_email_identifier_signs_in_the_email_owner_never_a_username(server: &TestServer) {
    server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let bob = insert_user(server, "user-bob", "bob", "bob@example.com", BOB_PASSWORD).await;
    // A username that looks like Bob's email, as an import before the fix could store it.
    let mallory = insert_user(server, "user-mallory", "bob@example.com", "mallory@example.com", MALLORY_PASSWORD).await;
    assert_eq!(
        signed_in_as(server, "bob@example.com", BOB_PASSWORD).await.as_deref(),
        Some(bob.id.as_str()),
        "an identifier with `@` is an email: Bob signs in with his"
    );
    assert_eq!(
        signed_in_as(server, "bob@example.com", MALLORY_PASSWORD).await,
        None,
        "the username `bob@example.com` is never looked up"
    );
    assert_eq!(signed_in_as(server, "bob", BOB_PASSWORD).await.as_deref(), Some(bob.id.as_str()));
    assert_eq!(
        signed_in_as(server, "mallory@example.com", MALLORY_PASSWORD).await.as_deref(),
        Some(mallory.id.as_str())
    );
}

// ---------------------------------------------------------------- item 9

/// Redirect URIs refused for every app type that has redirect URIs.
const NON_CANONICAL: &[&str] = &[
    r"https://rp.example/x\..\cb",
    "https://rp.example/x/..%2fcb",
    "https://rp.example/x/..%2Fcb",
    "https://rp.example/x%5c..%5ccb",
    "https://rp.example/x/%2e%2e/cb",
    "https://rp.example/x/.%2e/cb",
    "https://rp.example/%2E/cb",
    "https://rp.example/a/./cb",
    "https://rp.example/a/../cb",
    "https://@rp.example/cb",
    "https://:@rp.example/cb",
    "https://user:pw@rp.example/cb",
    "https:rp.example/cb",
    "https:/rp.example/cb",
    "https://RP.example/cb",
    "https://rp.example:443/cb",
    "https://rp.example",
    "https://rp.example/cb#",
    "https://rp.example/cb#frag",
    "https://*.rp.example/cb",
    "https://rp.example/c b",
];

/// Refused for native apps: `localhost` is not a loopback IP literal (RFC 8252 §8.3).
const NATIVE_REFUSED: &[&str] = &["http://localhost/cb", "http://localhost:8080/cb", "com.example.app:/x/../cb"];

async fn the_admin_api_refuses_non_canonical_redirect_uris(server: &TestServer) {
    let admin = server.admin().await;
    let cases = NON_CANONICAL
        .iter()
        .flat_map(|u| [("Traditional", *u), ("SPA", *u), ("Native", *u)])
        .chain(NATIVE_REFUSED.iter().map(|u| ("Native", *u)));
    for (n, (app_type, uri)) in cases.enumerate() {
        for field in ["redirectUris", "postLogoutRedirectUris"] {
            let res = admin
                .post(
                    "/applications",
                    json!({"name": format!("bad-{n}-{field}"), "type": app_type,
                           "oidcClientMetadata": {field: ["https://rp.example/ok", uri]}}),
                )
                .await;
            assert_eq!(res.status, 422, "{app_type} {field} {uri}: {:?}", res.body);
            assert_eq!(res.body["field"], format!("oidcClientMetadata.{field}[1]"), "{app_type} {uri}");
        }
    }
    // Changing an application follows the same rule.
    let ok = admin
        .post(
            "/applications",
            json!({"name": "Native ok", "type": "Native",
                   "oidcClientMetadata": {"redirectUris": ["http://127.0.0.1/cb", "http://[::1]:8080/cb", "com.example.app:/cb"]}}),
        )
        .await;
    assert_eq!(ok.status, 201, "loopback IP literals and private-use schemes: {:?}", ok.body);
    let id = ok.body["id"].as_str().expect("id");
    let res = admin
        .patch(
            &format!("/applications/{id}"),
            json!({"oidcClientMetadata": {"redirectUris": ["http://localhost:9000/cb"]}}),
        )
        .await;
    assert_eq!((res.status, res.body["field"].as_str()), (422, Some("oidcClientMetadata.redirectUris[0]")));
}

async fn import_refuses_non_canonical_redirect_uris(server: &TestServer) {
    for (app_type, uri) in
        NON_CANONICAL.iter().map(|u| ("SPA", *u)).chain(NATIVE_REFUSED.iter().map(|u| ("Native", *u)))
    {
        for field in ["redirect_uris", "post_logout_redirect_uris"] {
            // TOML literal strings keep backslashes as they are.
            let text = format!(
                "[[applications]]\nname = \"Bad\"\ntype = \"{app_type}\"\n{field} = ['https://rp.example/ok', '{uri}']\n"
            );
            let found = problems(import_file(server, &text).await);
            assert!(
                found.iter().any(|p| p.starts_with(&format!("applications[0] (Bad): {field}[1]:"))),
                "{app_type} {field} {uri}: {found:#?}"
            );
        }
    }
}

/// The authorization request URL with `redirect_uri` exactly as given.
fn auth_url(server: &TestServer, client_id: &str, redirect_uri: &str, response_type: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", response_type)
        .append_pair("scope", "openid")
        .append_pair("state", "s")
        .finish();
    format!("{}/auth?{query}", server.issuer)
}

async fn a_stored_non_canonical_redirect_uri_is_never_redirected_to(server: &TestServer) {
    // Stored before the registration rule, or written around it.
    let legacy = [r"https://rp.example/x\..\cb", "https://@rp.example/cb", "https:rp.example/cb"];
    server.app("legacy", AppType::Traditional, false, &legacy).await;
    for uri in legacy {
        // An error the client would hear about if its redirect URI were trusted.
        let res = http().get(auth_url(server, "legacy", uri, "token")).send().await.expect("auth");
        let location = res.headers().get("location").map(|v| v.to_str().unwrap_or("").to_owned());
        assert_eq!(res.status(), 400, "{uri}: sent to {location:?}");
        assert_eq!(location, None, "{uri}");
    }
}

async fn the_redirect_goes_to_exactly_the_registered_string(server: &TestServer) {
    let registered = "https://rp.example/cb?tenant=a%20b&x=~y";
    server.app("exact", AppType::Traditional, false, &[registered]).await;
    let res = http().get(auth_url(server, "exact", registered, "token")).send().await.expect("auth");
    let location = res.headers().get("location").expect("an error redirect").to_str().expect("ascii").to_owned();
    assert!(location.starts_with(&format!("{registered}&error=unsupported_response_type")), "{location}");
    // A native app's loopback redirect keeps the port the app asked for (RFC 8252 §7.3).
    server.app("native", AppType::Native, false, &["http://127.0.0.1/callback"]).await;
    let res =
        http().get(auth_url(server, "native", "http://127.0.0.1:51004/callback", "token")).send().await.expect("auth");
    let location = res.headers().get("location").expect("an error redirect").to_str().expect("ascii").to_owned();
    assert!(location.starts_with("http://127.0.0.1:51004/callback?error="), "{location}");
}

// ---------------------------------------------------------------- item 13

const SECRET_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// `latch` (the real binary) with `args`, in `dir`, with only the `LATCH_*` variables given.
pub(crate) fn latch_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latch"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("LATCH_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1").envs(env.iter().copied());
    cmd
}

/// A `latch serve` child process on a free port, logging to `dir/latch.log`, with a umask that
/// would leave new files readable by everyone unless Latch says otherwise.
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) base: String,
    log: std::path::PathBuf,
}

impl Served {
    async fn start(dir: &Path, data_dir: &Path) -> Served {
        Served::start_with(dir, data_dir, &[]).await
    }

    /// [`Served::start`] with more `LATCH_*` variables (e.g. a Postgres `LATCH_DATABASE__URL`).
    pub(crate) async fn start_with(dir: &Path, data_dir: &Path, more: &[(&str, &str)]) -> Served {
        Served::launch(dir, data_dir, more, None).await
    }

    /// [`Served::start_with`] on https: `more` names the certificate (`LATCH_TLS__*`) and
    /// `client` trusts it.
    pub(crate) async fn start_tls(
        dir: &Path,
        data_dir: &Path,
        more: &[(&str, &str)],
        client: &reqwest::Client,
    ) -> Served {
        Served::launch(dir, data_dir, more, Some(client)).await
    }

    async fn launch(dir: &Path, data_dir: &Path, more: &[(&str, &str)], tls: Option<&reqwest::Client>) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let log = dir.join("latch.log");
        let listen = format!("127.0.0.1:{port}");
        let base = format!("{}://{listen}", if tls.is_some() { "https" } else { "http" });
        let client = tls.cloned().unwrap_or_else(http);
        let data = data_dir.to_str().expect("utf-8 path");
        let cmd = latch_command(
            dir,
            &[],
            &[
                ("LATCH_LISTEN", listen.as_str()),
                ("LATCH_PUBLIC_URL", base.as_str()),
                ("LATCH_DATA_DIR", data),
                ("LATCH_ADMIN_PASSWORD", "correct horse battery staple"),
                ("LATCH_PASSWORD_HASH__MEMORY_KIB", "64"),
                ("LATCH_PASSWORD_HASH__ITERATIONS", "1"),
                ("LATCH_WORKERS", "1"),
                ("RUST_LOG", "info"),
            ]
            .into_iter()
            .chain(more.iter().copied())
            .collect::<Vec<_>>(),
        );
        // `sh -c 'umask 022; exec latch serve'`: the usual umask, whatever the test runner's.
        let program = cmd.get_program().to_owned();
        let mut sh = Command::new("sh");
        sh.arg("-c").arg("umask 022; exec \"$0\" serve").arg(program).current_dir(dir);
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        let file = std::fs::File::create(&log).expect("log file");
        let child = sh.stdout(Stdio::null()).stderr(Stdio::from(file)).spawn().expect("spawn latch serve");
        let served = Served { child, base, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = client.get(format!("{}/healthz", served.base)).send().await
                && res.status() == 200
            {
                return served;
            }
            assert!(Instant::now() < deadline, "latch serve did not start:\n{}", served.logs());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An admin API robot made with `latch admin create-m2m` against this server's data
    /// directory, and a token for it from `/oidc/token` over `client`.
    pub(crate) async fn admin_robot(&self, dir: &Path, data_dir: &Path, client: &reqwest::Client) -> Robot {
        let env = [
            ("LATCH_DATA_DIR", data_dir.to_str().expect("utf-8 path")),
            ("LATCH_ADMIN_PASSWORD", "correct horse battery staple"),
        ];
        let out = latch_command(dir, &["admin", "create-m2m", "--name", "test-robot"], &env).output().expect("run");
        let robot: serde_json::Value = serde_json::from_slice(&out.stdout).expect("create-m2m prints JSON");
        let (id, secret) =
            (robot["clientId"].as_str().expect("id").to_owned(), robot["clientSecret"].as_str().expect("secret"));
        let token: serde_json::Value = client
            .post(format!("{}/oidc/token", self.base))
            .basic_auth(&id, Some(secret))
            .form(&[("grant_type", "client_credentials"), ("resource", "urn:latch:api:admin")])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        let token = token["access_token"].as_str().expect("an admin token").to_owned();
        Robot { secret: secret.to_owned(), token, base: self.base.clone(), client: client.clone() }
    }

    pub(crate) fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log mentions `needle` (request spans are logged when they close).
    pub(crate) async fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if logs.contains(needle) || Instant::now() > deadline {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// An admin API client of a [`Served`] server.
pub(crate) struct Robot {
    pub(crate) secret: String,
    pub(crate) token: String,
    base: String,
    client: reqwest::Client,
}

impl Robot {
    pub(crate) fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}/api{path}", self.base)).bearer_auth(&self.token)
    }

    /// `POST /api{path}` with `body`; the created object.
    pub(crate) async fn create(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let res = self.api(reqwest::Method::POST, path).json(&body).send().await.expect("admin API");
        assert_eq!(res.status(), 201, "POST {path}");
        res.json().await.expect("JSON")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_logs_carry_paths_but_never_query_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(dir.path(), &dir.path().join("data")).await;
    for path in [
        "/oidc/session/end?id_token_hint=SECRETVALUE&code=SECRETCODE",
        "/oidc/auth?client_id=nobody&code=SECRETCODE&id_token_hint=SECRETVALUE",
        "/healthz?code=SECRETCODE&state=SECRETSTATE",
    ] {
        let res = http().get(format!("{}{path}", served.base)).send().await.expect("request");
        assert!(res.status().as_u16() < 500, "{path}");
    }
    let logs = served.wait_for_log("/oidc/session/end").await;
    assert!(logs.contains("/oidc/session/end") && logs.contains("/healthz"), "requests are logged:\n{logs}");
    for secret in ["SECRETVALUE", "SECRETCODE", "SECRETSTATE"] {
        assert!(!logs.contains(secret), "`{secret}` is in the log:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_dir_the_database_and_the_secret_key_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let served = Served::start(dir.path(), &data).await;
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data_dir: {}", served.logs());
    for name in ["latch.db", "secret.key", "latch.db-wal", "latch.db-shm"] {
        let path = data.join(name);
        if name.starts_with("latch.db-") && !path.exists() {
            continue;
        }
        assert_eq!(mode(&path), 0o600, "{name}");
    }
}

#[test]
fn latch_config_masks_every_credential() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = latch_command(
        dir.path(),
        &["config"],
        &[
            ("LATCH_DATABASE__URL", "postgres://u:hunter2@h/db"),
            ("LATCH_CACHE__URL", "redis://:hunter3@cache:6379/0"),
            ("LATCH_SECRET_KEY", SECRET_KEY),
            ("LATCH_ADMIN_PASSWORD", "hunter4-admin-password"),
        ],
    )
    .output()
    .expect("latch config");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("postgres://u:") && text.contains("@h/db"), "the URL is shown, masked:\n{text}");
    for secret in ["hunter2", "hunter3", SECRET_KEY, "hunter4"] {
        assert!(!text.contains(secret), "`{secret}` is printed:\n{text}");
    }
}

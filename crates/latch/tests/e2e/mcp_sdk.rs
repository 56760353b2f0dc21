//! Issue 14, a real MCP client: the official MCP Python SDK (`mcp` 2.3, its
//! `OAuthClientProvider`) against a running Latch with open registration. The script
//! (`python/mcp_oauth.py`) runs a small MCP server whose RFC 9728 metadata names Latch and whose
//! token verifier checks Latch's JWTs (signature by the JWKS, `iss`, `aud` = the MCP URL, the
//! tool scope), and the SDK client, which finds Latch from that metadata, registers with RFC 7591,
//! runs the authorization code flow with PKCE and `resource`, and calls a tool. The user's part
//! is played by the script over HTTP (sign-in form, consent form). On both backend pairs.
//!
//! `cargo xtask test` installs the SDK in `target/tools/test-venv` and names its Python in
//! `LATCH_TEST_PYTHON` ([`crate::harness::test_python`]); without it the test says it was skipped.

use crate::harness::{Backends, PASSWORD, TestServer};
use latch_domain::entities::RoleType;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;

async fn the_mcp_python_sdk_registers_signs_in_and_calls_a_tool(backends: Backends) {
    let Some(python) = crate::harness::test_python() else { return };
    let Some(server) = TestServer::start_with(backends, |_| {}).await else { return };
    // The MCP server's port, chosen now so its URL can be the API resource's indicator.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mcp = format!("http://127.0.0.1:{port}/mcp");
    server.resource(&mcp, &["tools:call"], "mcp", RoleType::User).await;
    let ada = server.user("ada").await;
    server.repos.add_user_roles(&ada.id, &[latch_domain::ids::RoleId::from("mcp")]).await.unwrap();
    let admin = server.admin().await;
    let policy = admin
        .put(
            "/registration-policy",
            json!({"enabled": true, "appTypes": ["Native"], "registrationsPerHour": 10,
                "permissions": {"resourceScopes": ["scope-mcp-tools:call"]}}),
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.body);

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/python/mcp_oauth.py");
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(&script)
        .env("LATCH_ISSUER", &server.issuer)
        .env("MCP_PORT", port.to_string())
        .env("LATCH_USERNAME", "ada")
        .env("LATCH_PASSWORD", PASSWORD)
        .env("LATCH_SCOPE", "tools:call")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The script bounds itself (60 s, a watchdog at 75 s); this bounds the wait for it.
    let run = tokio::task::spawn_blocking(move || cmd.output());
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the MCP client finishes within two minutes")
        .unwrap()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the MCP SDK flow failed:\n{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("MCP_OK "), "{stdout}\n{stderr}");
    let field = |k: &str| {
        last.split(' ').find_map(|w| w.strip_prefix(&format!("{k}="))).unwrap_or_else(|| panic!("{k} in {last}"))
    };
    assert_eq!(field("sub"), "user-ada");
    assert_eq!(field("aud"), mcp);
    // The client Latch registered is a self-registered, third-party native app.
    let client_id = field("client_id");
    let app = server.repos.get_application(&client_id.into()).await.unwrap().expect("registered");
    assert!(app.is_third_party);
    assert_eq!(app.app_type, latch_domain::entities::AppType::Native);
    let registration = server.repos.get_client_registration(&app.id).await.unwrap().expect("self-registered");
    assert_eq!(registration.kind, latch_domain::entities::RegistrationKind::Registration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_the_mcp_python_sdk_registers_signs_in_and_calls_a_tool() {
    the_mcp_python_sdk_registers_signs_in_and_calls_a_tool(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn production_the_mcp_python_sdk_registers_signs_in_and_calls_a_tool() {
    the_mcp_python_sdk_registers_signs_in_and_calls_a_tool(Backends::Production).await;
}

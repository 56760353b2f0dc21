//! Issue 14, self-service registration (RFC 7591): off by default; when an operator turns it
//! on, a client registers as an MCP client does (public, loopback redirect, every scope it
//! saw) and gets at most the ceiling, then completes the authorization code flow with PKCE and
//! a resource indicator, seeing the consent screen; every refusal has its RFC error code.

use crate::browser::{Browser, Step};
use crate::harness::{PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::entities::RoleType;
use serde_json::{Value, json};

on_both_backends!(
    a_client_registers_itself_within_the_ceiling_and_signs_a_user_in,
    initial_access_tokens_gate_registration_when_the_policy_requires_one,
    a_read_reports_the_auth_method_the_client_registered_with,
);

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const MCP: &str = "https://mcp.example.com/mcp";

async fn register(server: &TestServer, body: Value) -> (u16, Value) {
    let res = http().post(format!("{}/reg", server.issuer)).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{status}");
    (status, res.json().await.unwrap())
}

async fn discovery(server: &TestServer) -> Value {
    http()
        .get(format!("{}/.well-known/openid-configuration", server.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn a_client_registers_itself_within_the_ceiling_and_signs_a_user_in(server: &TestServer) {
    let admin = server.admin().await;
    server.resource(MCP, &["tools:call", "tools:admin"], "mcp", RoleType::User).await;
    // A user gets an API scope only when a role of theirs holds it.
    let ada = server.user("ada").await;
    server.repos.add_user_roles(&ada.id, &[latch_domain::ids::RoleId::from("mcp")]).await.unwrap();
    let mcp_client = json!({
        "client_name": "Example MCP client",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile email phone offline_access tools:call tools:admin all",
        "software_id": "example-mcp", "jwks": {"keys": []},
    });

    // Off by default: not advertised, and refused with a reason.
    assert!(discovery(server).await.get("registration_endpoint").is_none());
    let (status, body) = register(server, mcp_client.clone()).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("access_denied")), "{body}");

    // The operator opens it: public clients, email and one scope of the MCP server. The admin
    // API's scopes can never be part of the ceiling.
    let admin_api = server.repos.get_resource_by_indicator("urn:latch:api:admin").await.unwrap().expect("admin API");
    let all = server.repos.list_scopes(&admin_api.id).await.unwrap()[0].id.to_string();
    let refused = admin
        .put(
            "/registration-policy",
            json!({"enabled": true, "appTypes": ["SPA", "Native"], "registrationsPerHour": 6,
            "permissions": {"resourceScopes": [all]}}),
        )
        .await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (422, Some("consent.admin_scope")), "{}", refused.body);
    assert_eq!(refused.body["field"], "permissions.resourceScopes[0]");
    let policy = admin
        .put(
            "/registration-policy",
            json!({"enabled": true, "appTypes": ["SPA", "Native"], "registrationsPerHour": 6,
            "permissions": {"userScopes": ["email"], "resourceScopes": ["scope-mcp-tools:call"]}}),
        )
        .await;
    assert_eq!(policy.status, 200, "{}", policy.body);
    assert_eq!(policy.body["permissions"]["resourceScopes"][0]["name"], "tools:call");
    assert_eq!(admin.get("/registration-policy").await.body, policy.body, "stored as answered");
    let meta = discovery(server).await;
    assert_eq!(meta["registration_endpoint"], format!("{}/reg", server.issuer));
    // A browser app registering itself has no origin Latch knows yet: any origin may call it.
    let preflight = http()
        .request(reqwest::Method::OPTIONS, format!("{}/reg", server.issuer))
        .header("origin", "https://new-tool.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://new-tool.example");
    assert!(preflight.headers().get("access-control-allow-credentials").is_none());

    // The MCP client registers: what it asked beyond the ceiling is dropped, not refused.
    let (status, reg) = register(server, mcp_client.clone()).await;
    assert_eq!(status, 201, "{reg}");
    let client_id = reg["client_id"].as_str().unwrap().to_owned();
    assert_eq!(reg["scope"], "openid offline_access email tools:call");
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(reg["application_type"], "native");
    assert_eq!(reg["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert!(reg.get("client_secret").is_none(), "a public client has no secret");
    assert!(reg["registration_access_token"].as_str().is_some_and(|t| t.len() >= 40));
    assert_eq!(reg["registration_client_uri"], format!("{}/reg/{client_id}", server.issuer));
    let app = admin.get(&format!("/applications/{client_id}")).await;
    assert_eq!((app.body["isThirdParty"].as_bool(), app.body["type"].as_str()), (Some(true), Some("Native")));
    // Many clients share a name: the operator's name carries the start of the client id, and
    // users see the client's own (the consent screen's display name).
    assert_eq!(app.body["name"], format!("Example MCP client ({})", &client_id[..8]));
    let branding = admin.get(&format!("/applications/{client_id}/sign-in-experience")).await;
    assert_eq!(branding.body["displayName"], "Example MCP client");
    let registration = &app.body["registration"];
    assert_eq!(
        (registration["ip"].as_str(), registration["softwareId"].as_str()),
        (Some("127.0.0.1"), Some("example-mcp"))
    );
    assert!(registration["registeredAt"].as_i64().is_some_and(|t| t > 1_700_000_000), "{registration}");
    let listed = admin.get("/applications?isThirdParty=true").await;
    let mine = listed.body.as_array().unwrap().iter().find(|a| a["id"] == client_id.as_str()).expect("listed");
    assert_eq!(mine["registration"]["ip"], "127.0.0.1", "the list marks it");
    let audit = admin.get("/audit-logs?action=application.register").await;
    assert_eq!(audit.total, Some(1), "{}", audit.body);
    assert_eq!(audit.body[0]["actor"], format!("application:{client_id}"));
    assert_eq!(audit.body[0]["details"]["ip"], "127.0.0.1");
    assert!(!audit.body.to_string().contains(reg["registration_access_token"].as_str().unwrap()));

    // The client signs ada in: consent first (always, for a self-registered app), then a code
    // exchanged with PKCE for a JWT whose audience is the MCP server.
    let client =
        TestClient { id: client_id.clone(), secret: None, redirect_uri: "http://127.0.0.1:40111/callback".into() };
    let url = format!(
        "{}&code_challenge={CHALLENGE}&code_challenge_method=S256&resource={}",
        authorize_url(server, &client, "openid email tools:call"),
        urlencode(MCP)
    );
    let browser = Browser::new(&server.base);
    let page = browser.open(&url).await.page();
    let consent = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert!(consent.html.contains("Example MCP client"), "the consent screen names the app:\n{}", consent.html);
    assert!(consent.html.contains("registered itself and nobody has reviewed it"), "the unverified-app notice");
    let (_, params) = match browser.consent(&consent, true).await {
        Step::Client { url, params } => (url, params),
        Step::Page(p) => panic!("expected the client, got {}:\n{}", p.url, p.html),
    };
    let tokens: Value = http()
        .post(format!("{}/token", server.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", &client.redirect_uri),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
            ("resource", MCP),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("{tokens}"));
    let claims = jwt_claims(access);
    assert_eq!(claims["aud"], MCP, "{claims}");
    assert_eq!(claims["scope"], "tools:call", "{claims}");

    // RFC 7592: the registration access token reads, updates and deletes the registration;
    // nothing else does, and a missing client looks the same as a wrong token.
    let rat = reg["registration_access_token"].as_str().unwrap().to_owned();
    let managed = |method: reqwest::Method, token: &str| {
        http().request(method, format!("{}/reg/{client_id}", server.issuer)).bearer_auth(token.to_owned())
    };
    let read = managed(reqwest::Method::GET, &rat).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(
        (read["client_name"].as_str(), read["scope"].as_str()),
        (Some("Example MCP client"), Some("openid offline_access email tools:call"))
    );
    assert!(read.get("registration_access_token").is_none() && read.get("client_secret").is_none(), "{read}");
    let wrong = managed(reqwest::Method::GET, "not-the-token").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let update = json!({"client_id": client_id, "client_name": "Renamed MCP client",
        "redirect_uris": ["http://127.0.0.1:33418/callback"], "token_endpoint_auth_method": "none", "scope": "openid"});
    let stranger = json!({"client_id": "someone-else", "redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"});
    let refused = managed(reqwest::Method::PUT, &rat).json(&stranger).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let updated = managed(reqwest::Method::PUT, &rat).json(&update).send().await.unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(
        (updated["client_name"].as_str(), updated["scope"].as_str()),
        (Some("Renamed MCP client"), Some("openid"))
    );
    assert_eq!(
        admin.get(&format!("/applications/{client_id}")).await.body["name"],
        format!("Renamed MCP client ({})", &client_id[..8])
    );
    let perms = admin.get(&format!("/applications/{client_id}/user-consent-scopes")).await;
    assert_eq!(perms.body["userScopes"], json!([]), "the permissions follow the new scope: {}", perms.body);
    assert_eq!(managed(reqwest::Method::DELETE, &rat).send().await.unwrap().status(), 204);
    assert_eq!(admin.get(&format!("/applications/{client_id}")).await.status, 404, "deleted with its registration");
    assert_eq!(managed(reqwest::Method::GET, &rat).send().await.unwrap().status(), 401);
    let trail = admin.get("/audit-logs?action=application.registration.").await;
    let actions: Vec<&str> = trail.body.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["application.registration.delete", "application.registration.update"], "{}", trail.body);

    // An operator takes a second one over: it stays, no longer self-registered, and its
    // registration access token stops working.
    let (status, second) = register(
        server,
        json!({"client_name": "Second", "redirect_uris": ["http://127.0.0.1/cb"],
        "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["client_id"].as_str().unwrap();
    assert_eq!(admin.delete(&format!("/applications/{second_id}/registration")).await.status, 204);
    assert_eq!(admin.delete(&format!("/applications/{second_id}/registration")).await.status, 404);
    let taken = admin.get(&format!("/applications/{second_id}")).await;
    assert_eq!((taken.status, taken.body.get("registration")), (200, None), "{}", taken.body);
    let second_rat = second["registration_access_token"].as_str().unwrap();
    let gone = http().get(format!("{}/reg/{second_id}", server.issuer)).bearer_auth(second_rat).send().await.unwrap();
    assert_eq!(gone.status(), 401);

    // Refusals, each with its RFC 7591 §3.2.2 code.
    for (body, code) in [
        (json!({"redirect_uris": ["https://app.example.com/cb"]}), "invalid_client_metadata"),
        (json!({"token_endpoint_auth_method": "none"}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["http://app.example.com/cb"], "token_endpoint_auth_method": "none"}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": "https://app.example.com/cb"}), "invalid_client_metadata"),
    ] {
        let (status, answer) = register(server, body.clone()).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some(code)), "{body}: {answer}");
    }
    // Six registrations per address per hour (the ones refused above counted too).
    let (status, answer) = register(server, mcp_client).await;
    assert_eq!(status, 429, "{answer}");
}

/// RFC 7591 §3: with `requireInitialAccessToken`, only a token an operator issued, not expired
/// and not revoked, registers a client; the audit entry names the token, never its value.
async fn initial_access_tokens_gate_registration_when_the_policy_requires_one(server: &TestServer) {
    let admin = server.admin().await;
    let policy = json!({"enabled": true, "appTypes": ["Native"], "registrationsPerHour": 20,
        "requireInitialAccessToken": true, "permissions": {"userScopes": ["email"]}});
    assert_eq!(admin.put("/registration-policy", policy).await.status, 200);
    let client =
        json!({"client_name": "Gated", "redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"});
    let with = |token: Option<&str>| {
        let req = http().post(format!("{}/reg", server.issuer)).json(&client);
        match token {
            Some(t) => req.bearer_auth(t.to_owned()),
            None => req,
        }
    };
    let refused = with(None).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    assert_eq!(with(Some("made-up")).send().await.unwrap().status(), 401);

    let now = latch_domain::Clock::now(server.clock.as_ref()).0;
    let past =
        admin.post("/registration-policy/initial-access-tokens", json!({"name": "Old", "expiresAt": now - 1})).await;
    assert_eq!((past.status, past.body["field"].as_str()), (422, Some("expiresAt")));
    let issued = admin
        .post("/registration-policy/initial-access-tokens", json!({"name": "Acme's MCP client", "expiresAt": now + 60}))
        .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let (token_id, token) =
        (issued.body["id"].as_str().unwrap().to_owned(), issued.body["token"].as_str().unwrap().to_owned());
    let listed = admin.get("/registration-policy/initial-access-tokens").await;
    assert_eq!(listed.body[0]["name"], "Acme's MCP client");
    assert!(listed.body[0].get("token").is_none(), "the value is shown once: {}", listed.body);

    let ok = with(Some(&token)).send().await.unwrap();
    assert_eq!(ok.status(), 201);
    let audit = admin.get("/audit-logs?action=application.register").await;
    assert_eq!(audit.body[0]["details"]["initialAccessToken"], token_id.as_str());
    let trail = admin.get("/audit-logs?pageSize=100").await.body.to_string();
    assert!(!trail.contains(&token), "the token's value is never in the audit log");

    // Expired (on the server's clock), then revoked.
    server.clock.advance(61);
    assert_eq!(with(Some(&token)).send().await.unwrap().status(), 401);
    server.clock.advance(-61);
    assert_eq!(with(Some(&token)).send().await.unwrap().status(), 201);
    assert_eq!(admin.delete(&format!("/registration-policy/initial-access-tokens/{token_id}")).await.status, 204);
    assert_eq!(admin.delete(&format!("/registration-policy/initial-access-tokens/{token_id}")).await.status, 404);
    assert_eq!(with(Some(&token)).send().await.unwrap().status(), 401);
}

pub(crate) fn urlencode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

pub(crate) fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// RFC 7592 §2.1: a read answers the metadata as registered, `token_endpoint_auth_method`
/// included (a web server that chose `client_secret_post` reads that back, and an update keeps
/// what it sends).
async fn a_read_reports_the_auth_method_the_client_registered_with(server: &TestServer) {
    let admin = server.admin().await;
    let policy = json!({"enabled": true, "appTypes": ["Traditional"], "registrationsPerHour": 20,
        "permissions": {"userScopes": ["email"]}});
    assert_eq!(admin.put("/registration-policy", policy).await.status, 200);
    let body = json!({"client_name": "Poster", "redirect_uris": ["https://poster.example.com/cb"],
        "token_endpoint_auth_method": "client_secret_post"});
    let (status, reg) = register(server, body.clone()).await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(reg["token_endpoint_auth_method"], "client_secret_post");
    let (id, rat) = (reg["client_id"].as_str().unwrap(), reg["registration_access_token"].as_str().unwrap());
    let read: Value =
        http().get(format!("{}/reg/{id}", server.issuer)).bearer_auth(rat).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["token_endpoint_auth_method"], "client_secret_post", "{read}");
    let mut update = body;
    update["client_id"] = json!(id);
    update["token_endpoint_auth_method"] = json!("client_secret_basic");
    let updated: Value = http()
        .put(format!("{}/reg/{id}", server.issuer))
        .bearer_auth(rat)
        .json(&update)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["token_endpoint_auth_method"], "client_secret_basic", "{updated}");
    let read: Value =
        http().get(format!("{}/reg/{id}", server.issuer)).bearer_auth(rat).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["token_endpoint_auth_method"], "client_secret_basic", "{read}");
}

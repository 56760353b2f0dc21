//! Issue 13, the malformed-input sweep: every route — each `/oidc/*` endpoint, each end-user
//! page, each `/api/*` operation of the OpenAPI document — gets oversized bodies, truncated
//! JSON and JWTs, invalid UTF-8 and percent-encoding, duplicated parameters, wrong methods and
//! content types, and no or broken credentials. No answer is a 5xx; every error is in the
//! form its surface promises (an OAuth JSON error, a bearer challenge, `problem+json`, or a
//! readable HTML page); the server stays healthy; and nothing stored changes (every write is
//! audited, so the audit log and the object counts stay as they were).

use crate::harness::TestServer;
use crate::oidc_flows::http;
use crate::on_both_backends;
use latch_domain::entities::AppType;
use reqwest::Method;
use serde_json::json;

on_both_backends!(every_route_answers_malformed_input_in_its_own_form_and_changes_nothing);

/// What a route's errors look like.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Surface {
    /// RFC 6749 §5.2: `application/json` with an `error` code.
    OAuth,
    /// RFC 6750 §3: a `WWW-Authenticate: Bearer` challenge (the body may be empty).
    Bearer,
    /// RFC 9457: `application/problem+json` with a stable `code`.
    Problem,
    /// A page for a person: HTML with a heading and no framework message.
    Page,
}

/// One request and what its answer must be.
struct Probe {
    what: String,
    req: reqwest::RequestBuilder,
    surface: Surface,
    /// The request cannot succeed: its answer must be a 4xx.
    must_fail: bool,
}

async fn judge(p: Probe, failures: &mut Vec<String>) {
    let Probe { what, req, surface, must_fail } = p;
    let res = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            failures.push(format!("{what}: no answer ({e})"));
            return;
        }
    };
    let status = res.status().as_u16();
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (content_type, challenge) = (header("content-type"), header("www-authenticate"));
    let body = res.text().await.unwrap_or_default();
    let short: String = body.chars().take(300).collect();
    if status >= 500 {
        failures.push(format!("{what}: {status} {short}"));
        return;
    }
    if must_fail && status < 400 {
        failures.push(format!("{what}: expected a 4xx, got {status} {short}"));
        return;
    }
    if status < 400 {
        return;
    }
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    let ok = match surface {
        Surface::OAuth => content_type.starts_with("application/json") && json["error"].is_string(),
        Surface::Bearer => {
            challenge.starts_with("Bearer")
                && (body.is_empty() || (content_type.starts_with("application/json") && json["error"].is_string()))
        }
        Surface::Problem => {
            content_type == "application/problem+json"
                && json["status"] == status
                && json["code"].as_str().is_some_and(|c| !c.is_empty())
        }
        Surface::Page => {
            content_type.starts_with("text/html")
                && body.contains("<h1>")
                && ["deserialize", "missing field", "Content type error", "Payload", "Json"]
                    .iter()
                    .all(|raw| !body.contains(raw))
        }
    };
    if !ok {
        failures
            .push(format!("{what}: {status} is not a {surface:?} error ({content_type:?}, {challenge:?}): {short}"));
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
/// Larger than any body limit (64 KiB for the IdP, 1 MiB for the admin API).
const HUGE: usize = 2 * 1024 * 1024;
const TRUNCATED_JWT: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6Im";

/// The probes of one body-taking IdP route.
fn oidc_body_probes(url: &str, surface: Surface, auth: Option<(&str, &str)>) -> Vec<Probe> {
    let with = |req: reqwest::RequestBuilder| match auth {
        Some((id, secret)) => req.basic_auth(id, Some(secret)),
        None => req,
    };
    let bodies: Vec<(&str, &str, Vec<u8>)> = vec![
        ("an empty form", FORM, Vec::new()),
        ("invalid UTF-8", FORM, vec![b'g', b'=', 0xff, 0xfe, 0xfd]),
        ("invalid percent-encoding", FORM, b"grant_type=%ZZ&token=%E0%A4%A".to_vec()),
        (
            "duplicated parameters",
            FORM,
            b"grant_type=client_credentials&grant_type=refresh_token&token=a&token=b".to_vec(),
        ),
        ("a truncated JWT", FORM, format!("token={TRUNCATED_JWT}&id_token_hint={TRUNCATED_JWT}").into_bytes()),
        ("JSON", "application/json", br#"{"grant_type": "client_credentials"#.to_vec()),
        ("text", "text/plain", b"hello".to_vec()),
        ("an oversized body", FORM, format!("token={}", "a".repeat(HUGE)).into_bytes()),
    ];
    bodies
        .into_iter()
        .map(|(what, ct, body)| Probe {
            what: format!("POST {url} with {what}"),
            req: with(http().post(url).header("content-type", ct).body(body)),
            surface,
            must_fail: true,
        })
        .collect()
}

async fn every_route_answers_malformed_input_in_its_own_form_and_changes_nothing(server: &TestServer) {
    let admin = server.admin().await;
    let robot = server.app("sweep-robot", AppType::MachineToMachine, false, &[]).await;
    let secret = robot.secret.clone().unwrap();
    let counts = || async {
        let mut out = Vec::new();
        for list in ["/audit-logs", "/applications", "/users", "/resources", "/roles", "/organizations"] {
            out.push((list, admin.get(&format!("{list}?pageSize=1")).await.total));
        }
        out
    };
    // A second admin token for the probes (creating its robot is a write, so before the count).
    let token = server.admin_token().await;
    // Its first use is audited (`security.admin_token.used`): also before the count.
    let first = http().get(format!("{}/api/users", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(first.status(), 200);
    // Open registration, so its probes reach the parser and the ceiling (a write: before the
    // count).
    let open = json!({"enabled": true, "appTypes": ["SPA", "Native"], "registrationsPerHour": 10000});
    assert_eq!(admin.put("/registration-policy", open).await.status, 200);
    let before = counts().await;
    let mut probes: Vec<Probe> = Vec::new();
    let issuer = &server.issuer;
    let base = &server.base;

    // The protocol endpoints.
    probes.extend(oidc_body_probes(&format!("{issuer}/token"), Surface::OAuth, None));
    probes.extend(oidc_body_probes(&format!("{issuer}/token"), Surface::OAuth, Some(("sweep-robot", &secret))));
    probes.extend(oidc_body_probes(&format!("{issuer}/token/introspection"), Surface::OAuth, None));
    probes.extend(oidc_body_probes(&format!("{issuer}/token/revocation"), Surface::OAuth, None));
    probes.extend(oidc_body_probes(&format!("{issuer}/auth"), Surface::Page, None));
    probes.extend(oidc_body_probes(&format!("{issuer}/reg"), Surface::OAuth, None));
    for (what, body) in [
        ("an array", b"[]".to_vec()),
        ("redirect_uris as a string", br#"{"redirect_uris": "https://a.example/cb"}"#.to_vec()),
        ("a javascript: redirect", br#"{"redirect_uris": ["javascript:alert(1)"], "token_endpoint_auth_method": "none"}"#.to_vec()),
        (
            "a grant it may not have",
            br#"{"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}"#.to_vec(),
        ),
        (
            "a thousand redirect URIs",
            format!(r#"{{"redirect_uris": [{}], "token_endpoint_auth_method": "none"}}"#, vec![r#""https://a.example/cb""#; 1000].join(",")).into_bytes(),
        ),
        ("invalid UTF-8", vec![b'{', 0xff, b'}']),
    ] {
        probes.push(Probe {
            what: format!("POST /oidc/reg with {what}"),
            req: http().post(format!("{issuer}/reg")).header("content-type", "application/json").body(body),
            surface: Surface::OAuth,
            must_fail: true,
        });
    }
    // Sign-out needs no parameter at all (RP-Initiated Logout §2): with none it signs nobody
    // out and says so, so only its errors are judged.
    probes.extend(
        oidc_body_probes(&format!("{issuer}/session/end"), Surface::Page, None)
            .into_iter()
            .map(|p| Probe { must_fail: false, ..p }),
    );
    for (what, auth) in [
        ("no token", None),
        ("a truncated JWT", Some(format!("Bearer {TRUNCATED_JWT}"))),
        ("a non-ASCII header", Some("Bearer caf\u{e9}".to_owned())),
        ("another scheme", Some("Basic Zm9vOmJhcg==".to_owned())),
    ] {
        let url = format!("{issuer}/me");
        let mut req = http().get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a.into_bytes());
        }
        probes.push(Probe {
            what: format!("GET /oidc/me with {what}"),
            req,
            surface: Surface::Bearer,
            must_fail: true,
        });
    }
    for q in [
        "",
        "client_id=%ZZ",
        "client_id=a&client_id=b&response_type=code",
        "request=eyJhbGciOiJub25lIn0.e30.",
        &format!("client_id={}", "a".repeat(20_000)),
    ] {
        probes.push(Probe {
            what: format!("GET /oidc/auth?{}", q.chars().take(60).collect::<String>()),
            req: http().get(format!("{issuer}/auth?{q}")),
            surface: Surface::Page,
            must_fail: true,
        });
    }
    probes.push(Probe {
        what: "GET /oidc/session/end with a truncated id_token_hint".into(),
        req: http().get(format!("{issuer}/session/end?id_token_hint={TRUNCATED_JWT}")),
        surface: Surface::Page,
        must_fail: true,
    });
    // Wrong methods.
    for (method, path, surface) in [
        (Method::GET, format!("{issuer}/token"), Surface::OAuth),
        (Method::PUT, format!("{issuer}/token"), Surface::OAuth),
        (Method::GET, format!("{issuer}/token/introspection"), Surface::OAuth),
        (Method::GET, format!("{issuer}/reg"), Surface::OAuth),
        (Method::GET, format!("{issuer}/reg/no-such-client"), Surface::Bearer),
        (Method::DELETE, format!("{issuer}/reg/no-such-client"), Surface::Bearer),
        (Method::POST, format!("{issuer}/reg/no-such-client"), Surface::OAuth),
        (Method::DELETE, format!("{issuer}/token/revocation"), Surface::OAuth),
        (Method::PUT, format!("{issuer}/me"), Surface::Bearer),
        (Method::DELETE, format!("{issuer}/auth"), Surface::Page),
        (Method::PUT, format!("{base}/sign-in"), Surface::Page),
        (Method::DELETE, format!("{base}/consent"), Surface::Page),
        (Method::GET, format!("{base}/account/apps/revoke"), Surface::Page),
        (Method::GET, format!("{issuer}/session/end/confirm"), Surface::Page),
        (Method::POST, format!("{issuer}/jwks"), Surface::OAuth),
        (Method::GET, format!("{base}/no-such-page"), Surface::Page),
        (Method::GET, format!("{issuer}/no-such-endpoint"), Surface::Page),
        (Method::GET, format!("{issuer}/token/no-such-endpoint"), Surface::OAuth),
    ] {
        probes.push(Probe {
            what: format!("{method} {path}"),
            req: http().request(method.clone(), &path),
            surface,
            must_fail: true,
        });
    }
    // End-user pages: forms they cannot read.
    for path in ["/sign-in", "/consent", "/account/apps/revoke"] {
        for (what, ct, body) in [
            ("an oversized form", FORM, format!("csrf={}", "a".repeat(HUGE)).into_bytes()),
            ("duplicated fields", FORM, b"interaction=a&interaction=b&csrf=c&csrf=d".to_vec()),
            ("JSON", "application/json", b"{\"interaction\":".to_vec()),
        ] {
            probes.push(Probe {
                what: format!("POST {path} with {what}"),
                req: http().post(format!("{base}{path}")).header("content-type", ct).body(body),
                surface: Surface::Page,
                must_fail: true,
            });
        }
    }

    // Every admin API operation the OpenAPI document lists.
    let doc: serde_json::Value =
        http().get(format!("{base}/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() > 30, "the document lists the API: {}", paths.len());
    for (template, item) in paths {
        let path = template
            .split('/')
            .map(|seg| if seg.starts_with('{') { "sweep-missing" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let url = format!("{base}/api{path}");
        let methods: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        for m in &methods {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            let call = |what: &str| (format!("{method} /api{path} with {what}"), http().request(method.clone(), &url));
            let (what, req) = call("no token");
            probes.push(Probe { what, req, surface: Surface::Problem, must_fail: true });
            let (what, req) = call("a truncated JWT");
            probes.push(Probe {
                what,
                req: req.bearer_auth(TRUNCATED_JWT),
                surface: Surface::Problem,
                must_fail: true,
            });
            let (what, req) = call("duplicated and invalid query parameters");
            let req = req.bearer_auth(&token).query(&[("page", "1"), ("page", "x"), ("pageSize", "-3"), ("q", "%ZZ")]);
            // A read may ignore what it does not use; a write to an unknown id cannot succeed.
            let writes = *m != "get";
            probes.push(Probe { what, req, surface: Surface::Problem, must_fail: writes });
            if writes {
                for (what, ct, body) in [
                    ("truncated JSON", "application/json", br#"{"name": "sweep"#.to_vec()),
                    ("invalid UTF-8", "application/json", vec![b'{', b'"', 0xff, b'"', b':', b'1', b'}']),
                    ("a form", FORM, b"name=sweep".to_vec()),
                    (
                        "an oversized body",
                        "application/json",
                        format!("{{\"name\": \"{}\"}}", "a".repeat(HUGE)).into_bytes(),
                    ),
                ] {
                    let (what, req) = call(what);
                    let req = req.bearer_auth(&token).header("content-type", ct).body(body);
                    probes.push(Probe { what, req, surface: Surface::Problem, must_fail: true });
                }
            }
        }
        let unlisted = ["put", "patch", "delete", "post", "get"].into_iter().find(|m| !methods.contains(m));
        if let Some(m) = unlisted {
            let method = Method::from_bytes(m.to_uppercase().as_bytes()).unwrap();
            probes.push(Probe {
                what: format!("{method} /api{path} (not an operation)"),
                req: http().request(method, &url).bearer_auth(&token),
                surface: Surface::Problem,
                must_fail: true,
            });
        }
    }
    let mut failures = Vec::new();
    let total = probes.len();
    for p in probes {
        judge(p, &mut failures).await;
    }
    assert!(failures.is_empty(), "{} of {total} probes failed:\n{}", failures.len(), failures.join("\n"));
    let health = http().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the server stays healthy");
    assert_eq!(counts().await, before, "nothing stored changed");
}

//! Self-service client registration (RFC 7591) decided against the operator's ceiling
//! (`RegistrationPolicy`): which kind of app the metadata describes, which redirect URIs it
//! may have, which permissions it gets. What a client asks beyond the ceiling is corrected
//! down where RFC 7591 §3.2.1 lets the server replace a value (scopes, names), and refused
//! with `invalid_client_metadata` or `invalid_redirect_uri` (§3.2.2) where it cannot be.

use crate::bearer::{AuthorizationHeader, parse_authorization};
use crate::crypto;
use crate::error::{ErrorCode, OAuthError};
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, ClientRegistration, ConsentScope, InitialAccessToken, RegistrationPolicy};
use latch_domain::redirect;
use latch_domain::{fields, scope};
use serde::Deserialize;

/// Most redirect URIs one registration may have.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest client name kept; a longer one is cut.
const MAX_CLIENT_NAME: usize = 128;

/// The client metadata of a registration request (RFC 7591 §2, and `application_type` of
/// OpenID Connect Dynamic Client Registration 1.0 §2). Members Latch does not use are
/// ignored, as §2 allows; a known member of the wrong JSON type is an error.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ClientMetadata {
    /// Sent back on an update (RFC 7592 §2.2); ignored on a registration.
    pub client_id: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub application_type: Option<String>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub scope: Option<String>,
    pub contacts: Option<Vec<String>>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
}

impl ClientMetadata {
    /// Reads a registration request body (a JSON object).
    pub fn parse(body: &[u8]) -> Result<ClientMetadata, OAuthError> {
        let bad =
            |e: serde_json::Error| OAuthError::invalid_client_metadata(format!("the body is not client metadata: {e}"));
        let value: serde_json::Value = serde_json::from_slice(body).map_err(bad)?;
        if !value.is_object() {
            return Err(OAuthError::invalid_client_metadata("the body must be a JSON object"));
        }
        serde_json::from_value(value).map_err(bad)
    }
}

/// One permission of the ceiling, with the scope name a client asks for it by (a user scope's
/// name, or the name of an API resource or organization scope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permitted {
    pub permission: ConsentScope,
    pub name: String,
}

/// What a registration creates: a third-party app within the ceiling.
#[derive(Clone, Debug, PartialEq)]
pub struct Admitted {
    pub app_type: AppType,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// The app's permission allow-list: what it asked for within the ceiling (all of the
    /// ceiling when it asked for no scope), each one the user may untick.
    pub permissions: Vec<ConsentScope>,
    /// The scope names the client was given, for the response's `scope`.
    pub scope: String,
    pub grant_types: Vec<&'static str>,
    pub token_endpoint_auth_method: &'static str,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub policy_uri: Option<String>,
}

/// The `token_endpoint_auth_method` a read of a registration reports (RFC 7592 §2.1: the
/// metadata as registered): the one stored, or for a client registered before Latch kept it,
/// what its kind implies.
pub fn reported_auth_method(stored: &str, confidential: bool) -> &str {
    match stored {
        "" if confidential => "client_secret_basic",
        "" => "none",
        method => method,
    }
}

const AUTHORIZATION_CODE: &str = "authorization_code";
const REFRESH_TOKEN: &str = "refresh_token";

/// Decides a registration: `ceiling` is the policy's permissions resolved to names.
pub fn admit(
    policy: &RegistrationPolicy,
    ceiling: &[Permitted],
    meta: &ClientMetadata,
) -> Result<Admitted, OAuthError> {
    // RFC 7591 §2: `client_secret_basic` when omitted.
    let method = meta.token_endpoint_auth_method.as_deref().unwrap_or("client_secret_basic");
    let (confidential, method) = match method {
        "none" => (false, "none"),
        "client_secret_basic" => (true, "client_secret_basic"),
        "client_secret_post" => (true, "client_secret_post"),
        other => {
            return Err(OAuthError::invalid_client_metadata(format!(
                "token_endpoint_auth_method `{other}` is not supported: use none (with PKCE), client_secret_basic or client_secret_post"
            )));
        }
    };
    let grant_types = grant_types(meta)?;
    let redirect_uris = meta.redirect_uris.clone().unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(OAuthError::invalid_redirect_uri("redirect_uris is required for the authorization code grant"));
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::invalid_redirect_uri(format!("at most {MAX_REDIRECT_URIS} redirect_uris")));
    }
    let app_type = app_type(confidential, meta.application_type.as_deref(), &redirect_uris)?;
    if !policy.app_types.contains(&app_type) {
        return Err(OAuthError::invalid_client_metadata(format!(
            "this server does not register {} clients on their own",
            describe(app_type)
        )));
    }
    for uri in &redirect_uris {
        self_registered_uri(policy, app_type, uri).map_err(OAuthError::invalid_redirect_uri)?;
    }
    let post_logout_redirect_uris = meta.post_logout_redirect_uris.clone().unwrap_or_default();
    if post_logout_redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::invalid_client_metadata(format!(
            "at most {MAX_REDIRECT_URIS} post_logout_redirect_uris"
        )));
    }
    for uri in &post_logout_redirect_uris {
        self_registered_uri(policy, app_type, uri)
            .map_err(|e| OAuthError::invalid_client_metadata(format!("post_logout_redirect_uris: {e}")))?;
    }
    let mut urls = [
        ("logo_uri", &meta.logo_uri, None),
        ("client_uri", &meta.client_uri, None),
        ("tos_uri", &meta.tos_uri, None),
        ("policy_uri", &meta.policy_uri, None),
    ];
    for (field, value, kept) in &mut urls {
        if let Some(v) = value {
            // https only: these are shown to users on the consent screen.
            if !v.starts_with("https://") || fields::web_url(v).is_err() {
                return Err(OAuthError::invalid_client_metadata(format!("{field} must be an https URL")));
            }
            *kept = Some(v.clone());
        }
    }
    let [(_, _, logo_uri), (_, _, client_uri), (_, _, tos_uri), (_, _, policy_uri)] = urls;
    let (permissions, scope) = within_ceiling(ceiling, meta.scope.as_deref());
    Ok(Admitted {
        app_type,
        name: client_name(meta, &redirect_uris),
        redirect_uris,
        post_logout_redirect_uris,
        permissions,
        scope,
        grant_types,
        token_endpoint_auth_method: method,
        logo_uri,
        client_uri,
        tos_uri,
        policy_uri,
    })
}

/// RFC 7592 §2: a read, update or delete of a registration needs its registration access
/// token as a bearer token. A client that does not exist (or registered no other way) and a
/// token that is not its are refused alike, `invalid_token` (401), so the answer does not tell
/// which client ids exist.
pub fn check_management(authorization: Option<&str>, record: Option<&ClientRegistration>) -> Result<(), OAuthError> {
    let Some(token) = presented_token(authorization) else {
        return Err(OAuthError::new(ErrorCode::InvalidToken, "send the registration access token as a bearer token"));
    };
    match record {
        Some(ClientRegistration { access_token_hash: Some(hash), .. }) if crypto::secret_matches(token, hash) => Ok(()),
        _ => {
            Err(OAuthError::new(ErrorCode::InvalidToken, "the registration access token is not valid for this client"))
        }
    }
}

/// The token a registration presents as a bearer token (RFC 7591 §3), when there is one.
pub fn presented_token(authorization: Option<&str>) -> Option<&str> {
    match authorization.map(parse_authorization) {
        Some(AuthorizationHeader::Bearer(t)) => Some(t),
        _ => None,
    }
}

/// RFC 7591 §3: when the policy requires it, a registration carries an initial access token
/// that an operator issued, not expired and not revoked (`found` is the stored token its hash
/// names). Any other answer is `invalid_token` (401).
pub fn check_initial_access_token(
    presented: Option<&str>,
    found: Option<&InitialAccessToken>,
    now: Timestamp,
) -> Result<(), OAuthError> {
    let refuse = |d: &str| Err(OAuthError::new(ErrorCode::InvalidToken, d));
    match (presented, found) {
        (None, _) => refuse("this server requires an initial access token for registration; ask its operator for one"),
        (Some(t), Some(f)) if crypto::secret_matches(t, &f.token_hash) => match f.expires_at {
            Some(at) if now >= at => refuse("the initial access token has expired"),
            _ => Ok(()),
        },
        (Some(_), _) => refuse("the initial access token is not valid"),
    }
}

/// RFC 7592 §2.2: an update names the client it updates and keeps its kind (a public client
/// does not become confidential, which would need a secret it was never given).
pub fn check_update(
    client_id: &str,
    current: AppType,
    meta: &ClientMetadata,
    admitted: &Admitted,
) -> Result<(), OAuthError> {
    if meta.client_id.as_deref() != Some(client_id) {
        return Err(OAuthError::invalid_request("an update must carry the client's own client_id"));
    }
    if admitted.app_type != current {
        return Err(OAuthError::invalid_client_metadata(format!(
            "a registered {} client keeps its kind; register a new client instead",
            describe(current)
        )));
    }
    Ok(())
}

fn describe(t: AppType) -> &'static str {
    match t {
        AppType::Spa => "single-page (SPA)",
        AppType::Native => "native",
        AppType::Traditional => "confidential web",
        AppType::MachineToMachine => "machine-to-machine",
    }
}

/// `authorization_code` (the default, RFC 7591 §2) and `refresh_token` only; `code` the only
/// response type.
fn grant_types(meta: &ClientMetadata) -> Result<Vec<&'static str>, OAuthError> {
    let mut out = Vec::new();
    for g in meta.grant_types.as_deref().unwrap_or(&[]) {
        let known = match g.as_str() {
            AUTHORIZATION_CODE => AUTHORIZATION_CODE,
            REFRESH_TOKEN => REFRESH_TOKEN,
            other => {
                return Err(OAuthError::invalid_client_metadata(format!(
                    "grant type `{other}` is not open to self-registered clients (authorization_code, refresh_token)"
                )));
            }
        };
        if !out.contains(&known) {
            out.push(known);
        }
    }
    if !out.contains(&AUTHORIZATION_CODE) {
        out.insert(0, AUTHORIZATION_CODE);
    }
    if let Some(r) = meta.response_types.as_deref().unwrap_or(&[]).iter().find(|r| *r != "code") {
        return Err(OAuthError::invalid_client_metadata(format!("response type `{r}` is not supported (code)")));
    }
    Ok(out)
}

/// A confidential client is a web server; a public one is native when it says so or when a
/// redirect URI only a device can receive (loopback, a private-use scheme) says so, a
/// single-page app otherwise.
fn app_type(confidential: bool, application_type: Option<&str>, uris: &[String]) -> Result<AppType, OAuthError> {
    let native = match application_type {
        None => None,
        Some("web") => Some(false),
        Some("native") => Some(true),
        Some(other) => {
            return Err(OAuthError::invalid_client_metadata(format!(
                "application_type `{other}` is not web or native"
            )));
        }
    };
    let on_device = uris.iter().any(|u| !u.starts_with("https://"));
    match (confidential, native) {
        (true, Some(true)) => Err(OAuthError::invalid_client_metadata(
            "a native application cannot keep a client secret: use token_endpoint_auth_method none with PKCE",
        )),
        (true, _) => Ok(AppType::Traditional),
        (false, Some(true)) => Ok(AppType::Native),
        (false, Some(false)) if on_device => Err(OAuthError::invalid_redirect_uri(
            "a web application's redirect URIs are https; a loopback or custom-scheme URI is for a native application",
        )),
        (false, _) if on_device => Ok(AppType::Native),
        (false, _) => Ok(AppType::Spa),
    }
}

/// A redirect URI a self-registered client may have: one an operator could register for its
/// type, without the development exception (plain http on localhost for web apps), and on an
/// allowed host when the policy names hosts. Native loopback and private-use URIs stay on the
/// device, so the host list does not apply to them.
pub fn self_registered_uri(policy: &RegistrationPolicy, app_type: AppType, uri: &str) -> Result<(), String> {
    redirect::validate_registered(app_type, uri).map_err(|e| e.to_string())?;
    let Some(rest) = uri.strip_prefix("https://") else {
        return match app_type {
            AppType::Native => Ok(()),
            _ => Err(format!("{uri}: self-registered clients redirect to https")),
        };
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
    let host = host.to_ascii_lowercase();
    if policy.redirect_hosts.is_empty() || policy.redirect_hosts.iter().any(|allowed| host_matches(allowed, &host)) {
        Ok(())
    } else {
        Err(format!("{uri}: the host {host} is not one this server accepts for self-registered clients"))
    }
}

/// `allowed` is a host, or `*.example.com` for any subdomain of example.com (not itself).
fn host_matches(allowed: &str, host: &str) -> bool {
    let allowed = allowed.to_ascii_lowercase();
    match allowed.strip_prefix("*.") {
        Some(parent) => host.strip_suffix(parent).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == allowed,
    }
}

/// The permissions the client asked for within the ceiling, and the scope names it got.
/// Names beyond the ceiling are dropped; no scope asks for the whole ceiling. `openid` and
/// `offline_access` need no permission and are kept when asked for.
fn within_ceiling(ceiling: &[Permitted], asked: Option<&str>) -> (Vec<ConsentScope>, String) {
    let asked: Option<Vec<&str>> = asked.map(|s| s.split_ascii_whitespace().collect());
    let wanted = |name: &str| asked.as_ref().is_none_or(|a| a.contains(&name));
    let mut names: Vec<String> = Vec::new();
    let mut permissions = Vec::new();
    for free in [scope::OPENID, scope::OFFLINE_ACCESS] {
        if asked.as_ref().is_some_and(|a| a.contains(&free)) || (asked.is_none() && free == scope::OPENID) {
            names.push(free.to_owned());
        }
    }
    for p in ceiling.iter().filter(|p| wanted(&p.name)) {
        permissions.push(ConsentScope { required: false, ..p.permission.clone() });
        if !names.contains(&p.name) {
            names.push(p.name.clone());
        }
    }
    (permissions, names.join(" "))
}

/// The name users see: the client's own (without control characters, at most 128 characters),
/// else the host of its first redirect URI.
fn client_name(meta: &ClientMetadata, uris: &[String]) -> String {
    let own = fields::printable(meta.client_name.as_deref().unwrap_or(""), MAX_CLIENT_NAME);
    let own = own.trim();
    if !own.is_empty() {
        return own.to_owned();
    }
    let first = uris.first().map(String::as_str).unwrap_or("");
    let host = first.split_once("://").map(|(_, r)| r.split(['/', '?', ':']).next().unwrap_or(r)).unwrap_or(first);
    if host.is_empty() { "Unnamed app".to_owned() } else { host.to_owned() }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use latch_domain::entities::{ConsentScopeType, RegistrationKind};

    fn policy() -> RegistrationPolicy {
        RegistrationPolicy {
            enabled: true,
            app_types: vec![AppType::Spa, AppType::Native, AppType::Traditional],
            ..RegistrationPolicy::default()
        }
    }

    fn permitted(kind: ConsentScopeType, reference: &str, name: &str) -> Permitted {
        Permitted {
            permission: ConsentScope { scope_type: kind, scope_ref: reference.into(), required: true },
            name: name.into(),
        }
    }

    fn ceiling() -> Vec<Permitted> {
        vec![
            permitted(ConsentScopeType::User, "email", "email"),
            permitted(ConsentScopeType::User, "profile", "profile"),
            permitted(ConsentScopeType::Resource, "scope-mcp-tools", "tools:call"),
        ]
    }

    fn meta(json: &str) -> ClientMetadata {
        ClientMetadata::parse(json.as_bytes()).expect("metadata")
    }

    fn code(r: Result<Admitted, OAuthError>) -> Result<Admitted, ErrorCode> {
        r.map_err(|e| e.code)
    }

    #[test]
    fn the_kind_of_app_follows_the_auth_method_and_the_redirect_uris() {
        use ErrorCode::{InvalidClientMetadata as Meta, InvalidRedirectUri as Uri};
        let cases: &[(&str, Result<AppType, ErrorCode>)] = &[
            // An MCP client: public, loopback redirect.
            (
                r#"{"redirect_uris":["http://127.0.0.1:3030/callback"],"token_endpoint_auth_method":"none"}"#,
                Ok(AppType::Native),
            ),
            (r#"{"redirect_uris":["com.example.app:/cb"],"token_endpoint_auth_method":"none"}"#, Ok(AppType::Native)),
            (
                r#"{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"none"}"#,
                Ok(AppType::Spa),
            ),
            (
                r#"{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"none","application_type":"native"}"#,
                Ok(AppType::Native),
            ),
            // RFC 7591 §2: client_secret_basic when omitted.
            (r#"{"redirect_uris":["https://app.example.com/cb"]}"#, Ok(AppType::Traditional)),
            (
                r#"{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"client_secret_post"}"#,
                Ok(AppType::Traditional),
            ),
            (
                r#"{"redirect_uris":["https://app.example.com/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
                Err(Meta),
            ),
            (r#"{"redirect_uris":["http://127.0.0.1/cb"],"application_type":"native"}"#, Err(Meta)),
            (
                r#"{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","application_type":"web"}"#,
                Err(Uri),
            ),
            (
                r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none","application_type":"tv"}"#,
                Err(Meta),
            ),
            (r#"{"token_endpoint_auth_method":"none"}"#, Err(Uri)),
            (r#"{"redirect_uris":[],"token_endpoint_auth_method":"none"}"#, Err(Uri)),
        ];
        for (json, expected) in cases {
            let got = code(admit(&policy(), &ceiling(), &meta(json))).map(|a| a.app_type);
            assert_eq!(&got, expected, "{json}");
        }
    }

    #[test]
    fn the_ceiling_limits_app_types_hosts_and_grants() {
        use ErrorCode::{InvalidClientMetadata as Meta, InvalidRedirectUri as Uri};
        let public_only = RegistrationPolicy { app_types: vec![AppType::Spa, AppType::Native], ..policy() };
        let hosts =
            RegistrationPolicy { redirect_hosts: vec!["*.partners.example".into(), "tool.example".into()], ..policy() };
        let none = r#""token_endpoint_auth_method":"none""#;
        let all = policy();
        let cases: Vec<(&RegistrationPolicy, String, Result<(), ErrorCode>)> = vec![
            (&public_only, r#"{"redirect_uris":["https://a.example/cb"]}"#.into(), Err(Meta)),
            (&public_only, format!(r#"{{"redirect_uris":["https://a.example/cb"],{none}}}"#), Ok(())),
            (&hosts, format!(r#"{{"redirect_uris":["https://app.partners.example/cb"],{none}}}"#), Ok(())),
            (&hosts, format!(r#"{{"redirect_uris":["https://tool.example:8443/cb"],{none}}}"#), Ok(())),
            (&hosts, format!(r#"{{"redirect_uris":["https://partners.example/cb"],{none}}}"#), Err(Uri)),
            (&hosts, format!(r#"{{"redirect_uris":["https://evilpartners.example/cb"],{none}}}"#), Err(Uri)),
            (&hosts, format!(r#"{{"redirect_uris":["https://tool.example.evil.example/cb"],{none}}}"#), Err(Uri)),
            // Loopback stays on the device: no host list applies.
            (&hosts, format!(r#"{{"redirect_uris":["http://127.0.0.1:9000/cb"],{none}}}"#), Ok(())),
            // The development exception is not open to self-registered web apps.
            (
                &all,
                format!(r#"{{"redirect_uris":["http://localhost:3000/cb"],{none},"application_type":"web"}}"#),
                Err(Uri),
            ),
            (&all, r#"{"redirect_uris":["http://localhost:3000/cb"]}"#.into(), Err(Uri)),
            (&all, format!(r#"{{"redirect_uris":["https://a.example/cb#frag"],{none}}}"#), Err(Uri)),
            (&all, format!(r#"{{"redirect_uris":["javascript:alert(1)"],{none}}}"#), Err(Uri)),
            (
                &all,
                format!(r#"{{"redirect_uris":["https://a.example/cb"],{none},"grant_types":["client_credentials"]}}"#),
                Err(Meta),
            ),
            (
                &all,
                format!(r#"{{"redirect_uris":["https://a.example/cb"],{none},"grant_types":["implicit"]}}"#),
                Err(Meta),
            ),
            (
                &all,
                format!(r#"{{"redirect_uris":["https://a.example/cb"],{none},"response_types":["token"]}}"#),
                Err(Meta),
            ),
            (
                &all,
                format!(r#"{{"redirect_uris":["https://a.example/cb"],{none},"logo_uri":"http://a.example/l.png"}}"#),
                Err(Meta),
            ),
            (
                &all,
                format!(r#"{{"redirect_uris":["https://a.example/cb"],{none},"logo_uri":"javascript:x"}}"#),
                Err(Meta),
            ),
            (
                &all,
                format!(
                    r#"{{"redirect_uris":["https://a.example/cb"],{none},"post_logout_redirect_uris":["http://a.example/"]}}"#
                ),
                Err(Meta),
            ),
        ];
        for (p, json, expected) in cases {
            assert_eq!(code(admit(p, &ceiling(), &meta(&json))).map(|_| ()), expected, "{json}");
        }
    }

    #[test]
    fn scopes_beyond_the_ceiling_are_dropped_not_refused() {
        let base = r#""redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none""#;
        let cases: &[(&str, &str, &[&str])] = &[
            // No scope: the whole ceiling, and openid.
            ("", "openid email profile tools:call", &["email", "profile", "scope-mcp-tools"]),
            // What the MCP SDK sends when the resource advertises none: every scope it saw.
            (
                r#","scope":"openid profile email phone offline_access tools:call admin:all""#,
                "openid offline_access email profile tools:call",
                &["email", "profile", "scope-mcp-tools"],
            ),
            (r#","scope":"email""#, "email", &["email"]),
            (r#","scope":"phone urn:latch:api:admin""#, "", &[]),
        ];
        for (extra, scope, refs) in cases {
            let json = format!("{{{base}{extra}}}");
            let a = admit(&policy(), &ceiling(), &meta(&json)).expect(&json);
            assert_eq!(a.scope, *scope, "{json}");
            assert_eq!(a.permissions.iter().map(|p| p.scope_ref.as_str()).collect::<Vec<_>>(), *refs, "{json}");
            assert!(a.permissions.iter().all(|p| !p.required), "the user may untick every permission");
        }
    }

    #[test]
    fn unknown_members_are_ignored_and_wrong_types_refused() {
        let a = meta(
            r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none","jwks":{"keys":[]},"x-custom":1}"#,
        );
        assert!(admit(&policy(), &ceiling(), &a).is_ok());
        for body in [r#"{"redirect_uris":"https://a.example/cb"}"#, "[]", "not json", r#"{"client_name":7}"#] {
            let e = ClientMetadata::parse(body.as_bytes()).expect_err(body);
            assert_eq!(e.code, ErrorCode::InvalidClientMetadata, "{body}");
        }
    }

    #[test]
    fn the_name_users_see_is_bounded_and_never_empty() {
        let base = r#""redirect_uris":["https://tool.example/cb"],"token_endpoint_auth_method":"none""#;
        let long = "n".repeat(300);
        let cases = [
            (format!(r#"{{{base},"client_name":"Claude Desktop"}}"#), "Claude Desktop".to_owned()),
            (format!(r#"{{{base}}}"#), "tool.example".to_owned()),
            (format!(r#"{{{base},"client_name":"  \u0007 "}}"#), "tool.example".to_owned()),
            (format!(r#"{{{base},"client_name":"{long}"}}"#), "n".repeat(128)),
        ];
        for (json, name) in cases {
            assert_eq!(admit(&policy(), &ceiling(), &meta(&json)).expect(&json).name, name, "{json}");
        }
    }

    #[test]
    fn only_the_registration_access_token_manages_its_client() {
        let record = ClientRegistration {
            application_id: "c1".into(),
            access_token_hash: Some(crypto::token_hash("rat-of-c1")),
            registered_at: latch_domain::Timestamp(0),
            ip: "127.0.0.1".into(),
            user_agent: None,
            software_id: None,
            software_version: None,
            client_uri: None,
            contacts: vec![],
            grant_types: vec![],
            scope: String::new(),
            kind: RegistrationKind::Registration,
            token_endpoint_auth_method: "none".into(),
        };
        // A client named by a metadata document has no token: nothing manages it here.
        let document =
            ClientRegistration { kind: RegistrationKind::MetadataDocument, access_token_hash: None, ..record.clone() };
        let cases = [
            (Some("Bearer rat-of-c1"), Some(&record), true),
            (Some("Bearer rat-of-c1"), Some(&document), false),
            (Some("Bearer "), Some(&document), false),
            (Some("bearer   rat-of-c1 "), Some(&record), true),
            (Some("Bearer rat-of-c2"), Some(&record), false),
            (Some("Basic cmF0LW9mLWMxOg=="), Some(&record), false),
            (Some("Bearer "), Some(&record), false),
            (None, Some(&record), false),
            // No such client: the same answer as a wrong token.
            (Some("Bearer rat-of-c1"), None, false),
        ];
        for (header, record, ok) in cases {
            let got = check_management(header, record);
            assert_eq!(got.is_ok(), ok, "{header:?}");
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::InvalidToken, "{header:?}");
            }
        }
    }

    #[test]
    fn an_initial_access_token_must_be_one_issued_and_live() {
        let issued = |expires: Option<i64>| InitialAccessToken {
            id: "iat1".into(),
            name: "Acme".into(),
            token_hash: crypto::token_hash("iat-value"),
            created_at: Timestamp(0),
            expires_at: expires.map(Timestamp),
        };
        let now = Timestamp(100);
        let cases = [
            (Some("iat-value"), Some(issued(None)), true),
            (Some("iat-value"), Some(issued(Some(101))), true),
            (Some("iat-value"), Some(issued(Some(100))), false),
            (Some("iat-value"), None, false),
            (None, Some(issued(None)), false),
            // A stored token whose hash does not match what was presented.
            (Some("other"), Some(issued(None)), false),
        ];
        for (presented, found, ok) in cases {
            let got = check_initial_access_token(presented, found.as_ref(), now);
            assert_eq!(got.is_ok(), ok, "{presented:?} {found:?}");
            assert!(got.err().is_none_or(|e| e.code == ErrorCode::InvalidToken));
        }
        assert_eq!(presented_token(Some("Bearer abc")), Some("abc"));
        assert_eq!(presented_token(Some("Basic abc")), None);
    }

    #[test]
    fn an_update_names_its_client_and_keeps_its_kind() {
        let native = r#""redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none""#;
        let spa = r#""redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none""#;
        let cases = [
            (format!(r#"{{"client_id":"c1",{native}}}"#), Ok(())),
            (format!(r#"{{{native}}}"#), Err(ErrorCode::InvalidRequest)),
            (format!(r#"{{"client_id":"c2",{native}}}"#), Err(ErrorCode::InvalidRequest)),
            (format!(r#"{{"client_id":"c1",{spa}}}"#), Err(ErrorCode::InvalidClientMetadata)),
        ];
        for (json, expected) in cases {
            let m = meta(&json);
            let a = admit(&policy(), &ceiling(), &m).expect(&json);
            assert_eq!(check_update("c1", AppType::Native, &m, &a).map_err(|e| e.code), expected, "{json}");
        }
    }

    #[test]
    fn a_read_reports_the_auth_method_registered() {
        #[rustfmt::skip]
        let cases = [
            ("client_secret_post",  true,  "client_secret_post"),
            ("client_secret_basic", true,  "client_secret_basic"),
            ("none",                false, "none"),
            ("",                    true,  "client_secret_basic"),
            ("",                    false, "none"),
        ];
        for (stored, confidential, want) in cases {
            assert_eq!(reported_auth_method(stored, confidential), want, "{stored:?} {confidential}");
        }
    }

    #[test]
    fn grant_types_default_to_the_code_grant() {
        let base = r#""redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none""#;
        for (extra, grants) in [
            ("", vec![AUTHORIZATION_CODE]),
            (r#","grant_types":["refresh_token"]"#, vec![AUTHORIZATION_CODE, REFRESH_TOKEN]),
            (
                r#","grant_types":["authorization_code","refresh_token","refresh_token"]"#,
                vec![AUTHORIZATION_CODE, REFRESH_TOKEN],
            ),
        ] {
            let json = format!("{{{base}{extra}}}");
            assert_eq!(admit(&policy(), &ceiling(), &meta(&json)).expect(&json).grant_types, grants, "{json}");
        }
    }
}

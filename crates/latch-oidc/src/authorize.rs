//! Validation of authorization requests (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1,
//! RFC 7636, RFC 8707, RFC 9700).

use crate::error::{AuthorizeError, ErrorCode, OAuthError, ResponseMode};
use crate::params::Params;
use crate::pkce;
use latch_domain::entities::{AppType, Application};
use latch_domain::ids::ApplicationId;
use latch_domain::{redirect, scope};
use serde::{Deserialize, Serialize};

/// The `prompt` values Latch honours (OpenID Connect Core §3.1.2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// A validated authorization request: what the interaction keeps while the user signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: ApplicationId,
    /// The registered redirect URI the request designated (RFC 8252 §7.3: for a native app's
    /// loopback URI, the port the request carried).
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    /// Requested scope tokens, distinct, in request order.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
    /// OpenID Connect Core §3.1.2.1 `acr_values`, space-separated, in order of preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
    /// RFC 8707 resource indicators.
    pub resources: Vec<String>,
    /// RFC 8628: the hash of the device code this request answers. The answer then goes to the
    /// polling device, never to `redirect_uri` (empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl AuthRequest {
    pub fn wants_openid(&self) -> bool {
        self.scopes.iter().any(|s| s == scope::OPENID)
    }
}

/// The distinct `resource` parameters of a request (RFC 8707 §2: each an absolute URI without
/// a fragment), in request order.
pub fn resources(params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut out = Vec::new();
    for r in params.all("resource") {
        let ok = url::Url::parse(r).is_ok_and(|u| u.fragment().is_none()) && !r.contains('#');
        if !ok {
            return Err(OAuthError::invalid_target(format!("resource `{r}` is not an absolute URI without fragment")));
        }
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

fn no_redirect(code: ErrorCode, d: &str) -> AuthorizeError {
    AuthorizeError::NoRedirect(OAuthError::new(code, d))
}

/// Validates `params` for `app` (the application `client_id` names, if any).
///
/// RFC 6749 §4.1.2.1: while the client or the redirect URI cannot be trusted the error is shown
/// to the user (`NoRedirect`); after that, errors go back to the client.
pub fn validate(params: &Params, app: Option<&Application>) -> Result<AuthRequest, AuthorizeError> {
    if params.is_duplicated("client_id") {
        return Err(no_redirect(ErrorCode::InvalidRequest, "parameter `client_id` is given more than once"));
    }
    if params.get("client_id").is_none() {
        return Err(no_redirect(ErrorCode::InvalidRequest, "parameter `client_id` is missing"));
    }
    let Some(app) = app else {
        return Err(no_redirect(ErrorCode::InvalidClient, "no application has this client_id"));
    };
    if app.app_type == AppType::MachineToMachine {
        return Err(no_redirect(
            ErrorCode::UnauthorizedClient,
            "machine-to-machine applications use the client_credentials grant, not the authorization endpoint",
        ));
    }
    if params.is_duplicated("redirect_uri") {
        return Err(no_redirect(ErrorCode::InvalidRequest, "parameter `redirect_uri` is given more than once"));
    }
    let Some(requested_uri) = params.get("redirect_uri") else {
        return Err(no_redirect(ErrorCode::InvalidRequest, "parameter `redirect_uri` is missing"));
    };
    // The string the browser will be sent to: exactly what matched (RFC 9700 §4.1.3).
    let Some(redirect_uri) = redirect::match_redirect(app.app_type, &app.redirect_uris, requested_uri) else {
        return Err(no_redirect(ErrorCode::InvalidRequest, "redirect_uri is not registered for this application"));
    };

    // From here on the redirect URI is trusted: errors go back to the client.
    let state = params.get("state").map(str::to_owned);
    let (response_mode, mode_error) = match params.get("response_mode") {
        None | Some("query") => (ResponseMode::Query, None),
        Some("form_post") => (ResponseMode::FormPost, None),
        Some(other) => {
            (ResponseMode::Query, Some(format!("response_mode `{other}` is not supported (query, form_post)")))
        }
    };
    let fail = |code: ErrorCode, d: String| AuthorizeError::Redirect {
        error: OAuthError::new(code, d),
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        response_mode,
    };
    if let Some(d) = mode_error {
        return Err(fail(ErrorCode::InvalidRequest, d));
    }
    if let Err(e) = params.reject_duplicates() {
        return Err(fail(e.code, e.description));
    }
    if params.get("request").is_some() {
        return Err(fail(ErrorCode::RequestNotSupported, "request objects are not supported".into()));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(ErrorCode::RequestUriNotSupported, "request_uri is not supported".into()));
    }
    match params.get("response_type") {
        None => return Err(fail(ErrorCode::InvalidRequest, "parameter `response_type` is missing".into())),
        Some("code") => {}
        Some(other) => {
            return Err(fail(
                ErrorCode::UnsupportedResponseType,
                format!("response_type `{other}` is not supported; use `code`"),
            ));
        }
    }
    let raw_scope = params.get("scope").unwrap_or("");
    let scopes = scope::split(raw_scope);
    if let Some(bad) = scopes.iter().find(|s| !scope::is_valid_token(s)) {
        return Err(fail(ErrorCode::InvalidScope, format!("`{bad}` is not a valid scope token")));
    }
    // Lengths of `state`, `nonce`, `scope`, `login_hint`, `ui_locales`: `params::PARAM_LIMITS`,
    // refused while parsing, before anything is trusted or kept.
    let nonce = params.get("nonce").map(str::to_owned);

    // PKCE (RFC 7636 §4.3, RFC 9700 §2.1.1).
    let method = params.get("code_challenge_method");
    let challenge = params.get("code_challenge");
    match (challenge, method) {
        (_, Some("plain")) => {
            return Err(fail(
                ErrorCode::InvalidRequest,
                "code_challenge_method `plain` is not allowed; use S256".into(),
            ));
        }
        (_, Some(m)) if m != "S256" => {
            return Err(fail(
                ErrorCode::InvalidRequest,
                format!("code_challenge_method `{m}` is not supported; use S256"),
            ));
        }
        (None, Some(_)) => {
            return Err(fail(ErrorCode::InvalidRequest, "code_challenge_method without code_challenge".into()));
        }
        (Some(_), None) => {
            // RFC 7636 §4.3 would default to `plain`, which Latch refuses: S256 must be explicit.
            return Err(fail(
                ErrorCode::InvalidRequest,
                "code_challenge_method=S256 is required with code_challenge".into(),
            ));
        }
        (Some(c), Some(_)) if !pkce::is_valid_challenge(c) => {
            return Err(fail(ErrorCode::InvalidRequest, "code_challenge is not a base64url SHA-256 digest".into()));
        }
        (None, None) if !app.app_type.is_confidential() => {
            return Err(fail(ErrorCode::InvalidRequest, "PKCE with S256 is required for public clients".into()));
        }
        _ => {}
    }

    let mut prompt = Prompt::default();
    for p in params.get("prompt").unwrap_or("").split(' ').filter(|p| !p.is_empty()) {
        match p {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            other => return Err(fail(ErrorCode::InvalidRequest, format!("prompt value `{other}` is not supported"))),
        }
    }
    if prompt.none && (prompt.login || prompt.consent) {
        return Err(fail(ErrorCode::InvalidRequest, "prompt=none cannot be combined with other values".into()));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(fail(ErrorCode::InvalidRequest, "max_age must be a non-negative integer".into())),
        },
    };
    let resources = resources(params).map_err(|e| fail(e.code, e.description))?;

    Ok(AuthRequest {
        client_id: app.id.clone(),
        redirect_uri,
        response_mode,
        scopes,
        state,
        nonce,
        code_challenge: challenge.map(str::to_owned),
        prompt,
        max_age,
        login_hint: params.get("login_hint").map(str::to_owned),
        ui_locales: params.get("ui_locales").map(scope::split).unwrap_or_default(),
        acr_values: params.get("acr_values").map(str::to_owned).filter(|v| !v.trim().is_empty()),
        resources,
        device: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;
    use latch_domain::Timestamp;
    use latch_domain::entities::CustomClientMetadata;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn app(app_type: AppType) -> Application {
        Application {
            id: ApplicationId::from("client1"),
            name: "App".into(),
            description: None,
            app_type,
            is_third_party: false,
            redirect_uris: vec!["https://app.example.com/cb".into(), "http://127.0.0.1/cb".into()],
            post_logout_redirect_uris: vec![],
            custom: CustomClientMetadata::default(),
            created_at: Timestamp(0),
        }
    }

    fn base() -> Vec<(&'static str, String)> {
        vec![
            ("client_id", "client1".into()),
            ("redirect_uri", "https://app.example.com/cb".into()),
            ("response_type", "code".into()),
            ("scope", "openid email".into()),
            ("state", "xyz".into()),
            ("code_challenge", CHALLENGE.into()),
            ("code_challenge_method", "S256".into()),
        ]
    }

    fn run(
        app_type: AppType,
        edit: impl FnOnce(&mut Vec<(&'static str, String)>),
    ) -> Result<AuthRequest, AuthorizeError> {
        let mut pairs = base();
        edit(&mut pairs);
        let params =
            Params::from_pairs(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()).unwrap_or_default();
        validate(&params, Some(&app(app_type)))
    }

    fn set(pairs: &mut Vec<(&'static str, String)>, k: &'static str, v: &str) {
        pairs.retain(|(key, _)| *key != k);
        pairs.push((k, v.to_owned()));
    }

    fn unset(pairs: &mut Vec<(&'static str, String)>, k: &'static str) {
        pairs.retain(|(key, _)| *key != k);
    }

    /// The error code and whether it redirects.
    fn outcome(r: Result<AuthRequest, AuthorizeError>) -> Option<(&'static str, bool)> {
        match r {
            Ok(_) => None,
            Err(AuthorizeError::NoRedirect(e)) => Some((e.code.as_str(), false)),
            Err(AuthorizeError::Redirect { error, .. }) => Some((error.code.as_str(), true)),
        }
    }

    #[test]
    fn a_complete_request_validates() {
        let req = run(AppType::Spa, |_| {}).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(req.scopes, ["openid", "email"]);
        assert_eq!(req.state.as_deref(), Some("xyz"));
        assert_eq!(req.response_mode, ResponseMode::Query);
        assert!(req.wants_openid());
    }

    #[test]
    fn every_rule_has_its_error_and_redirect_decision() {
        type Edit = fn(&mut Vec<(&'static str, String)>);
        type Case = (&'static str, AppType, Edit, Option<(&'static str, bool)>);
        let cases: Vec<Case> = vec![
            ("missing client_id", AppType::Spa, |p| unset(p, "client_id"), Some(("invalid_request", false))),
            (
                "duplicate client_id",
                AppType::Spa,
                |p| p.push(("client_id", "client1".into())),
                Some(("invalid_request", false)),
            ),
            ("missing redirect_uri", AppType::Spa, |p| unset(p, "redirect_uri"), Some(("invalid_request", false))),
            (
                "duplicate redirect_uri",
                AppType::Spa,
                |p| p.push(("redirect_uri", "https://app.example.com/cb".into())),
                Some(("invalid_request", false)),
            ),
            (
                "extra path",
                AppType::Spa,
                |p| set(p, "redirect_uri", "https://app.example.com/cb/x"),
                Some(("invalid_request", false)),
            ),
            (
                "extra query",
                AppType::Spa,
                |p| set(p, "redirect_uri", "https://app.example.com/cb?a=1"),
                Some(("invalid_request", false)),
            ),
            (
                "trailing slash",
                AppType::Spa,
                |p| set(p, "redirect_uri", "https://app.example.com/cb/"),
                Some(("invalid_request", false)),
            ),
            (
                "other scheme",
                AppType::Spa,
                |p| set(p, "redirect_uri", "http://app.example.com/cb"),
                Some(("invalid_request", false)),
            ),
            (
                "userinfo",
                AppType::Spa,
                |p| set(p, "redirect_uri", "https://evil@app.example.com/cb"),
                Some(("invalid_request", false)),
            ),
            (
                "dot segments",
                AppType::Spa,
                |p| set(p, "redirect_uri", "https://app.example.com/x/../cb"),
                Some(("invalid_request", false)),
            ),
            (
                "loopback port on a SPA",
                AppType::Spa,
                |p| set(p, "redirect_uri", "http://127.0.0.1:4000/cb"),
                Some(("invalid_request", false)),
            ),
            (
                "loopback port on a native app",
                AppType::Native,
                |p| set(p, "redirect_uri", "http://127.0.0.1:4000/cb"),
                None,
            ),
            ("machine to machine", AppType::MachineToMachine, |_| {}, Some(("unauthorized_client", false))),
            ("duplicate state", AppType::Spa, |p| p.push(("state", "other".into())), Some(("invalid_request", true))),
            ("duplicate scope", AppType::Spa, |p| p.push(("scope", "openid".into())), Some(("invalid_request", true))),
            ("missing response_type", AppType::Spa, |p| unset(p, "response_type"), Some(("invalid_request", true))),
            (
                "implicit flow",
                AppType::Spa,
                |p| set(p, "response_type", "token"),
                Some(("unsupported_response_type", true)),
            ),
            (
                "hybrid flow",
                AppType::Spa,
                |p| set(p, "response_type", "code id_token"),
                Some(("unsupported_response_type", true)),
            ),
            (
                "bad response_mode",
                AppType::Spa,
                |p| set(p, "response_mode", "fragment"),
                Some(("invalid_request", true)),
            ),
            ("form_post", AppType::Spa, |p| set(p, "response_mode", "form_post"), None),
            ("bad scope token", AppType::Spa, |p| set(p, "scope", "openid \"quoted\""), Some(("invalid_scope", true))),
            ("plain PKCE", AppType::Spa, |p| set(p, "code_challenge_method", "plain"), Some(("invalid_request", true))),
            (
                "unknown PKCE method",
                AppType::Spa,
                |p| set(p, "code_challenge_method", "S512"),
                Some(("invalid_request", true)),
            ),
            (
                "challenge without method",
                AppType::Spa,
                |p| unset(p, "code_challenge_method"),
                Some(("invalid_request", true)),
            ),
            (
                "method without challenge",
                AppType::Traditional,
                |p| unset(p, "code_challenge"),
                Some(("invalid_request", true)),
            ),
            (
                "malformed challenge",
                AppType::Spa,
                |p| set(p, "code_challenge", "short"),
                Some(("invalid_request", true)),
            ),
            (
                "public client without PKCE",
                AppType::Spa,
                |p| {
                    unset(p, "code_challenge");
                    unset(p, "code_challenge_method")
                },
                Some(("invalid_request", true)),
            ),
            (
                "native client without PKCE",
                AppType::Native,
                |p| {
                    unset(p, "code_challenge");
                    unset(p, "code_challenge_method")
                },
                Some(("invalid_request", true)),
            ),
            (
                "confidential client without PKCE",
                AppType::Traditional,
                |p| {
                    unset(p, "code_challenge");
                    unset(p, "code_challenge_method")
                },
                None,
            ),
            (
                "prompt none with login",
                AppType::Spa,
                |p| set(p, "prompt", "none login"),
                Some(("invalid_request", true)),
            ),
            ("unknown prompt", AppType::Spa, |p| set(p, "prompt", "create"), Some(("invalid_request", true))),
            ("negative max_age", AppType::Spa, |p| set(p, "max_age", "-1"), Some(("invalid_request", true))),
            ("non-numeric max_age", AppType::Spa, |p| set(p, "max_age", "soon"), Some(("invalid_request", true))),
            ("request object", AppType::Spa, |p| set(p, "request", "eyJ..."), Some(("request_not_supported", true))),
            (
                "request_uri",
                AppType::Spa,
                |p| set(p, "request_uri", "https://x"),
                Some(("request_uri_not_supported", true)),
            ),
            (
                "relative resource",
                AppType::Spa,
                |p| p.push(("resource", "/api".into())),
                Some(("invalid_target", true)),
            ),
            (
                "resource with fragment",
                AppType::Spa,
                |p| p.push(("resource", "https://api#x".into())),
                Some(("invalid_target", true)),
            ),
            (
                "two resources",
                AppType::Spa,
                |p| {
                    p.push(("resource", "https://a".into()));
                    p.push(("resource", "https://b".into()))
                },
                None,
            ),
            ("nonce at its limit", AppType::Spa, |p| set(p, "nonce", &"n".repeat(crate::params::MAX_NONCE_LEN)), None),
            ("login_hint at its limit", AppType::Spa, |p| set(p, "login_hint", &"a".repeat(256)), None),
        ];
        for (name, t, edit, expected) in cases {
            assert_eq!(outcome(run(t, edit)), expected, "{name}");
        }
    }

    #[test]
    fn oversized_kept_parameters_are_refused_before_any_redirect() {
        for (name, max) in crate::params::PARAM_LIMITS {
            let mut pairs: Vec<(String, String)> =
                base().into_iter().filter(|(k, _)| k != name).map(|(k, v)| (k.to_owned(), v)).collect();
            pairs.push(((*name).to_owned(), "x".repeat(max + 1)));
            let err = Params::from_pairs(pairs).err().map(|e| e.code);
            assert_eq!(err, Some(ErrorCode::InvalidRequest), "{name}");
        }
    }

    #[test]
    fn unknown_client_never_redirects() {
        let params = Params::parse("client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code")
            .unwrap_or_default();
        assert!(
            matches!(validate(&params, None), Err(AuthorizeError::NoRedirect(e)) if e.code == ErrorCode::InvalidClient)
        );
    }

    #[test]
    fn redirect_errors_carry_state_and_mode() {
        let r = run(AppType::Spa, |p| {
            set(p, "response_type", "token");
            set(p, "response_mode", "form_post");
        });
        match r {
            Err(AuthorizeError::Redirect { state, response_mode, redirect_uri, .. }) => {
                assert_eq!(state.as_deref(), Some("xyz"));
                assert_eq!(response_mode, ResponseMode::FormPost);
                assert_eq!(redirect_uri, "https://app.example.com/cb");
            }
            other => panic!("{other:?}"),
        }
    }
}

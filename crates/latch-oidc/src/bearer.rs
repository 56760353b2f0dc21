//! Bearer access tokens presented to Latch itself (RFC 6750, RFC 9068 §4): checking a verified
//! JWT access token for one audience, and who may call the admin API with it (DESIGN.md
//! "Scopes are per resource": only the console for a person holding the admin role, or a
//! machine-to-machine app holding it).

use crate::tokens::AT_JWT_TYP;
use latch_domain::Timestamp;
use latch_domain::admin::{ADMIN_SCOPE, CONSOLE_CLIENT_ID};
use latch_domain::entities::AppType;
use latch_domain::ids::{ApplicationId, UserId};
use serde_json::{Map, Value};

/// What a valid access token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessTokenFacts {
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
}

/// Why a token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejected {
    /// Not an `at+jwt` of this issuer, expired, or malformed (RFC 6750 §3.1 `invalid_token`).
    Invalid,
    /// Valid, but for another audience (`invalid_token`: it is not meant for this API).
    WrongAudience,
    /// Valid for this API but without the scope it needs (RFC 6750 §3.1 `insufficient_scope`).
    InsufficientScope,
    /// Issued to a client that may not use this API at all.
    WrongClient,
}

impl Rejected {
    pub fn describe(self) -> &'static str {
        match self {
            Rejected::Invalid => "the access token is invalid or expired",
            Rejected::WrongAudience => "the access token is not for the admin API",
            Rejected::InsufficientScope => "the access token lacks the `all` scope of the admin API",
            Rejected::WrongClient => {
                "admin tokens are accepted only from the console or a machine-to-machine app holding the admin role"
            }
        }
    }
}

fn has_audience(aud: Option<&Value>, audience: &str) -> bool {
    match aud {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

/// What an `Authorization` header value carries (RFC 6750 §2.1: `Bearer <token>`, the scheme
/// case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationHeader<'a> {
    Bearer(&'a str),
    /// Another scheme, or `Bearer` with no token.
    NotBearer,
}

/// The one reading of an `Authorization` header for bearer tokens.
pub fn parse_authorization(value: &str) -> AuthorizationHeader<'_> {
    let v = value.trim();
    match v.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") && !v[7..].trim().is_empty() => {
            AuthorizationHeader::Bearer(v[7..].trim())
        }
        _ => AuthorizationHeader::NotBearer,
    }
}

/// RFC 9068 §4 without the audience: the signature already verified, the token must be an
/// `at+jwt` from `issuer`, unexpired, naming its client and subject. The one liveness rule for
/// every access token Latch is shown (the admin API, introspection).
pub fn live_access_token(
    claims: &Map<String, Value>,
    typ: Option<&str>,
    issuer: &str,
    now: Timestamp,
) -> Result<AccessTokenFacts, Rejected> {
    if !typ.is_some_and(|t| t.eq_ignore_ascii_case(AT_JWT_TYP)) {
        return Err(Rejected::Invalid);
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= now.0 || claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(Rejected::Invalid);
    }
    let text = |k: &str| claims.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_owned);
    let (Some(client_id), Some(subject)) = (text("client_id"), text("sub")) else { return Err(Rejected::Invalid) };
    let scopes = text("scope").map(|s| s.split(' ').map(str::to_owned).collect()).unwrap_or_default();
    Ok(AccessTokenFacts { client_id, subject, scopes })
}

/// RFC 9068 §4: [`live_access_token`], and for `audience`.
pub fn validate_access_token(
    claims: &Map<String, Value>,
    typ: Option<&str>,
    issuer: &str,
    audience: &str,
    now: Timestamp,
) -> Result<AccessTokenFacts, Rejected> {
    let facts = live_access_token(claims, typ, issuer, now)?;
    if !has_audience(claims.get("aud"), audience) {
        return Err(Rejected::WrongAudience);
    }
    Ok(facts)
}

/// Who calls the admin API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCaller {
    /// A person signed in to the console; their admin role is rechecked on every request.
    Person(UserId),
    /// A machine-to-machine app (`client_credentials`); its admin role is rechecked too.
    Machine(ApplicationId),
}

/// Decides who an admin token speaks for. `client_type` is the type of the token's client
/// as stored now (`None` when it no longer exists).
pub fn admin_caller(facts: &AccessTokenFacts, client_type: Option<AppType>) -> Result<AdminCaller, Rejected> {
    if !facts.scopes.iter().any(|s| s == ADMIN_SCOPE) {
        return Err(Rejected::InsufficientScope);
    }
    let own_subject = facts.subject == facts.client_id;
    match client_type {
        Some(AppType::MachineToMachine) if own_subject => Ok(AdminCaller::Machine(facts.client_id.as_str().into())),
        Some(_) if facts.client_id == CONSOLE_CLIENT_ID && !own_subject => {
            Ok(AdminCaller::Person(facts.subject.as_str().into()))
        }
        _ => Err(Rejected::WrongClient),
    }
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn the_authorization_header_is_read_once_for_every_caller() {
        let cases = [
            ("Bearer abc", AuthorizationHeader::Bearer("abc")),
            ("bearer  abc ", AuthorizationHeader::Bearer("abc")),
            ("BEARER x.y.z", AuthorizationHeader::Bearer("x.y.z")),
            ("Bearer ", AuthorizationHeader::NotBearer),
            ("Bearer", AuthorizationHeader::NotBearer),
            ("Basic YTpi", AuthorizationHeader::NotBearer),
            ("", AuthorizationHeader::NotBearer),
            ("Bearér abc", AuthorizationHeader::NotBearer),
        ];
        for (value, want) in cases {
            assert_eq!(parse_authorization(value), want, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://id.example.com/oidc";
    const ADMIN: &str = "urn:latch:api:admin";

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn good() -> Value {
        json!({"iss": ISS, "aud": ADMIN, "exp": 200, "client_id": "console", "sub": "u1", "scope": "all"})
    }

    fn with(k: &str, v: Value) -> Map<String, Value> {
        let mut c = claims(good());
        c.insert(k.to_owned(), v);
        c
    }

    #[test]
    fn access_tokens_are_checked_for_issuer_expiry_audience_and_parties() {
        let now = Timestamp(100);
        type Case = (&'static str, Map<String, Value>, Option<&'static str>, Result<(), Rejected>);
        let cases: Vec<Case> = vec![
            ("valid", claims(good()), Some("at+jwt"), Ok(())),
            ("typ is case-insensitive", claims(good()), Some("AT+JWT"), Ok(())),
            ("an ID token is no access token", claims(good()), Some("JWT"), Err(Rejected::Invalid)),
            ("no typ", claims(good()), None, Err(Rejected::Invalid)),
            ("expired", with("exp", json!(100)), Some("at+jwt"), Err(Rejected::Invalid)),
            ("another issuer", with("iss", json!("https://evil")), Some("at+jwt"), Err(Rejected::Invalid)),
            ("no client", with("client_id", json!("")), Some("at+jwt"), Err(Rejected::Invalid)),
            ("another API", with("aud", json!("https://a")), Some("at+jwt"), Err(Rejected::WrongAudience)),
            ("audience list", with("aud", json!(["https://a", ADMIN])), Some("at+jwt"), Ok(())),
        ];
        for (name, c, typ, expected) in cases {
            assert_eq!(validate_access_token(&c, typ, ISS, ADMIN, now).map(|_| ()), expected, "{name}");
        }
    }

    #[test]
    fn only_the_console_and_admin_machines_call_the_admin_api() {
        let facts = |client: &str, sub: &str, scope: &str| AccessTokenFacts {
            client_id: client.into(),
            subject: sub.into(),
            scopes: vec![scope.into()],
        };
        type Case = (&'static str, AccessTokenFacts, Option<AppType>, Result<AdminCaller, Rejected>);
        let cases: Vec<Case> = vec![
            (
                "a person in the console",
                facts("console", "u1", "all"),
                Some(AppType::Spa),
                Ok(AdminCaller::Person("u1".into())),
            ),
            (
                "a machine",
                facts("robot", "robot", "all"),
                Some(AppType::MachineToMachine),
                Ok(AdminCaller::Machine("robot".into())),
            ),
            ("no admin scope", facts("console", "u1", "read"), Some(AppType::Spa), Err(Rejected::InsufficientScope)),
            (
                "a first-party web app for a person",
                facts("web", "u1", "all"),
                Some(AppType::Traditional),
                Err(Rejected::WrongClient),
            ),
            (
                "a third-party app's own token",
                facts("web", "web", "all"),
                Some(AppType::Traditional),
                Err(Rejected::WrongClient),
            ),
            (
                "a machine speaking for a person",
                facts("robot", "u1", "all"),
                Some(AppType::MachineToMachine),
                Err(Rejected::WrongClient),
            ),
            (
                "the console as itself",
                facts("console", "console", "all"),
                Some(AppType::Spa),
                Err(Rejected::WrongClient),
            ),
            ("a deleted client", facts("robot", "robot", "all"), None, Err(Rejected::WrongClient)),
            ("a deleted console", facts("console", "u1", "all"), None, Err(Rejected::WrongClient)),
        ];
        for (name, f, client_type, expected) in cases {
            assert_eq!(admin_caller(&f, client_type), expected, "{name}");
        }
    }
}

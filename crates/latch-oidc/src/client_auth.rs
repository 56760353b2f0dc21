//! Client authentication at the token endpoint (RFC 6749 §2.3): `client_secret_basic`,
//! `client_secret_post`, or `none` for public clients with PKCE.

use crate::crypto;
use crate::error::OAuthError;
use crate::params::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use latch_domain::Timestamp;
use latch_domain::entities::{AppSecret, Application};

/// How the client presented itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic` (RFC 6749 §2.3.1).
    Basic { client_id: String, secret: String },
    /// `client_id` + `client_secret` in the body.
    Post { client_id: String, secret: String },
    /// `client_id` alone: a public client.
    None { client_id: String },
}

impl Presented {
    pub fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. } | Presented::Post { client_id, .. } | Presented::None { client_id } => {
                client_id
            }
        }
    }

    pub fn used_basic(&self) -> bool {
        matches!(self, Presented::Basic { .. })
    }
}

/// An error from client authentication, remembering whether Basic was attempted (the caller
/// then answers 401 with `WWW-Authenticate: Basic`, RFC 6749 §5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAuthError {
    pub error: OAuthError,
    pub used_basic: bool,
    /// The name of the expired secret the client presented, when it presented one (the
    /// operator's audit trail says so; the client is told only that the secret has expired).
    pub expired_secret: Option<String>,
}

fn form_decode(s: &str) -> Option<String> {
    // RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={}", s.replace('&', "%26"))).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Reads the credentials from the `Authorization` header and the body.
pub fn extract(authorization: Option<&str>, params: &Params) -> Result<Presented, ClientAuthError> {
    let basic = authorization
        .map(str::trim)
        .and_then(|h| h.get(..6).filter(|scheme| scheme.eq_ignore_ascii_case("basic ")).and(h.get(6..)))
        .map(str::trim);
    if let Some(encoded) = basic {
        let fail =
            |d: &str| ClientAuthError { error: OAuthError::invalid_client(d), used_basic: true, expired_secret: None };
        let decoded = STANDARD.decode(encoded).map_err(|_| fail("malformed Basic credentials"))?;
        let text = String::from_utf8(decoded).map_err(|_| fail("malformed Basic credentials"))?;
        let (id, secret) = text.split_once(':').ok_or_else(|| fail("malformed Basic credentials"))?;
        let (id, secret) = match (form_decode(id), form_decode(secret)) {
            (Some(i), Some(s)) => (i, s),
            _ => return Err(fail("malformed Basic credentials")),
        };
        if params.get("client_secret").is_some() {
            return Err(ClientAuthError {
                error: OAuthError::invalid_request("use one client authentication method, not Basic and client_secret"),
                used_basic: true,
                expired_secret: None,
            });
        }
        if params.get("client_id").is_some_and(|body_id| body_id != id) {
            return Err(ClientAuthError {
                error: OAuthError::invalid_request("client_id in the body differs from the Basic credentials"),
                used_basic: true,
                expired_secret: None,
            });
        }
        return Ok(Presented::Basic { client_id: id, secret });
    }
    let no_basic = |e: OAuthError| ClientAuthError { error: e, used_basic: false, expired_secret: None };
    match (params.get("client_id"), params.get("client_secret")) {
        (Some(id), Some(secret)) => Ok(Presented::Post { client_id: id.to_owned(), secret: secret.to_owned() }),
        (Some(id), None) => Ok(Presented::None { client_id: id.to_owned() }),
        (None, _) => Err(no_basic(OAuthError::invalid_client("client authentication is required"))),
    }
}

/// Authenticates `presented` against the application and its secrets (RFC 6749 §3.2.1).
pub fn authenticate(
    presented: &Presented,
    app: Option<&Application>,
    secrets: &[AppSecret],
    now: Timestamp,
) -> Result<(), ClientAuthError> {
    let fail = |d: &str| ClientAuthError {
        error: OAuthError::invalid_client(d),
        used_basic: presented.used_basic(),
        expired_secret: None,
    };
    let Some(app) = app else {
        return Err(fail("client authentication failed"));
    };
    let confidential = app.app_type.is_confidential();
    match presented {
        Presented::None { .. } if confidential => Err(fail("this client must authenticate with its client secret")),
        Presented::None { .. } => Ok(()),
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            if !confidential {
                return Err(fail("public clients have no secret; authenticate with PKCE only"));
            }
            // Check every secret, live or not, so the time taken does not depend on which one
            // matched.
            let (mut live, mut expired) = (false, None);
            for s in secrets {
                if crypto::secret_matches(secret, &s.hash) {
                    if s.is_live(now) {
                        live = true;
                    } else {
                        expired = Some(s.name.clone());
                    }
                }
            }
            match (live, expired) {
                (true, _) => Ok(()),
                (false, Some(name)) => {
                    Err(ClientAuthError { expired_secret: Some(name), ..fail("the client secret has expired") })
                }
                (false, None) => Err(fail("client authentication failed")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use latch_domain::entities::{AppType, CustomClientMetadata};
    use latch_domain::ids::ApplicationId;

    fn app(t: AppType) -> Application {
        Application {
            id: ApplicationId::from("c1"),
            name: "A".into(),
            description: None,
            app_type: t,
            is_third_party: false,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            custom: CustomClientMetadata::default(),
            created_at: Timestamp(0),
        }
    }

    fn secret(value: &str, expires: Option<i64>) -> AppSecret {
        AppSecret {
            application_id: ApplicationId::from("c1"),
            name: value.into(),
            hash: crypto::token_hash(value),
            created_at: Timestamp(0),
            expires_at: expires.map(Timestamp),
        }
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn a_non_ascii_authorization_header_is_no_credential_not_a_panic() {
        // Found by the `token_request` fuzz target: byte 6 fell inside a multi-byte character.
        for header in ["\0\0\0\u{10}\u{fffd}\0 x", "basi\u{e9}x", "\u{e9}\u{e9}\u{e9}\u{e9}"] {
            let r = extract(Some(header), &Params::default());
            assert!(matches!(&r, Err(e) if !e.used_basic), "{header:?}: {r:?}");
        }
    }

    #[test]
    fn extraction_rules() {
        let empty = Params::default();
        let body = |s: &str| Params::parse(s).unwrap_or_default();
        assert_eq!(
            extract(Some(&basic("c1", "s%3Ac")), &empty).ok(),
            Some(Presented::Basic { client_id: "c1".into(), secret: "s:c".into() }),
            "Basic parts are form-decoded"
        );
        assert_eq!(
            extract(None, &body("client_id=c1&client_secret=s")).ok(),
            Some(Presented::Post { client_id: "c1".into(), secret: "s".into() })
        );
        assert_eq!(extract(None, &body("client_id=c1")).ok(), Some(Presented::None { client_id: "c1".into() }));
        let err = |r: Result<Presented, ClientAuthError>| r.err().map(|e| (e.error.code.as_str(), e.used_basic));
        assert_eq!(err(extract(None, &empty)), Some(("invalid_client", false)));
        assert_eq!(err(extract(Some("Basic !!!"), &empty)), Some(("invalid_client", true)));
        assert_eq!(err(extract(Some(&basic("c1", "s")), &body("client_secret=s"))), Some(("invalid_request", true)));
        assert_eq!(err(extract(Some(&basic("c1", "s")), &body("client_id=c2"))), Some(("invalid_request", true)));
    }

    #[test]
    fn authentication_rules() {
        let now = Timestamp(100);
        let live = [secret("old", Some(50)), secret("good", None), secret("soon", Some(200))];
        let web = app(AppType::Traditional);
        let spa = app(AppType::Spa);
        let post = |s: &str| Presented::Post { client_id: "c1".into(), secret: s.into() };
        let none = Presented::None { client_id: "c1".into() };
        assert!(authenticate(&post("good"), Some(&web), &live, now).is_ok());
        assert!(authenticate(&post("soon"), Some(&web), &live, now).is_ok());
        let expired = authenticate(&post("old"), Some(&web), &live, now).expect_err("expired secrets fail");
        assert_eq!(expired.expired_secret.as_deref(), Some("old"), "and are named for the audit trail");
        assert_eq!(expired.error.description, "the client secret has expired");
        assert_eq!(authenticate(&post("wrong"), Some(&web), &live, now).err().and_then(|e| e.expired_secret), None);
        assert!(authenticate(&post("wrong"), Some(&web), &live, now).is_err());
        assert!(authenticate(&none, Some(&web), &live, now).is_err(), "confidential clients must authenticate");
        assert!(authenticate(&none, Some(&spa), &[], now).is_ok());
        assert!(authenticate(&post("x"), Some(&spa), &[], now).is_err());
        assert!(authenticate(&post("good"), None, &live, now).is_err(), "unknown client");
        let basic_err =
            authenticate(&Presented::Basic { client_id: "c1".into(), secret: "wrong".into() }, Some(&web), &live, now);
        assert!(basic_err.is_err_and(|e| e.used_basic));
    }
}

//! RP-initiated logout requests (OpenID Connect RP-Initiated Logout 1.0 §2, §3): the
//! `id_token_hint` (accepted when Latch's keys verify it, even expired), the client, and
//! whether `post_logout_redirect_uri` may be used.

use crate::error::OAuthError;
use crate::keys::KeySet;
use crate::params::Params;
use latch_domain::entities::Application;
use serde_json::Value;

/// What a verified `id_token_hint` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The user the RP believes is signed in.
    pub sub: String,
    /// The client the ID token was issued to (its `aud`).
    pub client_id: String,
}

/// A validated logout request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    pub hint: Option<Hint>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// The audience of an ID token: a string, or a one-element array (OpenID Connect Core §2).
fn audience(claims: &serde_json::Map<String, Value>) -> Option<String> {
    match claims.get("aud")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// Validates the parameters. RP-Initiated Logout §2: the `id_token_hint` is an ID token Latch
/// issued; "the OP need not be concerned with its expiration", so only the signature (by a key
/// in `keys`), `iss` and `typ` are checked. A `client_id` must match the hint's audience.
pub fn parse(params: &Params, keys: &KeySet, issuer: &str) -> Result<LogoutRequest, OAuthError> {
    params.reject_duplicates()?;
    let hint = match params.get("id_token_hint") {
        None => None,
        Some(token) => {
            let bad = || OAuthError::invalid_request("id_token_hint is not an ID token issued by this provider");
            let (claims, typ) = keys.verify(token).ok_or_else(bad)?;
            if typ.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
                || claims.get("iss").and_then(Value::as_str) != Some(issuer)
            {
                return Err(bad());
            }
            let sub = claims.get("sub").and_then(Value::as_str).ok_or_else(bad)?.to_owned();
            let client_id = audience(&claims).ok_or_else(bad)?;
            Some(Hint { sub, client_id })
        }
    };
    let client_id = params.get("client_id").map(str::to_owned);
    if let (Some(h), Some(c)) = (&hint, &client_id)
        && &h.client_id != c
    {
        return Err(OAuthError::invalid_request("client_id does not match the audience of id_token_hint"));
    }
    Ok(LogoutRequest {
        hint,
        client_id,
        post_logout_redirect_uri: params.get("post_logout_redirect_uri").map(str::to_owned),
        state: params.get("state").map(str::to_owned),
    })
}

impl LogoutRequest {
    /// The client the request names, through the hint or `client_id`.
    pub fn client(&self) -> Option<&str> {
        self.hint.as_ref().map(|h| h.client_id.as_str()).or(self.client_id.as_deref())
    }

    /// Where to send the browser afterwards: `post_logout_redirect_uri` with `state`, only when
    /// it exactly matches one registered for the named client (RP-Initiated Logout §3: "MUST
    /// NOT perform post-logout redirection" otherwise; exact string comparison as for redirect
    /// URIs, RFC 9700 §4.1.3).
    pub fn redirect(&self, app: Option<&Application>) -> Option<String> {
        let uri = self.post_logout_redirect_uri.as_deref()?;
        let app = app.filter(|a| Some(a.id.as_str()) == self.client())?;
        if !app.post_logout_redirect_uris.iter().any(|r| r == uri) || !latch_domain::redirect::is_canonical(uri) {
            return None;
        }
        // The registered string itself, never a re-serialised parse of it.
        let state = self.state.as_deref().map(|s| ("state", s));
        Some(latch_domain::redirect::with_query(uri, state))
    }

    /// Whether the request can be tied to the signed-in user `user_id`: only a verified hint
    /// naming that user can (otherwise the user is asked to confirm, §2 "SHOULD ask").
    pub fn names_user(&self, user_id: &str) -> bool {
        self.hint.as_ref().is_some_and(|h| h.sub == user_id)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use crate::keys::{Alg, generate};
    use latch_domain::Timestamp;
    use latch_domain::entities::{AppType, CustomClientMetadata, KeyState};
    use latch_domain::ids::{ApplicationId, KeyId};
    use serde_json::{Map, json};

    const ISS: &str = "https://id.example.com/oidc";

    fn keys(kid: &str) -> KeySet {
        let k = generate(Alg::ES256, KeyId::from(kid), KeyState::Current, &[7; 32], Timestamp(1)).expect("key");
        KeySet::load(&[k], &[7; 32]).expect("load")
    }

    fn token(keys: &KeySet, typ: &str, claims: Value) -> String {
        let claims: Map<String, Value> = serde_json::from_value(claims).expect("object");
        keys.sign(Alg::ES256, typ, claims).expect("sign")
    }

    fn app() -> Application {
        Application {
            id: ApplicationId::from("web"),
            name: "Web".into(),
            description: None,
            app_type: AppType::Traditional,
            is_third_party: false,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec!["https://web.example.com/bye".into()],
            custom: CustomClientMetadata::default(),
            created_at: Timestamp(0),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).expect("params")
    }

    #[test]
    fn hints_are_accepted_only_when_latch_signed_them_even_expired() {
        let ours = keys("k1");
        let theirs = keys("k1");
        let expired = token(&ours, "JWT", json!({"iss": ISS, "sub": "u1", "aud": "web", "exp": 1, "iat": 0}));
        let req = parse(&params(&[("id_token_hint", &expired)]), &ours, ISS).expect("expired hint is fine");
        assert_eq!(req.hint, Some(Hint { sub: "u1".into(), client_id: "web".into() }));
        assert!(req.names_user("u1"));
        assert!(!req.names_user("u2"));
        let array_aud = token(&ours, "JWT", json!({"iss": ISS, "sub": "u1", "aud": ["web"]}));
        assert_eq!(parse(&params(&[("id_token_hint", &array_aud)]), &ours, ISS).expect("ok").client(), Some("web"));
        let forged = token(&theirs, "JWT", json!({"iss": ISS, "sub": "u1", "aud": "web"}));
        let access = token(&ours, "at+jwt", json!({"iss": ISS, "sub": "u1", "aud": "web"}));
        let other_iss = token(&ours, "JWT", json!({"iss": "https://evil/oidc", "sub": "u1", "aud": "web"}));
        let cases: [(&str, Vec<(&str, &str)>); 5] = [
            ("another key", vec![("id_token_hint", &forged)]),
            ("an access token", vec![("id_token_hint", &access)]),
            ("another issuer", vec![("id_token_hint", &other_iss)]),
            ("garbage", vec![("id_token_hint", "not.a.jwt")]),
            ("client_id differs", vec![("id_token_hint", &expired), ("client_id", "other")]),
        ];
        for (name, p) in cases {
            assert!(parse(&params(&p), &ours, ISS).is_err(), "{name}");
        }
    }

    #[test]
    fn post_logout_redirects_only_to_registered_uris_of_the_named_client() {
        let ours = keys("k1");
        let hint = token(&ours, "JWT", json!({"iss": ISS, "sub": "u1", "aud": "web"}));
        let bye = "https://web.example.com/bye";
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>);
        let cases: [Case<'_>; 6] = [
            (
                "hint and registered",
                vec![("id_token_hint", &hint), ("post_logout_redirect_uri", bye), ("state", "s 1")],
                Some("https://web.example.com/bye?state=s+1"),
            ),
            ("client_id and registered", vec![("client_id", "web"), ("post_logout_redirect_uri", bye)], Some(bye)),
            ("no client", vec![("post_logout_redirect_uri", bye)], None),
            (
                "unregistered",
                vec![("client_id", "web"), ("post_logout_redirect_uri", "https://web.example.com/bye/")],
                None,
            ),
            ("no uri", vec![("client_id", "web")], None),
            ("another client", vec![("client_id", "other"), ("post_logout_redirect_uri", bye)], None),
        ];
        for (name, p, expected) in cases {
            let req = parse(&params(&p), &ours, ISS).expect(name);
            assert_eq!(req.redirect(Some(&app())).as_deref(), expected, "{name}");
        }
    }
}

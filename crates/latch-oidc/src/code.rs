//! Authorization codes: what a code stands for, and the checks at the token endpoint
//! (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.8.2).

use crate::error::OAuthError;
use crate::pkce;
use latch_domain::Timestamp;
use latch_domain::ids::{ApplicationId, GrantId, SessionId, UserId};
use serde::{Deserialize, Serialize};

/// Everything an authorization code is bound to. Kept in the ephemeral store under the hash
/// of the code, taken (read and deleted atomically) on exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: ApplicationId,
    pub redirect_uri: String,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub grant_id: GrantId,
    /// Granted user scopes (`openid`, `email`, …, the organization markers).
    pub scopes: Vec<String>,
    /// Granted organization scopes.
    #[serde(default)]
    pub organization_scopes: Vec<String>,
    /// The resource indicators the authorization request named (RFC 8707 §2.1).
    pub resources: Vec<String>,
    /// Resource indicator → the scope names granted for it. A resource absent here was
    /// granted nothing (DESIGN.md "Scopes are per resource").
    #[serde(default)]
    pub resource_scopes: std::collections::BTreeMap<String, Vec<String>>,
    /// Organizations the user shared with the application.
    #[serde(default)]
    pub organizations: Vec<latch_domain::ids::OrganizationId>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    /// How the user signed in (RFC 8176), for the ID token's `amr` and `acr`.
    #[serde(default)]
    pub amr: Vec<String>,
    pub expires_at: Timestamp,
}

/// What the first exchange of a code issued, remembered so a replay can revoke it
/// (RFC 6749 §4.1.2: "the authorization server ... SHOULD revoke ... all tokens previously
/// issued based on that authorization code").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemedCode {
    pub grant_id: GrantId,
    /// The token family the exchange started: every refresh token rotated from it and every
    /// opaque access token minted along the way carries it.
    pub family: String,
}

/// Checks a token request against the code it presents.
pub fn check_exchange(
    record: &CodeRecord,
    client_id: &ApplicationId,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: Timestamp,
) -> Result<(), OAuthError> {
    if &record.client_id != client_id {
        return Err(OAuthError::invalid_grant("the code was issued to another client"));
    }
    if now >= record.expires_at {
        return Err(OAuthError::invalid_grant("the code has expired"));
    }
    match redirect_uri {
        None => return Err(OAuthError::invalid_request("parameter `redirect_uri` is missing")),
        Some(uri) if uri != record.redirect_uri => {
            return Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
        }
        Some(_) => {}
    }
    match (&record.code_challenge, code_verifier) {
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is missing")),
        (Some(challenge), Some(verifier)) => {
            if pkce::verify_s256(verifier, challenge) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"))
            }
        }
        // A verifier for a code issued without a challenge is a downgrade attempt.
        (None, Some(_)) => {
            Err(OAuthError::invalid_grant("code_verifier given but the authorization had no code_challenge"))
        }
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn record(challenge: Option<&str>) -> CodeRecord {
        CodeRecord {
            client_id: ApplicationId::from("c1"),
            redirect_uri: "https://app/cb".into(),
            user_id: UserId::from("u1"),
            session_id: SessionId::from("s1"),
            grant_id: GrantId::from("g1"),
            scopes: vec!["openid".into()],
            organization_scopes: vec![],
            resources: vec![],
            resource_scopes: Default::default(),
            organizations: vec![],
            nonce: Some("n".into()),
            code_challenge: challenge.map(str::to_owned),
            auth_time: Timestamp(100),
            amr: vec!["pwd".into()],
            expires_at: Timestamp(160),
        }
    }

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn exchange_rules() {
        let c1 = ApplicationId::from("c1");
        let pk = record(Some(CHALLENGE));
        let plain = record(None);
        let code = |r: Result<(), OAuthError>| r.err().map(|e| e.code);
        let now = Timestamp(120);
        assert_eq!(code(check_exchange(&pk, &c1, Some("https://app/cb"), Some(VERIFIER), now)), None);
        assert_eq!(code(check_exchange(&plain, &c1, Some("https://app/cb"), None, now)), None);
        let cases = [
            (
                "other client",
                check_exchange(&pk, &ApplicationId::from("c2"), Some("https://app/cb"), Some(VERIFIER), now),
                ErrorCode::InvalidGrant,
            ),
            (
                "expired",
                check_exchange(&pk, &c1, Some("https://app/cb"), Some(VERIFIER), Timestamp(160)),
                ErrorCode::InvalidGrant,
            ),
            (
                "other redirect",
                check_exchange(&pk, &c1, Some("https://app/cb2"), Some(VERIFIER), now),
                ErrorCode::InvalidGrant,
            ),
            ("missing redirect", check_exchange(&pk, &c1, None, Some(VERIFIER), now), ErrorCode::InvalidRequest),
            ("missing verifier", check_exchange(&pk, &c1, Some("https://app/cb"), None, now), ErrorCode::InvalidGrant),
            (
                "wrong verifier",
                check_exchange(&pk, &c1, Some("https://app/cb"), Some(&VERIFIER.replace('d', "e")), now),
                ErrorCode::InvalidGrant,
            ),
            (
                "downgrade",
                check_exchange(&plain, &c1, Some("https://app/cb"), Some(VERIFIER), now),
                ErrorCode::InvalidGrant,
            ),
        ];
        for (name, result, expected) in cases {
            assert_eq!(code(result), Some(expected), "{name}");
        }
    }
}

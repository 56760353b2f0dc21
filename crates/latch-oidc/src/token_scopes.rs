//! Which scopes each token carries (DESIGN.md "Scopes are per resource"; RFC 8707 §2.2): a
//! token for resource R carries only scopes *of R* that were permitted, shown, granted and are
//! still held. A resource with nothing granted is refused, never filled from other scopes.

use crate::code::CodeRecord;
use crate::error::OAuthError;
use latch_domain::scope;
use std::collections::BTreeMap;

fn nothing_for(indicator: &str) -> OAuthError {
    OAuthError::invalid_scope(format!("nothing was granted for the resource `{indicator}`"))
}

/// The scopes of a JWT access token for `indicator` from an authorization code: what the grant
/// gave that resource, still `held` by the user's roles now. A resource the request did not
/// name is `invalid_target`; one granted nothing is `invalid_scope`.
pub fn code_resource_scopes(record: &CodeRecord, indicator: &str, held: &[String]) -> Result<Vec<String>, OAuthError> {
    if !record.resources.iter().any(|r| r == indicator) {
        return Err(OAuthError::invalid_target("this resource was not part of the authorization"));
    }
    let granted = record.resource_scopes.get(indicator).map(Vec::as_slice).unwrap_or_default();
    let scopes: Vec<String> = granted.iter().filter(|s| held.contains(s)).cloned().collect();
    if scopes.is_empty() {
        return Err(nothing_for(indicator));
    }
    Ok(scopes)
}

/// The scopes of the opaque (userinfo) access token of a code: its user and organization scopes.
/// API scopes live only in the JWT of their resource.
pub fn code_identity_scopes(record: &CodeRecord) -> Vec<String> {
    let mut out = record.scopes.clone();
    for s in &record.organization_scopes {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// What a refresh token issued from `record` may mint resource tokens for: each resource that
/// was granted at least one scope, with exactly those scopes.
pub fn code_refresh_resources(record: &CodeRecord) -> BTreeMap<String, Vec<String>> {
    record.resource_scopes.iter().filter(|(_, names)| !names.is_empty()).map(|(r, n)| (r.clone(), n.clone())).collect()
}

/// The scopes of a `client_credentials` token (RFC 6749 §4.4.2): what the app's roles allow
/// for the resource, narrowed by `requested`. Nothing left is `invalid_scope`.
pub fn client_credentials_scopes(
    indicator: &str,
    allowed: &[String],
    requested: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let granted: Vec<String> = match requested {
        None => allowed.to_vec(),
        Some(s) => {
            let requested = scope::split(s);
            if let Some(bad) = requested.iter().find(|t| !scope::is_valid_token(t)) {
                return Err(OAuthError::invalid_scope(format!("`{bad}` is not a valid scope token")));
            }
            let mut out: Vec<String> = Vec::new();
            for r in requested {
                if allowed.contains(&r) && !out.contains(&r) {
                    out.push(r);
                }
            }
            out
        }
    };
    if granted.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "this application holds none of the requested scopes of the resource `{indicator}`"
        )));
    }
    Ok(granted)
}

/// What an organization token may carry (DESIGN.md "Third-party app rules"), all by name
/// within one organization (and, with a resource, within that resource).
#[derive(Clone, Copy, Debug)]
pub struct OrganizationTokenInput<'a> {
    /// Scopes the user holds in the organization through its organization roles, now.
    pub held: &'a [String],
    /// Scopes the grant recorded (what the user approved on the consent screen).
    pub granted: &'a [String],
    /// Scopes the app is permitted, or `None` for a first-party app.
    pub permitted: Option<&'a [String]>,
    /// The `scope` parameter of the token request, when given.
    pub requested: Option<&'a str>,
    /// The resource indicator, for an organization-resource token.
    pub resource: Option<&'a str>,
}

/// held ∩ granted ∩ permitted ∩ requested. A token for a resource with nothing left is
/// `invalid_scope`; a bare organization token may carry no scope (it still proves membership).
pub fn organization_token_scopes(input: OrganizationTokenInput<'_>) -> Result<Vec<String>, OAuthError> {
    let wanted = input.requested.map(scope::split);
    let scopes: Vec<String> = input
        .held
        .iter()
        .filter(|s| input.granted.contains(s))
        .filter(|s| input.permitted.is_none_or(|p| p.contains(s)))
        .filter(|s| wanted.as_ref().is_none_or(|w| w.contains(s)))
        .cloned()
        .collect();
    match input.resource {
        Some(indicator) if scopes.is_empty() => Err(nothing_for(indicator)),
        _ => Ok(scopes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use latch_domain::Timestamp;
    use latch_domain::ids::{ApplicationId, GrantId, SessionId, UserId};

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// The review's case: the code names A, B (which shares the scope name `all`) and the admin
    /// API; only A was granted `all`.
    fn record() -> CodeRecord {
        CodeRecord {
            client_id: ApplicationId::from("partner"),
            redirect_uri: "https://partner/cb".into(),
            user_id: UserId::from("u"),
            session_id: SessionId::from("s"),
            grant_id: GrantId::from("g"),
            scopes: strings(&["openid", "offline_access"]),
            organization_scopes: strings(&["invite"]),
            resources: strings(&["https://a", "https://b", "urn:latch:api:admin"]),
            resource_scopes: [("https://a".to_owned(), strings(&["all"])), ("https://c".to_owned(), vec![])].into(),
            organizations: vec![],
            nonce: None,
            code_challenge: None,
            auth_time: Timestamp(1),
            amr: vec!["pwd".into()],
            expires_at: Timestamp(61),
        }
    }

    #[test]
    fn a_code_gives_each_resource_only_its_own_granted_scopes() {
        let r = record();
        let held_everything = strings(&["all", "read"]);
        type Case<'a> = (&'a str, &'a str, &'a [String], Result<Vec<String>, ErrorCode>);
        let none: Vec<String> = vec![];
        let cases: [Case<'_>; 5] = [
            ("granted and held", "https://a", &held_everything, Ok(strings(&["all"]))),
            ("same name, other API, never granted", "https://b", &held_everything, Err(ErrorCode::InvalidScope)),
            ("the admin API, never granted", "urn:latch:api:admin", &held_everything, Err(ErrorCode::InvalidScope)),
            ("granted but no longer held", "https://a", &none, Err(ErrorCode::InvalidScope)),
            ("not named by the request", "https://other", &held_everything, Err(ErrorCode::InvalidTarget)),
        ];
        for (name, indicator, held, expected) in cases {
            assert_eq!(code_resource_scopes(&r, indicator, held).map_err(|e| e.code), expected, "{name}");
        }
    }

    #[test]
    fn identity_tokens_and_refresh_tokens_carry_no_borrowed_scopes() {
        let r = record();
        assert_eq!(code_identity_scopes(&r), strings(&["openid", "offline_access", "invite"]));
        let resources = code_refresh_resources(&r);
        assert_eq!(resources.keys().collect::<Vec<_>>(), ["https://a"], "b, admin and the empty c are absent");
        assert_eq!(resources["https://a"], strings(&["all"]));
    }

    #[test]
    fn client_credentials_never_answer_an_empty_scope() {
        let allowed = strings(&["read", "write"]);
        type Case<'a> = (&'a str, &'a [String], Option<&'a str>, Result<Vec<String>, ErrorCode>);
        let none: Vec<String> = vec![];
        let cases: [Case<'_>; 6] = [
            ("everything the roles allow", &allowed, None, Ok(strings(&["read", "write"]))),
            ("narrowed", &allowed, Some("write"), Ok(strings(&["write"]))),
            ("duplicates once", &allowed, Some("read read"), Ok(strings(&["read"]))),
            ("nothing asked is held", &allowed, Some("admin"), Err(ErrorCode::InvalidScope)),
            ("no role on the resource", &none, None, Err(ErrorCode::InvalidScope)),
            ("a malformed token", &allowed, Some("re\"ad"), Err(ErrorCode::InvalidScope)),
        ];
        for (name, allowed, requested, expected) in cases {
            assert_eq!(
                client_credentials_scopes("https://a", allowed, requested).map_err(|e| e.code),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn organization_tokens_stay_within_the_grant() {
        let held = strings(&["invite", "kick", "read"]);
        let granted = strings(&["kick", "read"]);
        let permitted = strings(&["invite", "kick"]);
        type Case<'a> = (&'a str, OrganizationTokenInput<'a>, Result<Vec<String>, ErrorCode>);
        let base = OrganizationTokenInput {
            held: &held,
            granted: &granted,
            permitted: Some(&permitted),
            requested: None,
            resource: None,
        };
        let cases: [Case<'_>; 6] = [
            ("unticked invite stays out", base, Ok(strings(&["kick"]))),
            (
                "first-party: the grant still bounds",
                OrganizationTokenInput { permitted: None, ..base },
                Ok(strings(&["kick", "read"])),
            ),
            ("requested narrows", OrganizationTokenInput { requested: Some("invite"), ..base }, Ok(vec![])),
            ("a bare organization token may be empty", OrganizationTokenInput { granted: &[], ..base }, Ok(vec![])),
            (
                "a resource token may not",
                OrganizationTokenInput { granted: &[], resource: Some("https://a"), ..base },
                Err(ErrorCode::InvalidScope),
            ),
            (
                "resource scopes within the grant",
                OrganizationTokenInput { permitted: None, resource: Some("https://a"), ..base },
                Ok(strings(&["kick", "read"])),
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(organization_token_scopes(input).map_err(|e| e.code), expected, "{name}");
        }
    }
}

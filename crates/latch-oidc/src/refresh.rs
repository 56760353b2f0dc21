//! Refresh tokens (RFC 6749 §1.5, §6; RFC 9700 §4.14): when one is issued, how long it lives,
//! whether a use rotates it, which scope a refresh may ask for, and whether a presented token
//! is still usable.

use crate::error::OAuthError;
use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Application, RefreshTokenRecord};
use latch_domain::scope;

/// The refresh-token lifetime when the app does not set `refreshTokenTtlInDays`.
pub const DEFAULT_TTL_DAYS: i64 = 14;
/// The longest lifetime an app may set (ten years).
const MAX_TTL_DAYS: i64 = 3650;

/// Whether a token response for `granted` scopes carries a refresh token: when
/// `offline_access` was granted (OpenID Connect Core §11) or the app always gets one.
/// Machine-to-machine apps never do (RFC 6749 §4.4.3).
pub fn issues_refresh_token(app: &Application, granted: &[String]) -> bool {
    if app.app_type == AppType::MachineToMachine {
        return false;
    }
    app.custom.always_issue_refresh_token == Some(true) || granted.iter().any(|s| s == scope::OFFLINE_ACCESS)
}

/// Lifetime in seconds: the app's `refreshTokenTtlInDays` (1 to 3650), 14 days by default.
pub fn ttl_secs(app: &Application) -> i64 {
    app.custom.refresh_token_ttl_in_days.unwrap_or(DEFAULT_TTL_DAYS).clamp(1, MAX_TTL_DAYS) * 86_400
}

/// Whether a use replaces the token with a new one. RFC 9700 §4.14.2: public clients' refresh
/// tokens MUST be sender-constrained or rotated, so they always rotate; confidential clients
/// rotate unless the app sets `rotateRefreshToken: false`.
pub fn rotates(app: &Application) -> bool {
    !app.app_type.is_confidential() || app.custom.rotate_refresh_token.unwrap_or(true)
}

/// What a presented refresh token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usable {
    /// Live, issued to this client: go on.
    Yes,
    /// Rotated out earlier and presented again: the grant's tokens must all be revoked
    /// (RFC 9700 §4.14.2).
    Replayed,
}

/// Checks a presented token against the client and the time (RFC 6749 §6: "validate the refresh
/// token ... ensure that the refresh token was issued to the authenticated client").
pub fn check(record: &RefreshTokenRecord, client_id: &str, now: Timestamp) -> Result<Usable, OAuthError> {
    if record.application_id.as_str() != client_id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    if record.consumed_at.is_some() {
        return Ok(Usable::Replayed);
    }
    if now >= record.expires_at {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    Ok(Usable::Yes)
}

/// The scope of a refresh (RFC 6749 §6): without `scope`, everything the token carries; with
/// it, a subset — a scope the token does not carry is `invalid_scope`.
pub fn down_scope(granted: &[String], requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else { return Ok(granted.to_vec()) };
    let mut out = Vec::new();
    for s in scope::split(requested) {
        if !granted.contains(&s) {
            return Err(OAuthError::invalid_scope(format!("`{s}` was not granted to this refresh token")));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// The scopes of a JWT access token minted on refresh for resource `indicator` (RFC 8707 §2.2):
/// those granted for it (narrowed by a `scope` parameter, which may name nothing the token
/// does not carry) that the user's roles still `held`. A resource the authorization did not
/// grant is `invalid_target`; one with nothing left is `invalid_scope`.
pub fn resource_scopes(
    record: &RefreshTokenRecord,
    indicator: &str,
    requested: Option<&str>,
    held: &[String],
) -> Result<Vec<String>, OAuthError> {
    let granted = record
        .resources
        .get(indicator)
        .ok_or_else(|| OAuthError::invalid_target("this resource was not part of the authorization"))?;
    let mut carried = scope::split(&record.scope);
    carried.extend(granted.iter().cloned());
    let wanted = down_scope(&carried, requested)?;
    let scopes: Vec<String> = granted.iter().filter(|s| wanted.contains(s) && held.contains(s)).cloned().collect();
    if scopes.is_empty() {
        // DESIGN.md "Scopes are per resource": never an audience with an empty scope.
        return Err(OAuthError::invalid_scope(format!("nothing granted for `{indicator}` is left to issue")));
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use latch_domain::entities::CustomClientMetadata;
    use latch_domain::ids::{ApplicationId, GrantId, UserId};

    fn app(t: AppType, custom: CustomClientMetadata) -> Application {
        Application {
            id: ApplicationId::from("c1"),
            name: "A".into(),
            description: None,
            app_type: t,
            is_third_party: false,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            custom,
            created_at: Timestamp(0),
        }
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn issuing_lifetime_and_rotation_rules() {
        let none = CustomClientMetadata::default;
        let always = || CustomClientMetadata { always_issue_refresh_token: Some(true), ..Default::default() };
        let keep = || CustomClientMetadata { rotate_refresh_token: Some(false), ..Default::default() };
        let offline = strings(&["openid", "offline_access"]);
        let online = strings(&["openid"]);
        let cases: [(&str, Application, &[String], bool); 5] = [
            ("offline_access", app(AppType::Traditional, none()), &offline, true),
            ("no offline_access", app(AppType::Spa, none()), &online, false),
            ("alwaysIssueRefreshToken", app(AppType::Native, always()), &online, true),
            ("machine-to-machine never", app(AppType::MachineToMachine, always()), &offline, false),
            ("spa with offline_access", app(AppType::Spa, none()), &offline, true),
        ];
        for (name, a, granted, expected) in cases {
            assert_eq!(issues_refresh_token(&a, granted), expected, "{name}");
        }
        let rotation = [
            ("confidential default", app(AppType::Traditional, none()), true),
            ("confidential opted out", app(AppType::Traditional, keep()), false),
            ("spa always", app(AppType::Spa, keep()), true),
            ("native always", app(AppType::Native, keep()), true),
        ];
        for (name, a, expected) in rotation {
            assert_eq!(rotates(&a), expected, "{name}");
        }
        assert_eq!(ttl_secs(&app(AppType::Spa, none())), 14 * 86_400);
        let days = |d| CustomClientMetadata { refresh_token_ttl_in_days: Some(d), ..Default::default() };
        assert_eq!(ttl_secs(&app(AppType::Spa, days(30))), 30 * 86_400);
        assert_eq!(ttl_secs(&app(AppType::Spa, days(0))), 86_400, "at least a day");
    }

    #[test]
    fn presented_tokens_are_checked() {
        let record = |consumed: Option<i64>| RefreshTokenRecord {
            token_hash: "h".into(),
            grant_id: GrantId::from("g"),
            application_id: ApplicationId::from("c1"),
            user_id: UserId::from("u"),
            family: "f".into(),
            scope: "openid offline_access".into(),
            resources: Default::default(),
            auth_time: Timestamp(1),
            amr: vec!["pwd".into()],
            issued_at: Timestamp(10),
            expires_at: Timestamp(100),
            consumed_at: consumed.map(Timestamp),
        };
        let code = |r: Result<Usable, OAuthError>| r.map_err(|e| e.code);
        let now = Timestamp(50);
        assert_eq!(code(check(&record(None), "c1", now)), Ok(Usable::Yes));
        assert_eq!(code(check(&record(Some(20)), "c1", now)), Ok(Usable::Replayed));
        assert_eq!(code(check(&record(Some(20)), "c1", Timestamp(500))), Ok(Usable::Replayed), "replay wins");
        assert_eq!(code(check(&record(None), "c2", now)), Err(ErrorCode::InvalidGrant), "other client");
        assert_eq!(code(check(&record(Some(20)), "c2", now)), Err(ErrorCode::InvalidGrant), "no revoke for others");
        assert_eq!(code(check(&record(None), "c1", Timestamp(100))), Err(ErrorCode::InvalidGrant), "expired");
    }

    #[test]
    fn resource_tokens_on_refresh_stay_within_the_grant_and_the_roles() {
        let record = RefreshTokenRecord {
            token_hash: "h".into(),
            grant_id: GrantId::from("g"),
            application_id: ApplicationId::from("c1"),
            user_id: UserId::from("u"),
            family: "f".into(),
            scope: "openid offline_access".into(),
            resources: [("https://api".to_owned(), strings(&["read", "write"]))].into(),
            auth_time: Timestamp(1),
            amr: vec!["pwd".into()],
            issued_at: Timestamp(10),
            expires_at: Timestamp(100),
            consumed_at: None,
        };
        let held = strings(&["read", "write", "admin"]);
        let only_read = strings(&["read"]);
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [String], Result<Vec<String>, ErrorCode>);
        let nothing: Vec<String> = vec![];
        let cases: [Case<'_>; 7] = [
            ("roles gone entirely", "https://api", None, &nothing, Err(ErrorCode::InvalidScope)),
            ("everything granted", "https://api", None, &held, Ok(strings(&["read", "write"]))),
            ("down-scoped", "https://api", Some("openid read"), &held, Ok(strings(&["read"]))),
            ("roles shrank", "https://api", None, &only_read, Ok(strings(&["read"]))),
            ("held but never granted", "https://api", Some("admin"), &held, Err(ErrorCode::InvalidScope)),
            ("another resource", "https://other", None, &held, Err(ErrorCode::InvalidTarget)),
            ("user scopes only", "https://api", Some("openid"), &held, Err(ErrorCode::InvalidScope)),
        ];
        for (name, indicator, requested, held, expected) in cases {
            assert_eq!(resource_scopes(&record, indicator, requested, held).map_err(|e| e.code), expected, "{name}");
        }
    }

    #[test]
    fn down_scoping_stays_within_the_grant() {
        let granted = strings(&["openid", "offline_access", "email", "read"]);
        type Case<'a> = (Option<&'a str>, Result<Vec<String>, ErrorCode>);
        let cases: [Case<'_>; 5] = [
            (None, Ok(granted.clone())),
            (Some("openid email"), Ok(strings(&["openid", "email"]))),
            (Some("read read"), Ok(strings(&["read"]))),
            (Some("openid profile"), Err(ErrorCode::InvalidScope)),
            (Some("write"), Err(ErrorCode::InvalidScope)),
        ];
        for (requested, expected) in cases {
            assert_eq!(down_scope(&granted, requested).map_err(|e| e.code), expected, "{requested:?}");
        }
    }
}

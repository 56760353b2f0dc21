//! What the identity provider counts for `/metrics` (the `metrics` facade; the binary installs
//! the Prometheus recorder and serves it). Every name and label set is declared here, and
//! every label value comes from a fixed set (grant types, OAuth error codes, outcomes), never
//! from the request, so a client cannot grow the series without bound.

use crate::errors::IdpError;

pub const GRANTS: &str = "latch_grants_total";
pub const SIGN_INS: &str = "latch_sign_ins_total";
pub const CONSENT: &str = "latch_consent_decisions_total";
pub const REFRESH_REUSE: &str = "latch_refresh_token_reuse_total";
pub const RATE_LIMITED: &str = "latch_rate_limit_refusals_total";

/// Registers the help text of every IdP metric with the installed recorder.
pub fn describe() {
    metrics::describe_counter!(GRANTS, "Token requests by grant_type and outcome (issued, or the OAuth error code)");
    metrics::describe_counter!(SIGN_INS, "Password sign-ins by outcome (success, failed, locked, busy)");
    metrics::describe_counter!(CONSENT, "Consent decisions by decision (authorize, cancel)");
    metrics::describe_counter!(
        REFRESH_REUSE,
        "Rotated-out refresh tokens presented again (the grant's tokens were revoked)"
    );
    metrics::describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by limit");
}

/// A token request's `grant_type` as a label: one of the supported types, `other`, or `none`
/// (absent, or the body was never read).
pub fn grant_label(grant_type: Option<&str>) -> &'static str {
    match grant_type {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        Some("client_credentials") => "client_credentials",
        Some(latch_oidc::device::GRANT_TYPE) => "device_code",
        Some(_) => "other",
        None => "none",
    }
}

/// The outcome label of a failed request: the OAuth error code where there is one.
pub fn outcome(e: &IdpError) -> &'static str {
    match e {
        IdpError::OAuth(e) | IdpError::Forbidden(e) | IdpError::Client { error: e, .. } | IdpError::Bearer(Some(e)) => {
            e.code.as_str()
        }
        IdpError::Bearer(None) => "no_token",
        IdpError::Authorize(_) => "authorize_error",
        IdpError::Page { .. } => "page_error",
        IdpError::RateLimited { .. } => "rate_limited",
        IdpError::Busy => "busy",
        IdpError::Unavailable { .. } => "unavailable",
    }
}

pub fn grant(grant_type: &'static str, result: Result<(), &IdpError>) {
    let outcome = result.err().map(outcome).unwrap_or("issued");
    metrics::counter!(GRANTS, "grant_type" => grant_type, "outcome" => outcome).increment(1);
}

#[derive(Debug, Clone, Copy)]
pub enum SignIn {
    Success,
    Failed,
    Locked,
    Busy,
}

pub fn sign_in(outcome: SignIn) {
    let outcome = match outcome {
        SignIn::Success => "success",
        SignIn::Failed => "failed",
        SignIn::Locked => "locked",
        SignIn::Busy => "busy",
    };
    metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

pub fn consent(authorized: bool) {
    metrics::counter!(CONSENT, "decision" => if authorized { "authorize" } else { "cancel" }).increment(1);
}

pub fn refresh_reuse() {
    metrics::counter!(REFRESH_REUSE).increment(1);
}

/// `limit` is one of the fixed scopes of `ratelimit` (`sign-in`, `token`, `interaction`, …).
pub fn rate_limited(limit: &'static str) {
    metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_oidc::OAuthError;

    #[test]
    fn labels_come_from_fixed_sets() {
        let cases: &[(Option<&str>, &str)] = &[
            (Some("client_credentials"), "client_credentials"),
            (Some("authorization_code"), "authorization_code"),
            (Some("refresh_token"), "refresh_token"),
            (Some("urn:ietf:params:oauth:grant-type:jwt-bearer"), "other"),
            (Some("\u{fffd}\u{fffd}"), "other"),
            (Some(""), "other"),
            (None, "none"),
        ];
        for (grant_type, want) in cases {
            assert_eq!(grant_label(*grant_type), *want, "{grant_type:?}");
        }
        assert_eq!(outcome(&IdpError::OAuth(OAuthError::invalid_grant("x"))), "invalid_grant");
        let client = IdpError::Client { error: OAuthError::invalid_client("x"), basic: true };
        assert_eq!(outcome(&client), "invalid_client");
        assert_eq!(outcome(&IdpError::RateLimited { retry_after: 1, json: true }), "rate_limited");
    }
}

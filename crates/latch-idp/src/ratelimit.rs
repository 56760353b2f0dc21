//! Attempt counters in the ephemeral store, so limits hold across nodes (DESIGN.md security
//! rules, `RateLimits`): per account (progressive delay after 5 failures, lock after 10),
//! per client IP (100 failures → 429) and per client IP for new interactions.
//!
//! Every attempt is counted *first*, with one atomic increment, and refused when the count
//! it got is over the limit; only then is it checked (argon2, client authentication). A
//! burst of concurrent attempts therefore gets counts 1, 2, 3, … and only the first ones
//! within the limit are ever checked. An attempt that turns out to be legitimate is given
//! back (`forgive_*`), so honest traffic is not held against an address or an account.

use crate::errors::{IdpError, JsonUnavailable};
use crate::state::IdpState;
use latch_domain::ids::UserId;
pub use latch_oidc::limits::AccountGate;
use latch_oidc::limits::{account_decision, over_limit};
use std::time::Duration;

/// Where `req` came from, for the security audit trail: the address [`client_ip`] reads and
/// the user agent.
pub fn origin(idp: &IdpState, req: &actix_web::HttpRequest) -> latch_core::security_log::Origin {
    let user_agent = req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok());
    latch_core::security_log::Origin { ip: client_ip(idp, req), user_agent: user_agent.map(str::to_owned) }
}

/// The client's address: the TCP peer, or with `trust_forwarded_for` the address the proxy in
/// front of Latch saw (the last `X-Forwarded-For` hop, the only one the proxy vouches for).
pub fn client_ip(idp: &IdpState, req: &actix_web::HttpRequest) -> String {
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    latch_core::security_log::client_address(
        idp.core.settings.trust_forwarded_for,
        forwarded,
        req.peer_addr().map(|a| a.ip()),
    )
}

/// Whose failures a sign-in attempt counts against.
#[derive(Clone, Copy, Debug)]
pub enum Account<'a> {
    /// The user the identifier resolved to: every identifier of that user (username, email,
    /// any case) shares one counter.
    User(&'a UserId),
    /// An identifier no user has: counted as such, so probing for accounts meets the same
    /// lock as attacking one.
    Unknown(&'a str),
}

fn account_key(account: Account<'_>) -> String {
    match account {
        Account::User(id) => latch_core::commands::sign_in_failures_key(id),
        Account::Unknown(identifier) => {
            format!("rl:login:{}", latch_oidc::crypto::sha256_b64(&identifier.trim().to_lowercase()))
        }
    }
}

fn ip_key(scope: &str, ip: &str) -> String {
    format!("rl:{scope}:ip:{}", latch_oidc::limits::address_bucket(ip))
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n.max(1))
}

async fn incr(idp: &IdpState, key: &str, window: u64, json: bool) -> Result<u64, IdpError> {
    let counted = idp.core.cache.incr(key, secs(window)).await;
    if json { counted.json_unavailable() } else { counted.page_unavailable() }
}

async fn give_back(idp: &IdpState, key: &str) {
    if let Err(e) = idp.core.cache.decr(key).await {
        tracing::warn!(error = %e, "cannot give an attempt back");
    }
}

/// Counts an attempt from `ip` at `scope` (`sign-in`, `token`, `revocation`,
/// `introspection`) and refuses it with 429 once the address is past its limit. The attempt
/// stays counted as a failure unless [`forgive_ip`] gives it back.
pub async fn count_ip(idp: &IdpState, scope: &'static str, ip: &str, json: bool) -> Result<(), IdpError> {
    let limits = &idp.core.settings.limits;
    let n = incr(idp, &ip_key(scope, ip), limits.failure_window, json).await?;
    if over_limit(n, limits.ip_failures) {
        crate::metrics::rate_limited(scope);
        return Err(IdpError::RateLimited { retry_after: limits.failure_window, json });
    }
    Ok(())
}

/// Gives back an attempt [`count_ip`] counted that succeeded.
pub async fn forgive_ip(idp: &IdpState, scope: &str, ip: &str) {
    give_back(idp, &ip_key(scope, ip)).await;
}

/// A sign-in attempt as counted against its account.
pub struct Attempt {
    /// Whether the password may be checked at all.
    pub gate: AccountGate,
    /// Whether this attempt, if it fails, locks the account.
    pub locks_on_failure: bool,
}

/// Counts a sign-in attempt against `account` before its password is checked and waits as the
/// count asks.
pub async fn count_account(idp: &IdpState, account: Account<'_>) -> Result<Attempt, IdpError> {
    let limits = &idp.core.settings.limits;
    let n = incr(idp, &account_key(account), limits.failure_window, false).await?;
    let gate = account_decision(limits, n);
    if let AccountGate::Open(delay) = gate
        && !delay.is_zero()
    {
        actix_web::rt::time::sleep(delay).await;
    }
    Ok(Attempt { gate, locks_on_failure: latch_oidc::limits::locks_on_failure(limits, n) })
}

/// After the right password: the account's failures are cleared (the user proved who they
/// are), so a few typos earlier in the window do not bring a later lock closer.
pub async fn forgive_account(idp: &IdpState, account: Account<'_>) {
    let _ = idp.core.cache.delete(&account_key(account)).await;
}

/// Gives back an attempt that was never checked (the hashing queue was full).
pub async fn uncount_account(idp: &IdpState, account: Account<'_>) {
    give_back(idp, &account_key(account)).await;
}

/// Counts a new interaction (a stored sign-in in progress) for `ip` and refuses past the
/// limit with 429: each costs memory until it expires, and creating one needs no credentials.
pub async fn count_interaction(idp: &IdpState, ip: &str, json: bool) -> Result<(), IdpError> {
    let limits = &idp.core.settings.limits;
    let n = incr(idp, &ip_key("interaction", ip), limits.interaction_window, json).await?;
    if over_limit(n, limits.interactions_per_ip) {
        crate::metrics::rate_limited("interaction");
        return Err(IdpError::RateLimited { retry_after: limits.interaction_window, json });
    }
    Ok(())
}

/// Counts an account created on the sign-up page from `ip` and refuses past
/// `limits.sign_ups_per_hour` with a 429 page: each stays until someone deletes it.
pub async fn count_sign_up(idp: &IdpState, ip: &str) -> Result<(), IdpError> {
    let per_hour = idp.core.settings.limits.sign_ups_per_hour;
    let n = incr(idp, &ip_key("sign-up-created", ip), 3600, false).await?;
    if over_limit(n, per_hour) {
        crate::metrics::rate_limited("sign-up");
        return Err(IdpError::RateLimited { retry_after: 3600, json: false });
    }
    Ok(())
}

/// Counts a self-service registration (or metadata-document fetch) from `ip` and refuses past
/// `per_hour` with 429, as JSON or as a page: each creates a client that stays until an
/// operator deletes it, or sends a request from this server.
pub async fn count_registration(idp: &IdpState, ip: &str, per_hour: u64, json: bool) -> Result<(), IdpError> {
    let n = incr(idp, &ip_key("registration", ip), 3600, true).await?;
    if over_limit(n, per_hour) {
        crate::metrics::rate_limited("registration");
        return Err(IdpError::RateLimited { retry_after: 3600, json });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_identifier_of_a_user_shares_one_counter_and_unknown_ones_have_their_own() {
        let ada = UserId::from("user-ada");
        assert_eq!(account_key(Account::User(&ada)), "rl:user:user-ada");
        assert_eq!(account_key(Account::Unknown(" Nobody ")), account_key(Account::Unknown("nobody")));
        assert_ne!(account_key(Account::Unknown("user-ada")), account_key(Account::User(&ada)));
    }
}

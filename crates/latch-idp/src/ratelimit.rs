//! Failure counters in the ephemeral store, so limits hold across nodes (DESIGN.md security
//! rules): per account (progressive delay after 5 failures, lock after 10, 15-minute window)
//! and per client IP (100 failures per 15 minutes → 429).

use crate::errors::{IdpError, JsonUnavailable};
use crate::state::Idp;
use std::time::Duration;

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const ACCOUNT_DELAY_AFTER: u64 = 5;
const ACCOUNT_LOCK_AFTER: u64 = 10;
const IP_LIMIT: u64 = 100;

/// The client's address: the TCP peer, or with `trust_forwarded_for` the address the proxy in
/// front of Latch saw (the last `X-Forwarded-For` hop, the only one the proxy vouches for).
pub fn client_ip(idp: &Idp, req: &actix_web::HttpRequest) -> String {
    if idp.settings.trust_forwarded_for
        && let Some(last) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return last.to_owned();
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".to_owned())
}

fn account_key(identifier: &str) -> String {
    format!("rl:account:{}", latch_oidc::crypto::sha256_b64(&identifier.trim().to_lowercase()))
}

fn ip_key(scope: &str, ip: &str) -> String {
    format!("rl:{scope}:ip:{ip}")
}

async fn count(idp: &Idp, key: &str, json: bool) -> Result<u64, IdpError> {
    let v = if json {
        idp.cache.get(key).await.json_unavailable()?
    } else {
        idp.cache.get(key).await.page_unavailable()?
    };
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Refuses with 429 when `ip` has failed too often at `scope` (`sign-in` or `token`).
pub async fn check_ip(idp: &Idp, scope: &str, ip: &str, json: bool) -> Result<(), IdpError> {
    if count(idp, &ip_key(scope, ip), json).await? >= IP_LIMIT {
        return Err(IdpError::RateLimited { retry_after: WINDOW.as_secs(), json });
    }
    Ok(())
}

pub async fn record_ip_failure(idp: &Idp, scope: &str, ip: &str) {
    if let Err(e) = idp.cache.incr(&ip_key(scope, ip), WINDOW).await {
        tracing::warn!(error = %e, "cannot count a failure");
    }
}

/// The state of an account's failure counter before a sign-in attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum AccountGate {
    Open,
    /// Locked: even the right password is refused, with the same message.
    Locked,
}

/// Waits progressively after repeated failures and reports a lock.
pub async fn account_gate(idp: &Idp, identifier: &str) -> Result<AccountGate, IdpError> {
    let failures = count(idp, &account_key(identifier), false).await?;
    if failures >= ACCOUNT_LOCK_AFTER {
        return Ok(AccountGate::Locked);
    }
    if failures >= ACCOUNT_DELAY_AFTER {
        let steps = failures - ACCOUNT_DELAY_AFTER + 1;
        actix_web::rt::time::sleep(Duration::from_millis(250 * steps)).await;
    }
    Ok(AccountGate::Open)
}

pub async fn record_account_failure(idp: &Idp, identifier: &str) {
    if let Err(e) = idp.cache.incr(&account_key(identifier), WINDOW).await {
        tracing::warn!(error = %e, "cannot count a failure");
    }
}

pub async fn reset_account(idp: &Idp, identifier: &str) {
    let _ = idp.cache.delete(&account_key(identifier)).await;
}

//! One-time codes by email (`latch_oidc::one_time` decides; this keeps them in the ephemeral
//! store and mails them). Sending is limited per account and purpose and per client address,
//! and happens in the background, so an answer takes as long whether or not an account exists.
//! Entering counts the try first (per code, and against the address as a failure), then checks
//! in constant time, then *takes* the code: of two entries racing with the right code, one wins.

use crate::errors::{IdpError, JsonUnavailable};
use crate::i18n::Lang;
use crate::messages;
use crate::ratelimit;
use crate::state::IdpState;
use latch_core::security_log::{self, Origin, SecurityEvent};
use latch_domain::entities::User;
use latch_oidc::limits::over_limit;
use latch_oidc::one_time::{self, Check, Pending, Purpose};
use std::time::Duration;

/// The rate-limit scope of entered codes (failures per client address).
const ENTERED: &str = "email-code";

fn pending_key(purpose: Purpose, user: &User) -> String {
    format!("email-code:{}:{}", purpose.as_str(), user.id)
}

/// Tries of one code: per code sent (its MAC names it, so a new code starts its own count and
/// no entry falls between two counters), or per address typed when no code is waiting (a
/// reset for an unknown address meets the same counting, and the same answers, as a real one).
fn tries_key(purpose: Purpose, pending: Option<&Pending>, email: &str) -> String {
    match pending {
        Some(p) => format!("email-code-tries:{}:{}", purpose.as_str(), latch_oidc::crypto::sha256_b64(&p.mac)),
        None => format!(
            "email-code-tries:{}:unknown:{}",
            purpose.as_str(),
            latch_oidc::crypto::sha256_b64(&email.to_lowercase())
        ),
    }
}

fn ttl() -> Duration {
    Duration::from_secs(u64::try_from(one_time::CODE_TTL_SECS).unwrap_or(600))
}

/// Whether flows that need email exist: an SMTP server is configured.
pub(crate) fn available(idp: &IdpState) -> bool {
    idp.core.mail.is_some()
}

/// Counts a request for a code from `ip` (any account, or none) and refuses past
/// [`one_time::SENDS_PER_ADDRESS_PER_HOUR`] with a 429 page.
pub(crate) async fn count_request(idp: &IdpState, ip: &str) -> Result<(), IdpError> {
    let n = idp
        .core
        .cache
        .incr(&format!("rl:email-code-sent:ip:{}", latch_oidc::limits::address_bucket(ip)), Duration::from_secs(3600))
        .await;
    if over_limit(n.page_unavailable()?, one_time::SENDS_PER_ADDRESS_PER_HOUR) {
        crate::metrics::rate_limited(ENTERED);
        return Err(IdpError::RateLimited { retry_after: 3600, json: false });
    }
    Ok(())
}

/// Sends `user` a fresh code for `purpose` at `email` (their address, or the new one they ask
/// for), in `lang`, replacing any earlier one (and its tries). Nothing is sent, and `false`
/// returned, without a mail server, or once the account had [`one_time::SENDS_PER_HOUR`]
/// codes for `purpose` this hour.
pub(crate) async fn send(
    idp: &IdpState,
    lang: Lang,
    origin: &Origin,
    purpose: Purpose,
    user: &User,
    email: &str,
) -> Result<bool, IdpError> {
    let Some(mail) = idp.core.mail.clone() else { return Ok(false) };
    // Per hour, and per day: each code brings new tries, so the day's codes bound the guesses.
    for (window, limit, label) in [(3600, one_time::SENDS_PER_HOUR, "hour"), (86_400, one_time::SENDS_PER_DAY, "day")] {
        let counter = format!("rl:email-code-sent:{label}:{}:{}", purpose.as_str(), user.id);
        let sent = idp.core.cache.incr(&counter, Duration::from_secs(window)).await.page_unavailable()?;
        if over_limit(sent, limit) {
            tracing::info!(user = %user.id, purpose = purpose.as_str(), "no code sent: the {label}'s codes are used");
            let event = SecurityEvent::EmailCodeNotSent { user: Some(user.id.clone()), purpose, reason: "limit" };
            security_log::record(&idp.core, origin, event).await;
            return Ok(false);
        }
    }
    let now = idp.core.clock.now();
    let (code, pending) =
        one_time::issue(idp.core.random.as_ref(), &idp.core.one_time_key(), purpose, &user.id, email, now);
    let json =
        serde_json::to_string(&pending).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    idp.core.cache.put(&pending_key(purpose, user), &json, ttl()).await.page_unavailable()?;
    let Some(message) = messages::code(idp, lang, purpose, email, &code) else { return Ok(false) };
    let who = user.id.clone();
    // Delivered after the answer: an SMTP exchange takes long enough to tell, by the time a
    // reset request takes, whether an account has the address.
    actix_web::rt::spawn(async move {
        if let Err(e) = mail.send(message).await {
            tracing::warn!(user = %who, purpose = purpose.as_str(), error = %e, "a one-time code was not delivered");
        }
    });
    security_log::record(&idp.core, origin, SecurityEvent::EmailCodeSent { user: user.id.clone(), purpose }).await;
    Ok(true)
}

/// Checks `typed` as `user`'s code for `purpose` sent to `email` (`None`: no account has the
/// address typed), and on success uses the code up. Past [`one_time::MAX_TRIES`] the code ends.
pub(crate) async fn enter(
    idp: &IdpState,
    origin: &Origin,
    purpose: Purpose,
    user: Option<&User>,
    email: &str,
    typed: &str,
) -> Result<Check, IdpError> {
    ratelimit::count_ip(idp, ENTERED, &origin.ip, false).await?;
    let pending: Option<Pending> = match user {
        Some(u) => {
            let stored = idp.core.cache.get(&pending_key(purpose, u)).await.page_unavailable()?;
            stored.and_then(|json| serde_json::from_str(&json).ok())
        }
        None => None,
    };
    let tries_key = tries_key(purpose, pending.as_ref(), email);
    let tries = idp.core.cache.incr(&tries_key, ttl()).await.page_unavailable()?;
    let now = idp.core.clock.now();
    let mut verdict =
        one_time::check(&idp.core.one_time_key(), pending.as_ref(), purpose, Some(email), typed, tries, now);
    if let (Check::Accepted, Some(u)) = (verdict, user) {
        // Used once: the first of two racing entries takes it; the other finds it gone.
        if idp.core.cache.take(&pending_key(purpose, u)).await.page_unavailable()?.is_none() {
            verdict = Check::Expired;
        }
    }
    let reason = match verdict {
        Check::Accepted => {
            let _ = idp.core.cache.delete(&tries_key).await;
            ratelimit::forgive_ip(idp, ENTERED, &origin.ip).await;
            return Ok(verdict);
        }
        Check::TooManyTries => {
            if let Some(u) = user {
                idp.core.cache.delete(&pending_key(purpose, u)).await.page_unavailable()?;
            }
            "too_many_tries"
        }
        Check::Wrong { .. } => "wrong",
        Check::Expired => "expired",
    };
    let event = SecurityEvent::EmailCodeRefused { user: user.map(|u| u.id.clone()), purpose, reason };
    security_log::record(&idp.core, origin, event).await;
    Ok(verdict)
}

/// The words for a refused code.
pub(crate) fn refusal(lang: Lang, check: Check) -> Option<&'static str> {
    let w = lang.words();
    match check {
        Check::Accepted => None,
        Check::Wrong { .. } => Some(w.code_wrong),
        Check::Expired => Some(w.code_expired),
        Check::TooManyTries => Some(w.code_too_many),
    }
}

//! The security audit trail: what happens at the IdP's doors — sign-ins and their failures,
//! consent decisions, grants revoked by their user, replayed codes, reused refresh tokens,
//! failed client authentication — written to the audit log beside the admin changes, with the
//! client, the address and the user agent. The one place these entries are made, so none can
//! carry a secret: an event holds ids, reasons and scope names, never a credential, a code, a
//! token or a typed identifier that resolved to nobody (it may be a mistyped password).

use crate::Core;
use crate::commands::audit_id;
use latch_domain::entities::AuditEntry;
use latch_domain::ids::{ApplicationId, UserId};
use latch_oidc::one_time::Purpose;
use serde_json::{Value, json};

/// Where a request came from, as the audit log records it.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl Origin {
    /// Adds `ip` and `userAgent` to an audit entry's `details` object.
    pub fn add_to(&self, details: &mut Value) {
        if let Value::Object(m) = details {
            m.insert("ip".to_owned(), json!(self.ip));
            if let Some(ua) = &self.user_agent {
                m.insert("userAgent".to_owned(), json!(latch_domain::fields::printable(ua, MAX_USER_AGENT)));
            }
        }
    }
}

/// A client's address: the TCP `peer`, or with `trust_forwarded` (a proxy in front sets the
/// header) the last hop of `X-Forwarded-For`, the one that proxy appended (RFC 9700 §4.13:
/// anything before it is whatever the client wrote).
pub fn client_address(trust_forwarded: bool, forwarded_for: Option<&str>, peer: Option<std::net::IpAddr>) -> String {
    if trust_forwarded
        && let Some(last) = forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
    {
        return last.to_owned();
    }
    peer.map(|a| a.to_string()).unwrap_or_else(|| "unknown".to_owned())
}

/// The longest user agent kept (they are attacker-chosen text).
const MAX_USER_AGENT: usize = 256;
/// The longest client id kept from a failed authentication (it may be garbage).
const MAX_CLIENT_ID: usize = 128;

/// Why a sign-in failed. Never said to the user, who sees one message for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInFailure {
    /// The form lacked an identifier or a password, or either was too long.
    Incomplete,
    /// No user has this identifier.
    UnknownAccount,
    WrongPassword,
    Suspended,
    /// Too many failures for this account: refused without checking the password.
    Locked,
    /// A passkey sign-in whose credential is unknown or whose assertion did not verify.
    Passkey,
}

impl SignInFailure {
    fn as_str(self) -> &'static str {
        match self {
            SignInFailure::Incomplete => "incomplete",
            SignInFailure::UnknownAccount => "unknown_account",
            SignInFailure::WrongPassword => "wrong_password",
            SignInFailure::Suspended => "suspended",
            SignInFailure::Locked => "locked",
            SignInFailure::Passkey => "passkey",
        }
    }
}

/// One event of the trail.
#[derive(Clone, Debug)]
pub enum SecurityEvent {
    SignedIn {
        user: UserId,
        client: ApplicationId,
    },
    SignInFailed {
        user: Option<UserId>,
        client: ApplicationId,
        reason: SignInFailure,
    },
    /// The user authorized `client`; `changed` when an earlier grant had other scopes.
    ConsentGranted {
        user: UserId,
        client: ApplicationId,
        scopes: Vec<String>,
        changed: bool,
    },
    ConsentDenied {
        user: UserId,
        client: ApplicationId,
    },
    /// The user revoked the grant on the connected-apps page.
    GrantRevoked {
        user: UserId,
        client: ApplicationId,
        grant: String,
    },
    /// A used authorization code came back: its token family was revoked (RFC 6749 §4.1.2).
    CodeReplayed {
        client: ApplicationId,
        grant: String,
    },
    /// A rotated-out refresh token came back: the grant's tokens were revoked (RFC 9700 §4.14.2).
    RefreshTokenReused {
        client: ApplicationId,
        grant: String,
    },
    /// A client failed to authenticate at a token, introspection or revocation endpoint.
    ClientAuthFailed {
        client: String,
        reason: String,
    },
    /// A client authenticated with a secret that has expired (and was refused).
    SecretExpired {
        client: ApplicationId,
        secret: String,
    },
    /// This failed sign-in locked the account until the failure window ends (`failures` in
    /// `window` seconds).
    AccountLocked {
        user: UserId,
        client: ApplicationId,
        failures: u64,
        window: u64,
    },
    /// An admin API token was used for the first time; `token` names it by a prefix of its
    /// hash (never the token).
    AdminTokenUsed {
        actor: String,
        client: ApplicationId,
        token: String,
    },
    /// Someone created an account on the sign-up page.
    SignedUp {
        user: UserId,
        client: ApplicationId,
    },
    /// A one-time code went out to `user`'s address.
    EmailCodeSent {
        user: UserId,
        purpose: Purpose,
    },
    /// A code was asked for and none sent: `no_account` (a reset for an address no account has),
    /// `suspended`, or `limit` (the account's codes for the hour or day are used).
    EmailCodeNotSent {
        user: Option<UserId>,
        purpose: Purpose,
        reason: &'static str,
    },
    /// A one-time code was refused: `wrong`, `expired` or `too_many_tries` (the code ended);
    /// `user` is `None` for a reset code entered for an address no account has.
    EmailCodeRefused {
        user: Option<UserId>,
        purpose: Purpose,
        reason: &'static str,
    },
    /// A second factor completed a sign-in: `method` is `totp`, `recovery_code` or `passkey`.
    SecondFactorUsed {
        user: UserId,
        client: ApplicationId,
        method: &'static str,
    },
    /// A second factor was refused: `wrong` (a wrong or already used code), `too_many_tries`
    /// (the sign-in ended) or `limited` (the account's wrong entries for the hour are used).
    SecondFactorFailed {
        user: UserId,
        client: ApplicationId,
        reason: &'static str,
    },
}

impl SecurityEvent {
    /// `(action, actor, target_type, target_id, details)` of the audit entry.
    fn entry(&self) -> (&'static str, String, &'static str, String, Value) {
        let app = |c: &ApplicationId| c.as_str().to_owned();
        let user = |u: &UserId| format!("user:{u}");
        match self {
            SecurityEvent::SignedIn { user: u, client } => {
                ("security.sign_in.succeeded", user(u), "application", app(client), json!({}))
            }
            SecurityEvent::SignInFailed { user: u, client, reason } => (
                "security.sign_in.failed",
                u.as_ref().map(user).unwrap_or_else(|| "anonymous".to_owned()),
                "application",
                app(client),
                json!({ "reason": reason.as_str() }),
            ),
            SecurityEvent::ConsentGranted { user: u, client, scopes, changed } => (
                if *changed { "security.consent.changed" } else { "security.consent.granted" },
                user(u),
                "application",
                app(client),
                json!({ "scopes": scopes }),
            ),
            SecurityEvent::ConsentDenied { user: u, client } => {
                ("security.consent.denied", user(u), "application", app(client), json!({}))
            }
            SecurityEvent::GrantRevoked { user: u, client, grant } => {
                ("security.grant.revoked", user(u), "application", app(client), json!({ "grant": grant }))
            }
            SecurityEvent::CodeReplayed { client, grant } => (
                "security.code.replayed",
                format!("application:{client}"),
                "application",
                app(client),
                json!({ "grant": grant, "revoked": "token_family" }),
            ),
            SecurityEvent::RefreshTokenReused { client, grant } => (
                "security.refresh_token.reused",
                format!("application:{client}"),
                "application",
                app(client),
                json!({ "grant": grant, "revoked": "grant_tokens" }),
            ),
            SecurityEvent::AdminTokenUsed { actor, client, token } => {
                ("security.admin_token.used", actor.clone(), "application", app(client), json!({ "token": token }))
            }
            SecurityEvent::SecretExpired { client, secret } => (
                "security.secret.expired",
                format!("application:{client}"),
                "application",
                app(client),
                json!({ "secret": secret }),
            ),
            SecurityEvent::AccountLocked { user: u, client, failures, window } => (
                "security.account.locked",
                user(u),
                "user",
                u.to_string(),
                json!({ "application": app(client), "failures": failures, "windowSecs": window }),
            ),
            SecurityEvent::SignedUp { user: u, client } => {
                ("security.sign_up", user(u), "application", app(client), json!({}))
            }
            SecurityEvent::EmailCodeSent { user: u, purpose } => {
                ("security.email_code.sent", user(u), "user", u.to_string(), json!({ "purpose": purpose.as_str() }))
            }
            SecurityEvent::EmailCodeNotSent { user: u, purpose, reason } => (
                "security.email_code.not_sent",
                u.as_ref().map(user).unwrap_or_else(|| "anonymous".to_owned()),
                "user",
                u.as_ref().map(ToString::to_string).unwrap_or_default(),
                json!({ "purpose": purpose.as_str(), "reason": reason }),
            ),
            SecurityEvent::EmailCodeRefused { user: u, purpose, reason } => (
                "security.email_code.refused",
                u.as_ref().map(user).unwrap_or_else(|| "anonymous".to_owned()),
                "user",
                u.as_ref().map(ToString::to_string).unwrap_or_default(),
                json!({ "purpose": purpose.as_str(), "reason": reason }),
            ),
            SecurityEvent::SecondFactorUsed { user: u, client, method } => {
                ("security.mfa.succeeded", user(u), "application", app(client), json!({ "method": method }))
            }
            SecurityEvent::SecondFactorFailed { user: u, client, reason } => {
                ("security.mfa.failed", user(u), "application", app(client), json!({ "reason": reason }))
            }
            SecurityEvent::ClientAuthFailed { client, reason } => {
                let client = latch_domain::fields::printable(client, MAX_CLIENT_ID);
                (
                    "security.client_auth.failed",
                    "anonymous".to_owned(),
                    "application",
                    client,
                    json!({ "reason": reason }),
                )
            }
        }
    }
}

/// The event for a failed client authentication of `client_id`: an expired secret by name,
/// anything else with its reason.
pub fn client_auth_failed(client_id: &str, e: &latch_oidc::client_auth::ClientAuthError) -> SecurityEvent {
    match &e.expired_secret {
        Some(secret) => SecurityEvent::SecretExpired { client: ApplicationId::from(client_id), secret: secret.clone() },
        None => SecurityEvent::ClientAuthFailed { client: client_id.to_owned(), reason: e.error.description.clone() },
    }
}

/// Records the first use of admin API `token` by `actor` through `client`: once per token
/// across nodes (the first to count it in the ephemeral store writes the entry).
pub async fn note_admin_token(core: &Core, origin: &Origin, actor: String, client: ApplicationId, token: &str) {
    let hash = latch_oidc::crypto::token_hash(token);
    let ttl = std::time::Duration::from_secs(24 * 3600);
    match core.cache.incr(&format!("admin-token-used:{hash}"), ttl).await {
        Ok(1) => {
            let event = SecurityEvent::AdminTokenUsed { actor, client, token: hash.chars().take(16).collect() };
            record(core, origin, event).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot count an admin token's use"),
    }
}

/// Appends `event` from `origin` to the audit log. A store failure is logged, not raised: the
/// request it describes has already been decided.
pub async fn record(core: &Core, origin: &Origin, event: SecurityEvent) {
    let (action, actor, target_type, target_id, mut details) = event.entry();
    origin.add_to(&mut details);
    let entry = AuditEntry {
        id: audit_id(core.random.as_ref()),
        at: core.clock.now(),
        actor,
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id,
        details,
    };
    if let Err(e) = core.repos.append_audit(&entry).await {
        tracing::error!(error = %e, action, "cannot write a security audit entry");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_counts_only_when_trusted_and_only_its_last_hop() {
        let peer = Some(std::net::IpAddr::from([127, 0, 0, 1]));
        let cases = [
            (false, Some("203.0.113.9"), "127.0.0.1"),
            (true, Some("198.51.100.7, 203.0.113.9"), "203.0.113.9"),
            (true, Some("not an address"), "127.0.0.1"),
            (true, None, "127.0.0.1"),
        ];
        for (trust, header, expected) in cases {
            assert_eq!(client_address(trust, header, peer), expected, "{trust} {header:?}");
        }
        assert_eq!(client_address(false, None, None), "unknown");
    }

    #[test]
    fn each_event_names_its_action_actor_and_client_and_nothing_else() {
        let (u, c) = (UserId::from("u1"), ApplicationId::from("app1"));
        let cases = [
            (
                SecurityEvent::SignInFailed { user: None, client: c.clone(), reason: SignInFailure::UnknownAccount },
                ("security.sign_in.failed", "anonymous", "app1", json!({"reason": "unknown_account"})),
            ),
            (
                SecurityEvent::SignInFailed {
                    user: Some(u.clone()),
                    client: c.clone(),
                    reason: SignInFailure::WrongPassword,
                },
                ("security.sign_in.failed", "user:u1", "app1", json!({"reason": "wrong_password"})),
            ),
            (
                SecurityEvent::ConsentGranted {
                    user: u.clone(),
                    client: c.clone(),
                    scopes: vec!["openid".into()],
                    changed: true,
                },
                ("security.consent.changed", "user:u1", "app1", json!({"scopes": ["openid"]})),
            ),
            (
                SecurityEvent::RefreshTokenReused { client: c.clone(), grant: "g1".into() },
                (
                    "security.refresh_token.reused",
                    "application:app1",
                    "app1",
                    json!({"grant": "g1", "revoked": "grant_tokens"}),
                ),
            ),
            (
                SecurityEvent::ClientAuthFailed { client: format!("evil\n{}", "x".repeat(500)), reason: "bad".into() },
                ("security.client_auth.failed", "anonymous", "", json!({"reason": "bad"})),
            ),
        ];
        for (event, (action, actor, target, details)) in cases {
            let (a, who, kind, id, d) = event.entry();
            assert_eq!((a, who.as_str(), kind, d), (action, actor, "application", details), "{event:?}");
            if target.is_empty() {
                assert!(id.len() <= MAX_CLIENT_ID && !id.contains('\n'), "a client id is bounded and one line: {id}");
            } else {
                assert_eq!(id, target);
            }
        }
    }
}

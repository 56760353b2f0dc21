//! When a browser session may still act for its user: before the end of its lifetime
//! (`session.ttl`) and before it has been idle for `session.idle_timeout`. The sign-in,
//! consent and connected-apps pages all decide with this one rule (OpenID Connect Core §3.1.2.1
//! `max_age` asks for a fresher sign-in on top of it; that lives in `authorize.rs`).

//!
//! Between the password and the session a sign-in may wait at a step (an emailed code, a
//! second factor). The step remembers a fingerprint of the credential the user proved: a
//! password changed meanwhile (a reset by the owner) or a suspension ends the step, and the
//! user signs in again.

use crate::crypto::{self, ct_eq};
use latch_domain::Timestamp;
use latch_domain::entities::{Session, User};

/// Whether `session` is live at `now` with an idle timeout of `idle_timeout` seconds.
pub fn is_live(session: &Session, now: Timestamp, idle_timeout: i64) -> bool {
    session.expires_at > now && now.0 - session.last_active_at.0 < idle_timeout
}

/// A fingerprint of `user`'s password as stored (never the password or its hash itself), for
/// a sign-in waiting at a step.
pub fn credential_of(user: &User) -> String {
    crypto::sha256_b64(&format!("credential:{}:{}", user.id, user.password_hash.as_deref().unwrap_or_default()))
}

/// Whether a sign-in that proved `credential` for a user may go on with `user` as stored now:
/// the user still exists, is not suspended, and has the password they proved.
pub fn may_continue(user: Option<&User>, credential: &str) -> bool {
    user.is_some_and(|u| !u.is_suspended && ct_eq(&credential_of(u), credential))
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_domain::ids::{SessionId, UserId};

    #[test]
    fn a_session_lives_until_its_end_or_until_it_idles() {
        let session = |last_active: i64, expires: i64| Session {
            id: SessionId("s".into()),
            user_id: UserId::from("u"),
            auth_time: Timestamp(0),
            created_at: Timestamp(0),
            last_active_at: Timestamp(last_active),
            expires_at: Timestamp(expires),
            amr: vec!["pwd".into()],
            user_agent: None,
        };
        // (last active, expires, now, idle timeout, live)
        let cases = [
            ("fresh", 100, 1_000, 150, 600, true),
            ("idle one second short of the timeout", 100, 1_000, 699, 600, true),
            ("idle for exactly the timeout", 100, 1_000, 700, 600, false),
            ("idle past the timeout", 100, 1_000, 900, 600, false),
            ("one second before its end", 100, 1_000, 999, 10_000, true),
            ("at its end", 100, 1_000, 1_000, 10_000, false),
            ("past its end, however active", 999, 1_000, 1_001, 10_000, false),
        ];
        for (what, last, expires, now, idle, live) in cases {
            assert_eq!(is_live(&session(last, expires), Timestamp(now), idle), live, "{what}");
        }
    }

    #[test]
    fn a_step_of_a_sign_in_goes_on_only_with_the_credential_it_proved() {
        let ada = User { id: UserId::from("ada"), password_hash: Some("$argon2id$one".into()), ..User::default() };
        let proved = credential_of(&ada);
        let other = User { id: UserId::from("eve"), ..ada.clone() };
        #[rustfmt::skip]
        let cases: &[(&str, Option<User>, bool)] = &[
            ("unchanged",                 Some(ada.clone()), true),
            ("profile edited",            Some(User { name: Some("Ada".into()), ..ada.clone() }), true),
            ("password changed",          Some(User { password_hash: Some("$argon2id$two".into()), ..ada.clone() }), false),
            ("password removed",          Some(User { password_hash: None, ..ada.clone() }), false),
            ("suspended",                 Some(User { is_suspended: true, ..ada.clone() }), false),
            ("deleted",                   None, false),
            ("another user, same hash",   Some(other), false),
        ];
        for (what, user, want) in cases {
            assert_eq!(may_continue(user.as_ref(), &proved), *want, "{what}");
        }
        assert!(!proved.contains("argon2"), "the fingerprint is not the hash");
    }
}

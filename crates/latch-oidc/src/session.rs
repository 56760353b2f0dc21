//! When a browser session may still act for its user: before the end of its lifetime
//! (`session.ttl`) and before it has been idle for `session.idle_timeout`. The sign-in,
//! consent and connected-apps pages all decide with this one rule (OpenID Connect Core §3.1.2.1
//! `max_age` asks for a fresher sign-in on top of it; that lives in `authorize.rs`).

use latch_domain::Timestamp;
use latch_domain::entities::Session;

/// Whether `session` is live at `now` with an idle timeout of `idle_timeout` seconds.
pub fn is_live(session: &Session, now: Timestamp, idle_timeout: i64) -> bool {
    session.expires_at > now && now.0 - session.last_active_at.0 < idle_timeout
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
}

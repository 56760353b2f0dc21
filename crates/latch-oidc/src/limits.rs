//! Attempt limits (DESIGN.md security rules; RFC 6749 §10.10, NIST SP 800-63B §5.2.2): the
//! numbers, and what the n-th attempt within a window may do. The counting itself happens in
//! the ephemeral store, before the expensive check each limit guards.

use std::time::Duration;

/// The rate limits (DESIGN.md security rules). RFC 6749 §10.10: the server "MUST prevent
/// attackers from guessing … resource owner passwords, and client credentials"; §2.3.1: an
/// endpoint taking client passwords must be protected "against brute force attacks"; NIST SP
/// 800-63B §5.2.2: at most 100 failed attempts per account. Every counter is counted before
/// the expensive check it guards, so concurrency cannot overrun it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Failed sign-ins, or failed client authentications at the token, revocation and
    /// introspection endpoints, per client address and window before 429.
    pub ip_failures: u64,
    /// Failed sign-ins of one account after which each further attempt waits progressively.
    pub account_delay_after: u64,
    /// Failed sign-ins of one account after which it is locked for the rest of the window.
    pub account_lock_after: u64,
    /// Seconds the failure counters above count over.
    pub failure_window: u64,
    /// Sign-ins one client address may start (interactions stored) per `interaction_window`.
    pub interactions_per_ip: u64,
    pub interaction_window: u64,
    /// Accounts one client address may create on the sign-up page per hour.
    pub sign_ups_per_hour: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            ip_failures: 100,
            account_delay_after: 5,
            account_lock_after: 10,
            failure_window: 15 * 60,
            interactions_per_ip: 300,
            interaction_window: 5 * 60,
            sign_ups_per_hour: 20,
        }
    }
}

/// What a sign-in attempt may do, given the account's count including this attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum AccountGate {
    /// Verify the password, after waiting this long.
    Open(Duration),
    /// Locked: refused without verifying, even the right password, with the same message.
    Locked,
}

/// The decision for the `count`-th attempt within the window (pure; `count` includes the
/// attempt itself): attempts 1 to `account_lock_after` are verified, those past
/// `account_delay_after` 250 ms later per step, the rest are locked out.
pub fn account_decision(limits: &RateLimits, count: u64) -> AccountGate {
    let failures_before = count.saturating_sub(1);
    if failures_before >= limits.account_lock_after {
        return AccountGate::Locked;
    }
    if failures_before >= limits.account_delay_after {
        let steps = failures_before - limits.account_delay_after + 1;
        return AccountGate::Open(Duration::from_millis(250 * steps));
    }
    AccountGate::Open(Duration::ZERO)
}

/// Whether the `count`-th attempt, when it fails, is the one that locks the account: the
/// failures then reach `account_lock_after` and the next attempt is refused. (Attempts past it
/// are refused unchecked, so only this one can.)
pub fn locks_on_failure(limits: &RateLimits, count: u64) -> bool {
    count == limits.account_lock_after
}

/// Whether the `count`-th attempt (counted first, so including itself) is past `limit`.
pub fn over_limit(count: u64, limit: u64) -> bool {
    count > limit
}

/// The bucket a client address is counted in: an IPv4 address on its own (an IPv4-mapped IPv6
/// address as that IPv4 address), an IPv6 address by its /64 — the block one site or one
/// customer of a provider holds (RFC 6177 §2), so rotating addresses inside it does not buy an
/// attacker new counters. Anything else (`unknown`) is its own bucket.
pub fn address_bucket(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nth_attempt_is_verified_delayed_or_locked() {
        let limits = RateLimits::default();
        let ms = |n| AccountGate::Open(Duration::from_millis(n));
        let cases = [
            (1, ms(0)),
            (5, ms(0)),
            (6, ms(250)),
            (7, ms(500)),
            (10, ms(1250)),
            (11, AccountGate::Locked),
            (150, AccountGate::Locked),
        ];
        for (count, expected) in cases {
            assert_eq!(account_decision(&limits, count), expected, "attempt {count}");
        }
        let verified = (1..=150).filter(|n| account_decision(&limits, *n) != AccountGate::Locked).count();
        assert_eq!(verified as u64, limits.account_lock_after, "of a burst of 150, exactly the lock count is verified");
    }

    #[test]
    fn exactly_one_failure_locks_the_account() {
        let limits = RateLimits::default();
        for (count, locks) in [(1, false), (9, false), (10, true), (11, false), (150, false)] {
            assert_eq!(locks_on_failure(&limits, count), locks, "attempt {count}");
        }
        let lockers: Vec<u64> = (1..=150).filter(|n| locks_on_failure(&limits, *n)).collect();
        assert_eq!(lockers, [limits.account_lock_after]);
        assert_eq!(
            account_decision(&limits, limits.account_lock_after + 1),
            AccountGate::Locked,
            "the next is refused"
        );
    }

    #[test]
    fn the_limit_itself_is_still_allowed() {
        let cases = [(1, 100, false), (100, 100, false), (101, 100, true), (0, 0, false), (1, 0, true)];
        for (count, limit, expected) in cases {
            assert_eq!(over_limit(count, limit), expected, "{count} of {limit}");
        }
    }

    #[test]
    fn addresses_are_counted_by_their_ipv4_address_or_their_ipv6_64() {
        #[rustfmt::skip]
        let cases = [
            ("203.0.113.7",                 "203.0.113.7"),
            ("2001:db8:1:2:aaaa::1",        "2001:db8:1:2::/64"),
            ("2001:db8:1:2:ffff:ffff:0:9",  "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1",             "2001:db8:1:3::/64"),
            ("::ffff:203.0.113.7",          "203.0.113.7"),
            ("::1",                         "0:0:0:0::/64"),
            ("unknown",                     "unknown"),
        ];
        for (ip, bucket) in cases {
            assert_eq!(address_bucket(ip), bucket, "{ip}");
        }
    }
}

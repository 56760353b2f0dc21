//! Multi-factor sign-in decisions: TOTP (RFC 6238, through `totp-rs`: SHA-1, six digits,
//! 30-second steps, one step of clock skew either way, each step accepted once), recovery codes
//! (ten, single use, stored as hashes), who must use a second factor under the operator's
//! policy, and the `amr` (RFC 8176) and `acr` a sign-in earns.

use crate::crypto::{self, ct_eq};
use latch_domain::ids::UserId;
use latch_domain::{Random, Timestamp};
use totp_rs::{Builder, Totp};

/// Bytes of a TOTP secret: 160 bits, as RFC 4226 §4 recommends.
pub const TOTP_SECRET_LEN: usize = 20;
/// Seconds of a TOTP step (RFC 6238 §5.2).
pub const TOTP_STEP: u64 = 30;
/// Recovery codes issued at once.
pub const RECOVERY_CODES: usize = 10;
/// Wrong second-factor entries one sign-in survives before it must start again.
pub const MAX_SECOND_FACTOR_TRIES: u64 = 5;
/// Wrong second-factor entries one account survives per hour, across sign-ins and nodes: a
/// password alone then buys at most 240 guesses a day at a six-digit code (three of a
/// million valid at once), one chance in 1 400 a day; the sign-in says to wait, and the
/// audit log has each failure.
pub const SECOND_FACTOR_FAILURES_PER_HOUR: u64 = 10;

/// `amr` values (RFC 8176 §2).
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
pub const AMR_MFA: &str = "mfa";
pub const AMR_HARDWARE_KEY: &str = "hwk";
pub const AMR_USER_PRESENCE: &str = "user";

/// `acr` values Latch issues and honours in `acr_values`: a password alone, or a second
/// factor besides it.
pub const ACR_PASSWORD: &str = "urn:latch:acr:pwd";
pub const ACR_MFA: &str = "urn:latch:acr:mfa";
pub const ACR_VALUES_SUPPORTED: [&str; 2] = [ACR_PASSWORD, ACR_MFA];

pub use latch_domain::entities::MfaPolicy;

/// What a sign-in needs after the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// Nothing more: the session starts.
    None,
    /// A second factor the user has.
    Verify,
    /// A second factor the user must first enrol (the policy or the request wants one and the
    /// user has none).
    Enrol,
}

/// After the password: the second step, from the policy, whether the user may use the admin
/// API, whether they have a factor, and whether the request asked for `acr_values` of
/// [`ACR_MFA`] (OpenID Connect Core §3.1.2.1: honoured as a voluntary claim, so a user without a
/// factor who need not have one is not refused; they are asked to enrol).
pub fn second_step(policy: MfaPolicy, is_admin: bool, has_factor: bool, asked_mfa: bool) -> SecondStep {
    match (has_factor, needs_second_factor(policy, is_admin, asked_mfa)) {
        (true, _) => SecondStep::Verify,
        (false, true) => SecondStep::Enrol,
        (false, false) => SecondStep::None,
    }
}

/// Whether this sign-in must end with a second factor: the policy wants one of this user, or
/// the request asked for it.
pub fn needs_second_factor(policy: MfaPolicy, is_admin: bool, asked_mfa: bool) -> bool {
    asked_mfa
        || match policy {
            MfaPolicy::Optional => false,
            MfaPolicy::Required => true,
            MfaPolicy::Admins => is_admin,
        }
}

/// Whether a session signed in with `amr` may answer a request without signing in again
/// (OpenID Connect Core §3.1.2.1 `acr_values`; the operator's policy): when a second factor is
/// needed, the session must have used one. Otherwise the user signs in again, with one.
pub fn session_suffices(amr: &[String], second_factor_needed: bool) -> bool {
    !second_factor_needed || amr.iter().any(|a| a == AMR_MFA)
}

/// Whether `acr_values` (space-separated, in order of preference) asks for a second factor.
pub fn asks_for_mfa(acr_values: Option<&str>) -> bool {
    acr_values.is_some_and(|v| v.split(' ').any(|a| a == ACR_MFA))
}

/// The `acr` of a session whose `amr` is `amr`.
pub fn acr_of(amr: &[String]) -> &'static str {
    if amr.iter().any(|a| a == AMR_MFA) { ACR_MFA } else { ACR_PASSWORD }
}

/// The `amr` of a sign-in with a password and then `second` (RFC 8176: `mfa` once two factors).
pub fn amr_with(second: Option<&'static str>) -> Vec<String> {
    match second {
        None => vec![AMR_PASSWORD.to_owned()],
        Some(f) => vec![AMR_PASSWORD.to_owned(), f.to_owned(), AMR_MFA.to_owned()],
    }
}

/// A fresh TOTP secret.
pub fn new_totp_secret(random: &dyn Random) -> Vec<u8> {
    let mut secret = vec![0u8; TOTP_SECRET_LEN];
    random.fill(&mut secret);
    secret
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<Totp> {
    // otpauth labels may not hold a colon.
    let clean = |s: &str| s.replace(':', " ");
    Builder::new()
        .with_secret(secret.to_vec())
        .with_digits(6)
        .with_step_duration(TOTP_STEP)
        .with_skew(1)
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .ok()
}

/// A TOTP secret as stored: sealed under `key` (the server's MFA key) for `user` only.
pub fn seal_totp_secret(key: &[u8; 32], user: &UserId, secret: &[u8]) -> Option<String> {
    crypto::seal(key, &format!("totp:{user}"), secret)
}

/// The TOTP secret [`seal_totp_secret`] sealed for `user`.
pub fn open_totp_secret(key: &[u8; 32], user: &UserId, sealed: &str) -> Option<Vec<u8>> {
    crypto::open(key, &format!("totp:{user}"), sealed)
}

/// The `otpauth://` URI an authenticator app reads from the enrolment QR code, and the secret
/// in base32 for typing it in instead.
pub fn totp_uri(secret: &[u8], issuer: &str, account: &str) -> Option<(String, String)> {
    let t = totp(secret, issuer, account)?;
    Some((t.to_url().ok()?, t.secret().to_base32()))
}

/// The TOTP code for `secret` at `now` (tests; the enrolment check uses [`check_totp`]).
pub fn totp_code(secret: &[u8], now: Timestamp) -> Option<String> {
    let t = totp(secret, "x", "x")?;
    Some(t.generate(u64::try_from(now.0).ok()?).to_string())
}

/// The time step `typed` is the code of, for `secret` at `now` (one step of skew either way),
/// when it is one later than `last_used` (RFC 6238 §5.2: "the verifier MUST NOT accept the
/// second attempt of the OTP after the successful validation has been issued for the first
/// OTP"). The caller records the step, atomically, before accepting.
pub fn check_totp(secret: &[u8], typed: &str, now: Timestamp, last_used: Option<i64>) -> Option<i64> {
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x", "x")?;
    let step = i64::try_from(t.check(&code, u64::try_from(now.0).ok()?)?).ok()?;
    last_used.is_none_or(|used| step > used).then_some(step)
}

/// Fresh recovery codes (`xxxx-xxxx`, from the user-code alphabet: no vowels, no look-alikes)
/// and their stored hashes.
pub fn new_recovery_codes(random: &dyn Random) -> Vec<(String, String)> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code = crate::device::user_code(random).to_lowercase();
            let hash = recovery_hash(&code);
            (code, hash)
        })
        .collect()
}

/// The stored hash of a recovery code as typed (case, spaces and dashes ignored). 40 random
/// bits per code: a fast hash is enough against the five tries a sign-in gets.
pub fn recovery_hash(typed: &str) -> String {
    let normalized: String =
        typed.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_lowercase()).collect();
    crypto::sha256_b64(&format!("recovery:{normalized}"))
}

/// What someone typed at the second step of a sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Six digits: a code of their authenticator app.
    Totp(String),
    /// Eight letters: one of their recovery codes, as its stored hash.
    Recovery(String),
    /// Neither: wrong, whatever the account holds.
    Invalid,
}

/// Reads `typed` as a TOTP code or a recovery code (spaces and dashes ignored).
pub fn entry(typed: &str) -> Entry {
    let bare: String = typed.chars().filter(|c| !matches!(c, ' ' | '-' | '\t')).collect();
    if bare.len() == 6 && bare.bytes().all(|b| b.is_ascii_digit()) {
        Entry::Totp(bare)
    } else if bare.len() == 8 && bare.bytes().all(|b| b.is_ascii_alphabetic()) {
        Entry::Recovery(recovery_hash(&bare))
    } else {
        Entry::Invalid
    }
}

/// Whether `typed` is the recovery code stored as `hash` (constant time).
pub fn recovery_matches(typed: &str, hash: &str) -> bool {
    ct_eq(&recovery_hash(typed), hash)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn totp_codes_match_rfc_6238_appendix_b() {
        // The appendix gives eight digits; six are their last six (RFC 4226 §5.3).
        for (time, eight) in [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924")] {
            assert_eq!(totp_code(RFC_SECRET, Timestamp(time)).as_deref(), Some(&eight[2..]), "{time}");
        }
    }

    #[test]
    fn a_totp_code_is_accepted_once_per_step_within_one_step_of_skew() {
        let now = Timestamp(1_234_567_890);
        let step = 1_234_567_890 / 30;
        let code = totp_code(RFC_SECRET, now).unwrap();
        let earlier = totp_code(RFC_SECRET, Timestamp(now.0 - 30)).unwrap();
        let older = totp_code(RFC_SECRET, Timestamp(now.0 - 90)).unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        #[rustfmt::skip]
        let cases: &[(&str, &str, Option<i64>, Option<i64>)] = &[
            ("this step",                 &code,    None,           Some(step)),
            ("typed with a space",        &format!("{} {}", &code[..3], &code[3..]), None, Some(step)),
            ("the step before (skew)",    &earlier, None,           Some(step - 1)),
            ("three steps old",           &older,   None,           None),
            ("wrong",                     wrong,    None,           None),
            ("not digits",                "abcdef", None,           None),
            ("too short",                 &code[..5], None,         None),
            ("this step, already used",   &code,    Some(step),     None),
            ("an earlier step was used",  &code,    Some(step - 1), Some(step)),
            ("a later step was used",     &earlier, Some(step),     None),
        ];
        for (name, typed, last, want) in cases {
            assert_eq!(check_totp(RFC_SECRET, typed, now, *last), *want, "{name}");
        }
    }

    #[test]
    fn the_enrolment_uri_names_the_issuer_and_account() {
        let (uri, base32) = totp_uri(RFC_SECRET, "Acme: Identity", "ada@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{uri}");
        assert!(uri.contains("issuer=Acme%20%20Identity") || uri.contains("issuer=Acme++Identity"), "{uri}");
        assert!(!uri.contains("Acme:") && !uri.contains("Acme%3A"), "no colon in a label: {uri}");
        assert_eq!(base32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn recovery_codes_are_single_strings_matched_by_hash() {
        /// A deterministic stand-in for the OS generator (xorshift64).
        struct Xorshift(std::sync::atomic::AtomicU64);
        impl Random for Xorshift {
            fn fill(&self, buf: &mut [u8]) {
                use std::sync::atomic::Ordering::Relaxed;
                for b in buf {
                    let mut x = self.0.load(Relaxed);
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    self.0.store(x, Relaxed);
                    *b = x.to_le_bytes()[0];
                }
            }
        }
        let codes = new_recovery_codes(&Xorshift(std::sync::atomic::AtomicU64::new(0x9E37_79B9_7F4A_7C15)));
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::BTreeSet<&String> = codes.iter().map(|(c, _)| c).collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let (code, hash) = &codes[0];
        assert!(!hash.contains(code.as_str()));
        assert!(recovery_matches(code, hash));
        assert!(recovery_matches(&code.to_uppercase().replace('-', " "), hash), "case and separators ignored");
        assert!(!recovery_matches(&codes[1].0, hash));
        #[rustfmt::skip]
        let entries = [
            ("123456",        Entry::Totp("123456".into())),
            ("123 456",       Entry::Totp("123456".into())),
            (code.as_str(),   Entry::Recovery(hash.clone())),
            (&code.to_uppercase(), Entry::Recovery(hash.clone())),
            ("12345",         Entry::Invalid),
            ("1234567",       Entry::Invalid),
            ("bdfg-hjk1",     Entry::Invalid),
            ("",              Entry::Invalid),
        ];
        for (typed, want) in entries {
            assert_eq!(entry(typed), want, "{typed}");
        }
    }

    #[test]
    fn who_needs_a_second_factor() {
        use MfaPolicy::*;
        use SecondStep::*;
        #[rustfmt::skip]
        let cases = [
            // policy,  admin, has a factor, acr_values asks, second step
            (Optional, false, false, false, None),
            (Optional, false, true,  false, Verify),
            (Optional, false, false, true,  Enrol),
            (Required, false, false, false, Enrol),
            (Required, false, true,  false, Verify),
            (Admins,   false, false, false, None),
            (Admins,   true,  false, false, Enrol),
            (Admins,   true,  true,  false, Verify),
            (Admins,   false, true,  false, Verify),
        ];
        for (policy, admin, has, asked, want) in cases {
            assert_eq!(second_step(policy, admin, has, asked), want, "{policy:?} {admin} {has} {asked}");
        }
        assert!(asks_for_mfa(Some("urn:latch:acr:pwd urn:latch:acr:mfa")));
        assert!(!asks_for_mfa(Some("urn:latch:acr:pwd")) && !asks_for_mfa(Option::None));
        assert_eq!(acr_of(&amr_with(Some(AMR_OTP))), ACR_MFA);
        assert_eq!(amr_with(Some(AMR_OTP)), ["pwd", "otp", "mfa"]);
        assert_eq!(acr_of(&amr_with(Option::None)), ACR_PASSWORD);
        for p in [Optional, Required, Admins] {
            assert_eq!(MfaPolicy::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn when_a_session_answers_a_request_without_signing_in_again() {
        let password = amr_with(Option::None);
        let two = amr_with(Some(AMR_OTP));
        let old: Vec<String> = Vec::new();
        /// What, the session's amr, the policy, an admin, acr_values asks, suffices.
        type Case<'a> = (&'a str, &'a [String], MfaPolicy, bool, bool, bool);
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // what,                               session amr, policy,   admin, acr asks, suffices
            ("optional, password session",         &password, MfaPolicy::Optional, false, false, true),
            ("optional, the app asks for mfa",     &password, MfaPolicy::Optional, false, true,  false),
            ("optional, asked, mfa session",       &two,      MfaPolicy::Optional, false, true,  true),
            ("required, password session",         &password, MfaPolicy::Required, false, false, false),
            ("required, mfa session",              &two,      MfaPolicy::Required, false, false, true),
            ("admins, a user's password session",  &password, MfaPolicy::Admins,   false, false, true),
            ("admins, an admin's password session",&password, MfaPolicy::Admins,   true,  false, false),
            ("admins, an admin's mfa session",     &two,      MfaPolicy::Admins,   true,  false, true),
            ("a session from before amr, optional",&old,      MfaPolicy::Optional, false, false, true),
            ("a session from before amr, required",&old,      MfaPolicy::Required, false, false, false),
        ];
        for (what, amr, policy, admin, asked, want) in cases {
            assert_eq!(session_suffices(amr, needs_second_factor(*policy, *admin, *asked)), *want, "{what}");
        }
    }
}

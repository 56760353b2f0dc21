//! One-time codes sent by email: proving an address (verification) and recovering an account
//! (password reset). A code is six digits, lives ten minutes, works once, and is stored only as
//! an HMAC keyed by the server's secret, so a copy of the ephemeral store does not give it
//! away (six digits under a plain hash would fall to a million guesses). NIST SP 800-63B
//! §5.1.3 (out-of-band authenticators): single use, short-lived, a limited number of tries.
//!
//! A code is bound to its purpose, its user and the address it was sent to: a verification code
//! cannot reset a password, and a code sent to an address the user no longer has is worthless.

use crate::crypto::ct_eq;
use hmac::{Hmac, Mac};
use latch_domain::ids::UserId;
use latch_domain::{Random, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Digits in a code.
pub const CODE_LEN: usize = 6;
/// Seconds a code may be used.
pub const CODE_TTL_SECS: i64 = 10 * 60;
/// Wrong entries a code survives: the next one ends it. Six digits and five tries give a guess
/// one chance in 200 000 per code sent.
pub const MAX_TRIES: u64 = 5;
/// Codes one account may be sent per purpose and hour (each costs a message, and each new code
/// brings new tries).
pub const SENDS_PER_HOUR: u64 = 5;
/// Codes one account may be sent per purpose and day: with [`MAX_TRIES`], at most 50 guesses a
/// day, one chance in 20 000 of hitting a code.
pub const SENDS_PER_DAY: u64 = 10;
/// Codes one client address may ask for per hour, for any accounts.
pub const SENDS_PER_ADDRESS_PER_HOUR: u64 = 30;

/// What a code proves once entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The user reads mail at this address.
    VerifyEmail,
    /// The user reads mail at the account's address and may choose a new password.
    ResetPassword,
    /// The signed-in user reads mail at the new address they asked for.
    ChangeEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }
}

/// A code waiting to be entered, as stored (never the code itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub purpose: Purpose,
    pub user: UserId,
    /// The address the code went to.
    pub email: String,
    /// [`mac`] of the code.
    pub mac: String,
    pub expires_at: Timestamp,
}

/// A fresh code of [`CODE_LEN`] digits, each uniform (bytes of 250 and above are drawn again).
pub fn new_code(random: &dyn Random) -> String {
    let mut out = String::with_capacity(CODE_LEN);
    let mut buf = [0u8; 16];
    while out.len() < CODE_LEN {
        random.fill(&mut buf);
        for b in buf.iter().filter(|b| **b < 250) {
            if out.len() == CODE_LEN {
                break;
            }
            out.push(char::from(b'0' + b % 10));
        }
    }
    out
}

/// The stored form of `code` for `purpose`, `user` and `email`: HMAC-SHA-256 under `key`
/// (derived from the server's secret for this use only), base64url.
pub fn mac(key: &[u8; 32], purpose: Purpose, user: &UserId, email: &str, code: &str) -> String {
    use base64::Engine;
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else { return String::new() };
    for part in [purpose.as_str(), user.as_str(), &email.to_lowercase(), code] {
        m.update(part.as_bytes());
        m.update(&[0]);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// A code for `user` at `email`, and what to store for it.
pub fn issue(
    random: &dyn Random,
    key: &[u8; 32],
    purpose: Purpose,
    user: &UserId,
    email: &str,
    now: Timestamp,
) -> (String, Pending) {
    let code = new_code(random);
    let pending = Pending {
        purpose,
        user: user.clone(),
        email: email.to_owned(),
        mac: mac(key, purpose, user, email, &code),
        expires_at: now.plus_secs(CODE_TTL_SECS),
    };
    (code, pending)
}

/// What someone typed, as a code: spaces and dashes dropped; `None` unless six digits remain.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed.chars().filter(|c| !matches!(c, ' ' | '-' | '\t')).collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The outcome of entering a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The code is right: its purpose is proved (the caller then takes the pending code, so it
    /// works once even when two entries race).
    Accepted,
    /// Not this code; `left` more tries before it ends.
    Wrong { left: u64 },
    /// No live code: none was sent, it expired, it was used, or the address changed since.
    Expired,
    /// This entry is past [`MAX_TRIES`]: the code is ended and a new one must be sent.
    TooManyTries,
}

/// Checks `typed` against `pending`. `tries` counts this entry (counted before the check, as
/// every limit here is); `email` is the address the code must have gone to (the account's
/// address now; for [`Purpose::ChangeEmail`], the new one the page names). Compared in
/// constant time.
pub fn check(
    key: &[u8; 32],
    pending: Option<&Pending>,
    purpose: Purpose,
    email: Option<&str>,
    typed: &str,
    tries: u64,
    now: Timestamp,
) -> Check {
    let Some(p) = pending.filter(|p| p.purpose == purpose && now < p.expires_at) else { return Check::Expired };
    if email.is_none_or(|e| !e.eq_ignore_ascii_case(&p.email)) {
        return Check::Expired;
    }
    if tries > MAX_TRIES {
        return Check::TooManyTries;
    }
    let right = normalize(typed).is_some_and(|code| ct_eq(&mac(key, purpose, &p.user, &p.email, &code), &p.mac));
    if right { Check::Accepted } else { Check::Wrong { left: MAX_TRIES - tries } }
}

/// Whether a user who has just proved their password must first prove their email address:
/// when the operator requires verified addresses and this account's address is not (an account
/// without an address has nothing to verify).
pub fn must_verify_email(required: bool, email: Option<&str>, verified: bool) -> bool {
    required && email.is_some() && !verified
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Bytes(Vec<u8>);
    impl Random for Bytes {
        fn fill(&self, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = self.0[i % self.0.len()];
            }
        }
    }

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn codes_are_six_uniform_digits() {
        // 250..=255 would make 0–5 likelier: they are skipped.
        assert_eq!(new_code(&Bytes(vec![250, 251, 1, 255, 12, 9, 100, 249])), "129091");
        assert_eq!(normalize("129 099"), Some("129099".into()));
        assert_eq!(normalize("129-099"), Some("129099".into()));
        for bad in ["12909", "1290999", "12a099", "", "١٢٩٠٩٩"] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_code_is_bound_to_its_purpose_user_and_address() {
        let ada = UserId::from("ada");
        let m = mac(&KEY, Purpose::VerifyEmail, &ada, "ada@example.com", "123456");
        assert_eq!(m, mac(&KEY, Purpose::VerifyEmail, &ada, "ADA@example.com", "123456"), "addresses ignore case");
        for other in [
            mac(&KEY, Purpose::ResetPassword, &ada, "ada@example.com", "123456"),
            mac(&KEY, Purpose::VerifyEmail, &UserId::from("eve"), "ada@example.com", "123456"),
            mac(&KEY, Purpose::VerifyEmail, &ada, "eve@example.com", "123456"),
            mac(&KEY, Purpose::VerifyEmail, &ada, "ada@example.com", "123457"),
            mac(&[8; 32], Purpose::VerifyEmail, &ada, "ada@example.com", "123456"),
        ] {
            assert_ne!(m, other);
        }
        assert!(!m.contains("123456"));
    }

    #[test]
    fn checks() {
        let ada = UserId::from("ada");
        let now = Timestamp(1_000);
        let (code, pending) = issue(&Bytes(vec![1, 2, 3]), &KEY, Purpose::VerifyEmail, &ada, "ada@example.com", now);
        assert_eq!(code, "123123");
        assert_eq!(pending.expires_at, Timestamp(1_600));
        let addr = Some("ada@example.com");
        let late = now.plus_secs(CODE_TTL_SECS);
        use Check::*;
        type Case<'a> = (&'a str, Option<&'a Pending>, Purpose, Option<&'a str>, &'a str, u64, Timestamp, Check);
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("right",                 Some(&pending), Purpose::VerifyEmail,   addr, "123123",  1, now, Accepted),
            ("typed with a space",    Some(&pending), Purpose::VerifyEmail,   addr, "123 123", 1, now, Accepted),
            ("address in other case", Some(&pending), Purpose::VerifyEmail,   Some("Ada@Example.com"), "123123", 1, now, Accepted),
            ("last try, right",       Some(&pending), Purpose::VerifyEmail,   addr, "123123",  MAX_TRIES, now, Accepted),
            ("wrong",                 Some(&pending), Purpose::VerifyEmail,   addr, "123124",  1, now, Wrong { left: 4 }),
            ("not a code",            Some(&pending), Purpose::VerifyEmail,   addr, "abc",     2, now, Wrong { left: 3 }),
            ("last try, wrong",       Some(&pending), Purpose::VerifyEmail,   addr, "000000",  MAX_TRIES, now, Wrong { left: 0 }),
            ("past the tries",        Some(&pending), Purpose::VerifyEmail,   addr, "123123",  MAX_TRIES + 1, now, TooManyTries),
            ("expired",               Some(&pending), Purpose::VerifyEmail,   addr, "123123",  1, late, Expired),
            ("none sent",             None,           Purpose::VerifyEmail,   addr, "123123",  1, now, Expired),
            ("other purpose",         Some(&pending), Purpose::ResetPassword, addr, "123123",  1, now, Expired),
            ("a change of address",   Some(&pending), Purpose::ChangeEmail,   addr, "123123",  1, now, Expired),
            ("address changed",       Some(&pending), Purpose::VerifyEmail,   Some("new@example.com"), "123123", 1, now, Expired),
            ("address removed",       Some(&pending), Purpose::VerifyEmail,   None, "123123",  1, now, Expired),
        ];
        for (name, p, purpose, email, typed, tries, at, want) in cases {
            assert_eq!(check(&KEY, *p, *purpose, *email, typed, *tries, *at), *want, "{name}");
        }
    }

    #[test]
    fn who_must_verify_before_signing_in() {
        #[rustfmt::skip]
        let cases = [
            // required, address,                 verified, must verify
            (true,  Some("ada@example.com"), false, true),
            (true,  Some("ada@example.com"), true,  false),
            (true,  None,                    false, false),
            (false, Some("ada@example.com"), false, false),
        ];
        for (required, email, verified, want) in cases {
            assert_eq!(must_verify_email(required, email, verified), want, "{required} {email:?} {verified}");
        }
    }
}

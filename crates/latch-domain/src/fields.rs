//! The field rules every write path shares (admin API, `latch import`, bootstrap): usernames,
//! email addresses, phone numbers, the password policy, display names, web URLs, colours and
//! profile claims; and how sign-in reads the identifier a person typed. Pure: callers name the
//! field in their own vocabulary (`primaryEmail`, `email`) and choose their error codes.

use crate::scope;
use serde_json::{Map, Value};

/// Longest username, in characters.
pub const MAX_USERNAME: usize = 128;
/// Longest email address (RFC 5321 §4.5.3.1.3 path limit, less the angle brackets).
pub const MAX_EMAIL: usize = 254;
/// Longest local part of an email address (RFC 5321 §4.5.3.1.1).
pub const MAX_EMAIL_LOCAL: usize = 64;
/// Fewest and most digits of a phone number after the `+` (ITU-T E.164 §6: at most 15).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;
/// Shortest and longest password, in characters (NIST SP 800-63B §5.1.1.2).
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;
/// Longest display name of a user, or of an app on its consent screen.
pub const MAX_DISPLAY_NAME: usize = 256;
/// Longest web URL (avatar, logo, terms, privacy policy).
pub const MAX_URL: usize = 2048;
/// Members of the `address` claim (OpenID Connect Core §5.1.1).
pub const ADDRESS_MEMBERS: &[&str] = &["formatted", "street_address", "locality", "region", "postal_code", "country"];

/// Passwords refused whatever their length: the most common ones (NIST SP 800-63B §5.1.1.2
/// asks verifiers to check new passwords against lists of commonly used values).
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// Why a value breaks its field's rule. Messages quote at most the first 64 characters of the
/// value, and never a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error(
        "`{0}` contains `@`: a username cannot look like an email address (sign-in reads an identifier with `@` as an email)"
    )]
    UsernameLooksLikeEmail(String),
    #[error("`{0}` is not a username: 1 to 128 letters, digits, `_`, `.` or `-`")]
    Username(String),
    #[error("`{0}` is not an email address")]
    Email(String),
    #[error("`{0}` is not in E.164 form (`+` and 7 to 15 digits, such as +15551234567)")]
    Phone(String),
    #[error("the password must be at least 8 characters long")]
    PasswordTooShort,
    #[error("the password must be at most 256 characters long")]
    PasswordTooLong,
    #[error("this password is too common; choose another")]
    PasswordTooCommon,
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("`{0}` is not an absolute https URL of at most 2048 characters (http only for localhost)")]
    WebUrl(String),
    #[error("`{0}` is not a color like #3b5bdb")]
    Color(String),
    #[error("not a standard profile claim (given_name, family_name, locale, address, …)")]
    UnknownClaim,
    #[error("not a member of the address claim")]
    NotAddressMember,
    #[error("must be a string")]
    NotAString,
    #[error("must be an object (a table)")]
    NotAnObject,
}

/// The first 64 characters of `v`, for messages.
fn shown(v: &str) -> String {
    v.chars().take(64).collect()
}

/// A username: 1 to 128 ASCII letters, digits, `_`, `.` or `-`. Never an `@` (it would look like
/// an email address, see [`Identifier`]) and never a `+` (it would look like a phone number).
pub fn username(v: &str) -> Result<(), FieldError> {
    if v.contains('@') {
        return Err(FieldError::UsernameLooksLikeEmail(shown(v)));
    }
    let ok = (1..=MAX_USERNAME).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok { Ok(()) } else { Err(FieldError::Username(shown(v))) }
}

/// An email address in the shape RFC 5321 §4.1.2 and §4.5.3.1 allow for a mailbox: one `@`
/// between a local part of 1 to 64 octets and a dotted domain, at most 254 octets, no
/// whitespace or control characters.
pub fn email(v: &str) -> Result<(), FieldError> {
    let bad = || FieldError::Email(shown(v));
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    let ok = v.len() <= MAX_EMAIL
        && (1..=MAX_EMAIL_LOCAL).contains(&local.len())
        && domain_ok
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(bad()) }
}

/// A phone number in E.164 form: `+` and 7 to 15 digits (ITU-T E.164 §6).
pub fn phone(v: &str) -> Result<(), FieldError> {
    let digits = v.strip_prefix('+').unwrap_or("");
    if PHONE_DIGITS.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FieldError::Phone(shown(v)))
    }
}

/// The password policy (NIST SP 800-63B §5.1.1.2): 8 to 256 characters, no composition rules,
/// not one of the most common passwords (whatever the case).
pub fn password(v: &str) -> Result<(), FieldError> {
    let len = v.chars().count();
    if len < *PASSWORD_CHARS.start() {
        return Err(FieldError::PasswordTooShort);
    }
    if len > *PASSWORD_CHARS.end() {
        return Err(FieldError::PasswordTooLong);
    }
    let lower = v.to_lowercase();
    if COMMON_PASSWORDS.lines().any(|p| p == lower) {
        return Err(FieldError::PasswordTooCommon);
    }
    Ok(())
}

/// At most the first `max` characters of attacker-chosen text (a user agent, a client id as
/// presented, client metadata), without control characters, for storing and showing.
pub fn printable(v: &str, max: usize) -> String {
    v.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// A name people read (a user's name, an app's display name): not blank, at most `max`
/// characters.
pub fn text(v: &str, max: usize) -> Result<(), FieldError> {
    if v.trim().is_empty() {
        Err(FieldError::Empty)
    } else if v.chars().count() > max {
        Err(FieldError::TooLong(max))
    } else {
        Ok(())
    }
}

/// A display name: [`text`] of at most [`MAX_DISPLAY_NAME`] characters.
pub fn display_name(v: &str) -> Result<(), FieldError> {
    text(v, MAX_DISPLAY_NAME)
}

/// A URL Latch shows or links to (avatar, logo, terms of use, privacy policy): absolute https,
/// or http on `localhost`, `127.0.0.1` or `[::1]` for development; no user information (RFC 3986
/// §3.2.1), no whitespace or control characters (which parsers silently drop), at most 2048
/// characters.
pub fn web_url(v: &str) -> Result<(), FieldError> {
    let bad = || FieldError::WebUrl(shown(v));
    if v.len() > MAX_URL || v.chars().any(|c| c.is_whitespace() || c.is_control()) || has_userinfo(v) {
        return Err(bad());
    }
    let url = url::Url::parse(v).map_err(|_| bad())?;
    let ok = url.username().is_empty()
        && url.password().is_none()
        && match url.scheme() {
            "https" => url.host_str().is_some_and(|h| !h.is_empty()),
            "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
            _ => false,
        };
    if ok { Ok(()) } else { Err(bad()) }
}

/// Whether the authority of `raw` (between `scheme://` and the path) holds an `@`, even an
/// empty user information that a parser would drop (RFC 3986 §3.2.1).
pub(crate) fn has_userinfo(raw: &str) -> bool {
    let Some((_, rest)) = raw.split_once(':') else { return false };
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    authority.contains('@')
}

/// `#rrggbb`.
/// The WCAG 2.2 contrast ratio of two `#rrggbb` colours (1 to 21), from their relative
/// luminance (WCAG 2.2 "contrast ratio", "relative luminance"); `None` when either is not a
/// colour.
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    fn luminance(c: &str) -> Option<f64> {
        let hex = c.strip_prefix('#').filter(|h| h.len() == 6)?;
        let channel = |i: usize| -> Option<f64> {
            let v = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
            Some(if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) })
        };
        Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
    }
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

pub fn color(v: &str) -> Result<(), FieldError> {
    let ok = v.strip_prefix('#').is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok { Ok(()) } else { Err(FieldError::Color(shown(v))) }
}

/// A user's `profile`: standard claims only, as strings, and `address` as an object of strings
/// (OpenID Connect Core §5.1, §5.1.1). Returns every problem with its path below `profile`
/// (`locale`, `address.country`).
pub fn profile(m: &Map<String, Value>) -> Vec<(String, FieldError)> {
    let mut problems = Vec::new();
    for (key, value) in m {
        if !scope::is_profile_claim(key) {
            problems.push((key.clone(), FieldError::UnknownClaim));
        } else if key != "address" {
            if !value.is_string() {
                problems.push((key.clone(), FieldError::NotAString));
            }
        } else if let Some(members) = value.as_object() {
            for (member, v) in members {
                let path = format!("{key}.{member}");
                if !ADDRESS_MEMBERS.contains(&member.as_str()) {
                    problems.push((path, FieldError::NotAddressMember));
                } else if !v.is_string() {
                    problems.push((path, FieldError::NotAString));
                }
            }
        } else {
            problems.push((key.clone(), FieldError::NotAnObject));
        }
    }
    problems
}

/// What a person typed into the sign-in form, read one way only: with an `@` it is an email
/// address, otherwise a username. Usernames never contain `@` ([`username`]), so no username
/// can stand in for someone else's email. Phone numbers are not sign-in identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identifier<'a> {
    /// Looked up among primary emails, case-insensitively.
    Email(&'a str),
    /// Looked up among usernames, exactly.
    Username(&'a str),
}

impl<'a> Identifier<'a> {
    pub fn parse(typed: &'a str) -> Identifier<'a> {
        if typed.contains('@') { Identifier::Email(typed) } else { Identifier::Username(typed) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn usernames() {
        let long = "a".repeat(129);
        let cases: &[(&str, bool)] = &[
            ("ada", true),
            ("ada.lovelace-1_x", true),
            (&long[..128], true),
            (&long, false),
            ("", false),
            ("has space", false),
            ("tab\t", false),
            ("bob@example.com", false),
            ("@", false),
            ("+15551234567", false),
            ("émile", false),
            ("a/b", false),
        ];
        for (v, ok) in cases {
            assert_eq!(username(v).is_ok(), *ok, "{v:?}");
        }
        assert!(matches!(username("bob@example.com"), Err(FieldError::UsernameLooksLikeEmail(_))));
    }

    #[test]
    fn emails() {
        let local = "l".repeat(65);
        let long = format!("a@{}.com", "d".repeat(250));
        let cases: &[(&str, bool)] = &[
            ("ada@example.com", true),
            ("ADA+tag@mail.example.co.uk", true),
            ("not-an-email", false),
            ("@example.com", false),
            ("ada@", false),
            ("ada@localhost", false),
            ("ada@.example.com", false),
            ("ada@example.com.", false),
            ("ada@example..com", false),
            ("a@b@example.com", false),
            ("ada @example.com", false),
            ("ada@exa\nmple.com", false),
            (&format!("{local}@example.com"), false),
            (&long, false),
        ];
        for (v, ok) in cases {
            assert_eq!(email(v).is_ok(), *ok, "{v:?}");
        }
    }

    #[test]
    fn phones() {
        let cases: &[(&str, bool)] = &[
            ("+15551234567", true),
            ("+2901234", true),
            ("+123456789012345", true),
            ("+1234567890123456", false),
            ("+123456", false),
            ("+12", false),
            ("15551234567", false),
            ("555-1234", false),
            ("+1 555 123 4567", false),
            ("+", false),
        ];
        for (v, ok) in cases {
            assert_eq!(phone(v).is_ok(), *ok, "{v:?}");
        }
    }

    #[test]
    fn passwords_follow_nist() {
        let cases: &[(&str, Result<(), FieldError>)] = &[
            ("short", Err(FieldError::PasswordTooShort)),
            ("ünïcödé", Err(FieldError::PasswordTooShort)),
            (&"x".repeat(257), Err(FieldError::PasswordTooLong)),
            ("password", Err(FieldError::PasswordTooCommon)),
            ("Password1", Err(FieldError::PasswordTooCommon)),
            ("12345678", Err(FieldError::PasswordTooCommon)),
            ("correct horse battery staple", Ok(())),
            ("ünïcödé€", Ok(())),
            (&"x".repeat(256), Ok(())),
        ];
        for (v, want) in cases {
            assert_eq!(&password(v), want, "{v:?}");
        }
        assert!(!password("short").unwrap_err().to_string().contains("short"), "passwords are never quoted");
    }

    #[test]
    fn texts() {
        assert_eq!(display_name("Ada"), Ok(()));
        assert_eq!(display_name(" "), Err(FieldError::Empty));
        assert_eq!(display_name(&"é".repeat(256)), Ok(()), "characters, not bytes");
        assert_eq!(display_name(&"é".repeat(257)), Err(FieldError::TooLong(256)));
        assert_eq!(text("abc", 2), Err(FieldError::TooLong(2)));
    }

    #[test]
    fn contrast_ratios_follow_wcag() {
        let cases: &[(&str, &str, Option<f64>)] = &[
            ("#ffffff", "#000000", Some(21.0)),
            ("#000000", "#ffffff", Some(21.0)),
            ("#777777", "#777777", Some(1.0)),
            // The dark-mode Authorize button of old: white on #748ffc.
            ("#ffffff", "#748ffc", Some(2.96)),
            ("#3b5bdb", "#ffffff", Some(5.67)),
            ("#748ffc", "#141517", Some(6.16)),
            ("#fff", "#000000", None),
            ("#gggggg", "#000000", None),
            ("", "#000000", None),
        ];
        for (a, b, expected) in cases {
            let got = contrast_ratio(a, b).map(|r| (r * 100.0).round() / 100.0);
            match (got, expected) {
                (Some(g), Some(e)) => assert!((g - e).abs() < 0.02, "{a} on {b}: {g} not {e}"),
                (g, e) => assert_eq!(g, *e, "{a} on {b}"),
            }
        }
    }

    #[test]
    fn web_urls() {
        let long = format!("https://example.com/{}", "a".repeat(2048));
        let cases: &[(&str, bool)] = &[
            ("https://partner.example.com/logo.svg", true),
            ("https://partner.example.com", true),
            ("https://partner.example.com/terms#section-2", true),
            ("http://localhost:3000/dark.svg", true),
            ("http://127.0.0.1/x.png", true),
            ("http://[::1]/x.png", true),
            ("http://partner.example.com/logo.png", false),
            ("/logo-dark.png", false),
            ("javascript:alert(1)", false),
            ("data:image/png;base64,AAAA", false),
            ("https://user:pw@example.com/x", false),
            ("https://@example.com/x", false),
            ("https://exa\nmple.com/x", false),
            ("https:// example.com/x", false),
            (&long, false),
        ];
        for (v, ok) in cases {
            assert_eq!(web_url(v).is_ok(), *ok, "{v:?}");
        }
    }

    #[test]
    fn colors() {
        for (v, ok) in [("#3b5bdb", true), ("#3B5BDB", true), ("blue", false), ("#3b5bdg", false), ("#fff", false)] {
            assert_eq!(color(v).is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn profiles_hold_standard_claims_as_strings() {
        let ok = json!({"given_name": "Ada", "locale": "en-GB", "address": {"country": "GB"}});
        assert_eq!(profile(ok.as_object().expect("object")), vec![]);
        let bad = json!({
            "shoe_size": "42", "locale": 7, "address": {"planet": "Earth", "country": 44}, "name": "Ada"
        });
        let mut found = profile(bad.as_object().expect("object"));
        found.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            found,
            vec![
                ("address.country".to_owned(), FieldError::NotAString),
                ("address.planet".to_owned(), FieldError::NotAddressMember),
                ("locale".to_owned(), FieldError::NotAString),
                ("name".to_owned(), FieldError::UnknownClaim),
                ("shoe_size".to_owned(), FieldError::UnknownClaim),
            ]
        );
        assert_eq!(
            profile(json!({"address": "GB"}).as_object().expect("object")),
            vec![("address".to_owned(), FieldError::NotAnObject)]
        );
    }

    /// Security review, issue 9 item 8: one reading per identifier, so a username can never
    /// stand in for an email address.
    #[test]
    fn an_identifier_is_an_email_or_a_username_never_both() {
        let cases = [
            ("bob@example.com", Identifier::Email("bob@example.com")),
            ("BOB@Example.com", Identifier::Email("BOB@Example.com")),
            ("@", Identifier::Email("@")),
            ("bob", Identifier::Username("bob")),
            ("bob.example.com", Identifier::Username("bob.example.com")),
            ("+15551234567", Identifier::Username("+15551234567")),
        ];
        for (typed, want) in cases {
            assert_eq!(Identifier::parse(typed), want, "{typed}");
        }
        // Whatever a username may be, it never reads as an email.
        for name in ["bob", "bob.example.com", "a-b_c.d"] {
            assert!(username(name).is_ok());
            assert_eq!(Identifier::parse(name), Identifier::Username(name));
        }
    }

    #[test]
    fn userinfo_is_found_even_when_empty() {
        for (v, has) in [
            ("https://@rp.example/cb", true),
            ("https://:@rp.example/cb", true),
            ("https://u:p@rp.example/cb", true),
            ("https:@rp.example/cb", true),
            ("https://rp.example/cb?x=a@b", false),
            ("https://rp.example/a@b", false),
            ("com.example.app:/cb", false),
        ] {
            assert_eq!(has_userinfo(v), has, "{v}");
        }
    }
}

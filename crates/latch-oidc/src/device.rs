//! The device authorization grant (RFC 8628): which apps may use it, the device authorization
//! request, user codes people can type and attackers cannot guess, and what each poll of the
//! token endpoint answers.

use crate::authorize::{self, AuthRequest, Prompt};
use crate::code::CodeRecord;
use crate::error::{ErrorCode, OAuthError, ResponseMode};
use crate::params::Params;
use latch_domain::entities::{AppType, Application};
use latch_domain::ids::ApplicationId;
use latch_domain::{Random, Timestamp, scope};
use serde::{Deserialize, Serialize};

/// RFC 8628 §3.4: the `grant_type` a device polls the token endpoint with.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 8628 §6.1: twenty consonants, upper case, no vowels (no words spelled by accident) and
/// no look-alike digits. Eight of them give 20^8 ≈ 2.6·10^10 codes (34 bits); with a code
/// living ten minutes and the verification page limited per address, guessing is out of reach.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters in a user code (shown as two groups of four).
pub const USER_CODE_LEN: usize = 8;

/// Whether `app` may start the device flow: a native app whose operator turned it on (the
/// console's "Authorization flow" choice).
pub fn may_use(app: &Application) -> bool {
    app.app_type == AppType::Native && app.custom.device_flow == Some(true)
}

/// A fresh user code such as `BDFG-HJKL`, each character uniform over the alphabet (bytes from
/// `random` above the largest multiple of 20 are drawn again, so no letter is likelier).
pub fn user_code(random: &dyn Random) -> String {
    let mut out = String::with_capacity(USER_CODE_LEN + 1);
    let mut chosen = 0;
    let mut buf = [0u8; 16];
    while chosen < USER_CODE_LEN {
        random.fill(&mut buf);
        for b in buf {
            if chosen == USER_CODE_LEN {
                break;
            }
            if b >= 240 {
                continue;
            }
            if chosen == USER_CODE_LEN / 2 {
                out.push('-');
            }
            out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
            chosen += 1;
        }
    }
    out
}

/// What a person typed, as the code it stands for: case ignored, dashes and spaces dropped
/// (RFC 8628 §6.1). `None` when it cannot be a user code at all.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String =
        typed.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
    let valid = code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The normalized code shown in two groups, as the device displays it.
pub fn display_user_code(normalized: &str) -> String {
    match normalized.split_at_checked(USER_CODE_LEN / 2) {
        Some((a, b)) if normalized.len() == USER_CODE_LEN => format!("{a}-{b}"),
        _ => normalized.to_owned(),
    }
}

/// RFC 8628 §3.1: validates a device authorization request from `app` (already authenticated
/// as its type requires) into the request the verification page will carry through sign-in
/// and consent. `device` is the hash of the device code it will answer.
pub fn validate(params: &Params, app: &Application, device: String) -> Result<AuthRequest, OAuthError> {
    if !may_use(app) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this application is not allowed the device flow; an operator turns it on for native apps",
        ));
    }
    params.reject_duplicates()?;
    let scopes = scope::split(params.get("scope").unwrap_or(""));
    if let Some(bad) = scopes.iter().find(|s| !scope::is_valid_token(s)) {
        return Err(OAuthError::invalid_scope(format!("`{bad}` is not a valid scope token")));
    }
    Ok(AuthRequest {
        client_id: app.id.clone(),
        redirect_uri: String::new(),
        response_mode: ResponseMode::Query,
        scopes,
        state: None,
        nonce: None,
        code_challenge: None,
        // The user approves on another screen than the one that asked: always show consent
        // for what the grant does not cover yet, never answer silently.
        prompt: Prompt::default(),
        max_age: None,
        login_hint: None,
        ui_locales: params.get("ui_locales").map(scope::split).unwrap_or_default(),
        // As at the authorization endpoint: a device app may ask for a second factor.
        acr_values: params.get("acr_values").map(str::to_owned).filter(|v| !v.trim().is_empty()),
        resources: authorize::resources(params)?,
        device: Some(device),
    })
}

/// A device authorization waiting for its user, kept in the ephemeral store under the hash of
/// its device code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub client_id: ApplicationId,
    pub request: AuthRequest,
    /// Seconds the device must wait between polls (RFC 8628 §3.2 `interval`).
    pub interval: i64,
    pub expires_at: Timestamp,
}

/// What the user decided on the verification page, waiting for the device's next poll.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum DeviceAnswer {
    /// Approved: what the tokens will carry, as an authorization code would.
    Approved {
        code: Box<CodeRecord>,
    },
    Denied,
}

/// RFC 8628 §3.5: what a poll of the token endpoint gets. `Ok` means the approval is there and
/// tokens are issued now; each error is the code the device is answered with.
///
/// `polls` counts the polls within the current `interval` window, this one included.
pub fn poll(
    pending: &DeviceAuthorization,
    client: &ApplicationId,
    answer: Option<&DeviceAnswer>,
    polls: u64,
    now: Timestamp,
) -> Result<(), OAuthError> {
    if &pending.client_id != client {
        return Err(OAuthError::invalid_grant("the device code was issued to another client"));
    }
    if now >= pending.expires_at {
        return Err(OAuthError::new(ErrorCode::ExpiredToken, "the device code has expired; start again"));
    }
    match answer {
        Some(DeviceAnswer::Approved { .. }) => Ok(()),
        Some(DeviceAnswer::Denied) => Err(OAuthError::new(ErrorCode::AccessDenied, "the user denied the request")),
        None if polls > 1 => Err(OAuthError::new(
            ErrorCode::PollTooFast,
            format!("poll at most every {} seconds; wait 5 seconds more from now on", pending.interval),
        )),
        None => Err(OAuthError::new(ErrorCode::AuthorizationPending, "the user has not answered yet")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;
    use latch_domain::entities::CustomClientMetadata;
    use latch_domain::ids::{GrantId, SessionId, UserId};
    use std::sync::atomic::{AtomicU8, Ordering};

    /// Bytes stepping by 7 from a start, wrapping: every value, the rejected ones included.
    struct Counting(AtomicU8);

    impl Random for Counting {
        fn fill(&self, buf: &mut [u8]) {
            for b in buf {
                *b = self.0.fetch_add(7, Ordering::Relaxed);
            }
        }
    }

    fn app(app_type: AppType, device_flow: Option<bool>) -> Application {
        Application {
            id: ApplicationId::from("tv"),
            name: "TV".into(),
            description: None,
            app_type,
            is_third_party: true,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            custom: CustomClientMetadata { device_flow, ..Default::default() },
            created_at: Timestamp(0),
        }
    }

    #[test]
    fn only_native_apps_that_opted_in_may_use_the_device_flow() {
        let cases = [
            (AppType::Native, Some(true), true),
            (AppType::Native, Some(false), false),
            (AppType::Native, None, false),
            (AppType::Spa, Some(true), false),
            (AppType::Traditional, Some(true), false),
            (AppType::MachineToMachine, Some(true), false),
        ];
        for (t, flag, want) in cases {
            assert_eq!(may_use(&app(t, flag)), want, "{t:?} {flag:?}");
        }
    }

    #[test]
    fn user_codes_are_two_groups_of_four_from_the_alphabet() {
        let random = Counting(AtomicU8::new(200));
        for _ in 0..50 {
            let code = user_code(&random);
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-", "{code}");
            let normalized = normalize_user_code(&code).expect("a fresh code normalizes");
            assert_eq!(display_user_code(&normalized), code);
        }
    }

    #[test]
    fn bytes_past_the_last_multiple_of_twenty_are_drawn_again() {
        // 240..=255 would favour the first sixteen letters; they are skipped.
        struct High;
        impl Random for High {
            fn fill(&self, buf: &mut [u8]) {
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = if i % 2 == 0 { 250 } else { 19 };
                }
            }
        }
        assert_eq!(user_code(&High), "ZZZZ-ZZZZ");
    }

    #[test]
    fn typed_codes_normalize_or_are_refused() {
        let cases = [
            ("BDFG-HJKL", Some("BDFGHJKL")),
            ("bdfg-hjkl", Some("BDFGHJKL")),
            ("bdfg hjkl", Some("BDFGHJKL")),
            (" BDFGHJKL ", Some("BDFGHJKL")),
            ("BDFG-HJK", None),
            ("BDFG-HJKLM", None),
            ("ABCD-EFGH", None),
            ("BDFG-HJK1", None),
            ("", None),
            ("ВDFG-HJKL", None),
        ];
        for (typed, want) in cases {
            assert_eq!(normalize_user_code(typed).as_deref(), want, "{typed:?}");
        }
    }

    #[test]
    fn device_requests_need_the_opt_in_and_valid_scopes_and_resources() {
        let native = app(AppType::Native, Some(true));
        let cases: Vec<(&str, Application, Option<ErrorCode>)> = vec![
            ("scope=openid%20profile&resource=https%3A%2F%2Fapi.example", native.clone(), None),
            ("scope=openid", app(AppType::Native, None), Some(ErrorCode::UnauthorizedClient)),
            ("scope=openid", app(AppType::Spa, Some(true)), Some(ErrorCode::UnauthorizedClient)),
            ("scope=openid&scope=email", native.clone(), Some(ErrorCode::InvalidRequest)),
            ("scope=%22bad%22", native.clone(), Some(ErrorCode::InvalidScope)),
            ("resource=relative%2Fpath", native.clone(), Some(ErrorCode::InvalidTarget)),
            ("resource=https%3A%2F%2Fapi.example%23frag", native.clone(), Some(ErrorCode::InvalidTarget)),
        ];
        for (body, app, want) in cases {
            let params = Params::parse(body).expect("parses");
            let got = validate(&params, &app, "h".into());
            assert_eq!(got.as_ref().err().map(|e| e.code), want, "{body}");
            if let Ok(r) = got {
                assert_eq!(r.device.as_deref(), Some("h"));
                assert_eq!(r.scopes, ["openid", "profile"]);
                assert_eq!(r.resources, ["https://api.example"]);
                assert!(r.redirect_uri.is_empty() && !r.prompt.none);
            }
        }
    }

    fn pending() -> DeviceAuthorization {
        let params = Params::parse("scope=openid").expect("parses");
        let request = validate(&params, &app(AppType::Native, Some(true)), "h".into()).expect("valid");
        DeviceAuthorization { client_id: ApplicationId::from("tv"), request, interval: 5, expires_at: Timestamp(1_000) }
    }

    fn approved() -> DeviceAnswer {
        DeviceAnswer::Approved {
            code: Box::new(CodeRecord {
                client_id: ApplicationId::from("tv"),
                redirect_uri: String::new(),
                user_id: UserId::from("u"),
                session_id: SessionId("s".into()),
                grant_id: GrantId::from("g"),
                scopes: vec!["openid".into()],
                organization_scopes: Vec::new(),
                resources: Vec::new(),
                resource_scopes: Default::default(),
                organizations: Vec::new(),
                nonce: None,
                code_challenge: None,
                auth_time: Timestamp(900),
                amr: vec!["pwd".into()],
                expires_at: Timestamp(1_000),
            }),
        }
    }

    #[test]
    fn each_poll_gets_the_answer_rfc_8628_names() {
        let tv = ApplicationId::from("tv");
        let other = ApplicationId::from("other");
        let ok = approved();
        type Case<'a> = (&'a str, &'a ApplicationId, Option<&'a DeviceAnswer>, u64, i64, Option<ErrorCode>);
        let cases: Vec<Case> = vec![
            ("first poll, nobody answered", &tv, None, 1, 100, Some(ErrorCode::AuthorizationPending)),
            ("second poll in the same interval", &tv, None, 2, 100, Some(ErrorCode::PollTooFast)),
            ("approved", &tv, Some(&ok), 1, 100, None),
            ("approved, even polled fast", &tv, Some(&ok), 3, 100, None),
            ("denied", &tv, Some(&DeviceAnswer::Denied), 1, 100, Some(ErrorCode::AccessDenied)),
            ("expired while pending", &tv, None, 1, 1_000, Some(ErrorCode::ExpiredToken)),
            ("approved too late", &tv, Some(&ok), 1, 1_001, Some(ErrorCode::ExpiredToken)),
            ("another client's device code", &other, Some(&ok), 1, 100, Some(ErrorCode::InvalidGrant)),
        ];
        for (what, client, answer, polls, now, want) in cases {
            let got = poll(&pending(), client, answer, polls, Timestamp(now));
            assert_eq!(got.err().map(|e| e.code), want, "{what}");
        }
    }

    #[test]
    fn rfc_8628_error_codes_are_spelled_as_the_rfc_spells_them() {
        assert_eq!(ErrorCode::AuthorizationPending.as_str(), "authorization_pending");
        assert_eq!(ErrorCode::PollTooFast.as_str(), "slow_down");
        assert_eq!(ErrorCode::ExpiredToken.as_str(), "expired_token");
    }
}

//! The words of the end-user pages, one catalogue per language (`en.rs`, `fr.rs`), chosen by
//! `ui_locales` (OpenID Connect Core §3.1.2.1) or else the browser's `Accept-Language`. A
//! catalogue is a [`Words`] value: a phrase missing from one language does not compile.

mod en;
mod fr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// Every language the pages speak (discovery's `ui_locales_supported`).
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// This language's catalogue.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &en::WORDS,
            Lang::Fr => &fr::WORDS,
        }
    }

    fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_', ';']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The first supported of `ui_locales`, else of `Accept-Language` (by quality), else English.
    pub fn choose(ui_locales: &[String], accept_language: Option<&str>) -> Lang {
        if let Some(l) = ui_locales.iter().find_map(|t| Lang::parse(t)) {
            return l;
        }
        let mut ranked: Vec<(f32, Lang)> = accept_language
            .unwrap_or("")
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let lang = Lang::parse(bits.next()?)?;
                let q = bits.find_map(|b| b.trim().strip_prefix("q=")?.parse::<f32>().ok()).unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, l)| *l).unwrap_or(Lang::En)
    }

    /// The language of a request that carries no `ui_locales`: its `Accept-Language`.
    pub fn of_request(req: &actix_web::HttpRequest) -> Lang {
        Lang::of_request_asking(req, &[])
    }

    /// The language for `req` when its authorization request asked for `ui_locales`.
    pub fn of_request_asking(req: &actix_web::HttpRequest, ui_locales: &[String]) -> Lang {
        let accept = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Lang::choose(ui_locales, accept)
    }
}

/// An error page's heading and explanation.
pub struct Phrase {
    pub title: &'static str,
    pub body: &'static str,
}

/// Why an end-user page shows an error instead of what was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    ExpiredInteraction,
    BadAuthorizeRequest,
    Unreadable,
    NotFound,
    TooManyAttempts,
    Busy,
    Unavailable,
    NotSignedIn,
    SignInAgain,
    PageExpired,
    UnknownGrant,
    UnknownChoice,
    BadLogoutRequest,
    ExpiredLogout,
    StillSignedIn,
    BadPreview,
    ConsoleSignIn,
    NotAllowed,
    UnknownApplication,
    /// The device stopped waiting (its code expired) before the user finished.
    ExpiredDevice,
    /// The account's address must be verified before sign-in, and no email can be sent.
    EmailUnverifiable,
    /// A sign-in's second step took too many wrong codes and ended.
    TooManyCodes,
}

impl Problem {
    pub fn phrase(self, w: &'static Words) -> &'static Phrase {
        let p = &w.problems;
        match self {
            Problem::ExpiredInteraction => &p.expired_interaction,
            Problem::BadAuthorizeRequest => &p.bad_authorize_request,
            Problem::Unreadable => &p.unreadable,
            Problem::NotFound => &p.not_found,
            Problem::TooManyAttempts => &p.too_many_attempts,
            Problem::Busy => &p.busy,
            Problem::Unavailable => &p.unavailable,
            Problem::NotSignedIn => &p.not_signed_in,
            Problem::SignInAgain => &p.sign_in_again,
            Problem::PageExpired => &p.page_expired,
            Problem::UnknownGrant => &p.unknown_grant,
            Problem::UnknownChoice => &p.unknown_choice,
            Problem::BadLogoutRequest => &p.bad_logout_request,
            Problem::ExpiredLogout => &p.expired_logout,
            Problem::StillSignedIn => &p.still_signed_in,
            Problem::BadPreview => &p.bad_preview,
            Problem::ConsoleSignIn => &p.console_sign_in,
            Problem::NotAllowed => &p.not_allowed,
            Problem::UnknownApplication => &p.unknown_application,
            Problem::ExpiredDevice => &p.expired_device,
            Problem::TooManyCodes => &p.too_many_codes,
            Problem::EmailUnverifiable => &p.email_unverifiable,
        }
    }
}

/// Every error page, in one language.
pub struct Problems {
    pub expired_interaction: Phrase,
    pub bad_authorize_request: Phrase,
    pub unreadable: Phrase,
    pub not_found: Phrase,
    pub too_many_attempts: Phrase,
    pub busy: Phrase,
    pub unavailable: Phrase,
    pub not_signed_in: Phrase,
    pub sign_in_again: Phrase,
    pub page_expired: Phrase,
    pub unknown_grant: Phrase,
    pub unknown_choice: Phrase,
    pub bad_logout_request: Phrase,
    pub expired_logout: Phrase,
    pub still_signed_in: Phrase,
    pub bad_preview: Phrase,
    pub console_sign_in: Phrase,
    pub not_allowed: Phrase,
    pub unknown_application: Phrase,
    pub expired_device: Phrase,
    pub too_many_codes: Phrase,
    pub email_unverifiable: Phrase,
}

/// Every phrase of the end-user pages, in one language.
pub struct Words {
    // Sign-in.
    pub sign_in_title: &'static str,
    pub to_continue_to: &'static str,
    pub identifier: &'static str,
    pub password: &'static str,
    pub sign_in_button: &'static str,
    pub wrong_credentials: &'static str,
    // Consent.
    pub consent_title: &'static str,
    pub wants_access: &'static str,
    /// The consent screen of an app that registered itself (open registration).
    pub unverified_app: &'static str,
    pub signed_in_as: &'static str,
    pub not_you: &'static str,
    pub profile_section: &'static str,
    pub organizations_section: &'static str,
    pub share_organizations: &'static str,
    pub optional: &'static str,
    pub sent_to: &'static str,
    pub terms: &'static str,
    pub privacy: &'static str,
    pub authorize: &'static str,
    pub cancel: &'static str,
    // Connected apps.
    pub apps_title: &'static str,
    pub no_apps: &'static str,
    pub connected_on: &'static str,
    pub last_used: &'static str,
    pub never_used: &'static str,
    pub revoke: &'static str,
    pub revoke_note: &'static str,
    // Form post.
    pub returning: &'static str,
    pub continue_button: &'static str,
    // Sign-out.
    pub sign_out_title: &'static str,
    pub sign_out_question: &'static str,
    pub asks_to_sign_out: &'static str,
    pub an_app_asks_to_sign_out: &'static str,
    pub stay_signed_in: &'static str,
    pub sign_out_button: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_body: &'static str,
    pub asked_for_it: &'static str,
    pub close_page: &'static str,
    // Sign-up.
    pub create_account_link: &'static str,
    pub have_account_link: &'static str,
    pub sign_up_title: &'static str,
    pub email: &'static str,
    pub username: &'static str,
    pub name_optional: &'static str,
    pub password_hint: &'static str,
    pub create_account: &'static str,
    pub email_taken: &'static str,
    pub username_taken: &'static str,
    pub invalid_email: &'static str,
    pub invalid_username: &'static str,
    pub name_too_long: &'static str,
    pub password_too_short: &'static str,
    pub password_too_long: &'static str,
    pub password_too_common: &'static str,
    // One-time codes by email: verifying an address, resetting a password, and the message.
    pub verify_title: &'static str,
    pub verify_lead: &'static str,
    pub code: &'static str,
    pub verify_button: &'static str,
    pub resend_button: &'static str,
    pub skip_button: &'static str,
    pub code_sent_again: &'static str,
    pub code_wrong: &'static str,
    pub code_expired: &'static str,
    pub code_too_many: &'static str,
    pub code_limit: &'static str,
    /// A reset code refused, for whatever reason: the reason would tell whether an account has
    /// the address.
    pub code_refused: &'static str,
    pub forgot_link: &'static str,
    pub reset_title: &'static str,
    pub reset_lead: &'static str,
    pub send_code_button: &'static str,
    pub reset_sent: &'static str,
    pub new_password: &'static str,
    pub sign_out_apps: &'static str,
    pub sign_out_apps_hint: &'static str,
    pub set_password_button: &'static str,
    pub back_to_sign_in: &'static str,
    pub mail_verify_subject: &'static str,
    pub mail_verify_lead: &'static str,
    pub mail_reset_subject: &'static str,
    pub mail_reset_lead: &'static str,
    pub mail_expires_in: &'static str,
    pub mail_minutes_once: &'static str,
    pub mail_not_you: &'static str,
    // The account page.
    pub account_title: &'static str,
    pub profile_title: &'static str,
    pub name: &'static str,
    pub picture_url: &'static str,
    pub picture_hint: &'static str,
    pub save_profile: &'static str,
    pub saved: &'static str,
    pub invalid_picture: &'static str,
    pub email_title: &'static str,
    pub no_email: &'static str,
    pub verified: &'static str,
    pub not_verified: &'static str,
    pub new_email: &'static str,
    pub change_email_button: &'static str,
    pub confirm_email_title: &'static str,
    pub email_changed: &'static str,
    pub same_email: &'static str,
    pub password_title: &'static str,
    pub current_password: &'static str,
    pub change_password_button: &'static str,
    pub wrong_current_password: &'static str,
    pub password_changed: &'static str,
    pub no_password: &'static str,
    pub sessions_title: &'static str,
    pub this_device: &'static str,
    pub other_device: &'static str,
    pub signed_in_on: &'static str,
    pub last_active: &'static str,
    pub sign_out_everywhere: &'static str,
    pub apps_link: &'static str,
    // Second factors: the sign-in step, enrolment, recovery codes and the account page's part.
    pub mfa_title: &'static str,
    pub mfa_lead: &'static str,
    pub mfa_wrong: &'static str,
    pub mfa_limited: &'static str,
    pub enrol_title: &'static str,
    pub enrol_required: &'static str,
    pub enrol_lead: &'static str,
    pub qr_label: &'static str,
    pub enrol_key: &'static str,
    pub enrol_button: &'static str,
    pub enrol_expired: &'static str,
    pub totp_name: &'static str,
    pub recovery_title: &'static str,
    pub recovery_lead: &'static str,
    pub back_to_account: &'static str,
    pub mfa_off: &'static str,
    pub mfa_set_up_button: &'static str,
    pub added_on: &'static str,
    pub recovery_left: &'static str,
    pub mfa_manage_hint: &'static str,
    pub remove_button: &'static str,
    pub new_recovery_button: &'static str,
    pub factor_removed: &'static str,
    pub mfa_lead_passkey: &'static str,
    pub passkey_sign_in: &'static str,
    pub passkey_use: &'static str,
    pub passkey_add: &'static str,
    pub passkey_lead: &'static str,
    pub passkey_create: &'static str,
    pub passkey_needs_script: &'static str,
    pub passkey_failed: &'static str,
    pub passkey_refused: &'static str,
    pub passkey_name: &'static str,
    pub passkey_added: &'static str,
    pub totp_added: &'static str,
    pub enrol_passkey_instead: &'static str,
    pub passkey_taken: &'static str,
    // The device flow (RFC 8628): entering the code a device shows, and the outcome.
    pub device_title: &'static str,
    pub device_lead: &'static str,
    pub user_code: &'static str,
    /// Remote phishing (RFC 8628 §5.4): enter only a code from a device of your own.
    pub device_warning: &'static str,
    pub device_wrong_code: &'static str,
    /// On the consent screen instead of [`Words::sent_to`].
    pub device_consent_note: &'static str,
    pub device_approved_title: &'static str,
    pub device_approved_body: &'static str,
    pub device_denied_title: &'static str,
    pub device_denied_body: &'static str,
    // Error pages.
    pub details_for_developer: &'static str,
    pub problems: Problems,
}

/// A user scope in words (`latch_domain::scope::wording`, which the admin API shows too).
pub fn user_scope(lang: Lang, scope: &str) -> Option<&'static str> {
    latch_domain::scope::wording(scope, lang.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_choice() {
        assert_eq!(Lang::choose(&["fr-CA".into()], Some("en")), Lang::Fr, "ui_locales first");
        assert_eq!(Lang::choose(&["de".into()], Some("de, fr;q=0.8, en;q=0.5")), Lang::Fr);
        assert_eq!(Lang::choose(&[], Some("en;q=0.4, fr;q=0.9")), Lang::Fr, "by quality");
        assert_eq!(Lang::choose(&[], None), Lang::En);
        assert_eq!(Lang::choose(&[], Some("ja")), Lang::En);
    }

    #[test]
    fn every_problem_reads_differently_in_each_language() {
        use Problem::*;
        let all = [
            ExpiredInteraction,
            BadAuthorizeRequest,
            Unreadable,
            NotFound,
            TooManyAttempts,
            Busy,
            Unavailable,
            NotSignedIn,
            SignInAgain,
            PageExpired,
            UnknownGrant,
            UnknownChoice,
            BadLogoutRequest,
            ExpiredLogout,
            StillSignedIn,
            BadPreview,
            ConsoleSignIn,
            NotAllowed,
            UnknownApplication,
            ExpiredDevice,
            EmailUnverifiable,
            TooManyCodes,
        ];
        for p in all {
            let (en, fr) = (p.phrase(Lang::En.words()), p.phrase(Lang::Fr.words()));
            assert!(!en.title.is_empty() && !en.body.is_empty(), "{p:?}");
            assert_ne!(en.body, fr.body, "{p:?} is not translated");
        }
    }
}

//! Server-rendered end-user pages: plain HTML forms that work without JavaScript, labelled
//! inputs, one stylesheet, strict security headers (`frame-ancestors 'none'`). Every page is an
//! askama template under `templates/`, compiled with the crate and HTML-escaped by
//! construction: a value reaches the page through `{{ }}`, which escapes it, or not at all.
//! The words come from the reader's catalogue ([`crate::i18n`]).

use crate::i18n::{Lang, Problem, Words};
use crate::state::IdpState;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;

pub mod factors;

const CSS: &str = include_str!("latch.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

/// Security headers every page carries. `script_nonce` allows one inline script (form_post).
fn page(status: StatusCode, page: &impl Template, script_nonce: Option<&str>) -> HttpResponse {
    page_full(status, page, script_nonce, "'none'")
}

/// [`page`] with the `frame-ancestors` source list spelled out (only the console preview
/// allows anything but `'none'`).
fn page_full(
    status: StatusCode,
    page: &impl Template,
    script_nonce: Option<&str>,
    frame_ancestors: &str,
) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            // Only a failing `Display` can get here; every value on these pages is a string.
            tracing::error!(error = %e, "an end-user page failed to render");
            return HttpResponse::ServiceUnavailable().content_type("text/plain; charset=utf-8").body("Try again.");
        }
    };
    let script = match script_nonce {
        Some(n) => format!("script-src 'nonce-{n}'"),
        None => "script-src 'none'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; {script}; \
         frame-ancestors {frame_ancestors}; base-uri 'none'"
    );
    let mut b = HttpResponse::build(status);
    b.content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if frame_ancestors == "'none'" {
        b.insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    b.body(body)
}

/// What every page's frame (`templates/base.html`) shows: the identity provider's branding
/// around the page's own content. `base` is `public_url`: every link to Latch itself is
/// absolute.
pub struct Frame<'a> {
    base: &'a str,
    lang: &'static str,
    theme_class: &'static str,
    title: &'a str,
    w: &'static Words,
    org: Option<String>,
    logo: Logo,
    favicon: Option<String>,
    /// The stylesheet of the branding's colours and custom CSS, when it sets any.
    brand_css: Option<String>,
}

impl<'a> Frame<'a> {
    fn new(idp: &'a IdpState, lang: Lang, title: &'a str) -> Frame<'a> {
        let base = idp.core.settings.public_url.as_str();
        let b = idp.core.idp_branding();
        let styled = b.accent_color.is_some() || b.dark_accent_color.is_some() || b.custom_css.is_some();
        Frame {
            base,
            lang: lang.code(),
            theme_class: "",
            title,
            w: lang.words(),
            org: b.organization_name.clone(),
            logo: Logo::of(b.logo_url.clone(), b.dark_logo_url.clone(), None),
            favicon: b.favicon_url.clone(),
            brand_css: styled.then(|| format!("{base}/assets/brand.css?v={}", b.updated_at.0)),
        }
    }
}

/// `/assets/brand.css`: the accent colours of the identity provider's branding (already
/// checked for contrast, `rules::idp_branding`), then the operator's custom CSS. Served as a
/// stylesheet of its own, so nothing in it can reach the HTML.
pub async fn brand_stylesheet(idp: actix_web::web::Data<IdpState>) -> HttpResponse {
    let b = idp.core.idp_branding();
    let mut css = String::new();
    if let Some(light) = &b.accent_color {
        css.push_str(&format!(
            ":root, :root.theme-light {{ --accent: {light}; --on-accent: #fff; }}\n\
             @media (prefers-color-scheme: light) {{ :root {{ --accent: {light}; --on-accent: #fff; }} }}\n"
        ));
    }
    if let Some(dark) = &b.dark_accent_color {
        css.push_str(&format!(
            "@media (prefers-color-scheme: dark) {{ :root {{ --accent: {dark}; --on-accent: {on}; }} }}\n\
             :root.theme-dark {{ --accent: {dark}; --on-accent: {on}; }}\n",
            on = latch_domain::rules::DARK_ON_ACCENT
        ));
    }
    if let Some(custom) = &b.custom_css {
        css.push_str("/* The operator's own CSS. */\n");
        css.push_str(custom);
        css.push('\n');
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(css)
}

/// A colour scheme forced on a page (the console previews both), instead of the reader's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn parse(v: &str) -> Option<Theme> {
        match v {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Theme::Light => "theme-light",
            Theme::Dark => "theme-dark",
        }
    }
}

/// An app's logo: one image, or a light and a dark one the reader's scheme chooses between.
pub enum Logo {
    None,
    One(String),
    Pair(String, String),
}

impl Logo {
    fn is_none(&self) -> bool {
        matches!(self, Logo::None)
    }

    /// The logo for `light` and `dark` URLs; a forced `theme` shows its own image (a
    /// `<picture>` would follow the reader's scheme instead).
    pub fn of(light: Option<String>, dark: Option<String>, theme: Option<Theme>) -> Logo {
        match (light, dark, theme) {
            (Some(_), Some(dark), Some(Theme::Dark)) => Logo::One(dark),
            (Some(light), Some(_), Some(Theme::Light)) => Logo::One(light),
            (Some(light), Some(dark), None) => Logo::Pair(light, dark),
            (Some(one), None, _) | (None, Some(one), _) => Logo::One(one),
            (None, None, _) => Logo::None,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    f: Frame<'a>,
    body: &'static str,
    detail: Option<&'a str>,
}

/// The page for `problem`, in `lang`; `detail` is for the application's developer (an OAuth
/// error description, in English as RFC 6749 §5.2 writes them).
pub fn error_page(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    problem: Problem,
    detail: Option<&str>,
) -> HttpResponse {
    let phrase = problem.phrase(lang.words());
    page(status, &ErrorPage { f: Frame::new(idp, lang, phrase.title), body: phrase.body, detail }, None)
}

/// What the sign-in page shows: the app as its branding names it.
pub struct SignIn<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    pub logo: Logo,
    pub identifier: &'a str,
    /// Why the last attempt failed (for a password, the one message that never says which part
    /// was wrong).
    pub error: Option<&'static str>,
    /// The sign-up page of this interaction, when people may create accounts.
    pub sign_up: Option<String>,
    /// The password-reset page of this interaction, when Latch can send email.
    pub reset: Option<String>,
    /// "Sign in with a passkey", where passkeys work.
    pub passkey: Option<factors::PasskeyForm>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    f: Frame<'a>,
    app: &'a str,
    logo: &'a Logo,
    interaction: &'a str,
    csrf: &'a str,
    identifier: &'a str,
    error: Option<&'static str>,
    sign_up: Option<&'a str>,
    reset: Option<&'a str>,
    passkey: Option<&'a factors::PasskeyForm>,
}

pub fn sign_in(idp: &IdpState, lang: Lang, status: StatusCode, v: &SignIn<'_>) -> HttpResponse {
    let w = lang.words();
    let tmpl = SignInPage {
        f: Frame::new(idp, lang, w.sign_in_title),
        app: v.app_name,
        logo: &v.logo,
        interaction: v.interaction,
        csrf: v.csrf,
        identifier: v.identifier,
        error: v.error,
        sign_up: v.sign_up.as_deref(),
        reset: v.reset.as_deref(),
        passkey: v.passkey.as_ref(),
    };
    page(status, &tmpl, v.passkey.as_ref().map(|p| p.nonce.as_str()))
}

const PASSKEY_JS: &str = include_str!("passkey.js");

/// `/assets/passkey.js`: the passkey ceremonies of the pages that offer one.
pub async fn passkey_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(PASSKEY_JS)
}

/// What the sign-up page shows: the app as its branding names it, what was typed (never the
/// password), and the error of the last attempt.
pub struct SignUp<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    pub logo: Logo,
    /// Accounts are made of an email address (else a username).
    pub by_email: bool,
    pub identifier: &'a str,
    pub name: &'a str,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage<'a> {
    f: Frame<'a>,
    app: &'a str,
    logo: &'a Logo,
    interaction: &'a str,
    csrf: &'a str,
    by_email: bool,
    identifier: &'a str,
    name: &'a str,
    error: Option<&'static str>,
}

pub fn sign_up(idp: &IdpState, lang: Lang, status: StatusCode, v: &SignUp<'_>) -> HttpResponse {
    let tmpl = SignUpPage {
        f: Frame::new(idp, lang, lang.words().sign_up_title),
        app: v.app_name,
        logo: &v.logo,
        interaction: v.interaction,
        csrf: v.csrf,
        by_email: v.by_email,
        identifier: v.identifier,
        name: v.name,
        error: v.error,
    };
    page(status, &tmpl, None)
}

/// What the email-verification page shows: where the code went, and how the last step went.
pub struct VerifyEmail<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    /// The operator does not require a verified address: the user may go on without.
    pub skippable: bool,
    pub error: Option<&'static str>,
    pub notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage<'a> {
    f: Frame<'a>,
    interaction: &'a str,
    csrf: &'a str,
    email: &'a str,
    skippable: bool,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

pub fn verify_email(idp: &IdpState, lang: Lang, status: StatusCode, v: &VerifyEmail<'_>) -> HttpResponse {
    let tmpl = VerifyEmailPage {
        f: Frame::new(idp, lang, lang.words().verify_title),
        interaction: v.interaction,
        csrf: v.csrf,
        email: v.email,
        skippable: v.skippable,
        error: v.error,
        notice: v.notice,
    };
    page(status, &tmpl, None)
}

/// What the password-reset page shows: the address form, or (`sent`) the code and new
/// password form for the address typed.
pub struct ResetPassword<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub email: &'a str,
    pub sent: bool,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage<'a> {
    f: Frame<'a>,
    interaction: &'a str,
    csrf: &'a str,
    email: &'a str,
    sent: bool,
    error: Option<&'static str>,
}

pub fn reset_password(idp: &IdpState, lang: Lang, status: StatusCode, v: &ResetPassword<'_>) -> HttpResponse {
    let tmpl = ResetPasswordPage {
        f: Frame::new(idp, lang, lang.words().reset_title),
        interaction: v.interaction,
        csrf: v.csrf,
        email: v.email,
        sent: v.sent,
        error: v.error,
    };
    page(status, &tmpl, None)
}

/// One line of the consent screen: a scope in words; optional lines carry a checkbox whose
/// value is the item's choice key (per resource, so `read` of one API is not another's).
pub struct Line {
    pub scope: String,
    pub key: String,
    pub label: String,
    pub required: bool,
}

/// What the consent page shows (DESIGN.md "Third-party app rules").
pub struct ConsentView {
    pub lang: Lang,
    pub app_name: String,
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub terms_url: Option<String>,
    pub privacy_url: Option<String>,
    pub user_label: String,
    /// The app registered itself and the operator wants users told so.
    pub unverified: bool,
    pub user_lines: Vec<Line>,
    /// One group per API resource: its name and its lines.
    pub resources: Vec<(String, Vec<Line>)>,
    pub org_lines: Vec<Line>,
    /// API resource scopes held through organization roles: one group per resource.
    pub org_resources: Vec<(String, Vec<Line>)>,
    /// The organizations the user may share (id, name), when organizations are asked for.
    pub organizations: Vec<(String, String)>,
    /// Where the answer goes; `None` for a device authorization (RFC 8628), answered to the
    /// polling device instead.
    pub redirect_origin: Option<String>,
    /// A colour scheme the console preview forces; `None` follows the reader's.
    pub theme: Option<Theme>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    f: Frame<'a>,
    v: &'a ConsentView,
    logo: Logo,
    /// `None` renders the console preview: no form.
    interaction: Option<&'a str>,
    csrf: &'a str,
}

/// The consent screen. `form` is `(interaction, csrf)` for the real page; `None` renders the
/// console preview (no form, framable by `frame_origin`).
pub fn consent(
    idp: &IdpState,
    v: &ConsentView,
    form: Option<(&str, &str)>,
    frame_origin: Option<&str>,
) -> HttpResponse {
    let mut f = Frame::new(idp, v.lang, v.lang.words().consent_title);
    f.theme_class = v.theme.map(Theme::class).unwrap_or_default();
    let tmpl = ConsentPage {
        f,
        v,
        logo: Logo::of(v.logo_url.clone(), v.dark_logo_url.clone(), v.theme),
        interaction: form.map(|(i, _)| i),
        csrf: form.map(|(_, c)| c).unwrap_or_default(),
    };
    let frame = frame_origin.unwrap_or("'none'");
    page_full(StatusCode::OK, &tmpl, None, frame)
}

/// One row of the connected-apps page.
pub struct ConnectedApp {
    pub grant_id: String,
    pub display_name: String,
    pub app_name: String,
    pub logo_url: Option<String>,
    /// What the app may access, in words.
    pub access: Vec<String>,
    pub granted_at: i64,
    pub last_used_at: Option<i64>,
}

/// A date for people: `2026-11-30` (UTC), from seconds since the epoch.
fn day(secs: i64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm), enough for a date without a time library.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A connected app as the page shows it: dates already written out.
struct AppRow<'a> {
    grant_id: &'a str,
    display_name: &'a str,
    app_name: &'a str,
    logo_url: Option<&'a str>,
    access: &'a [String],
    granted: String,
    used: Option<String>,
}

#[derive(Template)]
#[template(path = "connected_apps.html")]
struct ConnectedAppsPage<'a> {
    f: Frame<'a>,
    user: &'a str,
    apps: Vec<AppRow<'a>>,
    csrf: &'a str,
}

/// `/account/apps`: one row per connected app, each with its own Revoke form.
pub fn connected_apps(idp: &IdpState, lang: Lang, user: &str, apps: &[ConnectedApp], csrf: &str) -> HttpResponse {
    let rows = apps
        .iter()
        .map(|a| AppRow {
            grant_id: &a.grant_id,
            display_name: &a.display_name,
            app_name: &a.app_name,
            logo_url: a.logo_url.as_deref(),
            access: &a.access,
            granted: day(a.granted_at),
            used: a.last_used_at.map(day),
        })
        .collect();
    let tmpl = ConnectedAppsPage { f: Frame::new(idp, lang, lang.words().apps_title), user, apps: rows, csrf };
    page(StatusCode::OK, &tmpl, None)
}

/// A session of the account page's user.
pub struct AccountSession {
    /// This browser's.
    pub current: bool,
    pub signed_in_at: i64,
    pub last_active_at: i64,
    /// The browser's `User-Agent` when it signed in.
    pub user_agent: Option<String>,
}

/// A second factor on the account page.
pub struct AccountFactor {
    pub id: String,
    pub name: String,
    pub added_at: i64,
}

/// What the account page shows, and how the last change went.
pub struct Account<'a> {
    pub label: &'a str,
    pub csrf: &'a str,
    pub name: &'a str,
    pub picture: &'a str,
    pub email: Option<&'a str>,
    pub verified: bool,
    /// Latch can send email: the address may be changed (a code goes to the new one).
    pub can_mail: bool,
    pub has_password: bool,
    pub sessions: &'a [AccountSession],
    pub factors: &'a [AccountFactor],
    /// Recovery codes left (when the user has a factor).
    pub recovery_left: u64,
    /// The user has an authenticator app (one is enough).
    pub has_totp: bool,
    /// Passkeys work here (the public URL's host may be a relying party).
    pub can_passkey: bool,
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
}

struct SessionRow {
    current: bool,
    signed_in: String,
    active: String,
    user_agent: String,
}

struct FactorRow<'a> {
    id: &'a str,
    name: &'a str,
    added: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    f: Frame<'a>,
    label: &'a str,
    csrf: &'a str,
    name: &'a str,
    picture: &'a str,
    email: Option<&'a str>,
    verified: bool,
    can_mail: bool,
    has_password: bool,
    sessions: Vec<SessionRow>,
    factors: Vec<FactorRow<'a>>,
    recovery_left: u64,
    has_totp: bool,
    can_passkey: bool,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

/// `/account`: the profile, the email address, the password, the second factors and the
/// sessions, each its own form.
pub fn account(idp: &IdpState, lang: Lang, status: StatusCode, v: &Account<'_>) -> HttpResponse {
    let sessions = v
        .sessions
        .iter()
        .map(|s| SessionRow {
            current: s.current,
            signed_in: day(s.signed_in_at),
            active: day(s.last_active_at),
            user_agent: s.user_agent.clone().unwrap_or_default(),
        })
        .collect();
    let factors = v.factors.iter().map(|f| FactorRow { id: &f.id, name: &f.name, added: day(f.added_at) }).collect();
    let tmpl = AccountPage {
        f: Frame::new(idp, lang, lang.words().account_title),
        label: v.label,
        csrf: v.csrf,
        name: v.name,
        picture: v.picture,
        email: v.email,
        verified: v.verified,
        can_mail: v.can_mail,
        has_password: v.has_password,
        sessions,
        factors,
        recovery_left: v.recovery_left,
        has_totp: v.has_totp,
        can_passkey: v.can_passkey,
        notice: v.notice,
        error: v.error,
    };
    page(status, &tmpl, None)
}

#[derive(Template)]
#[template(path = "account_email.html")]
struct AccountEmailPage<'a> {
    f: Frame<'a>,
    csrf: &'a str,
    email: &'a str,
    error: Option<&'static str>,
}

/// The code form for a new email address, sent from the account page.
pub fn account_email(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    csrf: &str,
    email: &str,
    error: Option<&'static str>,
) -> HttpResponse {
    let tmpl = AccountEmailPage { f: Frame::new(idp, lang, lang.words().confirm_email_title), csrf, email, error };
    page(status, &tmpl, None)
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    f: Frame<'a>,
    action: &'a str,
    params: &'a [(&'static str, String)],
    nonce: &'a str,
}

/// OAuth 2.0 Form Post Response Mode: a form that posts `params` to `action`, submitted by a
/// script when JavaScript runs and by a button when it does not.
pub fn form_post(idp: &IdpState, lang: Lang, action: &str, params: &[(&'static str, String)]) -> HttpResponse {
    let nonce = idp.core.token(16);
    let tmpl = FormPostPage { f: Frame::new(idp, lang, lang.words().returning), action, params, nonce: &nonce };
    page(StatusCode::OK, &tmpl, Some(&nonce))
}

/// What the sign-out confirmation shows (RP-Initiated Logout 1.0 §2).
pub struct LogoutConfirm<'a> {
    pub logout: &'a str,
    pub csrf: &'a str,
    pub app_name: Option<&'a str>,
    pub user_label: &'a str,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct LogoutConfirmPage<'a> {
    f: Frame<'a>,
    user: &'a str,
    app: Option<&'a str>,
    logout: &'a str,
    csrf: &'a str,
}

pub fn logout_confirm(idp: &IdpState, lang: Lang, v: &LogoutConfirm<'_>) -> HttpResponse {
    let tmpl = LogoutConfirmPage {
        f: Frame::new(idp, lang, lang.words().sign_out_title),
        user: v.user_label,
        app: v.app_name,
        logout: v.logout,
        csrf: v.csrf,
    };
    page(StatusCode::OK, &tmpl, None)
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage<'a> {
    f: Frame<'a>,
    app: Option<&'a str>,
}

/// The page after a sign-out that does not go back to the application.
pub fn signed_out(idp: &IdpState, lang: Lang, app_name: Option<&str>) -> HttpResponse {
    let tmpl = SignedOutPage { f: Frame::new(idp, lang, lang.words().signed_out_title), app: app_name };
    page(StatusCode::OK, &tmpl, None)
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage<'a> {
    f: Frame<'a>,
    user_code: &'a str,
    csrf: &'a str,
    error: Option<&'static str>,
}

/// `/device` (RFC 8628 §3.3): the form for the code a device shows, filled in when the device's
/// `verification_uri_complete` brought the user here; `failed` after a code that did not match.
pub fn device(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    user_code: &str,
    csrf: &str,
    failed: bool,
) -> HttpResponse {
    let w = lang.words();
    let tmpl = DevicePage {
        f: Frame::new(idp, lang, w.device_title),
        user_code,
        csrf,
        error: failed.then_some(w.device_wrong_code),
    };
    page(status, &tmpl, None)
}

#[derive(Template)]
#[template(path = "device_done.html")]
struct DeviceDonePage<'a> {
    f: Frame<'a>,
    app: &'a str,
    approved: bool,
}

/// The end of a device authorization in the browser: the device is signed in (`approved`) or
/// gets nothing.
pub fn device_done(idp: &IdpState, lang: Lang, app_name: &str, approved: bool) -> HttpResponse {
    let w = lang.words();
    let title = if approved { w.device_approved_title } else { w.device_denied_title };
    let tmpl = DeviceDonePage { f: Frame::new(idp, lang, title), app: app_name, approved };
    page(StatusCode::OK, &tmpl, None)
}

//! The pages of second factors: entering a code (or using a passkey) at sign-in, enrolling an
//! authenticator app (a QR code of its `otpauth://` URI and the key to type instead), adding a
//! passkey, and the recovery codes, shown once. Each form posts to `action` with `hidden` fields, so the sign-in step and the
//! account page share them.

use super::{Frame, Logo, page};
use crate::i18n::Lang;
use crate::state::IdpState;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

/// Where a form of these pages posts, and what it carries besides what the user types.
pub struct Target {
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
}

/// A passkey ceremony on a page (`templates/passkey_form.html`, run by `passkey.js`): the
/// options for the browser, and where the result is posted.
pub struct PasskeyForm {
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    /// `create` (registration) or `get` (authentication).
    pub ceremony: &'static str,
    /// The options, JSON.
    pub options: String,
    pub label: &'static str,
    /// The button's id.
    pub id: &'static str,
    /// The nonce the page's CSP allows the script with.
    pub nonce: String,
    /// The current password is asked with it (adding a factor on the account page).
    pub password: bool,
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    f: Frame<'a>,
    target: &'a Target,
    has_totp: bool,
    passkey: Option<&'a PasskeyForm>,
    error: Option<&'static str>,
}

/// What the second step offers: a code (of an authenticator app, when the user has one, or a
/// recovery code) and, when the user has passkeys, a passkey.
pub struct SecondStepView<'a> {
    pub target: &'a Target,
    pub has_totp: bool,
    pub passkey: Option<&'a PasskeyForm>,
}

/// The code form of a sign-in's second step.
pub fn second_factor(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    v: &SecondStepView<'_>,
    error: Option<&'static str>,
) -> HttpResponse {
    let tmpl = SecondFactorPage {
        f: Frame::new(idp, lang, lang.words().mfa_title),
        target: v.target,
        has_totp: v.has_totp,
        passkey: v.passkey,
        error,
    };
    page(status, &tmpl, v.passkey.map(|p| p.nonce.as_str()))
}

#[derive(Template)]
#[template(path = "add_passkey.html")]
struct AddPasskeyPage<'a> {
    f: Frame<'a>,
    pk: &'a PasskeyForm,
    error: Option<&'static str>,
}

/// The page that creates a passkey (the account page's "Add a passkey").
pub fn add_passkey(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    pk: &PasskeyForm,
    error: Option<&'static str>,
) -> HttpResponse {
    let tmpl = AddPasskeyPage { f: Frame::new(idp, lang, lang.words().passkey_add), pk, error };
    page(status, &tmpl, Some(&pk.nonce))
}

#[derive(Template)]
#[template(path = "enrol_totp.html")]
struct EnrolPage<'a> {
    f: Frame<'a>,
    target: &'a Target,
    /// The QR code, an SVG image as a `data:` URI (the pages' CSP allows `data:` images).
    qr: String,
    /// The secret in base32, in groups of four for typing.
    key: String,
    /// At sign-in, when the operator (or the app) asks for a second factor the user lacks.
    required: bool,
    passkey: Option<&'a PasskeyForm>,
    error: Option<&'static str>,
}

/// What the enrolment page shows: the `otpauth://` URI and the base32 key of the new secret,
/// and at sign-in, where passkeys work, the choice of a passkey instead.
pub struct Enrolment<'a> {
    pub uri: &'a str,
    pub key: &'a str,
    pub required: bool,
    pub passkey: Option<&'a PasskeyForm>,
}

/// The enrolment page of an authenticator app.
pub fn enrol_totp(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    target: &Target,
    enrolment: &Enrolment<'_>,
    error: Option<&'static str>,
) -> HttpResponse {
    let key = enrolment.key.as_bytes().chunks(4).map(String::from_utf8_lossy).collect::<Vec<_>>().join(" ");
    let tmpl = EnrolPage {
        f: Frame::new(idp, lang, lang.words().enrol_title),
        target,
        qr: qr_data_uri(enrolment.uri),
        key,
        required: enrolment.required,
        passkey: enrolment.passkey,
        error,
    };
    page(status, &tmpl, enrolment.passkey.map(|p| p.nonce.as_str()))
}

/// `text` as a QR code: an SVG image in a `data:` URI (empty when it does not fit a QR code,
/// and the page then shows the key alone).
fn qr_data_uri(text: &str) -> String {
    use base64::Engine;
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else { return String::new() };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    f: Frame<'a>,
    codes: &'a [String],
    /// At sign-in, the form that goes on; on the account page, none (a link back instead).
    target: Option<&'a Target>,
}

/// The recovery codes, shown once.
pub fn recovery_codes(idp: &IdpState, lang: Lang, codes: &[String], target: Option<&Target>) -> HttpResponse {
    let tmpl = RecoveryCodesPage { f: Frame::new(idp, lang, lang.words().recovery_title), codes, target };
    page(StatusCode::OK, &tmpl, None)
}

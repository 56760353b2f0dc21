//! The pages of second factors: entering a code at sign-in, enrolling an authenticator app
//! (a QR code of its `otpauth://` URI and the key to type instead), and the recovery codes,
//! shown once. Each form posts to `action` with `hidden` fields, so the sign-in step and the
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

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage<'a> {
    f: Frame<'a>,
    target: &'a Target,
    error: Option<&'static str>,
}

/// The code form of a sign-in's second step.
pub fn second_factor(
    idp: &IdpState,
    lang: Lang,
    status: StatusCode,
    target: &Target,
    error: Option<&'static str>,
) -> HttpResponse {
    let tmpl = SecondFactorPage { f: Frame::new(idp, lang, lang.words().mfa_title), target, error };
    page(status, &tmpl, None)
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
    error: Option<&'static str>,
}

/// What the enrolment page shows: the `otpauth://` URI and the base32 key of the new secret.
pub struct Enrolment<'a> {
    pub uri: &'a str,
    pub key: &'a str,
    pub required: bool,
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
        error,
    };
    page(status, &tmpl, None)
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

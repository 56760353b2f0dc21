//! Signed cookies: the session (who is signed in) and the interaction (which sign-in this
//! browser is in the middle of). HttpOnly, SameSite=Lax, Secure on https, signed with a key
//! derived from `secret_key`.

use crate::state::IdpState;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration};

pub const SESSION: &str = "latch_session";

/// Each interaction has a cookie of its own, so sign-ins in two tabs do not disturb each other.
pub fn interaction(id: &str) -> String {
    format!("latch_interaction_{}", id.get(..12).unwrap_or(id))
}

/// The verified value of cookie `name`, or `None` when absent or tampered with.
pub fn read(idp: &IdpState, req: &HttpRequest, name: &str) -> Option<String> {
    let raw = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(raw.into_owned());
    jar.signed(&idp.cookie_key).get(name).map(|c| c.value().to_owned())
}

/// A signed cookie carrying `value` for `max_age_secs`.
pub fn make(idp: &IdpState, name: impl Into<String>, value: String, max_age_secs: i64) -> Cookie<'static> {
    let name: String = name.into();
    let mut jar = CookieJar::new();
    let cookie = Cookie::build(name.clone(), value)
        .path(idp.core.settings.cookie_path())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(idp.core.settings.secure_cookies())
        .max_age(Duration::seconds(max_age_secs))
        .finish();
    jar.signed_mut(&idp.cookie_key).add(cookie);
    jar.get(&name).cloned().unwrap_or_else(|| Cookie::new(name, ""))
}

/// A cookie that removes `name`.
pub fn clear(idp: &IdpState, name: impl Into<String>) -> Cookie<'static> {
    let name: String = name.into();
    let mut c =
        Cookie::build(name, "").path(idp.core.settings.cookie_path()).http_only(true).same_site(SameSite::Lax).finish();
    c.set_secure(idp.core.settings.secure_cookies());
    c.make_removal();
    c
}

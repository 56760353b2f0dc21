//! Signed cookies: the session (who is signed in) and the interaction (which sign-in this
//! browser is in the middle of). HttpOnly, SameSite=Lax, Secure on https, signed with a key
//! derived from `secret_key`. On https at the root path their names carry the `__Host-` prefix
//! (RFC 6265bis §4.1.3.2): a browser then refuses them from a sibling subdomain or over http,
//! so no other host can plant a session here.

use crate::state::IdpState;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, SameSite, time::Duration};

pub const SESSION: &str = "latch_session";

/// Each interaction has a cookie of its own, so sign-ins in two tabs do not disturb each other.
pub fn interaction(id: &str) -> String {
    format!("latch_interaction_{}", id.get(..12).unwrap_or(id))
}

/// The name cookie `name` is sent under: `__Host-` prefixed when the cookie is `secure` and
/// scoped to the root `path`, the two conditions the prefix demands.
fn on_the_wire(name: &str, secure: bool, path: &str) -> String {
    if secure && path == "/" { format!("__Host-{name}") } else { name.to_owned() }
}

fn wire_name(idp: &IdpState, name: &str) -> String {
    on_the_wire(name, idp.core.settings.secure_cookies(), &idp.core.settings.cookie_path())
}

/// The verified value of cookie `name`, or `None` when absent or tampered with.
pub fn read(idp: &IdpState, req: &HttpRequest, name: &str) -> Option<String> {
    let name = &wire_name(idp, name);
    let raw = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(raw.into_owned());
    jar.signed(&idp.cookie_key).get(name).map(|c| c.value().to_owned())
}

/// A signed cookie carrying `value` for `max_age_secs`.
pub fn make(idp: &IdpState, name: impl Into<String>, value: String, max_age_secs: i64) -> Cookie<'static> {
    let name = wire_name(idp, &name.into());
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
    let name = wire_name(idp, &name.into());
    let mut c =
        Cookie::build(name, "").path(idp.core.settings.cookie_path()).http_only(true).same_site(SameSite::Lax).finish();
    c.set_secure(idp.core.settings.secure_cookies());
    c.make_removal();
    c
}

/// Adds `cookie` to `res` as one more `Set-Cookie` header.
pub fn append(res: &mut actix_web::HttpResponse, cookie: &Cookie<'_>) {
    if let Ok(value) = cookie.to_string().parse() {
        res.headers_mut().append(actix_web::http::header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::on_the_wire;

    #[test]
    fn host_prefix_only_when_secure_at_the_root() {
        for (secure, path, expected) in [
            (true, "/", "__Host-latch_session"),
            (true, "/idp", "latch_session"),
            (false, "/", "latch_session"),
            (false, "/idp", "latch_session"),
        ] {
            assert_eq!(on_the_wire("latch_session", secure, path), expected, "secure={secure} path={path}");
        }
    }
}

//! Server-rendered end-user pages: plain HTML forms that work without JavaScript, labelled
//! inputs, one stylesheet, strict security headers (`frame-ancestors 'none'`).

use crate::state::Idp;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

const CSS: &str = include_str!("latch.css");

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

/// Security headers every page carries. `script_nonce` allows one inline script (form_post).
fn page(status: StatusCode, body: String, script_nonce: Option<&str>) -> HttpResponse {
    let script = match script_nonce {
        Some(n) => format!("script-src 'nonce-{n}'"),
        None => "script-src 'none'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; {script}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The page around `main`. `base` is `public_url`: every link to Latch itself is absolute.
fn layout(base: &str, title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"{base}/assets/latch.css\">\n</head>\n\
         <body>\n<main class=\"card\">\n{main}\n</main>\n</body>\n</html>\n",
        title = text(title),
        base = attr(base),
    )
}

pub fn error_page(base: &str, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let main = format!("<h1>{}</h1>\n<p role=\"alert\">{}</p>", text(title), text(message));
    page(status, layout(base, title, &main), None)
}

/// What the sign-in page shows.
pub struct SignIn<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    pub identifier: &'a str,
    pub error: Option<&'a str>,
}

pub fn sign_in(base: &str, status: StatusCode, v: &SignIn<'_>) -> HttpResponse {
    let error = v
        .error
        .map(|e| format!("<p class=\"error\" role=\"alert\" id=\"sign-in-error\">{}</p>\n", text(e)))
        .unwrap_or_default();
    let described = if v.error.is_some() { " aria-describedby=\"sign-in-error\"" } else { "" };
    let main = format!(
        "<h1>Sign in</h1>\n<p class=\"lead\">to continue to <strong>{app}</strong></p>\n{error}\
         <form method=\"post\" action=\"{base}/sign-in\">\n\
         <input type=\"hidden\" name=\"interaction\" value=\"{interaction}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"identifier\">Username or email</label>\n\
         <input id=\"identifier\" name=\"identifier\" type=\"text\" autocomplete=\"username\" required \
         autofocus value=\"{identifier}\"{described}>\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{described}>\n\
         <button type=\"submit\">Sign in</button>\n</form>",
        app = text(v.app_name),
        interaction = attr(v.interaction),
        csrf = attr(v.csrf),
        identifier = attr(v.identifier),
        base = attr(base),
    );
    page(status, layout(base, "Sign in", &main), None)
}

/// One permission line on the consent screen.
pub struct Permission {
    pub scope: String,
    pub label: String,
}

/// What the consent page shows.
pub struct Consent<'a> {
    pub interaction: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    pub user_label: &'a str,
    pub permissions: &'a [Permission],
    pub redirect_origin: &'a str,
}

pub fn consent(base: &str, v: &Consent<'_>) -> HttpResponse {
    let items: String = v
        .permissions
        .iter()
        .map(|p| format!("<li data-scope=\"{}\">{}</li>\n", attr(&p.scope), text(&p.label)))
        .collect();
    let list = if items.is_empty() {
        "<p>Confirm that you are signing in to this application.</p>".to_owned()
    } else {
        format!("<p>It will be able to:</p>\n<ul class=\"permissions\">\n{items}</ul>")
    };
    let main = format!(
        "<h1><strong>{app}</strong> wants to access your account</h1>\n\
         <p class=\"lead\">Signed in as <strong>{user}</strong></p>\n{list}\n\
         <p class=\"note\">After you decide you will be sent to <strong>{origin}</strong>.</p>\n\
         <form method=\"post\" action=\"{base}/consent\">\n\
         <input type=\"hidden\" name=\"interaction\" value=\"{interaction}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"cancel\" class=\"secondary\">Cancel</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"authorize\">Authorize</button>\n\
         </div>\n</form>",
        app = text(v.app_name),
        user = text(v.user_label),
        origin = text(v.redirect_origin),
        interaction = attr(v.interaction),
        csrf = attr(v.csrf),
        base = attr(base),
    );
    page(StatusCode::OK, layout(base, "Authorize application", &main), None)
}

/// OAuth 2.0 Form Post Response Mode: a form that posts `params` to `action`, submitted by a
/// script when JavaScript runs and by a button when it does not.
pub fn form_post(idp: &Idp, action: &str, params: &[(&'static str, String)]) -> HttpResponse {
    let nonce = idp.token(16);
    let inputs: String = params
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", attr(k), attr(v)))
        .collect();
    let main = format!(
        "<h1>Returning to the application</h1>\n<form method=\"post\" action=\"{action}\" id=\"response\">\n\
         {inputs}<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n\
         <script nonce=\"{nonce}\">document.getElementById('response').submit();</script>",
        action = attr(action),
    );
    page(StatusCode::OK, layout(&idp.settings.public_url, "Returning to the application", &main), Some(&nonce))
}

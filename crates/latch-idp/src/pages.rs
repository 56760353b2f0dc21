//! Server-rendered end-user pages: plain HTML forms that work without JavaScript, labelled
//! inputs, one stylesheet, strict security headers (`frame-ancestors 'none'`).

use crate::i18n::{Lang, Text, t};
use crate::state::IdpState;
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
    page_full(status, body, script_nonce, "'none'")
}

/// [`page`] with the `frame-ancestors` source list spelled out (only the console preview
/// allows anything but `'none'`).
fn page_full(status: StatusCode, body: String, script_nonce: Option<&str>, frame_ancestors: &str) -> HttpResponse {
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

/// The page around `main`. `base` is `public_url`: every link to Latch itself is absolute.
fn layout(base: &str, title: &str, main: &str) -> String {
    layout_in(base, "en", title, main)
}

/// [`layout`] in language `lang`.
fn layout_in(base: &str, lang: &str, title: &str, main: &str) -> String {
    layout_themed(base, lang, None, title, main)
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
            Theme::Light => " class=\"theme-light\"",
            Theme::Dark => " class=\"theme-dark\"",
        }
    }
}

/// [`layout_in`], with the colour scheme `theme` when one is forced.
fn layout_themed(base: &str, lang: &str, theme: Option<Theme>, title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"{theme}>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"{base}/assets/latch.css\">\n</head>\n\
         <body>\n<main class=\"card\">\n{main}\n</main>\n</body>\n</html>\n",
        lang = attr(lang),
        theme = theme.map(Theme::class).unwrap_or_default(),
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
    pub user_lines: Vec<Line>,
    /// One group per API resource: its name and its lines.
    pub resources: Vec<(String, Vec<Line>)>,
    pub org_lines: Vec<Line>,
    /// API resource scopes held through organization roles: one group per resource.
    pub org_resources: Vec<(String, Vec<Line>)>,
    /// The organizations the user may share (id, name), when organizations are asked for.
    pub organizations: Vec<(String, String)>,
    pub redirect_origin: String,
    /// A colour scheme the console preview forces; `None` follows the reader's.
    pub theme: Option<Theme>,
}

fn lines_html(lang: Lang, lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| {
            if l.required {
                format!("<li data-scope=\"{}\">{}</li>\n", attr(&l.scope), text(&l.label))
            } else {
                format!(
                    "<li data-scope=\"{s}\"><label><input type=\"checkbox\" name=\"scope\" value=\"{k}\" checked> \
                     {label} <span class=\"optional\">({optional})</span></label></li>\n",
                    s = attr(&l.scope),
                    k = attr(&l.key),
                    label = text(&l.label),
                    optional = t(lang, Text::Optional),
                )
            }
        })
        .collect()
}

/// The consent screen. `form` is `(interaction, csrf)` for the real page; `None` renders the
/// console preview (no form, framable by `frame_origin`).
pub fn consent(base: &str, v: &ConsentView, form: Option<(&str, &str)>, frame_origin: Option<&str>) -> HttpResponse {
    let lang = v.lang;
    let logo = match (&v.logo_url, &v.dark_logo_url) {
        // A forced scheme shows its own logo (a `<picture>` would follow the reader's).
        (Some(light), Some(dark)) if v.theme.is_some() => {
            let one = if v.theme == Some(Theme::Dark) { dark } else { light };
            format!("<img class=\"logo\" src=\"{}\" alt=\"\" height=\"48\">\n", attr(one))
        }
        (Some(light), Some(dark)) => format!(
            "<picture class=\"logo\"><source srcset=\"{}\" media=\"(prefers-color-scheme: dark)\">\
             <img src=\"{}\" alt=\"\" height=\"48\"></picture>\n",
            attr(dark),
            attr(light)
        ),
        (Some(one), None) | (None, Some(one)) => {
            format!("<img class=\"logo\" src=\"{}\" alt=\"\" height=\"48\">\n", attr(one))
        }
        (None, None) => String::new(),
    };
    let mut sections = String::new();
    if !v.user_lines.is_empty() {
        sections.push_str(&format!(
            "<section><h2>{}</h2>\n<ul class=\"permissions\">\n{}</ul></section>\n",
            t(lang, Text::ProfileSection),
            lines_html(lang, &v.user_lines)
        ));
    }
    for (name, lines) in &v.resources {
        sections.push_str(&format!(
            "<section class=\"resource\"><h2>{}</h2>\n<ul class=\"permissions\">\n{}</ul></section>\n",
            text(name),
            lines_html(lang, lines)
        ));
    }
    if !v.org_lines.is_empty() || !v.org_resources.is_empty() || !v.organizations.is_empty() {
        let picker: String = v
            .organizations
            .iter()
            .map(|(id, name)| {
                format!(
                    "<li><label><input type=\"checkbox\" name=\"organization\" value=\"{}\" checked> {}</label></li>\n",
                    attr(id),
                    text(name)
                )
            })
            .collect();
        let picker = if picker.is_empty() {
            String::new()
        } else {
            format!("<p>{}</p>\n<ul class=\"organizations\">\n{picker}</ul>\n", t(lang, Text::ShareOrganizations))
        };
        let org_resources: String = v
            .org_resources
            .iter()
            .map(|(name, lines)| {
                format!("<h3>{}</h3>\n<ul class=\"permissions\">\n{}</ul>\n", text(name), lines_html(lang, lines))
            })
            .collect();
        sections.push_str(&format!(
            "<section class=\"organizations\"><h2>{}</h2>\n<ul class=\"permissions\">\n{}</ul>\n{org_resources}{picker}</section>\n",
            t(lang, Text::OrganizationsSection),
            lines_html(lang, &v.org_lines)
        ));
    }
    let mut links = Vec::new();
    if let Some(u) = &v.terms_url {
        links.push(format!("<a href=\"{}\" rel=\"noopener\">{}</a>", attr(u), t(lang, Text::Terms)));
    }
    if let Some(u) = &v.privacy_url {
        links.push(format!("<a href=\"{}\" rel=\"noopener\">{}</a>", attr(u), t(lang, Text::Privacy)));
    }
    let links =
        if links.is_empty() { String::new() } else { format!("<p class=\"links\">{}</p>\n", links.join(" · ")) };
    let (open, close, not_you) = match form {
        Some((interaction, csrf)) => (
            format!(
                "<form method=\"post\" action=\"{}/consent\">\n\
                 <input type=\"hidden\" name=\"interaction\" value=\"{}\">\n\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n",
                attr(base),
                attr(interaction),
                attr(csrf)
            ),
            "</form>",
            format!(
                "<button type=\"submit\" name=\"decision\" value=\"switch\" class=\"link\" formnovalidate>{}</button>",
                t(lang, Text::NotYou)
            ),
        ),
        None => (
            "<div class=\"preview\">\n".to_owned(),
            "</div>",
            format!("<span class=\"link\">{}</span>", t(lang, Text::NotYou)),
        ),
    };
    let main = format!(
        "{open}{logo}<h1><strong>{app}</strong> {wants}</h1>\n\
         <p class=\"lead\">{signed_in} <strong>{user}</strong> · {not_you}</p>\n{sections}{links}\
         <p class=\"note\">{sent_to} <strong>{origin}</strong>.</p>\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"cancel\" class=\"secondary\">{cancel}</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"authorize\">{authorize}</button>\n\
         </div>\n{close}",
        app = text(&v.app_name),
        wants = t(lang, Text::WantsAccess),
        signed_in = t(lang, Text::SignedInAs),
        user = text(&v.user_label),
        sent_to = t(lang, Text::SentTo),
        origin = text(&v.redirect_origin),
        cancel = t(lang, Text::Cancel),
        authorize = t(lang, Text::Authorize),
    );
    let frame = frame_origin.map(str::to_owned).unwrap_or_else(|| "'none'".to_owned());
    page_full(StatusCode::OK, layout_themed(base, lang.code(), v.theme, t(lang, Text::Title), &main), None, &frame)
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

/// `/account/apps`: one row per connected app, each with its own Revoke form.
pub fn connected_apps(base: &str, user: &str, apps: &[ConnectedApp], csrf: &str) -> HttpResponse {
    let rows: String = apps
        .iter()
        .map(|a| {
            let logo = a
                .logo_url
                .as_ref()
                .map(|u| format!("<img class=\"logo\" src=\"{}\" alt=\"\" height=\"32\">", attr(u)))
                .unwrap_or_default();
            let access: String = a.access.iter().map(|x| format!("<li>{}</li>", text(x))).collect();
            let used = a.last_used_at.map(day).unwrap_or_else(|| "never".to_owned());
            format!(
                "<li class=\"app\" data-grant=\"{grant}\">{logo}<h2>{display} <span class=\"note\">({name})</span></h2>\n\
                 <ul class=\"permissions\">{access}</ul>\n\
                 <p class=\"note\">Connected {granted} · last used {used}</p>\n\
                 <form method=\"post\" action=\"{base}/account/apps/revoke\">\
                 <input type=\"hidden\" name=\"grant\" value=\"{grant}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" class=\"secondary\">Revoke</button></form></li>\n",
                grant = attr(&a.grant_id),
                display = text(&a.display_name),
                name = text(&a.app_name),
                granted = day(a.granted_at),
                base = attr(base),
                csrf = attr(csrf),
            )
        })
        .collect();
    let list = if rows.is_empty() {
        "<p>No app is connected to your account.</p>".to_owned()
    } else {
        format!("<ul class=\"apps\">\n{rows}</ul>")
    };
    let main = format!(
        "<h1>Connected apps</h1>\n<p class=\"lead\">Signed in as <strong>{}</strong></p>\n{list}\n\
         <p class=\"note\">Revoking stops an app's refresh and access tokens at once. Access tokens an app holds \
         for an API are signed tokens that stay valid until they expire, within minutes.</p>",
        text(user)
    );
    page(StatusCode::OK, layout(base, "Connected apps", &main), None)
}

/// OAuth 2.0 Form Post Response Mode: a form that posts `params` to `action`, submitted by a
/// script when JavaScript runs and by a button when it does not.
pub fn form_post(idp: &IdpState, action: &str, params: &[(&'static str, String)]) -> HttpResponse {
    let nonce = idp.core.token(16);
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
    page(StatusCode::OK, layout(&idp.core.settings.public_url, "Returning to the application", &main), Some(&nonce))
}

/// What the sign-out confirmation shows (RP-Initiated Logout 1.0 §2).
pub struct LogoutConfirm<'a> {
    pub logout: &'a str,
    pub csrf: &'a str,
    pub app_name: Option<&'a str>,
    pub user_label: &'a str,
}

pub fn logout_confirm(base: &str, v: &LogoutConfirm<'_>) -> HttpResponse {
    let asked = match v.app_name {
        Some(app) => format!("<strong>{}</strong> asks to sign you out.", text(app)),
        None => "An application asks to sign you out.".to_owned(),
    };
    let main = format!(
        "<h1>Sign out?</h1>\n<p class=\"lead\">Signed in as <strong>{user}</strong></p>\n<p>{asked}</p>\n\
         <form method=\"post\" action=\"{base}/oidc/session/end/confirm\">\n\
         <input type=\"hidden\" name=\"logout\" value=\"{logout}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"stay\" class=\"secondary\">Stay signed in</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"sign_out\">Sign out</button>\n\
         </div>\n</form>",
        user = text(v.user_label),
        logout = attr(v.logout),
        csrf = attr(v.csrf),
        base = attr(base),
    );
    page(StatusCode::OK, layout(base, "Sign out", &main), None)
}

/// The page after a sign-out that does not go back to the application.
pub fn signed_out(base: &str, app_name: Option<&str>) -> HttpResponse {
    let from = app_name.map(|a| format!(" <strong>{}</strong> asked for it.", text(a))).unwrap_or_default();
    let main = format!(
        "<h1>You are signed out</h1>\n<p role=\"status\">You are signed out on this device.{from} \
         You can close this page.</p>"
    );
    page(StatusCode::OK, layout(base, "Signed out", &main), None)
}

//! The email Latch sends people: a one-time code, in the reader's language, branded as the
//! pages are (the organisation's name, its logo and accent colour). Each message has a plain
//! text body and an HTML one, askama templates under `templates/mail/` (the HTML escaped by
//! construction, as the pages are).

use crate::i18n::{Lang, Words};
use crate::state::IdpState;
use askama::Template;
use latch_domain::mail::Mail;
use latch_oidc::one_time::{CODE_TTL_SECS, Purpose};

/// The accent of the default pages (`latch.css`), for messages whose branding sets none.
const DEFAULT_ACCENT: &str = "#3b5bdb";

#[derive(Template)]
#[template(path = "mail/code.txt")]
struct CodeText<'a> {
    w: &'static Words,
    org: &'a str,
    lead: &'static str,
    code: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/code.html")]
struct CodeHtml<'a> {
    w: &'static Words,
    lang: &'static str,
    subject: &'a str,
    org: &'a str,
    logo: Option<&'a str>,
    accent: &'a str,
    lead: &'static str,
    code: &'a str,
    minutes: i64,
}

/// Who the message is from, in words: the organisation's name, else the host Latch serves.
fn sender_name(idp: &IdpState) -> String {
    let b = idp.core.idp_branding();
    b.organization_name.clone().unwrap_or_else(|| {
        url::Url::parse(&idp.core.settings.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "Latch".to_owned())
    })
}

/// The message carrying `code` for `purpose` to `to`, in `lang`. `None` only if a template
/// fails to render, which no value here can cause.
pub fn code(idp: &IdpState, lang: Lang, purpose: Purpose, to: &str, code: &str) -> Option<Mail> {
    let w = lang.words();
    let (subject, lead) = match purpose {
        Purpose::VerifyEmail | Purpose::ChangeEmail => (w.mail_verify_subject, w.mail_verify_lead),
        Purpose::ResetPassword => (w.mail_reset_subject, w.mail_reset_lead),
    };
    let org = sender_name(idp);
    let subject = format!("{org}: {subject}");
    let minutes = CODE_TTL_SECS / 60;
    let b = idp.core.idp_branding();
    let text = CodeText { w, org: &org, lead, code, minutes }.render();
    let html = CodeHtml {
        w,
        lang: lang.code(),
        subject: &subject,
        org: &org,
        logo: b.logo_url.as_deref(),
        accent: b.accent_color.as_deref().unwrap_or(DEFAULT_ACCENT),
        lead,
        code,
        minutes,
    }
    .render();
    match (text, html) {
        (Ok(text), Ok(html)) => Some(Mail { to: to.to_owned(), subject, text, html: Some(html) }),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "a message failed to render");
            None
        }
    }
}

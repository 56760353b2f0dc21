//! `/reset-password`: from the sign-in page, someone who forgot their password asks for a code
//! at their account's email address, then enters it with a new password. The page says the
//! same thing, and takes as long, whether or not an account has the address (the code goes out
//! in the background); a refused code gets one message whatever the reason. A reset replaces
//! the password, counts the address as verified, ends every session of the account, clears the
//! account's failed sign-ins, and, unless the user unticks it, revokes every app's refresh
//! token; then this browser is signed in and the authorization request goes on.
//!
//! Exists only while Latch can send email (`email_codes::available`).

use crate::email_codes;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction, InteractionQuery};
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::ratelimit;
use crate::signup::refusal;
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::{self, SecurityEvent};
use latch_domain::entities::User;
use latch_domain::fields;
use latch_oidc::one_time::{Check, Purpose};
use serde::Deserialize;

/// The interaction of a reset page: one still waiting for its sign-in.
async fn load(idp: &IdpState, req: &HttpRequest, id: &str) -> Result<Interaction, IdpError> {
    if !email_codes::available(idp) {
        return Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound));
    }
    let i = flow::load_interaction(idp, req, id).await?;
    if i.session_id.is_some() {
        return Err(IdpError::expired_interaction());
    }
    Ok(i)
}

fn form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    email: &str,
    sent: bool,
    status: StatusCode,
    error: Option<&'static str>,
) -> HttpResponse {
    let view = pages::ResetPassword { interaction: &i.id, csrf: &i.csrf, email, sent, error };
    pages::reset_password(idp, lang, status, &view)
}

pub async fn page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let i = load(&idp, &req, &q.interaction).await?;
        let hint = i.request.login_hint.clone().filter(|h| fields::email(h).is_ok()).unwrap_or_default();
        Ok(form(&idp, flow::lang_of(&req, &i.request), &i, &hint, false, StatusCode::OK, None))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct ResetForm {
    interaction: String,
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    /// A ticked checkbox sends a value; an unticked one sends nothing.
    #[serde(default)]
    sign_out_apps: Option<String>,
}

pub async fn submit(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<ResetForm>) -> HttpResponse {
    reset(&idp, &req, f.into_inner()).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The account whose sign-in address is `email`: an address, never a username.
async fn account_of(idp: &IdpState, email: &str) -> Result<Option<User>, IdpError> {
    let user = idp.core.repos.find_user_by_login(email).await.page_unavailable()?;
    Ok(user.filter(|u| u.primary_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email))))
}

async fn reset(idp: &web::Data<IdpState>, req: &HttpRequest, f: ResetForm) -> Result<HttpResponse, IdpError> {
    let mut i = load(idp, req, &f.interaction).await?;
    if !flow::ct_eq(&f.csrf, &i.csrf) {
        return Err(IdpError::expired_interaction());
    }
    let lang = flow::lang_of(req, &i.request);
    let w = lang.words();
    let origin = ratelimit::origin(idp, req);
    let email: String = f.email.trim().chars().take(256).collect();
    if fields::email(&email).is_err() {
        return Ok(form(idp, lang, &i, &email, false, StatusCode::UNPROCESSABLE_ENTITY, Some(w.invalid_email)));
    }
    match f.action.as_str() {
        "send" => {
            email_codes::count_request(idp, &origin.ip).await?;
            // Looked up and sent after the answer, so the answer takes as long either way.
            // Suspended accounts get no code either: the page reads the same.
            let (state, typed) = (idp.clone(), email.clone());
            actix_web::rt::spawn(async move {
                let sent = async {
                    let found = account_of(&state, &typed).await?;
                    let Some(user) = found.clone().filter(|u| !u.is_suspended) else {
                        let reason = if found.is_some() { "suspended" } else { "no_account" };
                        let who = found.map(|u| u.id);
                        let event =
                            SecurityEvent::EmailCodeNotSent { user: who, purpose: Purpose::ResetPassword, reason };
                        security_log::record(&state.core, &origin, event).await;
                        return Ok(());
                    };
                    let to = user.primary_email.clone().unwrap_or(typed);
                    email_codes::send(&state, lang, &origin, Purpose::ResetPassword, &user, &to).await.map(|_| ())
                };
                if let Err(e) = sent.await {
                    tracing::warn!(error = ?e, "a password-reset code was not sent");
                }
            });
            // A reset begun here ends any verification this interaction was waiting for.
            i.verifying = None;
            let cookie = flow::keep_interaction(idp, &i).await?;
            let mut res = form(idp, lang, &i, &email, true, StatusCode::OK, None);
            crate::cookies::append(&mut res, &cookie);
            Ok(res)
        }
        "reset" => {
            // The new password is checked first: a code is not spent on a password the policy refuses.
            if let Err(e) = fields::password(&f.password) {
                let refused = Some(refusal(w, &e));
                return Ok(form(idp, lang, &i, &email, true, StatusCode::UNPROCESSABLE_ENTITY, refused));
            }
            let user = account_of(idp, &email).await?.filter(|u| !u.is_suspended);
            let check =
                email_codes::enter(idp, &origin, Purpose::ResetPassword, user.as_ref(), &email, &f.code).await?;
            let user = match (check, user) {
                (Check::Accepted, Some(u)) => u,
                _ => {
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    return Ok(form(idp, lang, &i, &email, true, status, Some(w.code_refused)));
                }
            };
            let hash = crate::signup::hash_password(idp, &f.password).await?;
            // Read again after hashing: an operator's suspension or change of address in the
            // meantime is not undone.
            let fresh = idp.core.repos.get_user(&user.id).await.page_unavailable()?;
            let same = |u: &User| !u.is_suspended && u.primary_email == user.primary_email;
            let Some(user) = fresh.filter(same) else {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return Ok(form(idp, lang, &i, &email, true, status, Some(w.code_refused)));
            };
            let sign_out_apps = f.sign_out_apps.is_some();
            let user = latch_core::commands::reset_password(&idp.core, &origin, &user, hash, sign_out_apps)
                .await
                .page_unavailable()?;
            // Whoever was guessing the old password locked nothing the owner now has to wait out.
            ratelimit::forgive_account(idp, ratelimit::Account::User(&user.id)).await;
            tracing::info!(user = %user.id, sign_out_apps, "password reset");
            let app = flow::app_of(idp, &i.request.client_id).await?;
            i.verifying = None;
            // A reset proves the address, not a second factor: one is still asked for.
            crate::second_factor::after_first_factor(idp, req, &app, user, i, &origin, lang).await
        }
        _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
    }
}

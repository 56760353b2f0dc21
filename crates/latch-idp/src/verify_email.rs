//! `/verify-email`: between a proved password (or a new account) and the session, the user
//! proves they read mail at their address by entering the code sent there. Required when the
//! sign-in experience says so (`requireVerifiedEmail`, `one_time::must_verify_email`);
//! offered, with "Skip for now", right after someone signs up with an email address.

use crate::email_codes;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction, InteractionQuery, StepForm, Verifying};
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::Origin;
use latch_domain::entities::{Application, User};
use latch_oidc::one_time::{self, Check, Purpose};

/// Whether `user` may be signed in before verifying: the operator does not require it.
pub(crate) fn skippable(idp: &IdpState, user: &User) -> bool {
    let required = idp.core.idp_branding().require_verified_email;
    !one_time::must_verify_email(required, user.primary_email.as_deref(), user.email_verified)
}

/// `user` has just proved their password, or (`signed_up`) made their account, or
/// (`passwordless`) used a passkey alone: signed in now, or first sent a code and shown the
/// verification page when their address must be verified (or, just after sign-up, may be).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_password(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    user: User,
    mut i: Interaction,
    origin: &Origin,
    lang: Lang,
    signed_up: bool,
    passwordless: bool,
) -> Result<HttpResponse, IdpError> {
    let unverified = user.primary_email.is_some() && !user.email_verified;
    let offer = signed_up && unverified && email_codes::available(idp);
    let may_skip = skippable(idp, &user);
    if may_skip && !offer {
        return go_on(idp, req, app, user, i, origin, lang, passwordless).await;
    }
    if !email_codes::available(idp) {
        tracing::warn!(user = %user.id, "sign-in refused: the address must be verified and no SMTP server is set");
        return Err(IdpError::page(StatusCode::FORBIDDEN, Problem::EmailUnverifiable));
    }
    let email = user.primary_email.clone().unwrap_or_default();
    let sent = match email_codes::count_request(idp, &origin.ip).await {
        Ok(()) => email_codes::send(idp, lang, origin, Purpose::VerifyEmail, &user, &email).await?,
        // Offered, not required: a busy address does not hold the new user back.
        Err(IdpError::RateLimited { .. }) if may_skip => false,
        Err(e) => return Err(e),
    };
    if !sent && may_skip {
        return go_on(idp, req, app, user, i, origin, lang, passwordless).await;
    }
    i.verifying = Some(Verifying {
        user: user.id.clone(),
        credential: latch_oidc::session::credential_of(&user),
        skippable: may_skip,
        passwordless,
    });
    let cookie = flow::keep_interaction(idp, &i).await?;
    if !sent {
        // The account's codes for now are used: the page says so rather than "we sent".
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut res = form(idp, lang, &i, &user, may_skip, status, Some(lang.words().code_limit), None);
        crate::cookies::append(&mut res, &cookie);
        return Ok(res);
    }
    Ok(flow::see_other(&idp.core.settings.own(&format!("/verify-email?interaction={}", i.id))).cookie(cookie).finish())
}

/// On from a verified (or, when allowed, unverified) address: the second step after a password,
/// none after a passkey alone.
#[allow(clippy::too_many_arguments)]
async fn go_on(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    user: User,
    i: Interaction,
    origin: &Origin,
    lang: Lang,
    passwordless: bool,
) -> Result<HttpResponse, IdpError> {
    if passwordless {
        let amr = latch_oidc::passkey::PASSWORDLESS_AMR.map(str::to_owned).to_vec();
        return flow::signed_in(idp, req, app, user, i, origin, lang, amr).await;
    }
    crate::second_factor::after_first_factor(idp, req, app, user, i, origin, lang).await
}

/// The interaction a verification page belongs to, the user it is verifying, and whether the
/// step may be skipped. A user suspended, or whose password changed, since they proved it has
/// to sign in again.
async fn load(idp: &IdpState, req: &HttpRequest, id: &str) -> Result<(Interaction, User, bool), IdpError> {
    let i = flow::load_interaction(idp, req, id).await?;
    let Some(v) = i.verifying.clone().filter(|_| i.session_id.is_none()) else {
        return Err(IdpError::expired_interaction());
    };
    let user = idp.core.repos.get_user(&v.user).await.page_unavailable()?;
    let user = user.filter(|u| latch_oidc::session::may_continue(Some(u), &v.credential));
    let user = user.ok_or_else(IdpError::expired_interaction)?;
    let may_skip = v.skippable && skippable(idp, &user);
    Ok((i, user, may_skip))
}

#[allow(clippy::too_many_arguments)]
fn form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    user: &User,
    may_skip: bool,
    status: StatusCode,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let view = pages::VerifyEmail {
        interaction: &i.id,
        csrf: &i.csrf,
        email: user.primary_email.as_deref().unwrap_or_default(),
        skippable: may_skip,
        error,
        notice,
    };
    pages::verify_email(idp, lang, status, &view)
}

pub async fn page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let (i, user, may_skip) = load(&idp, &req, &q.interaction).await?;
        Ok(form(&idp, flow::lang_of(&req, &i.request), &i, &user, may_skip, StatusCode::OK, None, None))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

pub async fn submit(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<StepForm>) -> HttpResponse {
    let f = f.into_inner();
    let result = async {
        let (mut i, user, may_skip) = load(&idp, &req, &f.interaction).await?;
        if !flow::ct_eq(&f.csrf, &i.csrf) {
            return Err(IdpError::expired_interaction());
        }
        let passwordless = i.verifying.as_ref().is_some_and(|v| v.passwordless);
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let lang = flow::lang_of(&req, &i.request);
        let origin = crate::ratelimit::origin(&idp, &req);
        match f.action.as_str() {
            "resend" => {
                email_codes::count_request(&idp, &origin.ip).await?;
                let email = user.primary_email.clone().unwrap_or_default();
                let w = lang.words();
                if email_codes::send(&idp, lang, &origin, Purpose::VerifyEmail, &user, &email).await? {
                    Ok(form(&idp, lang, &i, &user, may_skip, StatusCode::OK, None, Some(w.code_sent_again)))
                } else {
                    let status = StatusCode::TOO_MANY_REQUESTS;
                    Ok(form(&idp, lang, &i, &user, may_skip, status, Some(w.code_limit), None))
                }
            }
            "skip" if may_skip => {
                i.verifying = None;
                go_on(&idp, &req, &app, user, i, &origin, lang, passwordless).await
            }
            "verify" => {
                let email = user.primary_email.clone().unwrap_or_default();
                let check =
                    email_codes::enter(&idp, &origin, Purpose::VerifyEmail, Some(&user), &email, &f.code).await?;
                if check != Check::Accepted {
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    let refused = email_codes::refusal(lang, check);
                    return Ok(form(&idp, lang, &i, &user, may_skip, status, refused, None));
                }
                let user = latch_core::commands::verify_email(&idp.core, &origin, &user).await.page_unavailable()?;
                tracing::info!(user = %user.id, "email verified");
                i.verifying = None;
                go_on(&idp, &req, &app, user, i, &origin, lang, passwordless).await
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

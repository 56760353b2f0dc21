//! `/verify-email`: between a proved password (or a new account) and the session, the user
//! proves they read mail at their address by entering the code sent there. Required when the
//! sign-in experience says so (`requireVerifiedEmail`, `one_time::must_verify_email`);
//! offered, with "Skip for now", right after someone signs up with an email address.

use crate::email_codes;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction, InteractionQuery};
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::Origin;
use latch_domain::entities::{Application, User};
use latch_oidc::one_time::{self, Check, Purpose};
use serde::Deserialize;

/// Whether `user` may be signed in before verifying: the operator does not require it.
fn skippable(idp: &IdpState, user: &User) -> bool {
    let required = idp.core.idp_branding().require_verified_email;
    !one_time::must_verify_email(required, user.primary_email.as_deref(), user.email_verified)
}

/// `user` has just proved their password, or (`signed_up`) made their account: signed in now,
/// or first sent a code and shown the verification page when their address must be verified
/// (or, just after sign-up, may be).
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
) -> Result<HttpResponse, IdpError> {
    let unverified = user.primary_email.is_some() && !user.email_verified;
    let offer = signed_up && unverified && email_codes::available(idp);
    if skippable(idp, &user) && !offer {
        return flow::signed_in(idp, req, app, user, i, origin, lang).await;
    }
    if !email_codes::available(idp) {
        tracing::warn!(user = %user.id, "sign-in refused: the address must be verified and no SMTP server is set");
        return Err(IdpError::page(StatusCode::FORBIDDEN, Problem::EmailUnverifiable));
    }
    email_codes::count_request(idp, &origin.ip).await?;
    email_codes::send(idp, lang, origin, Purpose::VerifyEmail, &user).await?;
    i.verifying = Some(user.id.clone());
    let cookie = flow::keep_interaction(idp, &i).await?;
    Ok(flow::see_other(&idp.core.settings.own(&format!("/verify-email?interaction={}", i.id))).cookie(cookie).finish())
}

/// The interaction a verification page belongs to and the user it is verifying.
async fn load(idp: &IdpState, req: &HttpRequest, id: &str) -> Result<(Interaction, User), IdpError> {
    let i = flow::load_interaction(idp, req, id).await?;
    let Some(user_id) = i.verifying.clone().filter(|_| i.session_id.is_none()) else {
        return Err(IdpError::expired_interaction());
    };
    let user = idp.core.repos.get_user(&user_id).await.page_unavailable()?.filter(|u| !u.is_suspended);
    let user = user.ok_or_else(IdpError::expired_interaction)?;
    Ok((i, user))
}

fn form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    user: &User,
    status: StatusCode,
    error: Option<&'static str>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let view = pages::VerifyEmail {
        interaction: &i.id,
        csrf: &i.csrf,
        email: user.primary_email.as_deref().unwrap_or_default(),
        skippable: skippable(idp, user),
        error,
        notice,
    };
    pages::verify_email(idp, lang, status, &view)
}

pub async fn page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let (i, user) = load(&idp, &req, &q.interaction).await?;
        Ok(form(&idp, flow::lang_of(&req, &i.request), &i, &user, StatusCode::OK, None, None))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct VerifyForm {
    interaction: String,
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    code: String,
}

pub async fn submit(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<VerifyForm>) -> HttpResponse {
    let f = f.into_inner();
    let result = async {
        let (mut i, user) = load(&idp, &req, &f.interaction).await?;
        if !flow::ct_eq(&f.csrf, &i.csrf) {
            return Err(IdpError::expired_interaction());
        }
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let lang = flow::lang_of(&req, &i.request);
        let origin = crate::ratelimit::origin(&idp, &req);
        match f.action.as_str() {
            "resend" => {
                email_codes::count_request(&idp, &origin.ip).await?;
                email_codes::send(&idp, lang, &origin, Purpose::VerifyEmail, &user).await?;
                let sent = lang.words().code_sent_again;
                Ok(form(&idp, lang, &i, &user, StatusCode::OK, None, Some(sent)))
            }
            "skip" if skippable(&idp, &user) => {
                i.verifying = None;
                flow::signed_in(&idp, &req, &app, user, i, &origin, lang).await
            }
            "verify" => {
                let email = user.primary_email.clone().unwrap_or_default();
                let check =
                    email_codes::enter(&idp, &origin, Purpose::VerifyEmail, Some(&user), &email, &f.code).await?;
                if check != Check::Accepted {
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    return Ok(form(&idp, lang, &i, &user, status, email_codes::refusal(lang, check), None));
                }
                let user = latch_core::commands::verify_email(&idp.core, &origin, &user).await.page_unavailable()?;
                tracing::info!(user = %user.id, "email verified");
                i.verifying = None;
                flow::signed_in(&idp, &req, &app, user, i, &origin, lang).await
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

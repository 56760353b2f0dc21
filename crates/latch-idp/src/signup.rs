//! `/sign-up`: people create their own account from the sign-in page, when the sign-in
//! experience allows it (`SignUpMode`): an email address or a username, an optional name and a
//! password under the policy of DESIGN.md. The page belongs to the interaction it came from,
//! so the new user goes on to consent and back to the app.
//!
//! Sign-up must say when a username or an email address is taken (the person has to choose
//! another); it says nothing else about which accounts exist. Every attempt counts against the
//! address, so accounts cannot be created, or names probed, in bulk.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction, InteractionQuery};
use crate::i18n::{Lang, Problem, Words};
use crate::pages;
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::hashing::PoolError;
use latch_core::security_log::{self, SecurityEvent};
use latch_domain::entities::{Application, SignUpMode, User};
use latch_domain::fields::{self, FieldError};
use latch_domain::ids::{UserId, new_id};
use latch_domain::repo::RepoError;
use serde::Deserialize;

/// The rate-limit scope of sign-up attempts.
const SIGN_UP: &str = "sign-up";

fn mode(idp: &IdpState) -> Result<SignUpMode, IdpError> {
    match idp.core.idp_branding().sign_up {
        SignUpMode::Off => Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound)),
        m => Ok(m),
    }
}

/// The form as typed (never the password).
struct Typed<'a> {
    identifier: &'a str,
    name: &'a str,
}

async fn form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    app: &Application,
    mode: SignUpMode,
    typed: Typed<'_>,
    error: Option<(StatusCode, &'static str)>,
) -> Result<HttpResponse, IdpError> {
    let (name, logo) = flow::branded(idp, app).await?;
    let view = pages::SignUp {
        interaction: &i.id,
        csrf: &i.csrf,
        app_name: &name,
        logo,
        by_email: mode == SignUpMode::Email,
        identifier: typed.identifier,
        name: typed.name,
        error: error.map(|(_, e)| e),
    };
    Ok(pages::sign_up(idp, lang, error.map_or(StatusCode::OK, |(s, _)| s), &view))
}

pub async fn sign_up_page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let mode = mode(&idp)?;
        let i = flow::load_interaction(&idp, &req, &q.interaction).await?;
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let lang = flow::lang_of(&req, &i.request);
        form(&idp, lang, &i, &app, mode, Typed { identifier: "", name: "" }, None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct SignUpForm {
    interaction: String,
    csrf: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_up_submit(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<SignUpForm>) -> HttpResponse {
    submit(&idp, &req, f.into_inner()).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The words for a field that breaks its rule.
pub(crate) fn refusal(w: &'static Words, e: &FieldError) -> &'static str {
    match e {
        FieldError::Email(_) => w.invalid_email,
        FieldError::Username(_) | FieldError::UsernameLooksLikeEmail(_) => w.invalid_username,
        FieldError::PasswordTooShort => w.password_too_short,
        FieldError::PasswordTooLong => w.password_too_long,
        FieldError::PasswordTooCommon => w.password_too_common,
        _ => w.name_too_long,
    }
}

async fn submit(idp: &IdpState, req: &HttpRequest, f: SignUpForm) -> Result<HttpResponse, IdpError> {
    let mode = mode(idp)?;
    let i = flow::load_interaction(idp, req, &f.interaction).await?;
    // An interaction that already signed someone in (waiting for consent), or made an account
    // now waiting for its address to be verified, makes no other account.
    if !flow::ct_eq(&f.csrf, &i.csrf) || i.session_id.is_some() || i.verifying.is_some() {
        return Err(IdpError::expired_interaction());
    }
    let app = flow::app_of(idp, &i.request.client_id).await?;
    let lang = flow::lang_of(req, &i.request);
    let w = lang.words();
    let origin = ratelimit::origin(idp, req);
    ratelimit::count_ip(idp, SIGN_UP, &origin.ip, false).await?;
    let identifier: String = f.identifier.trim().chars().take(256).collect();
    let name: String = f.name.trim().chars().take(1024).collect();
    let typed = || Typed { identifier: &identifier, name: &name };
    let refuse = |e: &'static str| (StatusCode::UNPROCESSABLE_ENTITY, e);
    let checked = match mode {
        SignUpMode::Email => fields::email(&identifier),
        _ => fields::username(&identifier),
    }
    .and_then(|()| if name.is_empty() { Ok(()) } else { fields::text(&name, fields::MAX_DISPLAY_NAME) })
    .and_then(|()| fields::password(&f.password));
    if let Err(e) = checked {
        return form(idp, lang, &i, &app, mode, typed(), Some(refuse(refusal(w, &e)))).await;
    }
    let taken = if mode == SignUpMode::Email { w.email_taken } else { w.username_taken };
    if idp.core.repos.find_user_by_login(&identifier).await.page_unavailable()?.is_some() {
        return form(idp, lang, &i, &app, mode, typed(), Some((StatusCode::CONFLICT, taken))).await;
    }
    // Past the checks an account will be made: those are limited per hour on their own.
    ratelimit::count_sign_up(idp, &origin.ip).await?;
    let hash = hash_password(idp, &f.password).await?;
    let now = idp.core.clock.now();
    let by_email = mode == SignUpMode::Email;
    let user = User {
        id: UserId(new_id(idp.core.random.as_ref())),
        username: (!by_email).then(|| identifier.clone()),
        primary_email: by_email.then(|| identifier.clone()),
        name: (!name.is_empty()).then(|| name.clone()),
        password_hash: Some(hash),
        // Nobody has proved they read this address yet.
        email_verified: false,
        custom_data: serde_json::json!({}),
        created_at: now,
        updated_at: now,
        ..Default::default()
    };
    match latch_core::commands::sign_up(&idp.core, &user, mode).await {
        Ok(()) => {}
        // Someone took the name between the check and the write.
        Err(RepoError::Conflict(_)) => {
            return form(idp, lang, &i, &app, mode, typed(), Some((StatusCode::CONFLICT, taken))).await;
        }
        Err(e) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
    }
    tracing::info!(user = %user.id, "signed up");
    let event = SecurityEvent::SignedUp { user: user.id.clone(), client: app.id.clone() };
    security_log::record(&idp.core, &origin, event).await;
    crate::verify_email::after_password(idp, req, &app, user, i, &origin, lang, true, false).await
}

/// The stored hash of a new password the policy accepted, computed on the hashing threads.
pub(crate) async fn hash_password(idp: &IdpState, password: &str) -> Result<String, IdpError> {
    match idp.core.hash_new_password(password).await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
        Err(PoolError::Busy) => Err(IdpError::Busy),
        Err(e @ PoolError::Stopped) => Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
    }
}

//! `/account`: the signed-in user's own account, server-rendered, every change a plain form
//! bound to the session by its CSRF token: the profile (name, picture), the email address
//! (changed only once a code sent to the new one is entered), the password (the current one
//! required; every other session ends), the second factors (`account_mfa.rs`), and the
//! sessions, with "sign out everywhere". The connected apps are `/account/apps` (`account.rs`).

use crate::account::csrf_of;
use crate::email_codes;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::ratelimit::{self, Account, AccountGate};
use crate::signup::{hash_password, refusal};
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::Actor;
use latch_core::hashing::PoolError;
use latch_domain::entities::{Session, User};
use latch_domain::fields;
use latch_domain::repo::RepoError;
use latch_oidc::one_time::{Check, Purpose};
use serde::Deserialize;

/// The rate-limit scope of current passwords entered on the account page.
const PASSWORD_CHECK: &str = "account-password";

/// This browser's live session and its user, or the "not signed in" page.
pub(crate) async fn signed_in(idp: &IdpState, req: &HttpRequest) -> Result<(Session, User), IdpError> {
    flow::current_session(idp, req).await?.ok_or_else(|| IdpError::page(StatusCode::UNAUTHORIZED, Problem::NotSignedIn))
}

/// How the page names the user: their email address, else their username, else their id.
fn label_of(user: &User) -> String {
    user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string())
}

/// The account page for `user`, with `notice` or `error` about the last change.
pub(crate) async fn render(
    idp: &IdpState,
    lang: Lang,
    session: &Session,
    user: &User,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<HttpResponse, IdpError> {
    let now = idp.core.clock.now();
    let idle = idp.core.settings.session_idle_timeout;
    let mut sessions: Vec<pages::AccountSession> = idp
        .core
        .repos
        .list_user_sessions(&user.id)
        .await
        .page_unavailable()?
        .into_iter()
        .filter(|s| latch_oidc::session::is_live(s, now, idle))
        .map(|s| pages::AccountSession {
            current: s.id == session.id,
            signed_in_at: s.auth_time.0,
            last_active_at: s.last_active_at.0,
            user_agent: s.user_agent,
        })
        .collect();
    sessions.sort_by_key(|s| (!s.current, -s.last_active_at));
    let label = label_of(user);
    let csrf = csrf_of(session);
    let stored = idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?;
    let has_totp = stored.iter().any(|f| f.kind == latch_domain::entities::FactorKind::Totp);
    let factors: Vec<pages::AccountFactor> = stored
        .into_iter()
        .map(|f| pages::AccountFactor { id: f.id.to_string(), name: f.name, added_at: f.created_at.0 })
        .collect();
    let recovery_left =
        if factors.is_empty() { 0 } else { idp.core.repos.count_recovery_codes(&user.id).await.page_unavailable()? };
    let view = pages::Account {
        label: &label,
        csrf: &csrf,
        name: user.name.as_deref().unwrap_or_default(),
        picture: user.avatar.as_deref().unwrap_or_default(),
        email: user.primary_email.as_deref(),
        verified: user.email_verified,
        can_mail: email_codes::available(idp),
        has_password: user.password_hash.is_some(),
        sessions: &sessions,
        factors: &factors,
        recovery_left,
        has_totp,
        can_passkey: crate::passkeys::available(idp),
        notice,
        error,
    };
    Ok(pages::account(idp, lang, status, &view))
}

pub async fn page(idp: web::Data<IdpState>, req: HttpRequest) -> HttpResponse {
    let result = async {
        let (session, user) = signed_in(&idp, &req).await?;
        render(&idp, Lang::of_request(&req), &session, &user, StatusCode::OK, None, None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The session and user of a form post, its CSRF token checked.
pub(crate) async fn posted(idp: &IdpState, req: &HttpRequest, csrf: &str) -> Result<(Session, User), IdpError> {
    let Some((session, user)) = flow::current_session(idp, req).await? else {
        return Err(IdpError::page(StatusCode::UNAUTHORIZED, Problem::SignInAgain));
    };
    if !flow::ct_eq(csrf, &csrf_of(&session)) {
        return Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired));
    }
    Ok((session, user))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    picture: String,
}

pub async fn profile(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<ProfileForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let (name, picture) = (f.name.trim(), f.picture.trim());
        let refused = |e| render(&idp, lang, &session, &user, StatusCode::UNPROCESSABLE_ENTITY, None, Some(e));
        if !name.is_empty() && fields::display_name(name).is_err() {
            return refused(w.name_too_long).await;
        }
        if !picture.is_empty() && fields::web_url(picture).is_err() {
            return refused(w.invalid_picture).await;
        }
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        let user = latch_core::commands::update_own_profile(&idp.core, &user, some(name), some(picture))
            .await
            .page_unavailable()?;
        render(&idp, lang, &session, &user, StatusCode::OK, Some(w.saved), None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

pub async fn password(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<PasswordForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let refused = |status, e| render(&idp, lang, &session, &user, status, None, Some(e));
        if let Err(e) = fields::password(&f.password) {
            return refused(StatusCode::UNPROCESSABLE_ENTITY, refusal(w, &e)).await;
        }
        let origin = ratelimit::origin(&idp, &req);
        if !current_password_ok(&idp, &origin, &user, &f.current).await? {
            return refused(StatusCode::UNAUTHORIZED, w.wrong_current_password).await;
        }
        let hash = hash_password(&idp, &f.password).await?;
        let user = latch_core::commands::change_password(&idp.core, &origin, &user, hash, &session.id)
            .await
            .page_unavailable()?;
        tracing::info!(user = %user.id, "password changed");
        render(&idp, lang, &session, &user, StatusCode::OK, Some(w.password_changed), None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// Whether `typed` is `user`'s password, guessed no faster here than at sign-in: the same
/// counters, per address and per account, counted before the check.
pub(crate) async fn current_password_ok(
    idp: &IdpState,
    origin: &latch_core::security_log::Origin,
    user: &User,
    typed: &str,
) -> Result<bool, IdpError> {
    ratelimit::count_ip(idp, PASSWORD_CHECK, &origin.ip, false).await?;
    let account = Account::User(&user.id);
    let attempt = ratelimit::count_account(idp, account).await?;
    let ok = attempt.gate != AccountGate::Locked && {
        let (hasher, typed, stored) = (idp.core.hasher.clone(), typed.to_owned(), user.password_hash.clone());
        match idp.core.hash_pool.run(move || hasher.verify(&typed, stored.as_deref())).await {
            Ok(ok) => ok,
            Err(PoolError::Busy) => {
                ratelimit::uncount_account(idp, account).await;
                ratelimit::forgive_ip(idp, PASSWORD_CHECK, &origin.ip).await;
                return Err(IdpError::Busy);
            }
            Err(e @ PoolError::Stopped) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
        }
    };
    if ok {
        ratelimit::forgive_account(idp, account).await;
        ratelimit::forgive_ip(idp, PASSWORD_CHECK, &origin.ip).await;
    }
    Ok(ok)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// "Sign out everywhere": every session of the user ends, this browser's too.
pub async fn end_sessions(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<CsrfForm>) -> HttpResponse {
    let result = async {
        let (_, user) = posted(&idp, &req, &f.csrf).await?;
        let actor = Actor::User(user.id.clone());
        let ended = latch_core::commands::end_sessions(&idp.core, &actor, &user.id).await.page_unavailable()?;
        tracing::info!(user = %user.id, ended, "signed out everywhere");
        let mut res = pages::signed_out(&idp, Lang::of_request(&req), None);
        crate::cookies::append(&mut res, &crate::cookies::clear(&idp, crate::cookies::SESSION));
        Ok(res)
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct EmailForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    code: String,
}

/// A new email address: a code goes to it (`send`), and once entered (`confirm`) the address
/// is the account's, verified.
pub async fn email(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<EmailForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        if !email_codes::available(&idp) {
            return Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound));
        }
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let email: String = f.email.trim().chars().take(256).collect();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        if fields::email(&email).is_err() {
            return render(&idp, lang, &session, &user, status, None, Some(w.invalid_email)).await;
        }
        if user.primary_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&email)) {
            return render(&idp, lang, &session, &user, status, None, Some(w.same_email)).await;
        }
        let origin = ratelimit::origin(&idp, &req);
        let csrf = csrf_of(&session);
        match f.action.as_str() {
            "send" => {
                email_codes::count_request(&idp, &origin.ip).await?;
                email_codes::send(&idp, lang, &origin, Purpose::ChangeEmail, &user, &email).await?;
                Ok(pages::account_email(&idp, lang, StatusCode::OK, &csrf, &email, None))
            }
            "confirm" => {
                let check =
                    email_codes::enter(&idp, &origin, Purpose::ChangeEmail, Some(&user), &email, &f.code).await?;
                if check != Check::Accepted {
                    let refused = email_codes::refusal(lang, check);
                    return Ok(pages::account_email(&idp, lang, status, &csrf, &email, refused));
                }
                match latch_core::commands::change_email(&idp.core, &origin, &user, &email).await {
                    Ok(user) => render(&idp, lang, &session, &user, StatusCode::OK, Some(w.email_changed), None).await,
                    // The address proved to be theirs is another account's: say so, to its owner.
                    Err(RepoError::Conflict(_)) => {
                        render(&idp, lang, &session, &user, StatusCode::CONFLICT, None, Some(w.email_taken)).await
                    }
                    Err(e) => Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
                }
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

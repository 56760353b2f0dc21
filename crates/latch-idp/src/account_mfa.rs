//! The account page's second factors: setting up an authenticator app (`/account/mfa/totp`:
//! a new secret waits, sealed, in the ephemeral store for ten minutes, bound to this session,
//! until the user enters one of its codes and the current password; then the factor, with ten
//! recovery codes when it is the first, is stored and the codes are shown once), and, with the
//! current password, removing a factor or replacing the recovery codes (`/account/mfa`).

use crate::account_page::{current_password_ok, posted, render};
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::i18n::{Lang, Problem};
use crate::pages::factors::{self as views, Enrolment, Target};
use crate::second_factor::{enrolment_of, first_code, new_sealed_secret};
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::entities::{Session, User};
use latch_domain::ids::FactorId;
use latch_oidc::mfa;
use serde::Deserialize;
use std::time::Duration;

/// Seconds a new secret waits for its first code.
const ENROL_TTL_SECS: u64 = 600;

fn enrol_key(session: &Session) -> String {
    format!("totp-enrol:{}", session.id)
}

fn target(idp: &IdpState, csrf: &str) -> Target {
    Target { action: idp.core.settings.own("/account/mfa/totp"), hidden: vec![("csrf", csrf.to_owned())] }
}

/// The enrolment page of the sealed secret `sealed`.
fn enrol_page(
    idp: &IdpState,
    lang: Lang,
    user: &User,
    csrf: &str,
    sealed: &str,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<HttpResponse, IdpError> {
    let (uri, key) = enrolment_of(idp, user, sealed)
        .ok_or_else(|| IdpError::Unavailable { detail: "cannot open a TOTP secret".into(), json: false })?;
    let enrolment = Enrolment { uri: &uri, key: &key, required: false, passkey: None };
    Ok(views::enrol_totp(idp, lang, status, &target(idp, csrf), &enrolment, error))
}

#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    code: String,
    /// The current password, asked with the first code.
    #[serde(default)]
    current: String,
}

pub async fn totp(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<TotpForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let key = enrol_key(&session);
        match f.action.as_str() {
            "start" => {
                let sealed = new_sealed_secret(&idp, &user.id)?;
                let ttl = Duration::from_secs(ENROL_TTL_SECS);
                idp.core.cache.put(&key, &sealed, ttl).await.page_unavailable()?;
                enrol_page(&idp, lang, &user, &f.csrf, &sealed, StatusCode::OK, None)
            }
            "enrol" => {
                let Some(sealed) = idp.core.cache.get(&key).await.page_unavailable()? else {
                    return render(&idp, lang, &session, &user, StatusCode::CONFLICT, None, Some(w.enrol_expired))
                        .await;
                };
                // A session alone does not add a factor: whoever holds a stolen one cannot.
                let origin = crate::ratelimit::origin(&idp, &req);
                if !current_password_ok(&idp, &origin, &user, &f.current).await? {
                    let status = StatusCode::UNAUTHORIZED;
                    return enrol_page(&idp, lang, &user, &f.csrf, &sealed, status, Some(w.wrong_current_password));
                }
                let Some(step) = first_code(&idp, &user.id, &sealed, &f.code) else {
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    return enrol_page(&idp, lang, &user, &f.csrf, &sealed, status, Some(w.mfa_wrong));
                };
                // Taken before it is stored: of two tabs posting the same code, one enrols.
                if idp.core.cache.take(&key).await.page_unavailable()?.is_none() {
                    return render(&idp, lang, &session, &user, StatusCode::CONFLICT, None, Some(w.enrol_expired))
                        .await;
                }
                // Recovery codes come with the first factor; a second keeps them.
                let first = idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?.is_empty();
                let codes = first.then(|| mfa::new_recovery_codes(idp.core.random.as_ref()));
                let hashes = codes.as_ref().map(|c| c.iter().map(|(_, h)| h.clone()).collect());
                latch_core::commands::enrol_totp(&idp.core, &origin, &user.id, w.totp_name, sealed, step, hashes)
                    .await
                    .page_unavailable()?;
                tracing::info!(user = %user.id, "authenticator app enrolled");
                match codes {
                    Some(codes) => {
                        let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
                        Ok(views::recovery_codes(&idp, lang, &shown, None))
                    }
                    None => render(&idp, lang, &session, &user, StatusCode::OK, Some(w.totp_added), None).await,
                }
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct ManageForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    current: String,
}

pub async fn manage(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<ManageForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let origin = crate::ratelimit::origin(&idp, &req);
        let remove = f.action.strip_prefix("remove:").map(FactorId::from);
        if remove.is_none() && f.action != "recovery" {
            return Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired));
        }
        if !current_password_ok(&idp, &origin, &user, &f.current).await? {
            let status = StatusCode::UNAUTHORIZED;
            return render(&idp, lang, &session, &user, status, None, Some(w.wrong_current_password)).await;
        }
        let factors = idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?;
        match remove {
            Some(id) => {
                if !factors.iter().any(|f| f.id == id) {
                    return Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound));
                }
                latch_core::commands::remove_factor(&idp.core, &origin, &user.id, &id).await.page_unavailable()?;
                tracing::info!(user = %user.id, factor = %id, "second factor removed");
                render(&idp, lang, &session, &user, StatusCode::OK, Some(w.factor_removed), None).await
            }
            None => {
                if factors.is_empty() {
                    // Recovery codes stand in for a factor: without one they would open nothing.
                    return Err(IdpError::page(StatusCode::CONFLICT, Problem::PageExpired));
                }
                let codes = mfa::new_recovery_codes(idp.core.random.as_ref());
                let hashes = codes.iter().map(|(_, h)| h.clone()).collect();
                latch_core::commands::replace_recovery_codes(&idp.core, &origin, &user.id, hashes)
                    .await
                    .page_unavailable()?;
                let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
                Ok(views::recovery_codes(&idp, lang, &shown, None))
            }
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

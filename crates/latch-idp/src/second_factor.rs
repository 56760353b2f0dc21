//! `/sign-in/factor`: the second step of a sign-in, after the password (and the email
//! verification, when one is due) and before the session. Who needs one is the engine's
//! decision (`latch_oidc::mfa::second_step`: the operator's policy, whether the user has a
//! factor, the request's `acr_values`); it takes a code of an authenticator app, a recovery
//! code, or a passkey (`passkeys.rs`). A user who needs one and has none enrols an
//! authenticator app here, sees their recovery codes once, and goes on.
//!
//! Wrong codes are limited twice: [`mfa::MAX_SECOND_FACTOR_TRIES`] per sign-in (then it ends),
//! and [`mfa::SECOND_FACTOR_FAILURES_PER_HOUR`] per account across sign-ins and nodes, counted
//! before the code is checked, so knowing the password buys only so many guesses.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction, InteractionQuery, StepForm};
use crate::i18n::{Lang, Problem};
use crate::pages::factors::{self as views, Enrolment, Target};
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::{self, Origin, SecurityEvent};
use latch_domain::entities::{Application, FactorKind, MfaFactor, MfaPolicy, Session, User};
use latch_domain::ids::UserId;
use latch_oidc::mfa::{self, Entry, SecondStep};
use latch_oidc::session::{credential_of, may_continue};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A user between their first factor and their session, at the second step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    pub user: UserId,
    /// `latch_oidc::session::credential_of` the user when they proved their password.
    pub credential: String,
    /// Enrolling an authenticator app: its new secret, sealed, until a code of it is entered.
    #[serde(default)]
    pub enrolling: Option<String>,
    /// Enrolled during this sign-in: the recovery codes were shown, "Continue" signs in.
    #[serde(default)]
    pub enrolled: bool,
    /// What was enrolled: a passkey (`true`) or an authenticator app, for the session's `amr`.
    #[serde(default)]
    pub enrolled_passkey: bool,
    /// Wrong codes entered during this sign-in.
    #[serde(default)]
    pub tries: u64,
}

/// `user`'s authenticator apps (the factors a code is checked against).
pub(crate) async fn totp_factors(idp: &IdpState, user: &UserId) -> Result<Vec<MfaFactor>, IdpError> {
    let factors = idp.core.repos.list_user_factors(user).await.page_unavailable()?;
    Ok(factors.into_iter().filter(|f| f.kind == FactorKind::Totp).collect())
}

/// The operator's MFA policy, and whether it counts `user` as an admin (asked only of the
/// `admins` policy).
async fn policy_of(idp: &IdpState, user: &UserId) -> Result<(MfaPolicy, bool), IdpError> {
    let policy = idp.core.idp_branding().mfa;
    let is_admin =
        policy == MfaPolicy::Admins && latch_core::admin_access::is_admin(&idp.core, user).await.page_unavailable()?;
    Ok((policy, is_admin))
}

/// Whether the operator's policy or the request's `acr_values` wants a second factor of `user`.
pub(crate) async fn needed(idp: &IdpState, user: &UserId, acr_values: Option<&str>) -> Result<bool, IdpError> {
    let (policy, is_admin) = policy_of(idp, user).await?;
    Ok(mfa::needs_second_factor(policy, is_admin, mfa::asks_for_mfa(acr_values)))
}

/// A new authenticator-app secret for `user`, sealed as it is stored.
pub(crate) fn new_sealed_secret(idp: &IdpState, user: &UserId) -> Result<String, IdpError> {
    let secret = mfa::new_totp_secret(idp.core.random.as_ref());
    mfa::seal_totp_secret(&idp.core.mfa_key(), user, &secret)
        .ok_or_else(|| IdpError::Unavailable { detail: "cannot seal a TOTP secret".into(), json: false })
}

/// The enrolment of the sealed secret `sealed` for `user`: its `otpauth://` URI and key.
pub(crate) fn enrolment_of(idp: &IdpState, user: &User, sealed: &str) -> Option<(String, String)> {
    let secret = mfa::open_totp_secret(&idp.core.mfa_key(), &user.id, sealed)?;
    let issuer = idp.core.idp_branding().organization_name.clone().unwrap_or_else(|| "Latch".to_owned());
    let account = user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string());
    mfa::totp_uri(&secret, &issuer, &account)
}

/// The time step `code` is of the sealed secret `sealed` of `user`, when it is a valid code.
pub(crate) fn first_code(idp: &IdpState, user: &UserId, sealed: &str, code: &str) -> Option<i64> {
    let secret = mfa::open_totp_secret(&idp.core.mfa_key(), user, sealed)?;
    mfa::check_totp(&secret, code, idp.core.clock.now(), None)
}

/// `user` has proved their first factor (and address, when due): signed in now, or sent to the
/// second step when the engine says one is needed.
pub(crate) async fn after_first_factor(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    user: User,
    mut i: Interaction,
    origin: &Origin,
    lang: Lang,
) -> Result<HttpResponse, IdpError> {
    let (policy, is_admin) = policy_of(idp, &user.id).await?;
    let has_factor = !idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?.is_empty();
    let asked = mfa::asks_for_mfa(i.request.acr_values.as_deref());
    let enrolling = match mfa::second_step(policy, is_admin, has_factor, asked) {
        SecondStep::None => return flow::signed_in(idp, req, app, user, i, origin, lang, mfa::amr_with(None)).await,
        SecondStep::Verify => None,
        SecondStep::Enrol => Some(new_sealed_secret(idp, &user.id)?),
    };
    let pending = Pending {
        user: user.id.clone(),
        credential: credential_of(&user),
        enrolling,
        enrolled: false,
        enrolled_passkey: false,
        tries: 0,
    };
    i.second_factor = Some(pending);
    let cookie = flow::keep_interaction(idp, &i).await?;
    Ok(flow::see_other(&idp.core.settings.own(&format!("/sign-in/factor?interaction={}", i.id)))
        .cookie(cookie)
        .finish())
}

/// The answer to `request` for the live `session` of `user`: on at once when the session has
/// the second factor the request needs (the policy, `acr_values`), else a step-up for it.
pub(crate) async fn proceed_or_step_up(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    request: latch_oidc::authorize::AuthRequest,
    session: Session,
    user: User,
) -> Result<HttpResponse, IdpError> {
    let needed = needed(idp, &user.id, request.acr_values.as_deref()).await?;
    if mfa::session_suffices(&session.amr, needed) {
        flow::proceed(idp, app, request, user, session, None).await
    } else {
        step_up(idp, req, app, request, &session, user).await
    }
}

/// Step-up: `user` is signed in in this browser, but not with the second factor `request`
/// needs. A new interaction goes straight to the second step (or its set-up); its success
/// replaces the session with one that has the factor in its `amr`. New interactions from one
/// address are limited as at sign-in.
pub(crate) async fn step_up(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    request: latch_oidc::authorize::AuthRequest,
    session: &Session,
    user: User,
) -> Result<HttpResponse, IdpError> {
    crate::ratelimit::count_interaction(idp, &crate::ratelimit::client_ip(idp, req), false).await?;
    let lang = flow::lang_of(req, &request);
    let mut i = Interaction::new(idp.core.token(32), idp.core.token(32), request, None);
    i.stepping_up = Some(session.id.clone());
    let origin = crate::ratelimit::origin(idp, req);
    after_first_factor(idp, req, app, user, i, &origin, lang).await
}

/// The interaction a second-step page belongs to, its step, and the user: one suspended, or
/// whose password changed, since they proved it signs in again.
async fn load(idp: &IdpState, req: &HttpRequest, id: &str) -> Result<(Interaction, Pending, User), IdpError> {
    let i = flow::load_interaction(idp, req, id).await?;
    let Some(p) = i.second_factor.clone().filter(|_| i.session_id.is_none() && i.verifying.is_none()) else {
        return Err(IdpError::expired_interaction());
    };
    let user = idp.core.repos.get_user(&p.user).await.page_unavailable()?;
    let user = user.filter(|u| may_continue(Some(u), &p.credential)).ok_or_else(IdpError::expired_interaction)?;
    // A step-up ends with the session it adds to (signed out everywhere, expired).
    if let Some(old) = &i.stepping_up
        && flow::live_session(idp, old).await?.is_none_or(|(_, u)| u.id != user.id)
    {
        return Err(IdpError::expired_interaction());
    }
    Ok((i, p, user))
}

fn target(idp: &IdpState, i: &Interaction) -> Target {
    Target {
        action: idp.core.settings.own("/sign-in/factor"),
        hidden: vec![("interaction", i.id.clone()), ("csrf", i.csrf.clone())],
    }
}

/// The page of step `p`: the enrolment, or the code form (with a passkey, when the user has
/// one).
async fn form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    p: &Pending,
    user: &User,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<HttpResponse, IdpError> {
    let target = target(idp, i);
    match &p.enrolling {
        Some(sealed) => {
            let (uri, key) = enrolment_of(idp, user, sealed).ok_or_else(IdpError::expired_interaction)?;
            let passkey = crate::passkeys::enrol_form(idp, lang, i, user).await?;
            let enrolment = Enrolment { uri: &uri, key: &key, required: true, passkey: passkey.as_ref() };
            Ok(views::enrol_totp(idp, lang, status, &target, &enrolment, error))
        }
        None => {
            let has_totp = !totp_factors(idp, &user.id).await?.is_empty();
            let keys = crate::passkeys::passkeys_of(idp, &user.id).await?;
            let passkey = crate::passkeys::second_step_form(idp, lang, i, &keys).await?;
            let view = views::SecondStepView { target: &target, has_totp, passkey: passkey.as_ref() };
            Ok(views::second_factor(idp, lang, status, &view, error))
        }
    }
}

pub async fn page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let (i, p, user) = load(&idp, &req, &q.interaction).await?;
        let lang = flow::lang_of(&req, &i.request);
        if p.enrolled {
            // The codes were shown once; reloading goes on without them.
            return Ok(views::recovery_codes(&idp, lang, &[], Some(&target(&idp, &i))));
        }
        form(&idp, lang, &i, &p, &user, StatusCode::OK, None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

pub async fn submit(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<StepForm>) -> HttpResponse {
    let f = f.into_inner();
    let result = async {
        let (mut i, mut p, user) = load(&idp, &req, &f.interaction).await?;
        if !flow::ct_eq(&f.csrf, &i.csrf) {
            return Err(IdpError::expired_interaction());
        }
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let lang = flow::lang_of(&req, &i.request);
        let origin = crate::ratelimit::origin(&idp, &req);
        let failed = |reason| {
            let event = SecurityEvent::SecondFactorFailed { user: user.id.clone(), client: app.id.clone(), reason };
            security_log::record(&idp.core, &origin, event)
        };
        // A factor set up meanwhile (elsewhere, by the account's owner) is proved, not replaced:
        // this sign-in goes on as any other with a factor.
        if p.enrolling.is_some() && !idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?.is_empty() {
            p.enrolling = None;
            i.second_factor = Some(p.clone());
            save(&idp, &i).await?;
            return form(&idp, lang, &i, &p, &user, StatusCode::CONFLICT, None).await;
        }
        match (f.action.as_str(), p.enrolling.clone(), p.enrolled) {
            ("continue", None, true) => {
                i.second_factor = None;
                let second = if p.enrolled_passkey { mfa::AMR_HARDWARE_KEY } else { mfa::AMR_OTP };
                flow::signed_in(&idp, &req, &app, user, i, &origin, lang, mfa::amr_with(Some(second))).await
            }
            ("enrol-passkey", Some(_), false) => {
                p.tries += 1;
                if p.tries > mfa::MAX_SECOND_FACTOR_TRIES {
                    return Err(end(&idp, &i).await);
                }
                let w = lang.words();
                let Some(key) = crate::passkeys::enrolled_key(&idp, &i, &f.credential).await? else {
                    i.second_factor = Some(p.clone());
                    save(&idp, &i).await?;
                    return form(&idp, lang, &i, &p, &user, StatusCode::UNPROCESSABLE_ENTITY, Some(w.passkey_failed))
                        .await;
                };
                let codes = mfa::new_recovery_codes(idp.core.random.as_ref());
                let hashes = codes.iter().map(|(_, h)| h.clone()).collect();
                let enrolled =
                    crate::passkeys::enrol(&idp, &origin, &user.id, w.passkey_name, &key, Some(hashes)).await?;
                match enrolled {
                    Ok(_) => {}
                    Err(latch_domain::repo::RepoError::Conflict(_)) => {
                        i.second_factor = Some(p.clone());
                        save(&idp, &i).await?;
                        return form(&idp, lang, &i, &p, &user, StatusCode::CONFLICT, Some(w.passkey_taken)).await;
                    }
                    Err(e) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
                }
                tracing::info!(user = %user.id, "passkey enrolled at sign-in");
                i.second_factor = Some(Pending { enrolling: None, enrolled: true, enrolled_passkey: true, ..p });
                save(&idp, &i).await?;
                let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
                Ok(views::recovery_codes(&idp, lang, &shown, Some(&target(&idp, &i))))
            }
            ("enrol", Some(sealed), false) => {
                p.tries += 1;
                if p.tries > mfa::MAX_SECOND_FACTOR_TRIES {
                    return Err(end(&idp, &i).await);
                }
                let Some(step) = first_code(&idp, &user.id, &sealed, &f.code) else {
                    i.second_factor = Some(p.clone());
                    save(&idp, &i).await?;
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    return form(&idp, lang, &i, &p, &user, status, Some(lang.words().mfa_wrong)).await;
                };
                let codes = mfa::new_recovery_codes(idp.core.random.as_ref());
                let hashes = codes.iter().map(|(_, h)| h.clone()).collect();
                let name = lang.words().totp_name;
                latch_core::commands::enrol_totp(&idp.core, &origin, &user.id, name, sealed, step, Some(hashes))
                    .await
                    .page_unavailable()?;
                tracing::info!(user = %user.id, "authenticator app enrolled at sign-in");
                i.second_factor = Some(Pending { enrolling: None, enrolled: true, ..p });
                save(&idp, &i).await?;
                let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
                Ok(views::recovery_codes(&idp, lang, &shown, Some(&target(&idp, &i))))
            }
            (action @ ("verify" | "passkey"), None, false) => {
                // Counted before the check, per account and then per sign-in.
                let key = latch_core::commands::second_factor_failures_key(&user.id);
                let n = idp.core.cache.incr(&key, Duration::from_secs(3600)).await.page_unavailable()?;
                if latch_oidc::limits::over_limit(n, mfa::SECOND_FACTOR_FAILURES_PER_HOUR) {
                    failed("limited").await;
                    let status = StatusCode::TOO_MANY_REQUESTS;
                    return form(&idp, lang, &i, &p, &user, status, Some(lang.words().mfa_limited)).await;
                }
                p.tries += 1;
                if p.tries > mfa::MAX_SECOND_FACTOR_TRIES {
                    failed("too_many_tries").await;
                    return Err(end(&idp, &i).await);
                }
                let accepted = if action == "passkey" {
                    let proved = crate::passkeys::second_step_check(&idp, &i, &user.id, &f.credential).await?;
                    proved.then_some("passkey")
                } else {
                    check(&idp, &user.id, &f.code).await?
                };
                match accepted {
                    Some(method) => {
                        let _ = idp.core.cache.decr(&key).await;
                        let event =
                            SecurityEvent::SecondFactorUsed { user: user.id.clone(), client: app.id.clone(), method };
                        security_log::record(&idp.core, &origin, event).await;
                        i.second_factor = None;
                        let second = if method == "passkey" { mfa::AMR_HARDWARE_KEY } else { mfa::AMR_OTP };
                        let amr = mfa::amr_with(Some(second));
                        flow::signed_in(&idp, &req, &app, user, i, &origin, lang, amr).await
                    }
                    None => {
                        failed("wrong").await;
                        i.second_factor = Some(p.clone());
                        save(&idp, &i).await?;
                        let status = StatusCode::UNPROCESSABLE_ENTITY;
                        form(&idp, lang, &i, &p, &user, status, Some(lang.words().mfa_wrong)).await
                    }
                }
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// Stores `i` again as it waits at this step (`sign_in_ttl`, as the cookie binding it).
async fn save(idp: &IdpState, i: &Interaction) -> Result<(), IdpError> {
    flow::save_interaction(idp, i, idp.core.settings.sign_in_ttl.min(idp.core.settings.interaction_ttl)).await
}

/// Ends interaction `i` after too many wrong codes: the user signs in again from the app.
async fn end(idp: &IdpState, i: &Interaction) -> IdpError {
    let _ = idp.core.cache.delete(&flow::interaction_key(&i.id)).await;
    IdpError::page(StatusCode::TOO_MANY_REQUESTS, Problem::TooManyCodes)
}

/// Checks `typed` against `user`'s factors, using what matched (a TOTP step, a recovery code)
/// once, atomically: `Some` of the method that accepted it.
async fn check(idp: &IdpState, user: &UserId, typed: &str) -> Result<Option<&'static str>, IdpError> {
    let now = idp.core.clock.now();
    match mfa::entry(typed) {
        Entry::Totp(code) => {
            for f in totp_factors(idp, user).await? {
                let Some(secret) = mfa::open_totp_secret(&idp.core.mfa_key(), user, &f.secret) else {
                    tracing::warn!(factor = %f.id, "a TOTP secret does not open under this server's key");
                    continue;
                };
                if let Some(step) = mfa::check_totp(&secret, &code, now, f.last_used_step)
                    && idp.core.repos.use_totp_step(&f.id, step, now).await.page_unavailable()?
                {
                    return Ok(Some("totp"));
                }
            }
            Ok(None)
        }
        Entry::Recovery(hash) => {
            let used = idp.core.repos.use_recovery_code(user, &hash, now).await.page_unavailable()?;
            Ok(used.then_some("recovery_code"))
        }
        Entry::Invalid => Ok(None),
    }
}

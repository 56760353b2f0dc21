//! The interaction between the authorization request and the answer: sign-in, consent, and
//! issuing the code. The validated request waits in the ephemeral store while the user acts,
//! so any node can continue it.

use crate::authorize::redirect_error;
use crate::cookies;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::i18n::Lang;
use crate::metrics::{self, SignIn};
use crate::pages;
use crate::ratelimit::{self, Account, AccountGate};
use crate::state::IdpState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::hashing::PoolError;
use latch_core::security_log::{self, SecurityEvent, SignInFailure};
use latch_domain::entities::{Application, Grant, Session, User};
use latch_domain::ids::{ApplicationId, GrantId, OrganizationId, SessionId, UserId, new_id};
use latch_oidc::authorize::AuthRequest;
use latch_oidc::code::CodeRecord;
use latch_oidc::{ErrorCode, consent, crypto};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A sign-in or consent in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub csrf: String,
    pub request: AuthRequest,
    /// Set once the user has signed in during this interaction (or already was).
    pub session_id: Option<SessionId>,
    /// The user who proved their password (or just made their account) and is now to prove
    /// their email address with a code, before being signed in.
    #[serde(default)]
    pub verifying: Option<Verifying>,
    /// The user at the second step of their sign-in (`second_factor.rs`).
    #[serde(default)]
    pub second_factor: Option<crate::second_factor::Pending>,
    /// Step-up: the live session this interaction adds a second factor to. It must stay live
    /// until then, and the session that replaces it keeps its `auth_time` and end.
    #[serde(default)]
    pub stepping_up: Option<SessionId>,
}

impl Interaction {
    /// A fresh interaction for `request`, at no step yet.
    pub fn new(id: String, csrf: String, request: AuthRequest, session_id: Option<SessionId>) -> Interaction {
        Interaction { id, csrf, request, session_id, verifying: None, second_factor: None, stepping_up: None }
    }
}

/// A user between their password and their session, proving their address.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verifying {
    pub user: UserId,
    /// `latch_oidc::session::credential_of` the user when they proved it: a password changed
    /// since (a reset by the owner) ends this step.
    pub credential: String,
    /// The step was offered, not required, when it began: only then may it be skipped.
    pub skippable: bool,
    /// The user signed in with a passkey alone: once verified, no second step follows.
    #[serde(default)]
    pub passwordless: bool,
}

pub(crate) fn interaction_key(id: &str) -> String {
    format!("interaction:{id}")
}

pub fn code_key(code: &str) -> String {
    format!("code:{}", crypto::token_hash(code))
}

pub(crate) use latch_oidc::crypto::ct_eq;

/// How often a session's `last_active_at` is written, at most (seconds).
const TOUCH_INTERVAL_SECS: i64 = 60;

/// The signed-in session of this browser and its user, when valid: neither past its lifetime
/// nor idle for `session.idle_timeout`.
pub async fn current_session(idp: &IdpState, req: &HttpRequest) -> Result<Option<(Session, User)>, IdpError> {
    let Some(token) = cookies::read(idp, req, cookies::SESSION) else { return Ok(None) };
    live_session(idp, &SessionId(crypto::token_hash(&token))).await
}

/// Session `id` and its user when the session may still act: not past its lifetime, not idle
/// for `session.idle_timeout`, its user not suspended. Every page that acts for a signed-in
/// user goes through here, as the token endpoint checks the same for refreshes.
pub(crate) async fn live_session(idp: &IdpState, id: &SessionId) -> Result<Option<(Session, User)>, IdpError> {
    let Some(session) = idp.core.repos.get_session(id).await.page_unavailable()? else { return Ok(None) };
    let now = idp.core.clock.now();
    if !latch_oidc::session::is_live(&session, now, idp.core.settings.session_idle_timeout) {
        return Ok(None);
    }
    // Activity is written at most once a minute, so busy sessions do not write on every request.
    if now.0 - session.last_active_at.0 >= TOUCH_INTERVAL_SECS {
        idp.core.repos.touch_session(&session.id, now).await.page_unavailable()?;
    }
    let Some(user) = idp.core.repos.get_user(&session.user_id).await.page_unavailable()? else { return Ok(None) };
    if user.is_suspended {
        return Ok(None);
    }
    Ok(Some((session, user)))
}

/// Stores `i` for `ttl_secs`: [`latch_core::Settings::sign_in_ttl`](latch_core::Settings) while it waits
/// for the sign-in form, `interaction_ttl` once the user has signed in.
pub(crate) async fn save_interaction(idp: &IdpState, i: &Interaction, ttl_secs: i64) -> Result<(), IdpError> {
    let json = serde_json::to_string(i).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    let ttl = Duration::from_secs(u64::try_from(ttl_secs).unwrap_or(3600).max(1));
    idp.core.cache.put(&interaction_key(&i.id), &json, ttl).await.page_unavailable()
}

/// Stores `i` again for a fresh `sign_in_ttl` (a step before sign-in that takes a while, such
/// as waiting for an emailed code) and answers the cookie that binds it to this browser as long.
pub(crate) async fn keep_interaction(
    idp: &IdpState,
    i: &Interaction,
) -> Result<actix_web::cookie::Cookie<'static>, IdpError> {
    let ttl = idp.core.settings.sign_in_ttl.min(idp.core.settings.interaction_ttl);
    save_interaction(idp, i, ttl).await?;
    Ok(cookies::make(idp, cookies::interaction(&i.id), i.id.clone(), ttl))
}

/// Loads the interaction a form or link names, checking it belongs to this browser.
pub(crate) async fn load_interaction(idp: &IdpState, req: &HttpRequest, id: &str) -> Result<Interaction, IdpError> {
    let bound = cookies::read(idp, req, &cookies::interaction(id));
    if bound.as_deref() != Some(id) {
        return Err(IdpError::expired_interaction());
    }
    let Some(json) = idp.core.cache.get(&interaction_key(id)).await.page_unavailable()? else {
        return Err(IdpError::expired_interaction());
    };
    serde_json::from_str(&json).map_err(|_| IdpError::expired_interaction())
}

pub(crate) fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::SeeOther();
    b.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// Keeps the request and sends the browser to the sign-in page. Anyone can get here without
/// credentials, so each address may start only so many (`ratelimit::count_interaction`) and
/// the interaction lives only `sign_in_ttl` until someone signs in with it.
pub async fn start_sign_in(
    idp: &IdpState,
    req: &HttpRequest,
    _app: &Application,
    request: AuthRequest,
) -> Result<HttpResponse, IdpError> {
    ratelimit::count_interaction(idp, &ratelimit::client_ip(idp, req), false).await?;
    let interaction = Interaction::new(idp.core.token(32), idp.core.token(32), request, None);
    let ttl = idp.core.settings.sign_in_ttl.min(idp.core.settings.interaction_ttl);
    save_interaction(idp, &interaction, ttl).await?;
    let cookie = cookies::make(idp, cookies::interaction(&interaction.id), interaction.id.clone(), ttl);
    Ok(see_other(&idp.core.settings.own(&format!("/sign-in?interaction={}", interaction.id))).cookie(cookie).finish())
}

/// After sign-in (or with a valid session): consent when needed, otherwise the code.
pub async fn proceed(
    idp: &IdpState,
    app: &Application,
    request: AuthRequest,
    user: User,
    session: Session,
    interaction: Option<Interaction>,
) -> Result<HttpResponse, IdpError> {
    let plan = crate::consent::build_plan(idp, app, &request, &user).await?;
    let grant = idp.core.repos.get_grant(&user.id, &app.id).await.page_unavailable()?;
    if consent::needs_consent(app.is_third_party, &request, &plan, grant.as_ref().map(|g| &g.details)) {
        if request.prompt.none {
            return Err(redirect_error(
                &request,
                ErrorCode::ConsentRequired,
                "the user has not authorized this application",
            ));
        }
        let interaction = match interaction {
            Some(mut i) => {
                i.session_id = Some(session.id.clone());
                i
            }
            None => Interaction::new(idp.core.token(32), idp.core.token(32), request, Some(session.id.clone())),
        };
        // Signed in now: the interaction may wait the full lifetime for the consent decision.
        save_interaction(idp, &interaction, idp.core.settings.interaction_ttl).await?;
        let cookie = cookies::make(
            idp,
            cookies::interaction(&interaction.id),
            interaction.id.clone(),
            idp.core.settings.interaction_ttl,
        );
        return Ok(see_other(&idp.core.settings.own(&format!("/consent?interaction={}", interaction.id)))
            .cookie(cookie)
            .finish());
    }
    if let Some(i) = &interaction {
        let _ = idp.core.cache.delete(&interaction_key(&i.id)).await;
    }
    // A third-party app gets what the remembered grant covers; a first-party app what it asked
    // for (narrowed by roles), remembered as its grant.
    let (effective, organizations) = match (&grant, app.is_third_party) {
        (Some(g), true) => (plan.within(&g.details), None),
        _ => (plan.clone(), None),
    };
    let finished = interaction.as_ref().map(|i| i.id.as_str());
    issue_code(idp, app, &request, &user, &session, grant, &effective, organizations, finished).await
}

/// Records the grant (what was there plus `approved`) and answers the client with a fresh
/// code carrying what the grant now covers of this request.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue_code(
    idp: &IdpState,
    app: &Application,
    request: &AuthRequest,
    user: &User,
    session: &Session,
    existing: Option<Grant>,
    approved: &consent::Plan,
    organizations: Option<&[OrganizationId]>,
    finished_interaction: Option<&str>,
) -> Result<HttpResponse, IdpError> {
    // A device that stopped waiting gets no grant written for it.
    crate::device::still_waiting(idp, request).await?;
    let now = idp.core.clock.now();
    let details = consent::merge_grant(existing.as_ref().map(|g| &g.details), approved, organizations);
    let write = consent::grant_needs_saving(existing.as_ref().map(|g| (&g.details, g.last_used_at)), &details, now);
    let grant = match existing {
        Some(g) if !write => g,
        Some(g) => Grant { details, updated_at: now, last_used_at: Some(now), ..g },
        None => Grant {
            id: GrantId(new_id(idp.core.random.as_ref())),
            user_id: user.id.clone(),
            application_id: app.id.clone(),
            details,
            created_at: now,
            updated_at: now,
            last_used_at: Some(now),
        },
    };
    if write {
        idp.core.repos.save_grant(&grant).await.page_unavailable()?;
    }
    let record = CodeRecord {
        client_id: app.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: user.id.clone(),
        session_id: session.id.clone(),
        grant_id: grant.id.clone(),
        scopes: approved.user_names(),
        organization_scopes: approved.organization_names(),
        resources: request.resources.clone(),
        resource_scopes: approved.resource_names(),
        organizations: grant.details.organizations.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        expires_at: now.plus_secs(idp.core.settings.code_ttl),
    };
    if request.device.is_some() {
        // RFC 8628 §3.5: the device collects this at its next poll; the browser is done.
        let answer = latch_oidc::device::DeviceAnswer::Approved { code: Box::new(record) };
        let mut res = crate::device::answer(idp, app, request, answer).await?;
        if let Some(id) = finished_interaction {
            clear_interaction_cookie(idp, &mut res, id);
        }
        return Ok(res);
    }
    let code = idp.core.token(32);
    let json =
        serde_json::to_string(&record).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    let ttl = Duration::from_secs(u64::try_from(idp.core.settings.code_ttl).unwrap_or(60));
    idp.core.cache.put(&code_key(&code), &json, ttl).await.page_unavailable()?;
    let mut params = vec![("code", code)];
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    let lang = Lang::choose(&request.ui_locales, None);
    let mut res = errors::redirect_to_client(idp, lang, &request.redirect_uri, request.response_mode, params);
    if let Some(id) = finished_interaction {
        clear_interaction_cookie(idp, &mut res, id);
    }
    Ok(res)
}

/// Adds to `res` the removal of interaction `id`'s cookie: the interaction is over.
pub(crate) fn clear_interaction_cookie(idp: &IdpState, res: &mut HttpResponse, id: &str) {
    cookies::append(res, &cookies::clear(idp, cookies::interaction(id)));
}

// ---------------------------------------------------------------- sign-in

#[derive(Deserialize)]
pub struct InteractionQuery {
    pub interaction: String,
}

/// A form posted at a step of a sign-in (`/verify-email`, `/sign-in/factor`): the interaction
/// and its CSRF token, the button pressed, and what was typed or what the browser answered.
#[derive(Deserialize)]
pub struct StepForm {
    pub interaction: String,
    pub csrf: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub code: String,
    /// A passkey's answer (`PublicKeyCredential.toJSON()`), for `action=passkey`.
    #[serde(default)]
    pub credential: String,
}

pub async fn sign_in_page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let i = load_interaction(&idp, &req, &q.interaction).await?;
        let app = app_of(&idp, &i.request.client_id).await?;
        let hint = i.request.login_hint.clone().unwrap_or_default();
        sign_in_form(&idp, lang_of(&req, &i.request), &i, &app, &hint, None).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The language of the pages of `request`: its `ui_locales`, else the browser's.
pub(crate) fn lang_of(req: &HttpRequest, request: &AuthRequest) -> Lang {
    Lang::of_request_asking(req, &request.ui_locales)
}

/// How the end-user pages name `app`: its branded display name and logo, else its name.
pub(crate) async fn branded(idp: &IdpState, app: &Application) -> Result<(String, pages::Logo), IdpError> {
    let b = idp.core.repos.get_branding(&app.id).await.page_unavailable()?.unwrap_or_default();
    let name = b.display_name.unwrap_or_else(|| app.name.clone());
    Ok((name, pages::Logo::of(b.logo_url, b.dark_logo_url, None)))
}

pub(crate) async fn app_of(idp: &IdpState, id: &ApplicationId) -> Result<Application, IdpError> {
    let client = idp.core.catalog.client(idp.core.repos.as_ref(), id.as_str()).await.page_unavailable()?;
    client.map(|c| Application::clone(&c.app)).ok_or_else(IdpError::expired_interaction)
}

#[derive(Deserialize)]
pub struct SignInForm {
    interaction: String,
    csrf: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
}

/// The rate-limit scope of sign-in attempts.
const SIGN_IN: &str = "sign-in";

pub async fn sign_in_submit(idp: web::Data<IdpState>, req: HttpRequest, form: web::Form<SignInForm>) -> HttpResponse {
    sign_in(&idp, &req, form.into_inner()).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The sign-in page of `interaction`, for `app` as its branding names it. `failed` is the
/// status and message of a failed attempt (for a password, the one message for every failure:
/// it never says which part was wrong).
pub(crate) async fn sign_in_form(
    idp: &IdpState,
    lang: Lang,
    interaction: &Interaction,
    app: &Application,
    identifier: &str,
    failed: Option<(StatusCode, &'static str)>,
) -> Result<HttpResponse, IdpError> {
    let (name, logo) = branded(idp, app).await?;
    let sign_up = (idp.core.idp_branding().sign_up != latch_domain::entities::SignUpMode::Off)
        .then(|| idp.core.settings.own(&format!("/sign-up?interaction={}", interaction.id)));
    let reset = crate::email_codes::available(idp)
        .then(|| idp.core.settings.own(&format!("/reset-password?interaction={}", interaction.id)));
    let page = pages::SignIn {
        interaction: &interaction.id,
        csrf: &interaction.csrf,
        app_name: &name,
        logo,
        identifier,
        error: failed.map(|(_, message)| message),
        sign_up,
        reset,
        passkey: crate::passkeys::sign_in_form(idp, lang, interaction).await?,
    };
    Ok(pages::sign_in(idp, lang, failed.map_or(StatusCode::OK, |(status, _)| status), &page))
}

async fn sign_in(idp: &IdpState, req: &HttpRequest, form: SignInForm) -> Result<HttpResponse, IdpError> {
    let interaction = load_interaction(idp, req, &form.interaction).await?;
    if !ct_eq(&form.csrf, &interaction.csrf) {
        return Err(IdpError::expired_interaction());
    }
    let app = app_of(idp, &interaction.request.client_id).await?;
    let origin = ratelimit::origin(idp, req);
    let ip = origin.ip.clone();
    let identifier = form.identifier.trim().to_owned();
    let lang = lang_of(req, &interaction.request);
    let fail = |status| {
        let failed = Some((status, lang.words().wrong_credentials));
        sign_in_form(idp, lang, &interaction, &app, &identifier, failed)
    };
    let failed = |user: Option<&User>, reason| {
        let event = SecurityEvent::SignInFailed { user: user.map(|u| u.id.clone()), client: app.id.clone(), reason };
        security_log::record(&idp.core, &origin, event)
    };
    if identifier.is_empty() || form.password.is_empty() || identifier.len() > 256 || form.password.len() > 1024 {
        failed(None, SignInFailure::Incomplete).await;
        return fail(StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    // Counted before the password is checked (RFC 6749 §10.10), against the address and then
    // against the account the identifier resolves to, so a burst cannot outrun the limits.
    ratelimit::count_ip(idp, SIGN_IN, &ip, false).await?;
    let user = idp.core.repos.find_user_by_login(&identifier).await.page_unavailable()?;
    let account = match &user {
        Some(u) => Account::User(&u.id),
        None => Account::Unknown(&identifier),
    };
    let attempt = ratelimit::count_account(idp, account).await?;
    if attempt.gate == AccountGate::Locked {
        tracing::info!(locked = true, "sign-in refused");
        metrics::sign_in(SignIn::Locked);
        failed(user.as_ref(), SignInFailure::Locked).await;
        return fail(StatusCode::UNAUTHORIZED).await;
    }
    // argon2id takes tens of milliseconds of CPU: off the async workers, so other requests
    // on this worker are not held up behind it.
    let (hasher, password) = (idp.core.hasher.clone(), form.password.clone());
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = match idp.core.hash_pool.run(move || hasher.verify(&password, stored.as_deref())).await {
        Ok(ok) => ok,
        Err(PoolError::Busy) => {
            // Never checked: not a failure of this user or address.
            ratelimit::uncount_account(idp, account).await;
            ratelimit::forgive_ip(idp, SIGN_IN, &ip).await;
            metrics::sign_in(SignIn::Busy);
            return Err(IdpError::Busy);
        }
        Err(e @ PoolError::Stopped) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
    };
    let user = match &user {
        Some(u) if ok && !u.is_suspended => u.clone(),
        _ => {
            tracing::info!(locked = false, "sign-in failed");
            metrics::sign_in(SignIn::Failed);
            let reason = match &user {
                None => SignInFailure::UnknownAccount,
                Some(u) if ok && u.is_suspended => SignInFailure::Suspended,
                Some(_) => SignInFailure::WrongPassword,
            };
            failed(user.as_ref(), reason).await;
            if let Some(u) = user.as_ref().filter(|_| attempt.locks_on_failure) {
                let limits = &idp.core.settings.limits;
                let event = SecurityEvent::AccountLocked {
                    user: u.id.clone(),
                    client: app.id.clone(),
                    failures: limits.account_lock_after,
                    window: limits.failure_window,
                };
                security_log::record(&idp.core, &origin, event).await;
            }
            return fail(StatusCode::UNAUTHORIZED).await;
        }
    };
    ratelimit::forgive_account(idp, account).await;
    ratelimit::forgive_ip(idp, SIGN_IN, &ip).await;
    metrics::sign_in(SignIn::Success);
    // Whoever this interaction was verifying before, it is this user now.
    let interaction = Interaction { verifying: None, second_factor: None, stepping_up: None, ..interaction };
    crate::verify_email::after_password(idp, req, &app, user, interaction, &origin, lang, false, false).await
}

/// `user` has just proved who they are, as `amr` says (a password, then maybe a second factor;
/// or an account they created): a new session for this browser, then the interaction goes on
/// (consent or the code).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn signed_in(
    idp: &IdpState,
    req: &HttpRequest,
    app: &Application,
    user: User,
    interaction: Interaction,
    origin: &latch_core::security_log::Origin,
    lang: Lang,
    amr: Vec<String>,
) -> Result<HttpResponse, IdpError> {
    let now = idp.core.clock.now();
    // A step-up keeps the password's time and the session's end: a second factor neither makes
    // the first fresher (`max_age`) nor the session longer.
    let (auth_time, expires_at) = match &interaction.stepping_up {
        Some(old) => match live_session(idp, old).await? {
            Some((s, u)) if u.id == user.id => (s.auth_time, s.expires_at),
            _ => return Err(IdpError::expired_interaction()),
        },
        None => (now, now.plus_secs(idp.core.settings.session_ttl)),
    };
    let token = idp.core.token(32);
    let session = Session {
        id: SessionId(crypto::token_hash(&token)),
        user_id: user.id.clone(),
        auth_time,
        created_at: now,
        last_active_at: now,
        expires_at,
        amr,
        user_agent: origin.user_agent.as_deref().map(|ua| latch_domain::fields::printable(ua, 256)),
    };
    idp.core.repos.insert_session(&session).await.page_unavailable()?;
    // Signing in again replaces this browser's previous session (whoever it was for): it
    // ends here rather than live on, unreachable, until it expires.
    if let Some(old) = cookies::read(idp, req, cookies::SESSION) {
        idp.core.repos.delete_session(&SessionId(crypto::token_hash(&old))).await.page_unavailable()?;
    }
    tracing::info!(user = %user.id, "signed in");
    let event = SecurityEvent::SignedIn { user: user.id.clone(), client: app.id.clone() };
    security_log::record(&idp.core, origin, event).await;
    let request = interaction.request.clone();
    // The user is signed in whatever the request's fate: an error back to the client still
    // carries the session cookie.
    let mut res = match proceed(idp, app, request, user, session, Some(interaction)).await {
        Ok(r) => r,
        Err(e) => errors::respond_in(idp, lang, e),
    };
    let cookie = cookies::make(idp, cookies::SESSION, token, idp.core.settings.session_ttl);
    cookies::append(&mut res, &cookie);
    Ok(res)
}

//! The device authorization grant (RFC 8628): `/oidc/device/auth` hands a device its codes,
//! `/device` is where the user types the user code before the usual sign-in and consent, and
//! the token endpoint's polls are answered here. The engine (`latch_oidc::device`) decides; this
//! module keeps the state in the ephemeral store, so any node can answer any step:
//!
//! - `device:<hash of device code>`: the [`DeviceAuthorization`], kept a while past its expiry
//!   so a late poll is told `expired_token`, not `invalid_grant`;
//! - `device-user:<hash of user code>` → the device code's hash, taken (read and deleted at
//!   once) when someone enters the code, so a code is entered once;
//! - `device-answer:<hash>`: the user's [`DeviceAnswer`], taken by the poll that redeems it;
//! - `device-poll:<hash>`: polls within the current interval, for `slow_down`.

use crate::cookies;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::i18n::{Lang, Problem};
use crate::pages;
use crate::ratelimit;
use crate::state::IdpState;
use crate::token;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::Origin;
use latch_domain::entities::Application;
use latch_oidc::authorize::AuthRequest;
use latch_oidc::device::{self, DeviceAnswer, DeviceAuthorization};
use latch_oidc::params::Params;
use latch_oidc::{OAuthError, crypto};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// RFC 8628 §3.2 `expires_in`: how long the codes live (ten minutes, long enough to find a
/// phone and sign in).
pub const EXPIRES_IN: i64 = 600;
/// RFC 8628 §3.2 `interval`: seconds between polls (the RFC's default).
pub const INTERVAL: i64 = 5;
/// How long a device authorization is remembered past its expiry, to answer `expired_token`.
const REMEMBERED_PAST_EXPIRY: i64 = 600;
/// The cookie carrying the `/device` form's CSRF token.
const CSRF_COOKIE: &str = "latch_device";
/// How long the `/device` form may stay open.
const FORM_TTL: i64 = 1800;

fn pending_key(hash: &str) -> String {
    format!("device:{hash}")
}

fn user_code_key(normalized: &str) -> String {
    format!("device-user:{}", crypto::token_hash(normalized))
}

fn answer_key(hash: &str) -> String {
    format!("device-answer:{hash}")
}

fn poll_key(hash: &str) -> String {
    format!("device-poll:{hash}")
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(1).max(1))
}

fn oauth(e: OAuthError) -> IdpError {
    IdpError::OAuth(e)
}

fn json_error(detail: impl ToString) -> IdpError {
    IdpError::Unavailable { detail: detail.to_string(), json: true }
}

// ---------------------------------------------------------------- the device's side

/// `POST /oidc/device/auth` (RFC 8628 §3.1–3.2).
pub async fn authorize(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    start(&idp, &req, &body).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

async fn start(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let params = token::form_params(req, body)?;
    let origin = ratelimit::origin(idp, req);
    let app = token::authenticated_client(idp, req, &params, &origin).await?;
    // Each authorization waits in the store, like an interaction: counted as one.
    ratelimit::count_interaction(idp, &origin.ip, true).await?;
    let device_code = idp.core.token(32);
    let hash = crypto::token_hash(&device_code);
    let request = device::validate(&params, &app, hash.clone()).map_err(oauth)?;
    check_request(idp, &app, &request).await?;
    // A collision among 20^8 live codes is unlikely; drawing again costs a read, and a live
    // code is never replaced.
    let mut user_code = None;
    for _ in 0..3 {
        let code = device::user_code(idp.core.random.as_ref());
        let key = user_code_key(&normalized(&code));
        if idp.core.cache.get(&key).await.json_unavailable()?.is_none() {
            user_code = Some((code, key));
            break;
        }
    }
    let Some((user_code, user_code_key)) = user_code else {
        return Err(oauth(OAuthError::new(
            latch_oidc::ErrorCode::TemporarilyUnavailable,
            "no free user code right now; try again",
        )));
    };
    let now = idp.core.clock.now();
    let pending = DeviceAuthorization {
        client_id: app.id.clone(),
        request,
        interval: INTERVAL,
        expires_at: now.plus_secs(EXPIRES_IN),
    };
    let json = serde_json::to_string(&pending).map_err(json_error)?;
    let cache = &idp.core.cache;
    cache.put(&pending_key(&hash), &json, secs(EXPIRES_IN + REMEMBERED_PAST_EXPIRY)).await.json_unavailable()?;
    cache.put(&user_code_key, &hash, secs(EXPIRES_IN)).await.json_unavailable()?;
    let verification_uri = idp.core.settings.own("/device");
    let complete = format!("{verification_uri}?user_code={user_code}");
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": EXPIRES_IN,
        "interval": INTERVAL,
    })))
}

fn normalized(user_code: &str) -> String {
    device::normalize_user_code(user_code).unwrap_or_default()
}

/// What can be refused before anyone signs in: resources Latch does not know (RFC 8707 §2) and
/// user scopes the app may not ask for (the same plan the consent screen builds, for nobody).
async fn check_request(idp: &IdpState, app: &Application, request: &AuthRequest) -> Result<(), IdpError> {
    for r in &request.resources {
        if idp.core.catalog.resource(idp.core.repos.as_ref(), r).await.json_unavailable()?.is_none() {
            return Err(oauth(OAuthError::invalid_target(format!("unknown resource `{r}`"))));
        }
    }
    let permitted = crate::consent::permitted(idp, app).await.map_err(|_| json_error("permissions unreadable"))?;
    latch_oidc::consent::plan(request, permitted.as_ref(), &Default::default()).map_err(oauth)?;
    Ok(())
}

/// The token endpoint's answer to a poll with `device_code` (RFC 8628 §3.4–3.5).
pub async fn poll(idp: &IdpState, app: &Application, params: &Params, origin: &Origin) -> Result<Value, IdpError> {
    let code = params
        .get("device_code")
        .ok_or_else(|| oauth(OAuthError::invalid_request("parameter `device_code` is missing")))?;
    if !device::may_use(app) {
        return Err(oauth(OAuthError::new(
            latch_oidc::ErrorCode::UnauthorizedClient,
            "this application is no longer allowed the device flow",
        )));
    }
    let hash = crypto::token_hash(code);
    let cache = &idp.core.cache;
    let pending: DeviceAuthorization = match cache.get(&pending_key(&hash)).await.json_unavailable()? {
        Some(json) => serde_json::from_str(&json).map_err(json_error)?,
        None => {
            // Redeemed already: what it issued is revoked, as for a replayed code.
            token::revoke_if_replayed(idp, app, code, origin).await?;
            return Err(oauth(OAuthError::invalid_grant("the device code is invalid or was already used")));
        }
    };
    let polls = cache.incr(&poll_key(&hash), secs(pending.interval)).await.json_unavailable()?;
    let answer: Option<DeviceAnswer> = match cache.get(&answer_key(&hash)).await.json_unavailable()? {
        Some(json) => Some(serde_json::from_str(&json).map_err(json_error)?),
        None => None,
    };
    let now = idp.core.clock.now();
    if let Err(e) = device::poll(&pending, &app.id, answer.as_ref(), polls, now) {
        if matches!(e.code, latch_oidc::ErrorCode::AccessDenied | latch_oidc::ErrorCode::ExpiredToken) {
            // Final answers: the device code is spent.
            let _ = cache.delete(&answer_key(&hash)).await;
            let _ = cache.delete(&pending_key(&hash)).await;
        }
        return Err(oauth(e));
    }
    // Of two polls racing for the approval, one takes it.
    let taken = cache.take(&answer_key(&hash)).await.json_unavailable()?;
    let _ = cache.delete(&pending_key(&hash)).await;
    let Some(Ok(DeviceAnswer::Approved { code: record })) = taken.map(|j| serde_json::from_str(&j)) else {
        return Err(oauth(OAuthError::invalid_grant("the device code was already used")));
    };
    let family = token::remember_redeemed(idp, code, &record).await;
    // The approval may have waited minutes: a grant the user revoked since gives nothing.
    if idp.core.repos.get_grant_by_id(&record.grant_id).await.json_unavailable()?.is_none() {
        return Err(oauth(OAuthError::invalid_grant("the user revoked this authorization")));
    }
    token::tokens_for_code(idp, app, params, &record, family).await
}

// ---------------------------------------------------------------- the user's side

#[derive(Deserialize)]
pub struct EntryQuery {
    user_code: Option<String>,
}

/// `GET /device` (RFC 8628 §3.3): the form, with the code filled in when the device's
/// `verification_uri_complete` brought the user here. The user still presses Continue, having
/// compared the code with the device's screen (RFC 8628 §5.4).
pub async fn entry_page(idp: web::Data<IdpState>, req: HttpRequest, q: web::Query<EntryQuery>) -> HttpResponse {
    let prefilled = q.user_code.as_deref().and_then(device::normalize_user_code).map(|c| device::display_user_code(&c));
    entry_form(&idp, &req, StatusCode::OK, prefilled.as_deref().unwrap_or(""), false)
}

fn entry_form(idp: &IdpState, req: &HttpRequest, status: StatusCode, user_code: &str, failed: bool) -> HttpResponse {
    // One token per browser for the form's lifetime, so two tabs and a retry keep working.
    let csrf = cookies::read(idp, req, CSRF_COOKIE).unwrap_or_else(|| idp.core.token(16));
    let cookie = cookies::make(idp, CSRF_COOKIE, csrf.clone(), FORM_TTL);
    let mut res = pages::device(idp, Lang::of_request(req), status, user_code, &csrf, failed);
    cookies::append(&mut res, &cookie);
    res
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_code: String,
}

/// `POST /device`: the code typed in. Wrong codes count against the address like failed
/// sign-ins (RFC 8628 §5.1: the rate limit is what makes short codes safe); a right one takes
/// the user on to sign-in and consent for the device's request.
pub async fn entry_submit(idp: web::Data<IdpState>, req: HttpRequest, form: web::Form<EntryForm>) -> HttpResponse {
    submit(&idp, &req, &form).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

async fn submit(idp: &IdpState, req: &HttpRequest, form: &EntryForm) -> Result<HttpResponse, IdpError> {
    let bound = cookies::read(idp, req, CSRF_COOKIE);
    if !bound.is_some_and(|c| flow::ct_eq(&c, &form.csrf)) {
        return Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::Unreadable));
    }
    let ip = ratelimit::client_ip(idp, req);
    ratelimit::count_ip(idp, "device", &ip, false).await?;
    let typed = form.user_code.chars().take(32).collect::<String>();
    let refused = || Ok(entry_form(idp, req, StatusCode::BAD_REQUEST, &typed, true));
    let Some(code) = device::normalize_user_code(&typed) else { return refused() };
    let Some(hash) = idp.core.cache.take(&user_code_key(&code)).await.page_unavailable()? else { return refused() };
    let pending: DeviceAuthorization = match idp.core.cache.get(&pending_key(&hash)).await.page_unavailable()? {
        Some(json) => match serde_json::from_str(&json) {
            Ok(p) => p,
            Err(_) => return refused(),
        },
        None => return refused(),
    };
    if idp.core.clock.now() >= pending.expires_at {
        return refused();
    }
    let app = flow::app_of(idp, &pending.client_id).await?;
    if !device::may_use(&app) {
        return refused();
    }
    ratelimit::forgive_ip(idp, "device", &ip).await;
    let mut request = pending.request;
    // The pages from here on speak the language of this browser, not the device's.
    if request.ui_locales.is_empty() {
        request.ui_locales = vec![Lang::of_request(req).code().to_owned()];
    }
    let mut res = match flow::current_session(idp, req).await? {
        // The policy and the device's acr_values hold here as at the authorization endpoint.
        Some((session, user)) => {
            crate::second_factor::proceed_or_step_up(idp, req, &app, request, session, user).await?
        }
        None => flow::start_sign_in(idp, req, &app, request).await?,
    };
    cookies::append(&mut res, &cookies::clear(idp, CSRF_COOKIE));
    Ok(res)
}

/// Records the user's decision for the device behind `request` and shows the page that ends
/// the browser's part. The caller has checked the device still waits ([`still_waiting`]).
pub(crate) async fn answer(
    idp: &IdpState,
    app: &Application,
    request: &AuthRequest,
    answer: DeviceAnswer,
) -> Result<HttpResponse, IdpError> {
    let Some(hash) = &request.device else { return Err(IdpError::expired_interaction()) };
    let approved = matches!(answer, DeviceAnswer::Approved { .. });
    let json =
        serde_json::to_string(&answer).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    idp.core.cache.put(&answer_key(hash), &json, secs(EXPIRES_IN)).await.page_unavailable()?;
    let (name, _) = flow::branded(idp, app).await?;
    let lang = Lang::choose(&request.ui_locales, None);
    Ok(pages::device_done(idp, lang, &name, approved))
}

/// Whether the device behind `request` still waits for its answer: the sign-in and consent in
/// the browser can outlive the device code, and an answer nobody will collect must not be
/// written, nor a grant for it.
pub(crate) async fn still_waiting(idp: &IdpState, request: &AuthRequest) -> Result<(), IdpError> {
    let Some(hash) = &request.device else { return Ok(()) };
    let pending = idp.core.cache.get(&pending_key(hash)).await.page_unavailable()?;
    let live = pending
        .and_then(|json| serde_json::from_str::<DeviceAuthorization>(&json).ok())
        .is_some_and(|p| idp.core.clock.now() < p.expires_at);
    if live { Ok(()) } else { Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::ExpiredDevice)) }
}

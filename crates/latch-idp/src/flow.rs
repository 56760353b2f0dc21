//! The interaction between the authorization request and the answer: sign-in, consent, and
//! issuing the code. The validated request waits in the ephemeral store while the user acts,
//! so any node can continue it.

use crate::authorize::redirect_error;
use crate::cookies;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::pages;
use crate::ratelimit::{self, AccountGate};
use crate::state::Idp;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::entities::{Application, Grant, Session, User};
use latch_domain::ids::{ApplicationId, GrantId, SessionId, new_id};
use latch_domain::scope;
use latch_oidc::authorize::AuthRequest;
use latch_oidc::code::CodeRecord;
use latch_oidc::{ErrorCode, consent, crypto};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// A sign-in or consent in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interaction {
    pub id: String,
    pub csrf: String,
    pub request: AuthRequest,
    /// Set once the user has signed in during this interaction (or already was).
    pub session_id: Option<SessionId>,
}

fn interaction_key(id: &str) -> String {
    format!("interaction:{id}")
}

pub fn code_key(code: &str) -> String {
    format!("code:{}", crypto::token_hash(code))
}

/// Constant-time comparison for CSRF tokens.
fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The signed-in session of this browser and its user, when valid.
pub async fn current_session(idp: &Idp, req: &HttpRequest) -> Result<Option<(Session, User)>, IdpError> {
    let Some(token) = cookies::read(idp, req, cookies::SESSION) else { return Ok(None) };
    let id = SessionId(crypto::token_hash(&token));
    let Some(session) = idp.repos.get_session(&id).await.page_unavailable()? else { return Ok(None) };
    if session.expires_at <= idp.clock.now() {
        return Ok(None);
    }
    let Some(user) = idp.repos.get_user(&session.user_id).await.page_unavailable()? else { return Ok(None) };
    if user.is_suspended {
        return Ok(None);
    }
    Ok(Some((session, user)))
}

async fn save_interaction(idp: &Idp, i: &Interaction) -> Result<(), IdpError> {
    let json = serde_json::to_string(i).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    let ttl = Duration::from_secs(u64::try_from(idp.settings.interaction_ttl).unwrap_or(3600));
    idp.cache.put(&interaction_key(&i.id), &json, ttl).await.page_unavailable()
}

/// Loads the interaction a form or link names, checking it belongs to this browser.
async fn load_interaction(idp: &Idp, req: &HttpRequest, id: &str) -> Result<Interaction, IdpError> {
    let bound = cookies::read(idp, req, &cookies::interaction(id));
    if bound.as_deref() != Some(id) {
        return Err(IdpError::expired_interaction());
    }
    let Some(json) = idp.cache.get(&interaction_key(id)).await.page_unavailable()? else {
        return Err(IdpError::expired_interaction());
    };
    serde_json::from_str(&json).map_err(|_| IdpError::expired_interaction())
}

fn see_other(location: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::SeeOther();
    b.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// Keeps the request and sends the browser to the sign-in page.
pub async fn start_sign_in(idp: &Idp, _app: &Application, request: AuthRequest) -> Result<HttpResponse, IdpError> {
    let interaction = Interaction { id: idp.token(32), csrf: idp.token(32), request, session_id: None };
    save_interaction(idp, &interaction).await?;
    let cookie =
        cookies::make(idp, cookies::interaction(&interaction.id), interaction.id.clone(), idp.settings.interaction_ttl);
    Ok(see_other(&idp.settings.own(&format!("/sign-in?interaction={}", interaction.id))).cookie(cookie).finish())
}

/// After sign-in (or with a valid session): consent when needed, otherwise the code.
pub async fn proceed(
    idp: &Idp,
    app: &Application,
    request: AuthRequest,
    user: User,
    session: Session,
    interaction: Option<Interaction>,
) -> Result<HttpResponse, IdpError> {
    let grant = idp.repos.get_grant(&user.id, &app.id).await.page_unavailable()?;
    if consent::needs_consent(app, &request, grant.as_ref().map(|g| &g.details)) {
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
            None => {
                Interaction { id: idp.token(32), csrf: idp.token(32), request, session_id: Some(session.id.clone()) }
            }
        };
        save_interaction(idp, &interaction).await?;
        let cookie = cookies::make(
            idp,
            cookies::interaction(&interaction.id),
            interaction.id.clone(),
            idp.settings.interaction_ttl,
        );
        return Ok(see_other(&idp.settings.own(&format!("/consent?interaction={}", interaction.id)))
            .cookie(cookie)
            .finish());
    }
    if let Some(i) = &interaction {
        let _ = idp.cache.delete(&interaction_key(&i.id)).await;
    }
    issue_code(idp, app, &request, &user, &session, grant, interaction.as_ref().map(|i| i.id.as_str())).await
}

/// The scopes a code carries: known user scopes, plus resource scope names when resources were
/// requested (narrowed to what the user's roles hold at the token endpoint). Unknown scopes
/// are ignored (OpenID Connect Core §3.1.2.1).
fn grantable(request: &AuthRequest) -> Vec<String> {
    request.scopes.iter().filter(|s| scope::is_user_scope(s) || !request.resources.is_empty()).cloned().collect()
}

/// Records the grant and answers the client with a fresh code.
async fn issue_code(
    idp: &Idp,
    app: &Application,
    request: &AuthRequest,
    user: &User,
    session: &Session,
    existing: Option<Grant>,
    finished_interaction: Option<&str>,
) -> Result<HttpResponse, IdpError> {
    let now = idp.clock.now();
    let scopes = grantable(request);
    let details = consent::merge_grant(existing.as_ref().map(|g| &g.details), &scopes);
    let grant = match existing {
        Some(g) => Grant { details, updated_at: now, last_used_at: Some(now), ..g },
        None => Grant {
            id: GrantId(new_id(idp.random.as_ref())),
            user_id: user.id.clone(),
            application_id: app.id.clone(),
            details,
            created_at: now,
            updated_at: now,
            last_used_at: Some(now),
        },
    };
    idp.repos.save_grant(&grant).await.page_unavailable()?;
    let code = idp.token(32);
    let record = CodeRecord {
        client_id: app.id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: user.id.clone(),
        session_id: session.id.clone(),
        grant_id: grant.id.clone(),
        scopes,
        resources: request.resources.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        expires_at: now.plus_secs(idp.settings.code_ttl),
    };
    let json =
        serde_json::to_string(&record).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    let ttl = Duration::from_secs(u64::try_from(idp.settings.code_ttl).unwrap_or(60));
    idp.cache.put(&code_key(&code), &json, ttl).await.page_unavailable()?;
    let mut params = vec![("code", code)];
    if let Some(s) = &request.state {
        params.push(("state", s.clone()));
    }
    let mut res = errors::redirect_to_client(idp, &request.redirect_uri, request.response_mode, params);
    if let Some(id) = finished_interaction
        && let Ok(c) = cookies::clear(idp, cookies::interaction(id)).to_string().parse()
    {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

// ---------------------------------------------------------------- sign-in

#[derive(Deserialize)]
pub struct InteractionQuery {
    interaction: String,
}

pub async fn sign_in_page(idp: web::Data<Idp>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let i = load_interaction(&idp, &req, &q.interaction).await?;
        let app = app_of(&idp, &i.request.client_id).await?;
        let hint = i.request.login_hint.clone().unwrap_or_default();
        Ok(pages::sign_in(
            &idp.settings.public_url,
            StatusCode::OK,
            &pages::SignIn { interaction: &i.id, csrf: &i.csrf, app_name: &app.name, identifier: &hint, error: None },
        ))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, e))
}

async fn app_of(idp: &Idp, id: &ApplicationId) -> Result<Application, IdpError> {
    idp.repos.get_application(id).await.page_unavailable()?.ok_or_else(IdpError::expired_interaction)
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

/// The one message for every failed sign-in: it never says which part was wrong.
const WRONG_CREDENTIALS: &str = "The username, email or password is incorrect.";

pub async fn sign_in_submit(idp: web::Data<Idp>, req: HttpRequest, form: web::Form<SignInForm>) -> HttpResponse {
    sign_in(&idp, &req, form.into_inner()).await.unwrap_or_else(|e| errors::respond(&idp, e))
}

async fn sign_in(idp: &Idp, req: &HttpRequest, form: SignInForm) -> Result<HttpResponse, IdpError> {
    let interaction = load_interaction(idp, req, &form.interaction).await?;
    if !ct_eq(&form.csrf, &interaction.csrf) {
        return Err(IdpError::expired_interaction());
    }
    let app = app_of(idp, &interaction.request.client_id).await?;
    let ip = ratelimit::client_ip(idp, req);
    ratelimit::check_ip(idp, "sign-in", &ip, false).await?;
    let identifier = form.identifier.trim().to_owned();
    let fail = |status| {
        pages::sign_in(
            &idp.settings.public_url,
            status,
            &pages::SignIn {
                interaction: &interaction.id,
                csrf: &interaction.csrf,
                app_name: &app.name,
                identifier: &identifier,
                error: Some(WRONG_CREDENTIALS),
            },
        )
    };
    if identifier.is_empty() || form.password.is_empty() || identifier.len() > 256 || form.password.len() > 1024 {
        return Ok(fail(StatusCode::UNPROCESSABLE_ENTITY));
    }
    let gate = ratelimit::account_gate(idp, &identifier).await?;
    let user = idp.repos.find_user_by_login(&identifier).await.page_unavailable()?;
    // argon2id takes tens of milliseconds of CPU: off the async workers, so other requests
    // on this worker are not held up behind it.
    let (hasher, password) = (idp.hasher.clone(), form.password.clone());
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = web::block(move || hasher.verify(&password, stored.as_deref()))
        .await
        .map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: false })?;
    let user = match user {
        Some(u) if ok && gate == AccountGate::Open && !u.is_suspended => u,
        _ => {
            ratelimit::record_account_failure(idp, &identifier).await;
            ratelimit::record_ip_failure(idp, "sign-in", &ip).await;
            tracing::info!(locked = gate == AccountGate::Locked, "sign-in failed");
            return Ok(fail(StatusCode::UNAUTHORIZED));
        }
    };
    ratelimit::reset_account(idp, &identifier).await;
    let now = idp.clock.now();
    let token = idp.token(32);
    let session = Session {
        id: SessionId(crypto::token_hash(&token)),
        user_id: user.id.clone(),
        auth_time: now,
        created_at: now,
        last_active_at: now,
        expires_at: now.plus_secs(idp.settings.session_ttl),
    };
    idp.repos.insert_session(&session).await.page_unavailable()?;
    tracing::info!(user = %user.id, "signed in");
    let request = interaction.request.clone();
    let mut res = proceed(idp, &app, request, user, session, Some(interaction)).await?;
    let cookie = cookies::make(idp, cookies::SESSION, token, idp.settings.session_ttl);
    if let Ok(c) = cookie.to_string().parse() {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

// ---------------------------------------------------------------- consent

/// Words for a user scope on the consent screen.
fn describe(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "profile" => "See your name, username and profile picture",
        "email" => "See your email address",
        "phone" => "See your phone number",
        "address" => "See your postal address",
        "custom_data" => "See additional data stored on your account",
        "identities" => "See the accounts linked to your sign-in",
        "roles" => "See your roles",
        scope::OFFLINE_ACCESS => "Keep access while you are away",
        scope::ORGANIZATIONS => "See the organizations you share with it",
        scope::ORGANIZATION_ROLES => "See your roles in those organizations",
        _ => return None,
    })
}

async fn session_of(idp: &Idp, i: &Interaction) -> Result<(Session, User), IdpError> {
    let Some(id) = &i.session_id else { return Err(IdpError::expired_interaction()) };
    let session = idp.repos.get_session(id).await.page_unavailable()?.ok_or_else(IdpError::expired_interaction)?;
    if session.expires_at <= idp.clock.now() {
        return Err(IdpError::expired_interaction());
    }
    let user =
        idp.repos.get_user(&session.user_id).await.page_unavailable()?.ok_or_else(IdpError::expired_interaction)?;
    Ok((session, user))
}

fn origin_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) if u.host_str().is_some() => u.origin().ascii_serialization(),
        Ok(u) => format!("{}:", u.scheme()),
        Err(_) => uri.to_owned(),
    }
}

pub async fn consent_page(idp: web::Data<Idp>, req: HttpRequest, q: web::Query<InteractionQuery>) -> HttpResponse {
    let result = async {
        let i = load_interaction(&idp, &req, &q.interaction).await?;
        let app = app_of(&idp, &i.request.client_id).await?;
        let (_, user) = session_of(&idp, &i).await?;
        let permissions: Vec<pages::Permission> = i
            .request
            .scopes
            .iter()
            .filter_map(|s| describe(s).map(|label| pages::Permission { scope: s.clone(), label: label.to_owned() }))
            .collect();
        let user_label = user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string());
        Ok(pages::consent(
            &idp.settings.public_url,
            &pages::Consent {
                interaction: &i.id,
                csrf: &i.csrf,
                app_name: &app.name,
                user_label: &user_label,
                permissions: &permissions,
                redirect_origin: &origin_of(&i.request.redirect_uri),
            },
        ))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, e))
}

#[derive(Deserialize)]
pub struct ConsentForm {
    interaction: String,
    csrf: String,
    decision: String,
}

pub async fn consent_submit(idp: web::Data<Idp>, req: HttpRequest, form: web::Form<ConsentForm>) -> HttpResponse {
    let result = async {
        let i = load_interaction(&idp, &req, &form.interaction).await?;
        if !ct_eq(&form.csrf, &i.csrf) {
            return Err(IdpError::expired_interaction());
        }
        let app = app_of(&idp, &i.request.client_id).await?;
        let (session, user) = session_of(&idp, &i).await?;
        let _ = idp.cache.delete(&interaction_key(&i.id)).await;
        match form.decision.as_str() {
            "authorize" => {
                let grant = idp.repos.get_grant(&user.id, &app.id).await.page_unavailable()?;
                issue_code(&idp, &app, &i.request, &user, &session, grant, Some(&i.id)).await
            }
            "cancel" => {
                Err(redirect_error(&i.request, ErrorCode::AccessDenied, "the user cancelled the authorization"))
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, "Unknown choice", "Choose Authorize or Cancel.")),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, e))
}

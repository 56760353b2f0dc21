//! `/oidc/token` (RFC 6749 §3.2): `authorization_code`, `refresh_token`, `client_credentials` and
//! the device code (RFC 8628 §3.4, polled in [`crate::device`]).

use crate::claims;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::metrics;
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::{self, Origin, SecurityEvent};
use latch_domain::entities::ConsentScopeType;
use latch_domain::entities::{AccessTokenRecord, AppType, Application, RefreshTokenRecord, Resource, User};
use latch_domain::ids::{GrantId, OrganizationId, UserId};
use latch_domain::{Timestamp, scope};
use latch_oidc::client_auth::{self, ClientAuthError};
use latch_oidc::code::{CodeRecord, RedeemedCode};
use latch_oidc::keys::Alg;
use latch_oidc::params::Params;
use latch_oidc::refresh::{self, Usable};
use latch_oidc::token_plan::{self, RefreshTarget, Revoke};
use latch_oidc::token_scopes::{self, OrganizationTokenInput};
use latch_oidc::tokens::{self, AccessTokenInput};
use latch_oidc::{ErrorCode, OAuthError, crypto};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub async fn token(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut grant_type = metrics::grant_label(None);
    let result = run(&idp, &req, &body, &mut grant_type).await;
    metrics::grant(grant_type, result.as_ref().map(drop));
    match result {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, &req, e),
    }
}

fn oauth(e: OAuthError) -> IdpError {
    IdpError::OAuth(e)
}

fn client_error(e: ClientAuthError) -> IdpError {
    IdpError::Client { error: e.error, basic: e.used_basic }
}

/// `grant_type` receives the request's grant type as a metrics label once the body is read.
async fn run(
    idp: &IdpState,
    req: &HttpRequest,
    body: &[u8],
    grant_type: &mut &'static str,
) -> Result<HttpResponse, IdpError> {
    let params = form_params(req, body)?;
    *grant_type = metrics::grant_label(params.get("grant_type"));
    params.reject_duplicates().map_err(oauth)?;
    let origin = ratelimit::origin(idp, req);
    let app = authenticated_client(idp, req, &params, &origin).await?;
    let body = match params.get("grant_type") {
        None => return Err(oauth(OAuthError::invalid_request("parameter `grant_type` is missing"))),
        Some("authorization_code") => authorization_code(idp, &app, &params, &origin).await?,
        Some("refresh_token") => refresh_token(idp, &app, &params, &origin).await?,
        Some("client_credentials") => client_credentials(idp, &app, &params).await?,
        Some(latch_oidc::device::GRANT_TYPE) => crate::device::poll(idp, &app, &params, &origin).await?,
        Some(other) => {
            return Err(oauth(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type `{other}` is not supported"),
            )));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}

/// The parameters of a form-encoded body (RFC 6749 §3.2: the token endpoint and those built
/// like it take nothing else).
pub(crate) fn form_params(req: &HttpRequest, body: &[u8]) -> Result<Params, IdpError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(oauth(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")));
    }
    let body = std::str::from_utf8(body).map_err(|_| oauth(OAuthError::invalid_request("the body is not UTF-8")))?;
    Params::parse(body).map_err(oauth)
}

/// The client the request authenticates as (RFC 6749 §2.3), its secret checked as its type
/// requires. Failures count against the caller's address and are logged.
pub(crate) async fn authenticated_client(
    idp: &IdpState,
    req: &HttpRequest,
    params: &Params,
    origin: &Origin,
) -> Result<Application, IdpError> {
    let ip = &origin.ip;
    ratelimit::count_ip(idp, "token", ip, true).await?;
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let presented = client_auth::extract(authorization, params).map_err(client_error)?;
    let client = idp.core.catalog.client(idp.core.repos.as_ref(), presented.client_id()).await.json_unavailable()?;
    let app = client.as_ref().map(|c| c.app.as_ref());
    let secrets = client.as_ref().map(|c| c.secrets.as_slice()).unwrap_or_default();
    let now = idp.core.clock.now();
    if let Err(e) = client_auth::authenticate(&presented, app, secrets, now) {
        security_log::record(&idp.core, origin, security_log::client_auth_failed(presented.client_id(), &e)).await;
        return Err(client_error(e));
    }
    ratelimit::forgive_ip(idp, "token", ip).await;
    app.cloned().ok_or_else(|| IdpError::Client {
        error: OAuthError::invalid_client("unknown client"),
        basic: presented.used_basic(),
    })
}

fn redeemed_key(code: &str) -> String {
    format!("redeemed:{}", crypto::token_hash(code))
}

/// The one resource a token request may name (RFC 8707 §2.2).
fn single_resource(params: &Params) -> Result<Option<&str>, IdpError> {
    match params.all("resource") {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        _ => Err(oauth(OAuthError::invalid_target("name one resource per token request"))),
    }
}

fn sign(idp: &IdpState, alg: Alg, typ: &str, claims: Map<String, Value>) -> Result<String, IdpError> {
    idp.core.keys().sign(alg, typ, claims).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: true })
}

fn jwt_access_token(
    idp: &IdpState,
    app: &Application,
    resource: &Resource,
    user: Option<&User>,
    scopes: &[String],
    auth_time: Option<latch_domain::Timestamp>,
) -> Result<String, IdpError> {
    let jti = idp.core.token(16);
    let claims = tokens::access_token_claims(&AccessTokenInput {
        issuer: &idp.core.settings.issuer,
        audience: &resource.indicator,
        client_id: app.id.as_str(),
        subject: user.map(|u| u.id.as_str()),
        scopes,
        jti: &jti,
        now: idp.core.clock.now(),
        ttl: resource.access_token_ttl,
        auth_time,
    });
    sign(idp, tokens::access_token_alg(Some(resource)), tokens::AT_JWT_TYP, claims)
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.6.
async fn authorization_code(
    idp: &IdpState,
    app: &Application,
    params: &Params,
    origin: &Origin,
) -> Result<Value, IdpError> {
    let code = params.get("code").ok_or_else(|| oauth(OAuthError::invalid_request("parameter `code` is missing")))?;
    let Some(json) = idp.core.cache.take(&flow::code_key(code)).await.json_unavailable()? else {
        revoke_if_replayed(idp, app, code, origin).await?;
        return Err(oauth(OAuthError::invalid_grant("the code is invalid, expired or already used")));
    };
    let record: CodeRecord =
        serde_json::from_str(&json).map_err(|_| oauth(OAuthError::invalid_grant("the code is invalid")))?;
    let now = idp.core.clock.now();
    latch_oidc::code::check_exchange(&record, &app.id, params.get("redirect_uri"), params.get("code_verifier"), now)
        .map_err(oauth)?;
    let family = remember_redeemed(idp, code, &record).await;
    tokens_for_code(idp, app, params, &record, family).await
}

/// Remembers that `code` (an authorization or a device code) was redeemed for `record`, and
/// returns the token family everything it and its refreshes issue belongs to. Remembered
/// before any token exists, so a replay racing this exchange still finds it, and a while past
/// the code's own life, so a late replay still revokes.
pub(crate) async fn remember_redeemed(idp: &IdpState, code: &str, record: &CodeRecord) -> String {
    let family = crypto::token_hash(code);
    let redeemed = RedeemedCode { grant_id: record.grant_id.clone(), family: family.clone() };
    if let Ok(json) = serde_json::to_string(&redeemed) {
        let _ = idp.core.cache.put(&redeemed_key(code), &json, Duration::from_secs(600)).await;
    }
    family
}

/// RFC 6749 §4.1.2: a code used twice revokes every token issued from it, including those
/// rotated since. The same holds for a device code (RFC 8628 §3.4 issues once).
pub(crate) async fn revoke_if_replayed(
    idp: &IdpState,
    app: &Application,
    code: &str,
    origin: &Origin,
) -> Result<(), IdpError> {
    if let Some(prev) = idp.core.cache.get(&redeemed_key(code)).await.json_unavailable()?
        && let Ok(prev) = serde_json::from_str::<RedeemedCode>(&prev)
    {
        tracing::warn!(grant = %prev.grant_id, "a code was replayed; revoking its token family");
        revoke(idp, token_plan::on_code_replay(&prev)).await?;
        let event = SecurityEvent::CodeReplayed { client: app.id.clone(), grant: prev.grant_id.to_string() };
        security_log::record(&idp.core, origin, event).await;
    }
    Ok(())
}

/// The tokens an approved authorization stands for (an exchanged code, or a device code whose
/// user approved, RFC 8628 §3.5): an access token (a JWT for the one `resource` asked for),
/// an ID token when `openid` was granted, a refresh token when the app gets one. Everything
/// issued belongs to `family`.
pub(crate) async fn tokens_for_code(
    idp: &IdpState,
    app: &Application,
    params: &Params,
    record: &CodeRecord,
    family: String,
) -> Result<Value, IdpError> {
    let now = idp.core.clock.now();
    let user = match idp.core.repos.get_user(&record.user_id).await.json_unavailable()? {
        Some(u) if !u.is_suspended => u,
        _ => return Err(oauth(OAuthError::invalid_grant("the user of this code no longer exists"))),
    };
    let identity_scopes = token_scopes::code_identity_scopes(record);
    let mut body = Map::new();
    let (access_token, expires_in, granted) = match single_resource(params)? {
        Some(indicator) => {
            let resource = idp
                .core
                .catalog
                .resource(idp.core.repos.as_ref(), indicator)
                .await
                .json_unavailable()?
                .ok_or_else(|| oauth(OAuthError::invalid_target("unknown resource")))?;
            let held = idp.core.repos.user_resource_scopes(&user.id, &resource.id).await.json_unavailable()?;
            let scopes = token_scopes::code_resource_scopes(record, indicator, &held).map_err(oauth)?;
            let at = jwt_access_token(idp, app, &resource, Some(&user), &scopes, Some(record.auth_time))?;
            (at, resource.access_token_ttl, scopes)
        }
        None => {
            let at = idp.core.token(32);
            let ttl = idp.core.settings.access_token_ttl;
            idp.core
                .repos
                .insert_access_token(&AccessTokenRecord {
                    token_hash: crypto::token_hash(&at),
                    application_id: app.id.clone(),
                    user_id: Some(user.id.clone()),
                    grant_id: Some(record.grant_id.clone()),
                    family: Some(family.clone()),
                    scope: identity_scopes.join(" "),
                    issued_at: now,
                    expires_at: now.plus_secs(ttl),
                })
                .await
                .json_unavailable()?;
            (at, ttl, identity_scopes.clone())
        }
    };
    if record.scopes.iter().any(|s| s == scope::OPENID) {
        let facts = claims::IdTokenFacts {
            shared: &record.organizations,
            auth_time: record.auth_time,
            amr: &record.amr,
            nonce: record.nonce.as_deref(),
            access_token: &access_token,
        };
        body.insert("id_token".into(), json!(claims::id_token(idp, app, &user, &record.scopes, facts).await?));
    }
    if refresh::issues_refresh_token(app, &record.scopes) {
        let issued = NewRefresh {
            grant: &record.grant_id,
            family: &family,
            user: &user.id,
            scopes: &record.scopes,
            resources: &token_scopes::code_refresh_resources(record),
            auth_time: record.auth_time,
            amr: &record.amr,
        };
        body.insert("refresh_token".into(), json!(issue_refresh_token(idp, app, issued).await?));
    }
    body.insert("access_token".into(), json!(access_token));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(expires_in));
    body.insert("scope".into(), json!(granted.join(" ")));
    Ok(Value::Object(body))
}

/// RFC 6749 §4.4 for machine-to-machine apps, with an RFC 8707 resource and RFC 9068 token.
async fn client_credentials(idp: &IdpState, app: &Application, params: &Params) -> Result<Value, IdpError> {
    if app.app_type != AppType::MachineToMachine {
        return Err(oauth(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "only machine-to-machine applications may use client_credentials",
        )));
    }
    let indicator = single_resource(params)?.ok_or_else(|| {
        oauth(OAuthError::invalid_target("client_credentials needs a `resource` naming an API resource"))
    })?;
    let resource = idp
        .core
        .catalog
        .resource(idp.core.repos.as_ref(), indicator)
        .await
        .json_unavailable()?
        .ok_or_else(|| oauth(OAuthError::invalid_target(format!("unknown resource `{indicator}`"))))?;
    let allowed =
        idp.core.catalog.m2m_scopes(idp.core.repos.as_ref(), &app.id, &resource.id).await.json_unavailable()?;
    let granted =
        token_scopes::client_credentials_scopes(&resource.indicator, &allowed, params.get("scope")).map_err(oauth)?;
    let at = jwt_access_token(idp, app, &resource, None, &granted, None)?;
    Ok(json!({
        "access_token": at,
        "token_type": "Bearer",
        "expires_in": resource.access_token_ttl,
        "scope": granted.join(" "),
    }))
}

// ---------------------------------------------------------------- refresh tokens

/// A refresh token about to be issued: what it is bound to.
struct NewRefresh<'a> {
    grant: &'a GrantId,
    family: &'a str,
    user: &'a UserId,
    /// User scopes it carries.
    scopes: &'a [String],
    /// Resource indicator → the scopes it may mint JWT access tokens with.
    resources: &'a BTreeMap<String, Vec<String>>,
    auth_time: Timestamp,
    /// How the user signed in (RFC 8176), for the ID tokens of later refreshes.
    amr: &'a [String],
}

/// Issues a refresh token (DESIGN.md "Tokens": opaque, stored hashed), living the app's
/// `refreshTokenTtlInDays`. Returns the token.
async fn issue_refresh_token(idp: &IdpState, app: &Application, new: NewRefresh<'_>) -> Result<String, IdpError> {
    let (token, record) = refresh_record(idp, app, new);
    idp.core.repos.insert_refresh_token(&record).await.json_unavailable()?;
    Ok(token)
}

/// A new refresh token and the record that stores it.
fn refresh_record(idp: &IdpState, app: &Application, new: NewRefresh<'_>) -> (String, RefreshTokenRecord) {
    let token = idp.core.token(32);
    let now = idp.core.clock.now();
    let record = RefreshTokenRecord {
        token_hash: crypto::token_hash(&token),
        grant_id: new.grant.clone(),
        application_id: app.id.clone(),
        user_id: new.user.clone(),
        family: new.family.to_owned(),
        scope: new.scopes.join(" "),
        resources: new.resources.clone(),
        auth_time: new.auth_time,
        amr: new.amr.to_vec(),
        issued_at: now,
        expires_at: now.plus_secs(refresh::ttl_secs(app)),
        consumed_at: None,
    };
    (token, record)
}

fn refresh_invalid() -> IdpError {
    oauth(OAuthError::invalid_grant("the refresh token is invalid, expired or revoked"))
}

/// RFC 6749 §6: a refresh, with rotation and reuse detection (RFC 9700 §4.14.2), down-scoping
/// (`scope`), an RFC 8707 `resource` for a JWT access token, and a new ID token when `openid`
/// was granted (OpenID Connect Core §12.2: same `sub` and `auth_time`, no `nonce`).
async fn refresh_token(idp: &IdpState, app: &Application, params: &Params, origin: &Origin) -> Result<Value, IdpError> {
    let presented = params
        .get("refresh_token")
        .ok_or_else(|| oauth(OAuthError::invalid_request("parameter `refresh_token` is missing")))?;
    let hash = crypto::token_hash(presented);
    let record = idp.core.repos.get_refresh_token(&hash).await.json_unavailable()?.ok_or_else(refresh_invalid)?;
    let now = idp.core.clock.now();
    if refresh::check(&record, app.id.as_str(), now).map_err(oauth)? == Usable::Replayed {
        return Err(replayed(idp, &record, origin).await);
    }
    let user = match idp.core.repos.get_user(&record.user_id).await.json_unavailable()? {
        Some(u) if !u.is_suspended => u,
        _ => return Err(refresh_invalid()),
    };
    let carried = scope::split(&record.scope);
    let requested = params.get("scope");
    let target = token_plan::refresh_target(params.get("organization_id"), single_resource(params)?);
    // The opaque access token of an identity refresh, stored with the rotation below.
    let mut opaque = None;
    let (access_token, expires_in, granted) = match target {
        RefreshTarget::Organization { organization, resource } => {
            let org = OrganizationId::from(organization);
            organization_token(idp, app, &record, &user, &carried, &org, resource, requested).await?
        }
        RefreshTarget::Resource(indicator) => {
            let resource = idp
                .core
                .catalog
                .resource(idp.core.repos.as_ref(), indicator)
                .await
                .json_unavailable()?
                .ok_or_else(|| oauth(OAuthError::invalid_target("unknown resource")))?;
            let held = idp.core.repos.user_resource_scopes(&user.id, &resource.id).await.json_unavailable()?;
            let scopes = refresh::resource_scopes(&record, indicator, requested, &held).map_err(oauth)?;
            let at = jwt_access_token(idp, app, &resource, Some(&user), &scopes, Some(record.auth_time))?;
            (at, resource.access_token_ttl, scopes)
        }
        RefreshTarget::Identity => {
            let scopes = refresh::down_scope(&carried, requested).map_err(oauth)?;
            let at = idp.core.token(32);
            let ttl = idp.core.settings.access_token_ttl;
            opaque = Some(AccessTokenRecord {
                token_hash: crypto::token_hash(&at),
                application_id: app.id.clone(),
                user_id: Some(user.id.clone()),
                grant_id: Some(record.grant_id.clone()),
                family: Some(record.family.clone()),
                scope: scopes.join(" "),
                issued_at: now,
                expires_at: now.plus_secs(ttl),
            });
            (at, ttl, scopes)
        }
    };
    let mut body = Map::new();
    if refresh::rotates(app) {
        // RFC 6749 §6: the new token keeps the scope of the old one. One transaction consumes
        // the old token and stores the new ones: of concurrent uses exactly one stores
        // anything, and the others revoke the family, the winner's new tokens with it.
        let (token, next) = refresh_record(
            idp,
            app,
            NewRefresh {
                grant: &record.grant_id,
                family: &record.family,
                user: &user.id,
                scopes: &carried,
                resources: &record.resources,
                auth_time: record.auth_time,
                amr: &record.amr,
            },
        );
        if !idp.core.repos.rotate_refresh_token(&hash, now, &next, opaque.as_ref()).await.json_unavailable()? {
            return Err(replayed(idp, &record, origin).await);
        }
        body.insert("refresh_token".into(), json!(token));
    } else if let Some(at) = &opaque {
        idp.core.repos.insert_access_token(at).await.json_unavailable()?;
    }
    if let Some(id_scopes) = token_plan::refresh_id_token_scopes(&carried, requested, target) {
        let id_token = refreshed_id_token(idp, app, &user, &record, &id_scopes, &access_token).await?;
        body.insert("id_token".into(), json!(id_token));
    }
    body.insert("access_token".into(), json!(access_token));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(expires_in));
    body.insert("scope".into(), json!(granted.join(" ")));
    Ok(Value::Object(body))
}

/// Carries out what the engine decided a replay revokes.
async fn revoke(idp: &IdpState, what: Revoke) -> Result<u64, IdpError> {
    match what {
        Revoke::Grant(grant) => idp.core.repos.revoke_grant_tokens(&grant).await,
        Revoke::Family(family) => idp.core.repos.revoke_token_family(&family).await,
    }
    .json_unavailable()
}

/// A rotated-out refresh token came back (`token_plan::on_refresh_replay` decides what goes).
async fn replayed(idp: &IdpState, record: &RefreshTokenRecord, origin: &Origin) -> IdpError {
    tracing::warn!(grant = %record.grant_id, "refresh token reused; revoking the grant's tokens");
    metrics::refresh_reuse();
    if let Err(e) = revoke(idp, token_plan::on_refresh_replay(record)).await {
        return e;
    }
    let event =
        SecurityEvent::RefreshTokenReused { client: record.application_id.clone(), grant: record.grant_id.to_string() };
    security_log::record(&idp.core, origin, event).await;
    oauth(OAuthError::invalid_grant("the refresh token was already used; the authorization is revoked"))
}

/// The ID token of a refresh (OpenID Connect Core §12.2): the original `auth_time`, no `nonce`.
async fn refreshed_id_token(
    idp: &IdpState,
    app: &Application,
    user: &User,
    record: &RefreshTokenRecord,
    scopes: &[String],
    access_token: &str,
) -> Result<String, IdpError> {
    let shared = match idp.core.repos.get_grant_by_id(&record.grant_id).await.json_unavailable()? {
        Some(g) => g.details.organizations,
        None => Vec::new(),
    };
    let facts = claims::IdTokenFacts {
        shared: &shared,
        auth_time: record.auth_time,
        amr: &record.amr,
        nonce: None,
        access_token,
    };
    claims::id_token(idp, app, user, scopes, facts).await
}

/// An organization token (DESIGN.md "Third-party app rules"): `refresh_token` +
/// `organization_id` gives a JWT for that organization (`aud = urn:latch:organization:<id>`);
/// with `resource` as well, `aud` is the resource. The scopes are decided by
/// [`token_scopes::organization_token_scopes`]: held in the organization ∩ recorded by the
/// grant (what the consent screen showed and the user kept) ∩ permitted ∩ requested. The user
/// must be a member and have shared the organization with the app.
#[allow(clippy::too_many_arguments)]
async fn organization_token(
    idp: &IdpState,
    app: &Application,
    record: &RefreshTokenRecord,
    user: &User,
    carried: &[String],
    org: &OrganizationId,
    resource: Option<&str>,
    requested: Option<&str>,
) -> Result<(String, i64, Vec<String>), IdpError> {
    let grant = idp.core.repos.get_grant_by_id(&record.grant_id).await.json_unavailable()?;
    let shared = grant.as_ref().map(|g| g.details.organizations.as_slice()).unwrap_or_default();
    let is_member = idp.core.repos.is_organization_member(org, &user.id).await.json_unavailable()?;
    token_plan::organization_token_allowed(carried, shared, org, is_member).map_err(oauth)?;
    let Some(grant) = grant else { return Err(oauth(OAuthError::invalid_grant("the authorization is gone"))) };
    // What the app may ask for (third-party apps: their permissions; first-party: anything).
    let permits = if app.is_third_party {
        Some(idp.core.repos.list_consent_scopes(&app.id).await.json_unavailable()?)
    } else {
        None
    };
    let mut permitted: Option<Vec<String>> = permits.as_ref().map(|_| Vec::new());
    let (audience, ttl, held, granted, alg) = match resource {
        None => {
            if let (Some(list), Some(names)) = (&permits, permitted.as_mut()) {
                for c in list.iter().filter(|c| c.scope_type == ConsentScopeType::Organization) {
                    if let Some(s) =
                        idp.core.repos.get_organization_scope(&c.scope_ref.as_str().into()).await.json_unavailable()?
                    {
                        names.push(s.name);
                    }
                }
            }
            let held = idp.core.repos.user_organization_scopes(&user.id, org).await.json_unavailable()?;
            let audience = format!("urn:latch:organization:{org}");
            let granted = grant.details.organization_scopes.clone();
            (audience, idp.core.settings.access_token_ttl, held, granted, tokens::access_token_alg(None))
        }
        Some(indicator) => {
            let res = idp
                .core
                .catalog
                .resource(idp.core.repos.as_ref(), indicator)
                .await
                .json_unavailable()?
                .ok_or_else(|| oauth(OAuthError::invalid_target("unknown resource")))?;
            if let (Some(list), Some(names)) = (&permits, permitted.as_mut()) {
                for c in list.iter().filter(|c| c.scope_type == ConsentScopeType::OrganizationResource) {
                    if let Some(s) = idp.core.repos.get_scope(&c.scope_ref.as_str().into()).await.json_unavailable()?
                        && s.resource_id == res.id
                    {
                        names.push(s.name);
                    }
                }
            }
            let held =
                idp.core.repos.user_organization_resource_scopes(&user.id, org, &res.id).await.json_unavailable()?;
            let granted = grant.details.organization_resource_scopes.get(indicator).cloned().unwrap_or_default();
            (res.indicator.clone(), res.access_token_ttl, held, granted, tokens::access_token_alg(Some(&res)))
        }
    };
    let scopes = token_scopes::organization_token_scopes(OrganizationTokenInput {
        held: &held,
        granted: &granted,
        permitted: permitted.as_deref(),
        requested,
        resource,
    })
    .map_err(oauth)?;
    let jti = idp.core.token(16);
    let mut claims = tokens::access_token_claims(&AccessTokenInput {
        issuer: &idp.core.settings.issuer,
        audience: &audience,
        client_id: app.id.as_str(),
        subject: Some(user.id.as_str()),
        scopes: &scopes,
        jti: &jti,
        now: idp.core.clock.now(),
        ttl,
        auth_time: Some(record.auth_time),
    });
    claims.insert("organization_id".into(), json!(org.as_str()));
    let at = sign(idp, alg, tokens::AT_JWT_TYP, claims)?;
    Ok((at, ttl, scopes))
}

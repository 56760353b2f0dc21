//! `/oidc/token` (RFC 6749 §3.2): `authorization_code` and `client_credentials`.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::ratelimit;
use crate::state::Idp;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_domain::entities::{AccessTokenRecord, AppType, Application, Resource, User};
use latch_domain::scope;
use latch_oidc::client_auth::{self, ClientAuthError};
use latch_oidc::code::{CodeRecord, RedeemedCode};
use latch_oidc::keys::Alg;
use latch_oidc::params::Params;
use latch_oidc::tokens::{self, AccessTokenInput, IdTokenInput};
use latch_oidc::{ErrorCode, OAuthError, crypto};
use serde_json::{Map, Value, json};
use std::time::Duration;

pub async fn token(idp: web::Data<Idp>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    match run(&idp, &req, &body).await {
        Ok(r) => r,
        Err(e) => errors::respond(&idp, e),
    }
}

fn oauth(e: OAuthError) -> IdpError {
    IdpError::OAuth(e)
}

fn client_error(e: ClientAuthError) -> IdpError {
    IdpError::Client { error: e.error, basic: e.used_basic }
}

async fn run(idp: &Idp, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(oauth(OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")));
    }
    let ip = ratelimit::client_ip(idp, req);
    ratelimit::check_ip(idp, "token", &ip, true).await?;
    let body = std::str::from_utf8(body).map_err(|_| oauth(OAuthError::invalid_request("the body is not UTF-8")))?;
    let params = Params::parse(body).map_err(oauth)?;
    params.reject_duplicates().map_err(oauth)?;
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let presented = client_auth::extract(authorization, &params).map_err(client_error)?;
    let client = idp.catalog.client(idp.repos.as_ref(), presented.client_id()).await.json_unavailable()?;
    let app = client.as_ref().map(|c| c.app.as_ref());
    let secrets = client.as_ref().map(|c| c.secrets.as_slice()).unwrap_or_default();
    let now = idp.clock.now();
    if let Err(e) = client_auth::authenticate(&presented, app, secrets, now) {
        ratelimit::record_ip_failure(idp, "token", &ip).await;
        return Err(client_error(e));
    }
    let Some(app) = app.cloned() else {
        return Err(IdpError::Client {
            error: OAuthError::invalid_client("unknown client"),
            basic: presented.used_basic(),
        });
    };
    let body = match params.get("grant_type") {
        None => return Err(oauth(OAuthError::invalid_request("parameter `grant_type` is missing"))),
        Some("authorization_code") => authorization_code(idp, &app, &params).await?,
        Some("client_credentials") => client_credentials(idp, &app, &params).await?,
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

fn sign(idp: &Idp, alg: Alg, typ: &str, claims: Map<String, Value>) -> Result<String, IdpError> {
    idp.keys().sign(alg, typ, claims).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: true })
}

fn jwt_access_token(
    idp: &Idp,
    app: &Application,
    resource: &Resource,
    user: Option<&User>,
    scopes: &[String],
    auth_time: Option<latch_domain::Timestamp>,
) -> Result<String, IdpError> {
    let jti = idp.token(16);
    let claims = tokens::access_token_claims(&AccessTokenInput {
        issuer: &idp.settings.issuer,
        audience: &resource.indicator,
        client_id: app.id.as_str(),
        subject: user.map(|u| u.id.as_str()),
        scopes,
        jti: &jti,
        now: idp.clock.now(),
        ttl: resource.access_token_ttl,
        auth_time,
    });
    sign(idp, Alg::RS256, tokens::AT_JWT_TYP, claims)
}

/// RFC 6749 §4.1.3 with RFC 7636 §4.6.
async fn authorization_code(idp: &Idp, app: &Application, params: &Params) -> Result<Value, IdpError> {
    let code = params.get("code").ok_or_else(|| oauth(OAuthError::invalid_request("parameter `code` is missing")))?;
    let Some(json) = idp.cache.take(&flow::code_key(code)).await.json_unavailable()? else {
        // RFC 6749 §4.1.2: a code used twice revokes what its first use issued.
        if let Some(prev) = idp.cache.take(&redeemed_key(code)).await.json_unavailable()?
            && let Ok(prev) = serde_json::from_str::<RedeemedCode>(&prev)
        {
            tracing::warn!(grant = %prev.grant_id, "authorization code replayed; revoking its tokens");
            if let Some(h) = &prev.access_token_hash {
                idp.repos.delete_access_token(h).await.json_unavailable()?;
            }
        }
        return Err(oauth(OAuthError::invalid_grant("the code is invalid, expired or already used")));
    };
    let record: CodeRecord =
        serde_json::from_str(&json).map_err(|_| oauth(OAuthError::invalid_grant("the code is invalid")))?;
    let now = idp.clock.now();
    latch_oidc::code::check_exchange(&record, &app.id, params.get("redirect_uri"), params.get("code_verifier"), now)
        .map_err(oauth)?;
    let user = match idp.repos.get_user(&record.user_id).await.json_unavailable()? {
        Some(u) if !u.is_suspended => u,
        _ => return Err(oauth(OAuthError::invalid_grant("the user of this code no longer exists"))),
    };
    // offline_access stays in the grant but is not echoed until refresh tokens are issued.
    let user_scopes: Vec<String> = record
        .scopes
        .iter()
        .filter(|s| scope::is_user_scope(s) && s.as_str() != scope::OFFLINE_ACCESS)
        .cloned()
        .collect();
    let mut body = Map::new();
    let mut opaque_hash = None;
    let (access_token, expires_in, granted) = match single_resource(params)? {
        Some(indicator) => {
            if !record.resources.iter().any(|r| r == indicator) {
                return Err(oauth(OAuthError::invalid_target("this resource was not part of the authorization")));
            }
            let resource = idp
                .catalog
                .resource(idp.repos.as_ref(), indicator)
                .await
                .json_unavailable()?
                .ok_or_else(|| oauth(OAuthError::invalid_target("unknown resource")))?;
            let held = idp.repos.user_resource_scopes(&user.id, &resource.id).await.json_unavailable()?;
            let scopes: Vec<String> = record.scopes.iter().filter(|s| held.contains(s)).cloned().collect();
            let at = jwt_access_token(idp, app, &resource, Some(&user), &scopes, Some(record.auth_time))?;
            (at, resource.access_token_ttl, scopes)
        }
        None => {
            let at = idp.token(32);
            let hash = crypto::token_hash(&at);
            let ttl = idp.settings.access_token_ttl;
            idp.repos
                .insert_access_token(&AccessTokenRecord {
                    token_hash: hash.clone(),
                    application_id: app.id.clone(),
                    user_id: Some(user.id.clone()),
                    grant_id: Some(record.grant_id.clone()),
                    scope: user_scopes.join(" "),
                    issued_at: now,
                    expires_at: now.plus_secs(ttl),
                })
                .await
                .json_unavailable()?;
            opaque_hash = Some(hash);
            (at, ttl, user_scopes.clone())
        }
    };
    if record.scopes.iter().any(|s| s == scope::OPENID) {
        let roles = if user_scopes.iter().any(|s| s == "roles") {
            idp.repos.user_role_names(&user.id).await.json_unavailable()?
        } else {
            Vec::new()
        };
        let claims = tokens::user_claims(&user, &user_scopes, &roles);
        let alg = app.custom.id_token_signed_response_alg.as_deref().and_then(Alg::parse).unwrap_or(Alg::RS256);
        let claims = tokens::id_token_claims(
            &IdTokenInput {
                issuer: &idp.settings.issuer,
                client_id: app.id.as_str(),
                auth_time: record.auth_time,
                nonce: record.nonce.as_deref(),
                access_token: Some(&access_token),
                now,
                ttl: app.custom.id_token_ttl.unwrap_or(idp.settings.id_token_ttl),
            },
            claims,
        );
        body.insert("id_token".into(), json!(sign(idp, alg, "JWT", claims)?));
    }
    let redeemed = RedeemedCode { grant_id: record.grant_id.clone(), access_token_hash: opaque_hash };
    if let Ok(json) = serde_json::to_string(&redeemed) {
        // Remembered a while past the code's own life, so a late replay still revokes.
        let _ = idp.cache.put(&redeemed_key(code), &json, Duration::from_secs(600)).await;
    }
    body.insert("access_token".into(), json!(access_token));
    body.insert("token_type".into(), json!("Bearer"));
    body.insert("expires_in".into(), json!(expires_in));
    body.insert("scope".into(), json!(granted.join(" ")));
    Ok(Value::Object(body))
}

/// RFC 6749 §4.4 for machine-to-machine apps, with an RFC 8707 resource and RFC 9068 token.
async fn client_credentials(idp: &Idp, app: &Application, params: &Params) -> Result<Value, IdpError> {
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
        .catalog
        .resource(idp.repos.as_ref(), indicator)
        .await
        .json_unavailable()?
        .ok_or_else(|| oauth(OAuthError::invalid_target(format!("unknown resource `{indicator}`"))))?;
    let allowed = idp.catalog.m2m_scopes(idp.repos.as_ref(), &app.id, &resource.id).await.json_unavailable()?;
    let granted: Vec<String> = match params.get("scope") {
        None => allowed.to_vec(),
        Some(s) => {
            let requested = scope::split(s);
            if let Some(bad) = requested.iter().find(|t| !scope::is_valid_token(t)) {
                return Err(oauth(OAuthError::invalid_scope(format!("`{bad}` is not a valid scope token"))));
            }
            requested.into_iter().filter(|r| allowed.contains(r)).collect()
        }
    };
    let at = jwt_access_token(idp, app, &resource, None, &granted, None)?;
    Ok(json!({
        "access_token": at,
        "token_type": "Bearer",
        "expires_in": resource.access_token_ttl,
        "scope": granted.join(" "),
    }))
}

//! `/oidc/reg`: self-service client registration (RFC 7591 §3), open when the operator's
//! policy says so and within its ceiling, limited per client address; and
//! `/oidc/reg/{client_id}`, where a registered client reads, updates or deletes its
//! registration with its registration access token (RFC 7592). The engine decides
//! (`latch_oidc::registration::admit`); this handler extracts, loads, calls, persists and maps.

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::commands::{Registered, ceiling, delete_registered_client, register_client, update_registered_client};
use latch_domain::entities::{AppType, Application, Branding, ClientRegistration, RegistrationPolicy};
use latch_domain::ids::ApplicationId;
use latch_oidc::registration::{
    Admitted, ClientMetadata, admit, check_initial_access_token, check_management, check_update, presented_token,
};
use latch_oidc::{ErrorCode, OAuthError, crypto};
use serde_json::{Value, json};

pub async fn register(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    run(&idp, &req, &body).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

async fn run(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let policy = idp.core.registration_policy();
    if !policy.enabled {
        return Err(IdpError::Forbidden(OAuthError::new(
            ErrorCode::AccessDenied,
            "self-service client registration is turned off on this server; ask its operator to create your app",
        )));
    }
    // RFC 7591 §3.1: the metadata is a JSON document.
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Err(IdpError::OAuth(OAuthError::invalid_request("the body must be application/json client metadata")));
    }
    // Counted first, so guessing initial access tokens meets the same limit.
    let origin = ratelimit::origin(idp, req);
    ratelimit::count_registration(idp, &origin.ip, policy.registrations_per_hour, true).await?;
    let initial = if policy.require_initial_access_token {
        let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let presented = presented_token(authorization);
        let found = match presented {
            Some(t) => idp.core.repos.find_initial_access_token(&crypto::token_hash(t)).await.json_unavailable()?,
            None => None,
        };
        check_initial_access_token(presented, found.as_ref(), idp.core.clock.now())
            .map_err(|e| IdpError::Bearer(Some(e)))?;
        found.map(|t| t.id)
    } else {
        None
    };
    let (meta, admitted) = admitted(idp, &policy, body).await?;
    let Registered { app, secret, access_token, record } =
        register_client(&idp.core, admitted, &meta, &origin, initial.as_deref()).await.json_unavailable()?;
    tracing::info!(client = %app.id, app_type = app.app_type.as_str(), "client registered itself");
    let branding = idp.core.repos.get_branding(&app.id).await.json_unavailable()?;
    let body = response(
        &idp.core.settings.issuer,
        &app,
        &record,
        branding.as_ref(),
        access_token.as_deref(),
        secret.as_deref(),
    );
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body))
}

/// The metadata `body` holds, and what the policy's ceiling admits of it.
async fn admitted(
    idp: &IdpState,
    policy: &RegistrationPolicy,
    body: &[u8],
) -> Result<(ClientMetadata, Admitted), IdpError> {
    let meta = ClientMetadata::parse(body).map_err(IdpError::OAuth)?;
    let ceiling = ceiling(&idp.core, policy).await.json_unavailable()?;
    let admitted = admit(policy, &ceiling, &meta).map_err(IdpError::OAuth)?;
    Ok((meta, admitted))
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the registration's URI,
/// the credentials when they are new (`rat` and a confidential client's `secret`, in clear this
/// once), and the metadata as registered, which may differ from what was asked (scopes beyond
/// the ceiling dropped, a default name) or from what was registered (an operator's edits).
fn response(
    issuer: &str,
    app: &Application,
    record: &ClientRegistration,
    branding: Option<&Branding>,
    rat: Option<&str>,
    secret: Option<&str>,
) -> Value {
    let id = app.id.as_str();
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    put("client_id", json!(id));
    put("client_id_issued_at", json!(record.registered_at.0));
    put("registration_client_uri", json!(format!("{issuer}/reg/{id}")));
    if let Some(rat) = rat {
        put("registration_access_token", json!(rat));
    }
    if let Some(secret) = secret {
        put("client_secret", json!(secret));
        // RFC 7591 §3.2.1: 0 means it does not expire.
        put("client_secret_expires_at", json!(0));
    }
    // What users see: the branding's display name (the client's own), else the app's name.
    put("client_name", json!(branding.and_then(|b| b.display_name.clone()).unwrap_or_else(|| app.name.clone())));
    put("redirect_uris", json!(app.redirect_uris));
    let method = latch_oidc::registration::reported_auth_method(
        &record.token_endpoint_auth_method,
        app.app_type.is_confidential(),
    );
    put("token_endpoint_auth_method", json!(method));
    put("grant_types", json!(record.grant_types));
    put("response_types", json!(["code"]));
    put("application_type", json!(if app.app_type == AppType::Native { "native" } else { "web" }));
    put("scope", json!(record.scope));
    if !app.post_logout_redirect_uris.is_empty() {
        put("post_logout_redirect_uris", json!(app.post_logout_redirect_uris));
    }
    let optional = [
        ("logo_uri", branding.and_then(|b| b.logo_url.clone())),
        ("tos_uri", branding.and_then(|b| b.terms_of_use_url.clone())),
        ("policy_uri", branding.and_then(|b| b.privacy_policy_url.clone())),
        ("client_uri", record.client_uri.clone()),
        ("software_id", record.software_id.clone()),
        ("software_version", record.software_version.clone()),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            put(k, json!(v));
        }
    }
    if !record.contacts.is_empty() {
        put("contacts", json!(record.contacts));
    }
    Value::Object(m)
}

/// The registration `client_id` names, checked against the request's registration access
/// token (RFC 7592 §2).
async fn managed(
    idp: &IdpState,
    req: &HttpRequest,
    client_id: &str,
) -> Result<(Application, ClientRegistration), IdpError> {
    let app_id = ApplicationId::from(client_id);
    let record = idp.core.repos.get_client_registration(&app_id).await.json_unavailable()?;
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    check_management(authorization, record.as_ref()).map_err(|e| IdpError::Bearer(Some(e)))?;
    let app = idp.core.repos.get_application(&app_id).await.json_unavailable()?;
    match (app, record) {
        (Some(app), Some(record)) => Ok((app, record)),
        _ => Err(IdpError::Bearer(Some(OAuthError::new(ErrorCode::InvalidToken, "this client no longer exists")))),
    }
}

/// `GET /oidc/reg/{client_id}` (RFC 7592 §2.1): the registration as it stands.
pub async fn read(idp: web::Data<IdpState>, req: HttpRequest, client_id: web::Path<String>) -> HttpResponse {
    let run = async {
        let (app, record) = managed(&idp, &req, &client_id).await?;
        let branding = idp.core.repos.get_branding(&app.id).await.json_unavailable()?;
        Ok::<_, IdpError>(information(&idp, &app, &record, branding.as_ref()))
    };
    run.await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// `PUT /oidc/reg/{client_id}` (RFC 7592 §2.2): replaces the metadata, within today's ceiling.
pub async fn update(
    idp: web::Data<IdpState>,
    req: HttpRequest,
    client_id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let run = async {
        let (app, record) = managed(&idp, &req, &client_id).await?;
        let policy = idp.core.registration_policy();
        if !policy.enabled {
            return Err(IdpError::Forbidden(OAuthError::new(
                ErrorCode::AccessDenied,
                "self-service registration is turned off on this server, so registrations cannot change; \
                 ask its operator",
            )));
        }
        let (meta, admitted) = admitted(&idp, &policy, &body).await?;
        check_update(app.id.as_str(), app.app_type, &meta, &admitted).map_err(IdpError::OAuth)?;
        let (app, record) =
            update_registered_client(&idp.core, &app, &record, admitted, &meta).await.json_unavailable()?;
        let branding = idp.core.repos.get_branding(&app.id).await.json_unavailable()?;
        Ok::<_, IdpError>(information(&idp, &app, &record, branding.as_ref()))
    };
    run.await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// `DELETE /oidc/reg/{client_id}` (RFC 7592 §2.3): the client, its grants and tokens go.
pub async fn delete(idp: web::Data<IdpState>, req: HttpRequest, client_id: web::Path<String>) -> HttpResponse {
    let run = async {
        let (app, _) = managed(&idp, &req, &client_id).await?;
        delete_registered_client(&idp.core, &app.id).await.json_unavailable()?;
        Ok::<_, IdpError>(HttpResponse::NoContent().insert_header((header::CACHE_CONTROL, "no-store")).finish())
    };
    run.await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

fn information(idp: &IdpState, app: &Application, record: &ClientRegistration, b: Option<&Branding>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response(&idp.core.settings.issuer, app, record, b, None, None))
}

//! CORS for the endpoints a browser app calls directly (token, userinfo, JWKS, discovery): only
//! the origins of registered SPA redirect URIs and of each app's `corsAllowedOrigins` may read
//! the answers (DESIGN.md security rules). The one exception is open registration
//! (`/oidc/reg`, while it is on): a browser app registering itself has no origin Latch knows
//! yet, and the endpoint takes no cookie or credential, so every origin may call it.

use crate::state::IdpState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

/// Whether `origin` may read the answers: the set lives in the catalog, dropped with every
/// application change (`latch_core::catalog::Catalog::origins`). A store failure allows nothing.
async fn allows(idp: &IdpState, origin: &str) -> bool {
    match idp.core.catalog.origins(idp.core.repos.as_ref()).await {
        Ok(set) => set.contains(origin),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the allowed origins");
            false
        }
    }
}

/// Answers preflights and adds `Access-Control-Allow-Origin` for allowed origins.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = match (&origin, req.app_data::<web::Data<IdpState>>()) {
        (Some(_), Some(idp)) if req.path() == "/oidc/reg" => idp.core.registration_policy().enabled,
        (Some(o), Some(idp)) => allows(idp, o).await,
        _ => false,
    };
    let allow = |headers: &mut header::HeaderMap| {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        if let Some(o) = origin.as_deref().filter(|_| allowed).and_then(|o| HeaderValue::from_str(o).ok()) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        }
    };
    if req.method() == Method::OPTIONS {
        let mut res = HttpResponse::build(StatusCode::NO_CONTENT);
        if allowed {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type"))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
        }
        let mut res = res.finish();
        allow(res.headers_mut());
        return Ok(req.into_response(res).map_into_right_body());
    }
    let mut res = next.call(req).await?;
    allow(res.headers_mut());
    Ok(res.map_into_left_body())
}

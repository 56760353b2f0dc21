//! CORS for the endpoints a browser app calls directly (token, userinfo, JWKS, discovery): only
//! the origins of registered SPA redirect URIs and of each app's `corsAllowedOrigins` may read
//! the answers (DESIGN.md security rules).

use crate::state::Idp;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use latch_domain::entities::AppType;
use latch_domain::repo::Page;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the allowed-origin set is reused before it is read again.
const REFRESH: Duration = Duration::from_secs(10);

/// The allowed origins, read from the applications now and then.
#[derive(Default)]
pub struct Origins {
    cached: Mutex<Option<(Instant, HashSet<String>)>>,
}

fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    url.host_str()?;
    Some(url.origin().ascii_serialization())
}

impl Origins {
    async fn allows(&self, idp: &Idp, origin: &str) -> bool {
        {
            let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, set)) = cached.as_ref()
                && at.elapsed() < REFRESH
            {
                return set.contains(origin);
            }
        }
        let Ok((apps, _)) = idp.repos.list_applications(None, Page::ALL).await else { return false };
        let mut set = HashSet::new();
        for app in apps {
            if app.app_type == AppType::Spa {
                set.extend(app.redirect_uris.iter().filter_map(|u| origin_of(u)));
            }
            set.extend(app.custom.cors_allowed_origins.iter().filter_map(|u| origin_of(u)));
        }
        let allowed = set.contains(origin);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), set));
        allowed
    }
}

/// Answers preflights and adds `Access-Control-Allow-Origin` for allowed origins.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = match (&origin, req.app_data::<web::Data<Idp>>()) {
        (Some(o), Some(idp)) => idp.origins.allows(idp, o).await,
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

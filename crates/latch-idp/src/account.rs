//! `/account/apps`: the signed-in user's connected apps — each app granted, what it may access,
//! when granted and last used — with a Revoke button per grant (DESIGN.md "Beyond").

use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow;
use crate::i18n::{self, Lang, Problem};
use crate::pages;
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::{self, SecurityEvent};
use latch_domain::entities::Session;
use latch_domain::ids::GrantId;
use serde::Deserialize;

/// The form token of the account pages: bound to the session, unknowable without it.
pub(crate) fn csrf_of(session: &Session) -> String {
    latch_oidc::crypto::sha256_b64(&format!("account:{}", session.id))
}

pub async fn apps(idp: web::Data<IdpState>, req: HttpRequest) -> HttpResponse {
    let result = async {
        let Some((session, user)) = flow::current_session(&idp, &req).await? else {
            return Err(IdpError::page(StatusCode::UNAUTHORIZED, Problem::NotSignedIn));
        };
        let lang = Lang::of_request(&req);
        let mut rows = Vec::new();
        for g in idp.core.repos.list_user_grants(&user.id).await.page_unavailable()? {
            let Some(app) = idp.core.repos.get_application(&g.application_id).await.page_unavailable()? else {
                continue;
            };
            let branding = idp.core.repos.get_branding(&app.id).await.page_unavailable()?.unwrap_or_default();
            let mut access: Vec<String> =
                g.details.scopes.iter().filter_map(|s| i18n::user_scope(lang, s).map(str::to_owned)).collect();
            for (indicator, names) in &g.details.resource_scopes {
                let label =
                    match idp.core.catalog.resource(idp.core.repos.as_ref(), indicator).await.page_unavailable()? {
                        Some(r) => r.name,
                        None => indicator.clone(),
                    };
                if !names.is_empty() {
                    access.push(format!("{label}: {}", names.join(", ")));
                }
            }
            rows.push(pages::ConnectedApp {
                grant_id: g.id.to_string(),
                display_name: branding.display_name.unwrap_or_else(|| app.name.clone()),
                app_name: app.name.clone(),
                logo_url: branding.logo_url,
                access,
                granted_at: g.created_at.0,
                last_used_at: g.last_used_at.map(|t| t.0),
            });
        }
        let label = user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string());
        Ok(pages::connected_apps(&idp, lang, &label, &rows, &csrf_of(&session)))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    grant: String,
    csrf: String,
}

/// Revokes one grant: its refresh and opaque access tokens die at once; the app must ask for
/// consent again.
pub async fn revoke(idp: web::Data<IdpState>, req: HttpRequest, form: web::Form<RevokeForm>) -> HttpResponse {
    let result = async {
        let Some((session, user)) = flow::current_session(&idp, &req).await? else {
            return Err(IdpError::page(StatusCode::UNAUTHORIZED, Problem::SignInAgain));
        };
        if !flow::ct_eq(&form.csrf, &csrf_of(&session)) {
            return Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired));
        }
        let grant = idp
            .core
            .repos
            .get_grant_by_id(&GrantId(form.grant.clone()))
            .await
            .page_unavailable()?
            .filter(|g| g.user_id == user.id)
            .ok_or_else(|| IdpError::page(StatusCode::NOT_FOUND, Problem::UnknownGrant))?;
        idp.core.repos.revoke_grant_tokens(&grant.id).await.page_unavailable()?;
        idp.core.repos.delete_grant(&grant.id).await.page_unavailable()?;
        tracing::info!(user = %user.id, app = %grant.application_id, "grant revoked by the user");
        let event = SecurityEvent::GrantRevoked {
            user: user.id.clone(),
            client: grant.application_id.clone(),
            grant: grant.id.to_string(),
        };
        security_log::record(&idp.core, &crate::ratelimit::origin(&idp, &req), event).await;
        Ok(flow::see_other(&idp.core.settings.own("/account/apps")).finish())
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

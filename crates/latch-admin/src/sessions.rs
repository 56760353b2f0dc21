//! `/api/users/{id}/sessions`: a user's signed-in browser sessions, listed and ended one by one
//! or all at once ("sign out everywhere").

use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use actix_web::{delete, get};
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::Session;
use latch_domain::ids::SessionId;
use latch_domain::repo::Write;
use latch_types as wire;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(delete_all).service(delete_one);
}

fn wire_session(s: &Session) -> wire::UserSession {
    wire::UserSession {
        id: s.id.to_string(),
        auth_time: s.auth_time.0,
        created_at: s.created_at.0,
        last_active_at: s.last_active_at.0,
        expires_at: s.expires_at.0,
        amr: s.amr.clone(),
        user_agent: s.user_agent.clone(),
    }
}

/// Lists the user's sessions that have not expired, newest first.
#[utoipa::path(tag = "users", params(PageQuery),
    responses((status = 200, body = [wire::UserSession], headers(("Total-Number" = i64))), (status = 404, body = wire::Problem)),
    security(("bearer" = [])))]
#[get("/users/{id}/sessions")]
pub async fn list(idp: web::Data<Core>, id: web::Path<String>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let user = crate::users::load(&idp, &id).await?;
    let (sessions, total) = idp.repos.page_user_sessions(&user.id, idp.clock.now(), q.page()?).await?;
    Ok(page::respond(&sessions.iter().map(wire_session).collect::<Vec<_>>(), total))
}

/// Ends every session of the user ("sign out everywhere"): each browser must sign in again.
/// Refresh tokens are not affected; revoke grants for that.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/sessions")]
pub async fn delete_all(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = crate::users::load(&idp, &id).await?;
    latch_core::commands::end_sessions(&idp, &who, &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends one session of the user.
#[utoipa::path(tag = "users",
    responses((status = 204), (status = 404, body = wire::Problem)), security(("bearer" = [])))]
#[delete("/users/{id}/sessions/{sessionId}")]
pub async fn delete_one(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, session_id) = path.into_inner();
    let user = crate::users::load(&idp, &id).await?;
    let session_id = SessionId(session_id);
    let session = idp
        .repos
        .get_session(&session_id)
        .await?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    let change = Changeset::new(
        "user.session.delete",
        "user",
        user.id.as_str(),
        json!({"sessionId": session.id.as_str()}),
        Change::User(user.id.clone()),
    )
    .write(Write::DeleteSession(session.id.clone()));
    idp.apply(&who, change).await.map_err(crate::error::or_missing(ApiError::not_found("session")))?;
    Ok(HttpResponse::NoContent().finish())
}

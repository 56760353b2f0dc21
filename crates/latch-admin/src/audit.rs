//! The audit log: every change (`latch_core::Core::apply`) writes who did what to which
//! target in the same transaction as the change, and `GET /api/audit-logs` reads it newest first.

use crate::error::ApiResult;
use crate::page::{self, PageQuery};
use actix_web::get;
use actix_web::{HttpResponse, web};
use latch_core::Core;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// Lists audit log entries, newest first.
#[utoipa::path(tag = "audit", params(PageQuery),
    responses((status = 200, body = [latch_types::AuditLog], headers(("Total-Number" = i64))),
        (status = 401, body = latch_types::Problem)), security(("bearer" = [])))]
#[get("/audit-logs")]
pub async fn list(idp: web::Data<Core>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
    let (entries, total) = idp.repos.list_audit(q.page()?).await?;
    let out: Vec<latch_types::AuditLog> = entries
        .into_iter()
        .map(|e| latch_types::AuditLog {
            id: e.id,
            at: e.at.0,
            actor: e.actor,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            details: e.details,
        })
        .collect();
    Ok(page::respond(&out, total))
}

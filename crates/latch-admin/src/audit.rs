//! The audit log: every admin change writes who did what to which target, and
//! `GET /api/audit-logs` reads it newest first.

use crate::auth::Principal;
use crate::error::ApiResult;
use crate::page::{self, PageQuery};
use actix_web::{HttpResponse, web};
use latch_domain::entities::AuditEntry;
use latch_domain::ids::new_id;
use latch_idp::Idp;
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit-logs", web::get().to(list));
}

/// Records one change. A failure to record is logged, not returned: the change happened.
pub async fn record(idp: &Idp, who: &Principal, action: &str, target_type: &str, target_id: &str, details: Value) {
    let entry = AuditEntry {
        id: new_id(idp.random.as_ref()),
        at: idp.clock.now(),
        actor: who.actor.clone(),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        details,
    };
    if let Err(e) = idp.repos.append_audit(&entry).await {
        tracing::error!(error = %e, action, target_id, "cannot write the audit log");
    }
}

/// Lists audit log entries, newest first.
#[utoipa::path(get, path = "/api/audit-logs", tag = "audit", params(PageQuery),
    responses((status = 200, body = [latch_types::AuditLog], headers(("Total-Number" = i64))),
        (status = 401, body = latch_types::Problem)), security(("bearer" = [])))]
pub async fn list(idp: web::Data<Idp>, q: web::Query<PageQuery>) -> ApiResult<HttpResponse> {
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

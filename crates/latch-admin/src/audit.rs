//! The audit log: every change (`latch_core::Core::apply`) writes who did what to which
//! target in the same transaction as the change, and `GET /api/audit-logs` reads it newest first.

use crate::error::{ApiError, ApiResult};
use crate::page::{self, PageQuery};
use actix_web::get;
use actix_web::{HttpResponse, web};
use latch_core::Core;
use latch_domain::Timestamp;
use latch_domain::repo::AuditFilter;
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

/// Which entries `GET /audit-logs` lists; every filter given must hold.
#[derive(Deserialize, Debug, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exactly this actor: `user:<id>` or `application:<id>`.
    pub actor: Option<String>,
    /// This action (`user.create`), or every action under a prefix ending in `.` (`user.`).
    pub action: Option<String>,
    /// The kind of target: `user`, `application`, `role`, …
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// At or after this time (seconds since the epoch).
    pub since: Option<i64>,
    /// Before this time (seconds since the epoch).
    pub until: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> ApiResult<AuditFilter> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        for (field, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("targetType", &self.target_type),
            ("targetId", &self.target_id),
        ] {
            if value.as_deref().is_some_and(|v| v.chars().count() > 256) {
                return Err(ApiError::invalid(
                    field,
                    "request.invalid_filter",
                    format!("{field} is at most 256 characters"),
                ));
            }
        }
        if let (Some(since), Some(until)) = (self.since, self.until)
            && until < since
        {
            return Err(ApiError::invalid("until", "request.invalid_filter", "until is before since"));
        }
        Ok(AuditFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            target_type: text(&self.target_type),
            target_id: text(&self.target_id),
            since: self.since.map(Timestamp),
            until: self.until.map(Timestamp),
        })
    }
}

/// Lists audit log entries, newest first, narrowed by the filters given.
#[utoipa::path(tag = "audit", params(AuditQuery, PageQuery),
    responses((status = 200, body = [latch_types::AuditLog], headers(("Total-Number" = i64))),
        (status = 401, body = latch_types::Problem), (status = 422, body = latch_types::Problem)), security(("bearer" = [])))]
#[get("/audit-logs")]
pub async fn list(
    idp: web::Data<Core>,
    f: web::Query<AuditQuery>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (entries, total) = idp.repos.search_audit(&f.filter()?, q.page()?).await?;
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

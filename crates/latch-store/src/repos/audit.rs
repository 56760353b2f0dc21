//! The audit log.

use super::{Conn, QResult, json_text, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::repo::*;

/// Appends `e` to the audit log.
pub(super) fn append_audit(conn: &mut Conn, e: &AuditEntry) -> QResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(&e.id),
            audit_log::at.eq(e.at.0),
            audit_log::actor.eq(&e.actor),
            audit_log::action.eq(&e.action),
            audit_log::target_type.eq(&e.target_type),
            audit_log::target_id.eq(&e.target_id),
            audit_log::details.eq(json_text(&e.details)),
        ))
        .execute(conn)
        .map(|_| ())
}

#[async_trait]
impl AuditRepo for Db {
    async fn append_audit(&self, e: &AuditEntry) -> RepoResult<()> {
        let e = e.clone();
        self.run(move |conn| append_audit(conn, &e)).await
    }

    async fn list_audit(&self, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)> {
        self.run(move |conn| {
            let total: i64 = audit_log::table.count().get_result(conn)?;
            let rows: Vec<(String, i64, String, String, String, String, String)> = audit_log::table
                .order((audit_log::at.desc(), audit_log::id.desc()))
                .limit(limit(page))
                .offset(page.offset())
                .select((
                    audit_log::id,
                    audit_log::at,
                    audit_log::actor,
                    audit_log::action,
                    audit_log::target_type,
                    audit_log::target_id,
                    audit_log::details,
                ))
                .load(conn)?;
            Ok((
                rows.into_iter()
                    .map(|(id, at, actor, action, target_type, target_id, details)| AuditEntry {
                        id,
                        at: Timestamp(at),
                        actor,
                        action,
                        target_type,
                        target_id,
                        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                    })
                    .collect(),
                total,
            ))
        })
        .await
    }
}

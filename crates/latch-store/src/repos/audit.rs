//! The audit log.

use super::{Conn, QResult, json_text, like_escaped, limit};
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

    async fn search_audit(&self, filter: &AuditFilter, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)> {
        let f = filter.clone();
        self.run(move |conn| {
            // The same condition for the rows and for their count.
            macro_rules! matching {
                () => {{
                    let mut q = audit_log::table.into_boxed();
                    if let Some(actor) = &f.actor {
                        q = q.filter(audit_log::actor.eq(actor.clone()));
                    }
                    match f.action.as_deref() {
                        Some(prefix) if prefix.ends_with('.') => {
                            q = q.filter(audit_log::action.like(format!("{}%", like_escaped(prefix))).escape('\\'))
                        }
                        Some(action) => q = q.filter(audit_log::action.eq(action.to_owned())),
                        None => {}
                    }
                    if let Some(t) = &f.target_type {
                        q = q.filter(audit_log::target_type.eq(t.clone()));
                    }
                    if let Some(t) = &f.target_id {
                        q = q.filter(audit_log::target_id.eq(t.clone()));
                    }
                    if let Some(since) = f.since {
                        q = q.filter(audit_log::at.ge(since.0));
                    }
                    if let Some(until) = f.until {
                        q = q.filter(audit_log::at.lt(until.0));
                    }
                    q
                }};
            }
            let total: i64 = matching!().count().get_result(conn)?;
            let rows: Vec<(String, i64, String, String, String, String, String)> = matching!()
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

//! Grants (a user's consent to an application), one per user and application, and their listing.

use super::{Conn, QResult, json_text, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

/// A grant as stored: its details are JSON text.
#[derive(Queryable, Selectable)]
#[diesel(table_name = grants)]
struct GrantRow {
    id: String,
    user_id: String,
    application_id: String,
    details: String,
    created_at: i64,
    updated_at: i64,
    last_used_at: Option<i64>,
}

impl From<GrantRow> for Grant {
    fn from(r: GrantRow) -> Self {
        Grant {
            id: GrantId(r.id),
            user_id: UserId(r.user_id),
            application_id: ApplicationId(r.application_id),
            details: serde_json::from_str(&r.details).unwrap_or_default(),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
            last_used_at: r.last_used_at.map(Timestamp),
        }
    }
}

pub(super) fn delete_grant(conn: &mut Conn, id: &GrantId) -> QResult<bool> {
    Ok(diesel::delete(grants::table.find(id.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl GrantRepo for Db {
    async fn get_grant(&self, user: &UserId, app: &ApplicationId) -> RepoResult<Option<Grant>> {
        let (user, app) = (user.0.clone(), app.0.clone());
        self.run(move |conn| {
            Ok(grants::table
                .filter(grants::user_id.eq(user))
                .filter(grants::application_id.eq(app))
                .select(GrantRow::as_select())
                .first(conn)
                .optional()?
                .map(Grant::from))
        })
        .await
    }

    async fn save_grant(&self, g: &Grant) -> RepoResult<()> {
        let g = g.clone();
        self.tx(move |conn| {
            // Write first, so a SQLite transaction takes the write lock before it reads.
            let details = json_text(&g.details);
            let updated = diesel::update(
                grants::table
                    .filter(grants::user_id.eq(&g.user_id.0))
                    .filter(grants::application_id.eq(&g.application_id.0)),
            )
            .set((
                grants::details.eq(&details),
                grants::updated_at.eq(g.updated_at.0),
                grants::last_used_at.eq(g.last_used_at.map(|t| t.0)),
            ))
            .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(grants::table)
                    .values((
                        grants::id.eq(&g.id.0),
                        grants::user_id.eq(&g.user_id.0),
                        grants::application_id.eq(&g.application_id.0),
                        grants::details.eq(&details),
                        grants::created_at.eq(g.created_at.0),
                        grants::updated_at.eq(g.updated_at.0),
                        grants::last_used_at.eq(g.last_used_at.map(|t| t.0)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_grant(&self, id: &GrantId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_grant(conn, &id)).await
    }
    async fn list_user_grants(&self, user: &UserId) -> RepoResult<Vec<Grant>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows = grants::table
                .filter(grants::user_id.eq(user))
                .order((grants::created_at, grants::id))
                .select(GrantRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Grant::from).collect())
        })
        .await
    }

    async fn page_user_grants(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Grant>, i64)> {
        let user = user.0.clone();
        self.run(move |conn| {
            let total: i64 = grants::table.filter(grants::user_id.eq(&user)).count().get_result(conn)?;
            let rows = grants::table
                .filter(grants::user_id.eq(&user))
                .order((grants::created_at, grants::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(GrantRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(Grant::from).collect(), total))
        })
        .await
    }

    async fn get_grant_by_id(&self, id: &GrantId) -> RepoResult<Option<Grant>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(grants::table.find(id).select(GrantRow::as_select()).first(conn).optional()?.map(Grant::from))
        })
        .await
    }
}

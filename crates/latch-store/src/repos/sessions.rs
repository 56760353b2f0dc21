//! Sign-in sessions.

use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[async_trait]
impl SessionRepo for Db {
    async fn insert_session(&self, s: &Session) -> RepoResult<()> {
        let s = s.clone();
        self.run(move |conn| {
            diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(s.id.0),
                    sessions::user_id.eq(s.user_id.0),
                    sessions::auth_time.eq(s.auth_time.0),
                    sessions::created_at.eq(s.created_at.0),
                    sessions::last_active_at.eq(s.last_active_at.0),
                    sessions::expires_at.eq(s.expires_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_session(&self, id: &SessionId) -> RepoResult<Option<Session>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<(String, String, i64, i64, i64, i64)> = sessions::table
                .find(id)
                .select((
                    sessions::id,
                    sessions::user_id,
                    sessions::auth_time,
                    sessions::created_at,
                    sessions::last_active_at,
                    sessions::expires_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(id, user, auth, created, active, exp)| Session {
                id: SessionId(id),
                user_id: UserId(user),
                auth_time: Timestamp(auth),
                created_at: Timestamp(created),
                last_active_at: Timestamp(active),
                expires_at: Timestamp(exp),
            }))
        })
        .await
    }

    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> RepoResult<()> {
        let id = id.0.clone();
        self.run(move |conn| {
            diesel::update(sessions::table.find(id)).set(sessions::last_active_at.eq(at.0)).execute(conn).map(|_| ())
        })
        .await
    }

    async fn delete_session(&self, id: &SessionId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(sessions::table.find(id)).execute(conn)? > 0)).await
    }

    async fn list_user_sessions(&self, user: &UserId) -> RepoResult<Vec<Session>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, i64, i64, i64, i64)> = sessions::table
                .filter(sessions::user_id.eq(user))
                .order((sessions::created_at.desc(), sessions::id.asc()))
                .select((
                    sessions::id,
                    sessions::user_id,
                    sessions::auth_time,
                    sessions::created_at,
                    sessions::last_active_at,
                    sessions::expires_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, user, auth, created, active, exp)| Session {
                    id: SessionId(id),
                    user_id: UserId(user),
                    auth_time: Timestamp(auth),
                    created_at: Timestamp(created),
                    last_active_at: Timestamp(active),
                    expires_at: Timestamp(exp),
                })
                .collect())
        })
        .await
    }

    async fn delete_user_sessions(&self, user: &UserId) -> RepoResult<u64> {
        let user = user.0.clone();
        self.run(move |conn| {
            let n = diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}

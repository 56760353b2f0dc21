//! Sign-in sessions.

use super::{Conn, QResult, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct SessionRow {
    id: String,
    user_id: String,
    auth_time: i64,
    created_at: i64,
    last_active_at: i64,
    expires_at: i64,
    amr: String,
    user_agent: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: SessionId(r.id),
            user_id: UserId(r.user_id),
            auth_time: Timestamp(r.auth_time),
            created_at: Timestamp(r.created_at),
            last_active_at: Timestamp(r.last_active_at),
            expires_at: Timestamp(r.expires_at),
            amr: super::split_amr(&r.amr),
            user_agent: r.user_agent,
        }
    }
}

pub(super) fn delete_session(conn: &mut Conn, id: &SessionId) -> QResult<bool> {
    Ok(diesel::delete(sessions::table.find(id.as_str())).execute(conn)? > 0)
}

/// Deletes every session of `user`; returns how many.
pub(super) fn delete_user_sessions(conn: &mut Conn, user: &UserId) -> QResult<u64> {
    let n = diesel::delete(sessions::table.filter(sessions::user_id.eq(user.as_str()))).execute(conn)?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}

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
                    sessions::amr.eq(s.amr.join(" ")),
                    sessions::user_agent.eq(s.user_agent),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_session(&self, id: &SessionId) -> RepoResult<Option<Session>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(sessions::table.find(id).select(SessionRow::as_select()).first(conn).optional()?.map(Session::from))
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
        let id = id.clone();
        self.run(move |conn| delete_session(conn, &id)).await
    }

    async fn list_user_sessions(&self, user: &UserId) -> RepoResult<Vec<Session>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows = sessions::table
                .filter(sessions::user_id.eq(user))
                .order((sessions::created_at.desc(), sessions::id.asc()))
                .select(SessionRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(Session::from).collect())
        })
        .await
    }

    async fn page_user_sessions(&self, user: &UserId, now: Timestamp, page: Page) -> RepoResult<(Vec<Session>, i64)> {
        let user = user.0.clone();
        self.run(move |conn| {
            let live = sessions::user_id.eq(user).and(sessions::expires_at.gt(now.0));
            let total: i64 = sessions::table.filter(live.clone()).count().get_result(conn)?;
            let rows = sessions::table
                .filter(live)
                .order((sessions::created_at.desc(), sessions::id.asc()))
                .limit(limit(page))
                .offset(page.offset())
                .select(SessionRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(Session::from).collect(), total))
        })
        .await
    }

    async fn delete_user_sessions(&self, user: &UserId) -> RepoResult<u64> {
        let user = user.clone();
        self.run(move |conn| delete_user_sessions(conn, &user)).await
    }
}

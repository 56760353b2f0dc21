//! Opaque access tokens and refresh tokens.

use super::{Conn, QResult, json_text};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

/// Deletes every opaque access and refresh token issued under `grant`; returns how many.
pub(super) fn revoke_grant_tokens(conn: &mut Conn, grant: &GrantId) -> QResult<u64> {
    let g = grant.as_str();
    let a = diesel::delete(access_tokens::table.filter(access_tokens::grant_id.eq(g))).execute(conn)?;
    let r = diesel::delete(refresh_tokens::table.filter(refresh_tokens::grant_id.eq(g))).execute(conn)?;
    Ok(u64::try_from(a + r).unwrap_or(u64::MAX))
}

/// Deletes every opaque access and refresh token issued to `user`, under any grant.
pub(super) fn revoke_user_tokens(conn: &mut Conn, user: &UserId) -> QResult<()> {
    let u = user.as_str();
    diesel::delete(access_tokens::table.filter(access_tokens::user_id.eq(u))).execute(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(u))).execute(conn)?;
    Ok(())
}

fn insert_access(conn: &mut Conn, t: &AccessTokenRecord) -> QResult<()> {
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::token_hash.eq(&t.token_hash),
            access_tokens::application_id.eq(t.application_id.as_str()),
            access_tokens::user_id.eq(t.user_id.as_ref().map(UserId::as_str)),
            access_tokens::grant_id.eq(t.grant_id.as_ref().map(GrantId::as_str)),
            access_tokens::scope.eq(&t.scope),
            access_tokens::issued_at.eq(t.issued_at.0),
            access_tokens::expires_at.eq(t.expires_at.0),
            access_tokens::family_id.eq(&t.family),
        ))
        .execute(conn)
        .map(|_| ())
}

fn insert_refresh(conn: &mut Conn, t: &RefreshTokenRecord) -> QResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(&t.token_hash),
            refresh_tokens::grant_id.eq(t.grant_id.as_str()),
            refresh_tokens::application_id.eq(t.application_id.as_str()),
            refresh_tokens::user_id.eq(t.user_id.as_str()),
            refresh_tokens::scope.eq(&t.scope),
            refresh_tokens::resources.eq(json_text(&t.resources)),
            refresh_tokens::auth_time.eq(t.auth_time.0),
            refresh_tokens::issued_at.eq(t.issued_at.0),
            refresh_tokens::expires_at.eq(t.expires_at.0),
            refresh_tokens::consumed_at.eq(t.consumed_at.map(|c| c.0)),
            refresh_tokens::family_id.eq(&t.family),
            refresh_tokens::amr.eq(t.amr.join(" ")),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One conditional UPDATE: the database decides the single winner (row lock on Postgres, the
/// write lock on SQLite); a loser sees `consumed_at` set and changes 0 rows.
fn consume(conn: &mut Conn, token_hash: &str, at: Timestamp) -> QResult<bool> {
    let changed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::consumed_at.is_null()),
    )
    .set(refresh_tokens::consumed_at.eq(Some(at.0)))
    .execute(conn)?;
    Ok(changed == 1)
}

#[async_trait]
impl TokenRepo for Db {
    async fn insert_access_token(&self, t: &AccessTokenRecord) -> RepoResult<()> {
        let t = t.clone();
        self.run(move |conn| insert_access(conn, &t)).await
    }

    async fn get_access_token(&self, token_hash: &str) -> RepoResult<Option<AccessTokenRecord>> {
        let h = token_hash.to_owned();
        self.run(move |conn| {
            type Row = (String, String, Option<String>, Option<String>, Option<String>, String, i64, i64);
            let row: Option<Row> = access_tokens::table
                .find(h)
                .select((
                    access_tokens::token_hash,
                    access_tokens::application_id,
                    access_tokens::user_id,
                    access_tokens::grant_id,
                    access_tokens::family_id,
                    access_tokens::scope,
                    access_tokens::issued_at,
                    access_tokens::expires_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(token_hash, app, user, grant, family, scope, iat, exp)| AccessTokenRecord {
                token_hash,
                application_id: ApplicationId(app),
                user_id: user.map(UserId),
                grant_id: grant.map(GrantId),
                family,
                scope,
                issued_at: Timestamp(iat),
                expires_at: Timestamp(exp),
            }))
        })
        .await
    }

    async fn revoke_grant_tokens(&self, grant: &GrantId) -> RepoResult<u64> {
        let g = grant.clone();
        self.tx(move |conn| revoke_grant_tokens(conn, &g)).await
    }

    async fn revoke_token_family(&self, family: &str) -> RepoResult<u64> {
        let f = family.to_owned();
        self.tx(move |conn| {
            if f.is_empty() {
                return Ok(0);
            }
            let a = diesel::delete(access_tokens::table.filter(access_tokens::family_id.eq(&f))).execute(conn)?;
            let r = diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq(&f))).execute(conn)?;
            Ok(u64::try_from(a + r).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn delete_access_token(&self, token_hash: &str) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| Ok(diesel::delete(access_tokens::table.find(h)).execute(conn)? > 0)).await
    }

    async fn delete_grant_access_tokens(&self, grant: &GrantId) -> RepoResult<u64> {
        let g = grant.0.clone();
        self.run(move |conn| {
            let n = diesel::delete(access_tokens::table.filter(access_tokens::grant_id.eq(g))).execute(conn)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn insert_refresh_token(&self, t: &RefreshTokenRecord) -> RepoResult<()> {
        let t = t.clone();
        self.run(move |conn| insert_refresh(conn, &t)).await
    }

    async fn get_refresh_token(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>> {
        let h = token_hash.to_owned();
        self.run(move |conn| {
            type Row = (String, String, String, String, String, String, String, i64, String, i64, i64, Option<i64>);
            let row: Option<Row> = refresh_tokens::table
                .find(h)
                .select((
                    refresh_tokens::token_hash,
                    refresh_tokens::grant_id,
                    refresh_tokens::application_id,
                    refresh_tokens::user_id,
                    refresh_tokens::family_id,
                    refresh_tokens::scope,
                    refresh_tokens::resources,
                    refresh_tokens::auth_time,
                    refresh_tokens::amr,
                    refresh_tokens::issued_at,
                    refresh_tokens::expires_at,
                    refresh_tokens::consumed_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(token_hash, grant, app, user, family, scope, resources, auth, amr, iat, exp, consumed)| {
                RefreshTokenRecord {
                    token_hash,
                    grant_id: GrantId(grant),
                    application_id: ApplicationId(app),
                    user_id: UserId(user),
                    family,
                    scope,
                    resources: serde_json::from_str(&resources).unwrap_or_default(),
                    auth_time: Timestamp(auth),
                    amr: super::split_amr(&amr),
                    issued_at: Timestamp(iat),
                    expires_at: Timestamp(exp),
                    consumed_at: consumed.map(Timestamp),
                }
            }))
        })
        .await
    }

    async fn consume_refresh_token(&self, token_hash: &str, at: Timestamp) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| consume(conn, &h, at)).await
    }

    async fn rotate_refresh_token(
        &self,
        old: &str,
        at: Timestamp,
        next: &RefreshTokenRecord,
        access: Option<&AccessTokenRecord>,
    ) -> RepoResult<bool> {
        let (old, next, access) = (old.to_owned(), next.clone(), access.cloned());
        self.run(move |conn| {
            conn.transaction(|conn| {
                if !consume(conn, &old, at)? {
                    return Ok(false);
                }
                insert_refresh(conn, &next)?;
                if let Some(a) = &access {
                    insert_access(conn, a)?;
                }
                Ok(true)
            })
        })
        .await
    }

    async fn delete_refresh_token(&self, token_hash: &str) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| Ok(diesel::delete(refresh_tokens::table.find(h)).execute(conn)? > 0)).await
    }
}

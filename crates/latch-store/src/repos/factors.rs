//! Second factors and recovery codes.

use super::{Conn, QResult};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = mfa_factors)]
struct FactorRow {
    id: String,
    user_id: String,
    kind: String,
    name: String,
    secret: String,
    last_used_step: Option<i64>,
    created_at: i64,
    last_used_at: Option<i64>,
    credential_id: Option<String>,
}

impl FactorRow {
    /// The factor, when its kind is one Latch knows (the column's CHECK allows no other).
    fn into_factor(self) -> Option<MfaFactor> {
        Some(MfaFactor {
            id: FactorId(self.id),
            user_id: UserId(self.user_id),
            kind: FactorKind::parse(&self.kind)?,
            name: self.name,
            secret: self.secret,
            last_used_step: self.last_used_step,
            created_at: Timestamp(self.created_at),
            last_used_at: self.last_used_at.map(Timestamp),
            credential_id: self.credential_id,
        })
    }
}

pub(super) fn insert_factor(conn: &mut Conn, f: &MfaFactor) -> QResult<()> {
    diesel::insert_into(mfa_factors::table)
        .values((
            mfa_factors::id.eq(f.id.as_str()),
            mfa_factors::user_id.eq(f.user_id.as_str()),
            mfa_factors::kind.eq(f.kind.as_str()),
            mfa_factors::name.eq(&f.name),
            mfa_factors::secret.eq(&f.secret),
            mfa_factors::last_used_step.eq(f.last_used_step),
            mfa_factors::created_at.eq(f.created_at.0),
            mfa_factors::last_used_at.eq(f.last_used_at.map(|t| t.0)),
            mfa_factors::credential_id.eq(&f.credential_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Deletes `user`'s factor `id`; whether there was one.
pub(super) fn delete_factor(conn: &mut Conn, user: &UserId, id: &FactorId) -> QResult<bool> {
    let mine =
        mfa_factors::table.filter(mfa_factors::id.eq(id.as_str())).filter(mfa_factors::user_id.eq(user.as_str()));
    Ok(diesel::delete(mine).execute(conn)? > 0)
}

/// Deletes every factor and recovery code of `user`.
pub(super) fn delete_user_factors(conn: &mut Conn, user: &UserId) -> QResult<()> {
    diesel::delete(mfa_factors::table.filter(mfa_factors::user_id.eq(user.as_str()))).execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.as_str()))).execute(conn)?;
    Ok(())
}

/// Replaces `user`'s recovery codes with `hashes`.
pub(super) fn set_recovery_codes(conn: &mut Conn, user: &UserId, hashes: &[String]) -> QResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.as_str()))).execute(conn)?;
    for h in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((recovery_codes::user_id.eq(user.as_str()), recovery_codes::code_hash.eq(h)))
            .execute(conn)?;
    }
    Ok(())
}

#[async_trait]
impl FactorRepo for Db {
    async fn list_user_factors(&self, user: &UserId) -> RepoResult<Vec<MfaFactor>> {
        let user = user.as_str().to_owned();
        self.run(move |conn| {
            let rows: Vec<FactorRow> = mfa_factors::table
                .filter(mfa_factors::user_id.eq(&user))
                .order((mfa_factors::created_at.asc(), mfa_factors::id.asc()))
                .select(FactorRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().filter_map(FactorRow::into_factor).collect())
        })
        .await
    }

    async fn use_totp_step(&self, factor: &FactorId, step: i64, at: Timestamp) -> RepoResult<bool> {
        let id = factor.as_str().to_owned();
        self.run(move |conn| {
            // One statement: of two entries of one code racing, one moves the step on.
            let earlier = mfa_factors::last_used_step.is_null().or(mfa_factors::last_used_step.lt(step));
            let changed = diesel::update(mfa_factors::table.filter(mfa_factors::id.eq(&id)).filter(earlier))
                .set((mfa_factors::last_used_step.eq(Some(step)), mfa_factors::last_used_at.eq(Some(at.0))))
                .execute(conn)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn find_passkey(&self, credential_id: &str) -> RepoResult<Option<MfaFactor>> {
        let id = credential_id.to_owned();
        self.run(move |conn| {
            let row: Option<FactorRow> = mfa_factors::table
                .filter(mfa_factors::credential_id.eq(&id))
                .select(FactorRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.and_then(FactorRow::into_factor).filter(|f| f.kind == FactorKind::Passkey))
        })
        .await
    }

    async fn use_passkey(&self, factor: &FactorId, previous: &str, secret: &str, at: Timestamp) -> RepoResult<bool> {
        let (id, previous, secret) = (factor.as_str().to_owned(), previous.to_owned(), secret.to_owned());
        self.run(move |conn| {
            // Compare and swap: of two uses racing, the one that read the newer state wins.
            let mine = mfa_factors::table.filter(mfa_factors::id.eq(&id)).filter(mfa_factors::secret.eq(&previous));
            let changed = diesel::update(mine)
                .set((mfa_factors::secret.eq(&secret), mfa_factors::last_used_at.eq(Some(at.0))))
                .execute(conn)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn count_recovery_codes(&self, user: &UserId) -> RepoResult<u64> {
        let user = user.as_str().to_owned();
        self.run(move |conn| {
            let n: i64 = recovery_codes::table
                .filter(recovery_codes::user_id.eq(&user))
                .filter(recovery_codes::used_at.is_null())
                .count()
                .get_result(conn)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn use_recovery_code(&self, user: &UserId, code_hash: &str, at: Timestamp) -> RepoResult<bool> {
        let (user, hash) = (user.as_str().to_owned(), code_hash.to_owned());
        self.run(move |conn| {
            let unused = recovery_codes::table
                .filter(recovery_codes::user_id.eq(&user))
                .filter(recovery_codes::code_hash.eq(&hash))
                .filter(recovery_codes::used_at.is_null());
            Ok(diesel::update(unused).set(recovery_codes::used_at.eq(Some(at.0))).execute(conn)? == 1)
        })
        .await
    }
}

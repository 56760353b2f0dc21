//! Token signing keys.

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
#[diesel(table_name = signing_keys)]
struct KeyRow {
    kid: String,
    alg: String,
    state: String,
    private_jwe: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl From<KeyRow> for SigningKey {
    fn from(r: KeyRow) -> Self {
        SigningKey {
            kid: KeyId(r.kid),
            alg: r.alg,
            state: KeyState::parse(&r.state).unwrap_or(KeyState::Previous),
            private_jwe: r.private_jwe,
            public_jwk: r.public_jwk,
            created_at: Timestamp(r.created_at),
            retired_at: r.retired_at.map(Timestamp),
        }
    }
}

pub(super) fn insert_signing_key(conn: &mut Conn, k: &SigningKey) -> QResult<()> {
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(k.kid.as_str()),
            signing_keys::alg.eq(&k.alg),
            signing_keys::state.eq(k.state.as_str()),
            signing_keys::private_jwe.eq(&k.private_jwe),
            signing_keys::public_jwk.eq(&k.public_jwk),
            signing_keys::created_at.eq(k.created_at.0),
            signing_keys::retired_at.eq(k.retired_at.map(|t| t.0)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn set_signing_key_state(conn: &mut Conn, kid: &KeyId, state: KeyState) -> QResult<bool> {
    Ok(diesel::update(signing_keys::table.find(kid.as_str()))
        .set(signing_keys::state.eq(state.as_str()))
        .execute(conn)?
        > 0)
}

/// Marks the key previous as of `at`.
pub(super) fn retire_signing_key(conn: &mut Conn, kid: &KeyId, at: Timestamp) -> QResult<bool> {
    let n = diesel::update(signing_keys::table.find(kid.as_str()))
        .set((signing_keys::state.eq(KeyState::Previous.as_str()), signing_keys::retired_at.eq(Some(at.0))))
        .execute(conn)?;
    Ok(n > 0)
}

pub(super) fn delete_signing_key(conn: &mut Conn, kid: &KeyId) -> QResult<bool> {
    Ok(diesel::delete(signing_keys::table.find(kid.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl KeyRepo for Db {
    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKey>> {
        self.run(move |conn| {
            let rows = signing_keys::table
                .order((signing_keys::created_at, signing_keys::kid))
                .select(KeyRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(SigningKey::from).collect())
        })
        .await
    }

    async fn page_signing_keys(&self, page: Page) -> RepoResult<(Vec<SigningKey>, i64)> {
        self.run(move |conn| {
            let total: i64 = signing_keys::table.count().get_result(conn)?;
            let rows = signing_keys::table
                .order((signing_keys::created_at, signing_keys::kid))
                .limit(limit(page))
                .offset(page.offset())
                .select(KeyRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(SigningKey::from).collect(), total))
        })
        .await
    }

    async fn insert_signing_key(&self, k: &SigningKey) -> RepoResult<()> {
        let k = k.clone();
        self.run(move |conn| insert_signing_key(conn, &k)).await
    }

    async fn set_signing_key_state(&self, kid: &KeyId, state: KeyState) -> RepoResult<bool> {
        let kid = kid.clone();
        self.run(move |conn| set_signing_key_state(conn, &kid, state)).await
    }

    async fn retire_signing_key(&self, kid: &KeyId, at: Timestamp) -> RepoResult<bool> {
        let kid = kid.clone();
        self.run(move |conn| retire_signing_key(conn, &kid, at)).await
    }

    async fn delete_signing_key(&self, kid: &KeyId) -> RepoResult<bool> {
        let kid = kid.clone();
        self.run(move |conn| delete_signing_key(conn, &kid)).await
    }
}

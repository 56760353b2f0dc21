//! Token signing keys.

use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[async_trait]
impl KeyRepo for Db {
    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKey>> {
        self.run(move |conn| {
            let rows: Vec<(String, String, String, String, String, i64, Option<i64>)> = signing_keys::table
                .order((signing_keys::created_at, signing_keys::kid))
                .select((
                    signing_keys::kid,
                    signing_keys::alg,
                    signing_keys::state,
                    signing_keys::private_jwe,
                    signing_keys::public_jwk,
                    signing_keys::created_at,
                    signing_keys::retired_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(kid, alg, state, private_jwe, public_jwk, created, retired)| SigningKey {
                    kid: KeyId(kid),
                    alg,
                    state: KeyState::parse(&state).unwrap_or(KeyState::Previous),
                    private_jwe,
                    public_jwk,
                    created_at: Timestamp(created),
                    retired_at: retired.map(Timestamp),
                })
                .collect())
        })
        .await
    }

    async fn insert_signing_key(&self, k: &SigningKey) -> RepoResult<()> {
        let k = k.clone();
        self.run(move |conn| {
            diesel::insert_into(signing_keys::table)
                .values((
                    signing_keys::kid.eq(k.kid.0),
                    signing_keys::alg.eq(k.alg),
                    signing_keys::state.eq(k.state.as_str()),
                    signing_keys::private_jwe.eq(k.private_jwe),
                    signing_keys::public_jwk.eq(k.public_jwk),
                    signing_keys::created_at.eq(k.created_at.0),
                    signing_keys::retired_at.eq(k.retired_at.map(|t| t.0)),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn set_signing_key_state(&self, kid: &KeyId, state: KeyState) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| {
            Ok(diesel::update(signing_keys::table.find(kid))
                .set(signing_keys::state.eq(state.as_str()))
                .execute(conn)?
                > 0)
        })
        .await
    }

    async fn retire_signing_key(&self, kid: &KeyId, at: Timestamp) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| {
            let n = diesel::update(signing_keys::table.find(kid))
                .set((signing_keys::state.eq(KeyState::Previous.as_str()), signing_keys::retired_at.eq(Some(at.0))))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_signing_key(&self, kid: &KeyId) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| Ok(diesel::delete(signing_keys::table.find(kid)).execute(conn)? > 0)).await
    }
}

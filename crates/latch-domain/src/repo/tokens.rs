//! Opaque access tokens and refresh tokens.

use super::RepoResult;
use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait TokenRepo: Send + Sync {
    async fn insert_access_token(&self, token: &AccessTokenRecord) -> RepoResult<()>;
    async fn get_access_token(&self, token_hash: &str) -> RepoResult<Option<AccessTokenRecord>>;
    /// Deletes every opaque access and refresh token issued under `grant`; returns how many.
    async fn revoke_grant_tokens(&self, grant: &GrantId) -> RepoResult<u64>;
    /// Deletes every refresh and opaque access token of a token family; an empty family
    /// names nothing.
    async fn revoke_token_family(&self, family: &str) -> RepoResult<u64>;
    async fn delete_access_token(&self, token_hash: &str) -> RepoResult<bool>;
    /// Deletes the opaque access tokens issued under `grant` (its refresh tokens stay).
    async fn delete_grant_access_tokens(&self, grant: &GrantId) -> RepoResult<u64>;
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> RepoResult<()>;
    async fn get_refresh_token(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>>;
    /// Marks the token rotated out at `at`, atomically: `true` only for the one caller that
    /// changed it from unconsumed to consumed (RFC 9700 §4.14.2), so of many concurrent uses
    /// exactly one wins.
    async fn consume_refresh_token(&self, token_hash: &str, at: Timestamp) -> RepoResult<bool>;
    /// A refresh in one transaction: consumes `old` as [`TokenRepo::consume_refresh_token`]
    /// does and, only when this caller won, stores its successor and the opaque access token
    /// issued with it. `false` (nothing written) when `old` was already consumed.
    async fn rotate_refresh_token(
        &self,
        old: &str,
        at: Timestamp,
        next: &RefreshTokenRecord,
        access: Option<&AccessTokenRecord>,
    ) -> RepoResult<bool>;
    async fn delete_refresh_token(&self, token_hash: &str) -> RepoResult<bool>;
}

//! Second factors (TOTP, passkeys) and recovery codes.

use super::RepoResult;
use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait FactorRepo: Send + Sync {
    /// `user`'s second factors, oldest first.
    async fn list_user_factors(&self, user: &UserId) -> RepoResult<Vec<MfaFactor>>;
    /// Records TOTP `step` as used by `factor` at `at`, when it is later than the last step
    /// used: `false` when it is not (a replay, or a racing entry of the same code that won).
    async fn use_totp_step(&self, factor: &FactorId, step: i64, at: Timestamp) -> RepoResult<bool>;
    /// The passkey whose credential id (base64url) is `credential_id`.
    async fn find_passkey(&self, credential_id: &str) -> RepoResult<Option<MfaFactor>>;
    /// Stores passkey `factor` as `secret` after a use at `at` (its counter and backup state),
    /// when it is still stored as `previous`: `false` when another use changed it first.
    async fn use_passkey(&self, factor: &FactorId, previous: &str, secret: &str, at: Timestamp) -> RepoResult<bool>;
    /// How many of `user`'s recovery codes are left.
    async fn count_recovery_codes(&self, user: &UserId) -> RepoResult<u64>;
    /// Uses `user`'s recovery code stored as `code_hash`, once: `false` when there is no such
    /// unused code.
    async fn use_recovery_code(&self, user: &UserId, code_hash: &str, at: Timestamp) -> RepoResult<bool>;
}

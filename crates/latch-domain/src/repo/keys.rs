//! Signing keys.

use super::{Page, RepoResult};
use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait KeyRepo: Send + Sync {
    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKey>>;
    /// A page of [`list_signing_keys`](Self::list_signing_keys), and the total.
    async fn page_signing_keys(&self, page: Page) -> RepoResult<(Vec<SigningKey>, i64)>;
    async fn insert_signing_key(&self, key: &SigningKey) -> RepoResult<()>;
    async fn set_signing_key_state(&self, kid: &KeyId, state: KeyState) -> RepoResult<bool>;
    /// Marks a key previous as of `at` (it stops signing and starts its grace period).
    async fn retire_signing_key(&self, kid: &KeyId, at: Timestamp) -> RepoResult<bool>;
    async fn delete_signing_key(&self, kid: &KeyId) -> RepoResult<bool>;
}

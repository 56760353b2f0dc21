//! A user's grants to applications (what they consented to).

use super::{Page, RepoResult};
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait GrantRepo: Send + Sync {
    async fn get_grant(&self, user: &UserId, app: &ApplicationId) -> RepoResult<Option<Grant>>;
    /// Inserts the grant, or replaces the details of the existing one of the same user and app.
    async fn save_grant(&self, grant: &Grant) -> RepoResult<()>;
    async fn delete_grant(&self, id: &GrantId) -> RepoResult<bool>;
    /// Every grant of `user` (one per application), oldest first.
    async fn list_user_grants(&self, user: &UserId) -> RepoResult<Vec<Grant>>;
    /// A page of [`list_user_grants`](Self::list_user_grants), and the total.
    async fn page_user_grants(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Grant>, i64)>;
    async fn get_grant_by_id(&self, id: &GrantId) -> RepoResult<Option<Grant>>;
}

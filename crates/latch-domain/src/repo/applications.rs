//! Applications and their client secrets.

use super::{Page, RepoResult};
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait ApplicationRepo: Send + Sync {
    async fn insert_application(&self, app: &Application) -> RepoResult<()>;
    /// Replaces the stored fields and URI lists of `app.id`; `false` when it does not exist.
    async fn update_application(&self, app: &Application) -> RepoResult<bool>;
    async fn get_application(&self, id: &ApplicationId) -> RepoResult<Option<Application>>;
    async fn find_application_by_name(&self, name: &str) -> RepoResult<Option<Application>>;
    /// The names of those of `ids` that exist (a list of grants shows the app's name).
    async fn application_names(&self, ids: &[ApplicationId]) -> RepoResult<Vec<(ApplicationId, String)>>;
    /// Applications ordered by creation, optionally filtered by `is_third_party`, and the total.
    async fn list_applications(&self, third_party: Option<bool>, page: Page) -> RepoResult<(Vec<Application>, i64)>;
    async fn delete_application(&self, id: &ApplicationId) -> RepoResult<bool>;
    async fn insert_secret(&self, secret: &AppSecret) -> RepoResult<()>;
    async fn list_secrets(&self, app: &ApplicationId) -> RepoResult<Vec<AppSecret>>;
    /// A page of `app`'s secrets in the order of [`list_secrets`](Self::list_secrets), and the total.
    async fn page_secrets(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<AppSecret>, i64)>;
    async fn delete_secret(&self, app: &ApplicationId, name: &str) -> RepoResult<bool>;
}

//! An application's consent-screen branding.

use super::RepoResult;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait BrandingRepo: Send + Sync {
    async fn get_branding(&self, app: &ApplicationId) -> RepoResult<Option<Branding>>;
    /// Inserts the branding of `branding.application_id`, or replaces every field of it.
    async fn put_branding(&self, branding: &Branding) -> RepoResult<()>;
    async fn delete_branding(&self, app: &ApplicationId) -> RepoResult<bool>;
}

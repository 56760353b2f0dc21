//! An application's consent-screen branding, and the identity provider's own.

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
    /// The identity provider's branding; `None` until an operator sets it. (Written through
    /// `Write::PutIdpBranding`.)
    async fn get_idp_branding(&self) -> RepoResult<Option<IdpBranding>>;
}

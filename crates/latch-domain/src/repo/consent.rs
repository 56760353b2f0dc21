//! An application's permission allow-list (consent scopes).

use super::RepoResult;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait ConsentScopeRepo: Send + Sync {
    /// The allow-list of `app`, ordered by type and reference.
    async fn list_consent_scopes(&self, app: &ApplicationId) -> RepoResult<Vec<ConsentScope>>;
    /// Adds `scopes` to the allow-list; an entry already there takes the new `required`.
    async fn add_consent_scopes(&self, app: &ApplicationId, scopes: &[ConsentScope]) -> RepoResult<()>;
    async fn delete_consent_scope(
        &self,
        app: &ApplicationId,
        scope_type: ConsentScopeType,
        scope_ref: &str,
    ) -> RepoResult<bool>;
}

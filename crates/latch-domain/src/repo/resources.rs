//! API resources and their scopes.

use super::{Page, RepoResult};
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait ResourceRepo: Send + Sync {
    async fn insert_resource(&self, resource: &Resource) -> RepoResult<()>;
    async fn get_resource_by_indicator(&self, indicator: &str) -> RepoResult<Option<Resource>>;
    async fn list_resources(&self) -> RepoResult<Vec<Resource>>;
    /// A page of resources in the order of [`list_resources`](Self::list_resources), and the total.
    async fn page_resources(&self, page: Page) -> RepoResult<(Vec<Resource>, i64)>;
    /// Replaces the name, indicator and access-token lifetime of `resource.id`; `false` when it
    /// does not exist.
    async fn update_resource(&self, resource: &Resource) -> RepoResult<bool>;
    async fn insert_scope(&self, scope: &Scope) -> RepoResult<()>;
    /// Replaces the name and description of `scope.id`; `false` when it does not exist.
    async fn update_scope(&self, scope: &Scope) -> RepoResult<bool>;
    async fn list_scopes(&self, resource: &ResourceId) -> RepoResult<Vec<Scope>>;
    /// A page of [`list_scopes`](Self::list_scopes), and the total.
    async fn page_scopes(&self, resource: &ResourceId, page: Page) -> RepoResult<(Vec<Scope>, i64)>;
    async fn get_resource(&self, id: &ResourceId) -> RepoResult<Option<Resource>>;
    /// Deletes the resource and its scopes (and their role assignments).
    async fn delete_resource(&self, id: &ResourceId) -> RepoResult<bool>;
    async fn get_scope(&self, id: &ScopeId) -> RepoResult<Option<Scope>>;
    /// The scopes among `ids` that exist, each with its resource, in one query (unknown ids
    /// are left out).
    async fn scopes_with_resources(&self, ids: &[ScopeId]) -> RepoResult<Vec<(Scope, Resource)>>;
    async fn delete_scope(&self, id: &ScopeId) -> RepoResult<bool>;
}

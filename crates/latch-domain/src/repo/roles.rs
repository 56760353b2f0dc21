//! Roles, the scopes they grant and who holds them.

use super::{Page, RepoResult};
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait RoleRepo: Send + Sync {
    async fn insert_role(&self, role: &Role) -> RepoResult<()>;
    async fn get_role_by_name(&self, name: &str) -> RepoResult<Option<Role>>;
    /// Replaces the name, description and type of `role.id`; `false` when it does not exist.
    async fn update_role(&self, role: &Role) -> RepoResult<bool>;
    async fn add_role_scopes(&self, role: &RoleId, scopes: &[ScopeId]) -> RepoResult<()>;
    /// Ids of the scopes `role` grants, sorted.
    async fn role_scope_ids(&self, role: &RoleId) -> RepoResult<Vec<ScopeId>>;
    /// Makes `scopes` exactly the scopes `role` grants.
    async fn set_role_scopes(&self, role: &RoleId, scopes: &[ScopeId]) -> RepoResult<()>;
    async fn add_user_roles(&self, user: &UserId, roles: &[RoleId]) -> RepoResult<()>;
    /// Makes `roles` exactly the roles of `user`.
    async fn set_user_roles(&self, user: &UserId, roles: &[RoleId]) -> RepoResult<()>;
    async fn add_application_roles(&self, app: &ApplicationId, roles: &[RoleId]) -> RepoResult<()>;
    /// Makes `roles` exactly the roles of `app`.
    async fn set_application_roles(&self, app: &ApplicationId, roles: &[RoleId]) -> RepoResult<()>;
    /// Names of the scopes of `resource` that `user` holds through its roles.
    async fn user_resource_scopes(&self, user: &UserId, resource: &ResourceId) -> RepoResult<Vec<String>>;
    /// Names of the scopes of `resource` that a machine-to-machine `app` holds through its roles.
    async fn application_resource_scopes(&self, app: &ApplicationId, resource: &ResourceId) -> RepoResult<Vec<String>>;
    async fn user_role_names(&self, user: &UserId) -> RepoResult<Vec<String>>;
    async fn get_role(&self, id: &RoleId) -> RepoResult<Option<Role>>;
    /// Roles ordered by creation, and the total.
    async fn list_roles(&self, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    async fn delete_role(&self, id: &RoleId) -> RepoResult<bool>;
    async fn user_roles(&self, user: &UserId) -> RepoResult<Vec<Role>>;
    async fn application_roles(&self, app: &ApplicationId) -> RepoResult<Vec<Role>>;
    /// The scopes a role grants, with their resource ids.
    async fn role_scopes(&self, role: &RoleId) -> RepoResult<Vec<Scope>>;
    /// Users holding `role`, and the total.
    async fn role_user_ids(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<UserId>, i64)>;
    /// A page of the users holding `role` (one joined query), and the total.
    async fn page_role_users(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<User>, i64)>;
    /// A page of [`role_scopes`](Self::role_scopes), and the total.
    async fn page_role_scopes(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<Scope>, i64)>;
    /// A page of [`user_roles`](Self::user_roles), and the total.
    async fn page_user_roles(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    /// A page of [`application_roles`](Self::application_roles), and the total.
    async fn page_application_roles(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    async fn remove_role_scope(&self, role: &RoleId, scope: &ScopeId) -> RepoResult<bool>;
    async fn remove_user_role(&self, user: &UserId, role: &RoleId) -> RepoResult<bool>;
    async fn remove_application_role(&self, app: &ApplicationId, role: &RoleId) -> RepoResult<bool>;
    /// Names of the roles of `app`, sorted.
    async fn application_role_names(&self, app: &ApplicationId) -> RepoResult<Vec<String>>;
}

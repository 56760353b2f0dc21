//! Organizations, their members, organization scopes and organization roles.

use super::{Page, RepoResult};
use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait OrganizationRepo: Send + Sync {
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()>;
    async fn get_organization(&self, id: &OrganizationId) -> RepoResult<Option<Organization>>;
    /// Replaces the name and description of `org.id`; `false` when it does not exist.
    async fn update_organization(&self, org: &Organization) -> RepoResult<bool>;
    /// Deletes the organization with its memberships and its members' organization roles.
    async fn delete_organization(&self, id: &OrganizationId) -> RepoResult<bool>;
    /// Organizations ordered by creation, and the total.
    async fn list_organizations(&self, page: Page) -> RepoResult<(Vec<Organization>, i64)>;

    /// Makes `users` members of `org` (joined at `at`); existing members are left as they are.
    async fn add_organization_members(&self, org: &OrganizationId, users: &[UserId], at: Timestamp) -> RepoResult<()>;
    /// Removes the membership and the member's organization roles in `org`.
    async fn remove_organization_member(&self, org: &OrganizationId, user: &UserId) -> RepoResult<bool>;
    /// Member ids in the order they joined, and the total.
    async fn list_organization_members(&self, org: &OrganizationId, page: Page) -> RepoResult<(Vec<UserId>, i64)>;
    /// A page of the members of `org` as users, in the order they joined (one joined query),
    /// and the total.
    async fn page_organization_members(
        &self,
        org: &OrganizationId,
        page: Page,
    ) -> RepoResult<(Vec<crate::entities::User>, i64)>;
    /// A page of the organization roles of `user` in `org`, by name, and the total.
    async fn page_organization_member_roles(
        &self,
        org: &OrganizationId,
        user: &UserId,
        page: Page,
    ) -> RepoResult<(Vec<OrganizationRole>, i64)>;
    async fn is_organization_member(&self, org: &OrganizationId, user: &UserId) -> RepoResult<bool>;
    /// Makes `roles` exactly the organization roles of `user` in `org`; the user must be a member
    /// (`MissingReference` otherwise, unless `roles` is empty).
    async fn set_organization_member_roles(
        &self,
        org: &OrganizationId,
        user: &UserId,
        roles: &[OrganizationRoleId],
    ) -> RepoResult<()>;
    /// The organization roles of `user` in `org`, by name.
    async fn organization_member_roles(&self, org: &OrganizationId, user: &UserId)
    -> RepoResult<Vec<OrganizationRole>>;
    /// The organization roles in `org` of each of `users` (a member list's role column), by
    /// user and then by role name; users without a role in `org` do not appear.
    async fn organization_roles_of_members(
        &self,
        org: &OrganizationId,
        users: &[UserId],
    ) -> RepoResult<Vec<(UserId, OrganizationRole)>>;
    /// The organizations `user` is a member of (id and name), by name.
    async fn user_organizations(&self, user: &UserId) -> RepoResult<Vec<(OrganizationId, String)>>;

    async fn insert_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<()>;
    async fn get_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<Option<OrganizationScope>>;
    /// The organization scopes among `ids` that exist, in one query.
    async fn organization_scopes_by_ids(&self, ids: &[OrganizationScopeId]) -> RepoResult<Vec<OrganizationScope>>;
    /// Replaces the name and description of `scope.id`; `false` when it does not exist.
    async fn update_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<bool>;
    async fn delete_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<bool>;
    /// Organization scopes by name, and the total.
    async fn list_organization_scopes(&self, page: Page) -> RepoResult<(Vec<OrganizationScope>, i64)>;

    async fn insert_organization_role(&self, role: &OrganizationRole) -> RepoResult<()>;
    async fn get_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<Option<OrganizationRole>>;
    /// Replaces the name and description of `role.id`; `false` when it does not exist.
    async fn update_organization_role(&self, role: &OrganizationRole) -> RepoResult<bool>;
    async fn delete_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<bool>;
    /// Organization roles by name, and the total.
    async fn list_organization_roles(&self, page: Page) -> RepoResult<(Vec<OrganizationRole>, i64)>;

    /// Adds organization scopes to `role`; ones it already grants are left as they are.
    async fn add_organization_role_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[OrganizationScopeId],
    ) -> RepoResult<()>;
    async fn remove_organization_role_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &OrganizationScopeId,
    ) -> RepoResult<bool>;
    /// Ids of the organization scopes `role` grants, sorted.
    async fn organization_role_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<OrganizationScopeId>>;
    /// A page of the organization scopes `role` grants, by name (one joined query), and the total.
    async fn page_organization_role_scopes(
        &self,
        role: &OrganizationRoleId,
        page: Page,
    ) -> RepoResult<(Vec<OrganizationScope>, i64)>;
    /// Adds API resource scopes to `role`; ones it already grants are left as they are.
    async fn add_organization_role_resource_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[ScopeId],
    ) -> RepoResult<()>;
    async fn remove_organization_role_resource_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &ScopeId,
    ) -> RepoResult<bool>;
    /// Ids of the API resource scopes `role` grants, sorted.
    async fn organization_role_resource_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<ScopeId>>;
    /// A page of the API resource scopes `role` grants (one joined query), and the total.
    async fn page_organization_role_resource_scopes(
        &self,
        role: &OrganizationRoleId,
        page: Page,
    ) -> RepoResult<(Vec<crate::entities::Scope>, i64)>;

    /// Names of the organization scopes `user` holds in `org` through its organization roles,
    /// sorted; empty for a non-member.
    async fn user_organization_scopes(&self, user: &UserId, org: &OrganizationId) -> RepoResult<Vec<String>>;
    /// Names of the scopes of `resource` that `user` holds in `org` through its organization
    /// roles, sorted; empty for a non-member.
    async fn user_organization_resource_scopes(
        &self,
        user: &UserId,
        org: &OrganizationId,
        resource: &ResourceId,
    ) -> RepoResult<Vec<String>>;
    /// `(organization, role name)` for every organization role of `user`, sorted (the
    /// `organization_roles` claim, `"<orgId>:<roleName>"`).
    async fn user_organization_role_names(&self, user: &UserId) -> RepoResult<Vec<(OrganizationId, String)>>;
}

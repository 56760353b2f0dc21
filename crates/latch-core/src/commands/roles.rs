//! Roles created with their scopes: the role and its scope links are one unit of work, so a
//! role never exists with only some of the scopes it was created with.

use super::{Actor, Changeset};
use crate::Core;
use crate::catalog::Change;
use latch_domain::entities::OrganizationRole;
use latch_domain::entities::Role;
use latch_domain::ids::{OrganizationScopeId, ScopeId};
use latch_domain::repo::{RepoResult, Write};
use serde_json::json;

/// Creates `role` granting `scopes` (ids of API resource scopes).
pub async fn create_role(core: &Core, actor: &Actor, role: &Role, scopes: Vec<ScopeId>) -> RepoResult<()> {
    let mut change = Changeset::new("role.create", "role", role.id.as_str(), json!({"name": role.name}), Change::Roles)
        .write(Write::InsertRole(role.clone()));
    if !scopes.is_empty() {
        change.push(Write::AddRoleScopes { role: role.id.clone(), scopes });
    }
    core.apply(actor, change).await
}

/// Creates an organization role granting organization scopes and API resource scopes.
pub async fn create_organization_role(
    core: &Core,
    actor: &Actor,
    role: &OrganizationRole,
    organization_scopes: Vec<OrganizationScopeId>,
    resource_scopes: Vec<ScopeId>,
) -> RepoResult<()> {
    let mut change = Changeset::new(
        "organization_role.create",
        "organization_role",
        role.id.as_str(),
        json!({
            "name": role.name,
            "organizationScopeIds": organization_scopes,
            "resourceScopeIds": resource_scopes,
        }),
        Change::Roles,
    )
    .write(Write::InsertOrganizationRole(role.clone()));
    if !organization_scopes.is_empty() {
        change.push(Write::AddOrganizationRoleScopes { role: role.id.clone(), scopes: organization_scopes });
    }
    if !resource_scopes.is_empty() {
        change.push(Write::AddOrganizationRoleResourceScopes { role: role.id.clone(), scopes: resource_scopes });
    }
    core.apply(actor, change).await
}

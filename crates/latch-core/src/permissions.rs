//! An application's permission allow-list with what each entry names: the resource scope and
//! its API resource, or the organization scope. The admin API shows it; the consent screen
//! plans with it. A fixed number of queries whatever the list's length.

use latch_domain::entities::{ConsentScope, ConsentScopeType, OrganizationScope, Resource, Scope};
use latch_domain::ids::{ApplicationId, OrganizationScopeId, ScopeId};
use latch_domain::repo::{RepoResult, Repositories};

/// What a permission entry names.
#[derive(Clone, Debug, PartialEq)]
pub enum Named {
    /// A user scope: the entry's `scope_ref` is its name.
    User,
    /// A resource or organization-resource scope, with its resource.
    Scope(Scope, Resource),
    Organization(OrganizationScope),
}

/// One entry of the allow-list and what it names.
#[derive(Clone, Debug, PartialEq)]
pub struct Permission {
    pub entry: ConsentScope,
    pub named: Named,
}

/// The allow-list of `app` in its stored order; entries whose scope no longer exists are left
/// out.
pub async fn of_application(repos: &dyn Repositories, app: &ApplicationId) -> RepoResult<Vec<Permission>> {
    named(repos, repos.list_consent_scopes(app).await?).await
}

/// `all` with what each entry names, in order; entries whose scope no longer exists are left
/// out.
pub async fn named(repos: &dyn Repositories, all: Vec<ConsentScope>) -> RepoResult<Vec<Permission>> {
    let is_resource =
        |c: &ConsentScope| matches!(c.scope_type, ConsentScopeType::Resource | ConsentScopeType::OrganizationResource);
    let scope_ids: Vec<ScopeId> = all.iter().filter(|c| is_resource(c)).map(|c| ScopeId(c.scope_ref.clone())).collect();
    let org_ids: Vec<OrganizationScopeId> = all
        .iter()
        .filter(|c| c.scope_type == ConsentScopeType::Organization)
        .map(|c| OrganizationScopeId(c.scope_ref.clone()))
        .collect();
    let scopes = repos.scopes_with_resources(&scope_ids).await?;
    let org_scopes = repos.organization_scopes_by_ids(&org_ids).await?;
    Ok(all
        .into_iter()
        .filter_map(|entry| {
            let named = match entry.scope_type {
                ConsentScopeType::User => Named::User,
                ConsentScopeType::Resource | ConsentScopeType::OrganizationResource => {
                    let (s, r) = scopes.iter().find(|(s, _)| s.id.as_str() == entry.scope_ref)?;
                    Named::Scope(s.clone(), r.clone())
                }
                ConsentScopeType::Organization => {
                    Named::Organization(org_scopes.iter().find(|s| s.id.as_str() == entry.scope_ref)?.clone())
                }
            };
            Some(Permission { entry, named })
        })
        .collect())
}

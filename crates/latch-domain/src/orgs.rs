//! Organizations, application permissions (consent scopes), consent-screen branding and a user's
//! grants: the entities and the repository traits the admin API and the consent screen use.

use crate::clock::Timestamp;
use crate::entities::Grant;
use crate::fields::{self, FieldError};
use crate::ids::*;
use crate::repo::{Page, RepoResult};
use async_trait::async_trait;

/// A group of users (a customer, a team) with roles that hold only inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
}

/// A permission that exists in every organization (`invite:member`, …); requested by its bare name.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationScope {
    pub id: OrganizationScopeId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// A role a member holds inside one organization; grants organization scopes and API resource
/// scopes there.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationRole {
    pub id: OrganizationRoleId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

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
    /// The organizations `user` is a member of (id and name), by name.
    async fn user_organizations(&self, user: &UserId) -> RepoResult<Vec<(OrganizationId, String)>>;

    async fn insert_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<()>;
    async fn get_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<Option<OrganizationScope>>;
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

/// The four kinds of permission a third-party app may be allowed to ask for (DESIGN.md
/// "Third-party app rules").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentScopeType {
    /// An OIDC user scope (`email`, `profile`, …), referenced by name.
    User,
    /// An API resource scope, referenced by its id.
    Resource,
    /// An organization scope, referenced by its id.
    Organization,
    /// An API resource scope granted through organization roles, referenced by its id.
    OrganizationResource,
}

impl ConsentScopeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentScopeType::User => "user",
            ConsentScopeType::Resource => "resource",
            ConsentScopeType::Organization => "organization",
            ConsentScopeType::OrganizationResource => "organization_resource",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentScopeType> {
        match s {
            "user" => Some(ConsentScopeType::User),
            "resource" => Some(ConsentScopeType::Resource),
            "organization" => Some(ConsentScopeType::Organization),
            "organization_resource" => Some(ConsentScopeType::OrganizationResource),
            _ => None,
        }
    }
}

/// One entry of an application's permission allow-list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentScope {
    pub scope_type: ConsentScopeType,
    /// A user-scope name, or the id of a scope of `scope_type`.
    pub scope_ref: String,
    /// `false`: the user may untick it on the consent screen.
    pub required: bool,
}

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

/// What the consent screen shows of an application (its "sign-in experience").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Branding {
    pub application_id: ApplicationId,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    pub color: Option<String>,
    pub updated_at: Timestamp,
}

/// A branding field that breaks a rule: which field (camelCase, as the admin API names it), a
/// stable code and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandingError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Branding {
    /// The rules every branding obeys, stored or drafted for the console's preview
    /// (`crate::fields`): a display name, https URLs (never `javascript:` or `data:`), a color.
    pub fn validate(&self) -> Result<(), BrandingError> {
        if let Some(name) = &self.display_name {
            fields::display_name(name).map_err(|e| BrandingError {
                field: "displayName",
                code: if e == FieldError::Empty { "request.empty" } else { "request.too_long" },
                message: format!("displayName {e}"),
            })?;
        }
        for (field, v) in [
            ("logoUrl", &self.logo_url),
            ("darkLogoUrl", &self.dark_logo_url),
            ("termsOfUseUrl", &self.terms_of_use_url),
            ("privacyPolicyUrl", &self.privacy_policy_url),
        ] {
            if let Some(v) = v {
                fields::web_url(v).map_err(|e| BrandingError {
                    field,
                    code: "branding.invalid_url",
                    message: e.to_string(),
                })?;
            }
        }
        if let Some(c) = &self.color {
            fields::color(c).map_err(|e| BrandingError {
                field: "color",
                code: "branding.invalid_color",
                message: e.to_string(),
            })?;
        }
        Ok(())
    }
}

#[async_trait]
pub trait BrandingRepo: Send + Sync {
    async fn get_branding(&self, app: &ApplicationId) -> RepoResult<Option<Branding>>;
    /// Inserts the branding of `branding.application_id`, or replaces every field of it.
    async fn put_branding(&self, branding: &Branding) -> RepoResult<()>;
    async fn delete_branding(&self, app: &ApplicationId) -> RepoResult<bool>;
}

#[async_trait]
pub trait GrantListRepo: Send + Sync {
    /// Every grant of `user` (one per application), oldest first.
    async fn list_user_grants(&self, user: &UserId) -> RepoResult<Vec<Grant>>;
    /// A page of [`list_user_grants`](Self::list_user_grants), and the total.
    async fn page_user_grants(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Grant>, i64)>;
    async fn get_grant_by_id(&self, id: &GrantId) -> RepoResult<Option<Grant>>;
}

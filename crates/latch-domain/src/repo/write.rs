//! The unit of work: every change to durable data is a list of [`Write`]s that
//! [`Repositories::commit`](super::Repositories::commit) applies in order, in one database
//! transaction: all of them or none. Commands in `latch-core` build the list (the change and its
//! audit entry together), so a crash or a failed step never leaves half an object behind.

use crate::clock::Timestamp;
use crate::entities::*;
use crate::entities::{
    Branding, ConsentScope, ConsentScopeType, IdpBranding, Organization, OrganizationRole, OrganizationScope,
};
use crate::ids::*;

/// One durable change. Updates, deletes and removals name one existing row: when it is not
/// there the whole unit fails with [`RepoError::NotFound`](super::RepoError::NotFound) and
/// nothing is written. "Add" writes of link rows leave existing links as they are
/// (`INSERT … ON CONFLICT DO NOTHING`); "set" writes make the links exactly the given list.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    InsertApplication(Application),
    UpdateApplication(Application),
    DeleteApplication(ApplicationId),
    InsertSecret(AppSecret),
    DeleteSecret {
        app: ApplicationId,
        name: String,
    },

    InsertUser(User),
    UpdateUser(User),
    DeleteUser(UserId),
    /// Ends every session of a user (none is fine).
    DeleteUserSessions(UserId),
    DeleteSession(SessionId),
    InsertFactor(MfaFactor),
    DeleteFactor {
        user: UserId,
        id: FactorId,
    },
    /// Deletes every second factor and recovery code of a user (an operator's "reset MFA").
    DeleteUserFactors(UserId),
    /// Replaces a user's recovery codes with fresh ones (their hashes).
    SetRecoveryCodes {
        user: UserId,
        hashes: Vec<String>,
    },
    /// Deletes every opaque access and refresh token issued to a user, under any grant; the
    /// grants stay, so apps sign the user in again without asking for consent.
    RevokeUserTokens(UserId),
    /// Deletes a grant with every opaque access and refresh token issued under it.
    RevokeGrant(GrantId),

    InsertResource(Resource),
    UpdateResource(Resource),
    DeleteResource(ResourceId),
    InsertScope(Scope),
    UpdateScope(Scope),
    DeleteScope(ScopeId),

    InsertRole(Role),
    UpdateRole(Role),
    DeleteRole(RoleId),
    AddRoleScopes {
        role: RoleId,
        scopes: Vec<ScopeId>,
    },
    SetRoleScopes {
        role: RoleId,
        scopes: Vec<ScopeId>,
    },
    RemoveRoleScope {
        role: RoleId,
        scope: ScopeId,
    },
    AddUserRoles {
        user: UserId,
        roles: Vec<RoleId>,
    },
    SetUserRoles {
        user: UserId,
        roles: Vec<RoleId>,
    },
    RemoveUserRole {
        user: UserId,
        role: RoleId,
    },
    AddApplicationRoles {
        app: ApplicationId,
        roles: Vec<RoleId>,
    },
    SetApplicationRoles {
        app: ApplicationId,
        roles: Vec<RoleId>,
    },
    RemoveApplicationRole {
        app: ApplicationId,
        role: RoleId,
    },

    InsertOrganization(Organization),
    UpdateOrganization(Organization),
    DeleteOrganization(OrganizationId),
    AddOrganizationMembers {
        org: OrganizationId,
        users: Vec<UserId>,
        at: Timestamp,
    },
    RemoveOrganizationMember {
        org: OrganizationId,
        user: UserId,
    },
    /// The user must be a member (`MissingReference` otherwise, unless `roles` is empty).
    SetOrganizationMemberRoles {
        org: OrganizationId,
        user: UserId,
        roles: Vec<OrganizationRoleId>,
    },
    InsertOrganizationScope(OrganizationScope),
    UpdateOrganizationScope(OrganizationScope),
    DeleteOrganizationScope(OrganizationScopeId),
    InsertOrganizationRole(OrganizationRole),
    UpdateOrganizationRole(OrganizationRole),
    DeleteOrganizationRole(OrganizationRoleId),
    AddOrganizationRoleScopes {
        role: OrganizationRoleId,
        scopes: Vec<OrganizationScopeId>,
    },
    RemoveOrganizationRoleScope {
        role: OrganizationRoleId,
        scope: OrganizationScopeId,
    },
    AddOrganizationRoleResourceScopes {
        role: OrganizationRoleId,
        scopes: Vec<ScopeId>,
    },
    RemoveOrganizationRoleResourceScope {
        role: OrganizationRoleId,
        scope: ScopeId,
    },

    /// Adds to an app's allow-list; an entry already there takes the new `required`.
    AddConsentScopes {
        app: ApplicationId,
        scopes: Vec<ConsentScope>,
    },
    DeleteConsentScope {
        app: ApplicationId,
        scope_type: ConsentScopeType,
        scope_ref: String,
    },
    /// Inserts or replaces an app's branding.
    PutBranding(Branding),
    /// Replaces the identity provider's own branding (one row).
    PutIdpBranding(IdpBranding),
    DeleteBranding(ApplicationId),

    /// Replaces the registration policy (one row).
    PutRegistrationPolicy(RegistrationPolicy),
    /// Records how a self-registered client came to be; its application is inserted before.
    InsertClientRegistration(ClientRegistration),
    /// Replaces a registration's record (a new registration access token, RFC 7592 §2.2).
    UpdateClientRegistration(ClientRegistration),
    /// An operator takes a self-registered client over: its record (and so its registration
    /// access token) goes; the app stays.
    DeleteClientRegistration(ApplicationId),
    InsertInitialAccessToken(InitialAccessToken),
    DeleteInitialAccessToken(String),

    InsertSigningKey(SigningKey),
    SetSigningKeyState {
        kid: KeyId,
        state: KeyState,
    },
    /// Marks a key previous as of `at`.
    RetireSigningKey {
        kid: KeyId,
        at: Timestamp,
    },
    DeleteSigningKey(KeyId),

    /// The audit entry of the change it travels with.
    Audit(AuditEntry),
}

//! The unit of work: [`Repositories::commit`] applies a list of [`Write`]s in order, in one
//! transaction, with the same write functions the single-write trait methods use.

use super::{
    Conn, applications, audit, branding, consent, factors, grants, keys, organization_roles, organizations,
    registration, resources, roles, sessions, tokens, users,
};
use crate::db::{Db, map_error};
use async_trait::async_trait;
use diesel::Connection;
use diesel::result::Error as DieselError;
use latch_domain::repo::*;

/// Why a unit of work stopped: the database refused a statement, or a write named a row that is
/// not there. Either way the transaction is rolled back.
#[derive(Debug)]
enum UnitError {
    Db(DieselError),
    NotFound(String),
}

impl From<DieselError> for UnitError {
    fn from(e: DieselError) -> Self {
        UnitError::Db(e)
    }
}

impl From<UnitError> for RepoError {
    fn from(e: UnitError) -> Self {
        match e {
            UnitError::Db(e) => map_error(e),
            UnitError::NotFound(what) => RepoError::NotFound(what),
        }
    }
}

/// `Ok` when the write changed its row; otherwise the unit fails with what was missing.
fn found(changed: bool, what: impl FnOnce() -> String) -> Result<(), UnitError> {
    if changed { Ok(()) } else { Err(UnitError::NotFound(what())) }
}

/// Applies one write on `conn` (inside the unit's transaction).
fn apply(conn: &mut Conn, write: &Write) -> Result<(), UnitError> {
    use Write::*;
    match write {
        InsertApplication(a) => applications::insert_application(conn, a)?,
        UpdateApplication(a) => {
            found(applications::update_application(conn, a)?, || format!("application {}", a.id))?;
        }
        DeleteApplication(id) => found(applications::delete_application(conn, id)?, || format!("application {id}"))?,
        InsertSecret(s) => applications::insert_secret(conn, s)?,
        DeleteSecret { app, name } => {
            found(applications::delete_secret(conn, app, name)?, || format!("secret {name} of application {app}"))?;
        }

        InsertUser(u) => users::insert_user(conn, u)?,
        UpdateUser(u) => found(users::update_user(conn, u)?, || format!("user {}", u.id))?,
        DeleteUser(id) => found(users::delete_user(conn, id)?, || format!("user {id}"))?,
        DeleteUserSessions(user) => {
            sessions::delete_user_sessions(conn, user)?;
        }
        DeleteSession(id) => found(sessions::delete_session(conn, id)?, || format!("session {id}"))?,
        InsertFactor(f) => factors::insert_factor(conn, f)?,
        DeleteFactor { user, id } => found(factors::delete_factor(conn, user, id)?, || format!("factor {id}"))?,
        DeleteUserFactors(user) => factors::delete_user_factors(conn, user)?,
        SetRecoveryCodes { user, hashes } => factors::set_recovery_codes(conn, user, hashes)?,
        RevokeUserTokens(user) => {
            tokens::revoke_user_tokens(conn, user)?;
        }
        RevokeGrant(id) => {
            tokens::revoke_grant_tokens(conn, id)?;
            found(grants::delete_grant(conn, id)?, || format!("grant {id}"))?;
        }

        InsertResource(r) => resources::insert_resource(conn, r)?,
        UpdateResource(r) => found(resources::update_resource(conn, r)?, || format!("resource {}", r.id))?,
        DeleteResource(id) => found(resources::delete_resource(conn, id)?, || format!("resource {id}"))?,
        InsertScope(s) => resources::insert_scope(conn, s)?,
        UpdateScope(s) => found(resources::update_scope(conn, s)?, || format!("scope {}", s.id))?,
        DeleteScope(id) => found(resources::delete_scope(conn, id)?, || format!("scope {id}"))?,

        InsertRole(r) => roles::insert_role(conn, r)?,
        UpdateRole(r) => found(roles::update_role(conn, r)?, || format!("role {}", r.id))?,
        DeleteRole(id) => found(roles::delete_role(conn, id)?, || format!("role {id}"))?,
        AddRoleScopes { role, scopes } => roles::add_role_scopes(conn, role, scopes)?,
        SetRoleScopes { role, scopes } => roles::set_role_scopes(conn, role, scopes)?,
        RemoveRoleScope { role, scope } => {
            found(roles::remove_role_scope(conn, role, scope)?, || format!("scope {scope} of role {role}"))?;
        }
        AddUserRoles { user, roles: ids } => roles::add_user_roles(conn, user, ids)?,
        SetUserRoles { user, roles: ids } => roles::set_user_roles(conn, user, ids)?,
        RemoveUserRole { user, role } => {
            found(roles::remove_user_role(conn, user, role)?, || format!("role {role} of user {user}"))?;
        }
        AddApplicationRoles { app, roles: ids } => roles::add_application_roles(conn, app, ids)?,
        SetApplicationRoles { app, roles: ids } => roles::set_application_roles(conn, app, ids)?,
        RemoveApplicationRole { app, role } => {
            found(roles::remove_application_role(conn, app, role)?, || format!("role {role} of application {app}"))?;
        }

        InsertOrganization(o) => organizations::insert_organization(conn, o)?,
        UpdateOrganization(o) => {
            found(organizations::update_organization(conn, o)?, || format!("organization {}", o.id))?;
        }
        DeleteOrganization(id) => {
            found(organizations::delete_organization(conn, id)?, || format!("organization {id}"))?;
        }
        AddOrganizationMembers { org, users, at } => organizations::add_organization_members(conn, org, users, *at)?,
        RemoveOrganizationMember { org, user } => {
            found(organizations::remove_organization_member(conn, org, user)?, || {
                format!("member {user} of organization {org}")
            })?;
        }
        SetOrganizationMemberRoles { org, user, roles: ids } => {
            organizations::set_organization_member_roles(conn, org, user, ids)?;
        }
        InsertOrganizationScope(s) => organization_roles::insert_organization_scope(conn, s)?,
        UpdateOrganizationScope(s) => {
            found(organization_roles::update_organization_scope(conn, s)?, || format!("organization scope {}", s.id))?;
        }
        DeleteOrganizationScope(id) => {
            found(organization_roles::delete_organization_scope(conn, id)?, || format!("organization scope {id}"))?;
        }
        InsertOrganizationRole(r) => organization_roles::insert_organization_role(conn, r)?,
        UpdateOrganizationRole(r) => {
            found(organization_roles::update_organization_role(conn, r)?, || format!("organization role {}", r.id))?;
        }
        DeleteOrganizationRole(id) => {
            found(organization_roles::delete_organization_role(conn, id)?, || format!("organization role {id}"))?;
        }
        AddOrganizationRoleScopes { role, scopes } => {
            organization_roles::add_organization_role_scopes(conn, role, scopes)?;
        }
        RemoveOrganizationRoleScope { role, scope } => {
            found(organization_roles::remove_organization_role_scope(conn, role, scope)?, || {
                format!("organization scope {scope} of organization role {role}")
            })?;
        }
        AddOrganizationRoleResourceScopes { role, scopes } => {
            organization_roles::add_organization_role_resource_scopes(conn, role, scopes)?;
        }
        RemoveOrganizationRoleResourceScope { role, scope } => {
            found(organization_roles::remove_organization_role_resource_scope(conn, role, scope)?, || {
                format!("resource scope {scope} of organization role {role}")
            })?;
        }

        AddConsentScopes { app, scopes } => consent::add_consent_scopes(conn, app, scopes)?,
        DeleteConsentScope { app, scope_type, scope_ref } => {
            found(consent::delete_consent_scope(conn, app, *scope_type, scope_ref)?, || {
                format!("{} consent scope {scope_ref} of application {app}", scope_type.as_str())
            })?;
        }
        PutBranding(b) => branding::put_branding(conn, b)?,
        PutIdpBranding(b) => branding::put_idp_branding(conn, b)?,
        DeleteBranding(app) => {
            found(branding::delete_branding(conn, app)?, || format!("branding of application {app}"))?
        }

        PutRegistrationPolicy(p) => registration::put_registration_policy(conn, p)?,
        InsertClientRegistration(r) => registration::insert_client_registration(conn, r)?,
        UpdateClientRegistration(r) => {
            found(registration::update_client_registration(conn, r)?, || {
                format!("registration of application {}", r.application_id)
            })?;
        }
        InsertInitialAccessToken(t) => registration::insert_initial_access_token(conn, t)?,
        DeleteInitialAccessToken(id) => {
            found(registration::delete_initial_access_token(conn, id)?, || format!("initial access token {id}"))?;
        }
        DeleteClientRegistration(app) => {
            found(registration::delete_client_registration(conn, app)?, || {
                format!("registration of application {app}")
            })?;
        }

        InsertSigningKey(k) => keys::insert_signing_key(conn, k)?,
        SetSigningKeyState { kid, state } => {
            found(keys::set_signing_key_state(conn, kid, *state)?, || format!("signing key {kid}"))?;
        }
        RetireSigningKey { kid, at } => {
            found(keys::retire_signing_key(conn, kid, *at)?, || format!("signing key {kid}"))?;
        }
        DeleteSigningKey(kid) => found(keys::delete_signing_key(conn, kid)?, || format!("signing key {kid}"))?,

        Audit(entry) => audit::append_audit(conn, entry)?,
    }
    Ok(())
}

#[async_trait]
impl Repositories for Db {
    async fn commit(&self, writes: Vec<Write>) -> RepoResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        self.run_repo(move |conn| {
            conn.transaction::<_, UnitError, _>(|conn| writes.iter().try_for_each(|w| apply(conn, w)))
                .map_err(RepoError::from)
        })
        .await
    }

    async fn ping(&self) -> RepoResult<()> {
        self.ping_db().await
    }

    fn backend(&self) -> &'static str {
        Db::backend(self).name()
    }
}

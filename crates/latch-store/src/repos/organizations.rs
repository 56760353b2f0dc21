//! Organizations, their members and the members' organization roles, and the trait impl of
//! [`OrganizationRepo`] (organization scopes and roles are in `organization_roles.rs`).

use super::organization_roles::{self as roles, OrgRoleRow};
use super::users::UserRow;
use super::{Conn, QResult, id_set, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::entities::{Scope, User};
use latch_domain::ids::*;
use latch_domain::repo::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = organizations)]
struct OrgRow {
    id: String,
    name: String,
    description: Option<String>,
    created_at: i64,
}

impl From<OrgRow> for Organization {
    fn from(r: OrgRow) -> Self {
        Organization {
            id: OrganizationId(r.id),
            name: r.name,
            description: r.description,
            created_at: Timestamp(r.created_at),
        }
    }
}

// ---------------------------------------------------------------- writes

pub(super) fn insert_organization(conn: &mut Conn, o: &Organization) -> QResult<()> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(o.id.as_str()),
            organizations::name.eq(&o.name),
            organizations::description.eq(&o.description),
            organizations::created_at.eq(o.created_at.0),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn update_organization(conn: &mut Conn, o: &Organization) -> QResult<bool> {
    let n = diesel::update(organizations::table.find(o.id.as_str()))
        .set((organizations::name.eq(&o.name), organizations::description.eq(&o.description)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Deletes the organization: memberships cascade, and member roles cascade from memberships.
pub(super) fn delete_organization(conn: &mut Conn, id: &OrganizationId) -> QResult<bool> {
    Ok(diesel::delete(organizations::table.find(id.as_str())).execute(conn)? > 0)
}

/// Makes `users` members of `org` (joined at `at`) in one insert; existing members keep their
/// membership and its join time.
pub(super) fn add_organization_members(
    conn: &mut Conn,
    org: &OrganizationId,
    users: &[UserId],
    at: Timestamp,
) -> QResult<()> {
    let rows: Vec<_> = id_set(users, UserId::as_str)
        .into_iter()
        .map(|user| {
            (
                organization_memberships::organization_id.eq(org.as_str()),
                organization_memberships::user_id.eq(user),
                organization_memberships::created_at.eq(at.0),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(organization_memberships::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Removes the membership; the member's organization roles in `org` cascade from it.
pub(super) fn remove_organization_member(conn: &mut Conn, org: &OrganizationId, user: &UserId) -> QResult<bool> {
    let n = diesel::delete(
        organization_memberships::table
            .filter(organization_memberships::organization_id.eq(org.as_str()))
            .filter(organization_memberships::user_id.eq(user.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Makes `roles` exactly the organization roles of `user` in `org`: a delete, then one insert
/// (the membership is a foreign key of each row).
pub(super) fn set_organization_member_roles(
    conn: &mut Conn,
    org: &OrganizationId,
    user: &UserId,
    roles: &[OrganizationRoleId],
) -> QResult<()> {
    diesel::delete(
        organization_user_roles::table
            .filter(organization_user_roles::organization_id.eq(org.as_str()))
            .filter(organization_user_roles::user_id.eq(user.as_str())),
    )
    .execute(conn)?;
    let rows: Vec<_> = id_set(roles, OrganizationRoleId::as_str)
        .into_iter()
        .map(|role| {
            (
                organization_user_roles::organization_id.eq(org.as_str()),
                organization_user_roles::user_id.eq(user.as_str()),
                organization_user_roles::organization_role_id.eq(role),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(organization_user_roles::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

// ---------------------------------------------------------------- the trait

#[async_trait]
impl OrganizationRepo for Db {
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()> {
        let o = org.clone();
        self.run(move |conn| insert_organization(conn, &o)).await
    }

    async fn get_organization(&self, id: &OrganizationId) -> RepoResult<Option<Organization>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(organizations::table
                .find(id)
                .select(OrgRow::as_select())
                .first(conn)
                .optional()?
                .map(Organization::from))
        })
        .await
    }

    async fn update_organization(&self, org: &Organization) -> RepoResult<bool> {
        let o = org.clone();
        self.run(move |conn| update_organization(conn, &o)).await
    }

    async fn delete_organization(&self, id: &OrganizationId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_organization(conn, &id)).await
    }

    async fn list_organizations(&self, page: Page) -> RepoResult<(Vec<Organization>, i64)> {
        self.run(move |conn| {
            let total: i64 = organizations::table.count().get_result(conn)?;
            let rows = organizations::table
                .order((organizations::created_at, organizations::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(OrgRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(Organization::from).collect(), total))
        })
        .await
    }

    async fn add_organization_members(&self, org: &OrganizationId, users: &[UserId], at: Timestamp) -> RepoResult<()> {
        let (org, users) = (org.clone(), users.to_vec());
        self.run(move |conn| add_organization_members(conn, &org, &users, at)).await
    }

    async fn remove_organization_member(&self, org: &OrganizationId, user: &UserId) -> RepoResult<bool> {
        let (org, user) = (org.clone(), user.clone());
        self.run(move |conn| remove_organization_member(conn, &org, &user)).await
    }

    async fn list_organization_members(&self, org: &OrganizationId, page: Page) -> RepoResult<(Vec<UserId>, i64)> {
        let org = org.0.clone();
        self.run(move |conn| {
            let total: i64 = organization_memberships::table
                .filter(organization_memberships::organization_id.eq(&org))
                .count()
                .get_result(conn)?;
            let ids: Vec<String> = organization_memberships::table
                .filter(organization_memberships::organization_id.eq(&org))
                .order((organization_memberships::created_at, organization_memberships::user_id))
                .limit(limit(page))
                .offset(page.offset())
                .select(organization_memberships::user_id)
                .load(conn)?;
            Ok((ids.into_iter().map(UserId).collect(), total))
        })
        .await
    }

    async fn page_organization_members(&self, org: &OrganizationId, page: Page) -> RepoResult<(Vec<User>, i64)> {
        let org = org.0.clone();
        self.run(move |conn| {
            let total: i64 = organization_memberships::table
                .filter(organization_memberships::organization_id.eq(&org))
                .count()
                .get_result(conn)?;
            let rows = users::table
                .inner_join(organization_memberships::table.on(organization_memberships::user_id.eq(users::id)))
                .filter(organization_memberships::organization_id.eq(&org))
                .order((organization_memberships::created_at, organization_memberships::user_id))
                .limit(limit(page))
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(User::from).collect(), total))
        })
        .await
    }

    async fn page_organization_member_roles(
        &self,
        org: &OrganizationId,
        user: &UserId,
        page: Page,
    ) -> RepoResult<(Vec<OrganizationRole>, i64)> {
        let (org, user) = (org.0.clone(), user.0.clone());
        self.run(move |conn| {
            let total: i64 = organization_user_roles::table
                .filter(organization_user_roles::organization_id.eq(&org))
                .filter(organization_user_roles::user_id.eq(&user))
                .count()
                .get_result(conn)?;
            let rows = organization_roles::table
                .inner_join(
                    organization_user_roles::table
                        .on(organization_user_roles::organization_role_id.eq(organization_roles::id)),
                )
                .filter(organization_user_roles::organization_id.eq(&org))
                .filter(organization_user_roles::user_id.eq(&user))
                .order((organization_roles::name, organization_roles::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(OrgRoleRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(OrganizationRole::from).collect(), total))
        })
        .await
    }

    async fn is_organization_member(&self, org: &OrganizationId, user: &UserId) -> RepoResult<bool> {
        let (org, user) = (org.0.clone(), user.0.clone());
        self.run(move |conn| {
            let n: i64 = organization_memberships::table
                .filter(organization_memberships::organization_id.eq(org))
                .filter(organization_memberships::user_id.eq(user))
                .count()
                .get_result(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn set_organization_member_roles(
        &self,
        org: &OrganizationId,
        user: &UserId,
        roles: &[OrganizationRoleId],
    ) -> RepoResult<()> {
        let (org, user, roles) = (org.clone(), user.clone(), roles.to_vec());
        self.tx(move |conn| set_organization_member_roles(conn, &org, &user, &roles)).await
    }

    async fn organization_member_roles(
        &self,
        org: &OrganizationId,
        user: &UserId,
    ) -> RepoResult<Vec<OrganizationRole>> {
        let (org, user) = (org.0.clone(), user.0.clone());
        self.run(move |conn| {
            let rows = organization_roles::table
                .inner_join(
                    organization_user_roles::table
                        .on(organization_user_roles::organization_role_id.eq(organization_roles::id)),
                )
                .filter(organization_user_roles::organization_id.eq(org))
                .filter(organization_user_roles::user_id.eq(user))
                .order((organization_roles::name, organization_roles::id))
                .select(OrgRoleRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(OrganizationRole::from).collect())
        })
        .await
    }

    async fn organization_roles_of_members(
        &self,
        org: &OrganizationId,
        users: &[UserId],
    ) -> RepoResult<Vec<(UserId, OrganizationRole)>> {
        let org = org.0.clone();
        let users: Vec<String> = super::id_set(users, |u| u.as_str()).into_iter().collect();
        self.run(move |conn| {
            let rows: Vec<(String, OrgRoleRow)> = organization_roles::table
                .inner_join(
                    organization_user_roles::table
                        .on(organization_user_roles::organization_role_id.eq(organization_roles::id)),
                )
                .filter(organization_user_roles::organization_id.eq(org))
                .filter(organization_user_roles::user_id.eq_any(users))
                .order((organization_user_roles::user_id, organization_roles::name, organization_roles::id))
                .select((organization_user_roles::user_id, OrgRoleRow::as_select()))
                .load(conn)?;
            Ok(rows.into_iter().map(|(user, role)| (UserId(user), OrganizationRole::from(role))).collect())
        })
        .await
    }

    async fn user_organizations(&self, user: &UserId) -> RepoResult<Vec<(OrganizationId, String)>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String)> = organizations::table
                .inner_join(
                    organization_memberships::table.on(organization_memberships::organization_id.eq(organizations::id)),
                )
                .filter(organization_memberships::user_id.eq(user))
                .order((organizations::name, organizations::id))
                .select((organizations::id, organizations::name))
                .load(conn)?;
            Ok(rows.into_iter().map(|(id, name)| (OrganizationId(id), name)).collect())
        })
        .await
    }

    async fn insert_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<()> {
        let s = scope.clone();
        self.run(move |conn| roles::insert_organization_scope(conn, &s)).await
    }

    async fn get_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<Option<OrganizationScope>> {
        let id = id.clone();
        self.run(move |conn| roles::get_organization_scope(conn, &id)).await
    }

    async fn organization_scopes_by_ids(&self, ids: &[OrganizationScopeId]) -> RepoResult<Vec<OrganizationScope>> {
        let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
        self.run(move |conn| roles::organization_scopes_by_ids(conn, &ids)).await
    }

    async fn update_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<bool> {
        let s = scope.clone();
        self.run(move |conn| roles::update_organization_scope(conn, &s)).await
    }

    async fn delete_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| roles::delete_organization_scope(conn, &id)).await
    }

    async fn list_organization_scopes(&self, page: Page) -> RepoResult<(Vec<OrganizationScope>, i64)> {
        self.run(move |conn| roles::list_organization_scopes(conn, page)).await
    }

    async fn insert_organization_role(&self, role: &OrganizationRole) -> RepoResult<()> {
        let r = role.clone();
        self.run(move |conn| roles::insert_organization_role(conn, &r)).await
    }

    async fn get_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<Option<OrganizationRole>> {
        let id = id.clone();
        self.run(move |conn| roles::get_organization_role(conn, &id)).await
    }

    async fn update_organization_role(&self, role: &OrganizationRole) -> RepoResult<bool> {
        let r = role.clone();
        self.run(move |conn| roles::update_organization_role(conn, &r)).await
    }

    async fn delete_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| roles::delete_organization_role(conn, &id)).await
    }

    async fn list_organization_roles(&self, page: Page) -> RepoResult<(Vec<OrganizationRole>, i64)> {
        self.run(move |conn| roles::list_organization_roles(conn, page)).await
    }

    async fn add_organization_role_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[OrganizationScopeId],
    ) -> RepoResult<()> {
        let (role, scopes) = (role.clone(), scopes.to_vec());
        self.run(move |conn| roles::add_organization_role_scopes(conn, &role, &scopes)).await
    }

    async fn remove_organization_role_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &OrganizationScopeId,
    ) -> RepoResult<bool> {
        let (role, scope) = (role.clone(), scope.clone());
        self.run(move |conn| roles::remove_organization_role_scope(conn, &role, &scope)).await
    }

    async fn organization_role_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<OrganizationScopeId>> {
        let role = role.clone();
        self.run(move |conn| roles::organization_role_scope_ids(conn, &role)).await
    }

    async fn page_organization_role_scopes(
        &self,
        role: &OrganizationRoleId,
        page: Page,
    ) -> RepoResult<(Vec<OrganizationScope>, i64)> {
        let role = role.clone();
        self.run(move |conn| roles::page_organization_role_scopes(conn, &role, page)).await
    }

    async fn add_organization_role_resource_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[ScopeId],
    ) -> RepoResult<()> {
        let (role, scopes) = (role.clone(), scopes.to_vec());
        self.run(move |conn| roles::add_organization_role_resource_scopes(conn, &role, &scopes)).await
    }

    async fn remove_organization_role_resource_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &ScopeId,
    ) -> RepoResult<bool> {
        let (role, scope) = (role.clone(), scope.clone());
        self.run(move |conn| roles::remove_organization_role_resource_scope(conn, &role, &scope)).await
    }

    async fn organization_role_resource_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<ScopeId>> {
        let role = role.clone();
        self.run(move |conn| roles::organization_role_resource_scope_ids(conn, &role)).await
    }

    async fn page_organization_role_resource_scopes(
        &self,
        role: &OrganizationRoleId,
        page: Page,
    ) -> RepoResult<(Vec<Scope>, i64)> {
        let role = role.clone();
        self.run(move |conn| roles::page_organization_role_resource_scopes(conn, &role, page)).await
    }

    async fn user_organization_scopes(&self, user: &UserId, org: &OrganizationId) -> RepoResult<Vec<String>> {
        let (user, org) = (user.0.clone(), org.0.clone());
        self.run(move |conn| {
            organization_scopes::table
                .inner_join(
                    organization_role_scopes::table
                        .on(organization_role_scopes::organization_scope_id.eq(organization_scopes::id)),
                )
                .inner_join(organization_user_roles::table.on(
                    organization_user_roles::organization_role_id.eq(organization_role_scopes::organization_role_id),
                ))
                .filter(organization_user_roles::user_id.eq(user))
                .filter(organization_user_roles::organization_id.eq(org))
                .select(organization_scopes::name)
                .distinct()
                .order(organization_scopes::name)
                .load(conn)
        })
        .await
    }

    async fn user_organization_resource_scopes(
        &self,
        user: &UserId,
        org: &OrganizationId,
        resource: &ResourceId,
    ) -> RepoResult<Vec<String>> {
        let (user, org, resource) = (user.0.clone(), org.0.clone(), resource.0.clone());
        self.run(move |conn| {
            scopes::table
                .inner_join(
                    organization_role_resource_scopes::table
                        .on(organization_role_resource_scopes::scope_id.eq(scopes::id)),
                )
                .inner_join(
                    organization_user_roles::table.on(organization_user_roles::organization_role_id
                        .eq(organization_role_resource_scopes::organization_role_id)),
                )
                .filter(organization_user_roles::user_id.eq(user))
                .filter(organization_user_roles::organization_id.eq(org))
                .filter(scopes::resource_id.eq(resource))
                .select(scopes::name)
                .distinct()
                .order(scopes::name)
                .load(conn)
        })
        .await
    }

    async fn user_organization_role_names(&self, user: &UserId) -> RepoResult<Vec<(OrganizationId, String)>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String)> = organization_roles::table
                .inner_join(
                    organization_user_roles::table
                        .on(organization_user_roles::organization_role_id.eq(organization_roles::id)),
                )
                .filter(organization_user_roles::user_id.eq(user))
                .order((organization_user_roles::organization_id, organization_roles::name))
                .select((organization_user_roles::organization_id, organization_roles::name))
                .load(conn)?;
            Ok(rows.into_iter().map(|(org, name)| (OrganizationId(org), name)).collect())
        })
        .await
    }
}

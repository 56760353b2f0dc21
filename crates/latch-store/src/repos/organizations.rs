//! Organizations, their members and members' roles, organization scopes and organization roles.

use super::id_set;
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::ids::*;
use latch_domain::orgs::*;
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

#[derive(Queryable, Selectable)]
#[diesel(table_name = organization_scopes)]
struct OrgScopeRow {
    id: String,
    name: String,
    description: String,
    created_at: i64,
}

impl From<OrgScopeRow> for OrganizationScope {
    fn from(r: OrgScopeRow) -> Self {
        OrganizationScope {
            id: OrganizationScopeId(r.id),
            name: r.name,
            description: r.description,
            created_at: Timestamp(r.created_at),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = organization_roles)]
struct OrgRoleRow {
    id: String,
    name: String,
    description: String,
    created_at: i64,
}

impl From<OrgRoleRow> for OrganizationRole {
    fn from(r: OrgRoleRow) -> Self {
        OrganizationRole {
            id: OrganizationRoleId(r.id),
            name: r.name,
            description: r.description,
            created_at: Timestamp(r.created_at),
        }
    }
}

#[async_trait]
impl OrganizationRepo for Db {
    async fn insert_organization(&self, org: &Organization) -> RepoResult<()> {
        let o = org.clone();
        self.run(move |conn| {
            diesel::insert_into(organizations::table)
                .values((
                    organizations::id.eq(o.id.0),
                    organizations::name.eq(o.name),
                    organizations::description.eq(o.description),
                    organizations::created_at.eq(o.created_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
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
        self.run(move |conn| {
            let n = diesel::update(organizations::table.find(o.id.0))
                .set((organizations::name.eq(o.name), organizations::description.eq(o.description)))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_organization(&self, id: &OrganizationId) -> RepoResult<bool> {
        let id = id.0.clone();
        // Memberships cascade, and member roles cascade from memberships.
        self.run(move |conn| Ok(diesel::delete(organizations::table.find(id)).execute(conn)? > 0)).await
    }

    async fn list_organizations(&self, page: Page) -> RepoResult<(Vec<Organization>, i64)> {
        self.run(move |conn| {
            let total: i64 = organizations::table.count().get_result(conn)?;
            let rows = organizations::table
                .order((organizations::created_at, organizations::id))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(OrgRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(Organization::from).collect(), total))
        })
        .await
    }

    async fn add_organization_members(&self, org: &OrganizationId, users: &[UserId], at: Timestamp) -> RepoResult<()> {
        let org = org.0.clone();
        let users = id_set(users, UserId::as_str);
        self.tx(move |conn| {
            for user in users {
                // Write first, so a SQLite transaction takes the write lock before it reads: a
                // no-op update tells whether the membership exists and keeps its join time.
                let existing = diesel::update(
                    organization_memberships::table
                        .filter(organization_memberships::organization_id.eq(&org))
                        .filter(organization_memberships::user_id.eq(&user)),
                )
                .set(organization_memberships::created_at.eq(organization_memberships::created_at))
                .execute(conn)?;
                if existing == 0 {
                    diesel::insert_into(organization_memberships::table)
                        .values((
                            organization_memberships::organization_id.eq(&org),
                            organization_memberships::user_id.eq(&user),
                            organization_memberships::created_at.eq(at.0),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn remove_organization_member(&self, org: &OrganizationId, user: &UserId) -> RepoResult<bool> {
        let (org, user) = (org.0.clone(), user.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                organization_memberships::table
                    .filter(organization_memberships::organization_id.eq(org))
                    .filter(organization_memberships::user_id.eq(user)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
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
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(organization_memberships::user_id)
                .load(conn)?;
            Ok((ids.into_iter().map(UserId).collect(), total))
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
        let (org, user) = (org.0.clone(), user.0.clone());
        let roles = id_set(roles, OrganizationRoleId::as_str);
        self.tx(move |conn| {
            diesel::delete(
                organization_user_roles::table
                    .filter(organization_user_roles::organization_id.eq(&org))
                    .filter(organization_user_roles::user_id.eq(&user)),
            )
            .execute(conn)?;
            for role in roles {
                diesel::insert_into(organization_user_roles::table)
                    .values((
                        organization_user_roles::organization_id.eq(&org),
                        organization_user_roles::user_id.eq(&user),
                        organization_user_roles::organization_role_id.eq(&role),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
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
        self.run(move |conn| {
            diesel::insert_into(organization_scopes::table)
                .values((
                    organization_scopes::id.eq(s.id.0),
                    organization_scopes::name.eq(s.name),
                    organization_scopes::description.eq(s.description),
                    organization_scopes::created_at.eq(s.created_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<Option<OrganizationScope>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(organization_scopes::table
                .find(id)
                .select(OrgScopeRow::as_select())
                .first(conn)
                .optional()?
                .map(OrganizationScope::from))
        })
        .await
    }

    async fn update_organization_scope(&self, scope: &OrganizationScope) -> RepoResult<bool> {
        let s = scope.clone();
        self.run(move |conn| {
            let n = diesel::update(organization_scopes::table.find(s.id.0))
                .set((organization_scopes::name.eq(s.name), organization_scopes::description.eq(s.description)))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_organization_scope(&self, id: &OrganizationScopeId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(organization_scopes::table.find(id)).execute(conn)? > 0)).await
    }

    async fn list_organization_scopes(&self, page: Page) -> RepoResult<(Vec<OrganizationScope>, i64)> {
        self.run(move |conn| {
            let total: i64 = organization_scopes::table.count().get_result(conn)?;
            let rows = organization_scopes::table
                .order((organization_scopes::name, organization_scopes::id))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(OrgScopeRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(OrganizationScope::from).collect(), total))
        })
        .await
    }

    async fn insert_organization_role(&self, role: &OrganizationRole) -> RepoResult<()> {
        let r = role.clone();
        self.run(move |conn| {
            diesel::insert_into(organization_roles::table)
                .values((
                    organization_roles::id.eq(r.id.0),
                    organization_roles::name.eq(r.name),
                    organization_roles::description.eq(r.description),
                    organization_roles::created_at.eq(r.created_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<Option<OrganizationRole>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(organization_roles::table
                .find(id)
                .select(OrgRoleRow::as_select())
                .first(conn)
                .optional()?
                .map(OrganizationRole::from))
        })
        .await
    }

    async fn update_organization_role(&self, role: &OrganizationRole) -> RepoResult<bool> {
        let r = role.clone();
        self.run(move |conn| {
            let n = diesel::update(organization_roles::table.find(r.id.0))
                .set((organization_roles::name.eq(r.name), organization_roles::description.eq(r.description)))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_organization_role(&self, id: &OrganizationRoleId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(organization_roles::table.find(id)).execute(conn)? > 0)).await
    }

    async fn list_organization_roles(&self, page: Page) -> RepoResult<(Vec<OrganizationRole>, i64)> {
        self.run(move |conn| {
            let total: i64 = organization_roles::table.count().get_result(conn)?;
            let rows = organization_roles::table
                .order((organization_roles::name, organization_roles::id))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(OrgRoleRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(OrganizationRole::from).collect(), total))
        })
        .await
    }

    async fn add_organization_role_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[OrganizationScopeId],
    ) -> RepoResult<()> {
        let role = role.0.clone();
        let scopes = id_set(scopes, OrganizationScopeId::as_str);
        self.tx(move |conn| {
            for scope in scopes {
                // Delete, then insert: idempotent, and writes before anything is read.
                let link = organization_role_scopes::table
                    .filter(organization_role_scopes::organization_role_id.eq(&role))
                    .filter(organization_role_scopes::organization_scope_id.eq(&scope));
                diesel::delete(link).execute(conn)?;
                diesel::insert_into(organization_role_scopes::table)
                    .values((
                        organization_role_scopes::organization_role_id.eq(&role),
                        organization_role_scopes::organization_scope_id.eq(&scope),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn remove_organization_role_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &OrganizationScopeId,
    ) -> RepoResult<bool> {
        let (role, scope) = (role.0.clone(), scope.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                organization_role_scopes::table
                    .filter(organization_role_scopes::organization_role_id.eq(role))
                    .filter(organization_role_scopes::organization_scope_id.eq(scope)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn organization_role_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<OrganizationScopeId>> {
        let role = role.0.clone();
        self.run(move |conn| {
            let ids: Vec<String> = organization_role_scopes::table
                .filter(organization_role_scopes::organization_role_id.eq(role))
                .order(organization_role_scopes::organization_scope_id)
                .select(organization_role_scopes::organization_scope_id)
                .load(conn)?;
            Ok(ids.into_iter().map(OrganizationScopeId).collect())
        })
        .await
    }

    async fn add_organization_role_resource_scopes(
        &self,
        role: &OrganizationRoleId,
        scopes: &[ScopeId],
    ) -> RepoResult<()> {
        let role = role.0.clone();
        let scopes = id_set(scopes, ScopeId::as_str);
        self.tx(move |conn| {
            for scope in scopes {
                // Delete, then insert: idempotent, and writes before anything is read.
                let link = organization_role_resource_scopes::table
                    .filter(organization_role_resource_scopes::organization_role_id.eq(&role))
                    .filter(organization_role_resource_scopes::scope_id.eq(&scope));
                diesel::delete(link).execute(conn)?;
                diesel::insert_into(organization_role_resource_scopes::table)
                    .values((
                        organization_role_resource_scopes::organization_role_id.eq(&role),
                        organization_role_resource_scopes::scope_id.eq(&scope),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn remove_organization_role_resource_scope(
        &self,
        role: &OrganizationRoleId,
        scope: &ScopeId,
    ) -> RepoResult<bool> {
        let (role, scope) = (role.0.clone(), scope.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                organization_role_resource_scopes::table
                    .filter(organization_role_resource_scopes::organization_role_id.eq(role))
                    .filter(organization_role_resource_scopes::scope_id.eq(scope)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn organization_role_resource_scope_ids(&self, role: &OrganizationRoleId) -> RepoResult<Vec<ScopeId>> {
        let role = role.0.clone();
        self.run(move |conn| {
            let ids: Vec<String> = organization_role_resource_scopes::table
                .filter(organization_role_resource_scopes::organization_role_id.eq(role))
                .order(organization_role_resource_scopes::scope_id)
                .select(organization_role_resource_scopes::scope_id)
                .load(conn)?;
            Ok(ids.into_iter().map(ScopeId).collect())
        })
        .await
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

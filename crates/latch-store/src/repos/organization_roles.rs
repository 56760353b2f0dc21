//! Organization scopes, organization roles and the scopes those roles grant: the writes and
//! the queries behind [`OrganizationRepo`](latch_domain::repo::OrganizationRepo) (its trait
//! impl is in `organizations.rs`).

use super::resources::{SCOPE_COLUMNS, ScopeRow, scope_from};
use super::{Conn, QResult, id_set, limit};
use crate::schema::*;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::Scope;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::Page;

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

/// An organization role as stored; also what the roles of a member select.
#[derive(Queryable, Selectable)]
#[diesel(table_name = organization_roles)]
pub(super) struct OrgRoleRow {
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

// ---------------------------------------------------------------- organization scopes

pub(super) fn insert_organization_scope(conn: &mut Conn, s: &OrganizationScope) -> QResult<()> {
    diesel::insert_into(organization_scopes::table)
        .values((
            organization_scopes::id.eq(s.id.as_str()),
            organization_scopes::name.eq(&s.name),
            organization_scopes::description.eq(&s.description),
            organization_scopes::created_at.eq(s.created_at.0),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn get_organization_scope(conn: &mut Conn, id: &OrganizationScopeId) -> QResult<Option<OrganizationScope>> {
    Ok(organization_scopes::table
        .find(id.as_str())
        .select(OrgScopeRow::as_select())
        .first(conn)
        .optional()?
        .map(OrganizationScope::from))
}

pub(super) fn organization_scopes_by_ids(conn: &mut Conn, ids: &[String]) -> QResult<Vec<OrganizationScope>> {
    Ok(organization_scopes::table
        .filter(organization_scopes::id.eq_any(ids))
        .order(organization_scopes::name)
        .select(OrgScopeRow::as_select())
        .load(conn)?
        .into_iter()
        .map(OrganizationScope::from)
        .collect())
}

pub(super) fn update_organization_scope(conn: &mut Conn, s: &OrganizationScope) -> QResult<bool> {
    let n = diesel::update(organization_scopes::table.find(s.id.as_str()))
        .set((organization_scopes::name.eq(&s.name), organization_scopes::description.eq(&s.description)))
        .execute(conn)?;
    Ok(n > 0)
}

pub(super) fn delete_organization_scope(conn: &mut Conn, id: &OrganizationScopeId) -> QResult<bool> {
    Ok(diesel::delete(organization_scopes::table.find(id.as_str())).execute(conn)? > 0)
}

/// Organization scopes by name, and the total.
pub(super) fn list_organization_scopes(conn: &mut Conn, page: Page) -> QResult<(Vec<OrganizationScope>, i64)> {
    let total: i64 = organization_scopes::table.count().get_result(conn)?;
    let rows = organization_scopes::table
        .order((organization_scopes::name, organization_scopes::id))
        .limit(limit(page))
        .offset(page.offset())
        .select(OrgScopeRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(OrganizationScope::from).collect(), total))
}

// ---------------------------------------------------------------- organization roles

pub(super) fn insert_organization_role(conn: &mut Conn, r: &OrganizationRole) -> QResult<()> {
    diesel::insert_into(organization_roles::table)
        .values((
            organization_roles::id.eq(r.id.as_str()),
            organization_roles::name.eq(&r.name),
            organization_roles::description.eq(&r.description),
            organization_roles::created_at.eq(r.created_at.0),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn get_organization_role(conn: &mut Conn, id: &OrganizationRoleId) -> QResult<Option<OrganizationRole>> {
    Ok(organization_roles::table
        .find(id.as_str())
        .select(OrgRoleRow::as_select())
        .first(conn)
        .optional()?
        .map(OrganizationRole::from))
}

pub(super) fn update_organization_role(conn: &mut Conn, r: &OrganizationRole) -> QResult<bool> {
    let n = diesel::update(organization_roles::table.find(r.id.as_str()))
        .set((organization_roles::name.eq(&r.name), organization_roles::description.eq(&r.description)))
        .execute(conn)?;
    Ok(n > 0)
}

/// Deletes the role; its scope links and its members' holdings of it go with it.
pub(super) fn delete_organization_role(conn: &mut Conn, id: &OrganizationRoleId) -> QResult<bool> {
    Ok(diesel::delete(organization_roles::table.find(id.as_str())).execute(conn)? > 0)
}

/// Organization roles by name, and the total.
pub(super) fn list_organization_roles(conn: &mut Conn, page: Page) -> QResult<(Vec<OrganizationRole>, i64)> {
    let total: i64 = organization_roles::table.count().get_result(conn)?;
    let rows = organization_roles::table
        .order((organization_roles::name, organization_roles::id))
        .limit(limit(page))
        .offset(page.offset())
        .select(OrgRoleRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(OrganizationRole::from).collect(), total))
}

// ---------------------------------------------------------------- the scopes a role grants

/// Links organization scopes to `role` in one insert; links that exist stay as they are.
pub(super) fn add_organization_role_scopes(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    scopes: &[OrganizationScopeId],
) -> QResult<()> {
    let rows: Vec<_> = id_set(scopes, OrganizationScopeId::as_str)
        .into_iter()
        .map(|scope| {
            (
                organization_role_scopes::organization_role_id.eq(role.as_str()),
                organization_role_scopes::organization_scope_id.eq(scope),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(organization_role_scopes::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub(super) fn remove_organization_role_scope(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    scope: &OrganizationScopeId,
) -> QResult<bool> {
    let n = diesel::delete(
        organization_role_scopes::table
            .filter(organization_role_scopes::organization_role_id.eq(role.as_str()))
            .filter(organization_role_scopes::organization_scope_id.eq(scope.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Ids of the organization scopes `role` grants, sorted.
pub(super) fn organization_role_scope_ids(
    conn: &mut Conn,
    role: &OrganizationRoleId,
) -> QResult<Vec<OrganizationScopeId>> {
    let ids: Vec<String> = organization_role_scopes::table
        .filter(organization_role_scopes::organization_role_id.eq(role.as_str()))
        .order(organization_role_scopes::organization_scope_id)
        .select(organization_role_scopes::organization_scope_id)
        .load(conn)?;
    Ok(ids.into_iter().map(OrganizationScopeId).collect())
}

/// A page of the organization scopes `role` grants, by name, and the total.
pub(super) fn page_organization_role_scopes(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    page: Page,
) -> QResult<(Vec<OrganizationScope>, i64)> {
    let total: i64 = organization_role_scopes::table
        .filter(organization_role_scopes::organization_role_id.eq(role.as_str()))
        .count()
        .get_result(conn)?;
    let rows = organization_scopes::table
        .inner_join(
            organization_role_scopes::table
                .on(organization_role_scopes::organization_scope_id.eq(organization_scopes::id)),
        )
        .filter(organization_role_scopes::organization_role_id.eq(role.as_str()))
        .order((organization_scopes::name, organization_scopes::id))
        .limit(limit(page))
        .offset(page.offset())
        .select(OrgScopeRow::as_select())
        .load(conn)?;
    Ok((rows.into_iter().map(OrganizationScope::from).collect(), total))
}

/// Links API resource scopes to `role` in one insert; links that exist stay as they are.
pub(super) fn add_organization_role_resource_scopes(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    scopes: &[ScopeId],
) -> QResult<()> {
    let rows: Vec<_> = id_set(scopes, ScopeId::as_str)
        .into_iter()
        .map(|scope| {
            (
                organization_role_resource_scopes::organization_role_id.eq(role.as_str()),
                organization_role_resource_scopes::scope_id.eq(scope),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(organization_role_resource_scopes::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub(super) fn remove_organization_role_resource_scope(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    scope: &ScopeId,
) -> QResult<bool> {
    let n = diesel::delete(
        organization_role_resource_scopes::table
            .filter(organization_role_resource_scopes::organization_role_id.eq(role.as_str()))
            .filter(organization_role_resource_scopes::scope_id.eq(scope.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Ids of the API resource scopes `role` grants, sorted.
pub(super) fn organization_role_resource_scope_ids(
    conn: &mut Conn,
    role: &OrganizationRoleId,
) -> QResult<Vec<ScopeId>> {
    let ids: Vec<String> = organization_role_resource_scopes::table
        .filter(organization_role_resource_scopes::organization_role_id.eq(role.as_str()))
        .order(organization_role_resource_scopes::scope_id)
        .select(organization_role_resource_scopes::scope_id)
        .load(conn)?;
    Ok(ids.into_iter().map(ScopeId).collect())
}

/// A page of the API resource scopes `role` grants, in the order of
/// [`organization_role_resource_scope_ids`] (by scope id), and the total.
pub(super) fn page_organization_role_resource_scopes(
    conn: &mut Conn,
    role: &OrganizationRoleId,
    page: Page,
) -> QResult<(Vec<Scope>, i64)> {
    let total: i64 = organization_role_resource_scopes::table
        .filter(organization_role_resource_scopes::organization_role_id.eq(role.as_str()))
        .count()
        .get_result(conn)?;
    let rows: Vec<ScopeRow> = scopes::table
        .inner_join(
            organization_role_resource_scopes::table.on(organization_role_resource_scopes::scope_id.eq(scopes::id)),
        )
        .filter(organization_role_resource_scopes::organization_role_id.eq(role.as_str()))
        .order(scopes::id)
        .limit(limit(page))
        .offset(page.offset())
        .select(SCOPE_COLUMNS)
        .load(conn)?;
    Ok((rows.into_iter().map(scope_from).collect(), total))
}

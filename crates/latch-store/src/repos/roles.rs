//! Roles, the scopes they grant, and their assignment to users and applications.
//!
//! Link writes insert every link in one statement with `ON CONFLICT DO NOTHING`, so adding a
//! link that exists (also concurrently) is no error and no duplicate; a "set" deletes the
//! owner's links first.

use super::resources::{SCOPE_COLUMNS, ScopeRow, scope_from};
use super::users::UserRow;
use super::{Conn, QResult, id_set, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

type RoleRow = (String, String, String, String, i64);

const ROLE_COLUMNS: (roles::id, roles::name, roles::description, roles::role_type, roles::created_at) =
    (roles::id, roles::name, roles::description, roles::role_type, roles::created_at);

fn role_from((id, name, description, t, created): RoleRow) -> Role {
    Role {
        id: RoleId(id),
        name,
        description,
        role_type: RoleType::parse(&t).unwrap_or(RoleType::User),
        created_at: Timestamp(created),
    }
}

// ---------------------------------------------------------------- writes

pub(super) fn insert_role(conn: &mut Conn, r: &Role) -> QResult<()> {
    diesel::insert_into(roles::table)
        .values((
            roles::id.eq(r.id.as_str()),
            roles::name.eq(&r.name),
            roles::description.eq(&r.description),
            roles::role_type.eq(r.role_type.as_str()),
            roles::created_at.eq(r.created_at.0),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn update_role(conn: &mut Conn, r: &Role) -> QResult<bool> {
    let n = diesel::update(roles::table.find(r.id.as_str()))
        .set((
            roles::name.eq(&r.name),
            roles::description.eq(&r.description),
            roles::role_type.eq(r.role_type.as_str()),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Deletes the role; its scope links and assignments go with it.
pub(super) fn delete_role(conn: &mut Conn, id: &RoleId) -> QResult<bool> {
    Ok(diesel::delete(roles::table.find(id.as_str())).execute(conn)? > 0)
}

/// Links `scopes` to `role`; links that exist stay as they are.
pub(super) fn add_role_scopes(conn: &mut Conn, role: &RoleId, scopes: &[ScopeId]) -> QResult<()> {
    let rows: Vec<_> = id_set(scopes, ScopeId::as_str)
        .into_iter()
        .map(|scope| (role_scopes::role_id.eq(role.as_str()), role_scopes::scope_id.eq(scope)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(role_scopes::table).values(rows).on_conflict_do_nothing().execute(c))?;
    Ok(())
}

/// Makes `scopes` exactly the scopes of `role`.
pub(super) fn set_role_scopes(conn: &mut Conn, role: &RoleId, scopes: &[ScopeId]) -> QResult<()> {
    diesel::delete(role_scopes::table.filter(role_scopes::role_id.eq(role.as_str()))).execute(conn)?;
    add_role_scopes(conn, role, scopes)
}

pub(super) fn remove_role_scope(conn: &mut Conn, role: &RoleId, scope: &ScopeId) -> QResult<bool> {
    let n = diesel::delete(
        role_scopes::table
            .filter(role_scopes::role_id.eq(role.as_str()))
            .filter(role_scopes::scope_id.eq(scope.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Gives `user` the `roles`; roles it holds stay as they are.
pub(super) fn add_user_roles(conn: &mut Conn, user: &UserId, roles: &[RoleId]) -> QResult<()> {
    let rows: Vec<_> = id_set(roles, RoleId::as_str)
        .into_iter()
        .map(|role| (user_roles::user_id.eq(user.as_str()), user_roles::role_id.eq(role)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(user_roles::table).values(rows).on_conflict_do_nothing().execute(c))?;
    Ok(())
}

/// Makes `roles` exactly the roles of `user`.
pub(super) fn set_user_roles(conn: &mut Conn, user: &UserId, roles: &[RoleId]) -> QResult<()> {
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user.as_str()))).execute(conn)?;
    add_user_roles(conn, user, roles)
}

pub(super) fn remove_user_role(conn: &mut Conn, user: &UserId, role: &RoleId) -> QResult<bool> {
    let n = diesel::delete(
        user_roles::table.filter(user_roles::user_id.eq(user.as_str())).filter(user_roles::role_id.eq(role.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Gives `app` the `roles`; roles it holds stay as they are.
pub(super) fn add_application_roles(conn: &mut Conn, app: &ApplicationId, roles: &[RoleId]) -> QResult<()> {
    let rows: Vec<_> = id_set(roles, RoleId::as_str)
        .into_iter()
        .map(|role| (application_roles::application_id.eq(app.as_str()), application_roles::role_id.eq(role)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    per_backend!(conn, |c| diesel::insert_into(application_roles::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Makes `roles` exactly the roles of `app`.
pub(super) fn set_application_roles(conn: &mut Conn, app: &ApplicationId, roles: &[RoleId]) -> QResult<()> {
    diesel::delete(application_roles::table.filter(application_roles::application_id.eq(app.as_str())))
        .execute(conn)?;
    add_application_roles(conn, app, roles)
}

pub(super) fn remove_application_role(conn: &mut Conn, app: &ApplicationId, role: &RoleId) -> QResult<bool> {
    let n = diesel::delete(
        application_roles::table
            .filter(application_roles::application_id.eq(app.as_str()))
            .filter(application_roles::role_id.eq(role.as_str())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

// ---------------------------------------------------------------- the trait

#[async_trait]
impl RoleRepo for Db {
    async fn insert_role(&self, role: &Role) -> RepoResult<()> {
        let r = role.clone();
        self.run(move |conn| insert_role(conn, &r)).await
    }

    async fn get_role(&self, id: &RoleId) -> RepoResult<Option<Role>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<RoleRow> = roles::table.find(id).select(ROLE_COLUMNS).first(conn).optional()?;
            Ok(row.map(role_from))
        })
        .await
    }

    async fn list_roles(&self, page: Page) -> RepoResult<(Vec<Role>, i64)> {
        self.run(move |conn| {
            let total: i64 = roles::table.count().get_result(conn)?;
            let rows: Vec<RoleRow> = roles::table
                .order((roles::created_at, roles::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(ROLE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(role_from).collect(), total))
        })
        .await
    }

    async fn delete_role(&self, id: &RoleId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_role(conn, &id)).await
    }

    async fn user_roles(&self, user: &UserId) -> RepoResult<Vec<Role>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<RoleRow> = roles::table
                .inner_join(user_roles::table.on(user_roles::role_id.eq(roles::id)))
                .filter(user_roles::user_id.eq(user))
                .order(roles::name)
                .select(ROLE_COLUMNS)
                .load(conn)?;
            Ok(rows.into_iter().map(role_from).collect())
        })
        .await
    }

    async fn page_user_roles(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Role>, i64)> {
        let user = user.0.clone();
        self.run(move |conn| {
            let total: i64 = user_roles::table.filter(user_roles::user_id.eq(&user)).count().get_result(conn)?;
            let rows: Vec<RoleRow> = roles::table
                .inner_join(user_roles::table.on(user_roles::role_id.eq(roles::id)))
                .filter(user_roles::user_id.eq(&user))
                .order(roles::name)
                .limit(limit(page))
                .offset(page.offset())
                .select(ROLE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(role_from).collect(), total))
        })
        .await
    }

    async fn application_roles(&self, app: &ApplicationId) -> RepoResult<Vec<Role>> {
        let app = app.0.clone();
        self.run(move |conn| {
            let rows: Vec<RoleRow> = roles::table
                .inner_join(application_roles::table.on(application_roles::role_id.eq(roles::id)))
                .filter(application_roles::application_id.eq(app))
                .order(roles::name)
                .select(ROLE_COLUMNS)
                .load(conn)?;
            Ok(rows.into_iter().map(role_from).collect())
        })
        .await
    }

    async fn page_application_roles(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<Role>, i64)> {
        let app = app.0.clone();
        self.run(move |conn| {
            let total: i64 =
                application_roles::table.filter(application_roles::application_id.eq(&app)).count().get_result(conn)?;
            let rows: Vec<RoleRow> = roles::table
                .inner_join(application_roles::table.on(application_roles::role_id.eq(roles::id)))
                .filter(application_roles::application_id.eq(&app))
                .order(roles::name)
                .limit(limit(page))
                .offset(page.offset())
                .select(ROLE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(role_from).collect(), total))
        })
        .await
    }

    async fn role_scopes(&self, role: &RoleId) -> RepoResult<Vec<Scope>> {
        let role = role.0.clone();
        self.run(move |conn| {
            let rows: Vec<ScopeRow> = scopes::table
                .inner_join(role_scopes::table.on(role_scopes::scope_id.eq(scopes::id)))
                .filter(role_scopes::role_id.eq(role))
                .order((scopes::resource_id, scopes::name))
                .select(SCOPE_COLUMNS)
                .load(conn)?;
            Ok(rows.into_iter().map(scope_from).collect())
        })
        .await
    }

    async fn page_role_scopes(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<Scope>, i64)> {
        let role = role.0.clone();
        self.run(move |conn| {
            let total: i64 = role_scopes::table.filter(role_scopes::role_id.eq(&role)).count().get_result(conn)?;
            let rows: Vec<ScopeRow> = scopes::table
                .inner_join(role_scopes::table.on(role_scopes::scope_id.eq(scopes::id)))
                .filter(role_scopes::role_id.eq(&role))
                .order((scopes::resource_id, scopes::name))
                .limit(limit(page))
                .offset(page.offset())
                .select(SCOPE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(scope_from).collect(), total))
        })
        .await
    }

    async fn role_user_ids(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<UserId>, i64)> {
        let role = role.0.clone();
        self.run(move |conn| {
            let total: i64 = user_roles::table.filter(user_roles::role_id.eq(&role)).count().get_result(conn)?;
            let ids: Vec<String> = user_roles::table
                .filter(user_roles::role_id.eq(&role))
                .order(user_roles::user_id)
                .limit(limit(page))
                .offset(page.offset())
                .select(user_roles::user_id)
                .load(conn)?;
            Ok((ids.into_iter().map(UserId).collect(), total))
        })
        .await
    }

    /// In the order of [`role_user_ids`](RoleRepo::role_user_ids): by user id.
    async fn page_role_users(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<User>, i64)> {
        let role = role.0.clone();
        self.run(move |conn| {
            let total: i64 = user_roles::table.filter(user_roles::role_id.eq(&role)).count().get_result(conn)?;
            let rows: Vec<UserRow> = users::table
                .inner_join(user_roles::table.on(user_roles::user_id.eq(users::id)))
                .filter(user_roles::role_id.eq(&role))
                .order(users::id)
                .limit(limit(page))
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(User::from).collect(), total))
        })
        .await
    }

    async fn remove_role_scope(&self, role: &RoleId, scope: &ScopeId) -> RepoResult<bool> {
        let (role, scope) = (role.clone(), scope.clone());
        self.run(move |conn| remove_role_scope(conn, &role, &scope)).await
    }

    async fn remove_user_role(&self, user: &UserId, role: &RoleId) -> RepoResult<bool> {
        let (user, role) = (user.clone(), role.clone());
        self.run(move |conn| remove_user_role(conn, &user, &role)).await
    }

    async fn remove_application_role(&self, app: &ApplicationId, role: &RoleId) -> RepoResult<bool> {
        let (app, role) = (app.clone(), role.clone());
        self.run(move |conn| remove_application_role(conn, &app, &role)).await
    }

    async fn get_role_by_name(&self, name: &str) -> RepoResult<Option<Role>> {
        let name = name.to_owned();
        self.run(move |conn| {
            let row: Option<RoleRow> =
                roles::table.filter(roles::name.eq(name)).select(ROLE_COLUMNS).first(conn).optional()?;
            Ok(row.map(role_from))
        })
        .await
    }

    async fn update_role(&self, role: &Role) -> RepoResult<bool> {
        let r = role.clone();
        self.run(move |conn| update_role(conn, &r)).await
    }

    async fn role_scope_ids(&self, role: &RoleId) -> RepoResult<Vec<ScopeId>> {
        let role = role.0.clone();
        self.run(move |conn| {
            let ids: Vec<String> = role_scopes::table
                .filter(role_scopes::role_id.eq(role))
                .select(role_scopes::scope_id)
                .order(role_scopes::scope_id)
                .load(conn)?;
            Ok(ids.into_iter().map(ScopeId).collect())
        })
        .await
    }

    async fn set_role_scopes(&self, role: &RoleId, scope_ids: &[ScopeId]) -> RepoResult<()> {
        let (role, ids) = (role.clone(), scope_ids.to_vec());
        self.tx(move |conn| set_role_scopes(conn, &role, &ids)).await
    }

    async fn add_role_scopes(&self, role: &RoleId, scope_ids: &[ScopeId]) -> RepoResult<()> {
        let (role, ids) = (role.clone(), scope_ids.to_vec());
        self.run(move |conn| add_role_scopes(conn, &role, &ids)).await
    }

    async fn add_user_roles(&self, user: &UserId, role_ids: &[RoleId]) -> RepoResult<()> {
        let (user, ids) = (user.clone(), role_ids.to_vec());
        self.run(move |conn| add_user_roles(conn, &user, &ids)).await
    }

    async fn set_user_roles(&self, user: &UserId, role_ids: &[RoleId]) -> RepoResult<()> {
        let (user, ids) = (user.clone(), role_ids.to_vec());
        self.tx(move |conn| set_user_roles(conn, &user, &ids)).await
    }

    async fn set_application_roles(&self, app: &ApplicationId, role_ids: &[RoleId]) -> RepoResult<()> {
        let (app, ids) = (app.clone(), role_ids.to_vec());
        self.tx(move |conn| set_application_roles(conn, &app, &ids)).await
    }

    async fn add_application_roles(&self, app: &ApplicationId, role_ids: &[RoleId]) -> RepoResult<()> {
        let (app, ids) = (app.clone(), role_ids.to_vec());
        self.run(move |conn| add_application_roles(conn, &app, &ids)).await
    }

    async fn user_resource_scopes(&self, user: &UserId, resource: &ResourceId) -> RepoResult<Vec<String>> {
        let (user, resource) = (user.0.clone(), resource.0.clone());
        self.run(move |conn| {
            scopes::table
                .inner_join(role_scopes::table.on(role_scopes::scope_id.eq(scopes::id)))
                .inner_join(user_roles::table.on(user_roles::role_id.eq(role_scopes::role_id)))
                .filter(user_roles::user_id.eq(user))
                .filter(scopes::resource_id.eq(resource))
                .select(scopes::name)
                .distinct()
                .order(scopes::name)
                .load(conn)
        })
        .await
    }

    async fn application_resource_scopes(&self, app: &ApplicationId, resource: &ResourceId) -> RepoResult<Vec<String>> {
        let (app, resource) = (app.0.clone(), resource.0.clone());
        self.run(move |conn| {
            scopes::table
                .inner_join(role_scopes::table.on(role_scopes::scope_id.eq(scopes::id)))
                .inner_join(application_roles::table.on(application_roles::role_id.eq(role_scopes::role_id)))
                .filter(application_roles::application_id.eq(app))
                .filter(scopes::resource_id.eq(resource))
                .select(scopes::name)
                .distinct()
                .order(scopes::name)
                .load(conn)
        })
        .await
    }

    async fn user_role_names(&self, user: &UserId) -> RepoResult<Vec<String>> {
        let user = user.0.clone();
        self.run(move |conn| {
            roles::table
                .inner_join(user_roles::table.on(user_roles::role_id.eq(roles::id)))
                .filter(user_roles::user_id.eq(user))
                .select(roles::name)
                .order(roles::name)
                .load(conn)
        })
        .await
    }

    async fn application_role_names(&self, app: &ApplicationId) -> RepoResult<Vec<String>> {
        let app = app.0.clone();
        self.run(move |conn| {
            roles::table
                .inner_join(application_roles::table.on(application_roles::role_id.eq(roles::id)))
                .filter(application_roles::application_id.eq(app))
                .select(roles::name)
                .order(roles::name)
                .load(conn)
        })
        .await
    }
}

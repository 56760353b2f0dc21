//! Roles, the scopes they grant, and their assignment to users and applications.

use super::resources::scope_from;
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use std::collections::BTreeSet;

type RoleRow = (String, String, String, String, i64);

fn role_from((id, name, description, t, created): RoleRow) -> Role {
    Role {
        id: RoleId(id),
        name,
        description,
        role_type: RoleType::parse(&t).unwrap_or(RoleType::User),
        created_at: Timestamp(created),
    }
}

#[async_trait]
impl RoleRepo for Db {
    async fn insert_role(&self, role: &Role) -> RepoResult<()> {
        let r = role.clone();
        self.run(move |conn| {
            diesel::insert_into(roles::table)
                .values((
                    roles::id.eq(r.id.0),
                    roles::name.eq(r.name),
                    roles::description.eq(r.description),
                    roles::role_type.eq(r.role_type.as_str()),
                    roles::created_at.eq(r.created_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_role(&self, id: &RoleId) -> RepoResult<Option<Role>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<RoleRow> = roles::table
                .find(id)
                .select((roles::id, roles::name, roles::description, roles::role_type, roles::created_at))
                .first(conn)
                .optional()?;
            Ok(row.map(role_from))
        })
        .await
    }

    async fn list_roles(&self, page: Page) -> RepoResult<(Vec<Role>, i64)> {
        self.run(move |conn| {
            let total: i64 = roles::table.count().get_result(conn)?;
            let rows: Vec<RoleRow> = roles::table
                .order((roles::created_at, roles::id))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select((roles::id, roles::name, roles::description, roles::role_type, roles::created_at))
                .load(conn)?;
            Ok((rows.into_iter().map(role_from).collect(), total))
        })
        .await
    }

    async fn delete_role(&self, id: &RoleId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(roles::table.find(id)).execute(conn)? > 0)).await
    }

    async fn user_roles(&self, user: &UserId) -> RepoResult<Vec<Role>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<RoleRow> = roles::table
                .inner_join(user_roles::table.on(user_roles::role_id.eq(roles::id)))
                .filter(user_roles::user_id.eq(user))
                .order(roles::name)
                .select((roles::id, roles::name, roles::description, roles::role_type, roles::created_at))
                .load(conn)?;
            Ok(rows.into_iter().map(role_from).collect())
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
                .select((roles::id, roles::name, roles::description, roles::role_type, roles::created_at))
                .load(conn)?;
            Ok(rows.into_iter().map(role_from).collect())
        })
        .await
    }

    async fn role_scopes(&self, role: &RoleId) -> RepoResult<Vec<Scope>> {
        let role = role.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, String, String)> = scopes::table
                .inner_join(role_scopes::table.on(role_scopes::scope_id.eq(scopes::id)))
                .filter(role_scopes::role_id.eq(role))
                .order((scopes::resource_id, scopes::name))
                .select((scopes::id, scopes::resource_id, scopes::name, scopes::description))
                .load(conn)?;
            Ok(rows.into_iter().map(scope_from).collect())
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
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(user_roles::user_id)
                .load(conn)?;
            Ok((ids.into_iter().map(UserId).collect(), total))
        })
        .await
    }

    async fn remove_role_scope(&self, role: &RoleId, scope: &ScopeId) -> RepoResult<bool> {
        let (role, scope) = (role.0.clone(), scope.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                role_scopes::table.filter(role_scopes::role_id.eq(role)).filter(role_scopes::scope_id.eq(scope)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn remove_user_role(&self, user: &UserId, role: &RoleId) -> RepoResult<bool> {
        let (user, role) = (user.0.clone(), role.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                user_roles::table.filter(user_roles::user_id.eq(user)).filter(user_roles::role_id.eq(role)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn remove_application_role(&self, app: &ApplicationId, role: &RoleId) -> RepoResult<bool> {
        let (app, role) = (app.0.clone(), role.0.clone());
        self.run(move |conn| {
            let n = diesel::delete(
                application_roles::table
                    .filter(application_roles::application_id.eq(app))
                    .filter(application_roles::role_id.eq(role)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn get_role_by_name(&self, name: &str) -> RepoResult<Option<Role>> {
        let name = name.to_owned();
        self.run(move |conn| {
            let row: Option<RoleRow> = roles::table
                .filter(roles::name.eq(name))
                .select((roles::id, roles::name, roles::description, roles::role_type, roles::created_at))
                .first(conn)
                .optional()?;
            Ok(row.map(role_from))
        })
        .await
    }

    async fn update_role(&self, role: &Role) -> RepoResult<bool> {
        let r = role.clone();
        self.run(move |conn| {
            let n = diesel::update(roles::table.find(r.id.0))
                .set((
                    roles::name.eq(r.name),
                    roles::description.eq(r.description),
                    roles::role_type.eq(r.role_type.as_str()),
                ))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
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
        let role = role.0.clone();
        let ids: BTreeSet<String> = scope_ids.iter().map(|s| s.0.clone()).collect();
        self.tx(move |conn| {
            diesel::delete(role_scopes::table.filter(role_scopes::role_id.eq(&role))).execute(conn)?;
            for id in ids {
                diesel::insert_into(role_scopes::table)
                    .values((role_scopes::role_id.eq(&role), role_scopes::scope_id.eq(&id)))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn add_role_scopes(&self, role: &RoleId, scope_ids: &[ScopeId]) -> RepoResult<()> {
        let role = role.0.clone();
        let ids: Vec<String> = scope_ids.iter().map(|s| s.0.clone()).collect();
        self.tx(move |conn| {
            for id in ids {
                let exists: i64 = role_scopes::table
                    .filter(role_scopes::role_id.eq(&role))
                    .filter(role_scopes::scope_id.eq(&id))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    diesel::insert_into(role_scopes::table)
                        .values((role_scopes::role_id.eq(&role), role_scopes::scope_id.eq(&id)))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn add_user_roles(&self, user: &UserId, role_ids: &[RoleId]) -> RepoResult<()> {
        let user = user.0.clone();
        let ids: Vec<String> = role_ids.iter().map(|s| s.0.clone()).collect();
        self.tx(move |conn| {
            for id in ids {
                let exists: i64 = user_roles::table
                    .filter(user_roles::user_id.eq(&user))
                    .filter(user_roles::role_id.eq(&id))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    diesel::insert_into(user_roles::table)
                        .values((user_roles::user_id.eq(&user), user_roles::role_id.eq(&id)))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn set_user_roles(&self, user: &UserId, role_ids: &[RoleId]) -> RepoResult<()> {
        let user = user.0.clone();
        let ids: BTreeSet<String> = role_ids.iter().map(|r| r.0.clone()).collect();
        self.tx(move |conn| {
            diesel::delete(user_roles::table.filter(user_roles::user_id.eq(&user))).execute(conn)?;
            for id in ids {
                diesel::insert_into(user_roles::table)
                    .values((user_roles::user_id.eq(&user), user_roles::role_id.eq(&id)))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn set_application_roles(&self, app: &ApplicationId, role_ids: &[RoleId]) -> RepoResult<()> {
        let app = app.0.clone();
        let ids: BTreeSet<String> = role_ids.iter().map(|r| r.0.clone()).collect();
        self.tx(move |conn| {
            diesel::delete(application_roles::table.filter(application_roles::application_id.eq(&app)))
                .execute(conn)?;
            for id in ids {
                diesel::insert_into(application_roles::table)
                    .values((application_roles::application_id.eq(&app), application_roles::role_id.eq(&id)))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn add_application_roles(&self, app: &ApplicationId, role_ids: &[RoleId]) -> RepoResult<()> {
        let app = app.0.clone();
        let ids: Vec<String> = role_ids.iter().map(|s| s.0.clone()).collect();
        self.tx(move |conn| {
            for id in ids {
                let exists: i64 = application_roles::table
                    .filter(application_roles::application_id.eq(&app))
                    .filter(application_roles::role_id.eq(&id))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    diesel::insert_into(application_roles::table)
                        .values((application_roles::application_id.eq(&app), application_roles::role_id.eq(&id)))
                        .execute(conn)?;
                }
            }
            Ok(())
        })
        .await
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

//! API resources and their scopes.

use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[async_trait]
impl ResourceRepo for Db {
    async fn insert_resource(&self, r: &Resource) -> RepoResult<()> {
        let r = r.clone();
        self.run(move |conn| {
            diesel::insert_into(resources::table)
                .values((
                    resources::id.eq(r.id.0),
                    resources::name.eq(r.name),
                    resources::indicator.eq(r.indicator),
                    resources::access_token_ttl.eq(r.access_token_ttl),
                    resources::created_at.eq(r.created_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_resource_by_indicator(&self, indicator: &str) -> RepoResult<Option<Resource>> {
        let indicator = indicator.to_owned();
        self.run(move |conn| {
            let row: Option<(String, String, String, i64, i64)> = resources::table
                .filter(resources::indicator.eq(indicator))
                .select((
                    resources::id,
                    resources::name,
                    resources::indicator,
                    resources::access_token_ttl,
                    resources::created_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(resource_from))
        })
        .await
    }

    async fn list_resources(&self) -> RepoResult<Vec<Resource>> {
        self.run(move |conn| {
            let rows: Vec<(String, String, String, i64, i64)> = resources::table
                .order((resources::created_at, resources::id))
                .select((
                    resources::id,
                    resources::name,
                    resources::indicator,
                    resources::access_token_ttl,
                    resources::created_at,
                ))
                .load(conn)?;
            Ok(rows.into_iter().map(resource_from).collect())
        })
        .await
    }

    async fn update_resource(&self, r: &Resource) -> RepoResult<bool> {
        let r = r.clone();
        self.run(move |conn| {
            let n = diesel::update(resources::table.find(r.id.0))
                .set((
                    resources::name.eq(r.name),
                    resources::indicator.eq(r.indicator),
                    resources::access_token_ttl.eq(r.access_token_ttl),
                ))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn insert_scope(&self, s: &Scope) -> RepoResult<()> {
        let s = s.clone();
        self.run(move |conn| {
            diesel::insert_into(scopes::table)
                .values((
                    scopes::id.eq(s.id.0),
                    scopes::resource_id.eq(s.resource_id.0),
                    scopes::name.eq(s.name),
                    scopes::description.eq(s.description),
                    scopes::created_at.eq(0_i64),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn update_scope(&self, s: &Scope) -> RepoResult<bool> {
        let s = s.clone();
        self.run(move |conn| {
            let n = diesel::update(scopes::table.find(s.id.0))
                .set((scopes::name.eq(s.name), scopes::description.eq(s.description)))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_scopes(&self, resource: &ResourceId) -> RepoResult<Vec<Scope>> {
        let resource = resource.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, String, String)> = scopes::table
                .filter(scopes::resource_id.eq(resource))
                .order(scopes::name)
                .select((scopes::id, scopes::resource_id, scopes::name, scopes::description))
                .load(conn)?;
            Ok(rows.into_iter().map(scope_from).collect())
        })
        .await
    }

    async fn get_resource(&self, id: &ResourceId) -> RepoResult<Option<Resource>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<(String, String, String, i64, i64)> = resources::table
                .find(id)
                .select((
                    resources::id,
                    resources::name,
                    resources::indicator,
                    resources::access_token_ttl,
                    resources::created_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(resource_from))
        })
        .await
    }

    async fn delete_resource(&self, id: &ResourceId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(resources::table.find(id)).execute(conn)? > 0)).await
    }

    async fn get_scope(&self, id: &ScopeId) -> RepoResult<Option<Scope>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<(String, String, String, String)> = scopes::table
                .find(id)
                .select((scopes::id, scopes::resource_id, scopes::name, scopes::description))
                .first(conn)
                .optional()?;
            Ok(row.map(scope_from))
        })
        .await
    }

    async fn delete_scope(&self, id: &ScopeId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(scopes::table.find(id)).execute(conn)? > 0)).await
    }
}

pub(super) fn scope_from((id, rid, name, description): (String, String, String, String)) -> Scope {
    Scope { id: ScopeId(id), resource_id: ResourceId(rid), name, description }
}

fn resource_from((id, name, indicator, ttl, created): (String, String, String, i64, i64)) -> Resource {
    Resource { id: ResourceId(id), name, indicator, access_token_ttl: ttl, created_at: Timestamp(created) }
}

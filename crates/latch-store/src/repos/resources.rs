//! API resources and their scopes.

use super::{Conn, QResult, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

type ResourceRow = (String, String, String, i64, String, i64);

const RESOURCE_COLUMNS: (
    resources::id,
    resources::name,
    resources::indicator,
    resources::access_token_ttl,
    resources::access_token_signing_alg,
    resources::created_at,
) = (
    resources::id,
    resources::name,
    resources::indicator,
    resources::access_token_ttl,
    resources::access_token_signing_alg,
    resources::created_at,
);

fn resource_from((id, name, indicator, ttl, alg, created): ResourceRow) -> Resource {
    Resource {
        id: ResourceId(id),
        name,
        indicator,
        access_token_ttl: ttl,
        access_token_signing_alg: alg,
        created_at: Timestamp(created),
    }
}

/// A scope as [`SCOPE_COLUMNS`] selects it.
pub(super) type ScopeRow = (String, String, String, String);

/// The columns of a [`Scope`], for the lists that join scopes through a link table.
pub(super) const SCOPE_COLUMNS: (scopes::id, scopes::resource_id, scopes::name, scopes::description) =
    (scopes::id, scopes::resource_id, scopes::name, scopes::description);

pub(super) fn scope_from((id, rid, name, description): ScopeRow) -> Scope {
    Scope { id: ScopeId(id), resource_id: ResourceId(rid), name, description }
}

pub(super) fn insert_resource(conn: &mut Conn, r: &Resource) -> QResult<()> {
    diesel::insert_into(resources::table)
        .values((
            resources::id.eq(r.id.as_str()),
            resources::name.eq(&r.name),
            resources::indicator.eq(&r.indicator),
            resources::access_token_ttl.eq(r.access_token_ttl),
            resources::access_token_signing_alg.eq(&r.access_token_signing_alg),
            resources::created_at.eq(r.created_at.0),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn update_resource(conn: &mut Conn, r: &Resource) -> QResult<bool> {
    let n = diesel::update(resources::table.find(r.id.as_str()))
        .set((
            resources::name.eq(&r.name),
            resources::indicator.eq(&r.indicator),
            resources::access_token_ttl.eq(r.access_token_ttl),
            resources::access_token_signing_alg.eq(&r.access_token_signing_alg),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Deletes the resource with its scopes (and their role links).
pub(super) fn delete_resource(conn: &mut Conn, id: &ResourceId) -> QResult<bool> {
    Ok(diesel::delete(resources::table.find(id.as_str())).execute(conn)? > 0)
}

pub(super) fn insert_scope(conn: &mut Conn, s: &Scope) -> QResult<()> {
    diesel::insert_into(scopes::table)
        .values((
            scopes::id.eq(s.id.as_str()),
            scopes::resource_id.eq(s.resource_id.as_str()),
            scopes::name.eq(&s.name),
            scopes::description.eq(&s.description),
            scopes::created_at.eq(0_i64),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn update_scope(conn: &mut Conn, s: &Scope) -> QResult<bool> {
    let n = diesel::update(scopes::table.find(s.id.as_str()))
        .set((scopes::name.eq(&s.name), scopes::description.eq(&s.description)))
        .execute(conn)?;
    Ok(n > 0)
}

pub(super) fn delete_scope(conn: &mut Conn, id: &ScopeId) -> QResult<bool> {
    Ok(diesel::delete(scopes::table.find(id.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl ResourceRepo for Db {
    async fn insert_resource(&self, r: &Resource) -> RepoResult<()> {
        let r = r.clone();
        self.run(move |conn| insert_resource(conn, &r)).await
    }

    async fn get_resource_by_indicator(&self, indicator: &str) -> RepoResult<Option<Resource>> {
        let indicator = indicator.to_owned();
        self.run(move |conn| {
            let row: Option<ResourceRow> = resources::table
                .filter(resources::indicator.eq(indicator))
                .select(RESOURCE_COLUMNS)
                .first(conn)
                .optional()?;
            Ok(row.map(resource_from))
        })
        .await
    }

    async fn list_resources(&self) -> RepoResult<Vec<Resource>> {
        self.run(move |conn| {
            let rows: Vec<ResourceRow> =
                resources::table.order((resources::created_at, resources::id)).select(RESOURCE_COLUMNS).load(conn)?;
            Ok(rows.into_iter().map(resource_from).collect())
        })
        .await
    }

    async fn page_resources(&self, page: Page) -> RepoResult<(Vec<Resource>, i64)> {
        self.run(move |conn| {
            let total: i64 = resources::table.count().get_result(conn)?;
            let rows: Vec<ResourceRow> = resources::table
                .order((resources::created_at, resources::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(RESOURCE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(resource_from).collect(), total))
        })
        .await
    }

    async fn update_resource(&self, r: &Resource) -> RepoResult<bool> {
        let r = r.clone();
        self.run(move |conn| update_resource(conn, &r)).await
    }

    async fn insert_scope(&self, s: &Scope) -> RepoResult<()> {
        let s = s.clone();
        self.run(move |conn| insert_scope(conn, &s)).await
    }

    async fn update_scope(&self, s: &Scope) -> RepoResult<bool> {
        let s = s.clone();
        self.run(move |conn| update_scope(conn, &s)).await
    }

    async fn list_scopes(&self, resource: &ResourceId) -> RepoResult<Vec<Scope>> {
        let resource = resource.0.clone();
        self.run(move |conn| {
            let rows: Vec<ScopeRow> = scopes::table
                .filter(scopes::resource_id.eq(resource))
                .order(scopes::name)
                .select(SCOPE_COLUMNS)
                .load(conn)?;
            Ok(rows.into_iter().map(scope_from).collect())
        })
        .await
    }

    async fn page_scopes(&self, resource: &ResourceId, page: Page) -> RepoResult<(Vec<Scope>, i64)> {
        let resource = resource.0.clone();
        self.run(move |conn| {
            let total: i64 = scopes::table.filter(scopes::resource_id.eq(&resource)).count().get_result(conn)?;
            let rows: Vec<ScopeRow> = scopes::table
                .filter(scopes::resource_id.eq(&resource))
                .order(scopes::name)
                .limit(limit(page))
                .offset(page.offset())
                .select(SCOPE_COLUMNS)
                .load(conn)?;
            Ok((rows.into_iter().map(scope_from).collect(), total))
        })
        .await
    }

    async fn get_resource(&self, id: &ResourceId) -> RepoResult<Option<Resource>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<ResourceRow> = resources::table.find(id).select(RESOURCE_COLUMNS).first(conn).optional()?;
            Ok(row.map(resource_from))
        })
        .await
    }

    async fn delete_resource(&self, id: &ResourceId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_resource(conn, &id)).await
    }

    async fn get_scope(&self, id: &ScopeId) -> RepoResult<Option<Scope>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<ScopeRow> = scopes::table.find(id).select(SCOPE_COLUMNS).first(conn).optional()?;
            Ok(row.map(scope_from))
        })
        .await
    }

    async fn delete_scope(&self, id: &ScopeId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_scope(conn, &id)).await
    }

    async fn scopes_with_resources(&self, ids: &[ScopeId]) -> RepoResult<Vec<(Scope, Resource)>> {
        let ids: Vec<String> = ids.iter().map(|i| i.0.clone()).collect();
        self.run(move |conn| {
            let rows: Vec<(ScopeRow, ResourceRow)> = scopes::table
                .inner_join(resources::table)
                .filter(scopes::id.eq_any(&ids))
                .order((resources::name, scopes::name))
                .select((SCOPE_COLUMNS, RESOURCE_COLUMNS))
                .load(conn)?;
            Ok(rows.into_iter().map(|(s, r)| (scope_from(s), resource_from(r))).collect())
        })
        .await
    }
}

//! Applications (clients) with their URIs and secrets.

use super::{Conn, QResult, json_text, limit};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use std::collections::HashMap;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = applications)]
struct AppRow {
    id: String,
    name: String,
    description: Option<String>,
    app_type: String,
    is_third_party: bool,
    custom_client_metadata: String,
    created_at: i64,
    updated_at: i64,
}

const URI_REDIRECT: &str = "redirect";
const URI_POST_LOGOUT: &str = "post_logout";

/// Replaces the URIs of `app` with its lists, in one insert.
fn write_uris(conn: &mut Conn, app: &Application) -> QResult<()> {
    diesel::delete(application_uris::table.filter(application_uris::application_id.eq(app.id.as_str())))
        .execute(conn)?;
    let mut rows = Vec::with_capacity(app.redirect_uris.len() + app.post_logout_redirect_uris.len());
    for (kind, list) in [(URI_REDIRECT, &app.redirect_uris), (URI_POST_LOGOUT, &app.post_logout_redirect_uris)] {
        for (i, uri) in list.iter().enumerate() {
            rows.push((
                application_uris::application_id.eq(app.id.as_str()),
                application_uris::kind.eq(kind),
                application_uris::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                application_uris::uri.eq(uri.as_str()),
            ));
        }
    }
    if !rows.is_empty() {
        // A multi-row insert is built per backend: the `MultiConnection` backend builds it for
        // Postgres only (SQLite's goes through its own connection type).
        per_backend!(conn, |c| diesel::insert_into(application_uris::table).values(rows).execute(c))?;
    }
    Ok(())
}

fn app_row(app: &Application, now: i64) -> AppRow {
    AppRow {
        id: app.id.0.clone(),
        name: app.name.clone(),
        description: app.description.clone(),
        app_type: app.app_type.as_str().to_owned(),
        is_third_party: app.is_third_party,
        custom_client_metadata: json_text(&app.custom),
        created_at: app.created_at.0,
        updated_at: now,
    }
}

/// The applications of `rows` with their URIs: one query for the URIs of all of them.
fn load_apps(conn: &mut Conn, rows: Vec<AppRow>) -> QResult<Vec<Application>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let uris: Vec<(String, String, String)> = application_uris::table
        .filter(application_uris::application_id.eq_any(&ids))
        .order((application_uris::application_id, application_uris::kind, application_uris::position))
        .select((application_uris::application_id, application_uris::kind, application_uris::uri))
        .load(conn)?;
    // (redirect URIs, post-logout URIs) per application, each in position order.
    let mut by_app: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    for (app, kind, uri) in uris {
        let lists = by_app.entry(app).or_default();
        match kind.as_str() {
            URI_REDIRECT => lists.0.push(uri),
            URI_POST_LOGOUT => lists.1.push(uri),
            _ => {}
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let (redirect_uris, post_logout_redirect_uris) = by_app.remove(&row.id).unwrap_or_default();
            Application {
                redirect_uris,
                post_logout_redirect_uris,
                id: ApplicationId(row.id),
                name: row.name,
                description: row.description,
                app_type: AppType::parse(&row.app_type).unwrap_or(AppType::Traditional),
                is_third_party: row.is_third_party,
                custom: serde_json::from_str(&row.custom_client_metadata).unwrap_or_default(),
                created_at: Timestamp(row.created_at),
            }
        })
        .collect())
}

/// Inserts the application and its URIs.
pub(super) fn insert_application(conn: &mut Conn, app: &Application) -> QResult<()> {
    diesel::insert_into(applications::table).values(app_row(app, app.created_at.0)).execute(conn)?;
    write_uris(conn, app)
}

/// Replaces the stored fields (not the creation time) and the URIs of `app.id`; `false` when
/// it does not exist.
pub(super) fn update_application(conn: &mut Conn, app: &Application) -> QResult<bool> {
    let row = app_row(app, app.created_at.0);
    let n = diesel::update(applications::table.find(&row.id))
        .set((
            applications::name.eq(&row.name),
            applications::description.eq(&row.description),
            applications::app_type.eq(&row.app_type),
            applications::is_third_party.eq(row.is_third_party),
            applications::custom_client_metadata.eq(&row.custom_client_metadata),
            applications::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    write_uris(conn, app)?;
    Ok(true)
}

/// Deletes the application (its URIs, secrets and links go with it).
pub(super) fn delete_application(conn: &mut Conn, id: &ApplicationId) -> QResult<bool> {
    Ok(diesel::delete(applications::table.find(id.as_str())).execute(conn)? > 0)
}

pub(super) fn insert_secret(conn: &mut Conn, s: &AppSecret) -> QResult<()> {
    diesel::insert_into(application_secrets::table)
        .values((
            application_secrets::application_id.eq(s.application_id.as_str()),
            application_secrets::name.eq(&s.name),
            application_secrets::secret_hash.eq(&s.hash),
            application_secrets::created_at.eq(s.created_at.0),
            application_secrets::expires_at.eq(s.expires_at.map(|t| t.0)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(super) fn delete_secret(conn: &mut Conn, app: &ApplicationId, name: &str) -> QResult<bool> {
    let n = diesel::delete(
        application_secrets::table
            .filter(application_secrets::application_id.eq(app.as_str()))
            .filter(application_secrets::name.eq(name)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = application_secrets)]
struct SecretRow {
    application_id: String,
    name: String,
    secret_hash: String,
    created_at: i64,
    expires_at: Option<i64>,
}

impl From<SecretRow> for AppSecret {
    fn from(r: SecretRow) -> Self {
        AppSecret {
            application_id: ApplicationId(r.application_id),
            name: r.name,
            hash: r.secret_hash,
            created_at: Timestamp(r.created_at),
            expires_at: r.expires_at.map(Timestamp),
        }
    }
}

#[async_trait]
impl ApplicationRepo for Db {
    async fn insert_application(&self, app: &Application) -> RepoResult<()> {
        let app = app.clone();
        self.tx(move |conn| insert_application(conn, &app)).await
    }

    async fn update_application(&self, app: &Application) -> RepoResult<bool> {
        let app = app.clone();
        self.tx(move |conn| update_application(conn, &app)).await
    }

    async fn get_application(&self, id: &ApplicationId) -> RepoResult<Option<Application>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let rows = applications::table.find(id).select(AppRow::as_select()).load(conn)?;
            Ok(load_apps(conn, rows)?.pop())
        })
        .await
    }

    async fn find_application_by_name(&self, name: &str) -> RepoResult<Option<Application>> {
        let name = name.to_owned();
        self.run(move |conn| {
            let rows =
                applications::table.filter(applications::name.eq(name)).select(AppRow::as_select()).load(conn)?;
            Ok(load_apps(conn, rows)?.pop())
        })
        .await
    }

    async fn application_names(&self, ids: &[ApplicationId]) -> RepoResult<Vec<(ApplicationId, String)>> {
        let ids: Vec<String> = super::id_set(ids, |id| id.as_str()).into_iter().collect();
        self.run(move |conn| {
            let rows: Vec<(String, String)> = applications::table
                .filter(applications::id.eq_any(ids))
                .select((applications::id, applications::name))
                .load(conn)?;
            Ok(rows.into_iter().map(|(id, name)| (ApplicationId(id), name)).collect())
        })
        .await
    }

    async fn list_applications(&self, third_party: Option<bool>, page: Page) -> RepoResult<(Vec<Application>, i64)> {
        self.run(move |conn| {
            let mut query = applications::table.into_boxed();
            let mut count = applications::table.into_boxed();
            if let Some(tp) = third_party {
                query = query.filter(applications::is_third_party.eq(tp));
                count = count.filter(applications::is_third_party.eq(tp));
            }
            let total: i64 = count.count().get_result(conn)?;
            let rows = query
                .order((applications::created_at, applications::id))
                .limit(limit(page))
                .offset(page.offset())
                .select(AppRow::as_select())
                .load(conn)?;
            Ok((load_apps(conn, rows)?, total))
        })
        .await
    }

    async fn delete_application(&self, id: &ApplicationId) -> RepoResult<bool> {
        let id = id.clone();
        self.run(move |conn| delete_application(conn, &id)).await
    }

    async fn insert_secret(&self, secret: &AppSecret) -> RepoResult<()> {
        let s = secret.clone();
        self.run(move |conn| insert_secret(conn, &s)).await
    }

    async fn list_secrets(&self, app: &ApplicationId) -> RepoResult<Vec<AppSecret>> {
        let app = app.0.clone();
        self.run(move |conn| {
            let rows = application_secrets::table
                .filter(application_secrets::application_id.eq(app))
                .order((application_secrets::created_at, application_secrets::name))
                .select(SecretRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(AppSecret::from).collect())
        })
        .await
    }

    async fn page_secrets(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<AppSecret>, i64)> {
        let app = app.0.clone();
        self.run(move |conn| {
            let total: i64 = application_secrets::table
                .filter(application_secrets::application_id.eq(&app))
                .count()
                .get_result(conn)?;
            let rows = application_secrets::table
                .filter(application_secrets::application_id.eq(&app))
                .order((application_secrets::created_at, application_secrets::name))
                .limit(limit(page))
                .offset(page.offset())
                .select(SecretRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(AppSecret::from).collect(), total))
        })
        .await
    }

    async fn delete_secret(&self, app: &ApplicationId, name: &str) -> RepoResult<bool> {
        let (app, name) = (app.clone(), name.to_owned());
        self.run(move |conn| delete_secret(conn, &app, &name)).await
    }
}

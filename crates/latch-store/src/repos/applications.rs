//! Applications (clients) with their URIs and secrets.

use super::{Conn, QResult, json_text};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = applications, treat_none_as_null = true)]
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

fn write_uris(conn: &mut Conn, app: &Application) -> QResult<()> {
    diesel::delete(application_uris::table.filter(application_uris::application_id.eq(app.id.as_str())))
        .execute(conn)?;
    for (kind, list) in [(URI_REDIRECT, &app.redirect_uris), (URI_POST_LOGOUT, &app.post_logout_redirect_uris)] {
        for (i, uri) in list.iter().enumerate() {
            diesel::insert_into(application_uris::table)
                .values((
                    application_uris::application_id.eq(app.id.as_str()),
                    application_uris::kind.eq(kind),
                    application_uris::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                    application_uris::uri.eq(uri),
                ))
                .execute(conn)?;
        }
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

fn load_apps(conn: &mut Conn, rows: Vec<AppRow>) -> QResult<Vec<Application>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let uris: Vec<(String, String)> = application_uris::table
            .filter(application_uris::application_id.eq(&row.id))
            .order((application_uris::kind, application_uris::position))
            .select((application_uris::kind, application_uris::uri))
            .load(conn)?;
        let pick = |k: &str| uris.iter().filter(|(kind, _)| kind == k).map(|(_, u)| u.clone()).collect::<Vec<_>>();
        out.push(Application {
            redirect_uris: pick(URI_REDIRECT),
            post_logout_redirect_uris: pick(URI_POST_LOGOUT),
            id: ApplicationId(row.id),
            name: row.name,
            description: row.description,
            app_type: AppType::parse(&row.app_type).unwrap_or(AppType::Traditional),
            is_third_party: row.is_third_party,
            custom: serde_json::from_str(&row.custom_client_metadata).unwrap_or_default(),
            created_at: Timestamp(row.created_at),
        });
    }
    Ok(out)
}

#[async_trait]
impl ApplicationRepo for Db {
    async fn insert_application(&self, app: &Application) -> RepoResult<()> {
        let app = app.clone();
        self.tx(move |conn| {
            diesel::insert_into(applications::table).values(app_row(&app, app.created_at.0)).execute(conn)?;
            write_uris(conn, &app)
        })
        .await
    }

    async fn update_application(&self, app: &Application) -> RepoResult<bool> {
        let app = app.clone();
        self.tx(move |conn| {
            let mut row = app_row(&app, app.created_at.0);
            let created: Option<i64> =
                applications::table.find(&row.id).select(applications::created_at).first(conn).optional()?;
            let Some(created) = created else { return Ok(false) };
            row.created_at = created;
            let n = diesel::update(applications::table.find(&app.id.0)).set(&row).execute(conn)?;
            write_uris(conn, &app)?;
            Ok(n > 0)
        })
        .await
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
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(AppRow::as_select())
                .load(conn)?;
            Ok((load_apps(conn, rows)?, total))
        })
        .await
    }

    async fn delete_application(&self, id: &ApplicationId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(applications::table.find(id)).execute(conn)? > 0)).await
    }

    async fn insert_secret(&self, secret: &AppSecret) -> RepoResult<()> {
        let s = secret.clone();
        self.run(move |conn| {
            diesel::insert_into(application_secrets::table)
                .values((
                    application_secrets::application_id.eq(s.application_id.0),
                    application_secrets::name.eq(s.name),
                    application_secrets::secret_hash.eq(s.hash),
                    application_secrets::created_at.eq(s.created_at.0),
                    application_secrets::expires_at.eq(s.expires_at.map(|t| t.0)),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn list_secrets(&self, app: &ApplicationId) -> RepoResult<Vec<AppSecret>> {
        let app = app.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, String, i64, Option<i64>)> = application_secrets::table
                .filter(application_secrets::application_id.eq(app))
                .order((application_secrets::created_at, application_secrets::name))
                .select((
                    application_secrets::application_id,
                    application_secrets::name,
                    application_secrets::secret_hash,
                    application_secrets::created_at,
                    application_secrets::expires_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(a, name, hash, created, exp)| AppSecret {
                    application_id: ApplicationId(a),
                    name,
                    hash,
                    created_at: Timestamp(created),
                    expires_at: exp.map(Timestamp),
                })
                .collect())
        })
        .await
    }

    async fn delete_secret(&self, app: &ApplicationId, name: &str) -> RepoResult<bool> {
        let (app, name) = (app.0.clone(), name.to_owned());
        self.run(move |conn| {
            let n = diesel::delete(
                application_secrets::table
                    .filter(application_secrets::application_id.eq(app))
                    .filter(application_secrets::name.eq(name)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }
}

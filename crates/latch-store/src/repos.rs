//! The domain's repository traits, implemented once over [`AnyConnection`] for both backends.

use crate::db::{AnyConnection, Db};
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::fields::Identifier;
use latch_domain::ids::*;
use latch_domain::repo::*;
use std::collections::BTreeSet;

diesel::define_sql_function! {
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

type Conn = AnyConnection;
type QResult<T> = Result<T, DieselError>;

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

// ---------------------------------------------------------------- applications

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

// ---------------------------------------------------------------- users

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct UserRow {
    id: String,
    username: Option<String>,
    primary_email: Option<String>,
    primary_phone: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    profile: String,
    custom_data: String,
    password_hash: Option<String>,
    email_verified: bool,
    phone_verified: bool,
    is_suspended: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        UserRow {
            id: u.id.0.clone(),
            username: u.username.clone(),
            primary_email: u.primary_email.clone(),
            primary_phone: u.primary_phone.clone(),
            name: u.name.clone(),
            avatar: u.avatar.clone(),
            profile: json_text(&u.profile),
            custom_data: json_text(&u.custom_data),
            password_hash: u.password_hash.clone(),
            email_verified: u.email_verified,
            phone_verified: u.phone_verified,
            is_suspended: u.is_suspended,
            created_at: u.created_at.0,
            updated_at: u.updated_at.0,
        }
    }
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            username: r.username,
            primary_email: r.primary_email,
            primary_phone: r.primary_phone,
            name: r.name,
            avatar: r.avatar,
            profile: serde_json::from_str(&r.profile).unwrap_or_default(),
            custom_data: serde_json::from_str(&r.custom_data).unwrap_or(serde_json::Value::Object(Default::default())),
            password_hash: r.password_hash,
            email_verified: r.email_verified,
            phone_verified: r.phone_verified,
            is_suspended: r.is_suspended,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

#[async_trait]
impl UserRepo for Db {
    async fn insert_user(&self, user: &User) -> RepoResult<()> {
        let row = UserRow::from(user);
        self.run(move |conn| diesel::insert_into(users::table).values(row).execute(conn).map(|_| ())).await
    }

    async fn update_user(&self, user: &User) -> RepoResult<bool> {
        let row = UserRow::from(user);
        self.run(move |conn| Ok(diesel::update(users::table.find(row.id.clone())).set(&row).execute(conn)? > 0)).await
    }

    async fn get_user(&self, id: &UserId) -> RepoResult<Option<User>> {
        let id = id.0.clone();
        self.run(move |conn| {
            Ok(users::table.find(id).select(UserRow::as_select()).first(conn).optional()?.map(User::from))
        })
        .await
    }

    async fn find_user_by_login(&self, identifier: &str) -> RepoResult<Option<User>> {
        // One reading per identifier (security review, issue 9 item 8): a username can never
        // stand in for someone else's email, even one stored before usernames lost `@`.
        match Identifier::parse(identifier) {
            Identifier::Email(email) => self.find_user_by_email(email).await,
            Identifier::Username(name) => self.find_user_by_username(name).await,
        }
    }

    async fn find_user_by_username(&self, username: &str) -> RepoResult<Option<User>> {
        let username = username.to_owned();
        self.run(move |conn| {
            Ok(users::table
                .filter(users::username.eq(username))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?
                .map(User::from))
        })
        .await
    }

    async fn find_user_by_email(&self, email: &str) -> RepoResult<Option<User>> {
        let email = email.to_owned();
        self.run(move |conn| {
            Ok(users::table
                .filter(lower(users::primary_email).eq(lower(Some(email.as_str()))))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?
                .map(User::from))
        })
        .await
    }

    async fn list_users(&self, page: Page) -> RepoResult<(Vec<User>, i64)> {
        self.run(move |conn| {
            let total: i64 = users::table.count().get_result(conn)?;
            let rows = users::table
                .order((users::created_at, users::id))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok((rows.into_iter().map(User::from).collect(), total))
        })
        .await
    }

    async fn delete_user(&self, id: &UserId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(users::table.find(id)).execute(conn)? > 0)).await
    }
}

// ---------------------------------------------------------------- resources and scopes

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

fn scope_from((id, rid, name, description): (String, String, String, String)) -> Scope {
    Scope { id: ScopeId(id), resource_id: ResourceId(rid), name, description }
}

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

fn resource_from((id, name, indicator, ttl, created): (String, String, String, i64, i64)) -> Resource {
    Resource { id: ResourceId(id), name, indicator, access_token_ttl: ttl, created_at: Timestamp(created) }
}

// ---------------------------------------------------------------- roles

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

// ---------------------------------------------------------------- sessions

#[async_trait]
impl SessionRepo for Db {
    async fn insert_session(&self, s: &Session) -> RepoResult<()> {
        let s = s.clone();
        self.run(move |conn| {
            diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(s.id.0),
                    sessions::user_id.eq(s.user_id.0),
                    sessions::auth_time.eq(s.auth_time.0),
                    sessions::created_at.eq(s.created_at.0),
                    sessions::last_active_at.eq(s.last_active_at.0),
                    sessions::expires_at.eq(s.expires_at.0),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_session(&self, id: &SessionId) -> RepoResult<Option<Session>> {
        let id = id.0.clone();
        self.run(move |conn| {
            let row: Option<(String, String, i64, i64, i64, i64)> = sessions::table
                .find(id)
                .select((
                    sessions::id,
                    sessions::user_id,
                    sessions::auth_time,
                    sessions::created_at,
                    sessions::last_active_at,
                    sessions::expires_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(id, user, auth, created, active, exp)| Session {
                id: SessionId(id),
                user_id: UserId(user),
                auth_time: Timestamp(auth),
                created_at: Timestamp(created),
                last_active_at: Timestamp(active),
                expires_at: Timestamp(exp),
            }))
        })
        .await
    }

    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> RepoResult<()> {
        let id = id.0.clone();
        self.run(move |conn| {
            diesel::update(sessions::table.find(id)).set(sessions::last_active_at.eq(at.0)).execute(conn).map(|_| ())
        })
        .await
    }

    async fn delete_session(&self, id: &SessionId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(sessions::table.find(id)).execute(conn)? > 0)).await
    }

    async fn list_user_sessions(&self, user: &UserId) -> RepoResult<Vec<Session>> {
        let user = user.0.clone();
        self.run(move |conn| {
            let rows: Vec<(String, String, i64, i64, i64, i64)> = sessions::table
                .filter(sessions::user_id.eq(user))
                .order((sessions::created_at.desc(), sessions::id.asc()))
                .select((
                    sessions::id,
                    sessions::user_id,
                    sessions::auth_time,
                    sessions::created_at,
                    sessions::last_active_at,
                    sessions::expires_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, user, auth, created, active, exp)| Session {
                    id: SessionId(id),
                    user_id: UserId(user),
                    auth_time: Timestamp(auth),
                    created_at: Timestamp(created),
                    last_active_at: Timestamp(active),
                    expires_at: Timestamp(exp),
                })
                .collect())
        })
        .await
    }

    async fn delete_user_sessions(&self, user: &UserId) -> RepoResult<u64> {
        let user = user.0.clone();
        self.run(move |conn| {
            let n = diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}

// ---------------------------------------------------------------- grants

#[async_trait]
impl GrantRepo for Db {
    async fn get_grant(&self, user: &UserId, app: &ApplicationId) -> RepoResult<Option<Grant>> {
        let (user, app) = (user.0.clone(), app.0.clone());
        self.run(move |conn| {
            let row: Option<(String, String, String, String, i64, i64, Option<i64>)> = grants::table
                .filter(grants::user_id.eq(user))
                .filter(grants::application_id.eq(app))
                .select((
                    grants::id,
                    grants::user_id,
                    grants::application_id,
                    grants::details,
                    grants::created_at,
                    grants::updated_at,
                    grants::last_used_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(id, user, app, details, created, updated, used)| Grant {
                id: GrantId(id),
                user_id: UserId(user),
                application_id: ApplicationId(app),
                details: serde_json::from_str(&details).unwrap_or_default(),
                created_at: Timestamp(created),
                updated_at: Timestamp(updated),
                last_used_at: used.map(Timestamp),
            }))
        })
        .await
    }

    async fn save_grant(&self, g: &Grant) -> RepoResult<()> {
        let g = g.clone();
        self.tx(move |conn| {
            // Write first, so a SQLite transaction takes the write lock before it reads.
            let details = json_text(&g.details);
            let updated = diesel::update(
                grants::table
                    .filter(grants::user_id.eq(&g.user_id.0))
                    .filter(grants::application_id.eq(&g.application_id.0)),
            )
            .set((
                grants::details.eq(&details),
                grants::updated_at.eq(g.updated_at.0),
                grants::last_used_at.eq(g.last_used_at.map(|t| t.0)),
            ))
            .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(grants::table)
                    .values((
                        grants::id.eq(&g.id.0),
                        grants::user_id.eq(&g.user_id.0),
                        grants::application_id.eq(&g.application_id.0),
                        grants::details.eq(&details),
                        grants::created_at.eq(g.created_at.0),
                        grants::updated_at.eq(g.updated_at.0),
                        grants::last_used_at.eq(g.last_used_at.map(|t| t.0)),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_grant(&self, id: &GrantId) -> RepoResult<bool> {
        let id = id.0.clone();
        self.run(move |conn| Ok(diesel::delete(grants::table.find(id)).execute(conn)? > 0)).await
    }
}

// ---------------------------------------------------------------- tokens

#[async_trait]
impl TokenRepo for Db {
    async fn insert_access_token(&self, t: &AccessTokenRecord) -> RepoResult<()> {
        let t = t.clone();
        self.run(move |conn| {
            diesel::insert_into(access_tokens::table)
                .values((
                    access_tokens::token_hash.eq(t.token_hash),
                    access_tokens::application_id.eq(t.application_id.0),
                    access_tokens::user_id.eq(t.user_id.map(|u| u.0)),
                    access_tokens::grant_id.eq(t.grant_id.map(|g| g.0)),
                    access_tokens::scope.eq(t.scope),
                    access_tokens::issued_at.eq(t.issued_at.0),
                    access_tokens::expires_at.eq(t.expires_at.0),
                    access_tokens::family_id.eq(t.family),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_access_token(&self, token_hash: &str) -> RepoResult<Option<AccessTokenRecord>> {
        let h = token_hash.to_owned();
        self.run(move |conn| {
            type Row = (String, String, Option<String>, Option<String>, Option<String>, String, i64, i64);
            let row: Option<Row> = access_tokens::table
                .find(h)
                .select((
                    access_tokens::token_hash,
                    access_tokens::application_id,
                    access_tokens::user_id,
                    access_tokens::grant_id,
                    access_tokens::family_id,
                    access_tokens::scope,
                    access_tokens::issued_at,
                    access_tokens::expires_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(token_hash, app, user, grant, family, scope, iat, exp)| AccessTokenRecord {
                token_hash,
                application_id: ApplicationId(app),
                user_id: user.map(UserId),
                grant_id: grant.map(GrantId),
                family,
                scope,
                issued_at: Timestamp(iat),
                expires_at: Timestamp(exp),
            }))
        })
        .await
    }

    async fn revoke_grant_tokens(&self, grant: &GrantId) -> RepoResult<u64> {
        let g = grant.0.clone();
        self.tx(move |conn| {
            let a = diesel::delete(access_tokens::table.filter(access_tokens::grant_id.eq(&g))).execute(conn)?;
            let r = diesel::delete(refresh_tokens::table.filter(refresh_tokens::grant_id.eq(&g))).execute(conn)?;
            Ok(u64::try_from(a + r).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn revoke_token_family(&self, family: &str) -> RepoResult<u64> {
        let f = family.to_owned();
        self.tx(move |conn| {
            if f.is_empty() {
                return Ok(0);
            }
            let a = diesel::delete(access_tokens::table.filter(access_tokens::family_id.eq(&f))).execute(conn)?;
            let r = diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq(&f))).execute(conn)?;
            Ok(u64::try_from(a + r).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn delete_access_token(&self, token_hash: &str) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| Ok(diesel::delete(access_tokens::table.find(h)).execute(conn)? > 0)).await
    }

    async fn delete_grant_access_tokens(&self, grant: &GrantId) -> RepoResult<u64> {
        let g = grant.0.clone();
        self.run(move |conn| {
            let n = diesel::delete(access_tokens::table.filter(access_tokens::grant_id.eq(g))).execute(conn)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn insert_refresh_token(&self, t: &RefreshTokenRecord) -> RepoResult<()> {
        let t = t.clone();
        self.run(move |conn| {
            diesel::insert_into(refresh_tokens::table)
                .values((
                    refresh_tokens::token_hash.eq(t.token_hash),
                    refresh_tokens::grant_id.eq(t.grant_id.0),
                    refresh_tokens::application_id.eq(t.application_id.0),
                    refresh_tokens::user_id.eq(t.user_id.0),
                    refresh_tokens::scope.eq(t.scope),
                    refresh_tokens::resources.eq(json_text(&t.resources)),
                    refresh_tokens::auth_time.eq(t.auth_time.0),
                    refresh_tokens::issued_at.eq(t.issued_at.0),
                    refresh_tokens::expires_at.eq(t.expires_at.0),
                    refresh_tokens::consumed_at.eq(t.consumed_at.map(|c| c.0)),
                    refresh_tokens::family_id.eq(t.family),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn get_refresh_token(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>> {
        let h = token_hash.to_owned();
        self.run(move |conn| {
            type Row = (String, String, String, String, String, String, String, i64, i64, i64, Option<i64>);
            let row: Option<Row> = refresh_tokens::table
                .find(h)
                .select((
                    refresh_tokens::token_hash,
                    refresh_tokens::grant_id,
                    refresh_tokens::application_id,
                    refresh_tokens::user_id,
                    refresh_tokens::family_id,
                    refresh_tokens::scope,
                    refresh_tokens::resources,
                    refresh_tokens::auth_time,
                    refresh_tokens::issued_at,
                    refresh_tokens::expires_at,
                    refresh_tokens::consumed_at,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(token_hash, grant, app, user, family, scope, resources, auth, iat, exp, consumed)| {
                RefreshTokenRecord {
                    token_hash,
                    grant_id: GrantId(grant),
                    application_id: ApplicationId(app),
                    user_id: UserId(user),
                    family,
                    scope,
                    resources: serde_json::from_str(&resources).unwrap_or_default(),
                    auth_time: Timestamp(auth),
                    issued_at: Timestamp(iat),
                    expires_at: Timestamp(exp),
                    consumed_at: consumed.map(Timestamp),
                }
            }))
        })
        .await
    }

    async fn consume_refresh_token(&self, token_hash: &str, at: Timestamp) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| {
            // One conditional UPDATE: the database decides the single winner (row lock on
            // Postgres, the write lock on SQLite); a loser sees `consumed_at` set and changes 0 rows.
            let changed = diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(h))
                    .filter(refresh_tokens::consumed_at.is_null()),
            )
            .set(refresh_tokens::consumed_at.eq(Some(at.0)))
            .execute(conn)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn delete_refresh_token(&self, token_hash: &str) -> RepoResult<bool> {
        let h = token_hash.to_owned();
        self.run(move |conn| Ok(diesel::delete(refresh_tokens::table.find(h)).execute(conn)? > 0)).await
    }
}

// ---------------------------------------------------------------- signing keys

#[async_trait]
impl KeyRepo for Db {
    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKey>> {
        self.run(move |conn| {
            let rows: Vec<(String, String, String, String, String, i64, Option<i64>)> = signing_keys::table
                .order((signing_keys::created_at, signing_keys::kid))
                .select((
                    signing_keys::kid,
                    signing_keys::alg,
                    signing_keys::state,
                    signing_keys::private_jwe,
                    signing_keys::public_jwk,
                    signing_keys::created_at,
                    signing_keys::retired_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(kid, alg, state, private_jwe, public_jwk, created, retired)| SigningKey {
                    kid: KeyId(kid),
                    alg,
                    state: KeyState::parse(&state).unwrap_or(KeyState::Previous),
                    private_jwe,
                    public_jwk,
                    created_at: Timestamp(created),
                    retired_at: retired.map(Timestamp),
                })
                .collect())
        })
        .await
    }

    async fn insert_signing_key(&self, k: &SigningKey) -> RepoResult<()> {
        let k = k.clone();
        self.run(move |conn| {
            diesel::insert_into(signing_keys::table)
                .values((
                    signing_keys::kid.eq(k.kid.0),
                    signing_keys::alg.eq(k.alg),
                    signing_keys::state.eq(k.state.as_str()),
                    signing_keys::private_jwe.eq(k.private_jwe),
                    signing_keys::public_jwk.eq(k.public_jwk),
                    signing_keys::created_at.eq(k.created_at.0),
                    signing_keys::retired_at.eq(k.retired_at.map(|t| t.0)),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn set_signing_key_state(&self, kid: &KeyId, state: KeyState) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| {
            Ok(diesel::update(signing_keys::table.find(kid))
                .set(signing_keys::state.eq(state.as_str()))
                .execute(conn)?
                > 0)
        })
        .await
    }

    async fn retire_signing_key(&self, kid: &KeyId, at: Timestamp) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| {
            let n = diesel::update(signing_keys::table.find(kid))
                .set((signing_keys::state.eq(KeyState::Previous.as_str()), signing_keys::retired_at.eq(Some(at.0))))
                .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_signing_key(&self, kid: &KeyId) -> RepoResult<bool> {
        let kid = kid.0.clone();
        self.run(move |conn| Ok(diesel::delete(signing_keys::table.find(kid)).execute(conn)? > 0)).await
    }
}

// ---------------------------------------------------------------- audit log

#[async_trait]
impl AuditRepo for Db {
    async fn append_audit(&self, e: &AuditEntry) -> RepoResult<()> {
        let e = e.clone();
        self.run(move |conn| {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::id.eq(e.id),
                    audit_log::at.eq(e.at.0),
                    audit_log::actor.eq(e.actor),
                    audit_log::action.eq(e.action),
                    audit_log::target_type.eq(e.target_type),
                    audit_log::target_id.eq(e.target_id),
                    audit_log::details.eq(json_text(&e.details)),
                ))
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    async fn list_audit(&self, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)> {
        self.run(move |conn| {
            let total: i64 = audit_log::table.count().get_result(conn)?;
            let rows: Vec<(String, i64, String, String, String, String, String)> = audit_log::table
                .order((audit_log::at.desc(), audit_log::id.desc()))
                .limit(i64::from(page.size))
                .offset(page.offset())
                .select((
                    audit_log::id,
                    audit_log::at,
                    audit_log::actor,
                    audit_log::action,
                    audit_log::target_type,
                    audit_log::target_id,
                    audit_log::details,
                ))
                .load(conn)?;
            Ok((
                rows.into_iter()
                    .map(|(id, at, actor, action, target_type, target_id, details)| AuditEntry {
                        id,
                        at: Timestamp(at),
                        actor,
                        action,
                        target_type,
                        target_id,
                        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                    })
                    .collect(),
                total,
            ))
        })
        .await
    }
}

#[async_trait]
impl Repositories for Db {
    async fn ping(&self) -> RepoResult<()> {
        self.ping_db().await
    }

    fn backend(&self) -> &'static str {
        Db::backend(self).name()
    }
}

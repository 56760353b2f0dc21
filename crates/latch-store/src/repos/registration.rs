//! Self-service registration: the policy (one row) and each self-registered client's record.

use super::{Conn, QResult};
use crate::db::Db;
use crate::schema::*;
use async_trait::async_trait;
use diesel::prelude::*;
use latch_domain::Timestamp;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::repo::*;
use serde::{Deserialize, Serialize};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = registration_policy)]
struct PolicyRow {
    id: String,
    enabled: bool,
    app_types: String,
    permissions: String,
    redirect_hosts: String,
    require_initial_access_token: bool,
    registrations_per_hour: i64,
    unverified_notice: bool,
    updated_at: i64,
}

/// One permission as the `permissions` column holds it.
#[derive(Serialize, Deserialize)]
struct StoredPermission {
    #[serde(rename = "type")]
    scope_type: String,
    #[serde(rename = "ref")]
    scope_ref: String,
}

/// The one row's id (the table's CHECK allows no other).
const POLICY_ROW: &str = "default";

fn words(v: &str) -> Vec<String> {
    v.split_ascii_whitespace().map(str::to_owned).collect()
}

impl From<&RegistrationPolicy> for PolicyRow {
    fn from(p: &RegistrationPolicy) -> Self {
        let permissions: Vec<StoredPermission> = p
            .permissions
            .iter()
            .map(|c| StoredPermission { scope_type: c.scope_type.as_str().to_owned(), scope_ref: c.scope_ref.clone() })
            .collect();
        PolicyRow {
            id: POLICY_ROW.to_owned(),
            enabled: p.enabled,
            app_types: p.app_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" "),
            permissions: serde_json::to_string(&permissions).unwrap_or_else(|_| "[]".to_owned()),
            redirect_hosts: p.redirect_hosts.join(" "),
            require_initial_access_token: p.require_initial_access_token,
            registrations_per_hour: i64::try_from(p.registrations_per_hour).unwrap_or(i64::MAX),
            unverified_notice: p.unverified_notice,
            updated_at: p.updated_at.0,
        }
    }
}

impl From<PolicyRow> for RegistrationPolicy {
    fn from(r: PolicyRow) -> Self {
        // Rows are written from checked policies; an entry this build cannot read is skipped.
        let stored: Vec<StoredPermission> = serde_json::from_str(&r.permissions).unwrap_or_default();
        RegistrationPolicy {
            enabled: r.enabled,
            app_types: words(&r.app_types).iter().filter_map(|t| AppType::parse(t)).collect(),
            permissions: stored
                .into_iter()
                .filter_map(|p| {
                    let scope_type = ConsentScopeType::parse(&p.scope_type)?;
                    Some(ConsentScope { scope_type, scope_ref: p.scope_ref, required: false })
                })
                .collect(),
            redirect_hosts: words(&r.redirect_hosts),
            require_initial_access_token: r.require_initial_access_token,
            registrations_per_hour: u64::try_from(r.registrations_per_hour).unwrap_or(0),
            unverified_notice: r.unverified_notice,
            updated_at: Timestamp(r.updated_at),
        }
    }
}

/// Replaces the registration policy, in one upsert.
pub(super) fn put_registration_policy(conn: &mut Conn, p: &RegistrationPolicy) -> QResult<()> {
    let row = PolicyRow::from(p);
    per_backend!(conn, |c| diesel::insert_into(registration_policy::table)
        .values(&row)
        .on_conflict(registration_policy::id)
        .do_update()
        .set(&row)
        .execute(c))?;
    Ok(())
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = client_registrations, primary_key(application_id), treat_none_as_null = true)]
struct RegistrationRow {
    application_id: String,
    access_token_hash: Option<String>,
    registered_at: i64,
    ip: String,
    user_agent: Option<String>,
    software_id: Option<String>,
    software_version: Option<String>,
    client_uri: Option<String>,
    contacts: String,
    grant_types: String,
    scope: String,
    kind: String,
    token_endpoint_auth_method: String,
}

impl From<&ClientRegistration> for RegistrationRow {
    fn from(r: &ClientRegistration) -> Self {
        RegistrationRow {
            application_id: r.application_id.0.clone(),
            access_token_hash: r.access_token_hash.clone(),
            registered_at: r.registered_at.0,
            ip: r.ip.clone(),
            user_agent: r.user_agent.clone(),
            software_id: r.software_id.clone(),
            software_version: r.software_version.clone(),
            client_uri: r.client_uri.clone(),
            contacts: serde_json::to_string(&r.contacts).unwrap_or_else(|_| "[]".to_owned()),
            grant_types: r.grant_types.join(" "),
            scope: r.scope.clone(),
            kind: r.kind.as_str().to_owned(),
            token_endpoint_auth_method: r.token_endpoint_auth_method.clone(),
        }
    }
}

impl From<RegistrationRow> for ClientRegistration {
    fn from(r: RegistrationRow) -> Self {
        ClientRegistration {
            application_id: ApplicationId(r.application_id),
            kind: RegistrationKind::parse(&r.kind).unwrap_or_default(),
            access_token_hash: r.access_token_hash,
            registered_at: Timestamp(r.registered_at),
            ip: r.ip,
            user_agent: r.user_agent,
            software_id: r.software_id,
            software_version: r.software_version,
            client_uri: r.client_uri,
            contacts: serde_json::from_str(&r.contacts).unwrap_or_default(),
            grant_types: words(&r.grant_types),
            scope: r.scope,
            token_endpoint_auth_method: r.token_endpoint_auth_method,
        }
    }
}

pub(super) fn insert_client_registration(conn: &mut Conn, r: &ClientRegistration) -> QResult<()> {
    let row = RegistrationRow::from(r);
    per_backend!(conn, |c| diesel::insert_into(client_registrations::table).values(&row).execute(c))?;
    Ok(())
}

/// `false` when `r.application_id` has no registration.
pub(super) fn update_client_registration(conn: &mut Conn, r: &ClientRegistration) -> QResult<bool> {
    let row = RegistrationRow::from(r);
    Ok(diesel::update(client_registrations::table.find(r.application_id.as_str())).set(&row).execute(conn)? > 0)
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = initial_access_tokens)]
struct InitialTokenRow {
    id: String,
    name: String,
    token_hash: String,
    created_at: i64,
    expires_at: Option<i64>,
}

impl From<InitialTokenRow> for InitialAccessToken {
    fn from(r: InitialTokenRow) -> Self {
        InitialAccessToken {
            id: r.id,
            name: r.name,
            token_hash: r.token_hash,
            created_at: Timestamp(r.created_at),
            expires_at: r.expires_at.map(Timestamp),
        }
    }
}

pub(super) fn insert_initial_access_token(conn: &mut Conn, t: &InitialAccessToken) -> QResult<()> {
    let row = InitialTokenRow {
        id: t.id.clone(),
        name: t.name.clone(),
        token_hash: t.token_hash.clone(),
        created_at: t.created_at.0,
        expires_at: t.expires_at.map(|e| e.0),
    };
    per_backend!(conn, |c| diesel::insert_into(initial_access_tokens::table).values(&row).execute(c))?;
    Ok(())
}

/// `false` when there is no such token.
pub(super) fn delete_initial_access_token(conn: &mut Conn, id: &str) -> QResult<bool> {
    Ok(diesel::delete(initial_access_tokens::table.find(id)).execute(conn)? > 0)
}

/// `false` when `app` has no registration.
pub(super) fn delete_client_registration(conn: &mut Conn, app: &ApplicationId) -> QResult<bool> {
    Ok(diesel::delete(client_registrations::table.find(app.as_str())).execute(conn)? > 0)
}

#[async_trait]
impl RegistrationRepo for Db {
    async fn get_registration_policy(&self) -> RepoResult<Option<RegistrationPolicy>> {
        self.run(move |conn| {
            let row =
                registration_policy::table.find(POLICY_ROW).select(PolicyRow::as_select()).first(conn).optional()?;
            Ok(row.map(RegistrationPolicy::from))
        })
        .await
    }

    async fn get_client_registration(&self, app: &ApplicationId) -> RepoResult<Option<ClientRegistration>> {
        let app = app.0.clone();
        self.run(move |conn| {
            Ok(client_registrations::table
                .find(app)
                .select(RegistrationRow::as_select())
                .first(conn)
                .optional()?
                .map(ClientRegistration::from))
        })
        .await
    }

    async fn list_initial_access_tokens(&self) -> RepoResult<Vec<InitialAccessToken>> {
        self.run(move |conn| {
            Ok(initial_access_tokens::table
                .order((initial_access_tokens::created_at.desc(), initial_access_tokens::id))
                .select(InitialTokenRow::as_select())
                .load(conn)?
                .into_iter()
                .map(InitialAccessToken::from)
                .collect())
        })
        .await
    }

    async fn find_initial_access_token(&self, token_hash: &str) -> RepoResult<Option<InitialAccessToken>> {
        let hash = token_hash.to_owned();
        self.run(move |conn| {
            Ok(initial_access_tokens::table
                .filter(initial_access_tokens::token_hash.eq(hash))
                .select(InitialTokenRow::as_select())
                .first(conn)
                .optional()?
                .map(InitialAccessToken::from))
        })
        .await
    }

    async fn client_registrations_of(&self, apps: &[ApplicationId]) -> RepoResult<Vec<ClientRegistration>> {
        if apps.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = apps.iter().map(|a| a.0.clone()).collect();
        self.run(move |conn| {
            Ok(client_registrations::table
                .filter(client_registrations::application_id.eq_any(ids))
                .select(RegistrationRow::as_select())
                .load(conn)?
                .into_iter()
                .map(ClientRegistration::from)
                .collect())
        })
        .await
    }
}

//! Repository traits: the durable-storage port. `latch-store` implements them once, with one
//! query DSL, for SQLite and Postgres. Reads are trait methods; admin-data changes go through
//! [`Repositories::commit`] as a unit of work ([`Write`]), one transaction each.

mod write;

pub use write::Write;

use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    /// A unique constraint refused the write; the text names what collided.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A referenced row does not exist (foreign key).
    #[error("refers to something that does not exist: {0}")]
    MissingReference(String),
    /// A unit of work named a row to update or delete that is not there; nothing was written.
    #[error("not found: {0}")]
    NotFound(String),
    /// The database could not be reached or failed; never caused by user input.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

pub type RepoResult<T> = Result<T, RepoError>;

/// A page of a list: 1-based `page`, `size` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub size: u32,
}

/// Every row of a paginated list, read `size` rows at a time until the total is reached (for
/// the few readers that need a whole list: there is no "all rows" page size).
pub async fn every_row<T, F, Fut>(size: u32, mut list: F) -> RepoResult<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = RepoResult<(Vec<T>, i64)>>,
{
    let mut out = Vec::new();
    let mut page = Page { page: 1, size: size.max(1) };
    loop {
        let (rows, total) = list(page).await?;
        let last = rows.is_empty();
        out.extend(rows);
        if last || i64::try_from(out.len()).unwrap_or(i64::MAX) >= total {
            return Ok(out);
        }
        page.page += 1;
    }
}

impl Page {
    pub fn offset(self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.size)
    }
}

#[async_trait]
pub trait ApplicationRepo: Send + Sync {
    async fn insert_application(&self, app: &Application) -> RepoResult<()>;
    /// Replaces the stored fields and URI lists of `app.id`; `false` when it does not exist.
    async fn update_application(&self, app: &Application) -> RepoResult<bool>;
    async fn get_application(&self, id: &ApplicationId) -> RepoResult<Option<Application>>;
    async fn find_application_by_name(&self, name: &str) -> RepoResult<Option<Application>>;
    /// Applications ordered by creation, optionally filtered by `is_third_party`, and the total.
    async fn list_applications(&self, third_party: Option<bool>, page: Page) -> RepoResult<(Vec<Application>, i64)>;
    async fn delete_application(&self, id: &ApplicationId) -> RepoResult<bool>;
    async fn insert_secret(&self, secret: &AppSecret) -> RepoResult<()>;
    async fn list_secrets(&self, app: &ApplicationId) -> RepoResult<Vec<AppSecret>>;
    /// A page of `app`'s secrets in the order of [`list_secrets`](Self::list_secrets), and the total.
    async fn page_secrets(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<AppSecret>, i64)>;
    async fn delete_secret(&self, app: &ApplicationId, name: &str) -> RepoResult<bool>;
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn insert_user(&self, user: &User) -> RepoResult<()>;
    async fn update_user(&self, user: &User) -> RepoResult<bool>;
    async fn get_user(&self, id: &UserId) -> RepoResult<Option<User>>;
    /// Finds the user a sign-in identifier designates, read by `fields::Identifier::parse`: with
    /// an `@` by primary email (case-insensitive), otherwise by username (exact); never both.
    async fn find_user_by_login(&self, identifier: &str) -> RepoResult<Option<User>>;
    /// Finds a user by username only (exact).
    async fn find_user_by_username(&self, username: &str) -> RepoResult<Option<User>>;
    /// Finds a user by primary email only (case-insensitive).
    async fn find_user_by_email(&self, email: &str) -> RepoResult<Option<User>>;
    async fn list_users(&self, page: Page) -> RepoResult<(Vec<User>, i64)>;
    async fn delete_user(&self, id: &UserId) -> RepoResult<bool>;
}

#[async_trait]
pub trait ResourceRepo: Send + Sync {
    async fn insert_resource(&self, resource: &Resource) -> RepoResult<()>;
    async fn get_resource_by_indicator(&self, indicator: &str) -> RepoResult<Option<Resource>>;
    async fn list_resources(&self) -> RepoResult<Vec<Resource>>;
    /// A page of resources in the order of [`list_resources`](Self::list_resources), and the total.
    async fn page_resources(&self, page: Page) -> RepoResult<(Vec<Resource>, i64)>;
    /// Replaces the name, indicator and access-token lifetime of `resource.id`; `false` when it
    /// does not exist.
    async fn update_resource(&self, resource: &Resource) -> RepoResult<bool>;
    async fn insert_scope(&self, scope: &Scope) -> RepoResult<()>;
    /// Replaces the name and description of `scope.id`; `false` when it does not exist.
    async fn update_scope(&self, scope: &Scope) -> RepoResult<bool>;
    async fn list_scopes(&self, resource: &ResourceId) -> RepoResult<Vec<Scope>>;
    /// A page of [`list_scopes`](Self::list_scopes), and the total.
    async fn page_scopes(&self, resource: &ResourceId, page: Page) -> RepoResult<(Vec<Scope>, i64)>;
    async fn get_resource(&self, id: &ResourceId) -> RepoResult<Option<Resource>>;
    /// Deletes the resource and its scopes (and their role assignments).
    async fn delete_resource(&self, id: &ResourceId) -> RepoResult<bool>;
    async fn get_scope(&self, id: &ScopeId) -> RepoResult<Option<Scope>>;
    async fn delete_scope(&self, id: &ScopeId) -> RepoResult<bool>;
}

#[async_trait]
pub trait RoleRepo: Send + Sync {
    async fn insert_role(&self, role: &Role) -> RepoResult<()>;
    async fn get_role_by_name(&self, name: &str) -> RepoResult<Option<Role>>;
    /// Replaces the name, description and type of `role.id`; `false` when it does not exist.
    async fn update_role(&self, role: &Role) -> RepoResult<bool>;
    async fn add_role_scopes(&self, role: &RoleId, scopes: &[ScopeId]) -> RepoResult<()>;
    /// Ids of the scopes `role` grants, sorted.
    async fn role_scope_ids(&self, role: &RoleId) -> RepoResult<Vec<ScopeId>>;
    /// Makes `scopes` exactly the scopes `role` grants.
    async fn set_role_scopes(&self, role: &RoleId, scopes: &[ScopeId]) -> RepoResult<()>;
    async fn add_user_roles(&self, user: &UserId, roles: &[RoleId]) -> RepoResult<()>;
    /// Makes `roles` exactly the roles of `user`.
    async fn set_user_roles(&self, user: &UserId, roles: &[RoleId]) -> RepoResult<()>;
    async fn add_application_roles(&self, app: &ApplicationId, roles: &[RoleId]) -> RepoResult<()>;
    /// Makes `roles` exactly the roles of `app`.
    async fn set_application_roles(&self, app: &ApplicationId, roles: &[RoleId]) -> RepoResult<()>;
    /// Names of the scopes of `resource` that `user` holds through its roles.
    async fn user_resource_scopes(&self, user: &UserId, resource: &ResourceId) -> RepoResult<Vec<String>>;
    /// Names of the scopes of `resource` that a machine-to-machine `app` holds through its roles.
    async fn application_resource_scopes(&self, app: &ApplicationId, resource: &ResourceId) -> RepoResult<Vec<String>>;
    async fn user_role_names(&self, user: &UserId) -> RepoResult<Vec<String>>;
    async fn get_role(&self, id: &RoleId) -> RepoResult<Option<Role>>;
    /// Roles ordered by creation, and the total.
    async fn list_roles(&self, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    async fn delete_role(&self, id: &RoleId) -> RepoResult<bool>;
    async fn user_roles(&self, user: &UserId) -> RepoResult<Vec<Role>>;
    async fn application_roles(&self, app: &ApplicationId) -> RepoResult<Vec<Role>>;
    /// The scopes a role grants, with their resource ids.
    async fn role_scopes(&self, role: &RoleId) -> RepoResult<Vec<Scope>>;
    /// Users holding `role`, and the total.
    async fn role_user_ids(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<UserId>, i64)>;
    /// A page of the users holding `role` (one joined query), and the total.
    async fn page_role_users(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<User>, i64)>;
    /// A page of [`role_scopes`](Self::role_scopes), and the total.
    async fn page_role_scopes(&self, role: &RoleId, page: Page) -> RepoResult<(Vec<Scope>, i64)>;
    /// A page of [`user_roles`](Self::user_roles), and the total.
    async fn page_user_roles(&self, user: &UserId, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    /// A page of [`application_roles`](Self::application_roles), and the total.
    async fn page_application_roles(&self, app: &ApplicationId, page: Page) -> RepoResult<(Vec<Role>, i64)>;
    async fn remove_role_scope(&self, role: &RoleId, scope: &ScopeId) -> RepoResult<bool>;
    async fn remove_user_role(&self, user: &UserId, role: &RoleId) -> RepoResult<bool>;
    async fn remove_application_role(&self, app: &ApplicationId, role: &RoleId) -> RepoResult<bool>;
    /// Names of the roles of `app`, sorted.
    async fn application_role_names(&self, app: &ApplicationId) -> RepoResult<Vec<String>>;
}

#[async_trait]
pub trait SessionRepo: Send + Sync {
    async fn insert_session(&self, session: &Session) -> RepoResult<()>;
    async fn get_session(&self, id: &SessionId) -> RepoResult<Option<Session>>;
    async fn touch_session(&self, id: &SessionId, at: Timestamp) -> RepoResult<()>;
    async fn delete_session(&self, id: &SessionId) -> RepoResult<bool>;
    /// The sessions of `user`, newest first.
    async fn list_user_sessions(&self, user: &UserId) -> RepoResult<Vec<Session>>;
    /// A page of `user`'s sessions that expire after `now`, newest first, and their total.
    async fn page_user_sessions(&self, user: &UserId, now: Timestamp, page: Page) -> RepoResult<(Vec<Session>, i64)>;
    /// Deletes every session of `user` ("sign out everywhere"); returns how many.
    async fn delete_user_sessions(&self, user: &UserId) -> RepoResult<u64>;
}

#[async_trait]
pub trait GrantRepo: Send + Sync {
    async fn get_grant(&self, user: &UserId, app: &ApplicationId) -> RepoResult<Option<Grant>>;
    /// Inserts the grant, or replaces the details of the existing one of the same user and app.
    async fn save_grant(&self, grant: &Grant) -> RepoResult<()>;
    async fn delete_grant(&self, id: &GrantId) -> RepoResult<bool>;
}

#[async_trait]
pub trait TokenRepo: Send + Sync {
    async fn insert_access_token(&self, token: &AccessTokenRecord) -> RepoResult<()>;
    async fn get_access_token(&self, token_hash: &str) -> RepoResult<Option<AccessTokenRecord>>;
    /// Deletes every opaque access and refresh token issued under `grant`; returns how many.
    async fn revoke_grant_tokens(&self, grant: &GrantId) -> RepoResult<u64>;
    /// Deletes every refresh and opaque access token of a token family; an empty family
    /// names nothing.
    async fn revoke_token_family(&self, family: &str) -> RepoResult<u64>;
    async fn delete_access_token(&self, token_hash: &str) -> RepoResult<bool>;
    /// Deletes the opaque access tokens issued under `grant` (its refresh tokens stay).
    async fn delete_grant_access_tokens(&self, grant: &GrantId) -> RepoResult<u64>;
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> RepoResult<()>;
    async fn get_refresh_token(&self, token_hash: &str) -> RepoResult<Option<RefreshTokenRecord>>;
    /// Marks the token rotated out at `at`, atomically: `true` only for the one caller that
    /// changed it from unconsumed to consumed (RFC 9700 §4.14.2), so of many concurrent uses
    /// exactly one wins.
    async fn consume_refresh_token(&self, token_hash: &str, at: Timestamp) -> RepoResult<bool>;
    async fn delete_refresh_token(&self, token_hash: &str) -> RepoResult<bool>;
}

#[async_trait]
pub trait KeyRepo: Send + Sync {
    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKey>>;
    /// A page of [`list_signing_keys`](Self::list_signing_keys), and the total.
    async fn page_signing_keys(&self, page: Page) -> RepoResult<(Vec<SigningKey>, i64)>;
    async fn insert_signing_key(&self, key: &SigningKey) -> RepoResult<()>;
    async fn set_signing_key_state(&self, kid: &KeyId, state: KeyState) -> RepoResult<bool>;
    /// Marks a key previous as of `at` (it stops signing and starts its grace period).
    async fn retire_signing_key(&self, kid: &KeyId, at: Timestamp) -> RepoResult<bool>;
    async fn delete_signing_key(&self, kid: &KeyId) -> RepoResult<bool>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> RepoResult<()>;
    /// Newest first, and the total.
    async fn list_audit(&self, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)>;
}

/// Everything durable, as one handle for the servers to hold.
#[async_trait]
pub trait Repositories:
    ApplicationRepo
    + UserRepo
    + ResourceRepo
    + RoleRepo
    + SessionRepo
    + GrantRepo
    + TokenRepo
    + KeyRepo
    + AuditRepo
    + crate::orgs::OrganizationRepo
    + crate::orgs::ConsentScopeRepo
    + crate::orgs::BrandingRepo
    + crate::orgs::GrantListRepo
{
    /// Applies `writes` in order in one transaction: all of them, or none when one fails.
    async fn commit(&self, writes: Vec<Write>) -> RepoResult<()>;
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> RepoResult<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

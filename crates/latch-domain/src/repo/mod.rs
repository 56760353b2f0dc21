//! Repository traits: the durable-storage port. `latch-store` implements them once, with one
//! query DSL, for SQLite and Postgres. Reads are trait methods; admin-data changes go through
//! [`Repositories::commit`] as a unit of work ([`Write`]), one transaction each.

mod applications;
mod audit;
mod branding;
mod consent;
mod factors;
mod grants;
mod keys;
mod organizations;
mod registration;
mod resources;
mod roles;
mod sessions;
mod tokens;
mod users;
mod write;

pub use applications::ApplicationRepo;
pub use audit::{AuditFilter, AuditRepo};
pub use branding::BrandingRepo;
pub use consent::ConsentScopeRepo;
pub use factors::FactorRepo;
pub use grants::GrantRepo;
pub use keys::KeyRepo;
pub use organizations::OrganizationRepo;
pub use registration::RegistrationRepo;
pub use resources::ResourceRepo;
pub use roles::RoleRepo;
pub use sessions::SessionRepo;
pub use tokens::TokenRepo;
pub use users::UserRepo;
pub use write::Write;

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
    /// A write breaks a rule every stored object obeys (`crate::rules`); nothing was written.
    #[error("invalid: {0}")]
    Invalid(crate::rules::Violation),
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
    + OrganizationRepo
    + ConsentScopeRepo
    + BrandingRepo
    + RegistrationRepo
    + FactorRepo
{
    /// Applies `writes` in order in one transaction: all of them, or none when one fails.
    async fn commit(&self, writes: Vec<Write>) -> RepoResult<()>;
    /// Answers when the database does (for `/readyz`).
    async fn ping(&self) -> RepoResult<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

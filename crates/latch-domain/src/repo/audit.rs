//! The audit log.

use super::{Page, RepoResult};
use crate::entities::*;
use async_trait::async_trait;

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> RepoResult<()>;
    /// Newest first, and the total.
    async fn list_audit(&self, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)> {
        self.search_audit(&AuditFilter::default(), page).await
    }
    /// The entries `filter` keeps, newest first, and how many it keeps.
    async fn search_audit(&self, filter: &AuditFilter, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)>;
}

/// Which audit entries to read; every field set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this actor (`user:<id>`, `application:<id>`).
    pub actor: Option<String>,
    /// This action (`user.create`) or, ending in `.`, every action under it (`user.`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// At or after this time.
    pub since: Option<crate::Timestamp>,
    /// Before this time.
    pub until: Option<crate::Timestamp>,
}

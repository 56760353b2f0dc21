//! The audit log.

use super::{Page, RepoResult};
use crate::entities::*;
use async_trait::async_trait;

#[async_trait]
pub trait AuditRepo: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> RepoResult<()>;
    /// Newest first, and the total.
    async fn list_audit(&self, page: Page) -> RepoResult<(Vec<AuditEntry>, i64)>;
}

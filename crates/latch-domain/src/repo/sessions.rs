//! Sign-in sessions.

use super::{Page, RepoResult};
use crate::clock::Timestamp;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

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

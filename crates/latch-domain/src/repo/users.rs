//! Users.

use super::{Page, RepoResult};
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

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
    /// Every user, oldest first, and the total.
    async fn list_users(&self, page: Page) -> RepoResult<(Vec<User>, i64)> {
        self.search_users("", page).await
    }
    /// The users whose id, username, primary email, primary phone or name contains `text`
    /// (ASCII letters in any case; `%` and `_` are plain characters), oldest first, and how many
    /// match. An empty `text` matches every user.
    async fn search_users(&self, text: &str, page: Page) -> RepoResult<(Vec<User>, i64)>;
    async fn delete_user(&self, id: &UserId) -> RepoResult<bool>;
}

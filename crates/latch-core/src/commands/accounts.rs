//! A user's sign-in lock: the failed sign-ins counted against the account in the ephemeral
//! store (shared by every node), past `limits.account_lock_after` of which it is locked until
//! the window ends, or until an operator clears them.

use crate::catalog::Change;
use crate::{Actor, Changeset, Core};
use latch_domain::ids::UserId;
use latch_domain::repo::{RepoError, RepoResult};
use serde_json::json;

/// The ephemeral-store key counting `user`'s failed sign-ins (every identifier of the user,
/// username or email in any case, counts here).
pub fn sign_in_failures_key(user: &UserId) -> String {
    format!("rl:user:{user}")
}

fn unavailable(e: latch_domain::ephemeral::EphemeralError) -> RepoError {
    RepoError::Unavailable(format!("the ephemeral store: {}", e.0))
}

/// Clears `user`'s failed sign-ins, so a locked account can sign in again at once; audited as
/// `user.unlock` with how many were cleared (also when none were: the operator acted).
pub async fn unlock_user(core: &Core, actor: &Actor, user: &UserId) -> RepoResult<u64> {
    let key = sign_in_failures_key(user);
    let failures = core.cache.get(&key).await.map_err(unavailable)?.and_then(|n| n.parse().ok()).unwrap_or(0);
    core.cache.delete(&key).await.map_err(unavailable)?;
    let change = Changeset::new(
        "user.unlock",
        "user",
        user.as_str(),
        json!({ "clearedFailures": failures }),
        Change::User(user.clone()),
    );
    core.apply(actor, change).await?;
    Ok(failures)
}

//! Accounts: a user's sign-in lock (the failed sign-ins counted against the account in the
//! ephemeral store, shared by every node, past `limits.account_lock_after` of which it is
//! locked until the window ends, or until an operator clears them), and the account someone
//! creates for themself.

use crate::catalog::Change;
use crate::security_log::Origin;
use crate::{Actor, Changeset, Core};
use latch_domain::entities::{SignUpMode, User};
use latch_domain::ids::UserId;
use latch_domain::repo::{RepoError, RepoResult, Write};
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

/// Records that `user` proved they read mail at their address (a one-time code sent there),
/// audited as `user.email_verified` with the user as actor. Returns the user as stored.
pub async fn verify_email(core: &Core, origin: &Origin, user: &User) -> RepoResult<User> {
    let verified = User { email_verified: true, updated_at: core.clock.now(), ..user.clone() };
    let mut details = json!({ "email": verified.primary_email });
    origin.add_to(&mut details);
    let change =
        Changeset::new("user.email_verified", "user", user.id.as_str(), details, Change::User(user.id.clone()))
            .write(Write::UpdateUser(verified.clone()));
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(verified)
}

/// `user` chose a new password (`password_hash`) after proving they read mail at their address:
/// in one transaction the password is replaced, the address counts as verified, every session
/// of the user ends, and with `sign_out_apps` every refresh and opaque access token issued to
/// them is revoked (grants stay: apps ask the user to sign in again, not to consent again).
/// Audited as `user.password_reset` with the user as actor. Returns the user as stored.
pub async fn reset_password(
    core: &Core,
    origin: &Origin,
    user: &User,
    password_hash: String,
    sign_out_apps: bool,
) -> RepoResult<User> {
    let reset =
        User { password_hash: Some(password_hash), email_verified: true, updated_at: core.clock.now(), ..user.clone() };
    let mut details = json!({ "signedOutApps": sign_out_apps });
    origin.add_to(&mut details);
    let mut change =
        Changeset::new("user.password_reset", "user", user.id.as_str(), details, Change::User(user.id.clone()))
            .write(Write::UpdateUser(reset.clone()))
            .write(Write::DeleteUserSessions(user.id.clone()));
    if sign_out_apps {
        change = change.write(Write::RevokeUserTokens(user.id.clone()));
    }
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(reset)
}

/// Creates the account someone made for themself on the sign-up page (`user`, its password
/// already hashed), audited as `user.sign_up` with the user as actor. A username or email
/// already taken is a `Conflict`, so two people racing for one name cannot both get it.
pub async fn sign_up(core: &Core, user: &User, via: SignUpMode) -> RepoResult<()> {
    let change = Changeset::new(
        "user.sign_up",
        "user",
        user.id.as_str(),
        json!({ "via": via.as_str() }),
        Change::User(user.id.clone()),
    )
    .write(Write::InsertUser(user.clone()));
    core.apply(&Actor::User(user.id.clone()), change).await
}

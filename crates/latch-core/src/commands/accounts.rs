//! Accounts: a user's sign-in lock (the failed sign-ins counted against the account in the
//! ephemeral store, shared by every node, past `limits.account_lock_after` of which it is
//! locked until the window ends, or until an operator clears them), and the account someone
//! creates for themself.

use crate::catalog::Change;
use crate::security_log::Origin;
use crate::{Actor, Changeset, Core};
use latch_domain::entities::{SignUpMode, User};
use latch_domain::ids::{SessionId, UserId};
use latch_domain::repo::{RepoError, RepoResult, Write};
use serde_json::json;

/// The ephemeral-store key counting `user`'s failed sign-ins (every identifier of the user,
/// username or email in any case, counts here).
pub fn sign_in_failures_key(user: &UserId) -> String {
    format!("rl:user:{user}")
}

/// The ephemeral-store key counting `user`'s wrong second-factor codes of the hour (across
/// sign-ins and nodes).
pub fn second_factor_failures_key(user: &UserId) -> String {
    format!("rl:mfa:{user}")
}

fn unavailable(e: latch_domain::ephemeral::EphemeralError) -> RepoError {
    RepoError::Unavailable(format!("the ephemeral store: {}", e.0))
}

/// Clears `user`'s failed sign-ins (and wrong second-factor codes), so a locked account can
/// sign in again at once; audited as `user.unlock` with how many sign-ins were cleared (also
/// when none were: the operator acted).
pub async fn unlock_user(core: &Core, actor: &Actor, user: &UserId) -> RepoResult<u64> {
    let key = sign_in_failures_key(user);
    let failures = core.cache.get(&key).await.map_err(unavailable)?.and_then(|n| n.parse().ok()).unwrap_or(0);
    core.cache.delete(&key).await.map_err(unavailable)?;
    core.cache.delete(&second_factor_failures_key(user)).await.map_err(unavailable)?;
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
/// When the address was not verified before, the apps are signed out and every grant revoked
/// whatever `sign_out_apps` says.
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
    // An address nobody had verified may have been signed up by someone else before its owner
    // reset the password: whatever they connected goes, grants and all.
    let grants = if user.email_verified { Vec::new() } else { core.repos.list_user_grants(&user.id).await? };
    let sign_out_apps = sign_out_apps || !user.email_verified;
    let mut details = json!({ "signedOutApps": sign_out_apps, "revokedGrants": grants.len() });
    origin.add_to(&mut details);
    let mut change =
        Changeset::new("user.password_reset", "user", user.id.as_str(), details, Change::User(user.id.clone()))
            .write(Write::UpdateUser(reset.clone()))
            .write(Write::DeleteUserSessions(user.id.clone()));
    if sign_out_apps {
        change = change.write(Write::RevokeUserTokens(user.id.clone()));
    }
    change = change.writes(grants.into_iter().map(|g| Write::RevokeGrant(g.id)));
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(reset)
}

/// Removes every second factor and recovery code of `user` (an operator's "reset MFA" for
/// someone who lost theirs); audited as `user.mfa.reset` with how many factors went.
pub async fn reset_mfa(core: &Core, actor: &Actor, user: &UserId) -> RepoResult<usize> {
    let removed = core.repos.list_user_factors(user).await?.len();
    let change = Changeset::new(
        "user.mfa.reset",
        "user",
        user.as_str(),
        json!({"removed": removed}),
        Change::User(user.clone()),
    )
    .write(Write::DeleteUserFactors(user.clone()));
    core.apply(actor, change).await?;
    Ok(removed)
}

/// Ends every session of `user` ("sign out everywhere": each browser must sign in again; refresh
/// tokens are not affected), by an operator or by the user on their account page; audited as
/// `user.sessions.delete` with how many were active. Returns that number.
pub async fn end_sessions(core: &Core, actor: &Actor, user: &UserId) -> RepoResult<usize> {
    // How many were active, for the audit entry; the write ends them all in the same unit.
    let ended = core.repos.list_user_sessions(user).await?.len();
    let change = Changeset::new(
        "user.sessions.delete",
        "user",
        user.as_str(),
        json!({"ended": ended}),
        Change::User(user.clone()),
    )
    .write(Write::DeleteUserSessions(user.clone()));
    core.apply(actor, change).await?;
    Ok(ended)
}

/// `user` changed their own name and picture on the account page (`None` clears one); audited
/// as `user.profile.update` with the user as actor. Returns the user as stored.
pub async fn update_own_profile(
    core: &Core,
    user: &User,
    name: Option<String>,
    avatar: Option<String>,
) -> RepoResult<User> {
    let updated = User { name, avatar, updated_at: core.clock.now(), ..user.clone() };
    let change = Changeset::new(
        "user.profile.update",
        "user",
        user.id.as_str(),
        json!({ "name": updated.name, "avatar": updated.avatar }),
        Change::User(user.id.clone()),
    )
    .write(Write::UpdateUser(updated.clone()));
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(updated)
}

/// `user` chose a new password (`password_hash`) on the account page, knowing the current one:
/// in one transaction it is replaced and every other session of the user ends (`keep` is the
/// browser that changed it). Audited as `user.password_change` with the user as actor.
pub async fn change_password(
    core: &Core,
    origin: &Origin,
    user: &User,
    password_hash: String,
    keep: &SessionId,
) -> RepoResult<User> {
    let changed = User { password_hash: Some(password_hash), updated_at: core.clock.now(), ..user.clone() };
    let others: Vec<SessionId> =
        core.repos.list_user_sessions(&user.id).await?.into_iter().map(|s| s.id).filter(|id| id != keep).collect();
    let mut details = json!({ "endedSessions": others.len() });
    origin.add_to(&mut details);
    let change =
        Changeset::new("user.password_change", "user", user.id.as_str(), details, Change::User(user.id.clone()))
            .write(Write::UpdateUser(changed.clone()))
            .writes(others.into_iter().map(Write::DeleteSession));
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(changed)
}

/// `user` proved they read mail at `email` (a code sent there from the account page): it becomes
/// their address, verified. An address another account has is a `Conflict`. Audited as
/// `user.email_change` with the old and new addresses.
pub async fn change_email(core: &Core, origin: &Origin, user: &User, email: &str) -> RepoResult<User> {
    let changed = User {
        primary_email: Some(email.to_owned()),
        email_verified: true,
        updated_at: core.clock.now(),
        ..user.clone()
    };
    let mut details = json!({ "from": user.primary_email, "to": email });
    origin.add_to(&mut details);
    let change = Changeset::new("user.email_change", "user", user.id.as_str(), details, Change::User(user.id.clone()))
        .write(Write::UpdateUser(changed.clone()));
    core.apply(&Actor::User(user.id.clone()), change).await?;
    Ok(changed)
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

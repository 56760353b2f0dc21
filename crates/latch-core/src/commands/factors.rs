//! A user's own second factors: enrolling an authenticator app (the factor and its first
//! recovery codes in one transaction), removing a factor, and replacing the recovery codes.
//! Each is audited with the user as actor and where the request came from.

use crate::catalog::Change;
use crate::security_log::Origin;
use crate::{Actor, Changeset, Core};
use latch_domain::entities::{FactorKind, MfaFactor};
use latch_domain::ids::{FactorId, UserId, new_id};
use latch_domain::repo::{RepoResult, Write};
use serde_json::json;

/// A TOTP factor for `user` named `name`, its secret sealed as `sealed`, whose first code
/// (time step `step`) the user just entered; with `recovery_hashes` when it is the user's first
/// factor (recovery codes stand in for any factor). Audited as `user.mfa.enrol`.
#[allow(clippy::too_many_arguments)]
pub async fn enrol_totp(
    core: &Core,
    origin: &Origin,
    user: &UserId,
    name: &str,
    sealed: String,
    step: i64,
    recovery_hashes: Option<Vec<String>>,
) -> RepoResult<MfaFactor> {
    let mut factor = new_factor(core, user, FactorKind::Totp, name, sealed);
    factor.last_used_step = Some(step);
    enrol(core, origin, factor, recovery_hashes).await
}

/// A passkey for `user` named `name` (`stored`: the credential as `latch_oidc::passkey` keeps
/// it; `credential_id`: its id, which no other factor may have: a `Conflict` otherwise); with
/// `recovery_hashes` when it is the first factor. Audited as `user.mfa.enrol`.
pub async fn enrol_passkey(
    core: &Core,
    origin: &Origin,
    user: &UserId,
    name: &str,
    stored: String,
    credential_id: String,
    recovery_hashes: Option<Vec<String>>,
) -> RepoResult<MfaFactor> {
    let mut factor = new_factor(core, user, FactorKind::Passkey, name, stored);
    factor.credential_id = Some(credential_id);
    enrol(core, origin, factor, recovery_hashes).await
}

fn new_factor(core: &Core, user: &UserId, kind: FactorKind, name: &str, secret: String) -> MfaFactor {
    let now = core.clock.now();
    MfaFactor {
        id: FactorId(new_id(core.random.as_ref())),
        user_id: user.clone(),
        kind,
        name: name.to_owned(),
        secret,
        last_used_step: None,
        created_at: now,
        last_used_at: Some(now),
        credential_id: None,
    }
}

async fn enrol(
    core: &Core,
    origin: &Origin,
    factor: MfaFactor,
    recovery_hashes: Option<Vec<String>>,
) -> RepoResult<MfaFactor> {
    let user = factor.user_id.clone();
    let mut details = json!({ "factor": factor.id.as_str(), "kind": factor.kind.as_str(), "name": factor.name });
    origin.add_to(&mut details);
    let mut change = Changeset::new("user.mfa.enrol", "user", user.as_str(), details, Change::User(user.clone()))
        .write(Write::InsertFactor(factor.clone()));
    if let Some(hashes) = recovery_hashes {
        change = change.write(Write::SetRecoveryCodes { user: user.clone(), hashes });
    }
    core.apply(&Actor::User(user), change).await?;
    Ok(factor)
}

/// Removes `user`'s factor `id`; with it the recovery codes when it was the last factor (they
/// stand in for a factor, so none is left to stand in for). Audited as `user.mfa.remove`.
pub async fn remove_factor(core: &Core, origin: &Origin, user: &UserId, id: &FactorId) -> RepoResult<()> {
    let left = core.repos.list_user_factors(user).await?.iter().filter(|f| &f.id != id).count();
    let mut details = json!({ "factor": id.as_str(), "factorsLeft": left });
    origin.add_to(&mut details);
    let mut change = Changeset::new("user.mfa.remove", "user", user.as_str(), details, Change::User(user.clone()))
        .write(Write::DeleteFactor { user: user.clone(), id: id.clone() });
    if left == 0 {
        change = change.write(Write::SetRecoveryCodes { user: user.clone(), hashes: Vec::new() });
    }
    core.apply(&Actor::User(user.clone()), change).await
}

/// Replaces `user`'s recovery codes with fresh ones (their hashes): every earlier code stops
/// working. Audited as `user.mfa.recovery_codes`.
pub async fn replace_recovery_codes(
    core: &Core,
    origin: &Origin,
    user: &UserId,
    hashes: Vec<String>,
) -> RepoResult<()> {
    let mut details = json!({ "codes": hashes.len() });
    origin.add_to(&mut details);
    let change = Changeset::new("user.mfa.recovery_codes", "user", user.as_str(), details, Change::User(user.clone()))
        .write(Write::SetRecoveryCodes { user: user.clone(), hashes });
    core.apply(&Actor::User(user.clone()), change).await
}

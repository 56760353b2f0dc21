//! Signing keys: generation on first start, rotation (`latch keys rotate`, the admin API, the
//! schedule) and reloading after a rotation on any node.

use super::{Actor, Changeset};
use crate::Core;
use crate::catalog::Change;
use latch_domain::entities::KeyState;
use latch_domain::ids::{KeyId, new_id};
use latch_domain::repo::{RepoError, Repositories, Write};
use latch_domain::{Clock, Random};
use latch_oidc::keys::{self, Alg, KeyError, KeySet, generate};
use serde_json::json;

fn store_err(e: RepoError) -> KeyError {
    KeyError::Generate(e.to_string())
}

/// Reads the signing keys from the database again (after a rotation on any node), leaving out
/// previous keys past their grace period.
pub async fn reload_keys(core: &Core) -> Result<(), KeyError> {
    let stored = core.repos.list_signing_keys().await.map_err(store_err)?;
    let keys = KeySet::load_at(&stored, core.secret_key(), core.clock.now(), core.settings.key_grace_period)?;
    core.set_keys(keys);
    Ok(())
}

/// Rotates the signing keys (`keys::plan_rotation`): next keys become current, current keys
/// become previous and verify for the grace period, new next keys are published ahead of use.
/// One unit of work with its audit entry; every node reloads through the announcement.
pub async fn rotate_keys(core: &Core, actor: &Actor) -> Result<(), KeyError> {
    let stored = core.repos.list_signing_keys().await.map_err(store_err)?;
    let plan = keys::plan_rotation(&stored);
    let now = core.clock.now();
    let mut change = Changeset::new(
        "keys.rotate",
        "keys",
        "oidc",
        json!({"promoted": plan.promote.len(), "retired": plan.retire.len()}),
        Change::Keys,
    );
    let fresh = |alg: Alg, state: KeyState| {
        generate(alg, KeyId(new_id(core.random.as_ref())), state, core.secret_key(), now).map(Write::InsertSigningKey)
    };
    for alg in &plan.generate_current {
        change.push(fresh(*alg, KeyState::Current)?);
    }
    for kid in &plan.promote {
        change.push(Write::SetSigningKeyState { kid: kid.clone(), state: KeyState::Current });
    }
    for kid in &plan.retire {
        change.push(Write::RetireSigningKey { kid: kid.clone(), at: now });
    }
    for alg in &plan.generate_next {
        change.push(fresh(*alg, KeyState::Next)?);
    }
    core.apply(actor, change).await.map_err(store_err)?;
    tracing::info!(promoted = plan.promote.len(), retired = plan.retire.len(), "rotated the signing keys");
    reload_keys(core).await
}

/// Periodic upkeep: deletes previous keys past their grace period, rotates on schedule (one
/// node per interval, decided through the ephemeral store), and reloads the keys.
pub async fn maintain_keys(core: &Core) -> Result<(), KeyError> {
    let now = core.clock.now();
    let stored = core.repos.list_signing_keys().await.map_err(store_err)?;
    let expired: Vec<KeyId> = stored
        .iter()
        .filter(|k| keys::expired(k, now, core.settings.key_grace_period))
        .map(|k| k.kid.clone())
        .collect();
    if !expired.is_empty() {
        let change = Changeset::new(
            "keys.delete_expired",
            "keys",
            "oidc",
            json!({"kids": expired.iter().map(KeyId::as_str).collect::<Vec<_>>()}),
            Change::Keys,
        )
        .writes(expired.iter().cloned().map(Write::DeleteSigningKey));
        core.apply(&Actor::System("schedule"), change).await.map_err(store_err)?;
        tracing::info!(deleted = expired.len(), "deleted signing keys past their grace period");
    }
    let interval = core.settings.key_rotation_interval;
    let newest_current = stored.iter().filter(|k| k.state == KeyState::Current).map(|k| k.created_at).max();
    let due = interval > 0 && newest_current.is_some_and(|t| t.plus_secs(interval) <= now);
    if due {
        let window = now.0 / interval.max(1);
        let ttl = std::time::Duration::from_secs(u64::try_from(interval).unwrap_or(u64::MAX).min(86_400 * 366));
        let first = core.cache.incr(&format!("keys:rotation:{window}"), ttl).await.map(|n| n == 1).unwrap_or(false);
        if first {
            return rotate_keys(core, &Actor::System("schedule")).await;
        }
    }
    reload_keys(core).await
}

/// Loads the signing keys, generating a current and a next RS256 and ES256 key on first start
/// (the next keys are published ahead, so relying parties know them before they sign). Runs
/// before the [`Core`] exists (the core holds the key set): the generated keys and their audit
/// entry are one unit of work.
pub async fn ensure_signing_keys(
    repos: &dyn Repositories,
    secret_key: &[u8; 32],
    clock: &dyn Clock,
    random: &dyn Random,
    grace: i64,
) -> Result<KeySet, KeyError> {
    let mut stored = repos.list_signing_keys().await.map_err(store_err)?;
    let (mut writes, mut kids) = (Vec::new(), Vec::new());
    for alg in [Alg::RS256, Alg::ES256] {
        for state in [KeyState::Current, KeyState::Next] {
            if !stored.iter().any(|k| k.alg == alg.as_str() && k.state == state) {
                let key = generate(alg, KeyId(new_id(random)), state, secret_key, clock.now())?;
                tracing::info!(kid = %key.kid, alg = alg.as_str(), state = state.as_str(), "generated a signing key");
                kids.push(key.kid.to_string());
                stored.push(key.clone());
                writes.push(Write::InsertSigningKey(key));
            }
        }
    }
    if !writes.is_empty() {
        // Before the core exists there is no one to announce to: only the unit is committed.
        let change =
            Changeset::new("keys.generate", "keys", "oidc", json!({ "kids": kids }), Change::Keys).writes(writes);
        let (unit, _) = change.into_unit(&Actor::System("bootstrap"), clock.now(), random);
        repos.commit(unit).await.map_err(store_err)?;
    }
    KeySet::load_at(&stored, secret_key, clock.now(), grace)
}

//! What the IdP holds while it runs: stores, ports, keys in memory, settings.

use latch_domain::entities::KeyState;
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::ids::{KeyId, new_id};
use latch_domain::repo::Repositories;
use latch_domain::{Clock, Random};
use latch_oidc::keys::{self, Alg, KeyError, KeySet, generate};
use latch_oidc::password::PasswordHasher;
use std::sync::{Arc, RwLock};

pub use latch_oidc::limits::RateLimits;

/// Settings the IdP needs, derived from configuration by the binary.
#[derive(Clone, Debug)]
pub struct IdpSettings {
    /// `<public_url>/oidc`.
    pub issuer: String,
    pub public_url: String,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub code_ttl: i64,
    /// How long an interaction is kept once the user has signed in (consent may follow).
    pub interaction_ttl: i64,
    /// How long an interaction waits for its sign-in form (seconds; at most `interaction_ttl`):
    /// unauthenticated requests create these, so they do not stay for the full hour.
    pub sign_in_ttl: i64,
    pub session_ttl: i64,
    /// A session unused this long (seconds) is no longer accepted.
    pub session_idle_timeout: i64,
    /// Seconds a previous signing key keeps verifying after a rotation.
    pub key_grace_period: i64,
    /// Seconds between automatic rotations; 0 turns the schedule off.
    pub key_rotation_interval: i64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Attempt and creation limits held in the ephemeral store (`ratelimit.rs`).
    pub limits: RateLimits,
    /// Password-hashing jobs that may wait for a thread before sign-ins are told to retry.
    pub hash_queue: usize,
}

impl IdpSettings {
    /// Cookies get `Secure` when Latch is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// An absolute URL of one of Latch's own pages: built from `public_url`, never from the
    /// request's Host.
    pub fn own(&self, path_and_query: &str) -> String {
        format!("{}{}", self.public_url, path_and_query)
    }

    /// The path cookies are scoped to: the path of `public_url`, or `/`.
    pub fn cookie_path(&self) -> String {
        url::Url::parse(&self.public_url)
            .ok()
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_owned())
    }
}

pub struct Idp {
    pub settings: IdpSettings,
    pub repos: Arc<dyn Repositories>,
    pub cache: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasher,
    pub(crate) cookie_key: actix_web::cookie::Key,
    pub(crate) origins: crate::cors::Origins,
    pub catalog: Arc<crate::catalog::Catalog>,
    /// Where password hashes are computed (see `hashing.rs`).
    pub hash_pool: crate::hashing::HashPool,
    keys: RwLock<Arc<KeySet>>,
    secret_key: [u8; 32],
}

/// The stores and ports an [`Idp`] is built from.
pub struct IdpDeps {
    pub repos: Arc<dyn Repositories>,
    pub cache: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasher,
}

impl Idp {
    pub fn new(settings: IdpSettings, deps: IdpDeps, secret_key: &[u8; 32], keys: KeySet) -> Idp {
        let cookie_key = actix_web::cookie::Key::from(&latch_oidc::crypto::derive_cookie_key(secret_key));
        let IdpDeps { repos, cache, clock, random, hasher } = deps;
        Idp {
            hash_pool: crate::hashing::HashPool::new(
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
                settings.hash_queue,
            ),
            settings,
            repos,
            cache,
            clock,
            random,
            hasher,
            cookie_key,
            origins: crate::cors::Origins::default(),
            catalog: Arc::new(crate::catalog::Catalog::default()),
            keys: RwLock::new(Arc::new(keys)),
            secret_key: *secret_key,
        }
    }

    /// The key set in memory (never re-read per request).
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.read().map(|k| k.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Replaces the key set (after a rotation).
    pub fn set_keys(&self, keys: KeySet) {
        let mut guard = self.keys.write().unwrap_or_else(|p| p.into_inner());
        *guard = Arc::new(keys);
    }

    /// Reads the signing keys from the database again (after a rotation on any node), leaving
    /// out previous keys past their grace period.
    pub async fn reload_keys(&self) -> Result<(), KeyError> {
        let stored = self.repos.list_signing_keys().await.map_err(|e| KeyError::Generate(e.to_string()))?;
        let keys = KeySet::load_at(&stored, &self.secret_key, self.clock.now(), self.settings.key_grace_period)?;
        self.set_keys(keys);
        Ok(())
    }

    /// Rotates the signing keys (`keys::plan_rotation`): next keys become current, current
    /// keys become previous and verify for the grace period, new next keys are published ahead
    /// of use. Every node picks the change up through the `invalidate` channel.
    pub async fn rotate_keys(&self) -> Result<(), KeyError> {
        let store_err = |e: latch_domain::repo::RepoError| KeyError::Generate(e.to_string());
        let stored = self.repos.list_signing_keys().await.map_err(store_err)?;
        let plan = keys::plan_rotation(&stored);
        let now = self.clock.now();
        for alg in &plan.generate_current {
            let key = generate(*alg, KeyId(new_id(self.random.as_ref())), KeyState::Current, &self.secret_key, now)?;
            self.repos.insert_signing_key(&key).await.map_err(store_err)?;
        }
        for kid in &plan.promote {
            self.repos.set_signing_key_state(kid, KeyState::Current).await.map_err(store_err)?;
        }
        for kid in &plan.retire {
            self.repos.retire_signing_key(kid, now).await.map_err(store_err)?;
        }
        for alg in &plan.generate_next {
            let key = generate(*alg, KeyId(new_id(self.random.as_ref())), KeyState::Next, &self.secret_key, now)?;
            self.repos.insert_signing_key(&key).await.map_err(store_err)?;
        }
        tracing::info!(promoted = plan.promote.len(), retired = plan.retire.len(), "rotated the signing keys");
        self.reload_keys().await?;
        crate::catalog::announce(self.cache.as_ref(), &self.catalog, crate::catalog::Change::Keys).await;
        Ok(())
    }

    /// Periodic upkeep: deletes previous keys past their grace period, rotates on schedule
    /// (one node per interval, decided through the ephemeral store), and reloads the keys.
    pub async fn maintain_keys(&self) -> Result<(), KeyError> {
        let store_err = |e: latch_domain::repo::RepoError| KeyError::Generate(e.to_string());
        let now = self.clock.now();
        let stored = self.repos.list_signing_keys().await.map_err(store_err)?;
        for k in stored.iter().filter(|k| keys::expired(k, now, self.settings.key_grace_period)) {
            self.repos.delete_signing_key(&k.kid).await.map_err(store_err)?;
            tracing::info!(kid = %k.kid, "deleted a signing key past its grace period");
        }
        let interval = self.settings.key_rotation_interval;
        let newest_current = stored.iter().filter(|k| k.state == KeyState::Current).map(|k| k.created_at).max();
        let due = interval > 0 && newest_current.is_some_and(|t| t.plus_secs(interval) <= now);
        if due {
            let window = now.0 / interval.max(1);
            let ttl = std::time::Duration::from_secs(u64::try_from(interval).unwrap_or(u64::MAX).min(86_400 * 366));
            let first = self.cache.incr(&format!("keys:rotation:{window}"), ttl).await.map(|n| n == 1).unwrap_or(false);
            if first {
                return self.rotate_keys().await;
            }
        }
        self.reload_keys().await
    }

    pub fn token(&self, bytes: usize) -> String {
        latch_oidc::crypto::random_token(self.random.as_ref(), bytes)
    }
}

/// Loads the signing keys, generating a current and a next RS256 and ES256 key on first start
/// (the next keys are published ahead, so relying parties know them before they sign).
pub async fn ensure_signing_keys(
    repos: &dyn Repositories,
    secret_key: &[u8; 32],
    clock: &dyn Clock,
    random: &dyn Random,
    grace: i64,
) -> Result<KeySet, KeyError> {
    let mut stored = repos.list_signing_keys().await.map_err(|e| KeyError::Generate(e.to_string()))?;
    for alg in [Alg::RS256, Alg::ES256] {
        for state in [KeyState::Current, KeyState::Next] {
            if !stored.iter().any(|k| k.alg == alg.as_str() && k.state == state) {
                let key = generate(alg, KeyId(new_id(random)), state, secret_key, clock.now())?;
                repos.insert_signing_key(&key).await.map_err(|e| KeyError::Generate(e.to_string()))?;
                tracing::info!(kid = %key.kid, alg = alg.as_str(), state = state.as_str(), "generated a signing key");
                stored.push(key);
            }
        }
    }
    KeySet::load_at(&stored, secret_key, clock.now(), grace)
}

//! What the IdP holds while it runs: stores, ports, keys in memory, settings.

use latch_domain::entities::KeyState;
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::ids::{KeyId, new_id};
use latch_domain::repo::Repositories;
use latch_domain::{Clock, Random};
use latch_oidc::keys::{Alg, KeyError, KeySet, generate};
use latch_oidc::password::PasswordHasher;
use std::sync::{Arc, RwLock};

/// Settings the IdP needs, derived from configuration by the binary.
#[derive(Clone, Debug)]
pub struct IdpSettings {
    /// `<public_url>/oidc`.
    pub issuer: String,
    pub public_url: String,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub code_ttl: i64,
    pub interaction_ttl: i64,
    pub session_ttl: i64,
    /// A session unused this long (seconds) is no longer accepted.
    pub session_idle_timeout: i64,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
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

    /// Reads the signing keys from the database again (after a rotation on any node).
    pub async fn reload_keys(&self) -> Result<(), KeyError> {
        let stored = self.repos.list_signing_keys().await.map_err(|e| KeyError::Generate(e.to_string()))?;
        self.set_keys(KeySet::load(&stored, &self.secret_key)?);
        Ok(())
    }

    /// Rotates the signing keys: a new current key per algorithm, the old current ones become
    /// previous (still published, so tokens they signed keep verifying), older previous keys
    /// are dropped. Every node picks the change up through the `invalidate` channel.
    pub async fn rotate_keys(&self) -> Result<(), KeyError> {
        let store_err = |e: latch_domain::repo::RepoError| KeyError::Generate(e.to_string());
        let stored = self.repos.list_signing_keys().await.map_err(store_err)?;
        for alg in [Alg::RS256, Alg::ES256] {
            let key = generate(
                alg,
                KeyId(new_id(self.random.as_ref())),
                KeyState::Current,
                &self.secret_key,
                self.clock.now(),
            )?;
            self.repos.insert_signing_key(&key).await.map_err(store_err)?;
            for old in stored.iter().filter(|k| k.alg == alg.as_str()) {
                match old.state {
                    KeyState::Current => {
                        self.repos.set_signing_key_state(&old.kid, KeyState::Previous).await.map_err(store_err)?;
                    }
                    KeyState::Previous => {
                        self.repos.delete_signing_key(&old.kid).await.map_err(store_err)?;
                    }
                    KeyState::Next => {}
                }
            }
            tracing::info!(kid = %key.kid, alg = alg.as_str(), "rotated the signing key");
        }
        self.reload_keys().await?;
        crate::catalog::announce(self.cache.as_ref(), &self.catalog, crate::catalog::Change::Keys).await;
        Ok(())
    }

    pub fn token(&self, bytes: usize) -> String {
        latch_oidc::crypto::random_token(self.random.as_ref(), bytes)
    }
}

/// Loads the signing keys, generating a current RS256 and ES256 key on first start.
pub async fn ensure_signing_keys(
    repos: &dyn Repositories,
    secret_key: &[u8; 32],
    clock: &dyn Clock,
    random: &dyn Random,
) -> Result<KeySet, KeyError> {
    let mut stored = repos.list_signing_keys().await.map_err(|e| KeyError::Generate(e.to_string()))?;
    for alg in [Alg::RS256, Alg::ES256] {
        let has_current = stored.iter().any(|k| k.alg == alg.as_str() && k.state == KeyState::Current);
        if !has_current {
            let kid = KeyId(new_id(random));
            let key = generate(alg, kid, KeyState::Current, secret_key, clock.now())?;
            repos.insert_signing_key(&key).await.map_err(|e| KeyError::Generate(e.to_string()))?;
            tracing::info!(kid = %key.kid, alg = alg.as_str(), "generated a signing key");
            stored.push(key);
        }
    }
    KeySet::load(&stored, secret_key)
}

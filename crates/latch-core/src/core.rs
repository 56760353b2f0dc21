//! [`Core`]: the services a running Latch holds (stores, ports, key ring, caches, settings),
//! shared by the IdP, the admin API and the command line.

use crate::catalog::Catalog;
use crate::hashing::HashPool;
use latch_domain::entities::{IdpBranding, RegistrationPolicy};
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::mail::MailSender;
use latch_domain::repo::Repositories;
use latch_domain::{Clock, Random};
use latch_oidc::keys::KeySet;
use latch_oidc::password::PasswordHasher;
use std::sync::{Arc, RwLock};

pub use latch_oidc::limits::RateLimits;

/// Settings the services need, derived from configuration by the binary.
#[derive(Clone, Debug)]
pub struct Settings {
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
    /// Attempt and creation limits held in the ephemeral store.
    pub limits: RateLimits,
    /// Password-hashing jobs that may wait for a thread before sign-ins are told to retry.
    pub hash_queue: usize,
}

impl Settings {
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

/// The stores and ports a [`Core`] is built from.
pub struct CoreDeps {
    pub repos: Arc<dyn Repositories>,
    pub cache: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasher,
}

/// The running services. Every change to durable data goes through a command
/// (`crate::commands`), which writes one unit of work, audits it and announces it.
pub struct Core {
    pub settings: Settings,
    pub repos: Arc<dyn Repositories>,
    pub cache: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hasher: PasswordHasher,
    /// What token requests read, cached per node (`catalog.rs`).
    pub catalog: Catalog,
    /// Where password hashes are computed (`hashing.rs`).
    pub hash_pool: HashPool,
    keys: Held<KeySet>,
    /// The identity provider's branding every end-user page shows, in memory like the keys.
    idp_branding: Held<IdpBranding>,
    /// The self-service registration policy (discovery reads whether it is on).
    registration_policy: Held<RegistrationPolicy>,
    /// Where email goes; `None` when no SMTP server is configured, and the flows that need
    /// email are not offered.
    pub mail: Option<Arc<dyn MailSender>>,
    secret_key: [u8; 32],
}

/// A value every request reads and a rare change replaces: read without copying it, replaced
/// whole. (A poisoned lock still holds the last value written, which stays good to read.)
struct Held<T>(RwLock<Arc<T>>);

impl<T> Held<T> {
    fn new(value: T) -> Held<T> {
        Held(RwLock::new(Arc::new(value)))
    }

    fn get(&self) -> Arc<T> {
        self.0.read().map(|v| v.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    fn set(&self, value: T) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(value);
    }
}

impl Core {
    pub fn new(settings: Settings, deps: CoreDeps, secret_key: &[u8; 32], keys: KeySet) -> Core {
        let CoreDeps { repos, cache, clock, random, hasher } = deps;
        Core {
            hash_pool: HashPool::new(
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
                settings.hash_queue,
            ),
            settings,
            repos,
            cache,
            clock,
            random,
            hasher,
            catalog: Catalog::default(),
            keys: Held::new(keys),
            idp_branding: Held::new(IdpBranding::default()),
            registration_policy: Held::new(RegistrationPolicy::default()),
            mail: None,
            secret_key: *secret_key,
        }
    }

    /// This core, sending email through `sender`.
    pub fn with_mail(mut self, sender: Arc<dyn MailSender>) -> Core {
        self.mail = Some(sender);
        self
    }

    /// The key set in memory (never re-read per request).
    pub fn keys(&self) -> Arc<KeySet> {
        self.keys.get()
    }

    /// Replaces the key set (after a rotation).
    pub(crate) fn set_keys(&self, keys: KeySet) {
        self.keys.set(keys);
    }

    /// The identity provider's branding in memory (`commands::reload_idp_branding` refreshes it).
    pub fn idp_branding(&self) -> Arc<IdpBranding> {
        self.idp_branding.get()
    }

    pub(crate) fn set_idp_branding(&self, branding: IdpBranding) {
        self.idp_branding.set(branding);
    }

    /// The registration policy in memory (`commands::reload_registration_policy` refreshes it).
    pub fn registration_policy(&self) -> Arc<RegistrationPolicy> {
        self.registration_policy.get()
    }

    pub(crate) fn set_registration_policy(&self, policy: RegistrationPolicy) {
        self.registration_policy.set(policy);
    }

    pub(crate) fn secret_key(&self) -> &[u8; 32] {
        &self.secret_key
    }

    /// The key the IdP signs its cookies with, derived from the secret key.
    pub fn cookie_key_material(&self) -> [u8; 64] {
        latch_oidc::crypto::derive_cookie_key(&self.secret_key)
    }

    /// The key one-time codes are MACed with (`latch_oidc::one_time`), derived from the secret key.
    pub fn one_time_key(&self) -> [u8; 32] {
        latch_oidc::crypto::derive_key(&self.secret_key, "one-time codes")
    }

    /// The key second-factor secrets are sealed with at rest (`latch_oidc::mfa`), derived from
    /// the secret key.
    pub fn mfa_key(&self) -> [u8; 32] {
        latch_oidc::crypto::derive_key(&self.secret_key, "mfa secrets")
    }

    /// The stored hash of a new `password` (already checked against the policy): a fresh salt,
    /// computed on the hashing threads, off the async workers.
    pub async fn hash_new_password(
        &self,
        password: &str,
    ) -> Result<Result<String, latch_oidc::password::PasswordError>, crate::hashing::PoolError> {
        let (hasher, password) = (self.hasher.clone(), password.to_owned());
        let salt = latch_oidc::crypto::random_16(self.random.as_ref());
        self.hash_pool.run(move || hasher.hash(&password, &salt)).await
    }

    /// A fresh random token of `bytes` bytes, base64url.
    pub fn token(&self, bytes: usize) -> String {
        latch_oidc::crypto::random_token(self.random.as_ref(), bytes)
    }
}

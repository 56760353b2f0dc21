//! In-process cache of what every token request reads: applications with their secrets, API
//! resources, and the resource scopes machine-to-machine apps hold. Entries live at most
//! [`TTL`]; a change anywhere is announced on the ephemeral store's [`CHANNEL`] and drops the
//! entry on every node at once (DESIGN.md "Hot path").

use futures_util::StreamExt;
use latch_domain::entities::{AppSecret, Application, Resource};
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::ids::{ApplicationId, ResourceId};
use latch_domain::repo::{RepoResult, Repositories};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The channel invalidations travel on.
pub const CHANNEL: &str = "invalidate";
/// The message that makes every node reload its signing keys.
pub const KEYS_MESSAGE: &str = "keys";
/// The longest an entry is trusted without an announcement.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries per map before it is emptied (bounds memory against floods of unknown ids).
const MAX_ENTRIES: usize = 10_000;

/// What an invalidation names.
pub enum Change<'a> {
    Application(&'a ApplicationId),
    Resource(&'a str),
    /// Roles or role scopes changed: every cached role-derived answer goes.
    Roles,
    /// The signing keys were rotated: every node reloads them.
    Keys,
    Everything,
}

impl Change<'_> {
    pub fn message(&self) -> String {
        match self {
            Change::Application(id) => format!("application:{id}"),
            Change::Resource(indicator) => format!("resource:{indicator}"),
            Change::Roles => "roles".to_owned(),
            Change::Keys => KEYS_MESSAGE.to_owned(),
            Change::Everything => "all".to_owned(),
        }
    }
}

/// An application and its secrets, as the token endpoint needs them.
#[derive(Clone)]
pub struct Client {
    pub app: Arc<Application>,
    pub secrets: Arc<Vec<AppSecret>>,
}

struct Map<K, V>(Mutex<HashMap<K, (Instant, V)>>);

impl<K: Eq + Hash, V: Clone> Map<K, V> {
    fn new() -> Self {
        Map(Mutex::new(HashMap::new()))
    }

    fn get(&self, k: &K) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(k).filter(|(at, _)| at.elapsed() < TTL).map(|(_, v)| v.clone())
    }

    fn put(&self, k: K, v: V) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(k, (Instant::now(), v));
    }

    fn retain(&self, keep: impl Fn(&K) -> bool) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).retain(|k, _| keep(k));
    }
}

pub struct Catalog {
    clients: Map<String, Client>,
    resources: Map<String, Resource>,
    m2m_scopes: Map<(String, String), Arc<Vec<String>>>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog { clients: Map::new(), resources: Map::new(), m2m_scopes: Map::new() }
    }
}

impl Catalog {
    /// The application `id` with its secrets (unknown ids are not cached).
    pub async fn client(&self, repos: &dyn Repositories, id: &str) -> RepoResult<Option<Client>> {
        if let Some(c) = self.clients.get(&id.to_owned()) {
            return Ok(Some(c));
        }
        let Some(app) = repos.get_application(&ApplicationId::from(id)).await? else { return Ok(None) };
        let secrets = if app.app_type.is_confidential() { repos.list_secrets(&app.id).await? } else { Vec::new() };
        let client = Client { app: Arc::new(app), secrets: Arc::new(secrets) };
        self.clients.put(id.to_owned(), client.clone());
        Ok(Some(client))
    }

    pub async fn resource(&self, repos: &dyn Repositories, indicator: &str) -> RepoResult<Option<Resource>> {
        if let Some(r) = self.resources.get(&indicator.to_owned()) {
            return Ok(Some(r));
        }
        let found = repos.get_resource_by_indicator(indicator).await?;
        if let Some(r) = &found {
            self.resources.put(indicator.to_owned(), r.clone());
        }
        Ok(found)
    }

    /// Names of `resource`'s scopes a machine-to-machine app holds through its roles.
    pub async fn m2m_scopes(
        &self,
        repos: &dyn Repositories,
        app: &ApplicationId,
        resource: &ResourceId,
    ) -> RepoResult<Arc<Vec<String>>> {
        let key = (app.0.clone(), resource.0.clone());
        if let Some(s) = self.m2m_scopes.get(&key) {
            return Ok(s);
        }
        let scopes = Arc::new(repos.application_resource_scopes(app, resource).await?);
        self.m2m_scopes.put(key, scopes.clone());
        Ok(scopes)
    }

    /// Applies an announced change to this node's cache.
    pub fn apply(&self, message: &str) {
        match message.split_once(':') {
            Some(("application", id)) => {
                self.clients.retain(|k| k != id);
                self.m2m_scopes.retain(|(app, _)| app != id);
            }
            Some(("resource", indicator)) => {
                self.resources.retain(|k| k != indicator);
                self.m2m_scopes.retain(|_| false);
            }
            _ if message == "roles" => self.m2m_scopes.retain(|_| false),
            _ if message == KEYS_MESSAGE => {}
            _ => {
                self.clients.retain(|_| false);
                self.resources.retain(|_| false);
                self.m2m_scopes.retain(|_| false);
            }
        }
    }
}

/// Announces `change` to every node (this one included).
pub async fn announce(cache: &dyn EphemeralStore, catalog: &Catalog, change: Change<'_>) {
    let message = change.message();
    catalog.apply(&message);
    if let Err(e) = cache.publish(CHANNEL, &message).await {
        tracing::warn!(error = %e, "cannot announce a change; other nodes catch up within the cache TTL");
    }
}

/// Listens for announcements for as long as the process runs: cache entries are dropped, and
/// after a key rotation anywhere the keys are reloaded from the database.
pub async fn listen(idp: Arc<crate::Idp>) {
    match idp.cache.subscribe(CHANNEL).await {
        Ok(mut messages) => {
            while let Some(m) = messages.next().await {
                idp.catalog.apply(&m);
                if m == KEYS_MESSAGE
                    && let Err(e) = idp.reload_keys().await
                {
                    tracing::error!(error = %e, "cannot reload the signing keys after a rotation");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot listen for changes; caches expire within their TTL"),
    }
}

//! In-process cache of what every token request reads: applications with their secrets, API
//! resources, the resource scopes machine-to-machine apps hold, and the origins browsers may
//! call from (CORS). Entries live at most
//! [`TTL`]; a change anywhere is announced on the ephemeral store's [`CHANNEL`] and drops the
//! entry on every node at once (DESIGN.md "Hot path").

use futures_util::StreamExt;
use latch_domain::entities::{AppSecret, AppType, Application, Resource};
use latch_domain::ephemeral::EphemeralStore;
use latch_domain::ids::{ApplicationId, ResourceId, UserId};
use latch_domain::repo::{RepoResult, Repositories, every_row};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The channel invalidations travel on.
pub const CHANNEL: &str = "invalidate";
/// The longest an entry is trusted without an announcement.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries per map before it is emptied (bounds memory against floods of unknown ids).
const MAX_ENTRIES: usize = 10_000;
/// Applications read per query when the allowed CORS origins are rebuilt.
const ORIGINS_BATCH: u32 = 500;

/// What a change touched, as announced on [`CHANNEL`] (JSON, `{"kind": …, "id": …}`). A
/// message a node cannot read (another version's) drops everything: the safe reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Change {
    /// An application, its secrets, URIs, roles, permissions or branding.
    Application(ApplicationId),
    /// An API resource or its scopes, by indicator.
    Resource(String),
    /// A user, their roles or sessions.
    User(UserId),
    /// Roles or role scopes: every cached role-derived answer goes.
    Roles,
    /// Organizations, their members, scopes or roles.
    Organizations,
    /// The signing keys were rotated: every node reloads them.
    Keys,
    /// The identity provider's branding: every node reloads it.
    SignInExperience,
    /// The self-service registration policy: every node reloads it.
    RegistrationPolicy,
    Everything,
}

impl Change {
    pub fn message(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"kind":"everything"}"#.to_owned())
    }

    /// Reads an announcement; anything unreadable means everything changed.
    pub fn parse(message: &str) -> Change {
        serde_json::from_str(message).unwrap_or(Change::Everything)
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
    origins: Map<(), Arc<HashSet<String>>>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog { clients: Map::new(), resources: Map::new(), m2m_scopes: Map::new(), origins: Map::new() }
    }
}

/// The origin (`scheme://host[:port]`) of a URI with a host.
fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    url.host_str()?;
    Some(url.origin().ascii_serialization())
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

    /// The origins browsers may read token, userinfo, JWKS and discovery answers from: those of
    /// SPA redirect URIs and of every app's `corsAllowedOrigins`. Read page by page (no cap
    /// on the number of apps) and dropped with any application change.
    pub async fn origins(&self, repos: &dyn Repositories) -> RepoResult<Arc<HashSet<String>>> {
        if let Some(set) = self.origins.get(&()) {
            return Ok(set);
        }
        let apps = every_row(ORIGINS_BATCH, |page| repos.list_applications(None, page)).await?;
        let mut set = HashSet::new();
        for app in &apps {
            if app.app_type == AppType::Spa {
                set.extend(app.redirect_uris.iter().filter_map(|u| origin_of(u)));
            }
            set.extend(app.custom.cors_allowed_origins.iter().filter_map(|u| origin_of(u)));
        }
        let set = Arc::new(set);
        self.origins.put((), set.clone());
        Ok(set)
    }

    /// Applies an announced change to this node's cache.
    pub fn apply(&self, change: &Change) {
        match change {
            Change::Application(id) => {
                self.clients.retain(|k| k != id.as_str());
                self.m2m_scopes.retain(|(app, _)| app != id.as_str());
                self.origins.retain(|_| false);
            }
            Change::Resource(indicator) => {
                self.resources.retain(|k| k != indicator);
                self.m2m_scopes.retain(|_| false);
            }
            Change::Roles => self.m2m_scopes.retain(|_| false),
            Change::User(_)
            | Change::Organizations
            | Change::Keys
            | Change::SignInExperience
            | Change::RegistrationPolicy => {}
            Change::Everything => {
                self.clients.retain(|_| false);
                self.resources.retain(|_| false);
                self.m2m_scopes.retain(|_| false);
                self.origins.retain(|_| false);
            }
        }
    }
}

/// Announces `change` to every node (this one included).
pub async fn announce(cache: &dyn EphemeralStore, catalog: &Catalog, change: Change) {
    let message = change.message();
    catalog.apply(&change);
    if let Err(e) = cache.publish(CHANNEL, &message).await {
        tracing::warn!(error = %e, "cannot announce a change; other nodes catch up within the cache TTL");
    }
}

/// Listens for announcements for as long as the process runs: cache entries are dropped, and
/// after a key rotation anywhere the keys are reloaded from the database.
pub async fn listen(core: Arc<crate::Core>) {
    match core.cache.subscribe(CHANNEL).await {
        Ok(mut messages) => {
            while let Some(m) = messages.next().await {
                let change = Change::parse(&m);
                core.catalog.apply(&change);
                if matches!(change, Change::Keys | Change::Everything)
                    && let Err(e) = crate::commands::reload_keys(&core).await
                {
                    tracing::error!(error = %e, "cannot reload the signing keys after a rotation");
                }
                if matches!(change, Change::SignInExperience | Change::Everything)
                    && let Err(e) = crate::commands::reload_idp_branding(&core).await
                {
                    tracing::warn!(error = %e, "cannot reload the sign-in experience; retrying within a minute");
                }
                if matches!(change, Change::RegistrationPolicy | Change::Everything)
                    && let Err(e) = crate::commands::reload_registration_policy(&core).await
                {
                    tracing::warn!(error = %e, "cannot reload the registration policy; retrying within a minute");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot listen for changes; caches expire within their TTL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_are_typed_json_and_unreadable_ones_mean_everything() {
        let cases = [
            (Change::Application(ApplicationId::from("app1")), r#"{"kind":"application","id":"app1"}"#),
            (
                Change::Resource("https://api.example.com".to_owned()),
                r#"{"kind":"resource","id":"https://api.example.com"}"#,
            ),
            (Change::User(UserId::from("u1")), r#"{"kind":"user","id":"u1"}"#),
            (Change::Roles, r#"{"kind":"roles"}"#),
            (Change::Organizations, r#"{"kind":"organizations"}"#),
            (Change::Keys, r#"{"kind":"keys"}"#),
            (Change::SignInExperience, r#"{"kind":"sign_in_experience"}"#),
            (Change::RegistrationPolicy, r#"{"kind":"registration_policy"}"#),
            (Change::Everything, r#"{"kind":"everything"}"#),
        ];
        for (change, wire) in cases {
            assert_eq!(change.message(), wire);
            assert_eq!(Change::parse(wire), change);
        }
        for unreadable in ["application:app1", "", "{}", r#"{"kind":"planet"}"#] {
            assert_eq!(Change::parse(unreadable), Change::Everything, "{unreadable}");
        }
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(origin_of("https://app.example.com/callback?x=1").as_deref(), Some("https://app.example.com"));
        assert_eq!(origin_of("http://127.0.0.1:8080/cb").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(origin_of("com.example.app:/cb"), None);
    }
}

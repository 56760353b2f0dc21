//! `latch import FILE`: applies a declarative TOML file of API resources (with scopes), roles,
//! users and applications through the repositories. The whole file is validated before anything
//! is written, and applying the same file twice changes nothing the second time.

use crate::config::Settings;
use anyhow::Context;
use latch_domain::entities::*;
use latch_domain::ids::*;
use latch_domain::redirect::validate_registered;
use latch_domain::repo::{RepoError, Repositories};
use latch_domain::{Clock, Random, Timestamp, scope};
use latch_oidc::crypto;
use latch_oidc::password::{self, PasswordError, PasswordHasher};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

/// Access-token lifetime of a new resource that does not name one, seconds.
pub const DEFAULT_ACCESS_TOKEN_TTL: i64 = 3600;

/// Name of the client secret an entry's `secret` is stored under.
pub const IMPORT_SECRET_NAME: &str = "import";

/// Shortest accepted `secret`: it is stored under a fast hash, so it must be unguessable
/// (`openssl rand -hex 32` prints 64 characters).
pub const MIN_SECRET_LEN: usize = 32;

/// Members of the `address` claim (OpenID Connect Core §5.1.1).
const ADDRESS_MEMBERS: &[&str] = &["formatted", "street_address", "locality", "region", "postal_code", "country"];

/// How the toml crate represents a date or time inside an untyped value.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

// ---------------------------------------------------------------- the file

/// A string that never appears in `Debug` output (passwords, client secrets).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(pub String);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"(hidden)\"")
    }
}

/// The parsed import file. Keys left out of an entry keep what the database holds; a new entry
/// gets the default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    #[serde(default)]
    pub resources: Vec<ResourceEntry>,
    #[serde(default)]
    pub roles: Vec<RoleEntry>,
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub applications: Vec<ApplicationEntry>,
}

impl ImportFile {
    /// Parses TOML text. Unknown keys are errors, so typos do not pass silently.
    pub fn parse(text: &str) -> Result<ImportFile, ImportError> {
        toml::from_str(text).map_err(|e| ImportError::Parse(e.to_string()))
    }
}

/// An API resource (RFC 8707), keyed by `indicator`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEntry {
    pub name: String,
    pub indicator: String,
    pub access_token_ttl: Option<i64>,
    /// Created when missing, descriptions updated; scopes are never deleted by an import.
    #[serde(default)]
    pub scopes: Vec<ScopeEntry>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeEntry {
    pub name: String,
    pub description: Option<String>,
}

/// A role, keyed by `name`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    pub name: String,
    pub description: Option<String>,
    /// `User` (default) or `MachineToMachine`.
    #[serde(rename = "type")]
    pub role_type: Option<String>,
    /// When present, exactly the scopes the role grants.
    pub scopes: Option<Vec<RoleScopeRef>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleScopeRef {
    /// The resource's indicator.
    pub resource: String,
    pub scope: String,
}

/// A user, keyed by `username`, or by `email` when there is no username.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub password: Option<Sensitive>,
    pub profile: Option<serde_json::Map<String, serde_json::Value>>,
    pub custom_data: Option<serde_json::Map<String, serde_json::Value>>,
    /// When present, exactly the user's roles (names of `User` roles).
    pub roles: Option<Vec<String>>,
}

impl UserEntry {
    fn key(&self) -> &str {
        self.username.as_deref().or(self.email.as_deref()).unwrap_or("?")
    }
}

/// An application, keyed by `name`; `id` fixes its client id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationEntry {
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// `Traditional`, `SPA`, `Native` or `MachineToMachine`.
    #[serde(rename = "type")]
    pub app_type: String,
    pub third_party: Option<bool>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Guarantees a client secret named `import` with this value (confidential apps only).
    pub secret: Option<Sensitive>,
    /// When present, exactly the app's roles (names of `MachineToMachine` roles).
    pub roles: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<String>,
}

// ---------------------------------------------------------------- report and errors

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// One application of the file and its client id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientReport {
    pub name: String,
    pub client_id: String,
    pub outcome: Outcome,
}

/// What an import did, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub resources: Counts,
    pub scopes: Counts,
    pub roles: Counts,
    pub users: Counts,
    pub applications: Counts,
    pub clients: Vec<ClientReport>,
}

impl ImportReport {
    /// True when the import created or updated anything.
    pub fn changed(&self) -> bool {
        [self.resources, self.scopes, self.roles, self.users, self.applications]
            .iter()
            .any(|c| c.created > 0 || c.updated > 0)
    }
}

/// One thing wrong with the file: the entry (`applications[1] (Photo SPA)`), the field
/// (`redirect_uris[0]`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub entry: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.entry, self.message)
        } else {
            write!(f, "{}: {}: {}", self.entry, self.field, self.message)
        }
    }
}

#[derive(Debug)]
pub enum ImportError {
    /// The file is not TOML of the expected shape.
    Parse(String),
    /// The file is well-formed but wrong; nothing was written.
    Invalid(Vec<Problem>),
    /// The database failed while the named entry was being written.
    Storage { entry: String, error: RepoError },
    /// A password could not be hashed.
    Password { entry: String, error: PasswordError },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Parse(e) => write!(f, "the import file is not valid: {e}"),
            ImportError::Invalid(problems) => {
                write!(f, "the import file has {} problem(s); nothing was written:", problems.len())?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            ImportError::Storage { entry, error } => write!(f, "{entry}: {error}"),
            ImportError::Password { entry, error } => write!(f, "{entry}: password: {error}"),
        }
    }
}

impl std::error::Error for ImportError {}

fn storage(entry: &str) -> impl FnOnce(RepoError) -> ImportError + '_ {
    move |error| ImportError::Storage { entry: entry.to_owned(), error }
}

// ---------------------------------------------------------------- validation

fn label(kind: &str, index: usize, key: &str) -> String {
    format!("{kind}[{index}] ({key})")
}

fn resource_label(i: usize, r: &ResourceEntry) -> String {
    label("resources", i, &r.indicator)
}

fn role_label(i: usize, r: &RoleEntry) -> String {
    label("roles", i, &r.name)
}

fn user_label(i: usize, u: &UserEntry) -> String {
    label("users", i, u.key())
}

fn app_label(i: usize, a: &ApplicationEntry) -> String {
    label("applications", i, &a.name)
}

/// What the database already holds for the file's entries and references, read during
/// validation and used again when writing.
#[derive(Default)]
struct Known {
    /// Indicator → the stored resource and its scopes (`None`: not stored).
    resources: HashMap<String, Option<(Resource, Vec<Scope>)>>,
    /// Name → the stored role.
    roles: HashMap<String, Option<Role>>,
    /// The stored user each `users` entry designates.
    users: Vec<Option<User>>,
    /// The stored application each `applications` entry designates.
    apps: Vec<Option<Application>>,
}

impl Known {
    async fn resource(
        &mut self,
        repos: &dyn Repositories,
        indicator: &str,
    ) -> Result<Option<&(Resource, Vec<Scope>)>, ImportError> {
        if !self.resources.contains_key(indicator) {
            let found = match repos.get_resource_by_indicator(indicator).await.map_err(storage(indicator))? {
                Some(r) => {
                    let scopes = repos.list_scopes(&r.id).await.map_err(storage(indicator))?;
                    Some((r, scopes))
                }
                None => None,
            };
            self.resources.insert(indicator.to_owned(), found);
        }
        Ok(self.resources.get(indicator).and_then(Option::as_ref))
    }

    async fn role(&mut self, repos: &dyn Repositories, name: &str) -> Result<Option<&Role>, ImportError> {
        if !self.roles.contains_key(name) {
            let found = repos.get_role_by_name(name).await.map_err(storage(name))?;
            self.roles.insert(name.to_owned(), found);
        }
        Ok(self.roles.get(name).and_then(Option::as_ref))
    }
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, entry: &str, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { entry: entry.to_owned(), field: field.into(), message: message.into() });
    }
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A plausible address: one `@` between a non-empty local part and a domain, no whitespace.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && s.len() <= 254
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// E.164: `+` and 2 to 15 digits.
fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A fixed client id: 1 to 64 letters, digits, `-`, `_` or `.`, safe in URLs and form bodies.
fn is_client_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The path of the first TOML date or time inside `value`, if any.
fn find_datetime(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key(TOML_DATETIME_KEY) {
                return Some(path.to_owned());
            }
            map.iter().find_map(|(k, v)| find_datetime(v, &format!("{path}.{k}")))
        }
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| find_datetime(v, &format!("{path}[{i}]")))
        }
        _ => None,
    }
}

fn check_unique<'a>(
    problems: &mut Problems,
    entry: &str,
    field: &str,
    items: impl IntoIterator<Item = &'a str>,
    what: &str,
) {
    let mut seen = BTreeSet::new();
    for (i, item) in items.into_iter().enumerate() {
        if !seen.insert(item) {
            problems.add(entry, format!("{field}[{i}]"), format!("{what} `{item}` is listed twice"));
        }
    }
}

/// Reports each key that more than one entry of a kind uses.
fn check_unique_keys(problems: &mut Problems, labels: &[String], keys: &[Option<String>], field: &str) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(key) = key.as_deref() else { continue };
        match first.get(key) {
            Some(&j) => problems.add(&labels[i], field, format!("`{key}` is also used by {}", labels[j])),
            None => {
                first.insert(key, i);
            }
        }
    }
}

/// `profile` holds standard claims only: strings, and `address` as a table of strings
/// (OpenID Connect Core §5.1, §5.1.1).
fn check_profile(problems: &mut Problems, entry: &str, profile: &serde_json::Map<String, serde_json::Value>) {
    for (key, value) in profile {
        let field = format!("profile.{key}");
        if !scope::is_profile_claim(key) {
            problems.add(entry, field, "not a standard profile claim (given_name, family_name, locale, address, …)");
            continue;
        }
        if key != "address" {
            if !value.is_string() {
                problems.add(entry, field, "must be a string");
            }
            continue;
        }
        let Some(members) = value.as_object() else {
            problems.add(entry, field, "must be a table");
            continue;
        };
        for (m, v) in members {
            if !ADDRESS_MEMBERS.contains(&m.as_str()) {
                problems.add(entry, format!("{field}.{m}"), "not a member of the address claim");
            } else if !v.is_string() {
                problems.add(entry, format!("{field}.{m}"), "must be a string");
            }
        }
    }
}

fn effective_role_type(entry: &RoleEntry, stored: Option<&Role>) -> RoleType {
    entry.role_type.as_deref().and_then(RoleType::parse).or(stored.map(|r| r.role_type)).unwrap_or(RoleType::User)
}

/// Checks the file against itself and the database, one kind at a time; reads, never writes.
struct Validation<'a> {
    repos: &'a dyn Repositories,
    file: &'a ImportFile,
    p: Problems,
    known: Known,
    /// Name → type of every role of the file.
    role_types: HashMap<String, RoleType>,
}

impl Validation<'_> {
    /// The type of the role a user or an application refers to: the file's, else the database's.
    async fn role_type_of(&mut self, name: &str) -> Result<Option<RoleType>, ImportError> {
        if let Some(t) = self.role_types.get(name) {
            return Ok(Some(*t));
        }
        Ok(self.known.role(self.repos, name).await?.map(|r| r.role_type))
    }

    /// Every name in `roles` must be a distinct role of type `expected`, in the file or the
    /// database; `holders` names who holds them, for the message.
    async fn check_roles(
        &mut self,
        entry: &str,
        roles: &[String],
        expected: RoleType,
        holders: &str,
    ) -> Result<(), ImportError> {
        check_unique(&mut self.p, entry, "roles", roles.iter().map(String::as_str), "role");
        for (j, name) in roles.iter().enumerate() {
            match self.role_type_of(name).await? {
                None => {
                    self.p.add(entry, format!("roles[{j}]"), format!("no role `{name}` in the file or the database"))
                }
                Some(t) if t != expected => self.p.add(
                    entry,
                    format!("roles[{j}]"),
                    format!("`{name}` is a {} role; {holders} can only hold {} roles", t.as_str(), expected.as_str()),
                ),
                Some(_) => {}
            }
        }
        Ok(())
    }

    async fn resources(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.resources.iter().enumerate().map(|(i, r)| resource_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.resources.iter().map(|r| Some(r.indicator.clone())).collect::<Vec<_>>(),
            "indicator",
        );
        for (r, entry) in self.file.resources.iter().zip(&labels) {
            if is_blank(&r.name) {
                self.p.add(entry, "name", "must not be empty");
            }
            // RFC 8707 §2: an absolute URI without a fragment.
            match url::Url::parse(&r.indicator) {
                Ok(u) if u.fragment().is_none() && !r.indicator.contains('#') => {}
                Ok(_) => self.p.add(entry, "indicator", "must not contain a fragment (RFC 8707 §2)"),
                Err(_) => {
                    self.p.add(entry, "indicator", format!("`{}` is not an absolute URI (RFC 8707 §2)", r.indicator))
                }
            }
            if let Some(ttl) = r.access_token_ttl
                && ttl <= 0
            {
                self.p.add(entry, "access_token_ttl", "must be a positive number of seconds");
            }
            for (i, s) in r.scopes.iter().enumerate() {
                if !scope::is_valid_token(&s.name) {
                    self.p.add(
                        entry,
                        format!("scopes[{i}].name"),
                        format!("`{}` is not a scope token (RFC 6749 §3.3)", s.name),
                    );
                }
            }
            check_unique(&mut self.p, entry, "scopes", r.scopes.iter().map(|s| s.name.as_str()), "scope");
            self.known.resource(self.repos, &r.indicator).await?;
        }
        Ok(())
    }

    async fn roles(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.roles.iter().enumerate().map(|(i, r)| role_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.roles.iter().map(|r| Some(r.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (r, entry) in self.file.roles.iter().zip(&labels) {
            if is_blank(&r.name) {
                self.p.add(entry, "name", "must not be empty");
            }
            let stored = self.known.role(self.repos, &r.name).await?.cloned();
            if let Some(t) = &r.role_type {
                match (RoleType::parse(t), &stored) {
                    (None, _) => self.p.add(entry, "type", format!("`{t}` is neither `User` nor `MachineToMachine`")),
                    (Some(t), Some(s)) if t != s.role_type => self.p.add(
                        entry,
                        "type",
                        format!("the stored role is a {} role; a role's type cannot change", s.role_type.as_str()),
                    ),
                    _ => {}
                }
            }
            self.role_types.insert(r.name.clone(), effective_role_type(r, stored.as_ref()));
            let Some(refs) = &r.scopes else { continue };
            let mut seen = BTreeSet::new();
            for (i, sref) in refs.iter().enumerate() {
                let field = format!("scopes[{i}]");
                if !seen.insert((sref.resource.as_str(), sref.scope.as_str())) {
                    self.p.add(entry, field, format!("scope `{}` of `{}` is listed twice", sref.scope, sref.resource));
                    continue;
                }
                let in_file = self.file.resources.iter().find(|res| res.indicator == sref.resource);
                let stored = self.known.resource(self.repos, &sref.resource).await?;
                if in_file.is_none() && stored.is_none() {
                    self.p.add(
                        entry,
                        field,
                        format!("no resource with indicator `{}` in the file or the database", sref.resource),
                    );
                    continue;
                }
                let scope_in_file = in_file.is_some_and(|res| res.scopes.iter().any(|s| s.name == sref.scope));
                let scope_stored = stored.is_some_and(|(_, scopes)| scopes.iter().any(|s| s.name == sref.scope));
                if !scope_in_file && !scope_stored {
                    self.p.add(
                        entry,
                        field,
                        format!(
                            "resource `{}` has no scope `{}` in the file or the database",
                            sref.resource, sref.scope
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    async fn users(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.users.iter().enumerate().map(|(i, u)| user_label(i, u)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.username.clone()).collect::<Vec<_>>(),
            "username",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.email.as_ref().map(|e| e.to_lowercase())).collect::<Vec<_>>(),
            "email",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.users.iter().map(|u| u.phone.clone()).collect::<Vec<_>>(),
            "phone",
        );
        let mut claimed_users: HashMap<UserId, usize> = HashMap::new();
        for (i, (u, entry)) in self.file.users.iter().zip(&labels).enumerate() {
            if u.username.is_none() && u.email.is_none() {
                self.p.add(entry, "", "needs a `username` or an `email` to be found by");
            }
            if let Some(name) = &u.username
                && (is_blank(name) || name.chars().any(char::is_whitespace))
            {
                self.p.add(entry, "username", "must be non-empty and contain no whitespace");
            }
            if let Some(email) = &u.email
                && !is_email(email)
            {
                self.p.add(entry, "email", format!("`{email}` is not an email address"));
            }
            if let Some(phone) = &u.phone
                && !is_e164(phone)
            {
                self.p.add(entry, "phone", format!("`{phone}` is not in E.164 form (`+` and up to 15 digits)"));
            }
            if let Some(name) = &u.name
                && is_blank(name)
            {
                self.p.add(entry, "name", "must not be empty");
            }
            if let Some(pw) = &u.password
                && let Err(e) = password::check_policy(&pw.0)
            {
                self.p.add(entry, "password", e.to_string());
            }
            if let Some(profile) = &u.profile {
                check_profile(&mut self.p, entry, profile);
            }
            if let Some(data) = &u.custom_data
                && let Some(path) = find_datetime(&serde_json::Value::Object(data.clone()), "custom_data")
            {
                self.p.add(entry, path, "TOML dates and times are not supported here; write them as strings");
            }
            if let Some(roles) = &u.roles {
                self.check_roles(entry, roles, RoleType::User, "users").await?;
            }
            // Find the stored user this entry designates, and make sure its email is not someone else's.
            let stored = match (&u.username, &u.email) {
                (Some(name), _) => self.repos.find_user_by_username(name).await.map_err(storage(entry))?,
                (None, Some(email)) => self.repos.find_user_by_email(email).await.map_err(storage(entry))?,
                (None, None) => None,
            };
            if let (Some(name), Some(email)) = (&u.username, &u.email)
                && let Some(owner) = self.repos.find_user_by_email(email).await.map_err(storage(entry))?
                && stored.as_ref().is_none_or(|s| s.id != owner.id)
            {
                let who = owner.username.as_deref().unwrap_or(owner.id.as_str());
                self.p.add(
                    entry,
                    "email",
                    format!("`{email}` already belongs to another user (`{who}`), not to `{name}`"),
                );
            }
            if let Some(s) = &stored {
                if let Some(&j) = claimed_users.get(&s.id) {
                    self.p.add(entry, "", format!("designates the same stored user as {}", labels[j]));
                } else {
                    claimed_users.insert(s.id.clone(), i);
                }
            }
            self.known.users.push(stored);
        }
        Ok(())
    }

    async fn applications(&mut self) -> Result<(), ImportError> {
        let labels: Vec<String> = self.file.applications.iter().enumerate().map(|(i, a)| app_label(i, a)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.applications.iter().map(|a| Some(a.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        check_unique_keys(
            &mut self.p,
            &labels,
            &self.file.applications.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            "id",
        );
        let mut claimed_apps: HashMap<ApplicationId, usize> = HashMap::new();
        for (i, (a, entry)) in self.file.applications.iter().zip(&labels).enumerate() {
            if is_blank(&a.name) {
                self.p.add(entry, "name", "must not be empty");
            }
            if let Some(id) = &a.id
                && !is_client_id(id)
            {
                self.p.add(entry, "id", format!("`{id}` must be 1 to 64 letters, digits, `-`, `_` or `.`"));
            }
            // The stored application: by fixed id when there is one, else by name.
            let stored = match &a.id {
                Some(id) => {
                    self.repos.get_application(&ApplicationId::from(id.as_str())).await.map_err(storage(entry))?
                }
                None => self.repos.find_application_by_name(&a.name).await.map_err(storage(entry))?,
            };
            if a.id.is_some() || stored.as_ref().is_some_and(|s| s.name != a.name) {
                let holder = self.repos.find_application_by_name(&a.name).await.map_err(storage(entry))?;
                if let Some(holder) = holder
                    && stored.as_ref().is_none_or(|s| s.id != holder.id)
                {
                    if stored.is_none() {
                        self.p.add(
                            entry,
                            "id",
                            format!(
                                "an application with this name already exists with client id `{}`; a client id cannot change",
                                holder.id
                            ),
                        );
                    } else {
                        self.p.add(
                            entry,
                            "name",
                            format!("already used by the application with client id `{}`", holder.id),
                        );
                    }
                }
            }
            if let Some(s) = &stored {
                if let Some(&j) = claimed_apps.get(&s.id) {
                    self.p.add(entry, "", format!("designates the same stored application as {}", labels[j]));
                } else {
                    claimed_apps.insert(s.id.clone(), i);
                }
            }
            let Some(app_type) = AppType::parse(&a.app_type) else {
                self.p.add(
                    entry,
                    "type",
                    format!("`{}` is not one of Traditional, SPA, Native, MachineToMachine", a.app_type),
                );
                self.known.apps.push(stored);
                continue;
            };
            if let Some(s) = &stored
                && s.app_type != app_type
            {
                self.p.add(
                    entry,
                    "type",
                    format!("the stored application is {}; an application's type cannot change", s.app_type.as_str()),
                );
            }
            let third_party = a.third_party.or(stored.as_ref().map(|s| s.is_third_party)).unwrap_or(false);
            if app_type == AppType::MachineToMachine && third_party {
                self.p.add(entry, "third_party", "machine-to-machine apps cannot be third-party");
            }
            for (field, uris) in
                [("redirect_uris", &a.redirect_uris), ("post_logout_redirect_uris", &a.post_logout_redirect_uris)]
            {
                let Some(uris) = uris else { continue };
                for (j, uri) in uris.iter().enumerate() {
                    if let Err(e) = validate_registered(app_type, uri) {
                        self.p.add(entry, format!("{field}[{j}]"), e.to_string());
                    }
                }
                check_unique(&mut self.p, entry, field, uris.iter().map(String::as_str), "URI");
            }
            if let Some(secret) = &a.secret {
                if !app_type.is_confidential() {
                    self.p.add(
                        entry,
                        "secret",
                        format!("{} apps are public clients and have no secret (RFC 6749 §2.1)", app_type.as_str()),
                    );
                } else if secret.0.chars().count() < MIN_SECRET_LEN {
                    self.p.add(
                        entry,
                        "secret",
                        format!("must be at least {MIN_SECRET_LEN} characters (try `openssl rand -hex 32`)"),
                    );
                }
            }
            if let Some(roles) = &a.roles {
                if app_type != AppType::MachineToMachine {
                    self.p.add(entry, "roles", "only MachineToMachine apps hold roles");
                } else {
                    self.check_roles(entry, roles, RoleType::MachineToMachine, "applications").await?;
                }
            }
            if let Some(alg) = &a.id_token_signed_response_alg
                && !matches!(alg.as_str(), "RS256" | "ES256")
            {
                self.p.add(entry, "id_token_signed_response_alg", format!("`{alg}` is neither RS256 nor ES256"));
            }
            self.known.apps.push(stored);
        }
        Ok(())
    }
}

/// Checks the whole file against itself and the database; reads, never writes.
async fn validate(repos: &dyn Repositories, file: &ImportFile) -> Result<Known, ImportError> {
    let mut v = Validation { repos, file, p: Problems::default(), known: Known::default(), role_types: HashMap::new() };
    v.resources().await?;
    v.roles().await?;
    v.users().await?;
    v.applications().await?;
    if v.p.0.is_empty() { Ok(v.known) } else { Err(ImportError::Invalid(v.p.0)) }
}

// ---------------------------------------------------------------- writing

struct Writer<'a> {
    repos: &'a dyn Repositories,
    random: &'a dyn Random,
    hasher: &'a PasswordHasher,
    now: Timestamp,
    report: ImportReport,
    /// (indicator, scope name) → scope id.
    scope_ids: HashMap<(String, String), ScopeId>,
    role_ids: HashMap<String, RoleId>,
}

fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    items.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

impl Writer<'_> {
    fn new_id(&self) -> String {
        new_id(self.random)
    }

    async fn resource(&mut self, i: usize, r: &ResourceEntry, known: &Known) -> Result<(), ImportError> {
        let entry = resource_label(i, r);
        let stored = known.resources.get(&r.indicator).and_then(Option::as_ref);
        let (id, outcome) = match stored {
            None => {
                let new = Resource {
                    id: ResourceId(self.new_id()),
                    name: r.name.clone(),
                    indicator: r.indicator.clone(),
                    access_token_ttl: r.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
                    created_at: self.now,
                };
                self.repos.insert_resource(&new).await.map_err(storage(&entry))?;
                (new.id, Outcome::Created)
            }
            Some((old, _)) => {
                let mut want = old.clone();
                want.name = r.name.clone();
                if let Some(ttl) = r.access_token_ttl {
                    want.access_token_ttl = ttl;
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.repos.update_resource(&want).await.map_err(storage(&entry))?;
                    (want.id, Outcome::Updated)
                }
            }
        };
        self.report.resources.add(outcome);
        let stored_scopes: &[Scope] = stored.map(|(_, s)| s.as_slice()).unwrap_or(&[]);
        for s in &r.scopes {
            let outcome = match stored_scopes.iter().find(|old| old.name == s.name) {
                None => {
                    let new = Scope {
                        id: ScopeId(self.new_id()),
                        resource_id: id.clone(),
                        name: s.name.clone(),
                        description: s.description.clone().unwrap_or_default(),
                    };
                    self.repos.insert_scope(&new).await.map_err(storage(&entry))?;
                    self.scope_ids.insert((r.indicator.clone(), s.name.clone()), new.id);
                    Outcome::Created
                }
                Some(old) => match &s.description {
                    Some(d) if *d != old.description => {
                        let want = Scope { description: d.clone(), ..old.clone() };
                        self.repos.update_scope(&want).await.map_err(storage(&entry))?;
                        Outcome::Updated
                    }
                    _ => Outcome::Unchanged,
                },
            };
            self.report.scopes.add(outcome);
        }
        Ok(())
    }

    async fn role(&mut self, i: usize, r: &RoleEntry, known: &Known) -> Result<(), ImportError> {
        let entry = role_label(i, r);
        let stored = known.roles.get(&r.name).and_then(Option::as_ref);
        let (id, mut outcome) = match stored {
            None => {
                let new = Role {
                    id: RoleId(self.new_id()),
                    name: r.name.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    role_type: effective_role_type(r, None),
                    created_at: self.now,
                };
                self.repos.insert_role(&new).await.map_err(storage(&entry))?;
                (new.id, Outcome::Created)
            }
            Some(old) => {
                let mut want = old.clone();
                if let Some(d) = &r.description {
                    want.description = d.clone();
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.repos.update_role(&want).await.map_err(storage(&entry))?;
                    (want.id, Outcome::Updated)
                }
            }
        };
        self.role_ids.insert(r.name.clone(), id.clone());
        if let Some(refs) = &r.scopes {
            let mut want = Vec::with_capacity(refs.len());
            for s in refs {
                let key = (s.resource.clone(), s.scope.clone());
                let Some(scope_id) = self.scope_ids.get(&key) else {
                    return Err(ImportError::Storage {
                        entry,
                        error: RepoError::MissingReference(format!("scope `{}` of `{}`", s.scope, s.resource)),
                    });
                };
                want.push(scope_id.clone());
            }
            let want = sorted(&want);
            let have = match stored {
                Some(_) => sorted(&self.repos.role_scope_ids(&id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if want != have {
                self.repos.set_role_scopes(&id, &want).await.map_err(storage(&entry))?;
                if outcome == Outcome::Unchanged {
                    outcome = Outcome::Updated;
                }
            }
        }
        self.report.roles.add(outcome);
        Ok(())
    }

    fn role_ids_of(&self, entry: &str, names: &[String]) -> Result<Vec<RoleId>, ImportError> {
        names
            .iter()
            .map(|n| {
                self.role_ids.get(n).cloned().ok_or_else(|| ImportError::Storage {
                    entry: entry.to_owned(),
                    error: RepoError::MissingReference(format!("role `{n}`")),
                })
            })
            .collect()
    }

    async fn user(&mut self, i: usize, u: &UserEntry, stored: Option<&User>) -> Result<(), ImportError> {
        let entry = user_label(i, u);
        let mut want = match stored {
            Some(old) => old.clone(),
            None => User {
                id: UserId(self.new_id()),
                custom_data: serde_json::Value::Object(serde_json::Map::new()),
                created_at: self.now,
                updated_at: self.now,
                ..User::default()
            },
        };
        if let Some(v) = &u.username {
            want.username = Some(v.clone());
        }
        if let Some(v) = &u.email {
            want.primary_email = Some(v.clone());
        }
        if let Some(v) = u.email_verified {
            want.email_verified = v;
        }
        if let Some(v) = &u.phone {
            want.primary_phone = Some(v.clone());
        }
        if let Some(v) = &u.name {
            want.name = Some(v.clone());
        }
        if let Some(v) = &u.profile {
            want.profile = v.clone();
        }
        if let Some(v) = &u.custom_data {
            want.custom_data = serde_json::Value::Object(v.clone());
        }
        // Re-hash only when the stored hash does not already verify the password: a new salt
        // every run would make every import an update.
        if let Some(pw) = &u.password
            && !want.password_hash.as_deref().is_some_and(|h| self.hasher.verify(&pw.0, Some(h)))
        {
            let salt = crypto::random_16(self.random);
            let hash = self
                .hasher
                .hash(&pw.0, &salt)
                .map_err(|error| ImportError::Password { entry: entry.clone(), error })?;
            want.password_hash = Some(hash);
        }
        let mut outcome = match stored {
            None => {
                self.repos.insert_user(&want).await.map_err(storage(&entry))?;
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                want.updated_at = self.now;
                self.repos.update_user(&want).await.map_err(storage(&entry))?;
                Outcome::Updated
            }
        };
        if let Some(names) = &u.roles {
            let have = match stored {
                Some(_) => sorted(&self.repos.user_role_names(&want.id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if sorted(names) != have {
                let ids = self.role_ids_of(&entry, names)?;
                self.repos.set_user_roles(&want.id, &ids).await.map_err(storage(&entry))?;
                if outcome == Outcome::Unchanged {
                    outcome = Outcome::Updated;
                }
            }
        }
        self.report.users.add(outcome);
        Ok(())
    }

    async fn application(
        &mut self,
        i: usize,
        a: &ApplicationEntry,
        stored: Option<&Application>,
    ) -> Result<(), ImportError> {
        let entry = app_label(i, a);
        let app_type = AppType::parse(&a.app_type).unwrap_or(AppType::Traditional);
        let mut want = match stored {
            Some(old) => old.clone(),
            None => Application {
                id: ApplicationId(a.id.clone().unwrap_or_else(|| self.new_id())),
                name: a.name.clone(),
                description: None,
                app_type,
                is_third_party: false,
                redirect_uris: Vec::new(),
                post_logout_redirect_uris: Vec::new(),
                custom: CustomClientMetadata::default(),
                created_at: self.now,
            },
        };
        want.name = a.name.clone();
        if let Some(v) = &a.description {
            want.description = Some(v.clone());
        }
        if let Some(v) = a.third_party {
            want.is_third_party = v;
        }
        if let Some(v) = &a.redirect_uris {
            want.redirect_uris = v.clone();
        }
        if let Some(v) = &a.post_logout_redirect_uris {
            want.post_logout_redirect_uris = v.clone();
        }
        if let Some(v) = &a.id_token_signed_response_alg {
            want.custom.id_token_signed_response_alg = Some(v.clone());
        }
        let mut outcome = match stored {
            None => {
                self.repos.insert_application(&want).await.map_err(storage(&entry))?;
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                self.repos.update_application(&want).await.map_err(storage(&entry))?;
                Outcome::Updated
            }
        };
        let mut changed = false;
        if let Some(secret) = &a.secret {
            let secrets = match stored {
                Some(_) => self.repos.list_secrets(&want.id).await.map_err(storage(&entry))?,
                None => Vec::new(),
            };
            let current = secrets.iter().find(|s| s.name == IMPORT_SECRET_NAME);
            if !current.is_some_and(|s| crypto::secret_matches(&secret.0, &s.hash)) {
                if current.is_some() {
                    self.repos.delete_secret(&want.id, IMPORT_SECRET_NAME).await.map_err(storage(&entry))?;
                }
                let new = AppSecret {
                    application_id: want.id.clone(),
                    name: IMPORT_SECRET_NAME.to_owned(),
                    hash: crypto::token_hash(&secret.0),
                    created_at: self.now,
                    expires_at: None,
                };
                self.repos.insert_secret(&new).await.map_err(storage(&entry))?;
                changed = true;
            }
        }
        if let Some(names) = &a.roles {
            let have = match stored {
                Some(_) => sorted(&self.repos.application_role_names(&want.id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if sorted(names) != have {
                let ids = self.role_ids_of(&entry, names)?;
                self.repos.set_application_roles(&want.id, &ids).await.map_err(storage(&entry))?;
                changed = true;
            }
        }
        if changed && outcome == Outcome::Unchanged {
            outcome = Outcome::Updated;
        }
        self.report.applications.add(outcome);
        self.report.clients.push(ClientReport { name: want.name.clone(), client_id: want.id.0.clone(), outcome });
        Ok(())
    }
}

/// Validates `file` against itself and the database, then creates what is missing, updates
/// what differs and leaves equal things alone. Nothing is written when validation fails.
pub async fn apply(
    repos: &dyn Repositories,
    clock: &dyn Clock,
    random: &dyn Random,
    hasher: &PasswordHasher,
    file: &ImportFile,
) -> Result<ImportReport, ImportError> {
    let known = validate(repos, file).await?;
    let mut w = Writer {
        repos,
        random,
        hasher,
        now: clock.now(),
        report: ImportReport::default(),
        scope_ids: HashMap::new(),
        role_ids: HashMap::new(),
    };
    for (indicator, stored) in &known.resources {
        if let Some((_, scopes)) = stored {
            for s in scopes {
                w.scope_ids.insert((indicator.clone(), s.name.clone()), s.id.clone());
            }
        }
    }
    for (name, stored) in &known.roles {
        if let Some(r) = stored {
            w.role_ids.insert(name.clone(), r.id.clone());
        }
    }
    for (i, r) in file.resources.iter().enumerate() {
        w.resource(i, r, &known).await?;
    }
    for (i, r) in file.roles.iter().enumerate() {
        w.role(i, r, &known).await?;
    }
    for (i, (u, stored)) in file.users.iter().zip(&known.users).enumerate() {
        w.user(i, u, stored.as_ref()).await?;
    }
    for (i, (a, stored)) in file.applications.iter().zip(&known.apps).enumerate() {
        w.application(i, a, stored.as_ref()).await?;
    }
    Ok(w.report)
}

/// `latch import FILE`: opens (and migrates) the configured database, applies the file and
/// prints the report as JSON.
/// Tells running servers to drop their cached applications and resources. Through Redis every
/// node hears it at once; with the in-memory store (one process) they catch up within the
/// cache TTL.
async fn announce_changes(settings: &Settings) {
    if settings.raw.cache.url == "memory://" {
        return;
    }
    match latch_store::connect_ephemeral(&settings.raw.cache.url, &settings.raw.cache.key_prefix) {
        Ok(cache) => {
            let message = latch_idp::catalog::Change::Everything.message();
            if let Err(e) = cache.publish(latch_idp::catalog::CHANNEL, &message).await {
                eprintln!("warning: running servers were not told of the import ({e}); they catch up within 30 s");
            }
        }
        Err(e) => eprintln!("warning: cannot reach the cache ({e}); running servers catch up within 30 s"),
    }
}

pub fn run_command(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = ImportFile::parse(&text).with_context(|| format!("importing {}", path.display()))?;
    let random = latch_store::OsRandom;
    let cost = &settings.raw.password_hash;
    let hasher = PasswordHasher::new(
        cost.memory_kib,
        cost.iterations,
        cost.parallelism,
        &crypto::random_16(&random),
        &crypto::random_16(&random),
    )
    .context("setting up password hashing")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let report = runtime.block_on(async {
        let url = settings.database_url.clone();
        let db = tokio::task::spawn_blocking(move || latch_store::Db::open(&url, 2))
            .await
            .context("opening the database")?
            .context("opening the database")?;
        let report = apply(&db, &latch_store::SystemClock, &random, &hasher, &file)
            .await
            .with_context(|| format!("importing {}", path.display()))?;
        announce_changes(settings).await;
        Ok::<_, anyhow::Error>(report)
    })?;
    println!("{}", serde_json::to_string_pretty(&report).context("rendering the report")?);
    Ok(())
}

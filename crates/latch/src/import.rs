//! `latch import FILE`: applies a declarative TOML file of API resources (with scopes), roles,
//! users, organization scopes, organization roles, organizations (with members) and applications
//! (with third-party permissions and branding) through the repositories. The whole file is
//! validated before anything is written, and applying the same file twice changes nothing the
//! second time.

use crate::config::Settings;
use anyhow::Context;
use latch_core::catalog::Change;
use latch_core::{Actor, Changeset, Core};
use latch_domain::entities::*;
use latch_domain::fields::{self, Identifier};
use latch_domain::ids::*;
use latch_domain::orgs::{Branding, ConsentScope, ConsentScopeType, Organization, OrganizationRole, OrganizationScope};
use latch_domain::redirect::validate_registered;
use latch_domain::repo::{Page, RepoError, RepoResult, Repositories, Write};
use latch_domain::{Random, Timestamp, scope};
use latch_oidc::crypto;
use latch_oidc::password::{PasswordError, PasswordHasher};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::path::Path;

/// Access-token lifetime of a new resource that does not name one, seconds.
pub const DEFAULT_ACCESS_TOKEN_TTL: i64 = 3600;

/// Name of the client secret an entry's `secret` is stored under.
pub const IMPORT_SECRET_NAME: &str = "import";

/// Shortest accepted `secret`: it is stored under a fast hash, so it must be unguessable
/// (`openssl rand -hex 32` prints 64 characters).
pub const MIN_SECRET_LEN: usize = 32;

/// How the toml crate represents a date or time inside an untyped value.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

/// Longest organization, organization role and organization scope name (as in the admin API).
const MAX_ORG_NAME: usize = 128;
/// Longest description of an organization or an organization role (as in the admin API).
const MAX_ORG_DESCRIPTION: usize = 2048;
/// Longest description of an organization scope (as in the admin API).
const MAX_ORG_SCOPE_DESCRIPTION: usize = 512;

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
    pub organization_scopes: Vec<OrganizationScopeEntry>,
    #[serde(default)]
    pub organization_roles: Vec<OrganizationRoleEntry>,
    #[serde(default)]
    pub organizations: Vec<OrganizationEntry>,
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

/// A permission that exists in every organization, keyed by `name`; requested by its bare name
/// in `scope`, so it is a scope token (RFC 6749 §3.3) and not an OIDC user scope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationScopeEntry {
    pub name: String,
    pub description: Option<String>,
}

/// A role members hold inside an organization, keyed by `name`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRoleEntry {
    pub name: String,
    pub description: Option<String>,
    /// When present, exactly the organization scopes (by name) the role grants.
    pub scopes: Option<Vec<String>>,
    /// When present, exactly the API resource scopes the role grants inside an organization.
    pub resource_scopes: Option<Vec<RoleScopeRef>>,
}

/// An organization, keyed by `name`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationEntry {
    pub name: String,
    /// An empty description clears the stored one.
    pub description: Option<String>,
    /// When present, exactly the members: stored members not listed are removed.
    pub members: Option<Vec<MemberEntry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberEntry {
    /// A username, or an email address, of a user in the file or the database.
    pub user: String,
    /// When present, exactly the member's organization roles (by name) in this organization.
    pub roles: Option<Vec<String>>,
}

/// What a third-party application may ask for (DESIGN.md "Third-party app rules"). When present,
/// it is the app's whole allow-list: a kind left out allows nothing of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsEntry {
    /// OIDC user scopes (`email`, `profile`, …).
    #[serde(default)]
    pub user_scopes: Vec<NamedPermission>,
    /// API resource scopes.
    #[serde(default)]
    pub resource_scopes: Vec<ScopePermission>,
    /// Organization scopes, by name.
    #[serde(default)]
    pub organization_scopes: Vec<NamedPermission>,
    /// API resource scopes held through organization roles.
    #[serde(default)]
    pub organization_resource_scopes: Vec<ScopePermission>,
}

/// A permission named by a bare name (required), or `{ id = "name", required = false }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a name, or a table like { id = \"profile\", required = false }")]
pub enum NamedPermission {
    Name(String),
    Entry(NamedPermissionEntry),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedPermissionEntry {
    pub id: String,
    #[serde(default = "yes")]
    pub required: bool,
}

impl NamedPermission {
    pub fn name(&self) -> &str {
        match self {
            NamedPermission::Name(name) | NamedPermission::Entry(NamedPermissionEntry { id: name, .. }) => name,
        }
    }

    /// `false`: the user may untick it on the consent screen.
    pub fn required(&self) -> bool {
        match self {
            NamedPermission::Name(_) => true,
            NamedPermission::Entry(e) => e.required,
        }
    }
}

/// An API resource scope an application may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopePermission {
    /// The resource's indicator.
    pub resource: String,
    pub scope: String,
    /// `false`: the user may untick it on the consent screen.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// How the consent screen shows an application. A field left out keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingEntry {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    /// Shown in dark mode.
    pub dark_logo_url: Option<String>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
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
    /// When present, exactly what the app may ask for (third-party apps only).
    pub permissions: Option<PermissionsEntry>,
    /// The consent screen's look.
    pub branding: Option<BrandingEntry>,
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
    pub organization_scopes: Counts,
    pub organization_roles: Counts,
    pub organizations: Counts,
    pub applications: Counts,
    pub clients: Vec<ClientReport>,
}

impl ImportReport {
    /// True when the import created or updated anything.
    pub fn changed(&self) -> bool {
        [
            self.resources,
            self.scopes,
            self.roles,
            self.users,
            self.organization_scopes,
            self.organization_roles,
            self.organizations,
            self.applications,
        ]
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

fn org_scope_label(i: usize, s: &OrganizationScopeEntry) -> String {
    label("organization_scopes", i, &s.name)
}

fn org_role_label(i: usize, r: &OrganizationRoleEntry) -> String {
    label("organization_roles", i, &r.name)
}

fn org_label(i: usize, o: &OrganizationEntry) -> String {
    label("organizations", i, &o.name)
}

/// The user an organization member designates: the one of a `users` entry (which may not be
/// stored yet), or one only the database holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum MemberRef {
    File(usize),
    Stored(UserId),
}

/// Every row of a paginated list.
async fn load_all<T, F, Fut>(mut list: F) -> RepoResult<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = RepoResult<(Vec<T>, i64)>>,
{
    let mut out = Vec::new();
    let mut page = Page { page: 1, size: 500 };
    loop {
        let (rows, total) = list(page).await?;
        let last = rows.is_empty();
        out.extend(rows);
        if last || i64::try_from(out.len()).unwrap_or(i64::MAX) >= total {
            return Ok(out);
        }
        page.page += 1;
    }
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
    /// Name → stored organization scope, every one, read on first use.
    org_scopes: Option<HashMap<String, OrganizationScope>>,
    /// Name → stored organization role, every one, read on first use.
    org_roles: Option<HashMap<String, OrganizationRole>>,
    /// The stored organization each `organizations` entry designates.
    orgs: Vec<Option<Organization>>,
    /// The user each member of each `organizations` entry designates (`None`: none found).
    members: Vec<Vec<Option<MemberRef>>>,
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

    async fn org_scopes(
        &mut self,
        repos: &dyn Repositories,
    ) -> Result<&HashMap<String, OrganizationScope>, ImportError> {
        if self.org_scopes.is_none() {
            let all =
                load_all(|page| repos.list_organization_scopes(page)).await.map_err(storage("organization_scopes"))?;
            self.org_scopes = Some(all.into_iter().map(|s| (s.name.clone(), s)).collect());
        }
        Ok(self.org_scopes.get_or_insert_with(HashMap::new))
    }

    async fn org_roles(&mut self, repos: &dyn Repositories) -> Result<&HashMap<String, OrganizationRole>, ImportError> {
        if self.org_roles.is_none() {
            let all =
                load_all(|page| repos.list_organization_roles(page)).await.map_err(storage("organization_roles"))?;
            self.org_roles = Some(all.into_iter().map(|r| (r.name.clone(), r)).collect());
        }
        Ok(self.org_roles.get_or_insert_with(HashMap::new))
    }

    fn stored_org_scope(&self, name: &str) -> Option<&OrganizationScope> {
        self.org_scopes.as_ref().and_then(|m| m.get(name))
    }

    fn stored_org_role(&self, name: &str) -> Option<&OrganizationRole> {
        self.org_roles.as_ref().and_then(|m| m.get(name))
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

/// A name (of an organization, an organization role, a consent screen): not blank, at most `max`
/// characters.
fn check_name(problems: &mut Problems, entry: &str, field: &str, name: &str, max: usize) {
    if let Err(e) = fields::text(name, max) {
        problems.add(entry, field, e.to_string());
    }
}

fn check_length(problems: &mut Problems, entry: &str, field: &str, text: &str, max: usize) {
    if text.chars().count() > max {
        problems.add(entry, field, format!("must be at most {max} characters"));
    }
}

/// The same rules as `PUT /api/applications/{id}/sign-in-experience`.
fn check_branding(problems: &mut Problems, entry: &str, b: &BrandingEntry) {
    if let Some(name) = &b.display_name {
        check_name(problems, entry, "branding.display_name", name, fields::MAX_DISPLAY_NAME);
    }
    for (field, value) in [
        ("logo_url", &b.logo_url),
        ("dark_logo_url", &b.dark_logo_url),
        ("terms_of_use_url", &b.terms_of_use_url),
        ("privacy_policy_url", &b.privacy_policy_url),
    ] {
        if let Some(Err(e)) = value.as_deref().map(fields::web_url) {
            problems.add(entry, format!("branding.{field}"), e.to_string());
        }
    }
    if let Some(Err(e)) = b.color.as_deref().map(fields::color) {
        problems.add(entry, "branding.color", e.to_string());
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
            if let Some(refs) = &r.scopes {
                let refs: Vec<(&str, &str)> = refs.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
                self.check_scope_refs(entry, "scopes", &refs).await?;
            }
        }
        Ok(())
    }

    /// Every `(indicator, scope name)` of `refs` must be distinct and name a scope of a resource
    /// in the file or the database.
    async fn check_scope_refs(&mut self, entry: &str, field: &str, refs: &[(&str, &str)]) -> Result<(), ImportError> {
        let file = self.file;
        let mut seen = BTreeSet::new();
        for (i, &(resource, scope)) in refs.iter().enumerate() {
            let field = format!("{field}[{i}]");
            if !seen.insert((resource, scope)) {
                self.p.add(entry, field, format!("scope `{scope}` of `{resource}` is listed twice"));
                continue;
            }
            let in_file = file.resources.iter().find(|res| res.indicator == resource);
            let stored = self.known.resource(self.repos, resource).await?;
            if in_file.is_none() && stored.is_none() {
                self.p.add(
                    entry,
                    field,
                    format!("no resource with indicator `{resource}` in the file or the database"),
                );
                continue;
            }
            let scope_in_file = in_file.is_some_and(|res| res.scopes.iter().any(|s| s.name == scope));
            let scope_stored = stored.is_some_and(|(_, scopes)| scopes.iter().any(|s| s.name == scope));
            if !scope_in_file && !scope_stored {
                self.p.add(
                    entry,
                    field,
                    format!("resource `{resource}` has no scope `{scope}` in the file or the database"),
                );
            }
        }
        Ok(())
    }

    async fn org_scope_exists(&mut self, name: &str) -> Result<bool, ImportError> {
        let in_file = self.file.organization_scopes.iter().any(|s| s.name == name);
        Ok(in_file || self.known.org_scopes(self.repos).await?.contains_key(name))
    }

    async fn org_role_exists(&mut self, name: &str) -> Result<bool, ImportError> {
        let in_file = self.file.organization_roles.iter().any(|r| r.name == name);
        Ok(in_file || self.known.org_roles(self.repos).await?.contains_key(name))
    }

    /// Every name of `names` (at `field`) must be a distinct organization scope of the file or
    /// the database.
    async fn check_org_scope_names<'n>(
        &mut self,
        entry: &str,
        field: &str,
        names: impl Iterator<Item = &'n str> + Clone,
    ) -> Result<(), ImportError> {
        check_unique(&mut self.p, entry, field, names.clone(), "organization scope");
        for (j, name) in names.enumerate() {
            if !self.org_scope_exists(name).await? {
                self.p.add(
                    entry,
                    format!("{field}[{j}]"),
                    format!("no organization scope `{name}` in the file or the database"),
                );
            }
        }
        Ok(())
    }

    async fn organization_scopes(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> =
            file.organization_scopes.iter().enumerate().map(|(i, s)| org_scope_label(i, s)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organization_scopes.iter().map(|s| Some(s.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (s, entry) in file.organization_scopes.iter().zip(&labels) {
            // Requested by bare name next to the user scopes (DESIGN.md "Scopes and claims").
            if !scope::is_valid_token(&s.name) || s.name.len() > MAX_ORG_NAME {
                self.p.add(
                    entry,
                    "name",
                    format!("`{}` is not a scope token of 1 to {MAX_ORG_NAME} characters (RFC 6749 §3.3)", s.name),
                );
            } else if scope::is_user_scope(&s.name) {
                self.p.add(entry, "name", format!("`{}` is an OpenID Connect user scope", s.name));
            }
            if let Some(d) = &s.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_SCOPE_DESCRIPTION);
            }
        }
        if !file.organization_scopes.is_empty() {
            self.known.org_scopes(self.repos).await?;
        }
        Ok(())
    }

    async fn organization_roles(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> =
            file.organization_roles.iter().enumerate().map(|(i, r)| org_role_label(i, r)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organization_roles.iter().map(|r| Some(r.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        for (r, entry) in file.organization_roles.iter().zip(&labels) {
            check_name(&mut self.p, entry, "name", &r.name, MAX_ORG_NAME);
            if let Some(d) = &r.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_DESCRIPTION);
            }
            if let Some(names) = &r.scopes {
                self.check_org_scope_names(entry, "scopes", names.iter().map(String::as_str)).await?;
            }
            if let Some(refs) = &r.resource_scopes {
                let refs: Vec<(&str, &str)> = refs.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
                self.check_scope_refs(entry, "resource_scopes", &refs).await?;
            }
        }
        if !file.organization_roles.is_empty() {
            self.known.org_roles(self.repos).await?;
        }
        Ok(())
    }

    /// The user `login` designates: a `users` entry with that username or email, else a stored
    /// user with that username or email (the entry designating it, if there is one).
    async fn member_ref(&mut self, entry: &str, login: &str) -> Result<Option<MemberRef>, ImportError> {
        let users = &self.file.users;
        // Read as sign-in reads it: an email when it has `@`, else a username.
        let in_file = match Identifier::parse(login) {
            Identifier::Email(email) => {
                users.iter().position(|u| u.email.as_ref().is_some_and(|e| e.eq_ignore_ascii_case(email)))
            }
            Identifier::Username(name) => users.iter().position(|u| u.username.as_deref() == Some(name)),
        };
        if let Some(i) = in_file {
            return Ok(Some(MemberRef::File(i)));
        }
        let Some(found) = self.repos.find_user_by_login(login).await.map_err(storage(entry))? else {
            return Ok(None);
        };
        Ok(Some(match self.known.users.iter().position(|u| u.as_ref().is_some_and(|u| u.id == found.id)) {
            Some(i) => MemberRef::File(i),
            None => MemberRef::Stored(found.id),
        }))
    }

    async fn organizations(&mut self) -> Result<(), ImportError> {
        let file = self.file;
        let labels: Vec<String> = file.organizations.iter().enumerate().map(|(i, o)| org_label(i, o)).collect();
        check_unique_keys(
            &mut self.p,
            &labels,
            &file.organizations.iter().map(|o| Some(o.name.clone())).collect::<Vec<_>>(),
            "name",
        );
        let mut stored: HashMap<String, Organization> = HashMap::new();
        if !file.organizations.is_empty() {
            let repos = self.repos;
            let all = load_all(|page| repos.list_organizations(page)).await.map_err(storage("organizations"))?;
            stored = all.into_iter().map(|o| (o.name.clone(), o)).collect();
        }
        for (o, entry) in file.organizations.iter().zip(&labels) {
            check_name(&mut self.p, entry, "name", &o.name, MAX_ORG_NAME);
            if let Some(d) = &o.description {
                check_length(&mut self.p, entry, "description", d, MAX_ORG_DESCRIPTION);
            }
            let mut refs = Vec::new();
            let mut seen: HashMap<MemberRef, usize> = HashMap::new();
            for (j, m) in o.members.iter().flatten().enumerate() {
                let field = format!("members[{j}]");
                let found = self.member_ref(entry, &m.user).await?;
                match &found {
                    None => self.p.add(
                        entry,
                        format!("{field}.user"),
                        format!("no user `{}` in the file or the database", m.user),
                    ),
                    Some(r) => match seen.get(r) {
                        Some(k) => self.p.add(
                            entry,
                            format!("{field}.user"),
                            format!("`{}` is the same user as members[{k}]", m.user),
                        ),
                        None => {
                            seen.insert(r.clone(), j);
                        }
                    },
                }
                refs.push(found);
                let Some(roles) = &m.roles else { continue };
                let roles_field = format!("{field}.roles");
                check_unique(&mut self.p, entry, &roles_field, roles.iter().map(String::as_str), "organization role");
                for (k, name) in roles.iter().enumerate() {
                    if !self.org_role_exists(name).await? {
                        self.p.add(
                            entry,
                            format!("{roles_field}[{k}]"),
                            format!("no organization role `{name}` in the file or the database"),
                        );
                    }
                }
            }
            self.known.orgs.push(stored.get(&o.name).cloned());
            self.known.members.push(refs);
        }
        Ok(())
    }

    /// `permissions` of a third-party application: user scopes Latch knows (not `openid`, which
    /// every OIDC request carries), and scopes of the file or the database.
    async fn permissions(&mut self, entry: &str, perms: &PermissionsEntry) -> Result<(), ImportError> {
        let field = "permissions.user_scopes";
        check_unique(&mut self.p, entry, field, perms.user_scopes.iter().map(NamedPermission::name), "scope");
        for (j, s) in perms.user_scopes.iter().enumerate() {
            let name = s.name();
            if !scope::is_user_scope(name) || name == scope::OPENID {
                self.p.add(
                    entry,
                    format!("{field}[{j}]"),
                    format!("`{name}` is not a user scope (profile, email, phone, address, …)"),
                );
            }
        }
        for (field, list) in [
            ("permissions.resource_scopes", &perms.resource_scopes),
            ("permissions.organization_resource_scopes", &perms.organization_resource_scopes),
        ] {
            for (j, s) in list.iter().enumerate() {
                if latch_domain::admin::is_admin_resource(&s.resource) {
                    let why = "the admin API's scopes can never be permitted to a third-party application";
                    self.p.add(entry, format!("{field}[{j}]"), why);
                }
            }
            let refs: Vec<(&str, &str)> = list.iter().map(|s| (s.resource.as_str(), s.scope.as_str())).collect();
            self.check_scope_refs(entry, field, &refs).await?;
        }
        let names = perms.organization_scopes.iter().map(NamedPermission::name);
        self.check_org_scope_names(entry, "permissions.organization_scopes", names).await
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
            // The rules of the admin API (latch_domain::fields), field by field.
            let rules = [
                ("username", u.username.as_deref().map(fields::username)),
                ("email", u.email.as_deref().map(fields::email)),
                ("phone", u.phone.as_deref().map(fields::phone)),
                ("name", u.name.as_deref().map(fields::display_name)),
                ("password", u.password.as_ref().map(|pw| fields::password(&pw.0))),
            ];
            for (field, verdict) in rules {
                if let Some(Err(e)) = verdict {
                    self.p.add(entry, field, e.to_string());
                }
            }
            for (path, e) in u.profile.as_ref().map(fields::profile).unwrap_or_default() {
                self.p.add(entry, format!("profile.{path}"), e.to_string());
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
            check_name(&mut self.p, entry, "name", &a.name, fields::MAX_DISPLAY_NAME);
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
            if let Some(perms) = &a.permissions {
                if third_party {
                    self.permissions(entry, perms).await?;
                } else {
                    self.p.add(
                        entry,
                        "permissions",
                        "only third-party applications have permissions (set `third_party = true`); first-party apps never show consent",
                    );
                }
            }
            if let Some(b) = &a.branding {
                check_branding(&mut self.p, entry, b);
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
    v.organization_scopes().await?;
    v.organization_roles().await?;
    v.organizations().await?;
    v.applications().await?;
    if v.p.0.is_empty() { Ok(v.known) } else { Err(ImportError::Invalid(v.p.0)) }
}

// ---------------------------------------------------------------- writing

struct Writer<'a> {
    repos: &'a dyn Repositories,
    random: &'a dyn Random,
    /// The writes of the whole import: one unit of work, committed after every entry is planned.
    change: Vec<Write>,
    hasher: &'a PasswordHasher,
    now: Timestamp,
    report: ImportReport,
    /// (indicator, scope name) → scope id.
    scope_ids: HashMap<(String, String), ScopeId>,
    role_ids: HashMap<String, RoleId>,
    /// The id of the user each `users` entry designates, once written.
    user_ids: Vec<Option<UserId>>,
    org_scope_ids: HashMap<String, OrganizationScopeId>,
    org_role_ids: HashMap<String, OrganizationRoleId>,
}

fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    items.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect()
}

/// What to add to `have` and what to remove from it so that it becomes `want`.
fn diff<T: Ord + Clone>(want: &BTreeSet<T>, have: &BTreeSet<T>) -> (Vec<T>, Vec<T>) {
    (want.difference(have).cloned().collect(), have.difference(want).cloned().collect())
}

fn missing(entry: &str, what: String) -> ImportError {
    ImportError::Storage { entry: entry.to_owned(), error: RepoError::MissingReference(what) }
}

impl Writer<'_> {
    fn new_id(&self) -> String {
        new_id(self.random)
    }

    fn scope_id(&self, entry: &str, resource: &str, scope: &str) -> Result<ScopeId, ImportError> {
        self.scope_ids
            .get(&(resource.to_owned(), scope.to_owned()))
            .cloned()
            .ok_or_else(|| missing(entry, format!("scope `{scope}` of `{resource}`")))
    }

    fn org_scope_id(&self, entry: &str, name: &str) -> Result<OrganizationScopeId, ImportError> {
        self.org_scope_ids.get(name).cloned().ok_or_else(|| missing(entry, format!("organization scope `{name}`")))
    }

    fn org_role_id(&self, entry: &str, name: &str) -> Result<OrganizationRoleId, ImportError> {
        self.org_role_ids.get(name).cloned().ok_or_else(|| missing(entry, format!("organization role `{name}`")))
    }

    async fn resource(&mut self, r: &ResourceEntry, known: &Known) -> Result<(), ImportError> {
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
                self.change.push(Write::InsertResource(new.clone()));
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
                    self.change.push(Write::UpdateResource(want.clone()));
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
                    self.change.push(Write::InsertScope(new.clone()));
                    self.scope_ids.insert((r.indicator.clone(), s.name.clone()), new.id);
                    Outcome::Created
                }
                Some(old) => match &s.description {
                    Some(d) if *d != old.description => {
                        let want = Scope { description: d.clone(), ..old.clone() };
                        self.change.push(Write::UpdateScope(want.clone()));
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
                self.change.push(Write::InsertRole(new.clone()));
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
                    self.change.push(Write::UpdateRole(want.clone()));
                    (want.id, Outcome::Updated)
                }
            }
        };
        self.role_ids.insert(r.name.clone(), id.clone());
        if let Some(refs) = &r.scopes {
            let want =
                refs.iter().map(|s| self.scope_id(&entry, &s.resource, &s.scope)).collect::<Result<Vec<_>, _>>()?;
            let want = sorted(&want);
            let have = match stored {
                Some(_) => sorted(&self.repos.role_scope_ids(&id).await.map_err(storage(&entry))?),
                None => Vec::new(),
            };
            if want != have {
                self.change.push(Write::SetRoleScopes { role: id.clone(), scopes: want.clone() });
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
            .map(|n| self.role_ids.get(n).cloned().ok_or_else(|| missing(entry, format!("role `{n}`"))))
            .collect()
    }

    async fn organization_scope(&mut self, s: &OrganizationScopeEntry, known: &Known) -> Result<(), ImportError> {
        let (id, outcome) = match known.stored_org_scope(&s.name) {
            None => {
                let new = OrganizationScope {
                    id: OrganizationScopeId(self.new_id()),
                    name: s.name.clone(),
                    description: s.description.clone().unwrap_or_default(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganizationScope(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => match &s.description {
                Some(d) if *d != old.description => {
                    let want = OrganizationScope { description: d.clone(), ..old.clone() };
                    self.change.push(Write::UpdateOrganizationScope(want.clone()));
                    (want.id, Outcome::Updated)
                }
                _ => (old.id.clone(), Outcome::Unchanged),
            },
        };
        self.org_scope_ids.insert(s.name.clone(), id);
        self.report.organization_scopes.add(outcome);
        Ok(())
    }

    async fn organization_role(
        &mut self,
        i: usize,
        r: &OrganizationRoleEntry,
        known: &Known,
    ) -> Result<(), ImportError> {
        let entry = org_role_label(i, r);
        let stored = known.stored_org_role(&r.name);
        let (id, outcome) = match stored {
            None => {
                let new = OrganizationRole {
                    id: OrganizationRoleId(self.new_id()),
                    name: r.name.clone(),
                    description: r.description.clone().unwrap_or_default(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganizationRole(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => match &r.description {
                Some(d) if *d != old.description => {
                    let want = OrganizationRole { description: d.clone(), ..old.clone() };
                    self.change.push(Write::UpdateOrganizationRole(want.clone()));
                    (want.id, Outcome::Updated)
                }
                _ => (old.id.clone(), Outcome::Unchanged),
            },
        };
        self.org_role_ids.insert(r.name.clone(), id.clone());
        let mut changed = false;
        if let Some(names) = &r.scopes {
            let want = names.iter().map(|n| self.org_scope_id(&entry, n)).collect::<Result<BTreeSet<_>, _>>()?;
            let have: BTreeSet<_> = match stored {
                Some(_) => {
                    self.repos.organization_role_scope_ids(&id).await.map_err(storage(&entry))?.into_iter().collect()
                }
                None => BTreeSet::new(),
            };
            let (add, remove) = diff(&want, &have);
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationRoleScopes { role: id.clone(), scopes: add.clone() });
            }
            for scope in &remove {
                self.change.push(Write::RemoveOrganizationRoleScope { role: id.clone(), scope: scope.clone() });
            }
            changed |= !add.is_empty() || !remove.is_empty();
        }
        if let Some(refs) = &r.resource_scopes {
            let want = refs
                .iter()
                .map(|s| self.scope_id(&entry, &s.resource, &s.scope))
                .collect::<Result<BTreeSet<_>, _>>()?;
            let have: BTreeSet<_> = match stored {
                Some(_) => self
                    .repos
                    .organization_role_resource_scope_ids(&id)
                    .await
                    .map_err(storage(&entry))?
                    .into_iter()
                    .collect(),
                None => BTreeSet::new(),
            };
            let (add, remove) = diff(&want, &have);
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationRoleResourceScopes { role: id.clone(), scopes: add.clone() });
            }
            for scope in &remove {
                self.change.push(Write::RemoveOrganizationRoleResourceScope { role: id.clone(), scope: scope.clone() });
            }
            changed |= !add.is_empty() || !remove.is_empty();
        }
        self.report.organization_roles.add(if changed && outcome == Outcome::Unchanged {
            Outcome::Updated
        } else {
            outcome
        });
        Ok(())
    }

    async fn organization(
        &mut self,
        i: usize,
        o: &OrganizationEntry,
        stored: Option<&Organization>,
        members: &[Option<MemberRef>],
    ) -> Result<(), ImportError> {
        let entry = org_label(i, o);
        // An empty description clears it, as in the admin API.
        let description = o.description.as_ref().map(|d| Some(d.clone()).filter(|d| !d.is_empty()));
        let (id, outcome) = match stored {
            None => {
                let new = Organization {
                    id: OrganizationId(self.new_id()),
                    name: o.name.clone(),
                    description: description.flatten(),
                    created_at: self.now,
                };
                self.change.push(Write::InsertOrganization(new.clone()));
                (new.id, Outcome::Created)
            }
            Some(old) => {
                let mut want = old.clone();
                if let Some(d) = description {
                    want.description = d;
                }
                if want == *old {
                    (want.id, Outcome::Unchanged)
                } else {
                    self.change.push(Write::UpdateOrganization(want.clone()));
                    (want.id, Outcome::Updated)
                }
            }
        };
        let mut changed = false;
        if let Some(listed) = &o.members {
            if listed.len() != members.len() {
                return Err(missing(&entry, "a member".to_owned()));
            }
            let mut wanted = Vec::with_capacity(listed.len());
            for (m, r) in listed.iter().zip(members) {
                let user = match r {
                    Some(MemberRef::Stored(user)) => Some(user.clone()),
                    Some(MemberRef::File(j)) => self.user_ids.get(*j).cloned().flatten(),
                    None => None,
                };
                let Some(user) = user else { return Err(missing(&entry, format!("user `{}`", m.user))) };
                wanted.push((user, m));
            }
            let have: BTreeSet<UserId> = match stored {
                Some(_) => {
                    let repos = self.repos;
                    load_all(|page| repos.list_organization_members(&id, page))
                        .await
                        .map_err(storage(&entry))?
                        .into_iter()
                        .collect()
                }
                None => BTreeSet::new(),
            };
            let want: BTreeSet<UserId> = wanted.iter().map(|(u, _)| u.clone()).collect();
            let (add, remove) = diff(&want, &have);
            for user in &remove {
                self.change.push(Write::RemoveOrganizationMember { org: id.clone(), user: user.clone() });
            }
            if !add.is_empty() {
                self.change.push(Write::AddOrganizationMembers { org: id.clone(), users: add.clone(), at: self.now });
            }
            changed |= !add.is_empty() || !remove.is_empty();
            for (user, m) in &wanted {
                let Some(names) = &m.roles else { continue };
                let have_names: BTreeSet<String> = if have.contains(user) {
                    let roles = self.repos.organization_member_roles(&id, user).await.map_err(storage(&entry))?;
                    roles.into_iter().map(|r| r.name).collect()
                } else {
                    BTreeSet::new()
                };
                if names.iter().cloned().collect::<BTreeSet<_>>() != have_names {
                    let ids = names.iter().map(|n| self.org_role_id(&entry, n)).collect::<Result<Vec<_>, _>>()?;
                    self.change.push(Write::SetOrganizationMemberRoles {
                        org: id.clone(),
                        user: user.clone(),
                        roles: ids.clone(),
                    });
                    changed = true;
                }
            }
        }
        self.report.organizations.add(if changed && outcome == Outcome::Unchanged {
            Outcome::Updated
        } else {
            outcome
        });
        Ok(())
    }

    /// The allow-list `perms` describes, keyed by kind and reference.
    fn consent_scopes(
        &self,
        entry: &str,
        perms: &PermissionsEntry,
    ) -> Result<BTreeMap<(ConsentScopeType, String), bool>, ImportError> {
        let mut out = BTreeMap::new();
        for s in &perms.user_scopes {
            out.insert((ConsentScopeType::User, s.name().to_owned()), s.required());
        }
        for s in &perms.resource_scopes {
            out.insert((ConsentScopeType::Resource, self.scope_id(entry, &s.resource, &s.scope)?.0), s.required);
        }
        for s in &perms.organization_scopes {
            out.insert((ConsentScopeType::Organization, self.org_scope_id(entry, s.name())?.0), s.required());
        }
        for s in &perms.organization_resource_scopes {
            let id = self.scope_id(entry, &s.resource, &s.scope)?.0;
            out.insert((ConsentScopeType::OrganizationResource, id), s.required);
        }
        Ok(out)
    }

    /// Makes the app's permissions exactly `perms`; true when anything changed.
    async fn permissions(
        &mut self,
        entry: &str,
        app: &ApplicationId,
        stored: bool,
        perms: &PermissionsEntry,
    ) -> Result<bool, ImportError> {
        let want = self.consent_scopes(entry, perms)?;
        let have: BTreeMap<(ConsentScopeType, String), bool> = if stored {
            let list = self.repos.list_consent_scopes(app).await.map_err(storage(entry))?;
            list.into_iter().map(|c| ((c.scope_type, c.scope_ref), c.required)).collect()
        } else {
            BTreeMap::new()
        };
        let remove: Vec<&(ConsentScopeType, String)> = have.keys().filter(|k| !want.contains_key(*k)).collect();
        let add: Vec<ConsentScope> = want
            .iter()
            .filter(|(k, required)| have.get(*k) != Some(*required))
            .map(|((scope_type, scope_ref), required)| ConsentScope {
                scope_type: *scope_type,
                scope_ref: scope_ref.clone(),
                required: *required,
            })
            .collect();
        for (scope_type, scope_ref) in &remove {
            self.change.push(Write::DeleteConsentScope {
                app: app.clone(),
                scope_type: *scope_type,
                scope_ref: scope_ref.clone(),
            });
        }
        if !add.is_empty() {
            self.change.push(Write::AddConsentScopes { app: app.clone(), scopes: add.clone() });
        }
        Ok(!add.is_empty() || !remove.is_empty())
    }

    /// Sets the fields `b` names, keeping the others; true when anything changed.
    async fn branding(
        &mut self,
        entry: &str,
        app: &ApplicationId,
        stored: bool,
        b: &BrandingEntry,
    ) -> Result<bool, ImportError> {
        let old = if stored { self.repos.get_branding(app).await.map_err(storage(entry))? } else { None };
        let mut want = old.clone().unwrap_or_else(|| Branding {
            application_id: app.clone(),
            updated_at: self.now,
            ..Branding::default()
        });
        for (field, value) in [
            (&mut want.display_name, &b.display_name),
            (&mut want.logo_url, &b.logo_url),
            (&mut want.dark_logo_url, &b.dark_logo_url),
            (&mut want.terms_of_use_url, &b.terms_of_use_url),
            (&mut want.privacy_policy_url, &b.privacy_policy_url),
            (&mut want.color, &b.color),
        ] {
            if value.is_some() {
                field.clone_from(value);
            }
        }
        if old.as_ref() == Some(&want) {
            return Ok(false);
        }
        want.updated_at = self.now;
        self.change.push(Write::PutBranding(want.clone()));
        Ok(true)
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
                self.change.push(Write::InsertUser(want.clone()));
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                want.updated_at = self.now;
                self.change.push(Write::UpdateUser(want.clone()));
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
                self.change.push(Write::SetUserRoles { user: want.id.clone(), roles: ids.clone() });
                if outcome == Outcome::Unchanged {
                    outcome = Outcome::Updated;
                }
            }
        }
        if let Some(slot) = self.user_ids.get_mut(i) {
            *slot = Some(want.id.clone());
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
                self.change.push(Write::InsertApplication(want.clone()));
                Outcome::Created
            }
            Some(old) if want == *old => Outcome::Unchanged,
            Some(_) => {
                self.change.push(Write::UpdateApplication(want.clone()));
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
                    self.change.push(Write::DeleteSecret { app: want.id.clone(), name: IMPORT_SECRET_NAME.to_owned() });
                }
                let new = AppSecret {
                    application_id: want.id.clone(),
                    name: IMPORT_SECRET_NAME.to_owned(),
                    hash: crypto::token_hash(&secret.0),
                    created_at: self.now,
                    expires_at: None,
                };
                self.change.push(Write::InsertSecret(new.clone()));
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
                self.change.push(Write::SetApplicationRoles { app: want.id.clone(), roles: ids.clone() });
                changed = true;
            }
        }
        if let Some(perms) = &a.permissions {
            changed |= self.permissions(&entry, &want.id, stored.is_some(), perms).await?;
        }
        if let Some(b) = &a.branding {
            changed |= self.branding(&entry, &want.id, stored.is_some(), b).await?;
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
/// what differs and leaves equal things alone, as one unit of work audited as `system:import`
/// and announced to every node: nothing is written when validation fails, and a storage
/// failure writes nothing either.
pub async fn apply(core: &Core, file: &ImportFile) -> Result<ImportReport, ImportError> {
    let repos = core.repos.as_ref();
    let known = validate(repos, file).await?;
    let mut w = Writer {
        repos,
        random: core.random.as_ref(),
        change: Vec::new(),
        hasher: &core.hasher,
        now: core.clock.now(),
        report: ImportReport::default(),
        scope_ids: HashMap::new(),
        role_ids: HashMap::new(),
        user_ids: vec![None; file.users.len()],
        org_scope_ids: HashMap::new(),
        org_role_ids: HashMap::new(),
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
    for r in &file.resources {
        w.resource(r, &known).await?;
    }
    for s in known.org_scopes.iter().flat_map(HashMap::values) {
        w.org_scope_ids.insert(s.name.clone(), s.id.clone());
    }
    for r in known.org_roles.iter().flat_map(HashMap::values) {
        w.org_role_ids.insert(r.name.clone(), r.id.clone());
    }
    for (i, r) in file.roles.iter().enumerate() {
        w.role(i, r, &known).await?;
    }
    for s in &file.organization_scopes {
        w.organization_scope(s, &known).await?;
    }
    for (i, r) in file.organization_roles.iter().enumerate() {
        w.organization_role(i, r, &known).await?;
    }
    for (i, (u, stored)) in file.users.iter().zip(&known.users).enumerate() {
        w.user(i, u, stored.as_ref()).await?;
    }
    for (i, ((o, stored), members)) in file.organizations.iter().zip(&known.orgs).zip(&known.members).enumerate() {
        w.organization(i, o, stored.as_ref(), members).await?;
    }
    for (i, (a, stored)) in file.applications.iter().zip(&known.apps).enumerate() {
        w.application(i, a, stored.as_ref()).await?;
    }
    if !w.change.is_empty() {
        let details = serde_json::to_value(&w.report).unwrap_or_default();
        let change = Changeset::new("import.apply", "import", "file", details, Change::Everything).writes(w.change);
        core.apply(&Actor::System("import"), change).await.map_err(storage("the import"))?;
    }
    Ok(w.report)
}

/// `latch import FILE`: opens (and migrates) the configured database, applies the file and
/// prints the report as JSON.
pub fn run_command(settings: &Settings, path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = ImportFile::parse(&text).with_context(|| format!("importing {}", path.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let report = runtime.block_on(async {
        // The node's core: the unit of work, its audit entry and the announcement every running
        // server hears (through Redis at once; with the in-memory store they catch up within
        // the cache TTL).
        let node = crate::server::open_node(settings.clone()).await?;
        let report = apply(&node.core, &file).await.with_context(|| format!("importing {}", path.display()))?;
        Ok::<_, anyhow::Error>(report)
    })?;
    println!("{}", serde_json::to_string_pretty(&report).context("rendering the report")?);
    Ok(())
}

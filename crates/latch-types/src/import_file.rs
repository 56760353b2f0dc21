//! The shape of a `latch import` file (TOML): every table and key, unknown keys refused so a
//! typo does not pass silently. The server parses and applies it; the fuzz target parses it.
//! serde only, like the rest of this crate.

use serde::Deserialize;
use std::fmt;

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

/// An API resource (RFC 8707), keyed by `indicator`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceEntry {
    pub name: String,
    pub indicator: String,
    pub access_token_ttl: Option<i64>,
    /// `RS256` (default) or `ES256`.
    pub access_token_signing_alg: Option<String>,
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
    /// The entry's name in messages: its username, else its email.
    pub fn key(&self) -> &str {
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

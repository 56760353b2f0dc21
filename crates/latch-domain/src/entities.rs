//! The entities Latch stores, as plain data. Rules about them live beside them.

use crate::clock::Timestamp;
use crate::fields::{self, FieldError};
use crate::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The four kinds of application (DESIGN.md "Admin API").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppType {
    Traditional,
    #[serde(rename = "SPA")]
    Spa,
    Native,
    MachineToMachine,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Traditional => "Traditional",
            AppType::Spa => "SPA",
            AppType::Native => "Native",
            AppType::MachineToMachine => "MachineToMachine",
        }
    }

    pub fn parse(s: &str) -> Option<AppType> {
        Some(match s {
            "Traditional" => AppType::Traditional,
            "SPA" => AppType::Spa,
            "Native" => AppType::Native,
            "MachineToMachine" => AppType::MachineToMachine,
            _ => return None,
        })
    }

    /// Confidential clients hold a secret (RFC 6749 §2.1); the others are public and use PKCE.
    pub fn is_confidential(self) -> bool {
        matches!(self, AppType::Traditional | AppType::MachineToMachine)
    }
}

/// Per-application settings beyond the OIDC basics (Logto's `customClientMetadata`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomClientMetadata {
    pub cors_allowed_origins: Vec<String>,
    pub id_token_ttl: Option<i64>,
    pub refresh_token_ttl_in_days: Option<i64>,
    pub rotate_refresh_token: Option<bool>,
    pub always_issue_refresh_token: Option<bool>,
    /// `RS256` (default) or `ES256`.
    pub id_token_signed_response_alg: Option<String>,
    /// A confidential app that serves APIs and may introspect tokens of any client (RFC 7662
    /// §4); other clients are answered only about their own tokens.
    pub is_resource_server: Option<bool>,
    /// A native app that may also sign users in through the device authorization grant
    /// (RFC 8628): TVs, command-line tools and agents without a browser of their own.
    pub device_flow: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    pub id: ApplicationId,
    pub name: String,
    pub description: Option<String>,
    pub app_type: AppType,
    pub is_third_party: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub custom: CustomClientMetadata,
    pub created_at: Timestamp,
}

/// A named client secret. Only its hash is ever stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AppSecret {
    pub application_id: ApplicationId,
    pub name: String,
    pub hash: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

impl AppSecret {
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|exp| now < exp)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: Option<String>,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    /// Standard profile claims beyond the columns (given_name, family_name, locale, address, …).
    pub profile: serde_json::Map<String, serde_json::Value>,
    pub custom_data: serde_json::Value,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub phone_verified: bool,
    pub is_suspended: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A second factor a user enrolled for signing in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaFactor {
    pub id: FactorId,
    pub user_id: UserId,
    pub kind: FactorKind,
    /// What the user calls it ("Phone", "YubiKey").
    pub name: String,
    /// TOTP: the secret, sealed under a key derived from `secret_key`; a passkey: its credential.
    pub secret: String,
    /// TOTP: the last time step accepted (each is accepted once, RFC 6238 §5.2).
    pub last_used_step: Option<i64>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// A passkey: its credential id (base64url), unique across factors.
    pub credential_id: Option<String>,
}

/// What kind of second factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorKind {
    /// An authenticator app's time-based codes (RFC 6238).
    Totp,
    /// A WebAuthn credential.
    Passkey,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Passkey => "passkey",
        }
    }

    pub fn parse(s: &str) -> Option<FactorKind> {
        match s {
            "totp" => Some(FactorKind::Totp),
            "passkey" => Some(FactorKind::Passkey),
            _ => None,
        }
    }
}

/// An API resource (RFC 8707 resource indicator) and its access-token lifetime.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub id: ResourceId,
    pub name: String,
    pub indicator: String,
    pub access_token_ttl: i64,
    /// The JWS algorithm its JWT access tokens are signed with: `RS256` (the default) or
    /// `ES256` (about ten times cheaper to sign, for APIs that need more tokens per core).
    pub access_token_signing_alg: String,
    pub created_at: Timestamp,
}

/// The JWS algorithms Latch signs with (RFC 7518 §3.1), the default first.
pub const SIGNING_ALGS: [&str; 2] = ["RS256", "ES256"];

/// A permission of an API resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    pub id: ScopeId,
    pub resource_id: ResourceId,
    pub name: String,
    pub description: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleType {
    User,
    MachineToMachine,
}

impl RoleType {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleType::User => "User",
            RoleType::MachineToMachine => "MachineToMachine",
        }
    }

    pub fn parse(s: &str) -> Option<RoleType> {
        match s {
            "User" => Some(RoleType::User),
            "MachineToMachine" => Some(RoleType::MachineToMachine),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub role_type: RoleType,
    pub created_at: Timestamp,
}

/// A signed-in browser. The cookie holds the id; this record holds the truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub auth_time: Timestamp,
    pub created_at: Timestamp,
    pub last_active_at: Timestamp,
    pub expires_at: Timestamp,
    /// How the user proved who they are (RFC 8176 `amr` values: `pwd`, then `otp` and `mfa`
    /// after a second factor).
    pub amr: Vec<String>,
    /// The browser's `User-Agent` when the session began, for the user's list of sessions.
    pub user_agent: Option<String>,
}

/// What a user has allowed one application, remembered across sessions. API scopes are kept
/// per resource, never by bare name (DESIGN.md "Scopes are per resource").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GrantDetails {
    /// OIDC user scopes granted (`openid`, `email`, …, and the organization markers).
    pub scopes: Vec<String>,
    /// Resource indicator → granted scope names of that resource.
    pub resource_scopes: BTreeMap<String, Vec<String>>,
    /// Organization scopes granted (`invite:member`, …).
    pub organization_scopes: Vec<String>,
    /// Resource indicator → granted scope names of that resource held through organization
    /// roles (they reach organization tokens only).
    pub organization_resource_scopes: BTreeMap<String, Vec<String>>,
    /// Organizations the user shared with the application.
    pub organizations: Vec<OrganizationId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub id: GrantId,
    pub user_id: UserId,
    pub application_id: ApplicationId,
    pub details: GrantDetails,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// An opaque access token (userinfo only). Only the hash of the token is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessTokenRecord {
    pub token_hash: String,
    pub application_id: ApplicationId,
    pub user_id: Option<UserId>,
    pub grant_id: Option<GrantId>,
    /// The token family (one authorization code's exchange and its refreshes), when minted
    /// for a user: revoked whole when the code is replayed (RFC 6749 §4.1.2).
    pub family: Option<String>,
    pub scope: String,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A refresh token, bound to a grant. Only the hash of the token is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub grant_id: GrantId,
    pub application_id: ApplicationId,
    pub user_id: UserId,
    /// The token family: the code exchange that started it and every rotation since share it.
    pub family: String,
    pub scope: String,
    /// Resource indicator → the scope names granted for it: what the token may mint JWT access
    /// tokens for (RFC 8707 §2.2).
    pub resources: BTreeMap<String, Vec<String>>,
    pub auth_time: Timestamp,
    /// The `amr` of the sign-in that started the family (RFC 8176), for refreshed ID tokens.
    pub amr: Vec<String>,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    /// Set when the token was rotated out; presenting it again revokes the grant's tokens.
    pub consumed_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Next,
    Current,
    Previous,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Current => "current",
            KeyState::Previous => "previous",
        }
    }

    pub fn parse(s: &str) -> Option<KeyState> {
        match s {
            "next" => Some(KeyState::Next),
            "current" => Some(KeyState::Current),
            "previous" => Some(KeyState::Previous),
            _ => None,
        }
    }
}

/// A signing key. The private half is stored encrypted (a JWE) and never leaves the process.
#[derive(Clone, Debug, PartialEq)]
pub struct SigningKey {
    pub kid: KeyId,
    /// `RS256` or `ES256`.
    pub alg: String,
    pub state: KeyState,
    pub private_jwe: String,
    pub public_jwk: String,
    pub created_at: Timestamp,
    /// When the key stopped signing (became previous); it verifies for a grace period after.
    pub retired_at: Option<Timestamp>,
}

/// One line of the audit log: who changed what, when.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: String,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub details: serde_json::Value,
}

/// A group of users (a customer, a team) with roles that hold only inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
}

/// A permission that exists in every organization (`invite:member`, …); requested by its bare name.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationScope {
    pub id: OrganizationScopeId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// A role a member holds inside one organization; grants organization scopes and API resource
/// scopes there.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationRole {
    pub id: OrganizationRoleId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// The four kinds of permission a third-party app may be allowed to ask for (DESIGN.md
/// "Third-party app rules").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentScopeType {
    /// An OIDC user scope (`email`, `profile`, …), referenced by name.
    User,
    /// An API resource scope, referenced by its id.
    Resource,
    /// An organization scope, referenced by its id.
    Organization,
    /// An API resource scope granted through organization roles, referenced by its id.
    OrganizationResource,
}

impl ConsentScopeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentScopeType::User => "user",
            ConsentScopeType::Resource => "resource",
            ConsentScopeType::Organization => "organization",
            ConsentScopeType::OrganizationResource => "organization_resource",
        }
    }

    pub fn parse(s: &str) -> Option<ConsentScopeType> {
        match s {
            "user" => Some(ConsentScopeType::User),
            "resource" => Some(ConsentScopeType::Resource),
            "organization" => Some(ConsentScopeType::Organization),
            "organization_resource" => Some(ConsentScopeType::OrganizationResource),
            _ => None,
        }
    }
}

/// One entry of an application's permission allow-list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentScope {
    pub scope_type: ConsentScopeType,
    /// A user-scope name, or the id of a scope of `scope_type`.
    pub scope_ref: String,
    /// `false`: the user may untick it on the consent screen.
    pub required: bool,
}

/// How the identity provider itself looks on every end-user page (the console's sign-in
/// experience page): the organisation's name and logos, its favicon, an accent colour per
/// colour scheme, and CSS of the operator's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdpBranding {
    pub organization_name: Option<String>,
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub favicon_url: Option<String>,
    /// `#rrggbb`, on light pages: links, focus rings, and primary buttons with white text.
    pub accent_color: Option<String>,
    /// `#rrggbb`, on dark pages, with dark text on its buttons.
    pub dark_accent_color: Option<String>,
    pub custom_css: Option<String>,
    pub updated_at: Timestamp,
    /// Whether people may create their own account from the sign-in page, and with what.
    pub sign_up: SignUpMode,
    /// Whether an account with an email address must prove it reads mail there (a code sent to
    /// it) before it may sign in. Needs an SMTP server.
    pub require_verified_email: bool,
    /// Who must sign in with a second factor.
    pub mfa: MfaPolicy,
}

/// Who must sign in with a second factor (the sign-in experience).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MfaPolicy {
    /// Those who enrolled one.
    #[default]
    Optional,
    /// Everyone: who has none enrols one before their first session.
    Required,
    /// Those who may use the admin API; everyone else as `Optional`.
    Admins,
}

impl MfaPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Optional => "optional",
            MfaPolicy::Required => "required",
            MfaPolicy::Admins => "admins",
        }
    }

    pub fn parse(s: &str) -> Option<MfaPolicy> {
        Some(match s {
            "optional" => MfaPolicy::Optional,
            "required" => MfaPolicy::Required,
            "admins" => MfaPolicy::Admins,
            _ => return None,
        })
    }
}

/// Self-service sign-up (the sign-in experience): off, or an account made of an email address
/// or a username, and a password.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignUpMode {
    #[default]
    Off,
    Email,
    Username,
}

impl SignUpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SignUpMode::Off => "off",
            SignUpMode::Email => "email",
            SignUpMode::Username => "username",
        }
    }

    pub fn parse(s: &str) -> Option<SignUpMode> {
        Some(match s {
            "off" => SignUpMode::Off,
            "email" => SignUpMode::Email,
            "username" => SignUpMode::Username,
            _ => return None,
        })
    }
}

/// The ceiling of self-service client registration (RFC 7591 at `/oidc/reg`, the console's
/// Open registration page). Off by default. Every client it admits is third-party and always
/// shows the consent screen.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationPolicy {
    pub enabled: bool,
    /// What a client may register as: `Spa` and `Native` (public, with PKCE), `Traditional` (a
    /// web server holding a secret).
    pub app_types: Vec<AppType>,
    /// The most a self-registered client may ask a user for: user scopes by name, API resource
    /// and organization scopes by id; never the admin API's.
    pub permissions: Vec<ConsentScope>,
    /// Hosts https redirect URIs may point at: `app.example.com`, or `*.example.com` for its
    /// subdomains. Empty: any host.
    pub redirect_hosts: Vec<String>,
    /// Registration needs an initial access token an operator issued (RFC 7591 §3).
    pub require_initial_access_token: bool,
    /// Registrations one client address may make per hour.
    pub registrations_per_hour: u64,
    /// The consent screen says the app registered itself and nobody reviewed it.
    pub unverified_notice: bool,
    pub updated_at: Timestamp,
}

impl Default for RegistrationPolicy {
    fn default() -> Self {
        RegistrationPolicy {
            enabled: false,
            app_types: vec![AppType::Spa, AppType::Native],
            permissions: Vec::new(),
            redirect_hosts: Vec::new(),
            require_initial_access_token: false,
            registrations_per_hour: 10,
            unverified_notice: true,
            updated_at: Timestamp(0),
        }
    }
}

/// How a self-registered client came to be: by registering (RFC 7591), with the hash of the
/// registration access token it manages its registration with (RFC 7592); or by naming a
/// Client ID Metadata Document as its client id, which Latch fetched (then it has no token:
/// the document is what it changes). Deleted with its application.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientRegistration {
    pub application_id: ApplicationId,
    pub kind: RegistrationKind,
    /// `None` for a metadata-document client.
    pub access_token_hash: Option<String>,
    pub registered_at: Timestamp,
    /// The address and user agent the registration came from.
    pub ip: String,
    pub user_agent: Option<String>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    pub client_uri: Option<String>,
    pub contacts: Vec<String>,
    /// The grant types and the scope it was registered with (RFC 7591 §2).
    pub grant_types: Vec<String>,
    pub scope: String,
    /// The `token_endpoint_auth_method` it registered with (empty: registered before Latch kept
    /// it).
    pub token_endpoint_auth_method: String,
}

/// How a self-registered client registered itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegistrationKind {
    /// At the registration endpoint (RFC 7591).
    #[default]
    Registration,
    /// By a Client ID Metadata Document: its client id is the document's https URL.
    MetadataDocument,
}

impl RegistrationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationKind::Registration => "registration",
            RegistrationKind::MetadataDocument => "metadata_document",
        }
    }

    pub fn parse(s: &str) -> Option<RegistrationKind> {
        match s {
            "registration" => Some(RegistrationKind::Registration),
            "metadata_document" => Some(RegistrationKind::MetadataDocument),
            _ => None,
        }
    }
}

/// A token an operator hands a developer so they may register a client when the policy requires
/// one (RFC 7591 §3). Usable until it expires or is revoked; only its hash is stored.
#[derive(Clone, Debug, PartialEq)]
pub struct InitialAccessToken {
    pub id: String,
    /// What it is for, as the operator put it ("Acme's MCP client").
    pub name: String,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// What the consent screen shows of an application (its "sign-in experience").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Branding {
    pub application_id: ApplicationId,
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    pub dark_logo_url: Option<String>,
    pub terms_of_use_url: Option<String>,
    pub privacy_policy_url: Option<String>,
    pub color: Option<String>,
    pub updated_at: Timestamp,
}

/// A branding field that breaks a rule: which field (camelCase, as the admin API names it), a
/// stable code and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandingError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl Branding {
    /// The rules every branding obeys, stored or drafted for the console's preview
    /// (`crate::fields`): a display name, https URLs (never `javascript:` or `data:`), a color.
    pub fn validate(&self) -> Result<(), BrandingError> {
        if let Some(name) = &self.display_name {
            fields::display_name(name).map_err(|e| BrandingError {
                field: "displayName",
                code: if e == FieldError::Empty { "request.empty" } else { "request.too_long" },
                message: format!("displayName {e}"),
            })?;
        }
        for (field, v) in [
            ("logoUrl", &self.logo_url),
            ("darkLogoUrl", &self.dark_logo_url),
            ("termsOfUseUrl", &self.terms_of_use_url),
            ("privacyPolicyUrl", &self.privacy_policy_url),
        ] {
            if let Some(v) = v {
                fields::web_url(v).map_err(|e| BrandingError {
                    field,
                    code: "branding.invalid_url",
                    message: e.to_string(),
                })?;
            }
        }
        if let Some(c) = &self.color {
            fields::color(c).map_err(|e| BrandingError {
                field: "color",
                code: "branding.invalid_color",
                message: e.to_string(),
            })?;
        }
        Ok(())
    }
}

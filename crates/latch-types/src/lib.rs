//! Wire types shared by the server and the console: the JSON shapes of the admin API and
//! its stable error codes, and the shape of `latch import` files (`import_file`). serde only
//! (plus OpenAPI schemas behind the `openapi` feature), so it builds for wasm32 and for the
//! fuzz targets.

pub mod import_file;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Derives the OpenAPI schema when the `openapi` feature is on.
macro_rules! wire {
    ($($item:item)*) => {$(
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "camelCase")]
        $item
    )*};
}

/// An RFC 9457 problem document, the body of every admin API error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A stable machine-readable code, e.g. `application.not_found`.
    pub code: String,
    /// The request field that was wrong, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The `/readyz` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// Names of the dependencies that did not answer (`database`, `cache`).
    pub down: Vec<String>,
}

/// The four kinds of application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApplicationType {
    Traditional,
    #[serde(rename = "SPA")]
    Spa,
    Native,
    MachineToMachine,
}

/// How a self-registered app registered itself: at `/oidc/reg` (RFC 7591), or by naming a
/// Client ID Metadata Document as its client id (the app's id is then that https URL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum RegistrationKind {
    #[default]
    Registration,
    MetadataDocument,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RoleType {
    User,
    MachineToMachine,
}

wire! {
    /// Redirect URIs, exact strings (DESIGN.md security rules).
    #[derive(Default)]
    pub struct OidcClientMetadata {
        #[serde(default)]
        pub redirect_uris: Vec<String>,
        #[serde(default)]
        pub post_logout_redirect_uris: Vec<String>,
    }

    /// Per-application settings (Logto's `customClientMetadata`).
    #[derive(Default)]
    pub struct CustomClientMetadata {
        #[serde(default)]
        pub cors_allowed_origins: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id_token_ttl: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub refresh_token_ttl_in_days: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rotate_refresh_token: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub always_issue_refresh_token: Option<bool>,
        /// `RS256` (default) or `ES256`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id_token_signed_response_alg: Option<String>,
        /// A confidential app that serves APIs: it may introspect tokens issued to any client
        /// (RFC 7662 §4). Other clients learn only about their own tokens.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub is_resource_server: Option<bool>,
        /// Native apps only: the app may also use the device authorization grant (RFC 8628),
        /// for TVs, command-line tools and agents without a browser of their own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub device_flow: Option<bool>,
    }

    pub struct Application {
        /// Also the OAuth `client_id`.
        pub id: String,
        pub name: String,
        pub description: Option<String>,
        #[serde(rename = "type")]
        pub app_type: ApplicationType,
        pub is_third_party: bool,
        pub oidc_client_metadata: OidcClientMetadata,
        pub custom_client_metadata: CustomClientMetadata,
        /// Seconds since the epoch.
        pub created_at: i64,
        /// The first client secret: present only in the response that created the application.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub secret: Option<String>,
        /// Present when the app registered itself (RFC 7591): when, from where, as what.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub registration: Option<AppRegistration>,
    }

    /// How a self-registered app came to be.
    pub struct AppRegistration {
        /// At the registration endpoint, or by naming a Client ID Metadata Document.
        #[serde(default)]
        pub kind: RegistrationKind,
        /// Seconds since the epoch.
        pub registered_at: i64,
        /// The address and user agent it registered from.
        pub ip: String,
        #[serde(default)]
        pub user_agent: Option<String>,
        #[serde(default)]
        pub software_id: Option<String>,
        #[serde(default)]
        pub software_version: Option<String>,
        #[serde(default)]
        pub client_uri: Option<String>,
        #[serde(default)]
        pub contacts: Vec<String>,
    }

    pub struct CreateApplication {
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(rename = "type")]
        pub app_type: ApplicationType,
        #[serde(default)]
        pub is_third_party: bool,
        #[serde(default)]
        pub oidc_client_metadata: Option<OidcClientMetadata>,
        #[serde(default)]
        pub custom_client_metadata: Option<CustomClientMetadata>,
    }

    /// Fields to change; absent fields stay. `type` and `isThirdParty` cannot change.
    pub struct PatchApplication {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default, rename = "type")]
        pub app_type: Option<ApplicationType>,
        #[serde(default)]
        pub is_third_party: Option<bool>,
        #[serde(default)]
        pub oidc_client_metadata: Option<OidcClientMetadata>,
        #[serde(default)]
        pub custom_client_metadata: Option<CustomClientMetadata>,
    }

    /// A client secret as lists show it: never its value.
    pub struct Secret {
        pub name: String,
        pub created_at: i64,
        pub expires_at: Option<i64>,
        /// The value: present only in the response that created it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub value: Option<String>,
    }

    pub struct CreateSecret {
        pub name: String,
        /// Seconds since the epoch; absent: never expires.
        #[serde(default)]
        pub expires_at: Option<i64>,
    }

    pub struct User {
        /// Also the `sub` claim.
        pub id: String,
        pub username: Option<String>,
        pub primary_email: Option<String>,
        pub primary_phone: Option<String>,
        pub name: Option<String>,
        pub avatar: Option<String>,
        pub custom_data: Value,
        pub profile: Value,
        pub has_password: bool,
        pub is_suspended: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    pub struct CreateUser {
        #[serde(default)]
        pub username: Option<String>,
        #[serde(default)]
        pub primary_email: Option<String>,
        #[serde(default)]
        pub primary_phone: Option<String>,
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub avatar: Option<String>,
        #[serde(default)]
        pub custom_data: Option<Value>,
        #[serde(default)]
        pub profile: Option<Value>,
        #[serde(default)]
        pub password: Option<String>,
    }

    /// Fields to change; absent fields stay, `null` clears.
    #[derive(Default)]
    pub struct PatchUser {
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub username: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub primary_email: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub primary_phone: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub name: Option<Option<String>>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub avatar: Option<Option<String>>,
        #[serde(default)]
        pub custom_data: Option<Value>,
        #[serde(default)]
        pub profile: Option<Value>,
        #[serde(default)]
        pub is_suspended: Option<bool>,
    }

    pub struct SetPassword {
        pub password: String,
    }

    pub struct RoleIds {
        pub role_ids: Vec<String>,
    }

    pub struct ScopeIds {
        pub scope_ids: Vec<String>,
    }

    pub struct UserIds {
        pub user_ids: Vec<String>,
    }

    pub struct Resource {
        pub id: String,
        pub name: String,
        /// The RFC 8707 resource indicator: the `aud` of its access tokens.
        pub indicator: String,
        pub access_token_ttl: i64,
        /// The JWS algorithm of its JWT access tokens: `RS256` or `ES256`.
        pub access_token_signing_alg: String,
        pub created_at: i64,
    }

    pub struct CreateResource {
        pub name: String,
        pub indicator: String,
        #[serde(default)]
        pub access_token_ttl: Option<i64>,
        /// `RS256` (the default) or `ES256`.
        #[serde(default)]
        pub access_token_signing_alg: Option<String>,
    }

    pub struct PatchResource {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub access_token_ttl: Option<i64>,
        #[serde(default)]
        pub access_token_signing_alg: Option<String>,
    }

    pub struct Scope {
        pub id: String,
        pub resource_id: String,
        pub name: String,
        pub description: String,
    }

    pub struct CreateScope {
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
    }

    pub struct Role {
        pub id: String,
        pub name: String,
        pub description: String,
        #[serde(rename = "type")]
        pub role_type: RoleType,
        pub created_at: i64,
    }

    pub struct CreateRole {
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default, rename = "type")]
        pub role_type: Option<RoleType>,
        #[serde(default)]
        pub scope_ids: Option<Vec<String>>,
    }

    pub struct PatchRole {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
    }

    pub struct AuditLog {
        pub id: String,
        /// Seconds since the epoch.
        pub at: i64,
        /// Who: `user:<id>` or `application:<id>`.
        pub actor: String,
        pub action: String,
        pub target_type: String,
        pub target_id: String,
        pub details: Value,
    }

    pub struct PrivateKey {
        /// The `kid`.
        pub id: String,
        pub alg: String,
        /// `next`, `current` or `previous`.
        pub state: String,
        pub created_at: i64,
    }

    pub struct Grant {
        pub id: String,
        pub application_id: String,
        /// The application's name, as the list of a user's connected apps shows it.
        pub application_name: String,
        pub scopes: Vec<String>,
        pub created_at: i64,
        pub updated_at: i64,
        pub last_used_at: Option<i64>,
    }

    /// One permission of an application: a user-scope name or a scope id, whether the user
    /// may untick it on the consent screen, and what it is: its name as apps request it, the
    /// words the end user reads (user scopes) or the scope's description, and the API resource
    /// of a resource or organization-resource scope.
    pub struct ConsentScope {
        pub id: String,
        pub required: bool,
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub resource: Option<ConsentResource>,
    }

    /// The API resource a permission belongs to.
    pub struct ConsentResource {
        pub id: String,
        pub name: String,
        pub indicator: String,
    }

    /// What a third-party application may ask for (its "permissions"). Resource and
    /// organization-resource scopes come grouped by resource (by resource name, then scope
    /// name); a scope that no longer exists is left out.
    #[derive(Default)]
    pub struct ConsentScopes {
        pub user_scopes: Vec<ConsentScope>,
        pub resource_scopes: Vec<ConsentScope>,
        pub organization_scopes: Vec<ConsentScope>,
        pub organization_resource_scopes: Vec<ConsentScope>,
    }

    /// Permissions to add: entries are ids (required) or `{id, required}`.
    #[derive(Default)]
    pub struct AddConsentScopes {
        #[serde(default)]
        pub user_scopes: Vec<ConsentScopeInput>,
        #[serde(default)]
        pub resource_scopes: Vec<ConsentScopeInput>,
        #[serde(default)]
        pub organization_scopes: Vec<ConsentScopeInput>,
        #[serde(default)]
        pub organization_resource_scopes: Vec<ConsentScopeInput>,
    }

    /// The ceiling of self-service client registration (RFC 7591 at `/oidc/reg`). Off by
    /// default; a client it admits is third-party, always shows consent, and gets at most
    /// `permissions` (what it asks beyond them is dropped).
    pub struct RegistrationPolicy {
        pub enabled: bool,
        /// `SPA`, `Native` and `Traditional` (a confidential web app).
        pub app_types: Vec<String>,
        pub permissions: ConsentScopes,
        /// Hosts https redirect URIs may point at (`app.example.com`, `*.example.com`); empty:
        /// any.
        pub redirect_hosts: Vec<String>,
        pub require_initial_access_token: bool,
        /// Registrations one client address may make per hour.
        pub registrations_per_hour: u64,
        /// The consent screen says the app registered itself and was not reviewed.
        pub unverified_notice: bool,
        pub updated_at: i64,
    }

    /// A new registration policy; permissions are ids as in `AddConsentScopes` (each one the
    /// user may untick).
    pub struct PutRegistrationPolicy {
        pub enabled: bool,
        pub app_types: Vec<String>,
        #[serde(default)]
        pub permissions: AddConsentScopes,
        #[serde(default)]
        pub redirect_hosts: Vec<String>,
        #[serde(default)]
        pub require_initial_access_token: bool,
        pub registrations_per_hour: u64,
        #[serde(default = "yes")]
        pub unverified_notice: bool,
    }

    /// A token a developer presents to register a client when the policy requires one
    /// (RFC 7591 §3). The value is shown once, when it is created.
    pub struct InitialAccessToken {
        pub id: String,
        pub name: String,
        pub created_at: i64,
        #[serde(default)]
        pub expires_at: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub token: Option<String>,
    }

    pub struct CreateInitialAccessToken {
        pub name: String,
        /// Seconds since the epoch; absent: until it is revoked.
        #[serde(default)]
        pub expires_at: Option<i64>,
    }

    /// The branding of an application's consent screen.
    #[derive(Default)]
    pub struct SignInExperience {
        #[serde(default)]
        pub display_name: Option<String>,
        #[serde(default)]
        pub logo_url: Option<String>,
        #[serde(default)]
        pub dark_logo_url: Option<String>,
        #[serde(default)]
        pub terms_of_use_url: Option<String>,
        #[serde(default)]
        pub privacy_policy_url: Option<String>,
        /// `#rrggbb`.
        #[serde(default)]
        pub color: Option<String>,
    }

    /// Where Latch's email goes (the `smtp.*` configuration; never its password). Without a
    /// server, `configured` is false and the flows that need email are not offered.
    #[derive(Default)]
    pub struct EmailSettings {
        pub configured: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub host: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub port: Option<u16>,
        /// `starttls`, `tls` or `none`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tls: Option<String>,
        /// The `From` of every message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub from: Option<String>,
        /// Whether Latch signs in to the server.
        #[serde(default)]
        pub authenticated: bool,
    }

    /// A test message to send through the configured server.
    pub struct SendTestEmail {
        pub to: String,
    }

    /// What became of a test message: taken by the SMTP server, or why not (the server's or
    /// the connection's own words).
    pub struct EmailTestResult {
        pub delivered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub detail: Option<String>,
    }

    /// How the identity provider itself looks on every end-user page. Accent colours must keep
    /// text readable: `accentColor` 4.5:1 against white, `darkAccentColor` 4.5:1 against the
    /// dark card (#1f2125) and its dark button text (#141517); anything less is refused with
    /// `branding.low_contrast`.
    #[derive(Default)]
    pub struct IdpBranding {
        #[serde(default)]
        pub organization_name: Option<String>,
        #[serde(default)]
        pub logo_url: Option<String>,
        #[serde(default)]
        pub dark_logo_url: Option<String>,
        #[serde(default)]
        pub favicon_url: Option<String>,
        /// `#rrggbb`, for light pages.
        #[serde(default)]
        pub accent_color: Option<String>,
        /// `#rrggbb`, for dark pages.
        #[serde(default)]
        pub dark_accent_color: Option<String>,
        /// CSS served after Latch's own stylesheet on every end-user page (at most 32 KiB).
        #[serde(default)]
        pub custom_css: Option<String>,
        /// Whether people may create their own account from the sign-in page: `off` (the
        /// default), `email` (an email address and a password) or `username`.
        #[serde(default)]
        pub sign_up: SignUpMode,
        /// Whether an account with an email address must verify it (a code sent there) before
        /// it may sign in. Only with an SMTP server configured (`409 email.not_configured`
        /// otherwise).
        #[serde(default)]
        pub require_verified_email: bool,
        /// Who must sign in with a second factor: `optional` (those who set one up; the
        /// default), `required` (everyone: who has none sets one up at their next sign-in) or
        /// `admins` (those who hold the admin API's scope).
        #[serde(default)]
        pub mfa: MfaPolicy,
    }
}

/// Self-service sign-up on the sign-in page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignUpMode {
    #[default]
    Off,
    Email,
    Username,
}

/// Who must sign in with a second factor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    #[default]
    Optional,
    Required,
    Admins,
}

/// A permission entry as scripts write it: an id, or `{"id", "required"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ConsentScopeInput {
    Id(String),
    Entry {
        id: String,
        #[serde(default = "yes")]
        required: bool,
    },
}

/// For PATCH bodies: an absent field is `None`, an explicit `null` is `Some(None)`.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

fn yes() -> bool {
    true
}

impl ConsentScopeInput {
    pub fn id(&self) -> &str {
        match self {
            ConsentScopeInput::Id(id) | ConsentScopeInput::Entry { id, .. } => id,
        }
    }

    pub fn required(&self) -> bool {
        match self {
            ConsentScopeInput::Id(_) => true,
            ConsentScopeInput::Entry { required, .. } => *required,
        }
    }
}

wire! {
    /// A group of users (a customer, a team) with roles that hold only inside it.
    pub struct Organization {
        pub id: String,
        pub name: String,
        pub description: Option<String>,
        pub created_at: i64,
    }

    pub struct CreateOrganization {
        pub name: String,
        /// Absent or empty: no description.
        #[serde(default)]
        pub description: Option<String>,
    }

    /// Fields to change; absent fields stay, a `null` or empty `description` clears it.
    pub struct PatchOrganization {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
        pub description: Option<Option<String>>,
    }

    /// A permission that exists in every organization (`invite:member`, …); requested by its
    /// bare name.
    pub struct OrganizationScope {
        pub id: String,
        pub name: String,
        pub description: String,
        pub created_at: i64,
    }

    pub struct CreateOrganizationScope {
        /// A scope token (RFC 6749 §3.3), not an OpenID Connect user scope.
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
    }

    pub struct PatchOrganizationScope {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
    }

    /// A role a member holds inside one organization.
    pub struct OrganizationRole {
        pub id: String,
        pub name: String,
        pub description: String,
        pub created_at: i64,
    }

    pub struct CreateOrganizationRole {
        pub name: String,
        #[serde(default)]
        pub description: Option<String>,
        /// Organization scopes the role grants.
        #[serde(default)]
        pub organization_scope_ids: Option<Vec<String>>,
        /// API resource scopes the role grants inside the organization.
        #[serde(default)]
        pub resource_scope_ids: Option<Vec<String>>,
    }

    pub struct PatchOrganizationRole {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub description: Option<String>,
    }

    /// A member of an organization: the user, and the organization roles it holds there.
    pub struct OrganizationMember {
        #[serde(flatten)]
        pub user: User,
        pub organization_roles: Vec<OrganizationRole>,
    }

    pub struct OrganizationScopeIds {
        pub organization_scope_ids: Vec<String>,
    }

    pub struct OrganizationRoleIds {
        pub organization_role_ids: Vec<String>,
    }
}

wire! {
    /// A signed-in browser session of a user. Deleting it signs that browser out on every node.
    pub struct UserSession {
        /// The session's id (the hash of its cookie, never the cookie itself).
        pub id: String,
        /// When the user signed in (epoch seconds).
        pub auth_time: i64,
        pub created_at: i64,
        /// Last use, recorded at most once a minute.
        pub last_active_at: i64,
        /// End of the session's absolute lifetime.
        pub expires_at: i64,
        /// How the user signed in (RFC 8176 `amr`): `pwd`, then `otp` and `mfa` after a
        /// second factor.
        #[serde(default)]
        pub amr: Vec<String>,
        /// The browser's `User-Agent` when the session began.
        #[serde(default)]
        pub user_agent: Option<String>,
    }
}

wire! {
    /// A user's second factors, as the console shows them (never a secret).
    pub struct UserMfa {
        pub factors: Vec<MfaFactor>,
        /// Recovery codes not used yet.
        pub recovery_codes_left: u64,
    }

    /// A second factor a user enrolled.
    pub struct MfaFactor {
        pub id: String,
        /// `totp` (an authenticator app) or `passkey`.
        pub kind: String,
        /// What the user calls it.
        pub name: String,
        pub created_at: i64,
        pub last_used_at: Option<i64>,
    }
}

//! OAuth 2.0 / OIDC errors by their RFC names. No status codes here: `latch-idp` maps them.

use std::fmt;

/// Every error code Latch answers with, named as the RFCs name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// RFC 6749 §4.1.2.1, §5.2
    InvalidRequest,
    /// RFC 6749 §5.2
    InvalidClient,
    /// RFC 6749 §5.2
    InvalidGrant,
    /// RFC 6749 §4.1.2.1, §5.2
    UnauthorizedClient,
    /// RFC 6749 §5.2
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1, §5.2
    InvalidScope,
    /// RFC 6749 §4.1.2.1
    AccessDenied,
    /// RFC 6749 §4.1.2.1
    ServerError,
    /// RFC 6749 §4.1.2.1
    TemporarilyUnavailable,
    /// OpenID Connect Core §3.1.2.6
    LoginRequired,
    /// OpenID Connect Core §3.1.2.6
    ConsentRequired,
    /// OpenID Connect Core §3.1.2.6
    InteractionRequired,
    /// RFC 8707 §2
    InvalidTarget,
    /// RFC 6750 §3.1
    InvalidToken,
    /// RFC 6750 §3.1
    InsufficientScope,
    /// OpenID Connect Core §3.1.2.6
    RequestNotSupported,
    /// OpenID Connect Core §3.1.2.6
    RequestUriNotSupported,
    /// RFC 7009 §2.2.1
    UnsupportedTokenType,
    /// Too many failed attempts (RFC 6585 §4); answered as 429 with `Retry-After`.
    SlowDown,
    /// RFC 7591 §3.2.2: a redirect URI the registration cannot accept.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: any other client metadata the registration cannot accept.
    InvalidClientMetadata,
    /// RFC 8628 §3.5: the user has not answered the device authorization yet.
    AuthorizationPending,
    /// RFC 8628 §3.5 `slow_down`: the device polls faster than its interval (answered 400,
    /// unlike [`ErrorCode::SlowDown`], a rate limit's 429).
    PollTooFast,
    /// RFC 8628 §3.5: the device code expired before the user answered.
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::PollTooFast => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

/// An error an OAuth endpoint answers with: the code and a human-readable description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        OAuthError { code, description: description.into() }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }

    pub fn invalid_target(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidTarget, d)
    }

    pub fn invalid_client_metadata(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClientMetadata, d)
    }

    pub fn invalid_redirect_uri(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRedirectUri, d)
    }

    pub fn server_error(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServerError, d)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

/// The outcome of a failed authorization request (RFC 6749 §4.1.2.1): either the redirect URI
/// cannot be trusted and the user sees an error page, or the error goes back to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Unknown client, missing or untrusted redirect URI: never redirect.
    NoRedirect(OAuthError),
    /// Everything else: redirect to the (trusted) redirect URI with `error`, `state` and `iss`.
    Redirect { error: OAuthError, redirect_uri: String, state: Option<String>, response_mode: ResponseMode },
}

/// How the authorization response travels (OAuth 2.0 Multiple Response Types; Form Post).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

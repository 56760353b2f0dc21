//! The protocol engine: OAuth 2.0 / OpenID Connect rules as pure functions over plain values.
//!
//! Architecture invariant: no HTTP, SQL, Redis or async runtime; time, randomness, keys and
//! stored records come in as arguments. Errors carry RFC error names and no status codes.

pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod code;
pub mod consent;
pub mod crypto;
pub mod device;
pub mod discovery;
pub mod error;
pub mod introspect;
pub mod keys;
pub mod limits;
pub mod logout;
pub mod metadata_document;
pub mod mfa;
pub mod one_time;
pub mod params;
pub mod passkey;
pub mod password;
pub mod pkce;
pub mod refresh;
pub mod registration;
pub mod session;
pub mod token_plan;
pub mod token_scopes;
pub mod tokens;

pub use error::{AuthorizeError, ErrorCode, OAuthError, ResponseMode};

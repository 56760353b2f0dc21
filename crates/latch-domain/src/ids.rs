//! Identifier newtypes, so a user id can never be passed where an application id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    )*};
}

id_type!(
    /// An application's id, which is also its OAuth `client_id`.
    ApplicationId,
    /// A user's id, which is also the `sub` claim.
    UserId,
    ResourceId,
    ScopeId,
    RoleId,
    OrganizationId,
    OrganizationRoleId,
    OrganizationScopeId,
    SessionId,
    GrantId,
    /// A signing key's `kid`.
    KeyId,
    /// A second factor a user enrolled (an authenticator app, a passkey).
    FactorId,
);

/// The alphabet of generated ids: lowercase letters and digits, safe in URLs and paths.
pub const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Length of generated ids (21 characters of a 36-letter alphabet ≈ 108 bits).
pub const ID_LEN: usize = 21;

/// Draws a fresh id from `random`.
pub fn new_id(random: &dyn crate::Random) -> String {
    let mut bytes = [0u8; ID_LEN];
    random.fill(&mut bytes);
    // 252 = 7 * 36: rejection-free reduction is slightly biased; redraw the rare high bytes.
    bytes
        .iter()
        .map(|b| {
            let mut v = *b;
            while v >= 252 {
                let mut one = [0u8; 1];
                random.fill(&mut one);
                v = one[0];
            }
            ID_ALPHABET[usize::from(v) % ID_ALPHABET.len()] as char
        })
        .collect()
}

//! Password hashing (argon2id). The password policy (NIST SP 800-63B §5.1.1.2) is a field rule:
//! `latch_domain::fields::password`.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2 parameters are invalid: {0}")]
    Params(String),
    #[error("hashing failed: {0}")]
    Hash(String),
}

/// argon2id with configured cost. Verification uses the parameters stored in each hash, so
/// raising the cost later does not lock anyone out.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    /// A hash of a random password, verified against when the user does not exist, so unknown
    /// users cost the same time as known ones.
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// `dummy_salt` and `dummy_password` come from the caller's randomness.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        dummy_salt: &[u8; 16],
        dummy_password: &[u8; 16],
    ) -> Result<PasswordHasher, PasswordError> {
        let params =
            Params::new(memory_kib, iterations, parallelism, None).map_err(|e| PasswordError::Params(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = PasswordHasher { argon, dummy: String::new() };
        let dummy_password: String = dummy_password.iter().map(|b| format!("{b:02x}")).collect();
        hasher.dummy = hasher.hash(&dummy_password, dummy_salt)?;
        Ok(hasher)
    }

    /// PHC-format argon2id hash of `password` with `salt` (16 random bytes from the caller).
    pub fn hash(&self, password: &str, salt: &[u8; 16]) -> Result<String, PasswordError> {
        let salt = SaltString::encode_b64(salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// True when `password` matches `stored`. With `stored = None` (unknown user, or a user
    /// without a password) or an unreadable hash it still spends one hash and answers false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        match stored.and_then(|s| PasswordHash::new(s).ok()) {
            Some(hash) => self.argon.verify_password(password.as_bytes(), &hash).is_ok(),
            None => {
                if let Ok(dummy) = PasswordHash::new(&self.dummy) {
                    let _ = self.argon.verify_password(password.as_bytes(), &dummy);
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(64, 1, 1, &[7; 16], &[9; 16]).expect("hasher")
    }

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let h = hasher();
        let stored = h.hash("correct horse", &[1; 16]).expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&stored)));
        assert!(!h.verify("wrong horse", Some(&stored)));
        assert!(!h.verify("correct horse", None), "no user, no match");
        assert!(!h.verify("correct horse", Some("not a hash")));
    }
}

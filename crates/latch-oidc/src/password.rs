//! Password hashing (argon2id). The password policy (NIST SP 800-63B §5.1.1.2) is a field rule:
//! `latch_domain::fields::password`.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use subtle::ConstantTimeEq as _;

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

/// Working memory kept per thread up to this many 1 KiB blocks (64 MiB); a stored hash that
/// asks for more (an imported one, say) gets memory for that hash alone.
const KEPT_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// This thread's argon2 working memory, reused from hash to hash. `Argon2::hash_password`
    /// allocates and writes 19 MiB for every hash, which costs about as much CPU as the hash
    /// itself (page faults and zeroing) and fragments the allocator's per-thread arenas; a
    /// hashing thread here holds one buffer for its life. argon2 overwrites every block
    /// before reading it, so the previous hash's contents do not matter (RFC 9106 §3.2).
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Where a hash's working memory comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Memory {
    /// This thread's kept buffer: a hashing thread, which hashes again and again.
    Kept,
    /// Allocated for this hash alone: a thread that hashes once (start-up's dummy hash), which
    /// would otherwise hold 19 MiB for the life of the process.
    Once,
}

/// argon2 of `password` and `salt` into `out`.
fn hash_into(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: Memory,
) -> Result<(), argon2::Error> {
    let need = argon.params().block_count();
    if need > KEPT_BLOCKS || memory == Memory::Once {
        return argon.hash_password_into(password, salt, out);
    }
    BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < need {
            blocks.resize(need, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..need])
    })
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
        hasher.dummy = hasher.hash_in(&dummy_password, dummy_salt, Memory::Once)?;
        Ok(hasher)
    }

    /// PHC-format argon2id hash of `password` with `salt` (16 random bytes from the caller).
    pub fn hash(&self, password: &str, salt: &[u8; 16]) -> Result<String, PasswordError> {
        self.hash_in(password, salt, Memory::Kept)
    }

    fn hash_in(&self, password: &str, salt: &[u8; 16], memory: Memory) -> Result<String, PasswordError> {
        let fail = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
        let params = self.argon.params();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let out = &mut out[..params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
        hash_into(&self.argon, password.as_bytes(), salt, out, memory).map_err(|e| fail(&e))?;
        let salt = SaltString::encode_b64(salt).map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params).map_err(|e| fail(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    }

    /// True when `password` matches `stored`. With `stored = None` (unknown user, or a user
    /// without a password) or an unreadable hash it still spends one hash and answers false.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        match stored.and_then(|s| PasswordHash::new(s).ok()) {
            Some(hash) => matches(password, &hash) == Some(true),
            None => {
                if let Ok(dummy) = PasswordHash::new(&self.dummy) {
                    let _ = matches(password, &dummy);
                }
                false
            }
        }
    }
}

/// Whether `password` hashes to `stored` under the algorithm, version and cost `stored` names;
/// `None` when `stored` is not a usable argon2 hash.
fn matches(password: &str, stored: &PasswordHash<'_>) -> Option<bool> {
    let algorithm = Algorithm::try_from(stored.algorithm).ok()?;
    let version = stored.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
    let params = Params::try_from(stored).ok()?;
    let (salt, expected) = (stored.salt?, stored.hash?);
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).ok()?;
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = out.get_mut(..expected.len())?;
    hash_into(&Argon2::new(algorithm, version, params), password.as_bytes(), salt, out, Memory::Kept).ok()?;
    // Constant time, so the comparison says nothing about how much of the hash matched.
    Some(bool::from(expected.as_bytes().ct_eq(out)))
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

    /// Hashes made by the argon2 crate's own `PasswordHasher` (what stored hashes and imported
    /// ones are) verify here, and ours verify there: the kept working memory changes nothing.
    #[test]
    fn hashes_interoperate_with_the_argon2_crate_in_both_directions() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let theirs_params = Params::new(128, 2, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, theirs_params);
        let salt = SaltString::encode_b64(&[5; 16]).unwrap();
        let stored = theirs.hash_password(b"s3cret pass", &salt).unwrap().to_string();
        let h = hasher();
        assert!(h.verify("s3cret pass", Some(&stored)), "their cost (m=128,t=2) is read from the hash");
        assert!(!h.verify("s3cret pasS", Some(&stored)));
        let ours = h.hash("another one", &[6; 16]).unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(theirs.verify_password(b"another one", &parsed).is_ok());
        assert!(theirs.verify_password(b"another two", &parsed).is_err());
        // argon2i and argon2d hashes are verified with their own algorithm.
        for alg in [Algorithm::Argon2i, Algorithm::Argon2d] {
            let other = Argon2::new(alg, Version::V0x13, Params::new(64, 1, 1, None).unwrap());
            let stored = other.hash_password(b"pw", &salt).unwrap().to_string();
            assert!(h.verify("pw", Some(&stored)) && !h.verify("pW", Some(&stored)), "{alg:?}");
        }
    }

    /// A thread that verified a costly hash and then a cheap one gets the right answers from
    /// its kept memory, and a hash larger than what is kept still verifies.
    #[test]
    fn kept_memory_serves_hashes_of_any_cost() {
        let h = hasher();
        for (m, t) in [(256, 1), (64, 3), (1024, 1), (8, 1), (KEPT_BLOCKS as u32 + 8, 1)] {
            let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(m, t, 1, None).unwrap());
            let salt = SaltString::encode_b64(&[m as u8; 16]).unwrap();
            use argon2::password_hash::PasswordHasher as _;
            let stored = argon.hash_password(b"pw", &salt).unwrap().to_string();
            assert!(h.verify("pw", Some(&stored)), "m={m} t={t}");
            assert!(!h.verify("px", Some(&stored)), "m={m} t={t}");
        }
    }
}

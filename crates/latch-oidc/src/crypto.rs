//! Random tokens and the hashes under which tokens and client secrets are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latch_domain::Random;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `bytes` random bytes from `random`, base64url without padding.
pub fn random_token(random: &dyn Random, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    random.fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// 16 random bytes (salts).
pub fn random_16(random: &dyn Random) -> [u8; 16] {
    let mut buf = [0u8; 16];
    random.fill(&mut buf);
    buf
}

/// base64url(SHA-256(input)).
pub fn sha256_b64(input: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input.as_bytes()))
}

/// The stored form of a client secret, authorization code, access or refresh token. They are
/// 256-bit random values, so a fast hash is enough: there is nothing to brute-force.
pub fn token_hash(token: &str) -> String {
    sha256_b64(token)
}

/// Generates a client secret: 256 bits, base64url (DESIGN.md security rules).
pub fn new_client_secret(random: &dyn Random) -> String {
    random_token(random, 32)
}

/// Compares a presented secret with a stored hash in constant time.
pub fn secret_matches(presented: &str, stored_hash: &str) -> bool {
    let presented = token_hash(presented);
    presented.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Constant-time equality of two strings (CSRF tokens, MACs): the time taken does not tell how
/// much of a guess was right.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A 32-byte key for one use (`label`), derived from the secret key, so no two uses share bytes.
pub fn derive_key(secret_key: &[u8; 32], label: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"latch derived key v1\0");
    h.update(label.as_bytes());
    h.update(b"\0");
    h.update(secret_key);
    h.finalize().into()
}

/// 64 bytes of key material for signing cookies, derived from the 32-byte secret key with a
/// purpose label, so the cookie key and the key-encryption key are never the same bytes.
pub fn derive_cookie_key(secret_key: &[u8; 32]) -> [u8; 64] {
    let mut h = sha2::Sha512::new();
    h.update(b"latch cookie signing key v1\0");
    h.update(secret_key);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter;
    impl Random for Counter {
        fn fill(&self, buf: &mut [u8]) {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = u8::try_from(i % 256).unwrap_or(0);
            }
        }
    }

    #[test]
    fn secrets_are_256_bits_and_match_only_their_hash() {
        let s = new_client_secret(&Counter);
        assert_eq!(s.len(), 43, "32 bytes in base64url");
        let h = token_hash(&s);
        assert!(secret_matches(&s, &h));
        assert!(!secret_matches(&format!("{s}x"), &h));
        assert!(!secret_matches("", &h));
    }
}

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

/// SHA-256(input).
pub fn sha256_bytes(input: &str) -> [u8; 32] {
    Sha256::digest(input.as_bytes()).into()
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

/// `plain` encrypted and authenticated under `key` (JWE compact, `dir` + A256GCM, as signing
/// keys are at rest), bound to `binding`: [`open`] with another binding fails.
pub fn seal(key: &[u8; 32], binding: &str, plain: &[u8]) -> Option<String> {
    use josekit::jwe::{self, Dir, JweHeader};
    let mut header = JweHeader::new();
    header.set_content_encryption("A256GCM");
    let encrypter = Dir.encrypter_from_bytes(key).ok()?;
    let mut bound = Vec::with_capacity(binding.len() + 1 + plain.len());
    bound.extend_from_slice(binding.as_bytes());
    bound.push(0);
    bound.extend_from_slice(plain);
    jwe::serialize_compact(&bound, &header, &encrypter).ok()
}

/// What [`seal`] sealed under `key` for `binding`, when it is that.
pub fn open(key: &[u8; 32], binding: &str, sealed: &str) -> Option<Vec<u8>> {
    use josekit::jwe::{self, Dir};
    let decrypter = Dir.decrypter_from_bytes(key).ok()?;
    let (bound, _) = jwe::deserialize_compact(sealed, &decrypter).ok()?;
    let rest = bound.strip_prefix(binding.as_bytes())?.strip_prefix(&[0])?;
    Some(rest.to_vec())
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

    #[test]
    fn sealed_bytes_open_only_under_their_key_and_binding() {
        let key = [3u8; 32];
        let sealed = seal(&key, "user-ada", b"twenty secret bytes!").unwrap_or_default();
        assert!(!sealed.is_empty() && !sealed.contains("twenty"));
        assert_eq!(open(&key, "user-ada", &sealed).as_deref(), Some(&b"twenty secret bytes!"[..]));
        assert_eq!(open(&key, "user-eve", &sealed), None, "another binding");
        assert_eq!(open(&key, "user-ad", &sealed), None, "a prefix of the binding");
        assert_eq!(open(&[4u8; 32], "user-ada", &sealed), None, "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(open(&key, "user-ada", &tampered), None, "tampered");
    }

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

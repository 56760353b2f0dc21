//! The `Cookie` header as Latch reads its session and interaction cookies: parsed, then checked
//! against the signing key derived from `secret_key`. A value the key did not sign is never
//! accepted, and parsing never panics.
#![no_main]

use cookie::{Cookie, CookieJar, Key};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| Key::from(&latch_oidc::crypto::derive_cookie_key(&[7; 32])))
}

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    for pair in header.split(';') {
        let Ok(raw) = Cookie::parse_encoded(pair.trim().to_owned()) else { continue };
        let name = raw.name().to_owned();
        let mut jar = CookieJar::new();
        jar.add_original(raw);
        assert!(jar.signed(key()).get(&name).is_none(), "accepted an unsigned cookie: {pair}");
    }
});

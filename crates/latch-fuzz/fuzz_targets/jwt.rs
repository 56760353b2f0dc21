//! JWS compact parsing and verification (`id_token_hint`, access tokens at the admin API and
//! introspection): whatever the input, nothing verifies that the key set did not sign, and a
//! token it signed, once changed, no longer verifies.
#![no_main]

use latch_domain::Timestamp;
use latch_domain::entities::KeyState;
use latch_oidc::keys::{self, Alg, KeySet};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SECRET: [u8; 32] = [7; 32];

fn keys() -> &'static (KeySet, String) {
    static KEYS: OnceLock<(KeySet, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let stored: Vec<_> = [Alg::RS256, Alg::ES256]
            .into_iter()
            .map(|alg| keys::generate(alg, alg.as_str().into(), KeyState::Current, &SECRET, Timestamp(1)).unwrap())
            .collect();
        let set = KeySet::load(&stored, &SECRET).unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), "u1".into());
        let token = set.sign(Alg::ES256, "at+jwt", claims).unwrap();
        (set, token)
    })
}

fuzz_target!(|data: &[u8]| {
    let (set, signed) = keys();
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text != signed {
        assert!(set.verify(text).is_none(), "verified a token nobody signed: {text}");
    }
    // The signed token with the input spliced into it (header, payload or signature).
    if let Some(at) = data.first().map(|b| usize::from(*b) % signed.len()) {
        let forged = format!("{}{text}{}", &signed[..at], &signed[at..]);
        if forged != *signed && !text.is_empty() {
            assert!(set.verify(&forged).is_none(), "a changed token verified: {forged}");
        }
    }
});

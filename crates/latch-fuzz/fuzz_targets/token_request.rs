//! A token request: the first line is the `Authorization` header, the rest the form body
//! (RFC 6749 §2.3.1, §4.1.3). Decoding, client authentication extraction and the bearer
//! header parser must never panic; a body with a parameter twice is refused (RFC 6749 §3.2).
#![no_main]

use latch_oidc::params::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (header, body) = text.split_once('\n').unwrap_or(("", text));
    let _ = latch_oidc::bearer::parse_authorization(header);
    let Ok(params) = Params::parse(body) else { return };
    let _ = latch_oidc::client_auth::extract(Some(header), &params);
    let _ = latch_oidc::client_auth::extract(None, &params);
    for name in ["grant_type", "code", "refresh_token", "client_id"] {
        if params.is_duplicated(name) {
            assert!(params.reject_duplicates().is_err(), "`{name}` twice is refused");
        }
    }
});

//! Redirect URI registration and matching (RFC 9700 §4.1.3, RFC 8252 §7.3): no panic, a URI
//! accepted for registration is canonical, and a match is always one of the registered URIs
//! (or, for a native app's loopback URI, the request's port on it).
#![no_main]

use latch_domain::entities::AppType;
use latch_domain::redirect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (registered, requested) = text.split_once('\n').unwrap_or((text, text));
    for app_type in [AppType::Traditional, AppType::Spa, AppType::Native] {
        if redirect::validate_registered(app_type, registered).is_ok() {
            assert!(redirect::is_canonical(registered), "accepted a non-canonical URI: {registered}");
        }
        let list = [registered.to_owned()];
        if let Some(chosen) = redirect::match_redirect(app_type, &list, requested) {
            let same = chosen == registered;
            let loopback = app_type == AppType::Native && chosen == requested;
            assert!(same || loopback, "{requested} matched {registered} as {chosen}");
        }
    }
});

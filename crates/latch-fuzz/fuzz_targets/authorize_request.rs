//! An authorization request's query string (RFC 6749 §4.1.1) through parameter decoding and
//! `latch_oidc::authorize::validate`, for each kind of app. Beyond not panicking: a request
//! that is accepted, or whose error goes back to the client, names a registered redirect URI.
#![no_main]

use latch_domain::Timestamp;
use latch_domain::entities::{AppType, Application, CustomClientMetadata};
use latch_oidc::AuthorizeError;
use latch_oidc::params::Params;
use libfuzzer_sys::fuzz_target;

fn app(app_type: AppType, uris: &[&str]) -> Application {
    Application {
        id: "client".into(),
        name: "Fuzzed".into(),
        description: None,
        app_type,
        is_third_party: true,
        redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
        post_logout_redirect_uris: Vec::new(),
        custom: CustomClientMetadata::default(),
        created_at: Timestamp(0),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let Ok(params) = Params::parse(query) else { return };
    let apps = [
        app(AppType::Traditional, &["https://app.example.com/callback"]),
        app(AppType::Spa, &["https://spa.example.com/"]),
        app(AppType::Native, &["com.example.app:/callback", "http://127.0.0.1/callback"]),
    ];
    for a in &apps {
        let trusted = match latch_oidc::authorize::validate(&params, Some(a)) {
            Ok(request) => Some(request.redirect_uri),
            Err(AuthorizeError::Redirect { redirect_uri, .. }) => Some(redirect_uri),
            Err(AuthorizeError::NoRedirect(_)) => None,
        };
        if let Some(uri) = trusted {
            let registered = latch_domain::redirect::match_redirect(a.app_type, &a.redirect_uris, &uri);
            assert!(registered.is_some(), "redirected to an unregistered URI: {uri}");
        }
    }
    let _ = latch_oidc::authorize::validate(&params, None);
});

//! Discovery metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).

use latch_domain::entities::RegistrationPolicy;
use latch_domain::scope;
use serde_json::{Value, json};

/// The provider metadata for `issuer` (`<public_url>/oidc`), whose pages speak `ui_locales`.
/// When `registration` is open, clients may register themselves (RFC 7591 §3, RFC 8414 §2)
/// and, when it admits public clients, name themselves by a Client ID Metadata Document. Only
/// endpoints and grants that exist are listed.
pub fn metadata(issuer: &str, ui_locales: &[&str], registration: &RegistrationPolicy) -> Value {
    let scopes: Vec<&str> = scope::USER_SCOPES.iter().map(|(s, _)| *s).collect();
    let mut m = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint": format!("{issuer}/token/introspection"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        // RFC 8628 §4: the device flow for native apps that opt in.
        "device_authorization_endpoint": format!("{issuer}/device/auth"),
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            crate::device::GRANT_TYPE,
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": scope::all_claims(),
        // OpenID Connect Core §3.1.2.1 `acr_values`: a password alone, or with a second factor.
        "acr_values_supported": crate::mfa::ACR_VALUES_SUPPORTED,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ui_locales,
    });
    if let Value::Object(fields) = &mut m {
        if registration.enabled {
            fields.insert("registration_endpoint".to_owned(), json!(format!("{issuer}/reg")));
        }
        if crate::metadata_document::accepted(registration) {
            fields.insert("client_id_metadata_document_supported".to_owned(), json!(true));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use latch_domain::entities::{AppType, RegistrationPolicy};

    #[test]
    fn discovery_document_snapshot() {
        let closed = RegistrationPolicy::default();
        insta::assert_json_snapshot!(super::metadata("https://id.example.com/oidc", &["en", "fr"], &closed));
        let policy = RegistrationPolicy { enabled: true, ..closed };
        let open = super::metadata("https://id.example.com/oidc", &["en"], &policy);
        assert_eq!(open["registration_endpoint"], "https://id.example.com/oidc/reg");
        assert_eq!(open["client_id_metadata_document_supported"], true);
        let policy = RegistrationPolicy { app_types: vec![AppType::Traditional], ..policy };
        let confidential = super::metadata("https://id.example.com/oidc", &["en"], &policy);
        assert_eq!(confidential["registration_endpoint"], "https://id.example.com/oidc/reg");
        assert!(confidential.get("client_id_metadata_document_supported").is_none());
    }
}

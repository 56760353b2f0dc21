//! Discovery metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2).

use latch_domain::scope;
use serde_json::{Value, json};

/// The provider metadata for `issuer` (`<public_url>/oidc`), whose pages speak `ui_locales`;
/// `registration` when clients may register themselves (RFC 7591 §3, RFC 8414 §2). Only
/// endpoints and grants that exist are listed.
pub fn metadata(issuer: &str, ui_locales: &[&str], registration: bool) -> Value {
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
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": scope::all_claims(),
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ui_locales,
    });
    if registration && let Value::Object(fields) = &mut m {
        fields.insert("registration_endpoint".to_owned(), json!(format!("{issuer}/reg")));
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn discovery_document_snapshot() {
        insta::assert_json_snapshot!(super::metadata("https://id.example.com/oidc", &["en", "fr"], false));
        let open = super::metadata("https://id.example.com/oidc", &["en"], true);
        assert_eq!(open["registration_endpoint"], "https://id.example.com/oidc/reg");
    }
}

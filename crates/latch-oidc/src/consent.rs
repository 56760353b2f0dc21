//! Consent decisions (DESIGN.md "Third-party app rules"): whether the consent screen must show,
//! and what a grant covers.

use crate::authorize::AuthRequest;
use latch_domain::entities::{Application, GrantDetails};
use latch_domain::scope;

/// What the user is asked to approve: requested scopes the app does not hold yet.
pub fn missing_scopes(request: &AuthRequest, granted: Option<&GrantDetails>) -> Vec<String> {
    request
        .scopes
        .iter()
        .filter(|s| s.as_str() != scope::OPENID)
        .filter(|s| !granted.is_some_and(|g| g.scopes.contains(s)))
        .cloned()
        .collect()
}

/// First-party apps never show the consent screen. A third-party app shows it the first time,
/// whenever it asks for a scope not granted yet, and on `prompt=consent`.
pub fn needs_consent(app: &Application, request: &AuthRequest, granted: Option<&GrantDetails>) -> bool {
    if !app.is_third_party {
        return false;
    }
    request.prompt.consent || granted.is_none() || !missing_scopes(request, granted).is_empty()
}

/// The grant after the user approved `request`: what was there plus what was asked.
pub fn merge_grant(existing: Option<&GrantDetails>, approved: &[String]) -> GrantDetails {
    let mut details = existing.cloned().unwrap_or_default();
    for s in approved {
        if !details.scopes.contains(s) {
            details.scopes.push(s.clone());
        }
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::Prompt;
    use crate::error::ResponseMode;
    use latch_domain::Timestamp;
    use latch_domain::entities::{AppType, CustomClientMetadata};
    use latch_domain::ids::ApplicationId;

    fn app(third: bool) -> Application {
        Application {
            id: ApplicationId::from("c"),
            name: "c".into(),
            description: None,
            app_type: AppType::Spa,
            is_third_party: third,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            custom: CustomClientMetadata::default(),
            created_at: Timestamp(0),
        }
    }

    fn req(scopes: &[&str], consent: bool) -> AuthRequest {
        AuthRequest {
            client_id: ApplicationId::from("c"),
            redirect_uri: "https://x/cb".into(),
            response_mode: ResponseMode::Query,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: Prompt { consent, ..Prompt::default() },
            max_age: None,
            login_hint: None,
            ui_locales: vec![],
            resources: vec![],
        }
    }

    #[test]
    fn consent_rules() {
        let granted = GrantDetails { scopes: vec!["email".into()], ..Default::default() };
        assert!(!needs_consent(&app(false), &req(&["openid", "email"], true), None), "first party never asks");
        assert!(needs_consent(&app(true), &req(&["openid"], false), None), "first time asks");
        assert!(!needs_consent(&app(true), &req(&["openid", "email"], false), Some(&granted)), "remembered");
        assert!(needs_consent(&app(true), &req(&["openid", "email"], true), Some(&granted)), "prompt=consent asks");
        assert!(
            needs_consent(&app(true), &req(&["openid", "email", "profile"], false), Some(&granted)),
            "new scope asks"
        );
        assert_eq!(missing_scopes(&req(&["openid", "email", "profile"], false), Some(&granted)), ["profile"]);
        assert_eq!(merge_grant(Some(&granted), &["profile".into(), "email".into()]).scopes, ["email", "profile"]);
    }
}

//! The claims about a user that a token or userinfo releases, gathered once for every place
//! that needs them (authorization code, refresh, userinfo).

use crate::errors::{IdpError, JsonUnavailable};
use crate::state::IdpState;
use latch_domain::entities::{Application, User};
use latch_domain::ids::OrganizationId;
use latch_domain::{Timestamp, scope};
use latch_oidc::tokens::{self, IdTokenInput};
use serde_json::{Map, Value};

/// User claims for `scopes` (OpenID Connect Core §5.4), with the roles and the organization
/// claims read only when their scopes were granted. `shared` are the organizations the user
/// shared with the application.
pub async fn user_claims(
    idp: &IdpState,
    user: &User,
    scopes: &[String],
    shared: &[OrganizationId],
) -> Result<Map<String, Value>, IdpError> {
    let roles = if scopes.iter().any(|s| s == "roles") {
        idp.core.repos.user_role_names(&user.id).await.json_unavailable()?
    } else {
        Vec::new()
    };
    let mut claims = tokens::user_claims(user, scopes, &roles);
    if scopes.iter().any(|s| s == scope::ORGANIZATIONS || s == scope::ORGANIZATION_ROLES) {
        let org_roles = idp.core.repos.user_organization_role_names(&user.id).await.json_unavailable()?;
        tokens::add_organization_claims(&mut claims, scopes, shared, &org_roles);
    }
    Ok(claims)
}

/// What an ID token is about, beyond the user and the scopes.
pub struct IdTokenFacts<'a> {
    pub shared: &'a [OrganizationId],
    pub auth_time: Timestamp,
    /// How the user signed in (RFC 8176): the token's `amr`, and the `acr` it earns.
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
}

/// A signed ID token for `app` (its registered algorithm, RS256 by default).
pub async fn id_token(
    idp: &IdpState,
    app: &Application,
    user: &User,
    scopes: &[String],
    facts: IdTokenFacts<'_>,
) -> Result<String, IdpError> {
    let claims = user_claims(idp, user, scopes, facts.shared).await?;
    let alg = tokens::id_token_alg(&app.custom);
    let claims = tokens::id_token_claims(
        &IdTokenInput {
            issuer: &idp.core.settings.issuer,
            client_id: app.id.as_str(),
            auth_time: facts.auth_time,
            amr: facts.amr,
            nonce: facts.nonce,
            access_token: Some(facts.access_token),
            now: idp.core.clock.now(),
            ttl: app.custom.id_token_ttl.unwrap_or(idp.core.settings.id_token_ttl),
        },
        claims,
    );
    idp.core.keys().sign(alg, "JWT", claims).map_err(|e| IdpError::Unavailable { detail: e.to_string(), json: true })
}

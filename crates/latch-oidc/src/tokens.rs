//! Token contents: ID token claims (OpenID Connect Core §2, §5), JWT access tokens
//! (RFC 9068), `at_hash`, and user claims released by scope.

use crate::keys::Alg;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latch_domain::Timestamp;
use latch_domain::entities::{CustomClientMetadata, Resource, User};
use latch_domain::scope;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// `at_hash` (OpenID Connect Core §3.1.3.6): base64url of the left half of the SHA-256 of the
/// access token (SHA-256 because both RS256 and ES256 use it).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Claims about `user` that `scopes` release (DESIGN.md "Scopes and claims"). `roles` are the
/// user's global role names (for the `roles` scope).
pub fn user_claims(user: &User, scopes: &[String], roles: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id.as_str()));
    let has = |s: &str| scopes.iter().any(|g| g == s);
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            out.insert(k.to_owned(), v);
        }
    };
    if has("profile") {
        put("name", json!(user.name));
        put("preferred_username", json!(user.username));
        put("picture", json!(user.avatar));
        for claim in scope::claims_of("profile") {
            if let Some(v) = user.profile.get(*claim) {
                put(claim, v.clone());
            }
        }
        put("updated_at", json!(user.updated_at.0));
    }
    if has("email") {
        put("email", json!(user.primary_email));
        if user.primary_email.is_some() {
            put("email_verified", json!(user.email_verified));
        }
    }
    if has("phone") {
        put("phone_number", json!(user.primary_phone));
        if user.primary_phone.is_some() {
            put("phone_number_verified", json!(user.phone_verified));
        }
    }
    if has("address")
        && let Some(a) = user.profile.get("address")
    {
        put("address", a.clone());
    }
    if has("custom_data") {
        put("custom_data", user.custom_data.clone());
    }
    if has("identities") {
        put("identities", json!({}));
    }
    if has("roles") {
        put("roles", json!(roles));
    }
    out
}

/// The `organizations` and `organization_roles` claims (DESIGN.md "Scopes and claims"): only
/// organizations the user shared with the application, only when their scope was granted.
/// `roles` are `(organization id, role name)` pairs of the user.
pub fn add_organization_claims(
    claims: &mut Map<String, Value>,
    scopes: &[String],
    shared: &[latch_domain::ids::OrganizationId],
    roles: &[(latch_domain::ids::OrganizationId, String)],
) {
    let has = |s: &str| scopes.iter().any(|g| g == s);
    if has(scope::ORGANIZATIONS) {
        claims.insert("organizations".into(), json!(shared.iter().map(|o| o.as_str()).collect::<Vec<_>>()));
    }
    if has(scope::ORGANIZATION_ROLES) {
        let pairs: Vec<String> =
            roles.iter().filter(|(o, _)| shared.contains(o)).map(|(o, r)| format!("{}:{r}", o.as_str())).collect();
        claims.insert("organization_roles".into(), json!(pairs));
    }
}

/// The inputs of an ID token.
#[derive(Clone, Debug)]
pub struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub auth_time: Timestamp,
    /// How the user signed in (RFC 8176); empty for none known.
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub now: Timestamp,
    pub ttl: i64,
}

/// ID token claims: the user claims plus `iss`, `aud`, `exp`, `iat`, `auth_time`, `nonce`,
/// `at_hash` (OpenID Connect Core §2, §3.1.3.6), and `amr` with the `acr` it earns.
pub fn id_token_claims(input: &IdTokenInput<'_>, mut claims: Map<String, Value>) -> Map<String, Value> {
    claims.insert("iss".into(), json!(input.issuer));
    claims.insert("aud".into(), json!(input.client_id));
    claims.insert("iat".into(), json!(input.now.0));
    claims.insert("exp".into(), json!(input.now.0 + input.ttl));
    claims.insert("auth_time".into(), json!(input.auth_time.0));
    if !input.amr.is_empty() {
        claims.insert("amr".into(), json!(input.amr));
        claims.insert("acr".into(), json!(crate::mfa::acr_of(input.amr)));
    }
    if let Some(n) = input.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    if let Some(at) = input.access_token {
        claims.insert("at_hash".into(), json!(at_hash(at)));
    }
    claims
}

/// The inputs of an RFC 9068 access token.
#[derive(Clone, Debug)]
pub struct AccessTokenInput<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub client_id: &'a str,
    /// The user, or `None` for a client_credentials token (then `sub` is the client id).
    pub subject: Option<&'a str>,
    pub scopes: &'a [String],
    pub jti: &'a str,
    pub now: Timestamp,
    pub ttl: i64,
    pub auth_time: Option<Timestamp>,
}

/// The `typ` header of RFC 9068 access tokens.
pub const AT_JWT_TYP: &str = "at+jwt";

/// The algorithm of an ID token: the one the client registered (OpenID Connect Registration §2,
/// `id_token_signed_response_alg`), RS256 otherwise (OpenID Connect Core §3.1.3.7).
pub fn id_token_alg(custom: &CustomClientMetadata) -> Alg {
    custom.id_token_signed_response_alg.as_deref().and_then(Alg::parse).unwrap_or(Alg::RS256)
}

/// The algorithm of a JWT access token (RFC 9068 §2.1): the audience resource's choice, so its
/// servers verify one algorithm; RS256 for an organization token without a resource.
pub fn access_token_alg(resource: Option<&Resource>) -> Alg {
    resource.and_then(|r| Alg::parse(&r.access_token_signing_alg)).unwrap_or(Alg::RS256)
}

/// RFC 9068 §2.2 claims: `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`, `scope`.
pub fn access_token_claims(input: &AccessTokenInput<'_>) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("iss".into(), json!(input.issuer));
    c.insert("aud".into(), json!(input.audience));
    c.insert("sub".into(), json!(input.subject.unwrap_or(input.client_id)));
    c.insert("client_id".into(), json!(input.client_id));
    c.insert("iat".into(), json!(input.now.0));
    c.insert("exp".into(), json!(input.now.0 + input.ttl));
    c.insert("jti".into(), json!(input.jti));
    c.insert("scope".into(), json!(input.scopes.join(" ")));
    if let Some(t) = input.auth_time {
        c.insert("auth_time".into(), json!(t.0));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_domain::ids::UserId;

    #[test]
    fn signing_algorithms_follow_the_client_and_the_resource() {
        let resource = |alg: &str| Resource {
            id: "r".into(),
            name: "Reports".into(),
            indicator: "https://api.example".into(),
            access_token_ttl: 3600,
            access_token_signing_alg: alg.into(),
            created_at: Timestamp(0),
        };
        let cases = [
            ("no resource (an organization token)", None, Alg::RS256),
            ("a resource on the default", Some(resource("RS256")), Alg::RS256),
            ("a resource that chose ES256", Some(resource("ES256")), Alg::ES256),
            ("a stored value Latch cannot sign with", Some(resource("HS256")), Alg::RS256),
        ];
        for (case, r, want) in cases {
            assert_eq!(access_token_alg(r.as_ref()), want, "{case}");
        }
        let app = |alg: Option<&str>| CustomClientMetadata {
            id_token_signed_response_alg: alg.map(str::to_owned),
            ..CustomClientMetadata::default()
        };
        let cases = [
            ("nothing registered", None, Alg::RS256),
            ("RS256 registered", Some("RS256"), Alg::RS256),
            ("ES256 registered", Some("ES256"), Alg::ES256),
            ("an unknown value", Some("none"), Alg::RS256),
        ];
        for (case, alg, want) in cases {
            assert_eq!(id_token_alg(&app(alg)), want, "{case}");
        }
    }

    #[test]
    fn at_hash_matches_the_openid_example() {
        // OpenID Connect Core, Appendix A.3 example access token and at_hash.
        assert_eq!(at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    }

    #[test]
    fn organization_claims_list_shared_organizations_only() {
        use latch_domain::ids::OrganizationId;
        let shared = [OrganizationId::from("o1")];
        let roles =
            [(OrganizationId::from("o1"), "admin".to_owned()), (OrganizationId::from("o2"), "member".to_owned())];
        let mut c = Map::new();
        add_organization_claims(
            &mut c,
            &[scope::ORGANIZATIONS.into(), scope::ORGANIZATION_ROLES.into()],
            &shared,
            &roles,
        );
        assert_eq!(c["organizations"], json!(["o1"]));
        assert_eq!(c["organization_roles"], json!(["o1:admin"]));
        let mut none = Map::new();
        add_organization_claims(&mut none, &["openid".into()], &shared, &roles);
        assert!(none.is_empty());
    }

    #[test]
    fn claims_follow_granted_scopes_only() {
        let mut user = User {
            id: UserId::from("u1"),
            username: Some("ada".into()),
            primary_email: Some("ada@example.com".into()),
            email_verified: true,
            name: Some("Ada".into()),
            custom_data: json!({"plan": "pro"}),
            updated_at: Timestamp(5),
            ..Default::default()
        };
        user.profile.insert("given_name".into(), json!("Ada"));
        let only_openid = user_claims(&user, &["openid".into()], &[]);
        assert_eq!(only_openid.keys().collect::<Vec<_>>(), ["sub"]);
        let email = user_claims(&user, &["openid".into(), "email".into()], &[]);
        assert_eq!(email["email"], "ada@example.com");
        assert_eq!(email["email_verified"], true);
        assert!(email.get("name").is_none());
        let profile = user_claims(&user, &["profile".into(), "roles".into()], &["admin".into()]);
        assert_eq!(profile["name"], "Ada");
        assert_eq!(profile["given_name"], "Ada");
        assert_eq!(profile["preferred_username"], "ada");
        assert_eq!(profile["roles"], json!(["admin"]));
        assert!(profile.get("picture").is_none(), "absent values are omitted, not null");
        assert!(profile.get("email").is_none());
    }
}

//! Token introspection responses (RFC 7662 §2.2): what a resource server learns about a token.
//! An inactive token says only `{"active": false}`.

use latch_domain::Timestamp;
use latch_domain::entities::{AccessTokenRecord, RefreshTokenRecord};
use serde_json::{Map, Value, json};

/// RFC 7662 §2.2: "If the introspection call is properly authorized but the token is not
/// active ... the authorization server MUST return ... `active` set to false", and nothing else.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// What the caller may learn (RFC 7662 §2.2, §4: the server "MAY respond differently to
/// different protected resources" and must not help token scanning): an active token's details
/// go only to the client it was issued to, or to a client the operator marked as a resource
/// server; anyone else hears `{"active": false}`.
pub fn for_caller(answer: Value, caller: &str, caller_is_resource_server: bool) -> Value {
    let own = answer.get("client_id").and_then(Value::as_str) == Some(caller);
    if answer.get("active") == Some(&Value::Bool(true)) && (own || caller_is_resource_server) {
        answer
    } else {
        inactive()
    }
}

/// A stored refresh token: active while neither rotated out nor expired.
pub fn refresh_token(record: &RefreshTokenRecord, now: Timestamp) -> Value {
    if record.consumed_at.is_some() || now >= record.expires_at {
        return inactive();
    }
    json!({
        "active": true,
        "scope": record.scope,
        "client_id": record.application_id.as_str(),
        "sub": record.user_id.as_str(),
        "aud": record.application_id.as_str(),
        "iat": record.issued_at.0,
        "exp": record.expires_at.0,
        "token_type": "refresh_token",
    })
}

/// A stored opaque access token (for userinfo): active until it expires.
pub fn opaque_access_token(record: &AccessTokenRecord, now: Timestamp) -> Value {
    if now >= record.expires_at {
        return inactive();
    }
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    out.insert("scope".into(), json!(record.scope));
    out.insert("client_id".into(), json!(record.application_id.as_str()));
    if let Some(u) = &record.user_id {
        out.insert("sub".into(), json!(u.as_str()));
    }
    out.insert("aud".into(), json!(record.application_id.as_str()));
    out.insert("iat".into(), json!(record.issued_at.0));
    out.insert("exp".into(), json!(record.expires_at.0));
    out.insert("token_type".into(), json!("Bearer"));
    Value::Object(out)
}

/// An RFC 9068 JWT access token whose signature already verified: active when it is an
/// `at+jwt` from `issuer` that has not expired (RFC 9068 §4); `aud` is its resource.
pub fn jwt_access_token(claims: &Map<String, Value>, typ: Option<&str>, issuer: &str, now: Timestamp) -> Value {
    // The same liveness rule as every access token shown to Latch (`bearer.rs`).
    if crate::bearer::live_access_token(claims, typ, issuer, now).is_err() {
        return inactive();
    }
    let mut out = Map::new();
    out.insert("active".into(), json!(true));
    for k in ["scope", "client_id", "sub", "aud", "iat", "exp", "iss", "jti"] {
        if let Some(v) = claims.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    out.insert("token_type".into(), json!("Bearer"));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use latch_domain::ids::{ApplicationId, GrantId, UserId};

    #[test]
    fn stored_tokens_are_active_until_expired_or_rotated_out() {
        let refresh = |consumed: Option<i64>| RefreshTokenRecord {
            token_hash: "h".into(),
            grant_id: GrantId::from("g"),
            application_id: ApplicationId::from("c1"),
            user_id: UserId::from("u1"),
            family: "f".into(),
            scope: "openid offline_access".into(),
            resources: Default::default(),
            auth_time: Timestamp(1),
            amr: vec!["pwd".into()],
            issued_at: Timestamp(10),
            expires_at: Timestamp(100),
            consumed_at: consumed.map(Timestamp),
        };
        let live = refresh_token(&refresh(None), Timestamp(50));
        assert_eq!(live["active"], true);
        assert_eq!(live["token_type"], "refresh_token");
        assert_eq!(live["sub"], "u1");
        assert_eq!(live["client_id"], "c1");
        assert_eq!(live["exp"], 100);
        assert_eq!(refresh_token(&refresh(Some(20)), Timestamp(50)), inactive(), "rotated out");
        assert_eq!(refresh_token(&refresh(None), Timestamp(100)), inactive(), "expired");
        let at = AccessTokenRecord {
            token_hash: "a".into(),
            application_id: ApplicationId::from("c1"),
            user_id: Some(UserId::from("u1")),
            grant_id: None,
            family: None,
            scope: "openid email".into(),
            issued_at: Timestamp(10),
            expires_at: Timestamp(70),
        };
        let live = opaque_access_token(&at, Timestamp(69));
        assert_eq!(live["scope"], "openid email");
        assert_eq!(live["token_type"], "Bearer");
        assert_eq!(opaque_access_token(&at, Timestamp(70)), inactive());
    }

    #[test]
    fn jwt_access_tokens_need_type_issuer_and_time() {
        let claims: Map<String, Value> = serde_json::from_value(json!({
            "iss": "https://id/oidc", "aud": "https://api", "sub": "u1", "client_id": "c1",
            "scope": "read", "iat": 10, "exp": 70, "jti": "j"
        }))
        .unwrap_or_default();
        let live = jwt_access_token(&claims, Some("at+jwt"), "https://id/oidc", Timestamp(20));
        assert_eq!(live["active"], true);
        assert_eq!(live["aud"], "https://api");
        assert_eq!(live["scope"], "read");
        let cases = [
            ("an ID token", Some("JWT"), "https://id/oidc", 20),
            ("no typ", None, "https://id/oidc", 20),
            ("another issuer", Some("at+jwt"), "https://other/oidc", 20),
            ("expired", Some("at+jwt"), "https://id/oidc", 70),
        ];
        for (name, typ, issuer, now) in cases {
            assert_eq!(jwt_access_token(&claims, typ, issuer, Timestamp(now)), inactive(), "{name}");
        }
    }

    #[test]
    fn only_the_tokens_own_client_or_a_resource_server_learns_about_it() {
        let active = json!({"active": true, "client_id": "c1", "sub": "u1", "scope": "read"});
        let cases = [
            ("its own client", active.clone(), "c1", false, active.clone()),
            ("another client", active.clone(), "c2", false, inactive()),
            ("a designated resource server", active.clone(), "rs", true, active.clone()),
            ("inactive stays inactive", inactive(), "c1", true, inactive()),
            ("no client id: only a resource server", json!({"active": true}), "c1", false, inactive()),
        ];
        for (name, answer, caller, rs, expected) in cases {
            assert_eq!(for_caller(answer, caller, rs), expected, "{name}");
        }
    }
}

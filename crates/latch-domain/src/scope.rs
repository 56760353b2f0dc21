//! The catalogue of OIDC user scopes and the claims each releases (DESIGN.md "Scopes and claims").

pub const OPENID: &str = "openid";
pub const OFFLINE_ACCESS: &str = "offline_access";
pub const ORGANIZATIONS: &str = "urn:latch:scope:organizations";
pub const ORGANIZATION_ROLES: &str = "urn:latch:scope:organization_roles";

/// Every user scope Latch knows, with the claims it releases.
pub const USER_SCOPES: &[(&str, &[&str])] = &[
    (OPENID, &["sub"]),
    (OFFLINE_ACCESS, &[]),
    (
        "profile",
        &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("phone", &["phone_number", "phone_number_verified"]),
    ("address", &["address"]),
    ("custom_data", &["custom_data"]),
    ("identities", &["identities"]),
    ("roles", &["roles"]),
    (ORGANIZATIONS, &["organizations"]),
    (ORGANIZATION_ROLES, &["organization_roles"]),
];

pub fn is_user_scope(scope: &str) -> bool {
    USER_SCOPES.iter().any(|(s, _)| *s == scope)
}

/// The claims a user scope releases; empty for unknown scopes.
pub fn claims_of(scope: &str) -> &'static [&'static str] {
    USER_SCOPES.iter().find(|(s, _)| *s == scope).map(|(_, c)| *c).unwrap_or(&[])
}

/// Every claim name Latch can release (for discovery's `claims_supported`).
pub fn all_claims() -> Vec<&'static str> {
    let mut out: Vec<&str> = vec!["iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "acr", "amr"];
    for (_, claims) in USER_SCOPES {
        for c in *claims {
            if !out.contains(c) {
                out.push(c);
            }
        }
    }
    out
}

/// Standard claims (OpenID Connect Core §5.1) a user's free-form `profile` may hold: the
/// `profile` scope's claims that have no column of their own, and `address` (an object).
pub fn is_profile_claim(key: &str) -> bool {
    const COLUMNS: &[&str] = &["name", "picture", "updated_at"];
    key == "address" || (claims_of("profile").contains(&key) && !COLUMNS.contains(&key))
}

/// Splits a space-delimited scope string (RFC 6749 §3.3) into its distinct tokens, in order.
pub fn split(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// RFC 6749 §3.3 scope-token syntax: `%x21 / %x23-5B / %x5D-7E`.
pub fn is_valid_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// A user scope as the end user reads it on the consent screen, in `lang` (`en` or `fr`;
/// anything else reads English). `None` for `openid`, which needs no words, and unknown scopes.
pub fn wording(scope: &str, lang: &str) -> Option<&'static str> {
    let lang = if lang == "fr" { "fr" } else { "en" };
    Some(match (lang, scope) {
        (_, OPENID) => return None,
        ("en", "profile") => "Your name, username and profile picture",
        ("en", "email") => "Your email address",
        ("en", "phone") => "Your phone number",
        ("en", "address") => "Your postal address",
        ("en", "custom_data") => "Additional data stored on your account",
        ("en", "identities") => "The accounts linked to your sign-in",
        ("en", "roles") => "Your roles",
        ("en", OFFLINE_ACCESS) => "Keep access while you are away",
        ("en", ORGANIZATIONS) => "The organizations you share with it",
        ("en", ORGANIZATION_ROLES) => "Your roles in those organizations",
        ("fr", "profile") => "Votre nom, identifiant et photo de profil",
        ("fr", "email") => "Votre adresse e-mail",
        ("fr", "phone") => "Votre numéro de téléphone",
        ("fr", "address") => "Votre adresse postale",
        ("fr", "custom_data") => "Les données supplémentaires de votre compte",
        ("fr", "identities") => "Les comptes liés à votre connexion",
        ("fr", "roles") => "Vos rôles",
        ("fr", OFFLINE_ACCESS) => "Garder l’accès en votre absence",
        ("fr", ORGANIZATIONS) => "Les organisations que vous partagez avec elle",
        ("fr", ORGANIZATION_ROLES) => "Vos rôles dans ces organisations",
        _ => return None,
    })
}

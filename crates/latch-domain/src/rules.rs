//! The rules every stored object obeys, whoever writes it: the admin API, `latch import`, the
//! bootstrap or the CLI. `latch-core` checks each write of a unit of work against them before it
//! commits anything ([`Write::check`]), so no path can store what another would refuse; the
//! writers call the same functions first to report a problem in their own words.
//!
//! A [`Violation`] names the field as the admin API spells it (camelCase, with list indexes), a
//! stable code, and a sentence.

use crate::entities::*;
use crate::fields::{self, FieldError};
use crate::redirect;
use crate::repo::Write;

/// Most redirect (or post sign-out redirect) URIs an application may register.
pub const MAX_URIS: usize = 50;
/// Longest application description.
pub const MAX_APP_DESCRIPTION: usize = 2048;
/// Longest role, organization or organization-role name.
pub const MAX_NAME: usize = 128;
/// Longest description of a role, an organization or an organization role.
pub const MAX_DESCRIPTION: usize = 2048;
/// Longest description of a scope (API resource or organization).
pub const MAX_SCOPE_DESCRIPTION: usize = 512;
/// Longest scope name.
pub const MAX_SCOPE_NAME: usize = 128;
/// Longest resource indicator (RFC 8707 §2).
pub const MAX_INDICATOR: usize = 2048;

/// A rule an object breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Violation {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl Violation {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Violation {
        Violation { field: field.into(), code, message: message.into() }
    }
}

type Verdict = Result<(), Violation>;

/// `request.empty` or `request.too_long`: the stable codes of a [`fields::text`] verdict.
pub fn text_code(e: &FieldError) -> &'static str {
    if *e == FieldError::Empty { "request.empty" } else { "request.too_long" }
}

/// A name: not blank, at most `max` characters.
pub fn name(field: &str, v: &str, max: usize) -> Verdict {
    fields::text(v, max).map_err(|e| Violation::new(field, text_code(&e), format!("{field} {e}")))
}

/// A description: at most `max` characters (it may be empty).
pub fn description(field: &str, v: &str, max: usize) -> Verdict {
    if v.chars().count() > max {
        return Err(Violation::new(field, "request.too_long", format!("{field} is longer than {max} characters")));
    }
    Ok(())
}

/// An application: its name, description, kind, URIs (DESIGN.md security rules, RFC 9700 §2.1)
/// and settings.
pub fn application(app: &Application) -> Verdict {
    name("name", &app.name, fields::MAX_DISPLAY_NAME)?;
    if let Some(d) = &app.description {
        description("description", d, MAX_APP_DESCRIPTION)?;
    }
    if app.is_third_party && app.app_type == AppType::MachineToMachine {
        return Err(Violation::new(
            "isThirdParty",
            "application.third_party_m2m",
            "third-party applications are Traditional, SPA or Native",
        ));
    }
    for (field, uris) in
        [("redirectUris", &app.redirect_uris), ("postLogoutRedirectUris", &app.post_logout_redirect_uris)]
    {
        if uris.len() > MAX_URIS {
            return Err(Violation::new(
                format!("oidcClientMetadata.{field}"),
                "application.too_many_uris",
                format!("at most {MAX_URIS} URIs"),
            ));
        }
        for (i, uri) in uris.iter().enumerate() {
            redirect::validate_registered(app.app_type, uri).map_err(|e| {
                Violation::new(
                    format!("oidcClientMetadata.{field}[{i}]"),
                    "application.invalid_redirect_uri",
                    e.to_string(),
                )
            })?;
        }
    }
    if app.custom.device_flow == Some(true) && app.app_type != AppType::Native {
        return Err(Violation::new(
            "customClientMetadata.deviceFlow",
            "application.device_flow_native_only",
            "only Native applications may use the device flow",
        ));
    }
    custom_metadata(&app.custom)
}

/// An origin as browsers send it (`https://app.example.com`, no path): a CORS allowed origin.
pub fn is_web_origin(v: &str) -> bool {
    url::Url::parse(v).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.origin().ascii_serialization() == v
    })
}

fn custom_metadata(custom: &CustomClientMetadata) -> Verdict {
    for (i, origin) in custom.cors_allowed_origins.iter().enumerate() {
        if !is_web_origin(origin) {
            return Err(Violation::new(
                format!("customClientMetadata.corsAllowedOrigins[{i}]"),
                "application.invalid_origin",
                format!("`{origin}` is not an origin like https://app.example.com"),
            ));
        }
    }
    let range = |field: &str, v: Option<i64>, min: i64, max: i64| match v {
        Some(n) if !(min..=max).contains(&n) => Err(Violation::new(
            format!("customClientMetadata.{field}"),
            "application.out_of_range",
            format!("{field} must be between {min} and {max}"),
        )),
        _ => Ok(()),
    };
    range("idTokenTtl", custom.id_token_ttl, 60, 86_400)?;
    range("refreshTokenTtlInDays", custom.refresh_token_ttl_in_days, 1, 365)?;
    if let Some(alg) = &custom.id_token_signed_response_alg
        && !SIGNING_ALGS.contains(&alg.as_str())
    {
        return Err(Violation::new(
            "customClientMetadata.idTokenSignedResponseAlg",
            "application.unsupported_alg",
            "idTokenSignedResponseAlg must be RS256 or ES256",
        ));
    }
    Ok(())
}

/// A user: identifiers, name, avatar and standard profile claims (`crate::fields`).
pub fn user(u: &User) -> Verdict {
    let rule =
        |field: &'static str, code: &'static str| move |e: FieldError| Violation::new(field, code, e.to_string());
    if let Some(v) = &u.username {
        fields::username(v).map_err(rule("username", "user.invalid_username"))?;
    }
    if let Some(v) = &u.primary_email {
        fields::email(v).map_err(rule("primaryEmail", "user.invalid_email"))?;
    }
    if let Some(v) = &u.primary_phone {
        fields::phone(v).map_err(rule("primaryPhone", "user.invalid_phone"))?;
    }
    if let Some(v) = &u.avatar {
        fields::web_url(v).map_err(rule("avatar", "user.invalid_avatar"))?;
    }
    if let Some(v) = &u.name {
        fields::display_name(v).map_err(|e| Violation::new("name", text_code(&e), format!("name {e}")))?;
    }
    if let Some((path, e)) = fields::profile(&u.profile).into_iter().next() {
        let code = if e == FieldError::UnknownClaim { "user.unknown_claim" } else { "user.invalid_claim" };
        return Err(Violation::new(format!("profile.{path}"), code, e.to_string()));
    }
    Ok(())
}

/// An API resource: a name, an indicator that is an absolute URI without a fragment (RFC 8707
/// §2), an access-token lifetime of 60 s to a day, a signing algorithm Latch has keys for.
pub fn resource(r: &Resource) -> Verdict {
    name("name", &r.name, fields::MAX_DISPLAY_NAME)?;
    if !is_indicator(&r.indicator) {
        return Err(Violation::new(
            "indicator",
            "resource.invalid_indicator",
            "indicator must be an absolute URI without a fragment",
        ));
    }
    if !(60..=86_400).contains(&r.access_token_ttl) {
        return Err(Violation::new(
            "accessTokenTtl",
            "resource.out_of_range",
            "accessTokenTtl must be 60 to 86400 seconds",
        ));
    }
    if !SIGNING_ALGS.contains(&r.access_token_signing_alg.as_str()) {
        return Err(Violation::new(
            "accessTokenSigningAlg",
            "resource.unsupported_alg",
            "accessTokenSigningAlg must be RS256 or ES256",
        ));
    }
    Ok(())
}

/// RFC 8707 §2: an absolute URI without a fragment.
pub fn is_indicator(v: &str) -> bool {
    v.len() <= MAX_INDICATOR && !v.contains('#') && url::Url::parse(v).is_ok_and(|u| u.fragment().is_none())
}

/// A permission of an API resource: a scope token (RFC 6749 §3.3), never an OpenID Connect
/// user scope's name (both are requested by bare name), and a short description.
pub fn scope(s: &Scope) -> Verdict {
    scope_name(&s.name, "scope.invalid_name", "scope.reserved")?;
    description("description", &s.description, MAX_SCOPE_DESCRIPTION)
}

/// An organization scope: the same naming rules as an API resource scope.
pub fn organization_scope(s: &OrganizationScope) -> Verdict {
    scope_name(&s.name, "organization_scope.invalid_name", "organization_scope.reserved")?;
    description("description", &s.description, MAX_SCOPE_DESCRIPTION)
}

fn scope_name(v: &str, invalid: &'static str, reserved: &'static str) -> Verdict {
    if v.len() > MAX_SCOPE_NAME || !crate::scope::is_valid_token(v) {
        return Err(Violation::new(
            "name",
            invalid,
            "a scope name is 1 to 128 printable characters without spaces, quotes or backslashes (RFC 6749 §3.3)",
        ));
    }
    if crate::scope::is_user_scope(v) {
        return Err(Violation::new("name", reserved, "this name is an OpenID Connect user scope"));
    }
    Ok(())
}

pub fn role(r: &Role) -> Verdict {
    name("name", &r.name, MAX_NAME)?;
    description("description", &r.description, MAX_DESCRIPTION)
}

pub fn organization(o: &Organization) -> Verdict {
    name("name", &o.name, MAX_NAME)?;
    description("description", o.description.as_deref().unwrap_or(""), MAX_DESCRIPTION)
}

pub fn organization_role(r: &OrganizationRole) -> Verdict {
    name("name", &r.name, MAX_NAME)?;
    description("description", &r.description, MAX_DESCRIPTION)
}

pub fn branding(b: &Branding) -> Verdict {
    b.validate().map_err(|e| Violation::new(e.field, e.code, e.message))
}

/// The page colours the accent colours must stand out from, as `latch.css` paints them: the
/// card and the text on accent buttons, in the light and the dark scheme.
pub const LIGHT_CARD: &str = "#ffffff";
pub const DARK_CARD: &str = "#1f2125";
pub const DARK_ON_ACCENT: &str = "#141517";
/// WCAG 2.2 SC 1.4.3: 4.5:1 for text (the accent colours links and button labels).
const MIN_CONTRAST: f64 = 4.5;
/// The most custom CSS a sign-in experience carries (bytes).
pub const MAX_CUSTOM_CSS: usize = 32 * 1024;

/// The identity provider's branding: a name, https URLs, accent colours that keep text
/// readable in their scheme (refused below 4.5:1, with the ratio), and bounded custom CSS.
pub fn idp_branding(b: &IdpBranding) -> Verdict {
    if let Some(n) = &b.organization_name {
        fields::display_name(n).map_err(|e| Violation::new("organizationName", "request.invalid", e.to_string()))?;
    }
    for (field, v) in [("logoUrl", &b.logo_url), ("darkLogoUrl", &b.dark_logo_url), ("faviconUrl", &b.favicon_url)] {
        if let Some(v) = v {
            fields::web_url(v).map_err(|e| Violation::new(field, "branding.invalid_url", e.to_string()))?;
        }
    }
    // Light pages put white text on the accent and the accent on white; dark pages the accent
    // on the dark card, and dark text on the accent (always the darker of the two).
    for (field, v, page, other) in [
        ("accentColor", &b.accent_color, LIGHT_CARD, "white"),
        ("darkAccentColor", &b.dark_accent_color, DARK_CARD, "the dark card"),
    ] {
        let Some(c) = v else { continue };
        fields::color(c).map_err(|e| Violation::new(field, "branding.invalid_color", e.to_string()))?;
        let ratio = fields::contrast_ratio(c, page).unwrap_or(0.0);
        let ratio = if field == "darkAccentColor" {
            ratio.min(fields::contrast_ratio(c, DARK_ON_ACCENT).unwrap_or(0.0))
        } else {
            ratio
        };
        if ratio < MIN_CONTRAST {
            return Err(Violation::new(
                field,
                "branding.low_contrast",
                format!(
                    "{c} has a contrast of {:.2}:1 with {other} ({page}); text needs {MIN_CONTRAST}:1 (WCAG 2.2 SC 1.4.3)",
                    (ratio * 100.0).floor() / 100.0
                ),
            ));
        }
    }
    if let Some(css) = &b.custom_css
        && css.len() > MAX_CUSTOM_CSS
    {
        return Err(Violation::new(
            "customCss",
            "request.too_long",
            format!("customCss is {} bytes; at most {MAX_CUSTOM_CSS}", css.len()),
        ));
    }
    Ok(())
}

/// Most hosts a registration policy may list.
pub const MAX_REDIRECT_HOSTS: usize = 100;

/// A registration policy: public or confidential web app types only (machine-to-machine
/// clients are never self-registered), hosts written as `host` or `*.host`, and a rate limit
/// between 1 and 10,000 registrations per address per hour. (That no permission names the
/// admin API's scopes is checked where the scopes are known, in `latch-core`.)
pub fn registration_policy(p: &RegistrationPolicy) -> Verdict {
    if p.enabled && p.app_types.is_empty() {
        return Err(Violation::new(
            "appTypes",
            "registration.no_app_type",
            "open registration needs at least one app type",
        ));
    }
    if p.app_types.contains(&AppType::MachineToMachine) {
        return Err(Violation::new(
            "appTypes",
            "registration.machine_to_machine",
            "machine-to-machine apps hold admin-granted roles and are never self-registered",
        ));
    }
    if p.redirect_hosts.len() > MAX_REDIRECT_HOSTS {
        return Err(Violation::new("redirectHosts", "request.too_long", format!("at most {MAX_REDIRECT_HOSTS} hosts")));
    }
    for (i, h) in p.redirect_hosts.iter().enumerate() {
        let name = h.strip_prefix("*.").unwrap_or(h);
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if name.len() > 253
            || !name.contains('.')
            || name != name.to_ascii_lowercase()
            || !name.split('.').all(label_ok)
        {
            return Err(Violation::new(
                format!("redirectHosts[{i}]"),
                "registration.invalid_host",
                format!("`{h}` is not a lowercase host name like app.example.com or *.example.com"),
            ));
        }
    }
    if !(1..=10_000).contains(&p.registrations_per_hour) {
        return Err(Violation::new(
            "registrationsPerHour",
            "request.out_of_range",
            format!("between 1 and 10000; got {}", p.registrations_per_hour),
        ));
    }
    Ok(())
}

impl Write {
    /// Whether the object this write stores obeys its rules; writes that store no new field
    /// values (links, deletions, keys, audit entries) always do.
    pub fn check(&self) -> Verdict {
        match self {
            Write::InsertApplication(a) | Write::UpdateApplication(a) => application(a),
            Write::InsertUser(u) | Write::UpdateUser(u) => user(u),
            Write::InsertResource(r) | Write::UpdateResource(r) => resource(r),
            Write::InsertScope(s) | Write::UpdateScope(s) => scope(s),
            Write::InsertRole(r) | Write::UpdateRole(r) => role(r),
            Write::InsertOrganization(o) | Write::UpdateOrganization(o) => organization(o),
            Write::InsertOrganizationScope(s) | Write::UpdateOrganizationScope(s) => organization_scope(s),
            Write::InsertOrganizationRole(r) | Write::UpdateOrganizationRole(r) => organization_role(r),
            Write::PutBranding(b) => branding(b),
            Write::PutIdpBranding(b) => idp_branding(b),
            Write::PutRegistrationPolicy(p) => registration_policy(p),
            Write::InsertInitialAccessToken(t) => name("name", &t.name, MAX_NAME),
            Write::InsertFactor(f) => name("name", &f.name, MAX_NAME),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::ids::*;

    fn app(edit: impl FnOnce(&mut Application)) -> Application {
        let mut a = Application {
            id: ApplicationId::from("app"),
            name: "Partner tool".to_owned(),
            description: None,
            app_type: AppType::Spa,
            is_third_party: true,
            redirect_uris: vec!["https://partner.example/cb".to_owned()],
            post_logout_redirect_uris: Vec::new(),
            custom: CustomClientMetadata::default(),
            created_at: Timestamp(0),
        };
        edit(&mut a);
        a
    }

    fn user(edit: impl FnOnce(&mut User)) -> User {
        let mut u = User {
            id: UserId::from("u"),
            username: Some("ada".to_owned()),
            primary_email: None,
            primary_phone: None,
            name: None,
            avatar: None,
            profile: serde_json::Map::new(),
            custom_data: serde_json::json!({}),
            password_hash: None,
            email_verified: false,
            phone_verified: false,
            is_suspended: false,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        edit(&mut u);
        u
    }

    fn scope(name: &str) -> Scope {
        Scope {
            id: ScopeId::from("s"),
            resource_id: ResourceId::from("r"),
            name: name.to_owned(),
            description: String::new(),
        }
    }

    /// The field and code of a broken rule.
    type Broken = Option<(&'static str, &'static str)>;

    /// Each write and the field and code of the rule it breaks (`None`: it obeys every rule).
    #[test]
    fn writes_are_checked_against_the_rules_of_what_they_store() {
        let long = "x".repeat(3000);
        let cases: Vec<(&str, Write, Broken)> = vec![
            ("a valid app", Write::InsertApplication(app(|_| {})), None),
            ("a blank name", Write::UpdateApplication(app(|a| a.name = "  ".into())), Some(("name", "request.empty"))),
            (
                "a long description",
                Write::InsertApplication(app(|a| a.description = Some(long.clone()))),
                Some(("description", "request.too_long")),
            ),
            (
                "a third-party machine",
                Write::InsertApplication(app(|a| {
                    a.app_type = AppType::MachineToMachine;
                    a.redirect_uris.clear();
                })),
                Some(("isThirdParty", "application.third_party_m2m")),
            ),
            (
                "the device flow on a web app",
                Write::InsertApplication(app(|a| {
                    a.app_type = AppType::Traditional;
                    a.custom.device_flow = Some(true);
                })),
                Some(("customClientMetadata.deviceFlow", "application.device_flow_native_only")),
            ),
            (
                "the device flow on a native app",
                Write::InsertApplication(app(|a| {
                    a.app_type = AppType::Native;
                    a.redirect_uris = vec!["http://127.0.0.1/callback".into()];
                    a.custom.device_flow = Some(true);
                })),
                None,
            ),
            (
                "a javascript: redirect URI",
                Write::InsertApplication(app(|a| a.redirect_uris.push("javascript:alert(1)".into()))),
                Some(("oidcClientMetadata.redirectUris[1]", "application.invalid_redirect_uri")),
            ),
            (
                "too many URIs",
                Write::InsertApplication(app(|a| {
                    a.post_logout_redirect_uris = (0..51).map(|i| format!("https://p.example/{i}")).collect()
                })),
                Some(("oidcClientMetadata.postLogoutRedirectUris", "application.too_many_uris")),
            ),
            (
                "an origin with a path",
                Write::InsertApplication(app(|a| a.custom.cors_allowed_origins = vec!["https://a.example/x".into()])),
                Some(("customClientMetadata.corsAllowedOrigins[0]", "application.invalid_origin")),
            ),
            (
                "a ten-second ID token",
                Write::InsertApplication(app(|a| a.custom.id_token_ttl = Some(10))),
                Some(("customClientMetadata.idTokenTtl", "application.out_of_range")),
            ),
            (
                "alg none",
                Write::InsertApplication(app(|a| a.custom.id_token_signed_response_alg = Some("none".into()))),
                Some(("customClientMetadata.idTokenSignedResponseAlg", "application.unsupported_alg")),
            ),
            ("a valid user", Write::InsertUser(user(|_| {})), None),
            (
                "a username like an email",
                Write::InsertUser(user(|u| u.username = Some("a@b.example".into()))),
                Some(("username", "user.invalid_username")),
            ),
            (
                "a bad email",
                Write::UpdateUser(user(|u| u.primary_email = Some("nope".into()))),
                Some(("primaryEmail", "user.invalid_email")),
            ),
            (
                "a local phone number",
                Write::InsertUser(user(|u| u.primary_phone = Some("0612345678".into()))),
                Some(("primaryPhone", "user.invalid_phone")),
            ),
            (
                "a data: avatar",
                Write::InsertUser(user(|u| u.avatar = Some("data:image/png;base64,AA".into()))),
                Some(("avatar", "user.invalid_avatar")),
            ),
            (
                "an unknown claim",
                Write::InsertUser(user(|u| {
                    u.profile.insert("shoe_size".into(), serde_json::json!(44));
                })),
                Some(("profile.shoe_size", "user.unknown_claim")),
            ),
            ("a resource scope", Write::InsertScope(scope("read:reports")), None),
            ("a scope with a space", Write::InsertScope(scope("read reports")), Some(("name", "scope.invalid_name"))),
            ("a scope named email", Write::UpdateScope(scope("email")), Some(("name", "scope.reserved"))),
            (
                "a resource with a fragment",
                Write::InsertResource(Resource {
                    id: ResourceId::from("r"),
                    name: "Reports".into(),
                    indicator: "https://api.example/#x".into(),
                    access_token_ttl: 3600,
                    access_token_signing_alg: "RS256".into(),
                    created_at: Timestamp(0),
                }),
                Some(("indicator", "resource.invalid_indicator")),
            ),
            (
                "a resource signed with ES256",
                Write::InsertResource(Resource {
                    id: ResourceId::from("r"),
                    name: "Reports".into(),
                    indicator: "https://api.example/".into(),
                    access_token_ttl: 3600,
                    access_token_signing_alg: "ES256".into(),
                    created_at: Timestamp(0),
                }),
                None,
            ),
            (
                "a resource signed with HS256",
                Write::UpdateResource(Resource {
                    id: ResourceId::from("r"),
                    name: "Reports".into(),
                    indicator: "https://api.example/".into(),
                    access_token_ttl: 3600,
                    access_token_signing_alg: "HS256".into(),
                    created_at: Timestamp(0),
                }),
                Some(("accessTokenSigningAlg", "resource.unsupported_alg")),
            ),
            (
                "a branding with a javascript: logo",
                Write::PutBranding(Branding {
                    application_id: ApplicationId::from("app"),
                    logo_url: Some("javascript:alert(1)".into()),
                    ..Branding::default()
                }),
                Some(("logoUrl", "branding.invalid_url")),
            ),
            (
                "the dark-mode accent of old (#748ffc under white text is 2.96:1) as a light accent",
                Write::PutIdpBranding(IdpBranding { accent_color: Some("#748ffc".into()), ..IdpBranding::default() }),
                Some(("accentColor", "branding.low_contrast")),
            ),
            (
                "the default accents",
                Write::PutIdpBranding(IdpBranding {
                    accent_color: Some("#3b5bdb".into()),
                    dark_accent_color: Some("#748ffc".into()),
                    ..IdpBranding::default()
                }),
                None,
            ),
            (
                "a dark accent too dark for the dark card",
                Write::PutIdpBranding(IdpBranding {
                    dark_accent_color: Some("#3b5bdb".into()),
                    ..IdpBranding::default()
                }),
                Some(("darkAccentColor", "branding.low_contrast")),
            ),
            (
                "an accent that is not a colour",
                Write::PutIdpBranding(IdpBranding { accent_color: Some("red".into()), ..IdpBranding::default() }),
                Some(("accentColor", "branding.invalid_color")),
            ),
            (
                "a javascript: favicon",
                Write::PutIdpBranding(IdpBranding {
                    favicon_url: Some("javascript:alert(1)".into()),
                    ..IdpBranding::default()
                }),
                Some(("faviconUrl", "branding.invalid_url")),
            ),
            (
                "too much CSS",
                Write::PutIdpBranding(IdpBranding { custom_css: Some("a{}".repeat(20_000)), ..IdpBranding::default() }),
                Some(("customCss", "request.too_long")),
            ),
            ("a deletion", Write::DeleteUser(UserId::from("u")), None),
        ];
        for (what, write, expected) in cases {
            let got = write.check().err().map(|v| (v.field, v.code));
            assert_eq!(got, expected.map(|(f, c)| (f.to_owned(), c)), "{what}");
        }
    }

    #[test]
    fn registration_policy_rules() {
        let ok = RegistrationPolicy { enabled: true, ..RegistrationPolicy::default() };
        assert_eq!(registration_policy(&ok), Ok(()));
        let cases: Vec<(RegistrationPolicy, &str)> = vec![
            (RegistrationPolicy { app_types: vec![], ..ok.clone() }, "registration.no_app_type"),
            (
                RegistrationPolicy { app_types: vec![AppType::MachineToMachine], ..ok.clone() },
                "registration.machine_to_machine",
            ),
            (
                RegistrationPolicy { redirect_hosts: vec!["https://a.example".into()], ..ok.clone() },
                "registration.invalid_host",
            ),
            (
                RegistrationPolicy { redirect_hosts: vec!["localhost".into()], ..ok.clone() },
                "registration.invalid_host",
            ),
            (
                RegistrationPolicy { redirect_hosts: vec!["App.Example.com".into()], ..ok.clone() },
                "registration.invalid_host",
            ),
            (
                RegistrationPolicy { redirect_hosts: vec!["*.*.example.com".into()], ..ok.clone() },
                "registration.invalid_host",
            ),
            (RegistrationPolicy { registrations_per_hour: 0, ..ok.clone() }, "request.out_of_range"),
        ];
        for (p, code) in cases {
            assert_eq!(registration_policy(&p).map_err(|v| v.code), Err(code), "{p:?}");
        }
        let hosts =
            RegistrationPolicy { redirect_hosts: vec!["*.partners.example".into(), "tool.example".into()], ..ok };
        assert_eq!(registration_policy(&hosts), Ok(()));
        let off = RegistrationPolicy { app_types: vec![], ..RegistrationPolicy::default() };
        assert_eq!(registration_policy(&off), Ok(()), "a policy that is off may name no app type");
    }
}

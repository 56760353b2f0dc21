//! Consent decisions (DESIGN.md "Scopes and claims", "Third-party app rules"): which requested
//! scopes an application may have, which the user actually holds (RBAC), which need the
//! consent screen, and what the grant covers after the user decides.

use crate::authorize::AuthRequest;
use crate::error::OAuthError;
use latch_domain::entities::GrantDetails;
use latch_domain::ids::OrganizationId;
use latch_domain::{Timestamp, admin, scope};
use std::collections::BTreeMap;

/// What the application is allowed to ask for (its "permissions"), resolved to names.
/// `None` for first-party applications, which may ask for anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permitted {
    /// User scope name → required.
    pub user: BTreeMap<String, bool>,
    /// Resource indicator → (scope name → required).
    pub resource: BTreeMap<String, BTreeMap<String, bool>>,
    /// Organization scope name → required.
    pub organization: BTreeMap<String, bool>,
    /// Resource indicator → (scope name → required), for scopes the user holds through
    /// organization roles (they reach organization tokens only).
    pub organization_resource: BTreeMap<String, BTreeMap<String, bool>>,
}

/// What the user holds through roles (RBAC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Resource indicator → scope names held through global roles.
    pub resource: BTreeMap<String, Vec<String>>,
    /// Organization scope names held through organization roles in at least one organization.
    pub organization: Vec<String>,
    /// Resource indicator → scope names held through organization roles in at least one
    /// organization.
    pub organization_resource: BTreeMap<String, Vec<String>>,
}

/// One line of the consent screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    /// Optional items may be unticked by the user (granular consent).
    pub required: bool,
    /// What identifies the item in the user's choice: the bare name for user scopes, the
    /// (kind, resource, name) triple for the others, so `read` of one API is never `read` of
    /// another (DESIGN.md "Scopes are per resource").
    pub key: String,
}

/// The choice key of a resource scope.
pub fn resource_key(indicator: &str, name: &str) -> String {
    format!("resource {indicator} {name}")
}

/// The choice key of an organization scope.
pub fn organization_key(name: &str) -> String {
    format!("organization {name}")
}

/// The choice key of an organization-resource scope.
pub fn organization_resource_key(indicator: &str, name: &str) -> String {
    format!("organization-resource {indicator} {name}")
}

/// What this request may obtain: requested ∩ permitted ∩ held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// User scopes (`openid`, `email`, … and the organization markers).
    pub user: Vec<Item>,
    /// Resource indicator → its scopes.
    pub resource: BTreeMap<String, Vec<Item>>,
    /// Organization scopes.
    pub organization: Vec<Item>,
    /// Resource indicator → its scopes held through organization roles.
    pub organization_resource: BTreeMap<String, Vec<Item>>,
}

/// Scopes that need no permission: `openid` (identity) and `offline_access` (DESIGN.md:
/// always permitted; the screen says the app keeps access).
fn always_permitted(s: &str) -> bool {
    s == scope::OPENID || s == scope::OFFLINE_ACCESS
}

/// Whether a scope named in `permitted` (or anything, for a first-party app) may be asked for,
/// and if so whether it is required.
fn allowed(permitted: Option<&BTreeMap<String, bool>>, first_party: bool, name: &str) -> Option<bool> {
    if first_party { Some(true) } else { permitted.and_then(|m| m.get(name)).copied() }
}

/// Works out what `request` may obtain. A user scope a third-party app is not permitted is an
/// `invalid_scope` error; resource and organization scopes it is not permitted, or the user
/// does not hold, are dropped silently. Scopes are matched per resource: a name permitted or
/// held for one API says nothing about another. The admin API is never part of the plan of
/// another app than the console.
pub fn plan(request: &AuthRequest, permitted: Option<&Permitted>, held: &Held) -> Result<Plan, OAuthError> {
    let mut out = Plan::default();
    let wants_orgs = request.scopes.iter().any(|s| s == scope::ORGANIZATIONS);
    let first_party = permitted.is_none();
    let resources: Vec<&String> = request
        .resources
        .iter()
        .filter(|r| !admin::is_admin_resource(r) || admin::may_request_admin_resource(request.client_id.as_str()))
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for s in &request.scopes {
        if seen.contains(&s.as_str()) {
            continue;
        }
        seen.push(s);
        if scope::is_user_scope(s) {
            let required = match permitted {
                None => true,
                Some(_) if always_permitted(s) => true,
                Some(p) => *p.user.get(s).ok_or_else(|| {
                    OAuthError::invalid_scope(format!("this application is not permitted to ask for `{s}`"))
                })?,
            };
            out.user.push(Item { name: s.clone(), required, key: s.clone() });
            continue;
        }
        for indicator in &resources {
            let indicator: &str = indicator;
            // A resource scope: held through global roles and permitted for this resource.
            let holds = held.resource.get(indicator).is_some_and(|names| names.contains(s));
            if let (true, Some(required)) =
                (holds, allowed(permitted.and_then(|p| p.resource.get(indicator)), first_party, s))
            {
                let item = Item { name: s.clone(), required, key: resource_key(indicator, s) };
                out.resource.entry(indicator.to_owned()).or_default().push(item);
            }
            // The same resource's scope held through organization roles, when organizations
            // are asked for.
            let org_holds = held.organization_resource.get(indicator).is_some_and(|names| names.contains(s));
            let org_allowed = allowed(permitted.and_then(|p| p.organization_resource.get(indicator)), first_party, s);
            if let (true, true, Some(required)) = (wants_orgs, org_holds, org_allowed) {
                let item = Item { name: s.clone(), required, key: organization_resource_key(indicator, s) };
                out.organization_resource.entry(indicator.to_owned()).or_default().push(item);
            }
        }
        // An organization scope, when organizations are asked for.
        if wants_orgs
            && held.organization.contains(s)
            && let Some(required) = allowed(permitted.map(|p| &p.organization), first_party, s)
        {
            out.organization.push(Item { name: s.clone(), required, key: organization_key(s) });
        }
    }
    Ok(out)
}

type Group = BTreeMap<String, Vec<Item>>;

/// The items of `group` that `keep(indicator, item)` accepts; resources left empty are dropped.
fn filter_group(group: &Group, keep: impl Fn(&str, &Item) -> bool) -> Group {
    group
        .iter()
        .map(|(ind, items)| (ind.clone(), items.iter().filter(|i| keep(ind, i)).cloned().collect::<Vec<_>>()))
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

fn in_map(map: &BTreeMap<String, Vec<String>>, indicator: &str, name: &str) -> bool {
    map.get(indicator).is_some_and(|g| g.iter().any(|n| n == name))
}

impl Plan {
    /// User scope names of the plan (what an ID token and userinfo release).
    pub fn user_names(&self) -> Vec<String> {
        self.user.iter().map(|i| i.name.clone()).collect()
    }

    /// Organization scope names of the plan.
    pub fn organization_names(&self) -> Vec<String> {
        self.organization.iter().map(|i| i.name.clone()).collect()
    }

    /// Resource indicator → scope names of the plan.
    pub fn resource_names(&self) -> BTreeMap<String, Vec<String>> {
        self.resource.iter().map(|(ind, items)| (ind.clone(), items.iter().map(|i| i.name.clone()).collect())).collect()
    }

    /// Whether `grant` holds `item` of this plan's group `kind`.
    fn granted(grant: &GrantDetails, kind: Kind, indicator: &str, item: &Item) -> bool {
        match kind {
            Kind::User => item.name == scope::OPENID || grant.scopes.contains(&item.name),
            Kind::Organization => grant.organization_scopes.contains(&item.name),
            Kind::Resource => in_map(&grant.resource_scopes, indicator, &item.name),
            Kind::OrganizationResource => in_map(&grant.organization_resource_scopes, indicator, &item.name),
        }
    }

    /// The plan with only the items `keep(kind, indicator, item)` accepts.
    fn retain(&self, keep: impl Fn(Kind, &str, &Item) -> bool) -> Plan {
        Plan {
            user: self.user.iter().filter(|i| keep(Kind::User, "", i)).cloned().collect(),
            organization: self.organization.iter().filter(|i| keep(Kind::Organization, "", i)).cloned().collect(),
            resource: filter_group(&self.resource, |ind, i| keep(Kind::Resource, ind, i)),
            organization_resource: filter_group(&self.organization_resource, |ind, i| {
                keep(Kind::OrganizationResource, ind, i)
            }),
        }
    }

    fn is_empty(&self) -> bool {
        self.user.is_empty()
            && self.organization.is_empty()
            && self.resource.is_empty()
            && self.organization_resource.is_empty()
    }

    /// True when every item of the plan is already in `grant` (so no screen is needed).
    pub fn covered_by(&self, grant: &GrantDetails) -> bool {
        self.missing(grant).is_empty()
    }

    /// The part of the plan `grant` covers (what a remembered consent yields).
    pub fn within(&self, grant: &GrantDetails) -> Plan {
        self.retain(|kind, ind, i| Self::granted(grant, kind, ind, i))
    }

    /// The items `grant` does not cover yet: what a later consent screen asks about (`openid`
    /// is never asked about: it only names the protocol).
    pub fn missing(&self, grant: &GrantDetails) -> Plan {
        self.retain(|kind, ind, i| !Self::granted(grant, kind, ind, i))
    }

    /// The plan after the user's choice: required items always, optional ones only if their
    /// key was ticked.
    pub fn chosen(&self, ticked: &[String]) -> Plan {
        self.retain(|_, _, i| i.required || ticked.contains(&i.key))
    }
}

/// The four groups of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    User,
    Resource,
    Organization,
    OrganizationResource,
}

/// A third-party app shows the consent screen the first time, whenever it asks for something
/// not granted yet, and on `prompt=consent`. First-party apps never do, except for a device:
/// a device authorization always shows it (RFC 8628 §5.4: a link to the verification page can
/// come from someone else, so the user always sees which app gets in, and as whom).
pub fn needs_consent(third_party: bool, request: &AuthRequest, plan: &Plan, granted: Option<&GrantDetails>) -> bool {
    request.device.is_some() || third_party && (request.prompt.consent || granted.is_none_or(|g| !plan.covered_by(g)))
}

fn add_names(list: &mut Vec<String>, items: &[Item]) {
    for i in items {
        if !list.contains(&i.name) {
            list.push(i.name.clone());
        }
    }
}

/// How stale a grant's last use may grow before an authorization records it again: the
/// connected-apps page shows the day, so an hour loses nothing anyone sees, and a signed-in
/// app that authorizes every minute writes its grant once an hour instead of every time.
pub const LAST_USE_RESOLUTION_SECS: i64 = 3600;

/// Whether an authorization must write the grant: when there is none yet, when what it covers
/// changed, or when its recorded last use is older than [`LAST_USE_RESOLUTION_SECS`].
pub fn grant_needs_saving(
    existing: Option<(&GrantDetails, Option<Timestamp>)>,
    merged: &GrantDetails,
    now: Timestamp,
) -> bool {
    match existing {
        None => true,
        Some((details, last_used)) => {
            details != merged || last_used.is_none_or(|t| now.0 - t.0 >= LAST_USE_RESOLUTION_SECS || t.0 > now.0)
        }
    }
}

/// The grant after the user approved `chosen`: what was there plus what was approved, and the
/// organizations shared (replacing the earlier choice when organizations were asked for).
pub fn merge_grant(
    existing: Option<&GrantDetails>,
    chosen: &Plan,
    organizations: Option<&[OrganizationId]>,
) -> GrantDetails {
    let mut details = existing.cloned().unwrap_or_default();
    add_names(&mut details.scopes, &chosen.user);
    add_names(&mut details.organization_scopes, &chosen.organization);
    for (indicator, items) in &chosen.resource {
        add_names(details.resource_scopes.entry(indicator.clone()).or_default(), items);
    }
    for (indicator, items) in &chosen.organization_resource {
        add_names(details.organization_resource_scopes.entry(indicator.clone()).or_default(), items);
    }
    if let Some(orgs) = organizations {
        details.organizations = orgs.to_vec();
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::Prompt;

    #[test]
    fn a_grant_is_written_when_new_changed_or_its_last_use_is_an_hour_old() {
        let email = GrantDetails { scopes: vec!["openid".into(), "email".into()], ..Default::default() };
        let more =
            GrantDetails { scopes: vec!["openid".into(), "email".into(), "profile".into()], ..Default::default() };
        let now = Timestamp(10_000);
        let at = |secs_ago: i64| Some(Timestamp(now.0 - secs_ago));
        type Stored<'a> = Option<(&'a GrantDetails, Option<Timestamp>)>;
        let cases: &[(&str, Stored<'_>, &GrantDetails, bool)] = &[
            ("no grant yet", None, &email, true),
            ("scopes added", Some((&email, at(10))), &more, true),
            ("scopes removed", Some((&more, at(10))), &email, true),
            ("same, used a minute ago", Some((&email, at(60))), &email, false),
            ("same, used 59 minutes ago", Some((&email, at(3599))), &email, false),
            ("same, used an hour ago", Some((&email, at(3600))), &email, true),
            ("same, never used", Some((&email, None)), &email, true),
            ("same, last use in the future (clock moved back)", Some((&email, at(-5))), &email, true),
        ];
        for (what, existing, merged, want) in cases {
            assert_eq!(grant_needs_saving(*existing, merged, now), *want, "{what}");
        }
    }
    use crate::error::{ErrorCode, ResponseMode};
    use latch_domain::ids::ApplicationId;

    fn req(scopes: &[&str], resources: &[&str], consent: bool) -> AuthRequest {
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
            acr_values: None,
            resources: resources.iter().map(|s| s.to_string()).collect(),
            device: None,
        }
    }

    fn permitted() -> Permitted {
        let mut p = Permitted::default();
        p.user.insert("email".into(), true);
        p.user.insert("profile".into(), false);
        p.user.insert(scope::ORGANIZATIONS.into(), true);
        p.resource.entry("https://api".into()).or_default().insert("read".into(), true);
        p.resource.entry("https://api".into()).or_default().insert("write".into(), false);
        p.organization.insert("invite".into(), true);
        p
    }

    fn held(res: &[&str], org: &[&str]) -> Held {
        let mut h = Held::default();
        h.resource.insert("https://api".into(), res.iter().map(|s| s.to_string()).collect());
        h.organization = org.iter().map(|s| s.to_string()).collect();
        h
    }

    fn names(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.name.as_str()).collect()
    }

    #[test]
    fn third_party_rules() {
        let p = permitted();
        // A user scope outside the permissions is invalid_scope.
        let r = plan(&req(&["openid", "phone"], &[], false), Some(&p), &Held::default());
        assert_eq!(r.map_err(|e| e.code), Err(ErrorCode::InvalidScope));
        // openid and offline_access need no permission.
        let r = plan(&req(&["openid", "offline_access"], &[], false), Some(&p), &Held::default()).unwrap_or_default();
        assert_eq!(names(&r.user), ["openid", "offline_access"]);
        // Resource scopes: dropped when not permitted or not held (RBAC).
        let r = plan(
            &req(&["read", "write", "delete"], &["https://api"], false),
            Some(&p),
            &held(&["read", "delete"], &[]),
        )
        .unwrap_or_default();
        assert_eq!(names(&r.resource["https://api"]), ["read"], "write not held, delete not permitted");
        // Organization scopes only with the organizations marker, held and permitted.
        let asked = req(&["urn:latch:scope:organizations", "invite", "kick"], &[], false);
        let r = plan(&asked, Some(&p), &held(&[], &["invite", "kick"])).unwrap_or_default();
        assert_eq!(names(&r.organization), ["invite"]);
        let r = plan(&req(&["invite"], &[], false), Some(&p), &held(&[], &["invite"])).unwrap_or_default();
        assert!(r.organization.is_empty(), "no organizations marker, no organization scopes");
        // Optional flags come from the permissions.
        let r = plan(&req(&["email", "profile"], &[], false), Some(&p), &Held::default()).unwrap_or_default();
        assert_eq!(r.user.iter().map(|i| i.required).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn first_party_apps_are_not_limited_by_permissions_but_still_by_roles() {
        let r = plan(&req(&["phone", "read", "write"], &["https://api"], false), None, &held(&["read"], &[]))
            .unwrap_or_default();
        assert_eq!(names(&r.user), ["phone"]);
        assert_eq!(names(&r.resource["https://api"]), ["read"]);
    }

    #[test]
    fn consent_is_remembered_and_granular() {
        let p = permitted();
        let h = held(&["read", "write"], &[]);
        let asked = req(&["openid", "email", "profile", "read", "write"], &["https://api"], false);
        let full = plan(&asked, Some(&p), &h).unwrap_or_default();
        assert!(needs_consent(true, &asked, &full, None), "first time");
        assert!(!needs_consent(false, &asked, &full, None), "first-party never");
        // The user unticks the optional profile and write.
        let chosen = full.chosen(&[]);
        assert_eq!(names(&chosen.user), ["openid", "email"]);
        assert_eq!(names(&chosen.resource["https://api"]), ["read"]);
        let grant = merge_grant(None, &chosen, None);
        assert_eq!(grant.scopes, ["openid", "email"]);
        assert_eq!(grant.resource_scopes["https://api"], ["read"]);
        // Asking again for the same thing re-prompts only because profile/write were declined.
        assert!(needs_consent(true, &asked, &full, Some(&grant)));
        let narrower = req(&["openid", "email", "read"], &["https://api"], false);
        let narrow_plan = plan(&narrower, Some(&p), &h).unwrap_or_default();
        assert!(!needs_consent(true, &narrower, &narrow_plan, Some(&grant)), "remembered");
        let device = AuthRequest { device: Some("h".into()), ..narrower.clone() };
        assert!(needs_consent(true, &device, &narrow_plan, Some(&grant)), "a device, even when remembered");
        assert!(needs_consent(false, &device, &narrow_plan, None), "a device, even first-party");
        assert!(needs_consent(
            true,
            &req(&["openid", "email", "read"], &["https://api"], true),
            &narrow_plan,
            Some(&grant)
        ));
        // What a remembered grant yields for a wider request: only what was granted.
        let within = full.within(&grant);
        assert_eq!(names(&within.user), ["openid", "email"]);
        assert_eq!(names(&within.resource["https://api"]), ["read"]);
        // A later screen asks only about what is new.
        let ask = full.missing(&grant);
        assert_eq!(names(&ask.user), ["profile"]);
        assert_eq!(names(&ask.resource["https://api"]), ["write"]);
        // Ticking an optional item keeps it.
        assert_eq!(names(&full.chosen(&["profile".into()]).user), ["openid", "email", "profile"]);
    }

    fn request_of(client: &str, scopes: &[&str], resources: &[&str]) -> AuthRequest {
        AuthRequest { client_id: ApplicationId::from(client), ..req(scopes, resources, false) }
    }

    #[test]
    fn scopes_are_planned_per_resource_and_the_admin_api_only_for_the_console() {
        const A: &str = "https://a";
        const B: &str = "https://b";
        const ADMIN: &str = "urn:latch:api:admin";
        let mut p = Permitted::default();
        p.resource.entry(A.into()).or_default().insert("read".into(), true);
        p.organization_resource.entry(A.into()).or_default().insert("write".into(), false);
        p.user.insert(scope::ORGANIZATIONS.into(), true);
        let mut h = Held::default();
        for (ind, names) in [(A, &["read"][..]), (B, &["read"]), (ADMIN, &["read", "all"])] {
            h.resource.insert(ind.into(), names.iter().map(|n| n.to_string()).collect());
        }
        h.organization_resource.insert(A.into(), vec!["write".into()]);
        let asked = ["openid", "read", "write", "all"];
        let everything = [A, B, ADMIN];
        let keys = |plan: &Plan| -> Vec<String> {
            plan.resource.values().chain(plan.organization_resource.values()).flatten().map(|i| i.key.clone()).collect()
        };
        let cases: [(&str, AuthRequest, Option<&Permitted>, Vec<&str>); 4] = [
            (
                "third party: only what is permitted for A, never B's `read` of the same name",
                request_of("partner", &asked, &everything),
                Some(&p),
                vec!["resource https://a read"],
            ),
            (
                "first party: every held scope, but not the admin API",
                request_of("web", &asked, &everything),
                None,
                vec!["resource https://a read", "resource https://b read"],
            ),
            (
                "the console may ask for the admin API",
                request_of("console", &asked, &[ADMIN]),
                None,
                vec!["resource urn:latch:api:admin read", "resource urn:latch:api:admin all"],
            ),
            (
                "organization-resource scopes with the organizations marker",
                request_of("partner", &["openid", scope::ORGANIZATIONS, "read", "write"], &[A]),
                Some(&p),
                vec!["resource https://a read", "organization-resource https://a write"],
            ),
        ];
        for (name, request, permitted, expected) in cases {
            let planned = plan(&request, permitted, &h).unwrap_or_default();
            assert_eq!(keys(&planned), expected, "{name}");
        }
        // The user's choice names the resource: a bare name ticks nothing.
        let with_orgs = request_of("partner", &["openid", scope::ORGANIZATIONS, "write"], &[A]);
        let full = plan(&with_orgs, Some(&p), &h).unwrap_or_default();
        assert!(full.chosen(&["write".into()]).organization_resource.is_empty(), "a bare name is not a key");
        let kept = full.chosen(&[organization_resource_key(A, "write")]);
        assert_eq!(names(&kept.organization_resource[A]), ["write"]);
        let grant = merge_grant(None, &kept, None);
        assert_eq!(grant.organization_resource_scopes[A], ["write"]);
        assert!(grant.resource_scopes.is_empty(), "organization-resource scopes are not resource scopes");
        assert!(full.covered_by(&grant), "remembered");
        assert!(!full.covered_by(&merge_grant(None, &full.chosen(&[]), None)), "unticked: asked again");
    }
}

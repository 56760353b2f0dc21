//! Consent decisions (DESIGN.md "Scopes and claims", "Third-party app rules"): which requested
//! scopes an application may have, which the user actually holds (RBAC), which need the
//! consent screen, and what the grant covers after the user decides.

use crate::authorize::AuthRequest;
use crate::error::OAuthError;
use latch_domain::entities::GrantDetails;
use latch_domain::ids::OrganizationId;
use latch_domain::scope;
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
}

/// What the user holds through roles (RBAC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Resource indicator → scope names held through global roles.
    pub resource: BTreeMap<String, Vec<String>>,
    /// Organization scope names held through organization roles in at least one organization.
    pub organization: Vec<String>,
}

/// One line of the consent screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    /// Optional items may be unticked by the user (granular consent).
    pub required: bool,
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
}

/// Scopes that need no permission: `openid` (identity) and `offline_access` (DESIGN.md:
/// always permitted; the screen says the app keeps access).
fn always_permitted(s: &str) -> bool {
    s == scope::OPENID || s == scope::OFFLINE_ACCESS
}

/// Works out what `request` may obtain. A user scope a third-party app is not permitted is an
/// `invalid_scope` error; resource and organization scopes it is not permitted, or the user
/// does not hold, are dropped silently.
pub fn plan(request: &AuthRequest, permitted: Option<&Permitted>, held: &Held) -> Result<Plan, OAuthError> {
    let mut out = Plan::default();
    let wants_orgs = request.scopes.iter().any(|s| s == scope::ORGANIZATIONS);
    for s in &request.scopes {
        if scope::is_user_scope(s) {
            let required = match permitted {
                None => true,
                Some(_) if always_permitted(s) => true,
                Some(p) => *p.user.get(s).ok_or_else(|| {
                    OAuthError::invalid_scope(format!("this application is not permitted to ask for `{s}`"))
                })?,
            };
            out.user.push(Item { name: s.clone(), required });
            continue;
        }
        // A resource scope: of each requested resource that has it, held and permitted.
        for indicator in &request.resources {
            let holds = held.resource.get(indicator).is_some_and(|names| names.contains(s));
            let allowed = match permitted {
                None => Some(true),
                Some(p) => p.resource.get(indicator).and_then(|m| m.get(s)).copied(),
            };
            if let (true, Some(required)) = (holds, allowed) {
                out.resource.entry(indicator.clone()).or_default().push(Item { name: s.clone(), required });
            }
        }
        // An organization scope, when organizations are asked for.
        if wants_orgs && held.organization.contains(s) {
            let allowed = match permitted {
                None => Some(true),
                Some(p) => p.organization.get(s).copied(),
            };
            if let Some(required) = allowed {
                out.organization.push(Item { name: s.clone(), required });
            }
        }
    }
    Ok(out)
}

impl Plan {
    /// Every scope token of the plan, for a code or a token response.
    pub fn all_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self.user.iter().map(|i| i.name.clone()).collect();
        out.extend(self.organization.iter().map(|i| i.name.clone()));
        for items in self.resource.values() {
            for i in items {
                if !out.contains(&i.name) {
                    out.push(i.name.clone());
                }
            }
        }
        out
    }

    /// True when every item of the plan is already in `grant` (so no screen is needed).
    pub fn covered_by(&self, grant: &GrantDetails) -> bool {
        let user_ok = self.user.iter().filter(|i| i.name != scope::OPENID).all(|i| grant.scopes.contains(&i.name));
        let org_ok = self.organization.iter().all(|i| grant.scopes.contains(&i.name));
        let res_ok = self.resource.iter().all(|(indicator, items)| {
            items.iter().all(|i| grant.resource_scopes.get(indicator).is_some_and(|g| g.contains(&i.name)))
        });
        user_ok && org_ok && res_ok
    }

    /// The part of the plan `grant` covers (what a remembered consent yields).
    pub fn within(&self, grant: &GrantDetails) -> Plan {
        Plan {
            user: self
                .user
                .iter()
                .filter(|i| i.name == scope::OPENID || grant.scopes.contains(&i.name))
                .cloned()
                .collect(),
            organization: self.organization.iter().filter(|i| grant.scopes.contains(&i.name)).cloned().collect(),
            resource: self
                .resource
                .iter()
                .map(|(ind, items)| {
                    let granted = grant.resource_scopes.get(ind);
                    (
                        ind.clone(),
                        items.iter().filter(|i| granted.is_some_and(|g| g.contains(&i.name))).cloned().collect(),
                    )
                })
                .filter(|(_, items): &(String, Vec<Item>)| !items.is_empty())
                .collect(),
        }
    }

    /// The items `grant` does not cover yet: what a later consent screen asks about.
    pub fn missing(&self, grant: &GrantDetails) -> Plan {
        let new = |i: &&Item| i.name != scope::OPENID && !grant.scopes.contains(&i.name);
        Plan {
            user: self.user.iter().filter(new).cloned().collect(),
            organization: self.organization.iter().filter(new).cloned().collect(),
            resource: self
                .resource
                .iter()
                .map(|(ind, items)| {
                    let granted = grant.resource_scopes.get(ind);
                    (
                        ind.clone(),
                        items.iter().filter(|i| !granted.is_some_and(|g| g.contains(&i.name))).cloned().collect(),
                    )
                })
                .filter(|(_, items): &(String, Vec<Item>)| !items.is_empty())
                .collect(),
        }
    }

    /// The plan after the user's choice: required items always, optional ones only if ticked.
    pub fn chosen(&self, ticked: &[String]) -> Plan {
        let keep = |i: &&Item| i.required || ticked.contains(&i.name);
        Plan {
            user: self.user.iter().filter(keep).cloned().collect(),
            organization: self.organization.iter().filter(keep).cloned().collect(),
            resource: self
                .resource
                .iter()
                .map(|(ind, items)| (ind.clone(), items.iter().filter(keep).cloned().collect()))
                .filter(|(_, items): &(String, Vec<Item>)| !items.is_empty())
                .collect(),
        }
    }
}

/// A third-party app shows the consent screen the first time, whenever it asks for something
/// not granted yet, and on `prompt=consent`. First-party apps never do.
pub fn needs_consent(third_party: bool, request: &AuthRequest, plan: &Plan, granted: Option<&GrantDetails>) -> bool {
    third_party && (request.prompt.consent || granted.is_none_or(|g| !plan.covered_by(g)))
}

/// The grant after the user approved `chosen`: what was there plus what was approved, and the
/// organizations shared (replacing the earlier choice when organizations were asked for).
pub fn merge_grant(
    existing: Option<&GrantDetails>,
    chosen: &Plan,
    organizations: Option<&[OrganizationId]>,
) -> GrantDetails {
    let mut details = existing.cloned().unwrap_or_default();
    for i in chosen.user.iter().chain(&chosen.organization) {
        if !details.scopes.contains(&i.name) {
            details.scopes.push(i.name.clone());
        }
    }
    for (indicator, items) in &chosen.resource {
        let entry = details.resource_scopes.entry(indicator.clone()).or_default();
        for i in items {
            if !entry.contains(&i.name) {
                entry.push(i.name.clone());
            }
        }
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
            resources: resources.iter().map(|s| s.to_string()).collect(),
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
}

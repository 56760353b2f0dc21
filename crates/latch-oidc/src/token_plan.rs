//! The token endpoint's decisions that are not about scopes (those are `token_scopes.rs` and
//! `refresh.rs`): what a refresh request targets, which ID token it returns, whether an
//! organization token may be minted at all, and what a replay revokes. The handler extracts,
//! loads, asks these, persists and maps.

use crate::code::RedeemedCode;
use crate::error::OAuthError;
use latch_domain::entities::RefreshTokenRecord;
use latch_domain::ids::{GrantId, OrganizationId};
use latch_domain::scope;

/// What a `refresh_token` request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshTarget<'a> {
    /// `organization_id` (with or without `resource`): an organization token.
    Organization { organization: &'a str, resource: Option<&'a str> },
    /// `resource` alone (RFC 8707 §2.2): a JWT access token for that API.
    Resource(&'a str),
    /// Neither: an opaque access token for userinfo.
    Identity,
}

/// Reads the request's target; an organization wins over a bare resource.
pub fn refresh_target<'a>(organization: Option<&'a str>, resource: Option<&'a str>) -> RefreshTarget<'a> {
    match (organization, resource) {
        (Some(organization), resource) => RefreshTarget::Organization { organization, resource },
        (None, Some(r)) => RefreshTarget::Resource(r),
        (None, None) => RefreshTarget::Identity,
    }
}

/// The user scopes the ID token of a refresh releases — those the token carries, narrowed to
/// the requested ones — or `None` when the response has no ID token: without `openid`, and
/// for organization tokens, which speak for an organization, not the sign-in (OpenID Connect
/// Core §12.2).
pub fn refresh_id_token_scopes(
    carried: &[String],
    requested: Option<&str>,
    target: RefreshTarget<'_>,
) -> Option<Vec<String>> {
    if matches!(target, RefreshTarget::Organization { .. }) {
        return None;
    }
    let scopes: Vec<String> = match requested {
        None => carried.to_vec(),
        Some(r) => {
            let r = scope::split(r);
            carried.iter().filter(|s| r.contains(s)).cloned().collect()
        }
    };
    scopes.iter().any(|s| s == scope::OPENID).then_some(scopes)
}

/// Whether an organization token may be minted for `organization` (DESIGN.md "Third-party app
/// rules"): the authorization carries `urn:latch:scope:organizations`, the user shared that
/// organization with the app on the consent screen, and is still a member.
pub fn organization_token_allowed(
    carried: &[String],
    shared: &[OrganizationId],
    organization: &OrganizationId,
    is_member: bool,
) -> Result<(), OAuthError> {
    if !carried.iter().any(|s| s == scope::ORGANIZATIONS) {
        return Err(OAuthError::invalid_grant("this authorization does not include organizations"));
    }
    if !shared.contains(organization) || !is_member {
        return Err(OAuthError::invalid_grant(
            "the user has not shared this organization with the application, or is not a member",
        ));
    }
    Ok(())
}

/// What a replay takes away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revoke {
    /// Every refresh and opaque access token of the grant.
    Grant(GrantId),
    /// Every token of one token family (what one code exchange started).
    Family(String),
}

/// A rotated-out refresh token came back: whoever holds the chain may be an attacker, so the
/// whole grant goes (RFC 9700 §4.14.2).
pub fn on_refresh_replay(record: &RefreshTokenRecord) -> Revoke {
    Revoke::Grant(record.grant_id.clone())
}

/// An authorization code came back: everything issued from it goes, including tokens rotated
/// since (RFC 6749 §4.1.2), and nothing else the grant holds.
pub fn on_code_replay(redeemed: &RedeemedCode) -> Revoke {
    Revoke::Family(redeemed.family.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use latch_domain::Timestamp;
    use latch_domain::ids::{ApplicationId, UserId};

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    /// carried, requested, target → the ID token's scopes.
    type IdTokenCase<'a> = (&'a [String], Option<&'a str>, RefreshTarget<'a>, Option<&'a [&'a str]>);
    /// carried, shared, organization, member → allowed.
    type OrganizationCase<'a> = (&'a [String], &'a [OrganizationId], &'a str, bool, bool);

    #[test]
    fn a_refresh_targets_an_organization_a_resource_or_the_identity() {
        let cases = [
            (Some("o1"), None, RefreshTarget::Organization { organization: "o1", resource: None }),
            (
                Some("o1"),
                Some("https://api"),
                RefreshTarget::Organization { organization: "o1", resource: Some("https://api") },
            ),
            (None, Some("https://api"), RefreshTarget::Resource("https://api")),
            (None, None, RefreshTarget::Identity),
        ];
        for (org, res, want) in cases {
            assert_eq!(refresh_target(org, res), want, "{org:?} {res:?}");
        }
    }

    #[test]
    fn the_id_token_of_a_refresh_releases_the_carried_scopes_narrowed_and_needs_openid() {
        let carried = strings(&["openid", "profile", "email", "offline_access"]);
        let org = RefreshTarget::Organization { organization: "o1", resource: None };
        let cases: [IdTokenCase<'_>; 6] = [
            (&carried, None, RefreshTarget::Identity, Some(&["openid", "profile", "email", "offline_access"])),
            (&carried, Some("openid email"), RefreshTarget::Identity, Some(&["openid", "email"])),
            (&carried, Some("email"), RefreshTarget::Identity, None),
            (&carried, Some("openid unknown"), RefreshTarget::Resource("https://api"), Some(&["openid"])),
            (&carried, None, org, None),
            (&carried[1..], None, RefreshTarget::Identity, None),
        ];
        for (carried, requested, target, want) in cases {
            let want = want.map(strings);
            assert_eq!(refresh_id_token_scopes(carried, requested, target), want, "{requested:?} {target:?}");
        }
    }

    #[test]
    fn organization_tokens_need_the_scope_the_shared_organization_and_membership() {
        let o1 = OrganizationId::from("o1");
        let shared = vec![o1.clone()];
        let with = strings(&["openid", scope::ORGANIZATIONS]);
        let without = strings(&["openid"]);
        let cases: [OrganizationCase<'_>; 5] = [
            (&with, &shared, "o1", true, true),
            (&without, &shared, "o1", true, false),
            (&with, &shared, "o2", true, false),
            (&with, &shared, "o1", false, false),
            (&with, &[], "o1", true, false),
        ];
        for (carried, shared, org, member, ok) in cases {
            let got = organization_token_allowed(carried, shared, &OrganizationId::from(org), member);
            assert_eq!(got.is_ok(), ok, "{carried:?} {org} member={member}");
            if let Err(e) = got {
                assert_eq!(e.code, ErrorCode::InvalidGrant);
            }
        }
    }

    #[test]
    fn a_refresh_replay_revokes_the_grant_and_a_code_replay_its_family() {
        let record = RefreshTokenRecord {
            token_hash: "h".into(),
            grant_id: GrantId::from("g1"),
            application_id: ApplicationId::from("c1"),
            user_id: UserId::from("u1"),
            family: "f1".into(),
            scope: "openid".into(),
            resources: Default::default(),
            auth_time: Timestamp(0),
            amr: vec!["pwd".into()],
            issued_at: Timestamp(0),
            expires_at: Timestamp(10),
            consumed_at: Some(Timestamp(5)),
        };
        assert_eq!(on_refresh_replay(&record), Revoke::Grant(GrantId::from("g1")));
        let redeemed = RedeemedCode { grant_id: GrantId::from("g1"), family: "f1".into() };
        assert_eq!(on_code_replay(&redeemed), Revoke::Family("f1".into()), "not the grant's other families");
    }
}

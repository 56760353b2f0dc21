//! Self-service client registration (RFC 7591): the operator's policy, held in memory on every
//! node like the branding, and the clients it admits, each created as one unit of work (the
//! app, its URIs, its first secret, its permissions, its consent-screen branding and the
//! record of its registration).

use super::applications::{DEFAULT_SECRET, new_client_secret};
use crate::catalog::Change;
use crate::permissions::{self, Named};
use crate::security_log::Origin;
use crate::{Actor, Changeset, Core};
use latch_domain::admin;
use latch_domain::entities::{
    Application, Branding, ClientRegistration, CustomClientMetadata, InitialAccessToken, RegistrationKind,
    RegistrationPolicy,
};
use latch_domain::ids::{ApplicationId, new_id};
use latch_domain::repo::{RepoResult, Write};
use latch_oidc::registration::{Admitted, ClientMetadata, Permitted};
use serde_json::json;

/// Reads the policy from the database into memory: at start-up, after a change, on another
/// node's announcement, and every minute in case an announcement was lost.
pub async fn reload_registration_policy(core: &Core) -> RepoResult<()> {
    let stored = core.repos.get_registration_policy().await?.unwrap_or_default();
    core.set_registration_policy(stored);
    Ok(())
}

/// Replaces the policy (checked against `rules::registration_policy` by [`Core::apply`]; the
/// caller has resolved its permissions), audited as `registration_policy.set` and announced.
pub async fn set_registration_policy(core: &Core, actor: &Actor, policy: RegistrationPolicy) -> RepoResult<()> {
    let change = Changeset::new(
        "registration_policy.set",
        "registration_policy",
        "default",
        json!({ "enabled": policy.enabled, "appTypes": policy.app_types.iter().map(|t| t.as_str()).collect::<Vec<_>>() }),
        Change::RegistrationPolicy,
    )
    .write(Write::PutRegistrationPolicy(policy.clone()));
    core.apply(actor, change).await?;
    core.set_registration_policy(policy);
    Ok(())
}

/// The policy's permissions with the names clients ask for them by. A scope that no longer
/// exists is left out, and so, whatever the stored row says, is every scope of the admin API
/// (DESIGN.md "Scopes are per resource").
pub async fn ceiling(core: &Core, policy: &RegistrationPolicy) -> RepoResult<Vec<Permitted>> {
    let named = permissions::named(core.repos.as_ref(), policy.permissions.clone()).await?;
    Ok(named
        .into_iter()
        .filter_map(|p| {
            let name = match p.named {
                Named::User => p.entry.scope_ref.clone(),
                Named::Scope(s, r) if !admin::is_admin_resource(&r.indicator) => s.name,
                Named::Scope(..) => return None,
                Named::Organization(s) => s.name,
            };
            Some(Permitted { permission: p.entry, name })
        })
        .collect())
}

/// A client just registered: what the registration response tells it, once.
#[derive(Clone, Debug)]
pub struct Registered {
    pub app: Application,
    /// The client secret of a confidential client, in clear this once.
    pub secret: Option<String>,
    /// The registration access token (RFC 7592 §3), in clear this once; stored hashed. A
    /// metadata-document client has none.
    pub access_token: Option<String>,
    pub record: ClientRegistration,
}

/// Creates the client `admitted` describes: always third-party, so it always shows consent.
/// Audited as `application.register` with the client itself as actor, with the address and
/// user agent it registered from, and the initial access token it used (by id).
pub async fn register_client(
    core: &Core,
    admitted: Admitted,
    meta: &ClientMetadata,
    origin: &Origin,
    initial_access_token: Option<&str>,
) -> RepoResult<Registered> {
    let id = ApplicationId(new_id(core.random.as_ref()));
    create(core, id, RegistrationKind::Registration, admitted, meta, origin, initial_access_token).await
}

/// Creates the client a Client ID Metadata Document at `url` describes, under that URL as its
/// client id: public, third-party, with no registration access token (the document is what it
/// changes). Audited as `application.register` like a registration, with the document's URL.
pub async fn adopt_document_client(
    core: &Core,
    url: &str,
    admitted: Admitted,
    meta: &ClientMetadata,
    origin: &Origin,
) -> RepoResult<Application> {
    let id = ApplicationId::from(url);
    Ok(create(core, id, RegistrationKind::MetadataDocument, admitted, meta, origin, None).await?.app)
}

async fn create(
    core: &Core,
    id: ApplicationId,
    kind: RegistrationKind,
    admitted: Admitted,
    meta: &ClientMetadata,
    origin: &Origin,
    initial_access_token: Option<&str>,
) -> RepoResult<Registered> {
    let now = core.clock.now();
    let app = Application {
        name: unique_name(&admitted.name, &id),
        id,
        description: None,
        app_type: admitted.app_type,
        is_third_party: true,
        redirect_uris: admitted.redirect_uris.clone(),
        post_logout_redirect_uris: admitted.post_logout_redirect_uris.clone(),
        custom: CustomClientMetadata::default(),
        created_at: now,
    };
    let access_token = (kind == RegistrationKind::Registration).then(|| core.token(32));
    let record = ClientRegistration {
        application_id: app.id.clone(),
        kind,
        access_token_hash: access_token.as_deref().map(latch_oidc::crypto::token_hash),
        registered_at: now,
        ip: origin.ip.clone(),
        user_agent: bounded(&origin.user_agent),
        ..described(&admitted, meta)
    };
    let mut change = Changeset::new(
        "application.register",
        "application",
        app.id.as_str(),
        json!({
            "name": app.name,
            "type": app.app_type.as_str(),
            "kind": kind.as_str(),
            "scope": admitted.scope,
            "ip": record.ip,
            "userAgent": record.user_agent,
            "softwareId": record.software_id,
            "initialAccessToken": initial_access_token,
        }),
        Change::Application(app.id.clone()),
    )
    .write(Write::InsertApplication(app.clone()));
    let secret = if app.app_type.is_confidential() {
        let (value, secret) = new_client_secret(core, &app, DEFAULT_SECRET, None);
        change.push(Write::InsertSecret(secret));
        Some(value)
    } else {
        None
    };
    if !admitted.permissions.is_empty() {
        change.push(Write::AddConsentScopes { app: app.id.clone(), scopes: admitted.permissions.clone() });
    }
    change.push(Write::PutBranding(branding(&app.id, &admitted, now)));
    change.push(Write::InsertClientRegistration(record.clone()));
    core.apply(&Actor::Application(app.id.clone()), change).await?;
    Ok(Registered { app, secret, access_token, record })
}

/// A short free-text metadata value as kept: without control characters, at most 256 of them.
fn bounded(v: &Option<String>) -> Option<String> {
    v.as_deref().map(|s| latch_domain::fields::printable(s, 256)).filter(|s| !s.is_empty())
}

/// RFC 7592 §2.2: replaces what a self-registered client said about itself with what
/// `admitted` (checked against today's ceiling) holds: its name, URIs, permissions and
/// consent-screen branding, in one unit audited as `application.registration.update` by the
/// client itself. Its grants stay; a later consent asks only about what is new.
pub async fn update_registered_client(
    core: &Core,
    app: &Application,
    old: &ClientRegistration,
    admitted: Admitted,
    meta: &ClientMetadata,
) -> RepoResult<(Application, ClientRegistration)> {
    let now = core.clock.now();
    let updated = Application {
        name: unique_name(&admitted.name, &app.id),
        redirect_uris: admitted.redirect_uris.clone(),
        post_logout_redirect_uris: admitted.post_logout_redirect_uris.clone(),
        ..app.clone()
    };
    let record = ClientRegistration {
        application_id: old.application_id.clone(),
        kind: old.kind,
        access_token_hash: old.access_token_hash.clone(),
        registered_at: old.registered_at,
        ip: old.ip.clone(),
        user_agent: old.user_agent.clone(),
        ..described(&admitted, meta)
    };
    let scopes = core.repos.list_consent_scopes(&app.id).await?;
    let branded = branding(&app.id, &admitted, now);
    // The same metadata again (a metadata document fetched anew, a repeated PUT) writes
    // nothing and audits nothing.
    let same_branding =
        core.repos.get_branding(&app.id).await?.is_some_and(|b| Branding { updated_at: now, ..b } == branded);
    let same_scopes =
        scopes.len() == admitted.permissions.len() && admitted.permissions.iter().all(|p| scopes.contains(p));
    if updated == *app && record == *old && same_branding && same_scopes {
        return Ok((updated, record));
    }
    let mut change = Changeset::new(
        "application.registration.update",
        "application",
        app.id.as_str(),
        json!({ "name": updated.name, "scope": admitted.scope }),
        Change::Application(app.id.clone()),
    )
    .write(Write::UpdateApplication(updated.clone()));
    for old in scopes {
        change.push(Write::DeleteConsentScope {
            app: app.id.clone(),
            scope_type: old.scope_type,
            scope_ref: old.scope_ref,
        });
    }
    if !admitted.permissions.is_empty() {
        change.push(Write::AddConsentScopes { app: app.id.clone(), scopes: admitted.permissions.clone() });
    }
    change.push(Write::PutBranding(branded));
    change.push(Write::UpdateClientRegistration(record.clone()));
    core.apply(&Actor::Application(app.id.clone()), change).await?;
    Ok((updated, record))
}

/// RFC 7592 §2.3: the client deletes itself, with every grant and token issued to it; audited
/// as `application.registration.delete` by the client.
pub async fn delete_registered_client(core: &Core, app: &ApplicationId) -> RepoResult<()> {
    let change = Changeset::new(
        "application.registration.delete",
        "application",
        app.as_str(),
        json!({}),
        Change::Application(app.clone()),
    )
    .write(Write::DeleteApplication(app.clone()));
    core.apply(&Actor::Application(app.clone()), change).await
}

/// An operator takes a self-registered client over: it stays, with its grants, but is no longer
/// self-registered (the consent screen drops the unverified notice) and its registration
/// access token stops working. Audited as `application.registration.promote`.
pub async fn promote_registered_client(core: &Core, actor: &Actor, app: &ApplicationId) -> RepoResult<()> {
    let change = Changeset::new(
        "application.registration.promote",
        "application",
        app.as_str(),
        json!({}),
        Change::Application(app.clone()),
    )
    .write(Write::DeleteClientRegistration(app.clone()));
    core.apply(actor, change).await
}

/// Issues an initial access token named `name` (RFC 7591 §3); returns it in clear this once.
/// Audited as `registration.initial_access_token.create`.
pub async fn create_initial_access_token(
    core: &Core,
    actor: &Actor,
    name: &str,
    expires_at: Option<latch_domain::Timestamp>,
) -> RepoResult<(String, InitialAccessToken)> {
    let value = core.token(32);
    let token = InitialAccessToken {
        id: new_id(core.random.as_ref()),
        name: name.trim().to_owned(),
        token_hash: latch_oidc::crypto::token_hash(&value),
        created_at: core.clock.now(),
        expires_at,
    };
    let change = Changeset::new(
        "registration.initial_access_token.create",
        "initial_access_token",
        &token.id,
        json!({ "name": token.name, "expiresAt": expires_at.map(|e| e.0) }),
        Change::RegistrationPolicy,
    )
    .write(Write::InsertInitialAccessToken(token.clone()));
    core.apply(actor, change).await?;
    Ok((value, token))
}

/// Revokes an initial access token: registrations with it are refused from now on (clients
/// registered with it stay). Audited as `registration.initial_access_token.delete`.
pub async fn delete_initial_access_token(core: &Core, actor: &Actor, id: &str) -> RepoResult<()> {
    let change = Changeset::new(
        "registration.initial_access_token.delete",
        "initial_access_token",
        id,
        json!({}),
        Change::RegistrationPolicy,
    )
    .write(Write::DeleteInitialAccessToken(id.to_owned()));
    core.apply(actor, change).await
}

/// The consent-screen branding the metadata asks for: the client's own name, logo, terms and
/// privacy policy.
fn branding(app: &ApplicationId, admitted: &Admitted, now: latch_domain::Timestamp) -> Branding {
    Branding {
        application_id: app.clone(),
        display_name: Some(admitted.name.clone()),
        logo_url: admitted.logo_uri.clone(),
        dark_logo_url: None,
        terms_of_use_url: admitted.tos_uri.clone(),
        privacy_policy_url: admitted.policy_uri.clone(),
        color: None,
        updated_at: now,
    }
}

/// Application names are unique, and many clients share a name ("Claude Desktop"): the
/// operator's name of a self-registered app carries the start of its client id, or of the
/// digest of a document URL (all of which start alike). Users see the client's own name (the
/// branding's display name).
fn unique_name(name: &str, id: &ApplicationId) -> String {
    let digest;
    let tag = if latch_oidc::metadata_document::is_document_client_id(id.as_str()) {
        digest = latch_oidc::crypto::token_hash(id.as_str());
        &digest
    } else {
        id.as_str()
    };
    let short: String = tag.chars().take(8).collect();
    let name: String = name.chars().take(latch_domain::fields::MAX_DISPLAY_NAME - short.len() - 3).collect();
    format!("{name} ({short})")
}

/// What a registration record keeps of the metadata: as sent, bounded (at most ten contacts),
/// and the grant types and scope admitted.
fn described(admitted: &Admitted, meta: &ClientMetadata) -> ClientRegistration {
    ClientRegistration {
        software_id: bounded(&meta.software_id),
        software_version: bounded(&meta.software_version),
        client_uri: admitted.client_uri.clone(),
        contacts: meta.contacts.iter().flatten().take(10).filter_map(|c| bounded(&Some(c.clone()))).collect(),
        grant_types: admitted.grant_types.iter().map(|g| (*g).to_owned()).collect(),
        scope: admitted.scope.clone(),
        token_endpoint_auth_method: admitted.token_endpoint_auth_method.to_owned(),
        ..ClientRegistration::default()
    }
}

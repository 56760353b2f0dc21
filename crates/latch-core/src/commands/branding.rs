//! The identity provider's branding: set through one changeset, held in memory on every node.

use crate::catalog::Change;
use crate::{Actor, Changeset, Core};
use latch_domain::entities::IdpBranding;
use latch_domain::repo::{RepoResult, Write};
use serde_json::json;

/// Reads the branding from the database into memory: at start-up, after a change on this
/// node, on another node's announcement, and every minute in case an announcement was lost.
pub async fn reload_idp_branding(core: &Core) -> RepoResult<()> {
    let stored = core.repos.get_idp_branding().await?.unwrap_or_default();
    core.set_idp_branding(stored);
    Ok(())
}

/// Replaces the branding (checked against `rules::idp_branding` by [`Core::apply`]), audited
/// as `sign_in_experience.set` and announced to every node.
pub async fn set_idp_branding(core: &Core, actor: &Actor, branding: IdpBranding) -> RepoResult<()> {
    let change = Changeset::new(
        "sign_in_experience.set",
        "sign_in_experience",
        "default",
        json!({ "organizationName": branding.organization_name }),
        Change::SignInExperience,
    )
    .write(Write::PutIdpBranding(branding.clone()));
    core.apply(actor, change).await?;
    core.set_idp_branding(branding);
    Ok(())
}

//! Self-service registration: the operator's policy (one row) and how each self-registered
//! client came to be.

use super::RepoResult;
use crate::entities::*;
use crate::ids::*;
use async_trait::async_trait;

#[async_trait]
pub trait RegistrationRepo: Send + Sync {
    /// The policy; `None` until an operator sets one (registration is then off). Written
    /// through `Write::PutRegistrationPolicy`.
    async fn get_registration_policy(&self) -> RepoResult<Option<RegistrationPolicy>>;
    /// The registration of `app`; `None` for an app an operator created.
    async fn get_client_registration(&self, app: &ApplicationId) -> RepoResult<Option<ClientRegistration>>;
    /// The registrations of those of `apps` that registered themselves (one query).
    async fn client_registrations_of(&self, apps: &[ApplicationId]) -> RepoResult<Vec<ClientRegistration>>;
    /// Every initial access token, newest first (an operator keeps a handful).
    async fn list_initial_access_tokens(&self) -> RepoResult<Vec<InitialAccessToken>>;
    async fn find_initial_access_token(&self, token_hash: &str) -> RepoResult<Option<InitialAccessToken>>;
}

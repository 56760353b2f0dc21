//! Passkeys on the end-user pages (`latch_oidc::passkey` decides; this extracts, loads, calls,
//! persists and maps): "Add a passkey" on the account page (`/account/mfa/passkey`), a passkey
//! as the second step of a sign-in (`second_factor.rs` asks here), and "Sign in with a passkey"
//! on the sign-in page (`/sign-in/passkey`: a discoverable credential, user verification
//! required, so no password and no second step). Each ceremony's state waits in the ephemeral
//! store for five minutes and is taken once. Offered only where the public URL's host can be a
//! relying party (not an IP address), and only to browsers with WebAuthn (`passkey.js`).

use crate::account_page::{posted, render};
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction};
use crate::i18n::{Lang, Problem};
use crate::pages::factors::{self as views, PasskeyForm};
use crate::state::IdpState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::security_log::{self, SecurityEvent, SignInFailure};
use latch_domain::entities::{FactorKind, MfaFactor, User};
use latch_domain::ids::UserId;
use latch_domain::repo::RepoError;
use latch_oidc::passkey::{self, Passkey, Passkeys};
use serde::Deserialize;
use std::time::Duration;

/// Seconds a ceremony's state waits for the browser's answer.
const CEREMONY_TTL_SECS: u64 = 300;

/// The relying party of this server, named as the identity provider's branding names it.
pub(crate) fn relying_party(idp: &IdpState) -> Option<Passkeys> {
    let name = idp.core.idp_branding().organization_name.clone().unwrap_or_else(|| "Latch".to_owned());
    Passkeys::new(idp.core.settings.public_url.as_str(), &name)
}

/// Whether passkeys work on this server.
pub(crate) fn available(idp: &IdpState) -> bool {
    passkey::relying_party(idp.core.settings.public_url.as_str()).is_some()
}

fn state_key(owner: &str) -> String {
    format!("webauthn:{owner}")
}

async fn keep(idp: &IdpState, owner: &str, state: &str) -> Result<(), IdpError> {
    let ttl = Duration::from_secs(CEREMONY_TTL_SECS);
    idp.core.cache.put(&state_key(owner), state, ttl).await.page_unavailable()
}

async fn take(idp: &IdpState, owner: &str) -> Result<Option<String>, IdpError> {
    idp.core.cache.take(&state_key(owner)).await.page_unavailable()
}

fn unavailable(e: passkey::PasskeyError) -> IdpError {
    IdpError::Unavailable { detail: format!("passkey ceremony: {}", e.0), json: false }
}

/// `user`'s passkeys with the credentials they hold (one stored unreadably is left out).
pub(crate) async fn passkeys_of(idp: &IdpState, user: &UserId) -> Result<Vec<(MfaFactor, Passkey)>, IdpError> {
    let factors = idp.core.repos.list_user_factors(user).await.page_unavailable()?;
    Ok(factors
        .into_iter()
        .filter(|f| f.kind == FactorKind::Passkey)
        .filter_map(|f| match passkey::from_stored(&f.secret) {
            Ok(key) => Some((f, key)),
            Err(e) => {
                tracing::warn!(factor = %f.id, error = %e.0, "a stored passkey does not read");
                None
            }
        })
        .collect())
}

fn form_of(
    action: String,
    hidden: Vec<(&'static str, String)>,
    ceremony: &'static str,
    started: &passkey::Started,
    label: &'static str,
    id: &'static str,
    nonce: String,
) -> PasskeyForm {
    PasskeyForm { action, hidden, ceremony, options: started.options.to_string(), label, id, nonce, password: false }
}

/// The passkey form of interaction `i`'s second step, when the user has passkeys: a ceremony
/// started with them, its state kept for [`second_step_check`].
pub(crate) async fn second_step_form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    keys: &[(MfaFactor, Passkey)],
) -> Result<Option<PasskeyForm>, IdpError> {
    let Some(rp) = relying_party(idp).filter(|_| !keys.is_empty()) else { return Ok(None) };
    let creds: Vec<Passkey> = keys.iter().map(|(_, k)| k.clone()).collect();
    let started = rp.start_authentication(&creds).map_err(unavailable)?;
    keep(idp, &format!("second:{}", i.id), &started.state).await?;
    let hidden = vec![("interaction", i.id.clone()), ("csrf", i.csrf.clone()), ("action", "passkey".to_owned())];
    let action = idp.core.settings.own("/sign-in/factor");
    let w = lang.words();
    Ok(Some(form_of(action, hidden, "get", &started, w.passkey_use, "use-passkey", idp.core.token(16))))
}

/// Whether `response` proves one of `user`'s passkeys for interaction `i`'s second step (the
/// ceremony's state taken, the key stored again with its new counter and backup state).
pub(crate) async fn second_step_check(
    idp: &IdpState,
    i: &Interaction,
    user: &UserId,
    response: &str,
) -> Result<bool, IdpError> {
    let Some(rp) = relying_party(idp) else { return Ok(false) };
    let Some(state) = take(idp, &format!("second:{}", i.id)).await? else { return Ok(false) };
    let keys = passkeys_of(idp, user).await?;
    let mut creds: Vec<Passkey> = keys.iter().map(|(_, k)| k.clone()).collect();
    let Ok(used) = rp.finish_authentication(&state, response, &mut creds) else { return Ok(false) };
    let stored = passkey::to_stored(&creds[used]).map_err(unavailable)?;
    let factor = &keys[used].0;
    idp.core.repos.use_passkey(&factor.id, &factor.secret, &stored, idp.core.clock.now()).await.page_unavailable()
}

/// The passkey choice of an enrolment at sign-in (interaction `i` must set up a factor for
/// `user`, who has none): a registration started, its state kept for [`enrolled_key`].
pub(crate) async fn enrol_form(
    idp: &IdpState,
    lang: Lang,
    i: &Interaction,
    user: &User,
) -> Result<Option<PasskeyForm>, IdpError> {
    let Some(rp) = relying_party(idp) else { return Ok(None) };
    let started = rp.start_registration(&user.id, &label_of(user), &[]).map_err(unavailable)?;
    keep(idp, &format!("enrol:{}", i.id), &started.state).await?;
    let hidden = vec![("interaction", i.id.clone()), ("csrf", i.csrf.clone()), ("action", "enrol-passkey".to_owned())];
    let action = idp.core.settings.own("/sign-in/factor");
    let w = lang.words();
    let label = w.enrol_passkey_instead;
    Ok(Some(form_of(action, hidden, "create", &started, label, "create-passkey", idp.core.token(16))))
}

/// The passkey the browser made for interaction `i`'s enrolment, when `response` completes the
/// registration [`enrol_form`] started (its state taken once).
pub(crate) async fn enrolled_key(idp: &IdpState, i: &Interaction, response: &str) -> Result<Option<Passkey>, IdpError> {
    let Some(rp) = relying_party(idp) else { return Ok(None) };
    let Some(state) = take(idp, &format!("enrol:{}", i.id)).await? else { return Ok(None) };
    Ok(rp.finish_registration(&state, response).ok())
}

/// Stores `key` as `user`'s passkey named `name` (with `recovery_hashes` when it is the first
/// factor); a `Conflict` when another account holds the credential.
pub(crate) async fn enrol(
    idp: &IdpState,
    origin: &latch_core::security_log::Origin,
    user: &UserId,
    name: &str,
    key: &Passkey,
    recovery_hashes: Option<Vec<String>>,
) -> Result<latch_domain::repo::RepoResult<MfaFactor>, IdpError> {
    let stored = passkey::to_stored(key).map_err(unavailable)?;
    let id = passkey::credential_id(key);
    Ok(latch_core::commands::enrol_passkey(&idp.core, origin, user, name, stored, id, recovery_hashes).await)
}

/// How a passkey names its user on an authenticator: the email address, else the username.
fn label_of(user: &User) -> String {
    user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string())
}

/// The sign-in page's "Sign in with a passkey" form, where passkeys work.
pub(crate) async fn sign_in_form(idp: &IdpState, lang: Lang, i: &Interaction) -> Result<Option<PasskeyForm>, IdpError> {
    let Some(rp) = relying_party(idp) else { return Ok(None) };
    let started = rp.start_discoverable().map_err(unavailable)?;
    keep(idp, &format!("sign-in:{}", i.id), &started.state).await?;
    let hidden = vec![("interaction", i.id.clone()), ("csrf", i.csrf.clone())];
    let action = idp.core.settings.own("/sign-in/passkey");
    let w = lang.words();
    Ok(Some(form_of(action, hidden, "get", &started, w.passkey_sign_in, "passkey-sign-in", idp.core.token(16))))
}

#[derive(Deserialize)]
pub struct PasskeySignIn {
    interaction: String,
    csrf: String,
    #[serde(default)]
    credential: String,
}

/// `/sign-in/passkey`: a discoverable passkey signs its user in without a password. A
/// credential no factor has, a suspended user, a user handle that is not the factor's user, or
/// an assertion that does not verify are all the one refusal, audited.
pub async fn sign_in(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<PasskeySignIn>) -> HttpResponse {
    let result = async {
        let i = flow::load_interaction(&idp, &req, &f.interaction).await?;
        if !flow::ct_eq(&f.csrf, &i.csrf) {
            return Err(IdpError::expired_interaction());
        }
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let lang = flow::lang_of(&req, &i.request);
        let origin = crate::ratelimit::origin(&idp, &req);
        let Some(rp) = relying_party(&idp) else {
            return Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound));
        };
        let state = take(&idp, &format!("sign-in:{}", i.id)).await?;
        let user = match state {
            Some(state) => proved(&idp, &rp, &state, &f.credential).await?,
            None => None,
        };
        let Some(user) = user else {
            let event =
                SecurityEvent::SignInFailed { user: None, client: app.id.clone(), reason: SignInFailure::Passkey };
            security_log::record(&idp.core, &origin, event).await;
            crate::metrics::sign_in(crate::metrics::SignIn::Failed);
            let refused = Some((StatusCode::UNAUTHORIZED, lang.words().passkey_refused));
            return flow::sign_in_form(&idp, lang, &i, &app, "", refused).await;
        };
        crate::metrics::sign_in(crate::metrics::SignIn::Success);
        tracing::info!(user = %user.id, "signed in with a passkey");
        let i = Interaction { verifying: None, second_factor: None, stepping_up: None, ..i };
        if !crate::verify_email::skippable(&idp, &user) {
            // An address to verify first: the code, then on without a second step.
            return crate::verify_email::after_password(&idp, &req, &app, user, i, &origin, lang, false, true).await;
        }
        let amr = passkey::PASSWORDLESS_AMR.map(str::to_owned).to_vec();
        flow::signed_in(&idp, &req, &app, user, i, &origin, lang, amr).await
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The user a discoverable `response` proves, for the ceremony `state`: its credential is a
/// stored passkey of a user who is not suspended and whose handle it carries, and it verifies
/// (then the key is stored again).
async fn proved(idp: &IdpState, rp: &Passkeys, state: &str, response: &str) -> Result<Option<User>, IdpError> {
    let Ok((handle, credential)) = rp.identify(response) else { return Ok(None) };
    let Some(factor) = idp.core.repos.find_passkey(&credential).await.page_unavailable()? else { return Ok(None) };
    let user = idp.core.repos.get_user(&factor.user_id).await.page_unavailable()?;
    let Some(user) = user.filter(|u| !u.is_suspended && passkey::user_handle(&u.id) == handle) else { return Ok(None) };
    let Ok(mut key) = passkey::from_stored(&factor.secret) else { return Ok(None) };
    if rp.finish_discoverable(state, response, &mut key).is_err() {
        return Ok(None);
    }
    let stored = passkey::to_stored(&key).map_err(unavailable)?;
    let now = idp.core.clock.now();
    let used = idp.core.repos.use_passkey(&factor.id, &factor.secret, &stored, now).await.page_unavailable()?;
    Ok(used.then_some(user))
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    credential: String,
    /// The current password, asked with the new passkey.
    #[serde(default)]
    current: String,
}

/// `/account/mfa/passkey`: `start` shows the page that creates one; `finish` stores what the
/// browser made (with recovery codes, shown once, when it is the first factor).
pub async fn add(idp: web::Data<IdpState>, req: HttpRequest, f: web::Form<AddForm>) -> HttpResponse {
    let result = async {
        let (session, user) = posted(&idp, &req, &f.csrf).await?;
        let lang = Lang::of_request(&req);
        let w = lang.words();
        let Some(rp) = relying_party(&idp) else {
            return Err(IdpError::page(StatusCode::NOT_FOUND, Problem::NotFound));
        };
        let owner = format!("register:{}", session.id);
        match f.action.as_str() {
            "start" => {
                let existing: Vec<Passkey> = passkeys_of(&idp, &user.id).await?.into_iter().map(|(_, k)| k).collect();
                let started = rp.start_registration(&user.id, &label_of(&user), &existing).map_err(unavailable)?;
                keep(&idp, &owner, &started.state).await?;
                let hidden = vec![("csrf", f.csrf.clone()), ("action", "finish".to_owned())];
                let action = idp.core.settings.own("/account/mfa/passkey");
                let nonce = idp.core.token(16);
                let mut form = form_of(action, hidden, "create", &started, w.passkey_create, "create-passkey", nonce);
                // A session alone does not add a factor: whoever holds a stolen one cannot.
                form.password = true;
                Ok(views::add_passkey(&idp, lang, StatusCode::OK, &form, None))
            }
            "finish" => {
                let refused = |status, e| render(&idp, lang, &session, &user, status, None, Some(e));
                let Some(state) = take(&idp, &owner).await? else {
                    return refused(StatusCode::CONFLICT, w.enrol_expired).await;
                };
                let origin = crate::ratelimit::origin(&idp, &req);
                if !crate::account_page::current_password_ok(&idp, &origin, &user, &f.current).await? {
                    return refused(StatusCode::UNAUTHORIZED, w.wrong_current_password).await;
                }
                let key = match rp.finish_registration(&state, &f.credential) {
                    Ok(key) => key,
                    Err(e) => {
                        tracing::info!(user = %user.id, error = %e.0, "a passkey registration failed");
                        return refused(StatusCode::UNPROCESSABLE_ENTITY, w.passkey_failed).await;
                    }
                };
                let first = idp.core.repos.list_user_factors(&user.id).await.page_unavailable()?.is_empty();
                let codes = first.then(|| latch_oidc::mfa::new_recovery_codes(idp.core.random.as_ref()));
                let hashes = codes.as_ref().map(|c| c.iter().map(|(_, h)| h.clone()).collect());
                match enrol(&idp, &origin, &user.id, w.passkey_name, &key, hashes).await? {
                    Ok(_) => {}
                    Err(RepoError::Conflict(_)) => return refused(StatusCode::CONFLICT, w.passkey_taken).await,
                    Err(e) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
                }
                tracing::info!(user = %user.id, "passkey added");
                match codes {
                    Some(codes) => {
                        let shown: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
                        Ok(views::recovery_codes(&idp, lang, &shown, None))
                    }
                    None => render(&idp, lang, &session, &user, StatusCode::OK, Some(w.passkey_added), None).await,
                }
            }
            _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::PageExpired)),
        }
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

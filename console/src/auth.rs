//! Sign-in as a first-party SPA client: authorization code with PKCE S256 (RFC 7636) against
//! `/oidc`, for the admin API resource (RFC 8707). Tokens live in this module's memory only,
//! never in `localStorage` or `sessionStorage`: a reload signs in again (silently while the
//! Latch session lasts). Only the PKCE verifier and `state` cross the redirect, in
//! `sessionStorage`, and are removed as soon as the callback reads them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::time::Duration;

/// The console's client id, registered by Latch's bootstrap.
pub const CLIENT_ID: &str = "console";
/// The admin API's resource indicator and the scope that opens it.
pub const ADMIN_RESOURCE: &str = "urn:latch:api:admin";
const SCOPES: &str = "openid profile offline_access all";
const PKCE_KEY: &str = "latch.console.pkce";
/// Renew this long before the access token expires.
const RENEW_EARLY_SECS: i64 = 60;

/// What discovery says about the provider (OpenID Connect Discovery 1.0 §3).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: String,
    #[serde(default)]
    pub introspection_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: String,
    #[serde(default)]
    pub scopes_supported: Vec<String>,
}

/// The discovery document's address for the provider at `origin`.
pub fn discovery_url(origin: &str) -> String {
    format!("{origin}/oidc/.well-known/openid-configuration")
}

#[derive(Clone, Debug)]
struct Tokens {
    access: String,
    refresh: Option<String>,
    id_token: Option<String>,
}

thread_local! {
    static TOKENS: RefCell<Option<Tokens>> = const { RefCell::new(None) };
    static DISCOVERY: RefCell<Option<Discovery>> = const { RefCell::new(None) };
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// What the callback needs back: the verifier, the state it must see, where to return.
#[derive(Serialize, Deserialize)]
struct Pending {
    verifier: String,
    state: String,
    return_to: String,
}

/// The RFC 7636 §4.2 S256 challenge of `verifier`.
pub fn challenge_s256(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// `bytes` in base64url without padding (RFC 4648 §5), by the browser's `btoa` (a base64
/// library would cost the console kilobytes of WebAssembly).
fn base64url(bytes: &[u8]) -> String {
    let binary: String = bytes.iter().map(|b| char::from(*b)).collect();
    let standard = window().and_then(|w| w.btoa(&binary).map_err(js)).unwrap_or_default();
    standard.trim_end_matches('=').replace('+', "-").replace('/', "_")
}

fn window() -> Result<web_sys::Window, String> {
    web_sys::window().ok_or_else(|| "no browser window".to_owned())
}

fn js(e: wasm_bindgen::JsValue) -> String {
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// `n` random bytes from the browser's CSPRNG, base64url.
fn random(n: usize) -> Result<String, String> {
    let mut buf = vec![0u8; n];
    window()?.crypto().map_err(js)?.get_random_values_with_u8_array(&mut buf).map_err(js)?;
    Ok(base64url(&buf))
}

pub fn origin() -> String {
    window().ok().and_then(|w| w.location().origin().ok()).unwrap_or_default()
}

fn redirect_uri() -> String {
    format!("{}/console/callback", origin())
}

fn session_storage() -> Result<web_sys::Storage, String> {
    window()?.session_storage().map_err(js)?.ok_or_else(|| "session storage is unavailable".to_owned())
}

pub fn discovery() -> Option<Discovery> {
    DISCOVERY.with(|d| d.borrow().clone())
}

/// Reads the discovery document (once per page load).
pub async fn load_discovery() -> Result<Discovery, String> {
    if let Some(d) = discovery() {
        return Ok(d);
    }
    let resp = gloo_net::http::Request::get(&discovery_url(&origin())).send().await.map_err(|e| e.to_string())?;
    if !resp.ok() {
        return Err(format!("the discovery document answered {}", resp.status()));
    }
    let d: Discovery = resp.json().await.map_err(|e| e.to_string())?;
    DISCOVERY.with(|slot| *slot.borrow_mut() = Some(d.clone()));
    Ok(d)
}

pub fn access_token() -> Option<String> {
    TOKENS.with(|t| t.borrow().as_ref().map(|t| t.access.clone()))
}

pub fn signed_in() -> bool {
    access_token().is_some()
}

/// Leaves for the authorization endpoint; the callback comes back to `return_to`.
pub fn start_sign_in(return_to: &str) -> Result<(), String> {
    let d = discovery().ok_or_else(|| "the provider's discovery document is not loaded".to_owned())?;
    let verifier = random(32)?;
    let state = random(16)?;
    let pending = Pending { verifier: verifier.clone(), state: state.clone(), return_to: return_to.to_owned() };
    let json = serde_json::to_string(&pending).map_err(|e| e.to_string())?;
    session_storage()?.set_item(PKCE_KEY, &json).map_err(js)?;
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", &redirect_uri()),
        ("scope", SCOPES),
        ("resource", ADMIN_RESOURCE),
        ("state", &state),
        ("code_challenge", &challenge_s256(&verifier)),
        ("code_challenge_method", "S256"),
    ])
    .map_err(|e| e.to_string())?;
    window()?.location().set_href(&format!("{}?{query}", d.authorization_endpoint)).map_err(js)
}

/// Why a sign-in did not give the console its token.
#[derive(Clone, Debug, PartialEq)]
pub enum SignInError {
    /// The person signed in, but holds nothing of the admin API (RFC 8707 `invalid_target`,
    /// RFC 6749 `invalid_scope`).
    NotAdmin,
    Failed(String),
}

impl SignInError {
    /// The answer to an OAuth error `code` (RFC 6749 §4.1.2.1, §5.2).
    pub fn from_oauth(code: &str, message: String) -> SignInError {
        match code {
            "invalid_target" | "invalid_scope" => SignInError::NotAdmin,
            _ => SignInError::Failed(message),
        }
    }
}

impl From<String> for SignInError {
    fn from(s: String) -> SignInError {
        SignInError::Failed(s)
    }
}

/// Completes the callback: checks `state`, redeems the code, and answers where to return.
pub async fn finish_sign_in(code: &str, state: &str) -> Result<String, SignInError> {
    let storage = session_storage()?;
    let saved =
        storage.get_item(PKCE_KEY).map_err(js)?.ok_or_else(|| "this sign-in was not started here".to_owned())?;
    storage.remove_item(PKCE_KEY).map_err(js)?;
    let pending: Pending = serde_json::from_str(&saved).map_err(|e| e.to_string())?;
    if pending.state != state {
        return Err(SignInError::Failed("the sign-in answer does not match the request (state)".to_owned()));
    }
    let redirect = redirect_uri();
    token_request(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &redirect),
        ("client_id", CLIENT_ID),
        ("code_verifier", &pending.verifier),
        ("resource", ADMIN_RESOURCE),
    ])
    .await?;
    Ok(pending.return_to)
}

/// Redeems the rotating refresh token for new tokens; `Err` when there is none or it failed.
pub async fn renew() -> Result<(), String> {
    let refresh = TOKENS
        .with(|t| t.borrow().as_ref().and_then(|t| t.refresh.clone()))
        .ok_or_else(|| "no refresh token".to_owned())?;
    token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &refresh),
        ("client_id", CLIENT_ID),
        ("resource", ADMIN_RESOURCE),
    ])
    .await
    .map_err(|e| match e {
        SignInError::NotAdmin => "no longer an administrator".to_owned(),
        SignInError::Failed(why) => why,
    })
}

async fn token_request(form: &[(&str, &str)]) -> Result<(), SignInError> {
    let d = discovery().ok_or_else(|| "the provider's discovery document is not loaded".to_owned())?;
    let body = serde_urlencoded::to_string(form).map_err(|e| e.to_string())?;
    let resp = gloo_net::http::Request::post(&d.token_endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !resp.ok() {
        return Err(match resp.json::<OAuthError>().await {
            Ok(e) => {
                let message = e.error_description.clone().unwrap_or_else(|| e.error.clone());
                SignInError::from_oauth(&e.error, message)
            }
            Err(_) => SignInError::Failed(format!("the token endpoint answered {}", resp.status())),
        });
    }
    let t: TokenResponse = resp.json().await.map_err(|e| e.to_string())?;
    let previous = TOKENS.with(|slot| slot.borrow().clone());
    TOKENS.with(|slot| {
        *slot.borrow_mut() = Some(Tokens {
            access: t.access_token,
            // A refresh response may omit a new refresh token or ID token: keep the old ones.
            refresh: t.refresh_token.or_else(|| previous.as_ref().and_then(|p| p.refresh.clone())),
            id_token: t.id_token.or_else(|| previous.as_ref().and_then(|p| p.id_token.clone())),
        })
    });
    schedule_renewal(t.expires_in.unwrap_or(300));
    Ok(())
}

/// Renews the tokens `RENEW_EARLY_SECS` before they expire; when renewal fails the next API
/// call's 401 sends the operator through sign-in again.
fn schedule_renewal(expires_in: i64) {
    let wait = (expires_in - RENEW_EARLY_SECS).max(5);
    let wait = Duration::from_secs(u64::try_from(wait).unwrap_or(5));
    leptos::prelude::set_timeout(
        || {
            leptos::task::spawn_local(async {
                let _ = renew().await;
            })
        },
        wait,
    );
}

/// Forgets the tokens and ends the Latch session (RP-initiated logout), back to the console.
pub fn sign_out() -> Result<(), String> {
    let id_token = TOKENS.with(|t| t.borrow_mut().take()).and_then(|t| t.id_token);
    let d = discovery().ok_or_else(|| "the provider's discovery document is not loaded".to_owned())?;
    let back = format!("{}/console", origin());
    let mut params = vec![("client_id", CLIENT_ID.to_owned()), ("post_logout_redirect_uri", back)];
    if let Some(hint) = id_token {
        params.push(("id_token_hint", hint));
    }
    let query = serde_urlencoded::to_string(&params).map_err(|e| e.to_string())?;
    window()?.location().set_href(&format!("{}?{query}", d.end_session_endpoint)).map_err(js)
}

/// Where the browser is now, as a path and query to come back to.
pub fn here() -> String {
    window()
        .ok()
        .map(|w| {
            let l = w.location();
            format!("{}{}", l.pathname().unwrap_or_default(), l.search().unwrap_or_default())
        })
        .unwrap_or_else(|| "/console".to_owned())
}

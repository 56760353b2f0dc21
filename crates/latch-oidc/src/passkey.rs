//! WebAuthn passkeys (W3C Web Authentication Level 3, through `webauthn-rs`): registering one,
//! and proving one, as the second factor after a password or alone (a discoverable credential,
//! user verification required: possession and a PIN or biometric, two factors at once).
//!
//! The relying party is the public URL's host (an IP address cannot be one: passkeys are then
//! unavailable, and the pages do not offer them). Each ceremony's state is serialised to wait in
//! the ephemeral store between its two halves; a state is taken once, so a response cannot be
//! replayed. Backup flags follow the specification: a credential registered backup-eligible
//! (a synced passkey) stays so, its backup state may change at each use, and a signature counter
//! of zero (what synced passkeys send) is accepted; a counter that goes backwards is refused.

use crate::crypto;
use latch_domain::ids::UserId;
use serde_json::Value;
pub use webauthn_rs::prelude::Passkey;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// `amr` of a passkey used alone (RFC 8176: a hardware-secured key, and user verification
/// makes it multi-factor).
pub const PASSWORDLESS_AMR: [&str; 2] = [crate::mfa::AMR_HARDWARE_KEY, crate::mfa::AMR_MFA];

/// Why a ceremony failed (a message for the log; the user is told only that it did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyError(pub String);

fn err(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError(e.to_string())
}

/// The relying party of the site at `public_url`: its id (the host) and origin, or `None` when
/// the host is an IP address (not a valid relying party id) or the URL is not http(s).
pub fn relying_party(public_url: &str) -> Option<(String, Url)> {
    let url = Url::parse(public_url).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    match url.host()? {
        url::Host::Domain(d) => {
            let origin = Url::parse(&url.origin().ascii_serialization()).ok()?;
            Some((d.to_ascii_lowercase(), origin))
        }
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

/// The WebAuthn user handle of `user`: 16 bytes derived from the id, so the id itself (which
/// may be an email-like string) is never stored on authenticators.
pub fn user_handle(user: &UserId) -> Uuid {
    let digest = crypto::sha256_bytes(&format!("webauthn user handle:{user}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// A passkey's credential id, base64url (what a discoverable sign-in names it by).
pub fn credential_id(key: &Passkey) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.cred_id().as_ref())
}

/// A passkey as stored, and back.
pub fn to_stored(key: &Passkey) -> Result<String, PasskeyError> {
    serde_json::to_string(key).map_err(err)
}

pub fn from_stored(stored: &str) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(stored).map_err(err)
}

/// The ceremonies for one relying party.
pub struct Passkeys {
    webauthn: Webauthn,
}

/// The options for the browser (`{"publicKey": …}`, as `PublicKeyCredential.parse*FromJSON`
/// reads them) and the state to keep until the response comes back.
pub struct Started {
    pub options: Value,
    pub state: String,
}

impl Passkeys {
    /// For the site at `public_url`, named `rp_name` on authenticators; `None` where passkeys
    /// cannot work ([`relying_party`]).
    pub fn new(public_url: &str, rp_name: &str) -> Option<Passkeys> {
        let (id, origin) = relying_party(public_url)?;
        let webauthn = WebauthnBuilder::new(&id, &origin).ok()?.rp_name(rp_name).build().ok()?;
        Some(Passkeys { webauthn })
    }

    /// Starts registering a passkey for `user` (`name` for the authenticator to show), not one of
    /// `existing`. The credential is asked to be discoverable, so it can sign in alone.
    pub fn start_registration(&self, user: &UserId, name: &str, existing: &[Passkey]) -> Result<Started, PasskeyError> {
        let exclude = existing.iter().map(|k| k.cred_id().clone()).collect::<Vec<_>>();
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (ccr, state) =
            self.webauthn.start_passkey_registration(user_handle(user), name, name, exclude).map_err(err)?;
        let mut options = serde_json::to_value(&ccr).map_err(err)?;
        // WebAuthn §5.4.4: a discoverable credential, so the passkey can also sign in alone.
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection").and_then(Value::as_object_mut) {
            sel.insert("residentKey".into(), Value::from("required"));
            sel.insert("requireResidentKey".into(), Value::from(true));
        }
        Ok(Started { options, state: serde_json::to_string(&state).map_err(err)? })
    }

    /// Finishes a registration from the browser's `response` (`PublicKeyCredential.toJSON()`).
    pub fn finish_registration(&self, state: &str, response: &str) -> Result<Passkey, PasskeyError> {
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(err)?;
        let reg: RegisterPublicKeyCredential = serde_json::from_str(response).map_err(err)?;
        self.webauthn.finish_passkey_registration(&reg, &state).map_err(err)
    }

    /// Starts proving one of `keys` (the second step of a sign-in).
    pub fn start_authentication(&self, keys: &[Passkey]) -> Result<Started, PasskeyError> {
        let (rcr, state) = self.webauthn.start_passkey_authentication(keys).map_err(err)?;
        Ok(Started {
            options: serde_json::to_value(&rcr).map_err(err)?,
            state: serde_json::to_string(&state).map_err(err)?,
        })
    }

    /// Finishes proving one of `keys`: the index of the key used, updated (counter, backup
    /// state) for storing again.
    pub fn finish_authentication(
        &self,
        state: &str,
        response: &str,
        keys: &mut [Passkey],
    ) -> Result<usize, PasskeyError> {
        let state: PasskeyAuthentication = serde_json::from_str(state).map_err(err)?;
        let cred: PublicKeyCredential = serde_json::from_str(response).map_err(err)?;
        let result = self.webauthn.finish_passkey_authentication(&cred, &state).map_err(err)?;
        let used =
            keys.iter().position(|k| k.cred_id() == result.cred_id()).ok_or_else(|| err("unknown credential"))?;
        keys[used].update_credential(&result);
        Ok(used)
    }

    /// Starts a sign-in with a discoverable passkey: the browser offers whichever it holds.
    pub fn start_discoverable(&self) -> Result<Started, PasskeyError> {
        let (mut rcr, state) = self.webauthn.start_discoverable_authentication().map_err(err)?;
        // A button starts this ceremony, not the autofill of the identifier field.
        rcr.mediation = None;
        Ok(Started {
            options: serde_json::to_value(&rcr).map_err(err)?,
            state: serde_json::to_string(&state).map_err(err)?,
        })
    }

    /// The user handle and credential id (base64url) a discoverable `response` names.
    pub fn identify(&self, response: &str) -> Result<(Uuid, String), PasskeyError> {
        use base64::Engine;
        let cred: PublicKeyCredential = serde_json::from_str(response).map_err(err)?;
        let (handle, id) = self.webauthn.identify_discoverable_authentication(&cred).map_err(err)?;
        Ok((handle, base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)))
    }

    /// Finishes a discoverable sign-in with `key`, the passkey [`Passkeys::identify`] named,
    /// updated for storing again.
    pub fn finish_discoverable(&self, state: &str, response: &str, key: &mut Passkey) -> Result<(), PasskeyError> {
        let state: DiscoverableAuthentication = serde_json::from_str(state).map_err(err)?;
        let cred: PublicKeyCredential = serde_json::from_str(response).map_err(err)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication(&cred, state, &[DiscoverableKey::from(&*key)])
            .map_err(err)?;
        key.update_credential(&result);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_hosts_name() {
        #[rustfmt::skip]
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("https://id.example.com",          Some(("id.example.com", "https://id.example.com"))),
            ("https://ID.Example.com:8443/",    Some(("id.example.com", "https://id.example.com:8443"))),
            ("http://localhost:8080",           Some(("localhost", "http://localhost:8080"))),
            ("https://example.com/latch",       Some(("example.com", "https://example.com"))),
            ("http://127.0.0.1:8080",           None),
            ("http://[::1]:8080",               None),
            ("ftp://example.com",               None),
            ("not a url",                       None),
        ];
        for (url, want) in cases {
            let got = relying_party(url).map(|(id, origin)| (id, origin.as_str().trim_end_matches('/').to_owned()));
            assert_eq!(got, want.map(|(id, o)| (id.to_owned(), o.to_owned())), "{url}");
        }
        assert!(Passkeys::new("http://127.0.0.1:8080", "Acme").is_none(), "no passkeys on an IP address");
        assert!(Passkeys::new("https://id.example.com", "Acme").is_some());
    }

    #[test]
    fn a_registration_asks_for_a_discoverable_verified_credential() {
        let passkeys = Passkeys::new("https://id.example.com", "Acme").unwrap();
        let ada = UserId::from("ada@example.com");
        let started = passkeys.start_registration(&ada, "ada@example.com", &[]).unwrap();
        let o = &started.options["publicKey"];
        assert_eq!(o["rp"]["id"], "id.example.com");
        assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
        assert_ne!(o["user"]["id"], "ada@example.com", "the user handle is not the id");
        assert!(!started.state.is_empty());
        let response =
            r#"{"id":"x","rawId":"eA","response":{"attestationObject":"","clientDataJSON":""},"type":"public-key"}"#;
        assert!(passkeys.finish_registration(&started.state, response).is_err(), "a made-up response fails");
        assert!(passkeys.finish_registration("not a state", response).is_err());
        let discoverable = passkeys.start_discoverable().unwrap();
        assert!(discoverable.options.get("mediation").is_none(), "a button starts it, not autofill");
    }

    #[test]
    fn user_handles_are_stable_and_distinct() {
        let ada = user_handle(&UserId::from("ada"));
        assert_eq!(ada, user_handle(&UserId::from("ada")));
        assert_ne!(ada, user_handle(&UserId::from("eve")));
        assert_eq!(PASSWORDLESS_AMR, ["hwk", "mfa"]);
        assert_eq!(crate::mfa::acr_of(&PASSWORDLESS_AMR.map(str::to_owned)), crate::mfa::ACR_MFA);
    }
}

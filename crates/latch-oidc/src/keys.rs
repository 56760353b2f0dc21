//! Signing keys: generation, encryption at rest (JWE `dir` + A256GCM under the configured
//! secret key), the in-memory key set used to sign and verify, and the public JWKS.

use josekit::jwe::{self, Dir, JweHeader};
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{ES256, JwsHeader, JwsSigner, JwsVerifier, RS256};
use josekit::jwt::{self, JwtPayload};
use latch_domain::Timestamp;
use latch_domain::entities::{KeyState, SigningKey};
use latch_domain::ids::KeyId;
use serde_json::{Map, Value};

/// The signature algorithms Latch signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alg {
    RS256,
    ES256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::RS256),
            "ES256" => Some(Alg::ES256),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate a key: {0}")]
    Generate(String),
    #[error("cannot decrypt signing key {0}: wrong secret_key, or the key was tampered with")]
    Decrypt(String),
    #[error("signing key {0} is malformed: {1}")]
    Malformed(String, String),
    #[error("no current {0} signing key")]
    NoCurrentKey(&'static str),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Generates a key of `alg` and returns its stored form, the private half encrypted.
pub fn generate(
    alg: Alg,
    kid: KeyId,
    state: KeyState,
    secret_key: &[u8; 32],
    now: Timestamp,
) -> Result<SigningKey, KeyError> {
    let gen_err = |e: josekit::JoseError| KeyError::Generate(e.to_string());
    let (mut private, mut public) = match alg {
        Alg::RS256 => {
            let pair = RS256.generate_key_pair(2048).map_err(gen_err)?;
            (pair.to_jwk_key_pair(), pair.to_jwk_public_key())
        }
        Alg::ES256 => {
            let pair = ES256.generate_key_pair().map_err(gen_err)?;
            (pair.to_jwk_key_pair(), pair.to_jwk_public_key())
        }
    };
    for jwk in [&mut private, &mut public] {
        jwk.set_key_id(kid.as_str());
        jwk.set_algorithm(alg.as_str());
        jwk.set_key_use("sig");
    }
    let private_json = serde_json::to_vec(private.as_ref()).map_err(|e| KeyError::Generate(e.to_string()))?;
    let mut header = JweHeader::new();
    header.set_content_encryption("A256GCM");
    header.set_key_id(kid.as_str());
    let encrypter = Dir.encrypter_from_bytes(secret_key).map_err(gen_err)?;
    let private_jwe = jwe::serialize_compact(&private_json, &header, &encrypter).map_err(gen_err)?;
    let public_jwk = serde_json::to_string(public.as_ref()).map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(SigningKey {
        kid,
        alg: alg.as_str().to_owned(),
        state,
        private_jwe,
        public_jwk,
        created_at: now,
        retired_at: None,
    })
}

/// A previous key past its grace period.
pub fn expired(key: &SigningKey, now: Timestamp, grace: i64) -> bool {
    key.state == KeyState::Previous && key.retired_at.is_some_and(|r| r.plus_secs(grace) <= now)
}

/// What a rotation does, per algorithm: the next key (generated ahead and already published)
/// becomes current, the current key becomes previous and starts its grace period, and a new
/// next key is generated. Without a next key, a new current key is generated directly.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub promote: Vec<KeyId>,
    pub retire: Vec<KeyId>,
    pub generate_current: Vec<Alg>,
    pub generate_next: Vec<Alg>,
}

pub fn plan_rotation(stored: &[SigningKey]) -> Rotation {
    let mut r = Rotation::default();
    for alg in [Alg::RS256, Alg::ES256] {
        let of = |state: KeyState| stored.iter().filter(move |k| k.alg == alg.as_str() && k.state == state);
        match of(KeyState::Next).max_by_key(|k| k.created_at) {
            Some(next) => r.promote.push(next.kid.clone()),
            None => r.generate_current.push(alg),
        }
        r.retire.extend(of(KeyState::Current).map(|k| k.kid.clone()));
        r.generate_next.push(alg);
    }
    r
}

/// One loaded key: able to verify, and to sign when it is current.
pub struct LoadedKey {
    pub kid: KeyId,
    pub alg: Alg,
    pub state: KeyState,
    pub created_at: Timestamp,
    public: Map<String, Value>,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
}

impl std::fmt::Debug for LoadedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKey").field("kid", &self.kid).field("alg", &self.alg).field("state", &self.state).finish()
    }
}

/// Every key this node knows, decrypted once and kept in memory.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<LoadedKey>,
}

fn load_one(stored: &SigningKey, secret_key: &[u8; 32]) -> Result<LoadedKey, KeyError> {
    let kid = stored.kid.as_str().to_owned();
    let malformed = |e: String| KeyError::Malformed(kid.clone(), e);
    let alg = Alg::parse(&stored.alg).ok_or_else(|| malformed(format!("unknown alg {}", stored.alg)))?;
    let decrypter = Dir.decrypter_from_bytes(secret_key).map_err(|e| malformed(e.to_string()))?;
    let (plain, _) =
        jwe::deserialize_compact(&stored.private_jwe, &decrypter).map_err(|_| KeyError::Decrypt(kid.clone()))?;
    let private = Jwk::from_bytes(&plain).map_err(|e| malformed(e.to_string()))?;
    let public_map: Map<String, Value> =
        serde_json::from_str(&stored.public_jwk).map_err(|e| malformed(e.to_string()))?;
    let public = Jwk::from_map(public_map.clone()).map_err(|e| malformed(e.to_string()))?;
    let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
        Alg::RS256 => (
            Box::new(RS256.signer_from_jwk(&private).map_err(|e| malformed(e.to_string()))?),
            Box::new(RS256.verifier_from_jwk(&public).map_err(|e| malformed(e.to_string()))?),
        ),
        Alg::ES256 => (
            Box::new(ES256.signer_from_jwk(&private).map_err(|e| malformed(e.to_string()))?),
            Box::new(ES256.verifier_from_jwk(&public).map_err(|e| malformed(e.to_string()))?),
        ),
    };
    Ok(LoadedKey {
        kid: stored.kid.clone(),
        alg,
        state: stored.state,
        created_at: stored.created_at,
        public: public_map,
        signer,
        verifier,
    })
}

impl KeySet {
    /// Decrypts and loads `stored` keys.
    pub fn load(stored: &[SigningKey], secret_key: &[u8; 32]) -> Result<KeySet, KeyError> {
        let keys = stored.iter().map(|k| load_one(k, secret_key)).collect::<Result<Vec<_>, _>>()?;
        Ok(KeySet { keys })
    }

    /// Loads the keys still in use at `now`: previous keys only within `grace` seconds of their
    /// retirement (after that, tokens they signed no longer verify and the JWKS drops them).
    pub fn load_at(
        stored: &[SigningKey],
        secret_key: &[u8; 32],
        now: Timestamp,
        grace: i64,
    ) -> Result<KeySet, KeyError> {
        let live: Vec<SigningKey> = stored.iter().filter(|k| !expired(k, now, grace)).cloned().collect();
        KeySet::load(&live, secret_key)
    }

    /// The newest current key of `alg`.
    pub fn current(&self, alg: Alg) -> Option<&LoadedKey> {
        self.keys.iter().filter(|k| k.alg == alg && k.state == KeyState::Current).max_by_key(|k| k.created_at)
    }

    pub fn keys(&self) -> &[LoadedKey] {
        &self.keys
    }

    /// The JWK Set document (RFC 7517 §5): the public half of every key, next, current and previous.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self.keys.iter().map(|k| Value::Object(k.public.clone())).collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs `claims` as a JWT with the current key of `alg` and the given `typ`.
    pub fn sign(&self, alg: Alg, typ: &str, claims: Map<String, Value>) -> Result<String, KeyError> {
        let key = self.current(alg).ok_or(KeyError::NoCurrentKey(alg.as_str()))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(key.kid.as_str());
        let payload = JwtPayload::from_map(claims).map_err(|e| KeyError::Sign(e.to_string()))?;
        jwt::encode_with_signer(&payload, &header, key.signer.as_ref()).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Verifies a JWT signed by one of these keys and returns its claims and `typ`. Time-based
    /// claims are the caller's to check.
    pub fn verify(&self, token: &str) -> Option<(Map<String, Value>, Option<String>)> {
        let (payload, header) = jwt::decode_with_verifier_selector(token, |header| {
            let kid = header.key_id();
            let alg = header.algorithm();
            Ok(self
                .keys
                .iter()
                .find(|k| Some(k.kid.as_str()) == kid && Some(k.alg.as_str()) == alg)
                .map(|k| k.verifier.as_ref()))
        })
        .ok()?;
        Some((payload.claims_set().clone(), header.token_type().map(str::to_owned)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const SECRET: [u8; 32] = [42; 32];

    #[test]
    fn keys_round_trip_through_encryption_and_sign_verifiably() {
        let rs = generate(Alg::RS256, KeyId::from("rs1"), KeyState::Current, &SECRET, Timestamp(1)).expect("rsa");
        let es = generate(Alg::ES256, KeyId::from("es1"), KeyState::Current, &SECRET, Timestamp(1)).expect("ec");
        assert!(!rs.private_jwe.contains("\"d\""), "the private key is not stored in clear");
        let set = KeySet::load(&[rs.clone(), es], &SECRET).expect("load");
        let jwks = set.jwks();
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 2);
        for k in keys {
            assert!(k.get("d").is_none(), "JWKS never carries private parts: {k}");
            assert_eq!(k["use"], "sig");
        }
        let mut claims = Map::new();
        claims.insert("sub".into(), "u1".into());
        for alg in [Alg::RS256, Alg::ES256] {
            let token = set.sign(alg, "JWT", claims.clone()).expect("sign");
            let (got, typ) = set.verify(&token).expect("verifies");
            assert_eq!(got["sub"], "u1");
            assert_eq!(typ.as_deref(), Some("JWT"));
            let tampered = format!("{}x", &token[..token.len() - 1]);
            assert!(set.verify(&tampered).is_none());
        }
        assert!(matches!(KeySet::load(&[rs], &[0; 32]), Err(KeyError::Decrypt(_))), "wrong secret key fails loudly");
    }

    fn stored(kid: &str, alg: Alg, state: KeyState, retired_at: Option<i64>) -> SigningKey {
        SigningKey {
            kid: KeyId::from(kid),
            alg: alg.as_str().to_owned(),
            state,
            private_jwe: String::new(),
            public_jwk: String::new(),
            created_at: Timestamp(1),
            retired_at: retired_at.map(Timestamp),
        }
    }

    #[test]
    fn rotation_promotes_next_retires_current_and_prepares_a_new_next() {
        let keys = [
            stored("rs-cur", Alg::RS256, KeyState::Current, None),
            stored("rs-next", Alg::RS256, KeyState::Next, None),
            stored("es-cur", Alg::ES256, KeyState::Current, None),
            stored("rs-old", Alg::RS256, KeyState::Previous, Some(10)),
        ];
        let r = plan_rotation(&keys);
        assert_eq!(r.promote, [KeyId::from("rs-next")]);
        assert_eq!(r.retire, [KeyId::from("rs-cur"), KeyId::from("es-cur")]);
        assert_eq!(r.generate_current, [Alg::ES256], "ES256 had no next key");
        assert_eq!(r.generate_next, [Alg::RS256, Alg::ES256]);
    }

    #[test]
    fn previous_keys_expire_after_their_grace_period() {
        let old = stored("old", Alg::RS256, KeyState::Previous, Some(100));
        assert!(!expired(&old, Timestamp(150), 60));
        assert!(expired(&old, Timestamp(160), 60));
        assert!(!expired(&stored("cur", Alg::RS256, KeyState::Current, None), Timestamp(10_000), 60));
    }

    /// The JWKS shape: which members each key publishes (values vary per key).
    #[test]
    fn jwks_shape_snapshot() {
        let rs = generate(Alg::RS256, KeyId::from("rs1"), KeyState::Current, &SECRET, Timestamp(1)).expect("rsa");
        let es = generate(Alg::ES256, KeyId::from("es1"), KeyState::Next, &SECRET, Timestamp(1)).expect("ec");
        let jwks = KeySet::load(&[rs, es], &SECRET).expect("load").jwks();
        let shape: Vec<Value> = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| {
                let obj = k.as_object().expect("object");
                let mut members: Vec<&String> = obj.keys().collect();
                members.sort();
                serde_json::json!({"kid": k["kid"], "kty": k["kty"], "alg": k["alg"], "use": k["use"], "crv": k.get("crv"), "members": members})
            })
            .collect();
        insta::assert_json_snapshot!(shape);
    }
}

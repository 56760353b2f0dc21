//! What the IdP's handlers hold: the shared [`Core`] and the HTTP-only pieces (the cookie key).

use actix_web::cookie::Key;
use latch_core::Core;
use std::sync::Arc;

pub struct IdpState {
    pub core: Arc<Core>,
    pub(crate) cookie_key: Key,
}

impl IdpState {
    pub fn new(core: Arc<Core>) -> IdpState {
        let cookie_key = Key::from(&core.cookie_key_material());
        IdpState { core, cookie_key }
    }
}

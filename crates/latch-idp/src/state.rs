//! What the IdP's handlers hold: the shared [`Core`] and the HTTP-only pieces (the cookie key,
//! the metadata-document fetcher).

use crate::client_documents::DocumentFetcher;
use actix_web::cookie::Key;
use latch_core::Core;
use std::sync::Arc;

pub struct IdpState {
    pub core: Arc<Core>,
    pub(crate) cookie_key: Key,
    /// Fetches Client ID Metadata Documents.
    pub(crate) documents: DocumentFetcher,
}

impl IdpState {
    pub fn new(core: Arc<Core>) -> IdpState {
        let cookie_key = Key::from(&core.cookie_key_material());
        IdpState { core, cookie_key, documents: DocumentFetcher::default() }
    }

    /// Fetches metadata documents with `documents` (loopback and extra roots for tests).
    pub fn with_documents(self, documents: DocumentFetcher) -> IdpState {
        IdpState { documents, ..self }
    }
}

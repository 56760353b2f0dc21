//! Client ID Metadata Documents at the authorization endpoint: a `client_id` that is an https
//! URL is fetched, read and admitted under the registration ceiling before the request is
//! validated, and kept as a stored client so its grants and tokens have a home. The rules
//! (which URLs, which addresses, how long, what a document says) are the engine's
//! (`latch_oidc::metadata_document`); this module does the I/O.
//!
//! The fetch is SSRF-safe: the host is resolved here, every address it resolves to must be one
//! Latch may fetch from (RFC 6890 special-use addresses never are), and the connection goes
//! to those vetted addresses only, so a second DNS answer cannot point it elsewhere. No proxy,
//! no redirect, https only, 5 KB and 5 s at most.

use crate::errors::{IdpError, JsonUnavailable};
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::HttpRequest;
use latch_core::commands::{adopt_document_client, ceiling, update_registered_client};
use latch_domain::ids::ApplicationId;
use latch_domain::repo::RepoError;
use latch_oidc::metadata_document::{
    DocumentStep, FETCH_TIMEOUT, MAX_DOCUMENT_BYTES, cache_lifetime, may_fetch_from, next_step, read_document,
};
use latch_oidc::registration::{admit, check_update};
use latch_oidc::{AuthorizeError, OAuthError, crypto};
use std::net::{IpAddr, SocketAddr};

/// Fetches documents: with the public web roots (and `extra_roots`), and from loopback only
/// when `allow_loopback` (tests).
#[derive(Clone, Default)]
pub struct DocumentFetcher {
    allow_loopback: bool,
    extra_roots: Vec<reqwest::Certificate>,
}

/// A document as fetched: its body and its `Cache-Control`.
struct Fetched {
    body: Vec<u8>,
    cache_control: Option<String>,
}

impl DocumentFetcher {
    /// `extra_roots`: a PEM bundle of authorities trusted besides the public web roots.
    pub fn new(allow_loopback: bool, extra_roots: Option<&[u8]>) -> Result<DocumentFetcher, String> {
        let extra_roots = match extra_roots {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("no PEM certificates: {e}"))?,
            None => Vec::new(),
        };
        Ok(DocumentFetcher { allow_loopback, extra_roots })
    }

    async fn fetch(&self, client_id: &str) -> Result<Fetched, String> {
        let url = url::Url::parse(client_id).map_err(|e| e.to_string())?;
        let port = url.port_or_known_default().unwrap_or(443);
        let (domain, addrs) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
            Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
            Some(url::Host::Domain(d)) => {
                let found = tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((d, port)))
                    .await
                    .map_err(|_| format!("resolving {d} took too long"))?
                    .map_err(|e| format!("{d} does not resolve: {e}"))?;
                (Some(d.to_owned()), found.collect())
            }
            None => return Err("it names no host".to_owned()),
        };
        if addrs.is_empty() {
            return Err("its host has no address".to_owned());
        }
        // Every address, not the first: a host that also resolves to a private address is not
        // fetched at all.
        if let Some(a) = addrs.iter().find(|a| !may_fetch_from(a.ip(), self.allow_loopback)) {
            return Err(format!("its host resolves to {}, an address this server never fetches from", a.ip()));
        }
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .user_agent(concat!("Latch/", env!("CARGO_PKG_VERSION")));
        for root in &self.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        if let Some(d) = &domain {
            builder = builder.resolve_to_addrs(d, &addrs);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let mut res = client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("could not be fetched: {}", error_chain(&e)))?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(format!("answered HTTP {} (redirects are not followed)", res.status().as_u16()));
        }
        let cache_control =
            res.headers().get(reqwest::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| format!("could not be read: {e}"))? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(format!("is larger than {MAX_DOCUMENT_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched { body, cache_control })
    }
}

/// The error and its causes on one line (reqwest's own text says only "error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn document_key(client_id: &str) -> String {
    format!("client-document:{}", crypto::token_hash(client_id))
}

/// Before an authorization request looks its client up: when `client_id` names a document
/// that needs fetching ([`next_step`]), fetches it and creates or updates the client it
/// describes. Every fetch counts against the address's registration limit. A document that
/// cannot be fetched or read, or that the ceiling refuses, is `invalid_client`, shown to the
/// user (its redirect URIs are not to be trusted).
pub async fn refresh(idp: &IdpState, req: &HttpRequest, client_id: &str) -> Result<(), IdpError> {
    let policy = idp.core.registration_policy();
    if next_step(client_id, &policy, false, None) == DocumentStep::Stored {
        return Ok(());
    }
    let key = document_key(client_id);
    let fresh = idp.core.cache.get(&key).await.page_unavailable()?.is_some();
    let id = ApplicationId::from(client_id);
    let app = if fresh { None } else { idp.core.repos.get_application(&id).await.page_unavailable()? };
    let record = match &app {
        Some(_) => idp.core.repos.get_client_registration(&id).await.page_unavailable()?,
        None => None,
    };
    let stored = app.as_ref().map(|_| record.as_ref().map(|r| r.kind));
    if next_step(client_id, &policy, fresh, stored) == DocumentStep::Stored {
        return Ok(());
    }
    let refused = |detail: String| {
        IdpError::Authorize(AuthorizeError::NoRedirect(OAuthError::invalid_client(format!(
            "the client metadata document at {client_id} {detail}"
        ))))
    };
    let origin = ratelimit::origin(idp, req);
    ratelimit::count_registration(idp, &origin.ip, policy.registrations_per_hour, false).await?;
    let fetched = idp.documents.fetch(client_id).await.map_err(|detail| {
        tracing::info!(client = client_id, %detail, "client metadata document refused");
        refused(detail)
    })?;
    let no_redirect = |e: OAuthError| IdpError::Authorize(AuthorizeError::NoRedirect(e));
    let meta = read_document(client_id, &fetched.body).map_err(no_redirect)?;
    let ceiling = ceiling(&idp.core, &policy).await.page_unavailable()?;
    let admitted = admit(&policy, &ceiling, &meta).map_err(|e| refused(format!("is refused: {}", e.description)))?;
    match (app, record) {
        (Some(app), Some(record)) => {
            check_update(app.id.as_str(), app.app_type, &meta, &admitted)
                .map_err(|e| refused(format!("is refused: {}", e.description)))?;
            update_registered_client(&idp.core, &app, &record, admitted, &meta).await.page_unavailable()?;
            tracing::info!(client = client_id, "client metadata document fetched again");
        }
        _ => match adopt_document_client(&idp.core, client_id, admitted, &meta, &origin).await {
            Ok(_) => tracing::info!(client = client_id, "client named by a metadata document admitted"),
            // Another node admitted it at the same moment: what it stored stands.
            Err(RepoError::Conflict(_)) => {}
            Err(e) => return Err(IdpError::Unavailable { detail: e.to_string(), json: false }),
        },
    }
    let ttl = cache_lifetime(fetched.cache_control.as_deref());
    idp.core.cache.put(&key, "1", ttl).await.page_unavailable()?;
    Ok(())
}

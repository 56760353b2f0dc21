//! The admin API client: bearer token from `auth`, JSON bodies, RFC 9457 problem documents
//! decoded into [`ApiError`] (with the `field` a validation error names), list totals from the
//! `Total-Number` header. A 401 renews the tokens once and retries; when that fails too, the
//! operator is sent through sign-in again and comes back to the same page.

use crate::auth;
use gloo_net::http::{Request, RequestBuilder, Response};
use latch_types::Problem;
use leptos::prelude::LocalResource;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

/// Rows per page in every console list.
pub const PAGE_SIZE: u32 = 20;

#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The request field a validation error is about (`oidcClientMetadata.redirectUris[0]`).
    pub field: Option<String>,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError {
            status: 0,
            code: "network".to_owned(),
            message: format!("Latch could not be reached: {e}"),
            field: None,
        }
    }

    /// Whether this error is about `field` or one of its entries (`field[2]`, `field.x`).
    pub fn is_about(&self, field: &str) -> bool {
        self.field.as_deref().is_some_and(|f| {
            f == field || f.strip_prefix(field).is_some_and(|rest| rest.starts_with('[') || rest.starts_with('.'))
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A page of a list and the list's total.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Clone, Copy)]
enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

fn builder(verb: Verb, url: &str) -> RequestBuilder {
    match verb {
        Verb::Get => Request::get(url),
        Verb::Post => Request::post(url),
        Verb::Put => Request::put(url),
        Verb::Patch => Request::patch(url),
        Verb::Delete => Request::delete(url),
    }
}

async fn send(verb: Verb, path: &str, body: Option<&str>) -> Result<Response, ApiError> {
    let url = format!("/api{path}");
    for attempt in 0..2 {
        let mut b = builder(verb, &url).header("Accept", "application/json");
        if let Some(token) = auth::access_token() {
            b = b.header("Authorization", &format!("Bearer {token}"));
        }
        let resp = match body {
            Some(json) => b
                .header("Content-Type", "application/json")
                .body(json.to_owned())
                .map_err(ApiError::network)?
                .send()
                .await
                .map_err(ApiError::network)?,
            None => b.send().await.map_err(ApiError::network)?,
        };
        if resp.status() == 401 {
            if attempt == 0 && auth::renew().await.is_ok() {
                continue;
            }
            let _ = auth::start_sign_in(&auth::here());
            return Err(ApiError {
                status: 401,
                code: "unauthorized".to_owned(),
                message: "Your session ended; signing you in again…".to_owned(),
                field: None,
            });
        }
        if !resp.ok() {
            return Err(problem(resp).await);
        }
        return Ok(resp);
    }
    Err(ApiError::network("no answer"))
}

async fn problem(resp: Response) -> ApiError {
    let status = resp.status();
    match resp.json::<Problem>().await {
        Ok(p) => ApiError { status, code: p.code, message: p.detail.unwrap_or(p.title), field: p.field },
        Err(_) => ApiError {
            status,
            code: "unexpected".to_owned(),
            message: format!("Latch answered {status} {}", resp.status_text()),
            field: None,
        },
    }
}

/// The body of a successful answer and its `Total-Number` header (0 when absent): one future
/// every typed call awaits, so each answer type adds only its own decoding, not a copy of the
/// request and its body read.
async fn answer(verb: Verb, path: &str, body: Option<String>) -> Result<(String, i64), ApiError> {
    let resp = send(verb, path, body.as_deref()).await?;
    let total = resp.headers().get("Total-Number").and_then(|v| v.parse().ok()).unwrap_or(0);
    let text = resp.text().await.map_err(unreadable)?;
    Ok((text, total))
}

fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError {
        status: 0,
        code: "unreadable".to_owned(),
        message: format!("an answer could not be read: {e}"),
        field: None,
    }
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(unreadable)
}

fn encode<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|e| ApiError {
        status: 0,
        code: "encode".to_owned(),
        message: e.to_string(),
        field: None,
    })
}

/// Page `page` (from 1) of the list at `path`; `path` may carry its own query.
pub async fn list<T: DeserializeOwned>(path: &str, page: u32) -> Result<Listed<T>, ApiError> {
    list_sized(path, page, PAGE_SIZE).await
}

/// The first `size` rows (at most 100) of the list at `path`, for pickers.
pub async fn first<T: DeserializeOwned>(path: &str, size: u32) -> Result<Listed<T>, ApiError> {
    list_sized(path, 1, size.min(100)).await
}

async fn list_sized<T: DeserializeOwned>(path: &str, page: u32, size: u32) -> Result<Listed<T>, ApiError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (text, total) = answer(Verb::Get, &format!("{path}{sep}page={page}&pageSize={size}"), None).await?;
    Ok(Listed { items: decode(&text)?, total })
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(&answer(Verb::Post, path, Some(encode(body)?)).await?.0)
}

/// A `POST` whose answer has no body worth reading (`201` with nothing, as link additions answer).
pub async fn post_only<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    send(Verb::Post, path, Some(&encode(body)?)).await.map(|_| ())
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(&answer(Verb::Put, path, Some(encode(body)?)).await?.0)
}

/// A `PUT` whose answer has no body worth reading.
pub async fn put_only<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    send(Verb::Put, path, Some(&encode(body)?)).await.map(|_| ())
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    decode(&answer(Verb::Patch, path, Some(encode(body)?)).await?.0)
}

pub async fn delete(path: &str) -> Result<(), ApiError> {
    send(Verb::Delete, path, None).await.map(|_| ())
}

/// Percent-encodes a path segment (an id from the API may hold any character).
pub fn seg(v: &str) -> String {
    js_sys::encode_uri_component(v).as_string().unwrap_or_default()
}

/// What a page reads from the API, read again whenever a signal the reader uses changes.
///
/// A thin typed face over one `LocalResource` type: every reader shares Leptos's async
/// machinery instead of compiling a copy per reader (a copy per closure type is most of what
/// made the WebAssembly large).
pub struct Fetch<T> {
    inner: LocalResource<Result<Rc<dyn Any>, ApiError>>,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Fetch<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetch<T> {}

type Erased = Pin<Box<dyn Future<Output = Result<Rc<dyn Any>, ApiError>>>>;

/// Turns an answer's body and `Total-Number` into the reader's value.
type Decoder = fn(&str, i64) -> Result<Rc<dyn Any>, ApiError>;

fn decode_one<T: DeserializeOwned + 'static>(text: &str, _total: i64) -> Result<Rc<dyn Any>, ApiError> {
    decode::<T>(text).map(|v| Rc::new(v) as Rc<dyn Any>)
}

fn decode_rows<T: DeserializeOwned + 'static>(text: &str, total: i64) -> Result<Rc<dyn Any>, ApiError> {
    decode::<Vec<T>>(text).map(|items| Rc::new(Listed { items, total }) as Rc<dyn Any>)
}

/// A GET of `url()` (tracked) as one future shared by every answer type: a reader adds only
/// its decoder.
fn read_erased(url: Box<dyn Fn() -> String>, decoder: Decoder) -> LocalResource<Result<Rc<dyn Any>, ApiError>> {
    let read: Box<dyn Fn() -> Erased> = Box::new(move || {
        let url = url();
        Box::pin(async move {
            let (text, total) = answer(Verb::Get, &url, None).await?;
            decoder(&text, total)
        })
    });
    LocalResource::new(read)
}

impl<T: DeserializeOwned + Clone + 'static> Fetch<T> {
    /// `GET path()`, read again when a signal `path` reads changes.
    pub fn read(path: impl Fn() -> String + 'static) -> Fetch<T> {
        Fetch { inner: read_erased(Box::new(path), decode_one::<T>), kind: PhantomData }
    }
}

impl<T: DeserializeOwned + Clone + 'static> Fetch<Listed<T>> {
    /// Page `page` of `size` rows of the list `at()` names, as `(path, page)`.
    pub fn rows(at: impl Fn() -> (String, u32) + 'static, size: u32) -> Fetch<Listed<T>> {
        let url = move || {
            let (path, page) = at();
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}page={page}&pageSize={size}")
        };
        Fetch { inner: read_erased(Box::new(url), decode_rows::<T>), kind: PhantomData }
    }
}

impl<T: Clone + 'static> Fetch<T> {
    pub fn new<Fut>(read: impl Fn() -> Fut + 'static) -> Fetch<T>
    where
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        let erased: Box<dyn Fn() -> Erased> = Box::new(move || {
            let answer = read();
            Box::pin(async move { answer.await.map(|v| Rc::new(v) as Rc<dyn Any>) })
        });
        Fetch { inner: LocalResource::new(erased), kind: PhantomData }
    }

    /// The latest answer (tracked), or `None` before the first one.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        use leptos::prelude::Get;
        self.inner.get().map(|answer| {
            answer.and_then(|v| {
                v.downcast_ref::<T>().cloned().ok_or_else(|| ApiError {
                    status: 0,
                    code: "internal".to_owned(),
                    message: "the console read an answer of another kind".to_owned(),
                    field: None,
                })
            })
        })
    }
}

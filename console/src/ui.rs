//! Small pieces every page uses: copy buttons, error notes, field errors, the pager, labels.

use crate::api::{ApiError, PAGE_SIZE};
use latch_types::ApplicationType;
use leptos::prelude::*;

/// Copies `value` to the clipboard; says so for two seconds (and to screen readers).
#[component]
pub fn CopyButton(#[prop(into)] value: String, #[prop(into)] label: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let value = value.clone();
        leptos::task::spawn_local(async move {
            let ok = match web_sys::window() {
                Some(w) => {
                    wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(&value)).await.is_ok()
                }
                None => false,
            };
            copied.set(Some(ok));
            leptos::prelude::set_timeout(move || copied.set(None), std::time::Duration::from_secs(2));
        });
    };
    view! {
        <button type="button" class="button small ghost" on:click=copy aria-label=format!("Copy {label}")>
            {move || match copied.get() { Some(true) => "Copied", Some(false) => "Copy failed", None => "Copy" }}
        </button>
        <span class="sr-only" aria-live="polite">{move || copied.get().map(|ok| if ok { format!("{label} copied") } else { String::new() })}</span>
    }
}

/// An error from the API, announced.
#[component]
pub fn ErrorNote(error: ApiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.message}</p> }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" aria-busy="true">"Loading…"</p> }
}

/// The message of `error` when it is about `field`, shown under that field; `id` is what the
/// field's `aria-describedby` names.
#[component]
pub fn FieldError(error: RwSignal<Option<ApiError>>, field: &'static str, #[prop(into)] id: String) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.is_about(field))
            .map(|e| view! { <p class="field-error" id=id.clone() role="alert">{e.message}</p> })
    }
}

/// Whether `error` is about `field` (for `aria-invalid`).
pub fn invalid(error: RwSignal<Option<ApiError>>, field: &'static str) -> Signal<&'static str> {
    Signal::derive(move || if error.get().is_some_and(|e| e.is_about(field)) { "true" } else { "false" })
}

/// Previous / next over a list of `total` rows.
#[component]
pub fn Pager(page: RwSignal<u32>, #[prop(into)] total: Signal<i64>) -> impl IntoView {
    let pages = move || ((total.get().max(1) + i64::from(PAGE_SIZE) - 1) / i64::from(PAGE_SIZE)).max(1);
    view! {
        <nav class="pager" aria-label="Pages">
            <button type="button" class="button small ghost" disabled=move || { page.get() <= 1 }
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Previous"</button>
            <span>{move || format!("Page {} of {} · {} in all", page.get(), pages(), total.get())}</span>
            <button type="button" class="button small ghost" disabled=move || { i64::from(page.get()) >= pages() }
                on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
        </nav>
    }
}

pub fn type_label(t: ApplicationType) -> &'static str {
    match t {
        ApplicationType::Traditional => "Traditional web",
        ApplicationType::Spa => "Single page app",
        ApplicationType::Native => "Native",
        ApplicationType::MachineToMachine => "Machine-to-machine",
    }
}

/// The tag of a self-registered app: how it registered itself.
pub fn registration_label(k: latch_types::RegistrationKind) -> &'static str {
    match k {
        latch_types::RegistrationKind::Registration => "Self-registered",
        latch_types::RegistrationKind::MetadataDocument => "Metadata document",
    }
}

pub fn type_blurb(t: ApplicationType) -> &'static str {
    match t {
        ApplicationType::Traditional => "A web app whose server keeps a client secret and renders pages.",
        ApplicationType::Spa => "A browser app without a server-side secret; signs in with PKCE.",
        ApplicationType::Native => "A mobile or desktop app; signs in with PKCE through the system browser.",
        ApplicationType::MachineToMachine => "A script or service that calls APIs as itself, with a client secret.",
    }
}

/// Whether apps of type `t` authenticate with a client secret.
pub fn has_secrets(t: ApplicationType) -> bool {
    matches!(t, ApplicationType::Traditional | ApplicationType::MachineToMachine)
}

/// A date from seconds since the epoch, as `YYYY-MM-DD`.
pub fn date(secs: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let ms = (secs as f64) * 1000.0;
    let iso: String = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string().into();
    iso.get(..10).unwrap_or(&iso).to_owned()
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    #[allow(clippy::cast_possible_truncation)]
    let s = (js_sys::Date::now() / 1000.0) as i64;
    s
}

/// One entry per non-blank line.
pub fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// One tab of a list of tabs that are links (`?tab=key`); `aria-selected` tells which shows.
pub fn tab_link(current: Memo<String>, key: &'static str, label: &'static str, href: String) -> impl IntoView {
    view! {
        <a role="tab" href=href aria-selected=move || if current.get() == key { "true" } else { "false" }>{label}</a>
    }
}

/// The `tab` query parameter, `default` when absent.
pub fn current_tab(default: &'static str) -> Memo<String> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.read().get("tab").unwrap_or_else(|| default.to_owned()))
}

/// The `id` path parameter.
pub fn path_id() -> Memo<String> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get("id").unwrap_or_default())
}

/// A counter to bump when a list must be read again.
#[derive(Clone, Copy)]
pub struct Reload(RwSignal<u32>);

impl Default for Reload {
    fn default() -> Reload {
        Reload::new()
    }
}

impl Reload {
    pub fn new() -> Reload {
        Reload(RwSignal::new(0))
    }

    pub fn track(self) {
        self.0.track();
    }

    pub fn bump(self) {
        self.0.update(|v| *v += 1);
    }
}

/// Delete, once the operator has typed the object's name: `DELETE path`, then to `done`.
#[component]
pub fn DeleteConfirm(
    /// What it is, as in "Delete application".
    noun: &'static str,
    #[prop(into)] name: Signal<String>,
    /// What else goes with it.
    warning: &'static str,
    path: String,
    /// The console page to open afterwards.
    done: String,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let navigate = leptos_router::hooks::use_navigate();
    let confirm = move |_| {
        let (path, done, navigate) = (path.clone(), done.clone(), navigate.clone());
        leptos::task::spawn_local(async move {
            match crate::api::delete(&path).await {
                Ok(()) => navigate(&done, leptos_router::NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="danger-zone">
            <Show when=move || !asking.get() fallback=move || view! {
                <div class="confirm" role="group" aria-labelledby="delete-title">
                    <p id="delete-title">{warning}" Type "<strong>{move || name.get()}</strong>" to confirm."</p>
                    <label for="delete-name">{format!("Name of the {noun}")}</label>
                    <input id="delete-name" type="text" bind:value=typed autocomplete="off"/>
                    {move || error.get().map(|e| view! { <ErrorNote error=e/> })}
                    <div class="actions">
                        <button type="button" class="button ghost" on:click=move |_| asking.set(false)>"Cancel"</button>
                        <button type="button" class="button danger" disabled=move || typed.get() != name.get()
                            on:click=confirm.clone()>{format!("Delete {noun}")}</button>
                    </div>
                </div>
            }>
                <button type="button" class="button danger ghost" on:click=move |_| asking.set(true)>"Delete"</button>
            </Show>
        </div>
    }
}

/// A date and time from seconds since the epoch, as `YYYY-MM-DD HH:MM` (UTC).
pub fn date_time(secs: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let ms = (secs as f64) * 1000.0;
    let iso: String = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms)).to_iso_string().into();
    iso.get(..16).map(|s| s.replace('T', " ")).unwrap_or(iso)
}

/// An error made in the console itself, about `field`.
pub fn local_error(field: &str, message: &str) -> ApiError {
    ApiError { status: 0, code: "input".into(), message: message.into(), field: Some(field.into()) }
}

/// The errors of a form that no field names, announced.
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })
}

/// What a page shows until its first answer arrives (a later read keeps the last answer on
/// screen meanwhile).
pub fn loading() -> AnyView {
    view! { <Loading/> }.into_any()
}

/// `DELETE path`, then `reload`; a refusal lands in `error`.
pub fn delete_then(path: String, reload: Reload, error: RwSignal<Option<ApiError>>) {
    leptos::task::spawn_local(async move {
        match crate::api::delete(&path).await {
            Ok(()) => {
                error.set(None);
                reload.bump();
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// `DELETE path`, then `done` says so; a refusal lands in `error`.
pub fn delete_then_done(path: String, done: RwSignal<bool>, error: RwSignal<Option<ApiError>>) {
    leptos::task::spawn_local(async move {
        match crate::api::delete(&path).await {
            Ok(()) => {
                error.set(None);
                done.set(true);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// `PUT path` with `body`, then `saved` says so; a refusal lands in `error`.
pub fn put_then_saved<B: serde::Serialize + 'static>(
    path: String,
    body: B,
    saved: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) {
    leptos::task::spawn_local(async move {
        match crate::api::put_only(&path, &body).await {
            Ok(()) => {
                error.set(None);
                saved.set(true);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// A text input's value as the API wants it: trimmed, and `None` when empty.
pub fn filled(v: String) -> Option<String> {
    let v = v.trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// `POST path` with `body` (an answer without a body), then `reload`; a refusal lands in
/// `error`.
pub fn post_then<B: serde::Serialize + 'static>(
    path: String,
    body: B,
    reload: Reload,
    error: RwSignal<Option<ApiError>>,
) {
    leptos::task::spawn_local(async move {
        match crate::api::post_only(&path, &body).await {
            Ok(()) => {
                error.set(None);
                reload.bump();
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

/// A page about one object: a link back to its list, then `details` of the object the API
/// has at `path(id)` (`id` from the page's address), or why it could not be read.
pub fn detail_page<T, V>(
    back: &'static str,
    back_label: &'static str,
    path: impl Fn(&str) -> String + 'static,
    details: impl Fn(RwSignal<T>) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let id = path_id();
    let object = crate::api::Fetch::<T>::read(move || path(&id.get()));
    view! {
        <p><a href=format!("{}{back}", crate::app::BASE)>{back_label}</a></p>
        {move || object.get().map(|r| match r {
            Err(e) => view! { <section class="card"><ErrorNote error=e/></section> }.into_any(),
            Ok(o) => details(RwSignal::new(o)).into_any(),
        }).unwrap_or_else(loading)}
    }
}

/// A settings form with a name and a description. `save` sends both and, once the server
/// took them, updates what the page shows; a refusal shows at the field it names.
#[component]
pub fn NameAndDescription<S, Fut>(
    /// The name field's label, as in "Role name".
    name_label: &'static str,
    /// The start of the fields' ids, unique on the page.
    prefix: &'static str,
    name: String,
    description: String,
    save: S,
) -> impl IntoView
where
    S: Fn(String, String) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(), ApiError>> + 'static,
{
    let name = RwSignal::new(name);
    let description = RwSignal::new(description);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let done = save(name.get_untracked(), description.get_untracked());
        leptos::task::spawn_local(async move {
            match done.await {
                Ok(()) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let (name_id, description_id) = (format!("{prefix}-name"), format!("{prefix}-description"));
    let (name_error, description_error) = (format!("{name_id}-error"), format!("{description_id}-error"));
    view! {
        <form on:submit=submit novalidate>
            <h2>"Settings"</h2>
            <label for=name_id.clone()>{name_label}</label>
            <input id=name_id type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby=name_error.clone()/>
            <FieldError error=error field="name" id=name_error/>
            <label for=description_id.clone()>"Description"</label>
            <input id=description_id type="text" bind:value=description aria-invalid=invalid(error, "description")
                aria-describedby=description_error.clone()/>
            <FieldError error=error field="description" id=description_error/>
            <FormError error=error/>
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                <button type="submit" class="button primary">"Save changes"</button>
            </div>
        </form>
    }
}

/// A paged table of the list at `path`: "Loading…" until the first page, then the error,
/// `empty` when there is nothing, or a row per entry (`row`) under `heads`, and the pager.
#[component]
pub fn PagedTable<T>(
    path: String,
    heads: &'static [&'static str],
    empty: &'static str,
    row: fn(T) -> AnyView,
) -> impl IntoView
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    let page = RwSignal::new(1u32);
    let rows =
        crate::api::Fetch::<crate::api::Listed<T>>::rows(move || (path.clone(), page.get()), crate::api::PAGE_SIZE);
    move || {
        rows.get()
            .map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">{empty}</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    view! {
                        <table class="list">
                            <thead><tr>{heads.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr></thead>
                            <tbody>{listed.items.into_iter().map(row).collect_view()}</tbody>
                        </table>
                        <Pager page=page total=Signal::derive(move || total)/>
                    }
                    .into_any()
                }
            })
            .unwrap_or_else(loading)
    }
}

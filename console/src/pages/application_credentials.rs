//! *Endpoints & credentials*: the discovery endpoint and client ID to copy, the endpoint
//! details, and — for apps that authenticate with one — client secrets: create with a name and
//! an expiry (the value shown once), list with their expiry state, delete.

use crate::api::{self, ApiError, Listed};
use crate::auth;
use crate::ui::{self, CopyButton, ErrorNote, FieldError, invalid};
use latch_types::{Application, CreateSecret, Secret};
use leptos::prelude::*;
use std::cell::RefCell;

thread_local! {
    /// The first secret of an app created a moment ago (its value exists only in the create
    /// response), to show once on this tab.
    static NEW_SECRET: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Keeps `value` to show once when the credentials of `app` open.
pub fn remember_new_secret(app: &str, value: String) {
    NEW_SECRET.with(|s| *s.borrow_mut() = Some((app.to_owned(), value)));
}

fn take_new_secret(app: &str) -> Option<String> {
    NEW_SECRET.with(|s| {
        let mut slot = s.borrow_mut();
        match slot.as_ref() {
            Some((a, _)) if a == app => slot.take().map(|(_, v)| v),
            _ => None,
        }
    })
}

#[component]
pub fn Credentials(app: Application) -> impl IntoView {
    let discovery = auth::discovery().unwrap_or_default();
    let discovery_url = auth::discovery_url(&auth::origin());
    let details = RwSignal::new(false);
    let rows = [
        ("Issuer", discovery.issuer.clone()),
        ("Authorization endpoint", discovery.authorization_endpoint.clone()),
        ("Token endpoint", discovery.token_endpoint.clone()),
        ("Userinfo endpoint", discovery.userinfo_endpoint.clone()),
        ("JWKS URI", discovery.jwks_uri.clone()),
        ("End session endpoint", discovery.end_session_endpoint.clone()),
        ("Introspection endpoint", discovery.introspection_endpoint.clone()),
        ("Revocation endpoint", discovery.revocation_endpoint.clone()),
    ];
    let secrets = ui::has_secrets(app.app_type).then(|| view! { <Secrets app_id=app.id.clone()/> });
    view! {
        <h2>"Endpoints"</h2>
        <dl class="pairs">
            <dt>"Discovery endpoint"</dt>
            <dd><code>{discovery_url.clone()}</code><CopyButton value=discovery_url label="Discovery endpoint"/></dd>
            <dt>"Client ID"</dt>
            <dd><code>{app.id.clone()}</code><CopyButton value=app.id.clone() label="Client ID"/></dd>
        </dl>
        <button type="button" class="button ghost" aria-expanded=move || if details.get() { "true" } else { "false" }
            aria-controls="endpoint-details" on:click=move |_| details.update(|d| *d = !*d)>
            {move || if details.get() { "Hide endpoint details" } else { "Show endpoint details" }}
        </button>
        {move || details.get().then(|| view! {
            <dl class="pairs" id="endpoint-details">
                {rows.clone().into_iter().map(|(label, value)| view! {
                    <dt>{label}</dt>
                    <dd><code>{value.clone()}</code><CopyButton value=value label=label/></dd>
                }).collect_view()}
            </dl>
        })}
        {secrets}
    }
}

/// Expiry choices, in days (`None`: never).
const EXPIRIES: [(&str, Option<i64>); 5] =
    [("7 days", Some(7)), ("30 days", Some(30)), ("180 days", Some(180)), ("1 year", Some(365)), ("Never", None)];

#[component]
fn Secrets(app_id: String) -> impl IntoView {
    let base = format!("/applications/{}/secrets", api::seg(&app_id));
    let revealed = RwSignal::new(take_new_secret(&app_id).map(|v| ("default".to_owned(), v)));
    let version = RwSignal::new(0u32);
    let list = {
        let base = base.clone();
        api::Fetch::<api::Listed<Secret>>::rows(
            move || {
                version.track();
                (base.clone(), 1)
            },
            api::PAGE_SIZE,
        )
    };
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new("30".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let create = {
        let base = base.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let days = expiry.get_untracked().parse::<i64>().ok();
            let body =
                CreateSecret { name: name.get_untracked(), expires_at: days.map(|d| ui::now_secs() + d * 86_400) };
            let base = base.clone();
            leptos::task::spawn_local(async move {
                match api::post::<_, Secret>(&base, &body).await {
                    Ok(s) => {
                        error.set(None);
                        name.set(String::new());
                        revealed.set(s.value.map(|v| (s.name, v)));
                        version.update(|v| *v += 1);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let remove = move |secret: String| {
        let path = format!("{base}/{}", api::seg(&secret));
        leptos::task::spawn_local(async move {
            match api::delete(&path).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>"Client secrets"</h2>
        {move || revealed.get().map(|(name, value)| view! {
            <div class="reveal" role="status">
                <p><strong>"Copy the secret “"{name}"” now."</strong>" It is shown only once: Latch keeps only its hash and cannot show it again."</p>
                <p><code class="secret">{value.clone()}</code><CopyButton value=value label="client secret"/></p>
                <button type="button" class="button small ghost" on:click=move |_| revealed.set(None)>"I have copied it"</button>
            </div>
        })}
        {move || list.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) => view! { <SecretTable listed=listed remove=remove.clone()/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
        <form class="inline-form" on:submit=create novalidate>
            <div>
                <label for="secret-name">"Secret name"</label>
                <input id="secret-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="secret-name-error"/>
            </div>
            <div>
                <label for="secret-expiry">"Expires after"</label>
                <select id="secret-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                    {EXPIRIES.iter().map(|(label, days)| {
                        let v = days.map(|d| d.to_string()).unwrap_or_else(|| "never".to_owned());
                        let selected = v == "30";
                        view! { <option value=v selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button primary">"Create secret"</button>
        </form>
        <FieldError error=error field="name" id="secret-name-error"/>
        {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
    }
}

#[component]
fn SecretTable(listed: Listed<Secret>, remove: impl Fn(String) + Clone + Send + Sync + 'static) -> impl IntoView {
    if listed.items.is_empty() {
        return view! { <p class="empty">"No client secrets: this app cannot authenticate until you create one."</p> }
            .into_any();
    }
    let now = ui::now_secs();
    view! {
        <table class="list">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col">"Expires"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>
                {listed.items.into_iter().map(|s| {
                    let expires = match s.expires_at {
                        None => "Never".to_owned(),
                        Some(at) if at <= now => format!("Expired {}", ui::date(at)),
                        Some(at) => ui::date(at),
                    };
                    let remove = remove.clone();
                    let name = s.name.clone();
                    view! {
                        <tr>
                            <td>{s.name.clone()}</td>
                            <td>{ui::date(s.created_at)}</td>
                            <td>{expires}</td>
                            <td><button type="button" class="button small danger ghost" aria-label=format!("Delete secret {}", s.name)
                                on:click=move |_| remove(name.clone())>"Delete"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

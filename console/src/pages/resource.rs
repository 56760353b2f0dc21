//! One API resource: its name, token lifetime and signing algorithm, its scopes (add with a
//! description, delete), and Delete.

use crate::api::{self, ApiError};
use crate::ui::{CopyButton, DeleteConfirm, ErrorNote, FieldError, FormError, Pager, Reload, delete_then, invalid};
use latch_types::{CreateScope, PatchResource, Resource, Scope};
use leptos::prelude::*;

/// The admin API's own resource: Latch refuses to delete it or its `all` scope.
const ADMIN_RESOURCE: &str = "urn:latch:api:admin";

#[component]
pub fn ResourcePage() -> impl IntoView {
    crate::ui::detail_page::<Resource, _>(
        "/resources",
        "← API resources",
        |id| format!("/resources/{}", api::seg(id)),
        |o| view! { <Details resource=o/> },
    )
}

#[component]
fn Details(resource: RwSignal<Resource>) -> impl IntoView {
    let r = resource.get_untracked();
    let protected = r.indicator == ADMIN_RESOURCE;
    let path = format!("/resources/{}", api::seg(&r.id));
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || resource.get().name}</h1>
                <p class="client-id">"API identifier "<code>{r.indicator.clone()}</code><CopyButton value=r.indicator.clone() label="API identifier"/></p>
                {protected.then(|| view! { <p class="muted small">"Latch's own admin API. Its "<code>"all"</code>" scope opens the whole admin API: give it only to administrator roles."</p> })}
            </div>
            {(!protected).then(|| view! {
                <DeleteConfirm noun="API resource" name=Signal::derive(move || resource.get().name)
                    warning="Deleting removes the resource and its scopes from every role and app that holds them."
                    path=path.clone() done="/resources".to_owned()/>
            })}
        </header>
        <section class="card"><ResourceSettings resource=resource/></section>
        <section class="card"><Scopes resource=r/></section>
    }
}

#[component]
fn ResourceSettings(resource: RwSignal<Resource>) -> impl IntoView {
    let r = resource.get_untracked();
    let name = RwSignal::new(r.name.clone());
    let ttl = RwSignal::new(r.access_token_ttl.to_string());
    let alg = RwSignal::new(r.access_token_signing_alg.clone());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(seconds) = ttl.get_untracked().trim().parse::<i64>() else {
            error.set(Some(crate::ui::local_error("accessTokenTtl", "Enter a whole number of seconds.")));
            return;
        };
        let body = PatchResource {
            name: Some(name.get_untracked()),
            access_token_ttl: Some(seconds),
            access_token_signing_alg: Some(alg.get_untracked()),
        };
        let path = format!("/resources/{}", api::seg(&resource.get_untracked().id));
        saved.set(false);
        leptos::task::spawn_local(async move {
            match api::patch::<_, Resource>(&path, &body).await {
                Ok(updated) => {
                    error.set(None);
                    resource.set(updated);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form on:submit=save novalidate>
            <h2>"Settings"</h2>
            <label for="rs-name">"API name"</label>
            <input id="rs-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="rs-name-error"/>
            <FieldError error=error field="name" id="rs-name-error"/>
            <label for="rs-ttl">"Access token lifetime (seconds)"</label>
            <p class="hint" id="rs-ttl-hint">"60 to 86400."</p>
            <input id="rs-ttl" type="number" min="60" max="86400" inputmode="numeric" bind:value=ttl
                aria-invalid=invalid(error, "accessTokenTtl") aria-describedby="rs-ttl-hint rs-ttl-error"/>
            <FieldError error=error field="accessTokenTtl" id="rs-ttl-error"/>
            <label for="rs-alg">"Access token signing algorithm"</label>
            <p class="hint" id="rs-alg-hint">"ES256 signs about ten times faster than RS256; the API must verify ES256. Tokens already issued stay valid."</p>
            <select id="rs-alg" prop:value=move || alg.get() on:change=move |ev| alg.set(event_target_value(&ev))
                aria-invalid=invalid(error, "accessTokenSigningAlg") aria-describedby="rs-alg-hint rs-alg-error">
                <option value="RS256">"RS256 (RSA, the default)"</option>
                <option value="ES256">"ES256 (ECDSA P-256)"</option>
            </select>
            <FieldError error=error field="accessTokenSigningAlg" id="rs-alg-error"/>
            <FormError error=error/>
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                <button type="submit" class="button primary">"Save changes"</button>
            </div>
        </form>
    }
}

#[component]
fn Scopes(resource: Resource) -> impl IntoView {
    let base = format!("/resources/{}/scopes", api::seg(&resource.id));
    let protected = resource.indicator == ADMIN_RESOURCE;
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let rows = {
        let base = base.clone();
        api::Fetch::<api::Listed<Scope>>::rows(
            move || {
                reload.track();
                (base.clone(), page.get())
            },
            api::PAGE_SIZE,
        )
    };
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = {
        let base = base.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = CreateScope {
                name: name.get_untracked().trim().to_owned(),
                description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            };
            let base = base.clone();
            leptos::task::spawn_local(async move {
                match api::post::<_, Scope>(&base, &body).await {
                    Ok(_) => {
                        error.set(None);
                        name.set(String::new());
                        description.set(String::new());
                        reload.bump();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let remove = move |scope: String| delete_then(format!("{base}/{}", api::seg(&scope)), reload, error);
    view! {
        <h2>"Permissions (scopes)"</h2>
        <p class="muted">"What a token for this API may do. Roles grant them to users and machine-to-machine apps."</p>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"No scopes yet."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    let remove = remove.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"Scope"</th><th scope="col">"Description"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|s| {
                                    let remove = remove.clone();
                                    let locked = protected && s.name == "all";
                                    let id = s.id.clone();
                                    view! {
                                        <tr>
                                            <td><code>{s.name.clone()}</code></td>
                                            <td>{s.description.clone()}</td>
                                            <td>{(!locked).then(|| view! {
                                                <button type="button" class="button small danger ghost" aria-label=format!("Delete scope {}", s.name)
                                                    on:click=move |_| remove(id.clone())>"Delete"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page total=Signal::derive(move || total)/>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
        <form class="inline-form" on:submit=add novalidate>
            <div>
                <label for="scope-name">"Scope name"</label>
                <input id="scope-name" type="text" placeholder="read:photos" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="scope-name-error"/>
                <FieldError error=error field="name" id="scope-name-error"/>
            </div>
            <div>
                <label for="scope-description">"Description"</label>
                <input id="scope-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="scope-description-error"/>
                <FieldError error=error field="description" id="scope-description-error"/>
            </div>
            <button type="submit" class="button">"Add scope"</button>
        </form>
        <FormError error=error/>
    }
}

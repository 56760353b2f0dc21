//! API resources: the list (name, indicator, token lifetime) and **Create API resource**.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::ui::{FieldError, FormError, PagedTable, invalid};
use latch_types::{CreateResource, Resource};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

#[component]
pub fn ResourcesPage() -> impl IntoView {
    let creating = RwSignal::new(false);
    view! {
        <div class="page-head">
            <h1>"API resources"</h1>
            <button class="button primary" on:click=move |_| creating.set(true)>"Create API resource"</button>
        </div>
        <p class="muted">"The APIs your apps call. Access tokens for a resource carry its indicator as their audience and the scopes the user's roles allow."</p>
        {move || creating.get().then(|| view! {
            <CreateResourceForm close=move || creating.set(false)/>
        })}
        <section class="card">
            <PagedTable path="/resources".to_owned() heads=&["Name", "Indicator", "Token lifetime"] empty="No API resources yet."
                row=resource_row/>
        </section>
    }
}

fn resource_row(r: Resource) -> AnyView {
    view! {
        <tr>
            <td><a href=format!("{BASE}/resources/{}", api::seg(&r.id))>{r.name.clone()}</a></td>
            <td><code>{r.indicator.clone()}</code></td>
            <td>{format!("{} s", r.access_token_ttl)}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateResourceForm(close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let indicator = RwSignal::new(String::new());
    let ttl = RwSignal::new("3600".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(seconds) = ttl.get_untracked().trim().parse::<i64>() else {
            error.set(Some(crate::ui::local_error("accessTokenTtl", "Enter a whole number of seconds.")));
            return;
        };
        let body = CreateResource {
            name: name.get_untracked(),
            indicator: indicator.get_untracked().trim().to_owned(),
            access_token_ttl: Some(seconds),
            access_token_signing_alg: None,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, Resource>("/resources", &body).await {
                Ok(r) => navigate(&format!("/resources/{}", api::seg(&r.id)), NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let cancel = close.clone();
    view! {
        <section class="card dialog" role="dialog" aria-labelledby="create-resource-title">
            <h2 id="create-resource-title">"Create API resource"</h2>
            <form on:submit=submit novalidate>
                <label for="r-name">"API name"</label>
                <input id="r-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="r-name-error"/>
                <FieldError error=error field="name" id="r-name-error"/>
                <label for="r-indicator">"API identifier"</label>
                <p class="hint" id="r-indicator-hint">"An absolute URI without a fragment, such as https://api.example.com. Apps ask for it as the "<code>"resource"</code>" parameter; it cannot change later."</p>
                <input id="r-indicator" type="url" bind:value=indicator aria-invalid=invalid(error, "indicator") aria-describedby="r-indicator-hint r-indicator-error"/>
                <FieldError error=error field="indicator" id="r-indicator-error"/>
                <label for="r-ttl">"Access token lifetime (seconds)"</label>
                <input id="r-ttl" type="number" min="60" inputmode="numeric" bind:value=ttl aria-invalid=invalid(error, "accessTokenTtl") aria-describedby="r-ttl-error"/>
                <FieldError error=error field="accessTokenTtl" id="r-ttl-error"/>
                <FormError error=error/>
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary">"Create"</button>
                </div>
            </form>
        </section>
    }
}

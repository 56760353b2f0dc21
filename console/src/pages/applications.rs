//! Applications: the **My apps** and **Third-party apps** tabs, and **Create application**
//! (first- or third-party, then the type, then name and description).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::ui::{self, ErrorNote, FieldError, PagedTable, invalid};
use latch_types::{Application, ApplicationType, CreateApplication};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let query = use_query_map();
    let third_party = Memo::new(move |_| query.read().get("tab").as_deref() == Some("third-party"));
    let creating = RwSignal::new(false);
    let tab = move |label: &'static str, href: String, selected: bool| {
        view! {
            <a role="tab" href=href aria-selected=if selected { "true" } else { "false" } class:selected=selected>{label}</a>
        }
    };
    view! {
        <div class="page-head">
            <h1>"Applications"</h1>
            <button class="button primary" on:click=move |_| creating.set(true)>"Create application"</button>
        </div>
        {move || creating.get().then(|| view! {
            <CreateApplicationDialog close=move || creating.set(false) third_party=third_party.get_untracked()/>
        })}
        <div role="tablist" aria-label="Kinds of application" class="tabs">
            {move || tab("My apps", format!("{BASE}/applications"), !third_party.get())}
            {move || tab("Third-party apps", format!("{BASE}/applications?tab=third-party"), third_party.get())}
        </div>
        <section role="tabpanel" class="card">
            // Each tab is its own table, from its first page.
            {move || {
                let tp = third_party.get();
                let empty = if tp {
                    "No third-party apps yet. Create one for a partner or community developer who adds “Sign in with” your organization."
                } else {
                    "No applications of your own yet."
                };
                view! {
                    <PagedTable path=format!("/applications?isThirdParty={tp}") heads=&["Name", "Type", "Client ID", "Created"]
                        empty=empty row=app_row/>
                }
            }}
        </section>
    }
}

fn app_row(a: Application) -> AnyView {
    view! {
        <tr>
            <td><a href=format!("{BASE}/applications/{}", api::seg(&a.id))>{a.name.clone()}</a>
                {a.registration.as_ref().map(|r| view! {
                    <span class="tag" title=format!("Registered itself from {}", r.ip)>{ui::registration_label(r.kind)}</span>
                })}
                {a.description.clone().map(|d| view! { <div class="muted small">{d}</div> })}</td>
            <td>{ui::type_label(a.app_type)}</td>
            <td><code>{a.id.clone()}</code></td>
            <td>{ui::date(a.created_at)}</td>
        </tr>
    }
    .into_any()
}

/// The three steps of creating an application.
#[component]
fn CreateApplicationDialog(close: impl Fn() + Clone + Send + Sync + 'static, third_party: bool) -> impl IntoView {
    let third = RwSignal::new(third_party);
    let kind = RwSignal::new(None::<ApplicationType>);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if third.get() && kind.get_untracked() == Some(ApplicationType::MachineToMachine) {
            kind.set(None);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(app_type) = kind.get_untracked() else {
            error.set(Some(ApiError {
                status: 0,
                code: "type".into(),
                message: "Choose the type of application.".into(),
                field: Some("type".into()),
            }));
            return;
        };
        let body = CreateApplication {
            name: name.get_untracked(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            app_type,
            is_third_party: third.get_untracked(),
            oidc_client_metadata: None,
            custom_client_metadata: None,
        };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, Application>("/applications", &body).await {
                Ok(app) => {
                    // A confidential app's first secret is shown once, on its credentials tab.
                    let mut to = format!("/applications/{}", api::seg(&app.id));
                    if let Some(secret) = app.secret {
                        crate::pages::application_credentials::remember_new_secret(&app.id, secret);
                        to.push_str("?tab=credentials");
                    }
                    navigate(&to, NavigateOptions::default());
                }
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    let kinds = move || {
        let mut all = vec![ApplicationType::Traditional, ApplicationType::Spa, ApplicationType::Native];
        if !third.get() {
            all.push(ApplicationType::MachineToMachine);
        }
        all
    };
    let close_button = close.clone();
    view! {
        <section class="card dialog" role="dialog" aria-modal="false" aria-labelledby="create-title">
            <h2 id="create-title">"Create application"</h2>
            <form on:submit=submit novalidate>
                <fieldset>
                    <legend>"1. Who builds it?"</legend>
                    <div class="cards two">
                        <label class="choice">
                            <input type="radio" name="party" prop:checked=move || !third.get() on:change=move |_| third.set(false)/>
                            <strong>"First-party app"</strong>
                            <span>"Your own organization's app. Users are not asked for consent."</span>
                        </label>
                        <label class="choice">
                            <input type="radio" name="party" prop:checked=move || third.get() on:change=move |_| third.set(true)/>
                            <strong>"Third-party app"</strong>
                            <span>"A partner's or an outside developer's app. Users approve what it may see on a consent screen."</span>
                        </label>
                    </div>
                </fieldset>
                <fieldset aria-describedby="type-error">
                    <legend>"2. What kind of app?"</legend>
                    <div class="cards">
                        {move || kinds().into_iter().map(|t| view! {
                            <label class="choice">
                                <input type="radio" name="type" prop:checked=move || kind.get() == Some(t) on:change=move |_| kind.set(Some(t))/>
                                <strong>{ui::type_label(t)}</strong>
                                <span>{ui::type_blurb(t)}</span>
                            </label>
                        }).collect_view()}
                    </div>
                    <FieldError error=error field="type" id="type-error"/>
                    <FieldError error=error field="isThirdParty" id="type-error"/>
                </fieldset>
                <fieldset>
                    <legend>"3. Name it"</legend>
                    <label for="app-name">"Application name"</label>
                    <input id="app-name" type="text" required bind:value=name aria-invalid=invalid(error, "name") aria-describedby="app-name-error"/>
                    <FieldError error=error field="name" id="app-name-error"/>
                    <label for="app-description">"Description"</label>
                    <textarea id="app-description" rows="2" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="app-description-error"></textarea>
                    <FieldError error=error field="description" id="app-description-error"/>
                </fieldset>
                {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| close_button()>"Cancel"</button>
                    <button type="submit" class="button primary" disabled=move || busy.get()>"Create"</button>
                </div>
            </form>
        </section>
    }
}

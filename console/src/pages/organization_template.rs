//! The organization template: what every organization shares — *Permissions* (organization
//! scopes: create, delete) and *Roles* (organization roles: create; each opens on its own page).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::ui::{self, ErrorNote, FieldError, FormError, Pager, Reload, delete_then, invalid};
use latch_types::{CreateOrganizationRole, CreateOrganizationScope, OrganizationRole, OrganizationScope};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

#[component]
pub fn OrganizationTemplatePage() -> impl IntoView {
    let tab = ui::current_tab("permissions");
    let here = format!("{BASE}/organization-template");
    view! {
        <div class="page-head"><h1>"Organization template"</h1></div>
        <p class="muted">"The permissions and roles every organization has. A member's organization roles grant these permissions inside that organization only."</p>
        <div role="tablist" aria-label="Organization template" class="tabs">
            {ui::tab_link(tab, "permissions", "Organization permissions", here.clone())}
            {ui::tab_link(tab, "roles", "Organization roles", format!("{here}?tab=roles"))}
        </div>
        <section role="tabpanel" class="card">
            {move || match tab.get().as_str() {
                "roles" => view! { <OrganizationRoles/> }.into_any(),
                _ => view! { <OrganizationScopes/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn OrganizationScopes() -> impl IntoView {
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let rows = api::Fetch::<api::Listed<OrganizationScope>>::rows(
        move || {
            reload.track();
            ("/organization-scopes".to_owned(), page.get())
        },
        api::PAGE_SIZE,
    );
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateOrganizationScope {
            name: name.get_untracked().trim().to_owned(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, OrganizationScope>("/organization-scopes", &body).await {
                Ok(_) => {
                    error.set(None);
                    name.set(String::new());
                    description.set(String::new());
                    reload.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let remove = move |id: String| delete_then(format!("/organization-scopes/{}", api::seg(&id)), reload, error);
    view! {
        <h2>"Organization permissions"</h2>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"No organization permissions yet."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"Permission"</th><th scope="col">"Description"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|s| {
                                    let id = s.id.clone();
                                    view! {
                                        <tr>
                                            <td><code>{s.name.clone()}</code></td>
                                            <td>{s.description.clone()}</td>
                                            <td><button type="button" class="button small danger ghost" aria-label=format!("Delete permission {}", s.name)
                                                on:click=move |_| remove(id.clone())>"Delete"</button></td>
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
                <label for="os-scope-name">"Permission name"</label>
                <input id="os-scope-name" type="text" placeholder="invite:member" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="os-scope-name-error"/>
                <FieldError error=error field="name" id="os-scope-name-error"/>
            </div>
            <div>
                <label for="os-scope-description">"Description"</label>
                <input id="os-scope-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="os-scope-description-error"/>
                <FieldError error=error field="description" id="os-scope-description-error"/>
            </div>
            <button type="submit" class="button">"Add permission"</button>
        </form>
        <FormError error=error/>
    }
}

#[component]
fn OrganizationRoles() -> impl IntoView {
    let page = RwSignal::new(1u32);
    let rows = api::Fetch::<api::Listed<OrganizationRole>>::rows(
        move || ("/organization-roles".to_owned(), page.get()),
        api::PAGE_SIZE,
    );
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateOrganizationRole {
            name: name.get_untracked(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            organization_scope_ids: None,
            resource_scope_ids: None,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, OrganizationRole>("/organization-roles", &body).await {
                Ok(r) => navigate(&format!("/organization-roles/{}", api::seg(&r.id)), NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>"Organization roles"</h2>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"No organization roles yet."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"Role"</th><th scope="col">"Description"</th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("{BASE}/organization-roles/{}", api::seg(&r.id))>{r.name.clone()}</a></td>
                                        <td>{r.description.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page total=Signal::derive(move || total)/>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
        <form class="inline-form" on:submit=create novalidate>
            <div>
                <label for="or-name">"Role name"</label>
                <input id="or-name" type="text" placeholder="admin" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="or-name-error"/>
                <FieldError error=error field="name" id="or-name-error"/>
            </div>
            <div>
                <label for="or-description">"Description"</label>
                <input id="or-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="or-description-error"/>
                <FieldError error=error field="description" id="or-description-error"/>
            </div>
            <button type="submit" class="button">"Create role"</button>
        </form>
        <FormError error=error/>
    }
}

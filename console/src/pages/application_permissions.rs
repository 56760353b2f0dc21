//! *Permissions* of a third-party app: what it may ask its users for — user-profile scopes, API
//! resource scopes grouped by resource, organization scopes, organization-resource scopes —
//! each required or optional, worded as the end user will read it.

use crate::api::{self, ApiError};
use crate::auth;
use crate::ui::ErrorNote;
use latch_types::{ConsentScope, ConsentScopes, OrganizationScope, Resource, Scope};
use leptos::prelude::*;
use serde_json::json;

/// The four kinds: the body field that adds them, the path segment that removes them, a title.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    User,
    Resource,
    Organization,
    OrganizationResource,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::User => "userScopes",
            Kind::Resource => "resourceScopes",
            Kind::Organization => "organizationScopes",
            Kind::OrganizationResource => "organizationResourceScopes",
        }
    }

    fn segment(self) -> &'static str {
        match self {
            Kind::User => "user-scopes",
            Kind::Resource => "resource-scopes",
            Kind::Organization => "organization-scopes",
            Kind::OrganizationResource => "organization-resource-scopes",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::User => "User profile",
            Kind::Resource => "API resources",
            Kind::Organization => "Organizations",
            Kind::OrganizationResource => "Organization API resources",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Kind::User => "What the app may read about the user.",
            Kind::Resource => {
                "What the app may do in your APIs on the user's behalf, as far as the user's roles allow."
            }
            Kind::Organization => "What the app may do in the organizations the user shares with it.",
            Kind::OrganizationResource => "API permissions the user holds through their organization roles.",
        }
    }
}

/// Adds (or, for an entry already there, re-marks) one permission; then `version` moves on.
fn save(
    app: String,
    kind: Kind,
    id: String,
    required: bool,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) {
    leptos::task::spawn_local(async move {
        let body = json!({ kind.field(): [{"id": id, "required": required}] });
        match api::post::<_, ConsentScopes>(&format!("/applications/{}/user-consent-scopes", api::seg(&app)), &body)
            .await
        {
            Ok(_) => {
                error.set(None);
                version.update(|v| *v += 1);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

fn remove(app: String, kind: Kind, id: String, version: RwSignal<u32>, error: RwSignal<Option<ApiError>>) {
    leptos::task::spawn_local(async move {
        let path = format!("/applications/{}/user-consent-scopes/{}/{}", api::seg(&app), kind.segment(), api::seg(&id));
        match api::delete(&path).await {
            Ok(()) => {
                error.set(None);
                version.update(|v| *v += 1);
            }
            Err(e) => error.set(Some(e)),
        }
    });
}

#[component]
pub fn Permissions(app_id: String) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let error = RwSignal::new(None::<ApiError>);
    let perms = {
        let app = app_id.clone();
        api::Fetch::<ConsentScopes>::read(move || {
            version.track();
            format!("/applications/{}/user-consent-scopes", api::seg(&app))
        })
    };
    view! {
        <h2>"Permissions"</h2>
        <p class="hint">"What this app may ask its users for. Users can untick optional permissions on the consent screen; required ones come with the app."</p>
        {move || error.get().map(|e| view! { <ErrorNote error=e/> })}
        {move || perms.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(p) => {
                    let app = app_id.clone();
                    view! {
                        <KindSection kind=Kind::User entries=p.user_scopes app=app.clone() version=version error=error/>
                        <KindSection kind=Kind::Resource entries=p.resource_scopes app=app.clone() version=version error=error/>
                        <KindSection kind=Kind::Organization entries=p.organization_scopes app=app.clone() version=version error=error/>
                        <KindSection kind=Kind::OrganizationResource entries=p.organization_resource_scopes app=app version=version error=error/>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

#[component]
fn KindSection(
    kind: Kind,
    entries: Vec<ConsentScope>,
    app: String,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let taken: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
    let heading = format!("perm-{}", kind.segment());
    let labelled_by = heading.clone();
    let rows = if entries.is_empty() {
        view! { <p class="empty small">"None yet."</p> }.into_any()
    } else {
        let mut last_resource = None::<String>;
        let rows = entries
            .into_iter()
            .map(|e| {
                let group = e.resource.as_ref().map(|r| (r.id.clone(), r.name.clone(), r.indicator.clone()));
                let header = match &group {
                    Some((id, name, indicator)) if last_resource.as_deref() != Some(id) => {
                        last_resource = Some(id.clone());
                        Some(view! { <tr class="group"><th colspan="4" scope="colgroup">{name.clone()}" "<code class="muted">{indicator.clone()}</code></th></tr> })
                    }
                    _ => None,
                };
                let (app_a, app_b, id_a, id_b) = (app.clone(), app.clone(), e.id.clone(), e.id.clone());
                let name = e.name.clone();
                view! {
                    {header}
                    <tr>
                        <td><code>{e.name.clone()}</code></td>
                        <td>{e.description.clone().unwrap_or_default()}</td>
                        <td>
                            <select aria-label=format!("Required or optional: {name}")
                                on:change=move |ev| save(app_a.clone(), kind, id_a.clone(), event_target_value(&ev) == "required", version, error)>
                                <option value="required" selected=e.required>"Required"</option>
                                <option value="optional" selected=!e.required>"Optional"</option>
                            </select>
                        </td>
                        <td><button type="button" class="button small danger ghost" aria-label=format!("Remove {}", e.name)
                            on:click=move |_| remove(app_b.clone(), kind, id_b.clone(), version, error)>"Remove"</button></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="list">
                <thead><tr><th scope="col">"Permission"</th><th scope="col">"What the user reads"</th><th scope="col">"Required"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let adder = match kind {
        Kind::User => view! { <AddUserScope app=app taken=taken version=version error=error/> }.into_any(),
        Kind::Organization => {
            view! { <AddOrganizationScope app=app taken=taken version=version error=error/> }.into_any()
        }
        Kind::Resource | Kind::OrganizationResource => {
            view! { <AddResourceScope kind=kind app=app taken=taken version=version error=error/> }.into_any()
        }
    };
    view! {
        <section class="perm-kind" aria-labelledby=labelled_by>
            <h3 id=heading>{kind.title()}</h3>
            <p class="hint">{kind.hint()}</p>
            {rows}
            {adder}
        </section>
    }
}

/// The "add" row shared by every kind: a choice, required or not, and the button.
#[component]
fn AddRow(
    kind: Kind,
    options: Vec<(String, String)>,
    app: String,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let choice = RwSignal::new(options.first().map(|(id, _)| id.clone()).unwrap_or_default());
    let required = RwSignal::new(true);
    let select_id = format!("add-{}", kind.segment());
    let select_for = select_id.clone();
    let required_id = format!("add-{}-required", kind.segment());
    let required_for = required_id.clone();
    if options.is_empty() {
        return view! { <p class="muted small">"Nothing left to add."</p> }.into_any();
    }
    view! {
        <div class="inline-form">
            <div>
                <label for=select_for>{format!("Add to {}", kind.title().to_ascii_lowercase())}</label>
                <select id=select_id on:change=move |ev| choice.set(event_target_value(&ev))>
                    {options.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                </select>
            </div>
            <label class="check" for=required_for><input id=required_id type="checkbox" bind:checked=required/>" Required"</label>
            <button type="button" class="button" on:click=move |_| {
                let id = choice.get_untracked();
                if !id.is_empty() {
                    save(app.clone(), kind, id, required.get_untracked(), version, error);
                }
            }>"Add"</button>
        </div>
    }
    .into_any()
}

#[component]
fn AddUserScope(
    app: String,
    taken: Vec<String>,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let options: Vec<(String, String)> = auth::discovery()
        .unwrap_or_default()
        .scopes_supported
        .into_iter()
        .filter(|s| s != "openid" && s != "offline_access" && !taken.contains(s))
        .map(|s| (s.clone(), s))
        .collect();
    view! { <AddRow kind=Kind::User options=options app=app version=version error=error/> }
}

#[component]
fn AddOrganizationScope(
    app: String,
    taken: Vec<String>,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let scopes = api::Fetch::<api::Listed<OrganizationScope>>::rows(|| ("/organization-scopes".to_owned(), 1), 100);
    view! {
        {move || scopes.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(list) => {
                    let options = list.items.into_iter().filter(|s| !taken.contains(&s.id)).map(|s| (s.id, s.name)).collect();
                    view! { <AddRow kind=Kind::Organization options=options app=app.clone() version=version error=error/> }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

/// Resource scopes: choose the API resource, then one of its scopes.
#[component]
fn AddResourceScope(
    kind: Kind,
    app: String,
    taken: Vec<String>,
    version: RwSignal<u32>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let resources = api::Fetch::<api::Listed<Resource>>::rows(|| ("/resources".to_owned(), 1), 100);
    let resource = RwSignal::new(String::new());
    let scopes = api::Fetch::new(move || {
        let id = resource.get();
        async move {
            if id.is_empty() {
                return Ok(api::Listed { items: Vec::new(), total: 0 });
            }
            api::first::<Scope>(&format!("/resources/{}/scopes", api::seg(&id)), 100).await
        }
    });
    let picker_id = format!("pick-{}", kind.segment());
    view! {
        {move || resources.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(list) => {
                    // The admin API itself is Latch's own; a third party never gets it.
                    let items: Vec<Resource> = list.items.into_iter().filter(|r| r.indicator != auth::ADMIN_RESOURCE).collect();
                    if resource.get_untracked().is_empty() && let Some(first) = items.first() {
                        resource.set(first.id.clone());
                    }
                    view! {
                        <label for=picker_id.clone()>"API resource"</label>
                        <select id=picker_id.clone() on:change=move |ev| resource.set(event_target_value(&ev))>
                            {items.into_iter().map(|r| view! { <option value=r.id.clone()>{r.name.clone()}" — "{r.indicator.clone()}</option> }).collect_view()}
                        </select>
                    }.into_any()
                }
            })}
            {move || scopes.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(list) => {
                    let options = list.items.into_iter().filter(|s| !taken.contains(&s.id)).map(|s| {
                        let label = if s.description.is_empty() { s.name.clone() } else { format!("{} — {}", s.name, s.description) };
                        (s.id, label)
                    }).collect();
                    view! { <AddRow kind=kind options=options app=app.clone() version=version error=error/> }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

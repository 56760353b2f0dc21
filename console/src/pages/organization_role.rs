//! One organization role: its name and description, the organization permissions it grants
//! (ticked from the template's list) and the API resource scopes it grants inside an
//! organization (added with the scope picker), and Delete.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::pickers::GrantedScopes;
use crate::ui::{self, DeleteConfirm, ErrorNote, FieldError, FormError, Reload, invalid};
use latch_types::{OrganizationRole, OrganizationScope, OrganizationScopeIds, PatchOrganizationRole};
use leptos::prelude::*;

#[component]
pub fn OrganizationRolePage() -> impl IntoView {
    let id = ui::path_id();
    let role = api::Fetch::new(move || {
        let id = id.get();
        async move { api::get::<OrganizationRole>(&format!("/organization-roles/{}", api::seg(&id))).await }
    });
    view! {
        <p><a href=format!("{BASE}/organization-template?tab=roles")>"← Organization roles"</a></p>
        {move || role.get().map(|r| match r {
                Err(e) => view! { <section class="card"><ErrorNote error=e/></section> }.into_any(),
                Ok(r) => view! { <Details role=RwSignal::new(r)/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
    }
}

#[component]
fn Details(role: RwSignal<OrganizationRole>) -> impl IntoView {
    let r = role.get_untracked();
    let name = RwSignal::new(r.name.clone());
    let description = RwSignal::new(r.description.clone());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let path = format!("/organization-roles/{}", api::seg(&r.id));
    let save = {
        let path = path.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = PatchOrganizationRole {
                name: Some(name.get_untracked()),
                description: Some(description.get_untracked()),
            };
            let path = path.clone();
            saved.set(false);
            leptos::task::spawn_local(async move {
                match api::patch::<_, OrganizationRole>(&path, &body).await {
                    Ok(updated) => {
                        error.set(None);
                        role.set(updated);
                        saved.set(true);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || role.get().name}</h1>
                <p class="tags"><span class="tag">"Organization role"</span></p>
            </div>
            <DeleteConfirm noun="organization role" name=Signal::derive(move || role.get().name)
                warning="Deleting takes the role from every member who holds it, in every organization."
                path=path.clone() done="/organization-template?tab=roles".to_owned()/>
        </header>
        <section class="card">
            <form on:submit=save novalidate>
                <h2>"Settings"</h2>
                <label for="orl-name">"Role name"</label>
                <input id="orl-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="orl-name-error"/>
                <FieldError error=error field="name" id="orl-name-error"/>
                <label for="orl-description">"Description"</label>
                <input id="orl-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="orl-description-error"/>
                <FieldError error=error field="description" id="orl-description-error"/>
                <FormError error=error/>
                <div class="actions">
                    <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                    <button type="submit" class="button primary">"Save changes"</button>
                </div>
            </form>
        </section>
        <section class="card"><OrganizationPermissions base=path.clone()/></section>
        <section class="card"><ResourcePermissions base=path/></section>
    }
}

/// A checkbox per organization scope; ticking adds it to the role, unticking removes it.
#[component]
fn OrganizationPermissions(base: String) -> impl IntoView {
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let rows = {
        let base = base.clone();
        api::Fetch::new(move || {
            reload.track();
            let base = base.clone();
            async move {
                let held = api::first::<OrganizationScope>(&format!("{base}/scopes"), 100).await?;
                let all = api::first::<OrganizationScope>("/organization-scopes", 100).await?;
                Ok::<_, ApiError>((held.items, all.items))
            }
        })
    };
    let toggle = move |scope: String, on: bool| {
        let base = base.clone();
        leptos::task::spawn_local(async move {
            let done = if on {
                api::post_only(&format!("{base}/scopes"), &OrganizationScopeIds { organization_scope_ids: vec![scope] })
                    .await
            } else {
                api::delete(&format!("{base}/scopes/{}", api::seg(&scope))).await
            };
            match done {
                Ok(()) => error.set(None),
                Err(e) => error.set(Some(e)),
            }
            reload.bump();
        });
    };
    view! {
        <h2>"Organization permissions"</h2>
        <FormError error=error/>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok((_, all)) if all.is_empty() => view! {
                    <p class="empty">"The template has no organization permissions yet."</p>
                }.into_any(),
                Ok((held, all)) => {
                    let toggle = toggle.clone();
                    view! {
                        <fieldset class="scope-choices">
                            <legend class="sr-only">"Organization permissions this role grants"</legend>
                            {all.into_iter().map(|s| {
                                let toggle = toggle.clone();
                                let checked = held.iter().any(|h| h.id == s.id);
                                let id = s.id.clone();
                                view! {
                                    <label class="check">
                                        <input type="checkbox" prop:checked=checked
                                            on:change=move |ev| toggle(id.clone(), event_target_checked(&ev))/>
                                        <code>{s.name.clone()}</code>
                                        <span class="muted small">{s.description.clone()}</span>
                                    </label>
                                }
                            }).collect_view()}
                        </fieldset>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

#[component]
fn ResourcePermissions(base: String) -> impl IntoView {
    view! {
        <h2>"API permissions"</h2>
        <p class="muted">"API resource scopes a member holding this role may use inside the organization."</p>
        <GrantedScopes base=format!("{base}/resource-scopes") empty="No API permissions yet."
            action="Add API permissions" prefix="org-role-scopes"/>
    }
}

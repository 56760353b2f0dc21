//! One organization role: its name and description, the organization permissions it grants
//! (ticked from the template's list) and the API resource scopes it grants inside an
//! organization (added with the scope picker), and Delete.

use crate::api::{self, ApiError};
use crate::pages::pickers::GrantedScopes;
use crate::ui::{DeleteConfirm, ErrorNote, FormError, NameAndDescription, Reload};
use latch_types::{OrganizationRole, OrganizationScope, OrganizationScopeIds, PatchOrganizationRole};
use leptos::prelude::*;

#[component]
pub fn OrganizationRolePage() -> impl IntoView {
    crate::ui::detail_page::<OrganizationRole, _>(
        "/organization-template?tab=roles",
        "← Organization roles",
        |id| format!("/organization-roles/{}", api::seg(id)),
        |o| view! { <Details role=o/> },
    )
}

#[component]
fn Details(role: RwSignal<OrganizationRole>) -> impl IntoView {
    let r = role.get_untracked();
    let path = format!("/organization-roles/{}", api::seg(&r.id));
    let save = {
        let path = path.clone();
        move |name: String, description: String| {
            let path = path.clone();
            async move {
                let body = PatchOrganizationRole { name: Some(name), description: Some(description) };
                role.set(api::patch::<_, OrganizationRole>(&path, &body).await?);
                Ok(())
            }
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
            <NameAndDescription name_label="Role name" prefix="orl" name=r.name description=r.description save=save/>
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

//! Roles: the list (name, type, description) and **Create role** (user or machine-to-machine).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::ui::{FieldError, FormError, PagedTable, invalid};
use latch_types::{CreateRole, Role, RoleType};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

pub fn role_type_label(t: RoleType) -> &'static str {
    match t {
        RoleType::User => "User",
        RoleType::MachineToMachine => "Machine-to-machine",
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let creating = RwSignal::new(false);
    view! {
        <div class="page-head">
            <h1>"Roles"</h1>
            <button class="button primary" on:click=move |_| creating.set(true)>"Create role"</button>
        </div>
        <p class="muted">"A role grants API resource scopes: user roles to people, machine-to-machine roles to apps that call APIs as themselves."</p>
        {move || creating.get().then(|| view! {
            <CreateRoleForm close=move || creating.set(false)/>
        })}
        <section class="card">
            <PagedTable path="/roles".to_owned() heads=&["Name", "Type", "Description"] empty="No roles yet." row=role_row/>
        </section>
    }
}

fn role_row(r: Role) -> AnyView {
    view! {
        <tr>
            <td><a href=format!("{BASE}/roles/{}", api::seg(&r.id))>{r.name.clone()}</a></td>
            <td>{role_type_label(r.role_type)}</td>
            <td>{r.description.clone()}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateRoleForm(close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let machine = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateRole {
            name: name.get_untracked(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
            role_type: Some(if machine.get_untracked() { RoleType::MachineToMachine } else { RoleType::User }),
            scope_ids: None,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, Role>("/roles", &body).await {
                Ok(r) => navigate(&format!("/roles/{}", api::seg(&r.id)), NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let cancel = close.clone();
    view! {
        <section class="card dialog" role="dialog" aria-labelledby="create-role-title">
            <h2 id="create-role-title">"Create role"</h2>
            <form on:submit=submit novalidate>
                <fieldset>
                    <legend>"Who holds it?"</legend>
                    <div class="cards">
                        <label class="choice">
                            <input type="radio" name="role-type" prop:checked=move || !machine.get() on:change=move |_| machine.set(false)/>
                            <strong>"User"</strong><span>"People, in every app they sign in to."</span>
                        </label>
                        <label class="choice">
                            <input type="radio" name="role-type" prop:checked=move || machine.get() on:change=move |_| machine.set(true)/>
                            <strong>"Machine-to-machine"</strong><span>"Apps that call your APIs as themselves."</span>
                        </label>
                    </div>
                </fieldset>
                <label for="role-name">"Role name"</label>
                <input id="role-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="role-name-error"/>
                <FieldError error=error field="name" id="role-name-error"/>
                <label for="role-description">"Description"</label>
                <input id="role-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="role-description-error"/>
                <FieldError error=error field="description" id="role-description-error"/>
                <FormError error=error/>
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary">"Create"</button>
                </div>
            </form>
        </section>
    }
}

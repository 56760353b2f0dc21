//! One role: *Settings* (name, description), *Permissions* (its API resource scopes, grouped by
//! resource; add through the scope picker, remove) and, for user roles, *Users* (add by search,
//! remove). Machine-to-machine roles are given to apps on the app's *Roles* tab.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::pickers::{GrantedScopes, UserPicker, user_detail, user_label};
use crate::pages::roles::role_type_label;
use crate::ui::{self, DeleteConfirm, ErrorNote, FormError, NameAndDescription, Pager, Reload, delete_then, post_then};
use latch_types::{PatchRole, Role, RoleType, User, UserIds};
use leptos::prelude::*;

#[component]
pub fn RolePage() -> impl IntoView {
    crate::ui::detail_page::<Role, _>(
        "/roles",
        "← Roles",
        |id| format!("/roles/{}", api::seg(id)),
        |o| view! { <Details role=o/> },
    )
}

#[component]
fn Details(role: RwSignal<Role>) -> impl IntoView {
    let tab = ui::current_tab("permissions");
    let r = role.get_untracked();
    let here = format!("{BASE}/roles/{}", api::seg(&r.id));
    let users = r.role_type == RoleType::User;
    let id = r.id.clone();
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || role.get().name}</h1>
                <p class="tags"><span class="tag">{role_type_label(r.role_type)}</span></p>
                <p class="muted">{move || role.get().description}</p>
            </div>
            <DeleteConfirm noun="role" name=Signal::derive(move || role.get().name)
                warning="Deleting takes the role, and the scopes it grants, from everyone who holds it."
                path=format!("/roles/{}", api::seg(&r.id)) done="/roles".to_owned()/>
        </header>
        <div role="tablist" aria-label="Role" class="tabs">
            {ui::tab_link(tab, "permissions", "Permissions", here.clone())}
            {users.then(|| ui::tab_link(tab, "users", "Users", format!("{here}?tab=users")))}
            {ui::tab_link(tab, "settings", "Settings", format!("{here}?tab=settings"))}
        </div>
        <section role="tabpanel" class="card">
            {move || match tab.get().as_str() {
                "settings" => view! { <RoleSettings role=role/> }.into_any(),
                "users" if users => view! { <RoleUsers role_id=id.clone()/> }.into_any(),
                _ => view! { <RoleScopes role_id=id.clone() machine=!users/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn RoleSettings(role: RwSignal<Role>) -> impl IntoView {
    let r = role.get_untracked();
    let save = move |name: String, description: String| {
        let path = format!("/roles/{}", api::seg(&role.get_untracked().id));
        async move {
            let body = PatchRole { name: Some(name), description: Some(description) };
            role.set(api::patch::<_, Role>(&path, &body).await?);
            Ok(())
        }
    };
    view! { <NameAndDescription name_label="Role name" prefix="rl" name=r.name description=r.description save=save/> }
}

#[component]
fn RoleScopes(role_id: String, machine: bool) -> impl IntoView {
    view! {
        <h2>"Permissions"</h2>
        <p class="muted">{if machine {
            "The API scopes an app holding this role receives with the client credentials grant."
        } else {
            "The API scopes a user holding this role may grant to the apps they sign in to."
        }}</p>
        <GrantedScopes base=format!("/roles/{}/scopes", api::seg(&role_id)) empty="This role grants no scopes yet."
            action="Add permissions" prefix="role-scopes"/>
    }
}

#[component]
fn RoleUsers(role_id: String) -> impl IntoView {
    let base = format!("/roles/{}/users", api::seg(&role_id));
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let rows = {
        let base = base.clone();
        api::Fetch::<api::Listed<User>>::rows(
            move || {
                reload.track();
                (base.clone(), page.get())
            },
            api::PAGE_SIZE,
        )
    };
    let add = {
        let base = base.clone();
        Callback::new(move |u: User| post_then(base.clone(), UserIds { user_ids: vec![u.id] }, reload, error))
    };
    let remove = move |user: String| delete_then(format!("{base}/{}", api::seg(&user)), reload, error);
    view! {
        <h2>"Users"</h2>
        <UserPicker label="Give this role to" action="Add" on_pick=add prefix="role-users"/>
        <FormError error=error/>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"Nobody holds this role yet."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    let remove = remove.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"User"</th><th scope="col">"Username and email"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|u| {
                                    let remove = remove.clone();
                                    let (id, name) = (u.id.clone(), user_label(&u));
                                    view! {
                                        <tr>
                                            <td><a href=format!("{BASE}/users/{}", api::seg(&u.id))>{name.clone()}</a></td>
                                            <td>{user_detail(&u)}</td>
                                            <td><button type="button" class="button small danger ghost" aria-label=format!("Remove {name}")
                                                on:click=move |_| remove(id.clone())>"Remove"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page total=Signal::derive(move || total)/>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

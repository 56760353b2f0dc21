//! Roles something holds, to give and take away: a user's user roles (*Roles* on a user's
//! page) and a machine-to-machine app's machine-to-machine roles (*Roles* on the app's page,
//! whose API scopes it receives with the client credentials grant).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::ui::{ErrorNote, FormError, Reload, delete_then};
use latch_types::{Role, RoleIds, RoleType};
use leptos::prelude::*;

#[component]
pub fn ApplicationRoles(app_id: String) -> impl IntoView {
    view! {
        <h2>"Roles"</h2>
        <p class="muted">"The app receives the API scopes of these machine-to-machine roles when it asks for a token with its client credentials."</p>
        <HeldRoles base=format!("/applications/{}/roles", api::seg(&app_id)) kind=RoleType::MachineToMachine
            empty="The app holds no roles: its tokens carry no API scopes." none_left="No other machine-to-machine role"/>
    }
}

/// The roles of `kind` held at `base` (`GET`, `POST` with `roleIds`, `DELETE {base}/{roleId}`),
/// each with Remove, and a choice of the others to give.
#[component]
pub fn HeldRoles(base: String, kind: RoleType, empty: &'static str, none_left: &'static str) -> impl IntoView {
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let chosen = RwSignal::new(String::new());
    let rows = {
        let base = base.clone();
        api::Fetch::new(move || {
            reload.track();
            let base = base.clone();
            async move {
                let held = api::first::<Role>(&base, 100).await?;
                let all = api::first::<Role>("/roles", 100).await?;
                Ok::<_, ApiError>((held.items, all.items))
            }
        })
    };
    let add = {
        let base = base.clone();
        move |_| {
            let role = chosen.get_untracked();
            let base = base.clone();
            leptos::task::spawn_local(async move {
                match api::post_only(&base, &RoleIds { role_ids: vec![role] }).await {
                    Ok(()) => {
                        error.set(None);
                        chosen.set(String::new());
                        reload.bump();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let remove = move |role: String| delete_then(format!("{base}/{}", api::seg(&role)), reload, error);
    view! {
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok((held, all)) => {
                    let choices: Vec<Role> = all.into_iter()
                        .filter(|r| r.role_type == kind && !held.iter().any(|h| h.id == r.id))
                        .collect();
                    let remove = remove.clone();
                    view! {
                        {if held.is_empty() {
                            view! { <p class="empty">{empty}</p> }.into_any()
                        } else {
                            view! {
                                <table class="list">
                                    <thead><tr><th scope="col">"Role"</th><th scope="col">"Description"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {held.into_iter().map(|r| {
                                            let remove = remove.clone();
                                            let id = r.id.clone();
                                            view! {
                                                <tr>
                                                    <td><a href=format!("{BASE}/roles/{}", api::seg(&r.id))>{r.name.clone()}</a></td>
                                                    <td>{r.description.clone()}</td>
                                                    <td><button type="button" class="button small danger ghost" aria-label=format!("Remove role {}", r.name)
                                                        on:click=move |_| remove(id.clone())>"Remove"</button></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        <label for="add-role">"Give a role"</label>
                        <select id="add-role" prop:value=move || chosen.get() on:change=move |ev| chosen.set(event_target_value(&ev))>
                            <option value="">{if choices.is_empty() { none_left } else { "Choose a role" }}</option>
                            {choices.into_iter().map(|r| view! { <option value=r.id.clone()>{r.name.clone()}</option> }).collect_view()}
                        </select>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
        <div class="actions">
            <button type="button" class="button" disabled=move || chosen.get().is_empty() on:click=add>"Give role"</button>
        </div>
        <FormError error=error/>
    }
}

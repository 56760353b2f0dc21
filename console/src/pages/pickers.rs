//! Pickers shared by several pages: API resource scopes (a resource, then its scopes), the
//! list of scopes something grants with that picker, and users (found by search).

use crate::api::{self, ApiError};
use crate::ui::{ErrorNote, FormError, Reload, delete_then, post_then};
use latch_types::{Resource, Scope, ScopeIds, User};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// What a user is called in a list: name, then username, email, phone, id.
pub fn user_label(u: &User) -> String {
    u.name
        .clone()
        .or_else(|| u.username.clone())
        .or_else(|| u.primary_email.clone())
        .or_else(|| u.primary_phone.clone())
        .unwrap_or_else(|| u.id.clone())
}

/// The secondary line of a user: username and email.
pub fn user_detail(u: &User) -> String {
    [u.username.as_deref(), u.primary_email.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" · ")
}

/// Chooses scopes of one API resource and hands their ids to `on_add`.
#[component]
pub fn ScopePicker(
    /// The button's words.
    #[prop(into)]
    action: String,
    on_add: Callback<Vec<String>, ()>,
    /// A prefix for element ids, unique on the page.
    prefix: &'static str,
) -> impl IntoView {
    let resources = api::Fetch::<api::Listed<Resource>>::rows(|| ("/resources".to_owned(), 1), 100);
    let chosen = RwSignal::new(String::new());
    let scopes = api::Fetch::new(move || {
        let id = chosen.get();
        async move {
            if id.is_empty() {
                return Ok(Vec::new());
            }
            api::first::<Scope>(&format!("/resources/{}/scopes", api::seg(&id)), 100).await.map(|l| l.items)
        }
    });
    let picked = RwSignal::new(Vec::<String>::new());
    let error = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        chosen.track();
        picked.set(Vec::new());
    });
    let select_id = format!("{prefix}-resource");
    view! {
        <div class="picker">
            <label for=select_id.clone()>"API resource"</label>
            <select id=select_id on:change=move |ev| chosen.set(event_target_value(&ev))>
                <option value="">"Choose an API resource"</option>
                {move || resources.get().map(|r| match r {
                    Ok(listed) => listed.items.into_iter().map(|r| view! {
                        <option value=r.id.clone()>{format!("{} ({})", r.name, r.indicator)}</option>
                    }).collect_view().into_any(),
                    Err(e) => {
                        error.set(Some(e));
                        ().into_any()
                    }
                })}
            </select>
            <fieldset class="scope-choices">
                <legend class="sr-only">"Scopes"</legend>
                {move || scopes.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(list) if list.is_empty() && !chosen.get().is_empty() => {
                        view! { <p class="muted">"This API has no scopes yet."</p> }.into_any()
                    }
                    Ok(list) => list.into_iter().map(|s| {
                        let id = s.id.clone();
                        let on = id.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || picked.get().contains(&on)
                                    on:change=move |ev| {
                                        let id = id.clone();
                                        let checked = event_target_checked(&ev);
                                        picked.update(|p| if checked { p.push(id) } else { p.retain(|x| *x != id) });
                                    }/>
                                <code>{s.name.clone()}</code>
                                <span class="muted small">{s.description.clone()}</span>
                            </label>
                        }
                    }).collect_view().into_any(),
                })}
            </fieldset>
            <button type="button" class="button" disabled=move || picked.get().is_empty()
                on:click=move |_| {
                    on_add.run(picked.get_untracked());
                    picked.set(Vec::new());
                }>{action}</button>
            <FormError error=error/>
        </div>
    }
}

/// Finds users by what they are called and hands the one chosen to `on_pick`.
#[component]
pub fn UserPicker(
    #[prop(into)] label: String,
    /// The button's words, as in "Add".
    action: &'static str,
    on_pick: Callback<User, ()>,
    prefix: &'static str,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let found = api::Fetch::new(move || {
        let t = text.get();
        async move {
            if t.trim().is_empty() {
                return Ok(Vec::new());
            }
            let q = serde_urlencoded::to_string([("search", t.trim())]).unwrap_or_default();
            api::first::<User>(&format!("/users?{q}"), 8).await.map(|l| l.items)
        }
    });
    let input_id = format!("{prefix}-search");
    view! {
        <div class="picker">
            <label for=input_id.clone()>{label}</label>
            <input id=input_id type="search" placeholder="Name, username, email or phone" autocomplete="off"
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
            <ul class="found" aria-live="polite">
                {move || found.get().map(|r| match r {
                    Err(e) => view! { <li><ErrorNote error=e/></li> }.into_any(),
                    Ok(users) if users.is_empty() && !text.get().trim().is_empty() => {
                        view! { <li class="muted">"No user matches."</li> }.into_any()
                    }
                    Ok(users) => users.into_iter().map(|u| {
                        let (name, detail) = (user_label(&u), user_detail(&u));
                        let aria = format!("{action} {name}");
                        view! {
                            <li>
                                <span>{name}<span class="muted small">" "{detail}</span></span>
                                <button type="button" class="button small" aria-label=aria
                                    on:click=move |_| {
                                        on_pick.run(u.clone());
                                        text.set(String::new());
                                    }>{action}</button>
                            </li>
                        }
                    }).collect_view().into_any(),
                })}
            </ul>
        </div>
    }
}

/// Scopes grouped under the name of their resource (`resources` names them; an unknown one
/// shows its id).
fn by_resource(scopes: Vec<Scope>, resources: &[Resource]) -> BTreeMap<String, Vec<Scope>> {
    let mut groups: BTreeMap<String, Vec<Scope>> = BTreeMap::new();
    for s in scopes {
        let name = resources
            .iter()
            .find(|r| r.id == s.resource_id)
            .map(|r| format!("{} ({})", r.name, r.indicator))
            .unwrap_or_else(|| s.resource_id.clone());
        groups.entry(name).or_default().push(s);
    }
    groups
}

/// The API resource scopes something grants (a role, an organization role), grouped by
/// resource, each with Remove, and the picker that adds more: `GET` and `POST {base}`
/// (`scopeIds`), `DELETE {base}/{scopeId}`.
#[component]
pub fn GrantedScopes(base: String, empty: &'static str, action: &'static str, prefix: &'static str) -> impl IntoView {
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let rows = {
        let base = base.clone();
        api::Fetch::new(move || {
            reload.track();
            let base = base.clone();
            async move {
                let scopes = api::first::<Scope>(&base, 100).await?;
                let resources = api::first::<Resource>("/resources", 100).await?;
                Ok::<_, ApiError>((scopes, resources.items))
            }
        })
    };
    let add = {
        let base = base.clone();
        Callback::new(move |ids: Vec<String>| post_then(base.clone(), ScopeIds { scope_ids: ids }, reload, error))
    };
    view! {
        {move || rows.get().map(|r| match r {
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            Ok((listed, _)) if listed.items.is_empty() => view! { <p class="empty">{empty}</p> }.into_any(),
            Ok((listed, resources)) => {
                let more = (listed.total > 100).then(|| view! { <p class="muted">{format!("The first 100 of {} scopes.", listed.total)}</p> });
                let base = base.clone();
                view! {
                    <table class="list">
                        <thead><tr><th scope="col">"Scope"</th><th scope="col">"Description"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                        {by_resource(listed.items, &resources).into_iter().map(|(resource, scopes)| {
                            let base = base.clone();
                            view! {
                                <tbody>
                                    <tr class="group"><th colspan="3" scope="rowgroup">{resource}</th></tr>
                                    {scopes.into_iter().map(|s| {
                                        let path = format!("{base}/{}", api::seg(&s.id));
                                        view! {
                                            <tr>
                                                <td><code>{s.name.clone()}</code></td>
                                                <td>{s.description.clone()}</td>
                                                <td><button type="button" class="button small danger ghost" aria-label=format!("Remove {}", s.name)
                                                    on:click=move |_| delete_then(path.clone(), reload, error)>"Remove"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            }
                        }).collect_view()}
                    </table>
                    {more}
                }.into_any()
            }
        }).unwrap_or_else(crate::ui::loading)}
        <h3>{action}</h3>
        <ScopePicker action=action on_add=add prefix=prefix/>
        <FormError error=error/>
    }
}

//! Organizations: the list, **Create organization**, and one organization's page — its
//! settings, its members with their organization roles (add by search, set roles, remove), and
//! Delete.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::pickers::{UserPicker, user_detail, user_label};
use crate::ui::{
    self, DeleteConfirm, ErrorNote, FieldError, FormError, NameAndDescription, PagedTable, Pager, Reload, invalid,
    post_then,
};
use latch_types::{
    CreateOrganization, Organization, OrganizationMember, OrganizationRole, OrganizationRoleIds, PatchOrganization,
    User, UserIds,
};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let creating = RwSignal::new(false);
    view! {
        <div class="page-head">
            <h1>"Organizations"</h1>
            <button class="button primary" on:click=move |_| creating.set(true)>"Create organization"</button>
        </div>
        <p class="muted">"Customers, partners or teams. Members hold organization roles that count only inside their organization. The scopes and roles every organization shares are under "<a href=format!("{BASE}/organization-template")>"Organization template"</a>"."</p>
        {move || creating.get().then(|| view! {
            <CreateOrganizationForm close=move || creating.set(false)/>
        })}
        <section class="card">
            <PagedTable path="/organizations".to_owned() heads=&["Name", "Description", "Created"] empty="No organizations yet."
                row=organization_row/>
        </section>
    }
}

fn organization_row(o: Organization) -> AnyView {
    view! {
        <tr>
            <td><a href=format!("{BASE}/organizations/{}", api::seg(&o.id))>{o.name.clone()}</a></td>
            <td>{o.description.clone().unwrap_or_default()}</td>
            <td>{ui::date(o.created_at)}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateOrganizationForm(close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateOrganization {
            name: name.get_untracked(),
            description: Some(description.get_untracked()).filter(|d| !d.trim().is_empty()),
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, Organization>("/organizations", &body).await {
                Ok(o) => navigate(&format!("/organizations/{}", api::seg(&o.id)), NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let cancel = close.clone();
    view! {
        <section class="card dialog" role="dialog" aria-labelledby="create-org-title">
            <h2 id="create-org-title">"Create organization"</h2>
            <form on:submit=submit novalidate>
                <label for="o-name">"Organization name"</label>
                <input id="o-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="o-name-error"/>
                <FieldError error=error field="name" id="o-name-error"/>
                <label for="o-description">"Description"</label>
                <input id="o-description" type="text" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="o-description-error"/>
                <FieldError error=error field="description" id="o-description-error"/>
                <FormError error=error/>
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary">"Create"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn OrganizationPage() -> impl IntoView {
    crate::ui::detail_page::<Organization, _>(
        "/organizations",
        "← Organizations",
        |id| format!("/organizations/{}", api::seg(id)),
        |o| view! { <Details org=o/> },
    )
}

#[component]
fn Details(org: RwSignal<Organization>) -> impl IntoView {
    let tab = ui::current_tab("members");
    let o = org.get_untracked();
    let here = format!("{BASE}/organizations/{}", api::seg(&o.id));
    let id = o.id.clone();
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || org.get().name}</h1>
                <p class="muted">{move || org.get().description.unwrap_or_default()}</p>
            </div>
            <DeleteConfirm noun="organization" name=Signal::derive(move || org.get().name)
                warning="Deleting removes the organization and its memberships; members lose the organization roles they held in it."
                path=format!("/organizations/{}", api::seg(&o.id)) done="/organizations".to_owned()/>
        </header>
        <div role="tablist" aria-label="Organization" class="tabs">
            {ui::tab_link(tab, "members", "Members", here.clone())}
            {ui::tab_link(tab, "settings", "Settings", format!("{here}?tab=settings"))}
        </div>
        <section role="tabpanel" class="card">
            {move || match tab.get().as_str() {
                "settings" => view! { <OrganizationSettings org=org/> }.into_any(),
                _ => view! { <Members org_id=id.clone()/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn OrganizationSettings(org: RwSignal<Organization>) -> impl IntoView {
    let o = org.get_untracked();
    let save = move |name: String, description: String| {
        let path = format!("/organizations/{}", api::seg(&org.get_untracked().id));
        async move {
            let description = Some(description.trim().to_owned()).filter(|d| !d.is_empty());
            let body = PatchOrganization { name: Some(name), description: Some(description) };
            org.set(api::patch::<_, Organization>(&path, &body).await?);
            Ok(())
        }
    };
    view! {
        <NameAndDescription name_label="Organization name" prefix="os" name=o.name
            description=o.description.unwrap_or_default() save=save/>
    }
}

#[component]
fn Members(org_id: String) -> impl IntoView {
    let base = format!("/organizations/{}/users", api::seg(&org_id));
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let editing = RwSignal::new(None::<String>);
    let rows = {
        let base = base.clone();
        api::Fetch::new(move || {
            reload.track();
            let (base, p) = (base.clone(), page.get());
            async move {
                let members = api::list::<OrganizationMember>(&base, p).await?;
                let roles = api::first::<OrganizationRole>("/organization-roles", 100).await?;
                Ok::<_, ApiError>((members, roles.items))
            }
        })
    };
    let add = {
        let base = base.clone();
        Callback::new(move |u: User| post_then(base.clone(), UserIds { user_ids: vec![u.id] }, reload, error))
    };
    view! {
        <h2>"Members"</h2>
        <UserPicker label="Add a member" action="Add" on_pick=add prefix="org-members"/>
        <FormError error=error/>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok((listed, _)) if listed.items.is_empty() => view! { <p class="empty">"No members yet."</p> }.into_any(),
                Ok((listed, roles)) => {
                    let total = listed.total;
                    let base = base.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"Member"</th><th scope="col">"Organization roles"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|m| view! {
                                    <MemberRow member=m roles=roles.clone() base=base.clone() editing=editing reload=reload error=error/>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=page total=Signal::derive(move || total)/>
                    }.into_any()
                }
            }).unwrap_or_else(crate::ui::loading)}
    }
}

/// A member, their roles, and — while editing — a checkbox per organization role.
#[component]
fn MemberRow(
    member: OrganizationMember,
    roles: Vec<OrganizationRole>,
    base: String,
    editing: RwSignal<Option<String>>,
    reload: Reload,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let user = member.user;
    let (id, name) = (user.id.clone(), user_label(&user));
    let path = format!("{base}/{}", api::seg(&id));
    let held: Vec<String> = member.organization_roles.iter().map(|r| r.id.clone()).collect();
    let picked = RwSignal::new(held.clone());
    let open = {
        let id = id.clone();
        move || editing.get().as_deref() == Some(id.as_str())
    };
    let save = {
        let path = path.clone();
        move |_| {
            let body = OrganizationRoleIds { organization_role_ids: picked.get_untracked() };
            let path = format!("{path}/roles");
            leptos::task::spawn_local(async move {
                match api::put_only(&path, &body).await {
                    Ok(()) => {
                        error.set(None);
                        editing.set(None);
                        reload.bump();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let remove = move |_| {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&path).await {
                Ok(()) => reload.bump(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let role_names = member.organization_roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>().join(", ");
    let edit_id = id.clone();
    let open_fallback = open.clone();
    view! {
        <tr>
            <td><a href=format!("{BASE}/users/{}", api::seg(&id))>{name.clone()}</a>
                <div class="muted small">{user_detail(&user)}</div></td>
            <td>
                <Show when=open.clone() fallback=move || view! {
                    <span>{if role_names.is_empty() { "None".to_owned() } else { role_names.clone() }}</span>
                }>
                    <fieldset class="scope-choices">
                        <legend class="sr-only">{format!("Organization roles of {name}")}</legend>
                        {roles.iter().map(|r| {
                            let rid = r.id.clone();
                            let on = rid.clone();
                            view! {
                                <label class="check">
                                    <input type="checkbox" prop:checked=move || picked.get().contains(&on)
                                        on:change=move |ev| {
                                            let (rid, checked) = (rid.clone(), event_target_checked(&ev));
                                            picked.update(|p| if checked { p.push(rid) } else { p.retain(|x| *x != rid) });
                                        }/>
                                    {r.name.clone()}
                                </label>
                            }
                        }).collect_view()}
                        {roles.is_empty().then(|| view! { <p class="muted">"Create organization roles in the organization template first."</p> })}
                    </fieldset>
                </Show>
            </td>
            <td class="row-actions">
                {move || if open_fallback() {
                    view! {
                        <button type="button" class="button small primary" on:click=save.clone()>"Save roles"</button>
                        <button type="button" class="button small ghost" on:click=move |_| editing.set(None)>"Cancel"</button>
                    }.into_any()
                } else {
                    let edit_id = edit_id.clone();
                    view! {
                        <button type="button" class="button small ghost" on:click=move |_| editing.set(Some(edit_id.clone()))>"Edit roles"</button>
                    }.into_any()
                }}
                <button type="button" class="button small danger ghost" aria-label=format!("Remove {}", user_label(&user))
                    on:click=remove.clone()>"Remove"</button>
            </td>
        </tr>
    }
}

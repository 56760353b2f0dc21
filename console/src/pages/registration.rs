//! *Open registration*: whether clients may register themselves at `/oidc/reg` (RFC 7591):
//! MCP clients, AI agents, outside developers. Also the ceiling each such client gets: what
//! it may register as, the permissions it may ask users for, the hosts its redirect URIs may
//! point at, how many registrations an address may make, and whether the consent screen says
//! the app was not reviewed.

use crate::api::{self, ApiError};
use crate::auth;
use crate::pages::pickers::ScopePicker;
use crate::ui::{self, CopyButton, ErrorNote, FieldError, Reload, delete_then, invalid};
use latch_types::{
    AddConsentScopes, ConsentScope, ConsentScopeInput, CreateInitialAccessToken, InitialAccessToken, OrganizationScope,
    PutRegistrationPolicy, RegistrationPolicy,
};
use leptos::prelude::*;

const PATH: &str = "/registration-policy";

#[component]
pub fn RegistrationPage() -> impl IntoView {
    let loaded = api::Fetch::<RegistrationPolicy>::read(|| PATH.to_owned());
    view! {
        <section class="card">
            <h1>"Open registration"</h1>
            <p class="hint">"Let MCP clients, AI agents and outside developers register their own app at "
                <code>"/oidc/reg"</code>" (OAuth 2.0 Dynamic Client Registration, RFC 7591). Each such app is \
                third-party: it always shows the consent screen and gets at most what you allow here. What \
                it asks for beyond that is dropped."</p>
            {move || loaded.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(p) => view! { <PolicyForm current=p/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
        </section>
        <section class="card">
            <InitialAccessTokens/>
        </section>
    }
}

const TOKENS: &str = "/registration-policy/initial-access-tokens";

/// Initial access tokens (RFC 7591 §3): when the policy requires one, a developer registers
/// with a token issued here. Its value is shown once.
#[component]
fn InitialAccessTokens() -> impl IntoView {
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let name = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let tokens = api::Fetch::<Vec<InitialAccessToken>>::read(move || {
        reload.track();
        TOKENS.to_owned()
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateInitialAccessToken { name: name.get_untracked(), expires_at: None };
        leptos::task::spawn_local(async move {
            match api::post::<_, InitialAccessToken>(TOKENS, &body).await {
                Ok(t) => {
                    error.set(None);
                    fresh.set(t.token);
                    name.set(String::new());
                    reload.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <h2>"Initial access tokens"</h2>
        <p class="hint">"When registration requires one, a developer sends a token issued here as a bearer \
            token with the registration. Revoking a token stops new registrations with it; apps already \
            registered stay."</p>
        <form class="inline-form" on:submit=create novalidate>
            <label for="t-name">"For"</label>
            <input id="t-name" type="text" bind:value=name placeholder="Acme's MCP client"
                aria-invalid=invalid(error, "name") aria-describedby="t-name-error"/>
            <button type="submit" class="button">"Issue token"</button>
        </form>
        <FieldError error=error field="name" id="t-name-error"/>
        {move || fresh.get().map(|t| view! {
            <p class="fresh-token" role="status">"Copy it now, it is not shown again: "<code>{t.clone()}</code>
                <CopyButton value=t label="initial access token"/></p>
        })}
        {move || tokens.get().map(|r| match r {
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="empty">"No initial access tokens."</p> }.into_any(),
            Ok(list) => view! {
                <table class="list">
                    <thead><tr><th scope="col">"For"</th><th scope="col">"Issued"</th><th scope="col">"Expires"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|t| {
                            let path = format!("{TOKENS}/{}", api::seg(&t.id));
                            let label = t.name.clone();
                            view! {
                                <tr>
                                    <td>{t.name.clone()}</td>
                                    <td>{ui::date_time(t.created_at)}</td>
                                    <td>{t.expires_at.map(ui::date_time).unwrap_or_else(|| "Never".to_owned())}</td>
                                    <td><button type="button" class="button small danger ghost" aria-label=format!("Revoke the token for {label}")
                                        on:click=move |_| delete_then(path.clone(), reload, error)>"Revoke"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        }).unwrap_or_else(crate::ui::loading)}
    }
}

/// A resource scope as the list shows it: its resource, then its name.
fn scope_label(s: &ConsentScope) -> String {
    match &s.resource {
        Some(r) => format!("{} · {}", r.name, s.name),
        None => s.name.clone(),
    }
}

#[component]
fn PolicyForm(current: RegistrationPolicy) -> impl IntoView {
    let enabled = RwSignal::new(current.enabled);
    let types: Vec<(&'static str, &'static str, RwSignal<bool>)> = [
        ("SPA", "Single-page apps (public, with PKCE)"),
        ("Native", "Native apps, CLIs and agents (public, with PKCE; loopback or custom-scheme redirects)"),
        ("Traditional", "Web servers holding a client secret"),
    ]
    .into_iter()
    .map(|(t, label)| (t, label, RwSignal::new(current.app_types.iter().any(|c| c == t))))
    .collect();
    let user_scopes: Vec<(String, RwSignal<bool>)> = auth::discovery()
        .unwrap_or_default()
        .scopes_supported
        .into_iter()
        .filter(|s| s != "openid" && s != "offline_access")
        .map(|s| {
            let on = current.permissions.user_scopes.iter().any(|c| c.id == s);
            (s, RwSignal::new(on))
        })
        .collect();
    let resource_scopes = RwSignal::new(current.permissions.resource_scopes.clone());
    let org_scopes =
        RwSignal::new(current.permissions.organization_scopes.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
    // Not edited on this page (the API sets them); kept as they are when the form is saved.
    let org_resource_scopes: Vec<ConsentScopeInput> =
        current.permissions.organization_resource_scopes.iter().map(|s| ConsentScopeInput::Id(s.id.clone())).collect();
    let all_org_scopes =
        api::Fetch::<api::Listed<OrganizationScope>>::rows(|| ("/organization-scopes".to_owned(), 1), 100);
    let hosts = RwSignal::new(current.redirect_hosts.join("\n"));
    let per_hour = RwSignal::new(current.registrations_per_hour.to_string());
    let notice = RwSignal::new(current.unverified_notice);
    let require_token = RwSignal::new(current.require_initial_access_token);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let add_scopes = Callback::new(move |ids: Vec<String>| {
        resource_scopes.update(|list| {
            for id in ids {
                if !list.iter().any(|s| s.id == id) {
                    // Named once saved: the answer describes every permission.
                    list.push(ConsentScope {
                        id: id.clone(),
                        required: false,
                        name: id,
                        description: None,
                        resource: None,
                    });
                }
            }
        });
        saved.set(false);
    });
    let (types_for_save, user_for_save) = (types.clone(), user_scopes.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PutRegistrationPolicy {
            enabled: enabled.get_untracked(),
            app_types: types_for_save
                .iter()
                .filter(|(_, _, on)| on.get_untracked())
                .map(|(t, _, _)| (*t).to_owned())
                .collect(),
            permissions: AddConsentScopes {
                user_scopes: user_for_save
                    .iter()
                    .filter(|(_, on)| on.get_untracked())
                    .map(|(s, _)| ConsentScopeInput::Id(s.clone()))
                    .collect(),
                resource_scopes: resource_scopes
                    .get_untracked()
                    .into_iter()
                    .map(|s| ConsentScopeInput::Id(s.id))
                    .collect(),
                organization_scopes: org_scopes.get_untracked().into_iter().map(ConsentScopeInput::Id).collect(),
                organization_resource_scopes: org_resource_scopes.clone(),
            },
            redirect_hosts: hosts.get_untracked().split_whitespace().map(str::to_owned).collect(),
            require_initial_access_token: require_token.get_untracked(),
            // Not a number: 0, which the server refuses at its field.
            registrations_per_hour: per_hour.get_untracked().trim().parse().unwrap_or(0),
            unverified_notice: notice.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, RegistrationPolicy>(PATH, &body).await {
                Ok(stored) => {
                    resource_scopes.set(stored.permissions.resource_scopes);
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="form" on:submit=save novalidate>
            <label class="check"><input type="checkbox" id="r-enabled" bind:checked=enabled/>
                " Clients may register themselves"</label>
            <fieldset aria-describedby="r-appTypes-error">
                <legend>"They may register as"</legend>
                {types.into_iter().map(|(t, label, on)| view! {
                    <label class="check"><input type="checkbox" id=format!("r-type-{t}") bind:checked=on/>" "{label}</label>
                }).collect_view()}
                <FieldError error=error field="appTypes" id="r-appTypes-error"/>
            </fieldset>
            <fieldset>
                <legend>"Profile data they may ask users for"</legend>
                {user_scopes.into_iter().map(|(s, on)| view! {
                    <label class="check"><input type="checkbox" id=format!("r-scope-{s}") bind:checked=on/>" "<code>{s.clone()}</code></label>
                }).collect_view()}
            </fieldset>
            <fieldset>
                <legend>"API permissions they may ask users for"</legend>
                <p class="hint">"Never the admin API's. Each one the user may untick on the consent screen."</p>
                <ul class="chosen">
                    {move || resource_scopes.get().into_iter().map(|s| {
                        let id = s.id.clone();
                        let label = scope_label(&s);
                        view! {
                            <li><span>{label.clone()}</span>
                                <button type="button" class="button small danger ghost" aria-label=format!("Remove {label}")
                                    on:click=move |_| resource_scopes.update(|l| l.retain(|x| x.id != id))>"Remove"</button></li>
                        }
                    }).collect_view()}
                </ul>
                <ScopePicker action="Allow" on_add=add_scopes prefix="r-pick"/>
                <FieldError error=error field="permissions" id="r-permissions-error"/>
            </fieldset>
            <fieldset>
                <legend>"Organization permissions they may ask users for"</legend>
                <p class="hint">"Asked for with the organizations scope; the user picks the organizations to share."</p>
                {move || all_org_scopes.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(list) => list.items.into_iter().map(|s| {
                        let (id, toggle) = (s.id.clone(), s.id.clone());
                        view! {
                            <label class="check"><input type="checkbox" id=format!("r-org-{}", s.name)
                                prop:checked=move || org_scopes.get().contains(&id)
                                on:change=move |_| org_scopes.update(|l| if l.contains(&toggle) { l.retain(|x| x != &toggle) } else { l.push(toggle.clone()) })/>
                                " "<code>{s.name.clone()}</code></label>
                        }
                    }).collect_view().into_any(),
                }).unwrap_or_else(crate::ui::loading)}
            </fieldset>
            <label for="r-hosts">"Redirect hosts"</label>
            <p class="hint">"One per line: app.example.com, or *.example.com for its subdomains. Empty: any https host. \
                Native apps' loopback and custom-scheme redirects stay on the device and are always allowed."</p>
            <textarea id="r-hosts" rows="3" bind:value=hosts aria-invalid=invalid(error, "redirectHosts") aria-describedby="r-hosts-error"></textarea>
            <FieldError error=error field="redirectHosts" id="r-hosts-error"/>
            <label for="r-per-hour">"Registrations per address per hour"</label>
            <input id="r-per-hour" type="text" inputmode="numeric" bind:value=per_hour
                aria-invalid=invalid(error, "registrationsPerHour") aria-describedby="r-per-hour-error"/>
            <FieldError error=error field="registrationsPerHour" id="r-per-hour-error"/>
            <label class="check"><input type="checkbox" id="r-require-token" bind:checked=require_token/>
                " Registration needs an initial access token issued below"</label>
            <label class="check"><input type="checkbox" id="r-notice" bind:checked=notice/>
                " Tell users on the consent screen that the app registered itself and was not reviewed"</label>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                <button type="submit" class="button primary">"Save open registration"</button>
            </div>
        </form>
    }
}

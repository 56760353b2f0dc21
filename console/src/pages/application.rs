//! One application: its header (name, type, third-party tag, client ID, delete) and its tabs —
//! *Settings* here, *Endpoints & credentials* in `application_credentials.rs`.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::application_branding::Branding;
use crate::pages::application_credentials::Credentials;
use crate::pages::application_permissions::Permissions;
use crate::pages::application_roles::ApplicationRoles;
use crate::ui::{self, CopyButton, DeleteConfirm, ErrorNote, FieldError, FormError, invalid};
use latch_types::{Application, CustomClientMetadata, OidcClientMetadata, PatchApplication, RegistrationKind};
use leptos::prelude::*;

#[component]
pub fn ApplicationPage() -> impl IntoView {
    ui::detail_page::<Application, _>(
        "/applications",
        "← Applications",
        |id| format!("/applications/{}", api::seg(id)),
        |app| view! { <Details app=app/> },
    )
}

#[component]
fn Details(app: RwSignal<Application>) -> impl IntoView {
    let tab = ui::current_tab("settings");
    let tab_link = move |key, label, href| ui::tab_link(tab, key, label, href);
    let a = app.get_untracked();
    let here = format!("{BASE}/applications/{}", api::seg(&a.id));
    let (third_party, app_id) = (a.is_third_party, a.id.clone());
    let machine = a.app_type == latch_types::ApplicationType::MachineToMachine;
    // Taking a self-registered app over: it stops being managed by its registration token.
    let promote_error = RwSignal::new(None::<ApiError>);
    let promote_path = format!("/applications/{}/registration", api::seg(&a.id));
    let promote = move |_| {
        let path = promote_path.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&path).await {
                Ok(()) => {
                    promote_error.set(None);
                    app.update(|a| a.registration = None);
                }
                Err(e) => promote_error.set(Some(e)),
            }
        });
    };
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || app.get().name}</h1>
                <p class="tags">
                    <span class="tag">{ui::type_label(a.app_type)}</span>
                    {a.is_third_party.then(|| view! { <span class="tag accent">"Third-party"</span> })}
                    {move || app.get().registration.map(|r| view! { <span class="tag">{ui::registration_label(r.kind)}</span> })}
                </p>
                {move || app.get().registration.map(|r| {
                    let promote = promote.clone();
                    let software = r.software_id.map(|id| match r.software_version {
                        Some(v) => format!(" as {id} {v}"),
                        None => format!(" as {id}"),
                    });
                    view! {
                        <p class="muted registered">
                            {if r.kind == RegistrationKind::MetadataDocument { "Named by its Client ID Metadata Document (fetched again as its cache lifetime ends), first fetched" } else { "Registered itself" }}
                            {format!(" on {} from {}{}", ui::date_time(r.registered_at), r.ip, software.unwrap_or_default())}
                            {r.user_agent.map(|ua| view! { <span class="small">{format!(" ({ua})")}</span> })}
                            ". Nobody has reviewed it: check its settings and permissions, then take it over, or delete it."
                        </p>
                        <FormError error=promote_error/>
                        <button type="button" class="button" on:click=promote>"Take over"</button>
                    }
                })}
                <p class="client-id">"Client ID "<code>{a.id.clone()}</code><CopyButton value=a.id.clone() label="Client ID"/></p>
            </div>
            <DeleteConfirm noun="application" name=Signal::derive(move || app.get().name)
                warning="Deleting removes the app, its secrets, and every grant and token issued to it."
                path=format!("/applications/{}", api::seg(&a.id))
                done=if a.is_third_party { "/applications?tab=third-party" } else { "/applications" }.to_owned()/>
        </header>
        <div role="tablist" aria-label="Application" class="tabs">
            {tab_link("settings", "Settings", here.clone())}
            {tab_link("credentials", "Endpoints & credentials", format!("{here}?tab=credentials"))}
            {machine.then(|| tab_link("roles", "Roles", format!("{here}?tab=roles")))}
            {a.is_third_party.then(|| view! {
                {tab_link("permissions", "Permissions", format!("{here}?tab=permissions"))}
                {tab_link("branding", "Branding", format!("{here}?tab=branding"))}
            })}
        </div>
        <section role="tabpanel" class="card">
            {move || match tab.get().as_str() {
                "credentials" => view! { <Credentials app=app.get_untracked()/> }.into_any(),
                "roles" if machine => view! { <ApplicationRoles app_id=app_id.clone()/> }.into_any(),
                "permissions" if third_party => view! { <Permissions app_id=app_id.clone()/> }.into_any(),
                "branding" if third_party => view! { <Branding app_id=app_id.clone()/> }.into_any(),
                _ => view! { <Settings app=app/> }.into_any(),
            }}
        </section>
    }
}

/// Name, description, URIs, CORS origins and refresh-token options; errors shown at the
/// field the server names.
#[component]
fn Settings(app: RwSignal<Application>) -> impl IntoView {
    let a = app.get_untracked();
    let name = RwSignal::new(a.name.clone());
    let description = RwSignal::new(a.description.clone().unwrap_or_default());
    let redirects = RwSignal::new(a.oidc_client_metadata.redirect_uris.join("\n"));
    let post_logout = RwSignal::new(a.oidc_client_metadata.post_logout_redirect_uris.join("\n"));
    let origins = RwSignal::new(a.custom_client_metadata.cors_allowed_origins.join("\n"));
    let rotate = RwSignal::new(a.custom_client_metadata.rotate_refresh_token.unwrap_or(true));
    let always = RwSignal::new(a.custom_client_metadata.always_issue_refresh_token.unwrap_or(false));
    let device_flow = RwSignal::new(a.custom_client_metadata.device_flow.unwrap_or(false));
    let ttl_days =
        RwSignal::new(a.custom_client_metadata.refresh_token_ttl_in_days.map(|d| d.to_string()).unwrap_or_default());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let public = !ui::has_secrets(a.app_type);
    let machine = a.app_type == latch_types::ApplicationType::MachineToMachine;
    let native = a.app_type == latch_types::ApplicationType::Native;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let current = app.get_untracked();
        let ttl = ttl_days.get_untracked();
        let ttl = ttl.trim();
        let refresh_token_ttl_in_days = if ttl.is_empty() {
            None
        } else if let Ok(n) = ttl.parse::<i64>() {
            Some(n)
        } else {
            error.set(Some(ApiError {
                status: 0,
                code: "number".into(),
                message: "Enter a whole number of days.".into(),
                field: Some("customClientMetadata.refreshTokenTtlInDays".into()),
            }));
            return;
        };
        let body = PatchApplication {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
            app_type: None,
            is_third_party: None,
            oidc_client_metadata: Some(OidcClientMetadata {
                redirect_uris: ui::lines(&redirects.get_untracked()),
                post_logout_redirect_uris: ui::lines(&post_logout.get_untracked()),
            }),
            custom_client_metadata: Some(CustomClientMetadata {
                cors_allowed_origins: ui::lines(&origins.get_untracked()),
                rotate_refresh_token: Some(rotate.get_untracked()),
                always_issue_refresh_token: Some(always.get_untracked()),
                refresh_token_ttl_in_days,
                device_flow: native.then(|| device_flow.get_untracked()),
                ..current.custom_client_metadata.clone()
            }),
        };
        busy.set(true);
        saved.set(false);
        leptos::task::spawn_local(async move {
            match api::patch::<_, Application>(&format!("/applications/{}", api::seg(&current.id)), &body).await {
                Ok(updated) => {
                    error.set(None);
                    app.set(updated);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form on:submit=save novalidate class="form">
            <h2>"Settings"</h2>
            <label for="s-name">"Application name"</label>
            <input id="s-name" type="text" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="s-name-error"/>
            <FieldError error=error field="name" id="s-name-error"/>
            <label for="s-description">"Description"</label>
            <textarea id="s-description" rows="2" bind:value=description aria-invalid=invalid(error, "description") aria-describedby="s-description-error"></textarea>
            <FieldError error=error field="description" id="s-description-error"/>
            {(!machine).then(|| view! {
                <label for="s-redirects">"Redirect URIs"</label>
                <p class="hint" id="s-redirects-hint">"One per line. Latch sends users back only to these exact addresses."</p>
                <textarea id="s-redirects" rows="3" bind:value=redirects
                    aria-invalid=invalid(error, "oidcClientMetadata.redirectUris") aria-describedby="s-redirects-hint s-redirects-error"></textarea>
                <FieldError error=error field="oidcClientMetadata.redirectUris" id="s-redirects-error"/>
                <label for="s-post-logout">"Post sign-out redirect URIs"</label>
                <textarea id="s-post-logout" rows="2" bind:value=post_logout
                    aria-invalid=invalid(error, "oidcClientMetadata.postLogoutRedirectUris") aria-describedby="s-post-logout-error"></textarea>
                <FieldError error=error field="oidcClientMetadata.postLogoutRedirectUris" id="s-post-logout-error"/>
            })}
            {public.then(|| view! {
                <label for="s-origins">"CORS allowed origins"</label>
                <p class="hint" id="s-origins-hint">"One origin per line, such as https://app.example.com."</p>
                <textarea id="s-origins" rows="2" bind:value=origins
                    aria-invalid=invalid(error, "customClientMetadata.corsAllowedOrigins") aria-describedby="s-origins-hint s-origins-error"></textarea>
                <FieldError error=error field="customClientMetadata.corsAllowedOrigins" id="s-origins-error"/>
            })}
            {native.then(|| view! {
                <fieldset>
                    <legend>"Authorization flow"</legend>
                    <label class="check">
                        <input type="radio" name="s-flow" checked=move || !device_flow.get() on:change=move |_| device_flow.set(false)/>
                        " Authorization code: the app opens a browser on the same device"
                    </label>
                    <label class="check">
                        <input type="radio" name="s-flow" checked=move || device_flow.get() on:change=move |_| device_flow.set(true)/>
                        " Authorization code and device flow: also for TVs, command-line tools and agents, where the user approves on a phone or computer (RFC 8628)"
                    </label>
                    <FieldError error=error field="customClientMetadata.deviceFlow" id="s-flow-error"/>
                </fieldset>
            })}
            {(!machine).then(|| view! {
                <fieldset>
                    <legend>"Refresh tokens"</legend>
                    <label class="check">
                        <input type="checkbox" bind:checked=rotate disabled=public/>
                        " Rotate the refresh token on every use"
                        {public.then_some(view! { <span class="muted">" (always, for apps without a secret)"</span> })}
                    </label>
                    <label class="check"><input type="checkbox" bind:checked=always/>" Issue a refresh token even without "<code>"offline_access"</code></label>
                    <label for="s-ttl">"Refresh token lifetime (days)"</label>
                    <input id="s-ttl" type="number" min="1" max="365" inputmode="numeric" placeholder="14" bind:value=ttl_days
                        aria-invalid=invalid(error, "customClientMetadata.refreshTokenTtlInDays") aria-describedby="s-ttl-error"/>
                    <FieldError error=error field="customClientMetadata.refreshTokenTtlInDays" id="s-ttl-error"/>
                </fieldset>
            })}
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                <button type="submit" class="button primary" disabled=move || busy.get()>"Save changes"</button>
            </div>
        </form>
    }
}

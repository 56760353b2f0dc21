//! One user: the header (name, status, ID, delete) and the tabs — *Profile* (identifiers, name,
//! suspension) and *Password* here; *Roles*, *Connected apps*, *Sessions* and *MFA* in
//! `user_access.rs`.

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::pickers::{user_detail, user_label};
use crate::pages::user_access::{ConnectedApps, SecondFactors, Sessions, UserRoles};
use crate::ui::{self, CopyButton, DeleteConfirm, FieldError, FormError, invalid};
use latch_types::{PatchUser, SetPassword, User};
use leptos::prelude::*;

#[component]
pub fn UserPage() -> impl IntoView {
    crate::ui::detail_page::<User, _>(
        "/users",
        "← Users",
        |id| format!("/users/{}", api::seg(id)),
        |o| view! { <Details user=o/> },
    )
}

#[component]
fn Details(user: RwSignal<User>) -> impl IntoView {
    let tab = ui::current_tab("profile");
    let u = user.get_untracked();
    let here = format!("{BASE}/users/{}", api::seg(&u.id));
    let id = u.id.clone();
    view! {
        <header class="card app-head">
            <div>
                <h1>{move || user_label(&user.get())}</h1>
                <p class="muted">{move || user_detail(&user.get())}</p>
                <p class="tags">{move || if user.get().is_suspended {
                    view! { <span class="tag danger">"Suspended"</span> }.into_any()
                } else {
                    view! { <span class="tag">"Active"</span> }.into_any()
                }}</p>
                <p class="client-id">"User ID "<code>{u.id.clone()}</code><CopyButton value=u.id.clone() label="User ID"/></p>
            </div>
            <DeleteConfirm noun="user" name=Signal::derive(move || user_label(&user.get()))
                warning="Deleting removes the user, their roles, memberships, grants and sessions, and ends every token issued to them."
                path=format!("/users/{}", api::seg(&u.id)) done="/users".to_owned()/>
        </header>
        <div role="tablist" aria-label="User" class="tabs">
            {ui::tab_link(tab, "profile", "Profile", here.clone())}
            {ui::tab_link(tab, "password", "Password", format!("{here}?tab=password"))}
            {ui::tab_link(tab, "roles", "Roles", format!("{here}?tab=roles"))}
            {ui::tab_link(tab, "apps", "Connected apps", format!("{here}?tab=apps"))}
            {ui::tab_link(tab, "sessions", "Sessions", format!("{here}?tab=sessions"))}
            {ui::tab_link(tab, "mfa", "MFA", format!("{here}?tab=mfa"))}
        </div>
        <section role="tabpanel" class="card">
            {move || match tab.get().as_str() {
                "password" => view! { <Password user=user/> }.into_any(),
                "roles" => view! { <UserRoles user_id=id.clone()/> }.into_any(),
                "apps" => view! { <ConnectedApps user_id=id.clone()/> }.into_any(),
                "sessions" => view! { <Sessions user_id=id.clone()/> }.into_any(),
                "mfa" => view! { <SecondFactors user_id=id.clone()/> }.into_any(),
                _ => view! { <Profile user=user/> }.into_any(),
            }}
        </section>
    }
}

/// `Some(None)` (clear) for a blank field, else the trimmed text.
fn set_or_clear(v: &str) -> Option<Option<String>> {
    Some(Some(v.trim().to_owned()).filter(|v| !v.is_empty()))
}

fn patch_path(user: RwSignal<User>) -> String {
    format!("/users/{}", api::seg(&user.get_untracked().id))
}

#[component]
fn Profile(user: RwSignal<User>) -> impl IntoView {
    let u = user.get_untracked();
    let username = RwSignal::new(u.username.clone().unwrap_or_default());
    let email = RwSignal::new(u.primary_email.clone().unwrap_or_default());
    let phone = RwSignal::new(u.primary_phone.clone().unwrap_or_default());
    let name = RwSignal::new(u.name.clone().unwrap_or_default());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<&'static str>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PatchUser {
            username: set_or_clear(&username.get_untracked()),
            primary_email: set_or_clear(&email.get_untracked()),
            primary_phone: set_or_clear(&phone.get_untracked()),
            name: set_or_clear(&name.get_untracked()),
            ..PatchUser::default()
        };
        let path = patch_path(user);
        saved.set(None);
        leptos::task::spawn_local(async move {
            match api::patch::<_, User>(&path, &body).await {
                Ok(updated) => {
                    error.set(None);
                    user.set(updated);
                    saved.set(Some("Saved"));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let suspend = move |_| {
        let now = !user.get_untracked().is_suspended;
        let body = PatchUser { is_suspended: Some(now), ..PatchUser::default() };
        let path = patch_path(user);
        leptos::task::spawn_local(async move {
            match api::patch::<_, User>(&path, &body).await {
                Ok(updated) => {
                    error.set(None);
                    user.set(updated);
                    saved.set(Some(if now {
                        "Suspended: the user is signed out and cannot sign in"
                    } else {
                        "Reactivated"
                    }));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form on:submit=save novalidate>
            <h2>"Profile"</h2>
            <label for="p-username">"Username"</label>
            <input id="p-username" type="text" autocomplete="off" bind:value=username aria-invalid=invalid(error, "username") aria-describedby="p-username-error"/>
            <FieldError error=error field="username" id="p-username-error"/>
            <label for="p-email">"Email"</label>
            <input id="p-email" type="email" autocomplete="off" bind:value=email aria-invalid=invalid(error, "primaryEmail") aria-describedby="p-email-error"/>
            <FieldError error=error field="primaryEmail" id="p-email-error"/>
            <label for="p-phone">"Phone"</label>
            <input id="p-phone" type="tel" autocomplete="off" bind:value=phone aria-invalid=invalid(error, "primaryPhone") aria-describedby="p-phone-error"/>
            <FieldError error=error field="primaryPhone" id="p-phone-error"/>
            <label for="p-name">"Full name"</label>
            <input id="p-name" type="text" autocomplete="off" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="p-name-error"/>
            <FieldError error=error field="name" id="p-name-error"/>
            <FormError error=error/>
            <div class="actions">
                <span class="saved" role="status">{move || saved.get()}</span>
                <button type="button" class="button danger ghost" on:click=suspend>
                    {move || if user.get().is_suspended { "Reactivate user" } else { "Suspend user" }}
                </button>
                <button type="submit" class="button primary">"Save changes"</button>
            </div>
        </form>
    }
}

#[component]
fn Password(user: RwSignal<User>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let set = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SetPassword { password: password.get_untracked() };
        let path = format!("{}/password", patch_path(user));
        saved.set(false);
        leptos::task::spawn_local(async move {
            match api::patch::<_, User>(&path, &body).await {
                Ok(updated) => {
                    error.set(None);
                    password.set(String::new());
                    user.set(updated);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form on:submit=set novalidate>
            <h2>"Reset password"</h2>
            <p class="muted">{move || if user.get().has_password {
                "The user has a password. A new one replaces it at once."
            } else {
                "The user has no password yet."
            }}</p>
            <label for="pw-new">"New password"</label>
            <input id="pw-new" type="password" autocomplete="new-password" bind:value=password
                aria-invalid=invalid(error, "password") aria-describedby="pw-new-error"/>
            <FieldError error=error field="password" id="pw-new-error"/>
            <FormError error=error/>
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Password set")}</span>
                <button type="submit" class="button primary">"Set password"</button>
            </div>
        </form>
    }
}

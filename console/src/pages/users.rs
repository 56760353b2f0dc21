//! Users: the list with search, and **Create user** (an identifier, a name, a first password).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::pickers::user_label;
use crate::ui::{self, FieldError, FormError, PagedTable, invalid};
use latch_types::{CreateUser, User};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = RwSignal::new(query.read_untracked().get("search").unwrap_or_default());
    let typed = RwSignal::new(search.get_untracked());
    let creating = RwSignal::new(false);
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search.set(typed.get_untracked());
    };
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            <button class="button primary" on:click=move |_| creating.set(true)>"Create user"</button>
        </div>
        {move || creating.get().then(|| view! {
            <CreateUserForm close=move || creating.set(false)/>
        })}
        <section class="card">
            <form class="inline-form search" role="search" on:submit=find>
                <div>
                    <label for="user-search">"Search users"</label>
                    <input id="user-search" type="search" placeholder="Name, username, email, phone or ID" bind:value=typed/>
                </div>
                <button type="submit" class="button">"Search"</button>
            </form>
            // A new search is a new table, from its first page.
            {move || {
                let text = search.get();
                let text = text.trim();
                let (path, empty) = if text.is_empty() {
                    ("/users".to_owned(), "No users yet.")
                } else {
                    (format!("/users?{}", serde_urlencoded::to_string([("search", text)]).unwrap_or_default()), "No user matches.")
                };
                view! {
                    <PagedTable path=path heads=&["User", "Username", "Email", "Status", "Created"] empty=empty row=user_row/>
                }
            }}
        </section>
    }
}

fn user_row(u: User) -> AnyView {
    view! {
        <tr>
            <td><a href=format!("{BASE}/users/{}", api::seg(&u.id))>{user_label(&u)}</a></td>
            <td>{u.username.clone().unwrap_or_default()}</td>
            <td>{u.primary_email.clone().unwrap_or_default()}</td>
            <td>{if u.is_suspended { view! { <span class="tag danger">"Suspended"</span> }.into_any() } else { view! { <span class="tag">"Active"</span> }.into_any() }}</td>
            <td>{ui::date(u.created_at)}</td>
        </tr>
    }
    .into_any()
}

fn optional(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[component]
fn CreateUserForm(close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = CreateUser {
            username: optional(&username.get_untracked()),
            primary_email: optional(&email.get_untracked()),
            primary_phone: optional(&phone.get_untracked()),
            name: optional(&name.get_untracked()),
            avatar: None,
            custom_data: None,
            profile: None,
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post::<_, User>("/users", &body).await {
                Ok(u) => navigate(&format!("/users/{}", api::seg(&u.id)), NavigateOptions::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let cancel = close.clone();
    view! {
        <section class="card dialog" role="dialog" aria-labelledby="create-user-title">
            <h2 id="create-user-title">"Create user"</h2>
            <form on:submit=submit novalidate>
                <p class="hint">"Give at least a username, an email or a phone number."</p>
                <label for="u-username">"Username"</label>
                <input id="u-username" type="text" autocomplete="off" bind:value=username aria-invalid=invalid(error, "username") aria-describedby="u-username-error"/>
                <FieldError error=error field="username" id="u-username-error"/>
                <label for="u-email">"Email"</label>
                <input id="u-email" type="email" autocomplete="off" bind:value=email aria-invalid=invalid(error, "primaryEmail") aria-describedby="u-email-error"/>
                <FieldError error=error field="primaryEmail" id="u-email-error"/>
                <label for="u-phone">"Phone"</label>
                <input id="u-phone" type="tel" autocomplete="off" bind:value=phone aria-invalid=invalid(error, "primaryPhone") aria-describedby="u-phone-error"/>
                <FieldError error=error field="primaryPhone" id="u-phone-error"/>
                <label for="u-name">"Full name"</label>
                <input id="u-name" type="text" autocomplete="off" bind:value=name aria-invalid=invalid(error, "name") aria-describedby="u-name-error"/>
                <FieldError error=error field="name" id="u-name-error"/>
                <label for="u-password">"Password"</label>
                <p class="hint" id="u-password-hint">"Optional. Share it with the user over a safe channel; they can change it later."</p>
                <input id="u-password" type="password" autocomplete="new-password" bind:value=password aria-invalid=invalid(error, "password") aria-describedby="u-password-hint u-password-error"/>
                <FieldError error=error field="password" id="u-password-error"/>
                <FormError error=error/>
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button primary">"Create"</button>
                </div>
            </form>
        </section>
    }
}

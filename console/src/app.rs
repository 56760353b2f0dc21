//! Start-up (discovery, sign-in callback, the administrator check) and the shell: header,
//! navigation and routes under `/console`.

use crate::pages::{
    application::ApplicationPage,
    applications::ApplicationsPage,
    audit::AuditPage,
    email::EmailPage,
    keys::KeysPage,
    organization_role::OrganizationRolePage,
    organization_template::OrganizationTemplatePage,
    organizations::{OrganizationPage, OrganizationsPage},
    registration::RegistrationPage,
    resource::ResourcePage,
    resources::ResourcesPage,
    role::RolePage,
    roles::RolesPage,
    sign_in_experience::SignInExperiencePage,
    user::UserPage,
    users::UsersPage,
};
use crate::{api, auth};
use leptos::prelude::*;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::path;

pub const BASE: &str = "/console";

/// The sections of the navigation: path under [`BASE`], label.
const SECTIONS: [(&str, &str); 11] = [
    ("/applications", "Applications"),
    ("/resources", "API resources"),
    ("/roles", "Roles"),
    ("/users", "Users"),
    ("/organizations", "Organizations"),
    ("/organization-template", "Organization template"),
    ("/sign-in-experience", "Sign-in experience"),
    ("/registration", "Open registration"),
    ("/email", "Email"),
    ("/signing-keys", "Signing keys"),
    ("/audit-log", "Audit log"),
];

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Starting,
    /// Leaving for the authorization endpoint.
    SigningIn,
    Ready,
    NotAdmin,
    Failed(String),
}

fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(search.trim_start_matches('?')).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

async fn boot() -> Phase {
    if let Err(e) = auth::load_discovery().await {
        return Phase::Failed(e);
    }
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    if path == format!("{BASE}/callback") {
        if let Some(error) = query_param("error") {
            let why = query_param("error_description").unwrap_or_else(|| error.clone());
            return match auth::SignInError::from_oauth(&error, why) {
                auth::SignInError::NotAdmin => Phase::NotAdmin,
                auth::SignInError::Failed(why) => Phase::Failed(format!("Sign-in did not complete: {why}")),
            };
        }
        let (Some(code), Some(state)) = (query_param("code"), query_param("state")) else {
            return Phase::Failed("The sign-in answer has no code.".to_owned());
        };
        match auth::finish_sign_in(&code, &state).await {
            Ok(return_to) => {
                let back = if return_to.starts_with(BASE) && !return_to.starts_with(&format!("{BASE}/callback")) {
                    return_to
                } else {
                    format!("{BASE}/applications")
                };
                if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&back));
                }
            }
            Err(auth::SignInError::NotAdmin) => return Phase::NotAdmin,
            Err(auth::SignInError::Failed(e)) => return Phase::Failed(format!("Sign-in did not complete: {e}")),
        }
    }
    if !auth::signed_in() {
        return match auth::start_sign_in(&auth::here()) {
            Ok(()) => Phase::SigningIn,
            Err(e) => Phase::Failed(e),
        };
    }
    // The token opens the admin API only for administrators (the `all` scope).
    match api::list::<latch_types::Application>("/applications", 1).await {
        Ok(_) => Phase::Ready,
        Err(e) if e.status == 403 => Phase::NotAdmin,
        Err(e) if e.status == 401 => Phase::SigningIn,
        Err(e) => Phase::Failed(e.message),
    }
}

#[component]
pub fn App() -> impl IntoView {
    let phase = RwSignal::new(Phase::Starting);
    leptos::task::spawn_local(async move { phase.set(boot().await) });
    move || {
        match phase.get() {
        Phase::Starting | Phase::SigningIn => {
            view! { <main class="centered" aria-busy="true"><p class="muted">"Signing in…"</p></main> }.into_any()
        }
        Phase::NotAdmin => view! {
            <main class="centered">
                <section class="card narrow" role="alert">
                    <h1>"You are not an administrator"</h1>
                    <p>"You signed in, but your account does not hold the administrator role, so the console cannot manage Latch for you. Ask an administrator to give you the "<code>"admin"</code>" role, then sign in again."</p>
                    <button class="button" on:click=move |_| { let _ = auth::sign_out(); }>"Sign out"</button>
                </section>
            </main>
        }
        .into_any(),
        Phase::Failed(why) => view! {
            <main class="centered">
                <section class="card narrow" role="alert">
                    <h1>"The console could not start"</h1>
                    <p>{why}</p>
                    <a class="button" href=BASE>"Try again"</a>
                </section>
            </main>
        }
        .into_any(),
        Phase::Ready => view! { <Shell/> }.into_any(),
    }
    }
}

#[component]
fn Shell() -> impl IntoView {
    view! {
        <Router base=BASE>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href=format!("{BASE}/applications")>"Latch"<span>" console"</span></a>
                <nav aria-label="Sections">
                    {SECTIONS.map(|(path, label)| view! { <A href=format!("{BASE}{path}")>{label}</A> }).collect_view()}
                </nav>
                <button class="button ghost" on:click=move |_| { let _ = auth::sign_out(); }>"Sign out"</button>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <section class="card"><h1>"Not found"</h1><p>"There is no such console page."</p></section> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/applications"/> }/>
                    <Route path=path!("/callback") view=|| view! { <Redirect path="/applications"/> }/>
                    <Route path=path!("/applications") view=ApplicationsPage/>
                    <Route path=path!("/applications/:id") view=ApplicationPage/>
                    <Route path=path!("/resources") view=ResourcesPage/>
                    <Route path=path!("/resources/:id") view=ResourcePage/>
                    <Route path=path!("/roles") view=RolesPage/>
                    <Route path=path!("/roles/:id") view=RolePage/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/users/:id") view=UserPage/>
                    <Route path=path!("/organizations") view=OrganizationsPage/>
                    <Route path=path!("/organizations/:id") view=OrganizationPage/>
                    <Route path=path!("/organization-template") view=OrganizationTemplatePage/>
                    <Route path=path!("/organization-roles/:id") view=OrganizationRolePage/>
                    <Route path=path!("/sign-in-experience") view=SignInExperiencePage/>
                    <Route path=path!("/registration") view=RegistrationPage/>
                    <Route path=path!("/email") view=EmailPage/>
                    <Route path=path!("/signing-keys") view=KeysPage/>
                    <Route path=path!("/audit-log") view=AuditPage/>
                </Routes>
            </main>
        </Router>
    }
}

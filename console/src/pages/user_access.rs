//! What a user holds: *Roles* (give from the user roles, take away), *Connected apps* (the
//! grants the user gave apps, revoke), *Sessions* (sign out one browser, or everywhere), *MFA*
//! (the second factors the user enrolled, and a reset for who lost them).

use crate::api::{self, ApiError};
use crate::app::BASE;
use crate::pages::application_roles::HeldRoles;
use crate::ui::{self, ErrorNote, FormError, Pager, Reload, delete_then};
use latch_types::{Grant, RoleType, UserMfa, UserSession};
use leptos::prelude::*;

#[component]
pub fn UserRoles(user_id: String) -> impl IntoView {
    view! {
        <h2>"Roles"</h2>
        <p class="muted">"The user may grant apps the API scopes of these roles."</p>
        <HeldRoles base=format!("/users/{}/roles", api::seg(&user_id)) kind=RoleType::User
            empty="No roles." none_left="No other user role"/>
    }
}

#[component]
pub fn ConnectedApps(user_id: String) -> impl IntoView {
    let base = format!("/users/{}/grants", api::seg(&user_id));
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let rows = {
        let base = base.clone();
        api::Fetch::<api::Listed<Grant>>::rows(
            move || {
                reload.track();
                (base.clone(), page.get())
            },
            api::PAGE_SIZE,
        )
    };
    view! {
        <h2>"Connected apps"</h2>
        <p class="muted">"What the user allowed apps to access. Revoking ends the app's tokens; it must ask for consent again."</p>
        <FormError error=error/>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"The user has not connected any app."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    let base = base.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"App"</th><th scope="col">"Access"</th><th scope="col">"Granted"</th><th scope="col">"Last used"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|g| {
                                    let path = format!("{base}/{}", api::seg(&g.id));
                                    view! {
                                        <tr>
                                            <td><a href=format!("{BASE}/applications/{}", api::seg(&g.application_id))>{g.application_name.clone()}</a></td>
                                            <td>{g.scopes.iter().map(|s| view! { <code class="chip">{s.clone()}</code>" " }).collect_view()}</td>
                                            <td>{ui::date(g.created_at)}</td>
                                            <td>{g.last_used_at.map(ui::date).unwrap_or_else(|| "Never".to_owned())}</td>
                                            <td><button type="button" class="button small danger ghost" aria-label=format!("Revoke {}", g.application_name)
                                                on:click=move |_| delete_then(path.clone(), reload, error)>"Revoke"</button></td>
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

#[component]
pub fn Sessions(user_id: String) -> impl IntoView {
    let base = format!("/users/{}/sessions", api::seg(&user_id));
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let rows = {
        let base = base.clone();
        api::Fetch::<api::Listed<UserSession>>::rows(
            move || {
                reload.track();
                (base.clone(), page.get())
            },
            api::PAGE_SIZE,
        )
    };
    let everywhere = {
        let base = base.clone();
        move |_| delete_then(base.clone(), reload, error)
    };
    // Failed sign-ins lock an account for the failure window; this clears them at once.
    let unlocked = RwSignal::new(false);
    let unlock = {
        let path = format!("/users/{}/sign-in-failures", api::seg(&user_id));
        move |_| ui::delete_then_done(path.clone(), unlocked, error)
    };
    view! {
        <div class="page-head">
            <h2>"Sessions"</h2>
            <div class="actions">
                <button type="button" class="button" on:click=unlock>"Unlock sign-in"</button>
                <button type="button" class="button danger" on:click=everywhere>"Sign out everywhere"</button>
            </div>
        </div>
        <p class="muted">"The browsers the user is signed in with. Signing one out ends it on every Latch node at once. After repeated failed sign-ins an account is locked for a while; Unlock sign-in lets the user in again now."</p>
        <p class="saved" role="status">{move || unlocked.get().then_some("Sign-in unlocked: the failed attempts are cleared.")}</p>
        <FormError error=error/>
        {move || rows.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"The user is not signed in anywhere."</p> }.into_any(),
                Ok(listed) => {
                    let total = listed.total;
                    let base = base.clone();
                    view! {
                        <table class="list">
                            <thead><tr><th scope="col">"Signed in"</th><th scope="col">"Last active"</th><th scope="col">"Ends"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {listed.items.into_iter().map(|s| {
                                    let path = format!("{base}/{}", api::seg(&s.id));
                                    let signed_in = ui::date_time(s.auth_time);
                                    view! {
                                        <tr>
                                            <td>{signed_in.clone()}</td>
                                            <td>{ui::date_time(s.last_active_at)}</td>
                                            <td>{ui::date_time(s.expires_at)}</td>
                                            <td><button type="button" class="button small danger ghost" aria-label=format!("Sign out the session from {signed_in}")
                                                on:click=move |_| delete_then(path.clone(), reload, error)>"Sign out"</button></td>
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

#[component]
pub fn SecondFactors(user_id: String) -> impl IntoView {
    let path = format!("/users/{}/mfa", api::seg(&user_id));
    let reload = Reload::new();
    let error = RwSignal::new(None::<ApiError>);
    let mfa = {
        let path = path.clone();
        api::Fetch::<UserMfa>::read(move || {
            reload.track();
            path.clone()
        })
    };
    let reset = move |_| delete_then(path.clone(), reload, error);
    view! {
        <div class="page-head">
            <h2>"Multi-factor sign-in"</h2>
            <div class="actions">
                <button type="button" class="button danger" on:click=reset>"Reset MFA"</button>
            </div>
        </div>
        <p class="muted">"The second factors the user signs in with. Reset MFA removes all of them and the recovery codes, for someone who lost their device: they sign in with their password alone, or enrol again where a second factor is required."</p>
        <FormError error=error/>
        {move || mfa.get().map(|r| match r {
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
            Ok(m) if m.factors.is_empty() => view! { <p class="empty">"No second factor."</p> }.into_any(),
            Ok(m) => view! {
                <table class="list">
                    <thead><tr><th scope="col">"Factor"</th><th scope="col">"Kind"</th><th scope="col">"Enrolled"</th><th scope="col">"Last used"</th></tr></thead>
                    <tbody>
                        {m.factors.into_iter().map(|f| view! {
                            <tr>
                                <td>{f.name}</td>
                                <td>{if f.kind == "totp" { "Authenticator app" } else { "Passkey" }}</td>
                                <td>{ui::date_time(f.created_at)}</td>
                                <td>{f.last_used_at.map(ui::date_time).unwrap_or_else(|| "Never".to_owned())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="muted">{format!("Recovery codes left: {}", m.recovery_codes_left)}</p>
            }.into_any(),
        }).unwrap_or_else(crate::ui::loading)}
    }
}

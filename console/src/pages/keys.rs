//! Signing keys: the keys Latch signs tokens with (id, algorithm, state) and **Rotate**.

use crate::api::{self, ApiError};
use crate::ui::{self, ErrorNote, Pager, Reload};
use latch_types::PrivateKey;
use leptos::prelude::*;

fn state_label(state: &str) -> &'static str {
    match state {
        "current" => "Signing now",
        "next" => "Next: published, signs after the next rotation",
        "previous" => "Previous: still verifies tokens it signed",
        _ => "Unknown",
    }
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let page = RwSignal::new(1u32);
    let reload = Reload::new();
    let rows = api::Fetch::<api::Listed<PrivateKey>>::rows(
        move || {
            reload.track();
            ("/configs/oidc/private-keys".to_owned(), page.get())
        },
        api::PAGE_SIZE,
    );
    let asking = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let rotate = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<_, Vec<PrivateKey>>("/configs/oidc/private-keys/rotate", &serde_json::json!({})).await {
                Ok(_) => {
                    error.set(None);
                    asking.set(false);
                    done.set(true);
                    reload.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="page-head">
            <h1>"Signing keys"</h1>
            {move || (!asking.get()).then(|| view! {
                <button class="button primary" on:click=move |_| { done.set(false); asking.set(true); }>"Rotate keys"</button>
            })}
        </div>
        <p class="muted">"Latch signs ID and access tokens with these keys and publishes their public halves at the JWKS endpoint. Private keys never leave the server."</p>
        {move || asking.get().then(|| view! {
            <section class="card dialog" role="alertdialog" aria-labelledby="rotate-title" aria-describedby="rotate-text">
                <h2 id="rotate-title">"Rotate the signing keys?"</h2>
                <p id="rotate-text">"The next keys start signing on every node at once. The current keys stay published for the grace period, so tokens they signed keep verifying; new next keys are published for apps to pick up."</p>
                {move || error.get().map(|e| view! { <ErrorNote error=e/> })}
                <div class="actions">
                    <button type="button" class="button ghost" on:click=move |_| asking.set(false)>"Cancel"</button>
                    <button type="button" class="button danger" on:click=rotate>"Rotate now"</button>
                </div>
            </section>
        })}
        <p class="saved" role="status">{move || done.get().then_some("Rotated: the next keys sign from now on.")}</p>
        <section class="card">
            {move || rows.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    Ok(listed) if listed.items.is_empty() => view! { <p class="empty">"No keys."</p> }.into_any(),
                    Ok(listed) => {
                        let total = listed.total;
                        view! {
                            <table class="list">
                                <thead><tr><th scope="col">"Key ID"</th><th scope="col">"Algorithm"</th><th scope="col">"State"</th><th scope="col">"Created"</th></tr></thead>
                                <tbody>
                                    {listed.items.into_iter().map(|k| view! {
                                        <tr>
                                            <td><code>{k.id.clone()}</code></td>
                                            <td>{k.alg.clone()}</td>
                                            <td><span class=format!("tag state-{}", k.state)>{k.state.clone()}</span>" "<span class="muted small">{state_label(&k.state)}</span></td>
                                            <td>{ui::date_time(k.created_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager page=page total=Signal::derive(move || total)/>
                        }.into_any()
                    }
                }).unwrap_or_else(crate::ui::loading)}
        </section>
    }
}

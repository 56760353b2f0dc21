//! *Email*: the SMTP server Latch sends through (set in `smtp.*`; shown without its password)
//! and a test message, whose answer says whether the server took it, in its own words.

use crate::api::{self, ApiError};
use crate::ui::{ErrorNote, FieldError, invalid};
use latch_types::{EmailSettings, EmailTestResult, SendTestEmail};
use leptos::prelude::*;

#[component]
pub fn EmailPage() -> impl IntoView {
    let loaded = api::Fetch::<EmailSettings>::read(|| "/email".to_owned());
    view! {
        <section class="card">
            <h1>"Email"</h1>
            <p class="hint">"Latch sends email through the SMTP server in its configuration ("<code>"smtp.*"</code>
                " in latch.toml or "<code>"LATCH_SMTP__*"</code>"). Without one, nothing that needs email is offered."</p>
            {move || loaded.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(s) if !s.configured => view! {
                    <p class="muted" id="email-status">"No SMTP server is configured: set smtp.host and smtp.from, then restart Latch."</p>
                }.into_any(),
                Ok(s) => view! { <Configured settings=s/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
        </section>
    }
}

#[component]
fn Configured(settings: EmailSettings) -> impl IntoView {
    let to = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let result = RwSignal::new(None::<EmailTestResult>);
    let busy = RwSignal::new(false);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SendTestEmail { to: to.get_untracked() };
        busy.set(true);
        result.set(None);
        leptos::task::spawn_local(async move {
            match api::post::<_, EmailTestResult>("/email/test", &body).await {
                Ok(r) => {
                    error.set(None);
                    result.set(Some(r));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <dl class="pairs" id="email-status">
            <dt>"Server"</dt><dd><code>{settings.host}":"{settings.port}</code></dd>
            <dt>"Encryption"</dt><dd><code>{settings.tls}</code>" (starttls: required; tls: from the first byte; none: clear text)"</dd>
            <dt>"Sign-in"</dt><dd>{if settings.authenticated { "with a username and password" } else { "none" }}</dd>
            <dt>"From"</dt><dd><code>{settings.from.unwrap_or_default()}</code></dd>
        </dl>
        <form class="form" on:submit=send novalidate>
            <h2>"Send a test message"</h2>
            <label for="e-to">"To"</label>
            <input id="e-to" type="email" autocomplete="email" bind:value=to aria-invalid=invalid(error, "to") aria-describedby="e-to-error"/>
            <FieldError error=error field="to" id="e-to-error"/>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="actions">
                <span role="status" id="e-result">{move || result.get().map(|r| if r.delivered {
                    "The server took the message.".to_owned()
                } else {
                    r.detail.unwrap_or_default()
                })}</span>
                <button type="submit" class="button primary" disabled=move || busy.get()>"Send test message"</button>
            </div>
        </form>
    }
}

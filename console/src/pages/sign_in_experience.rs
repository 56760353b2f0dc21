//! *Sign-in experience*: how the identity provider itself looks on every end-user page (sign-in,
//! consent, connected apps, sign-out, errors): the organisation's name, logos and favicon, an
//! accent colour per colour scheme, and custom CSS. Latch refuses an accent colour text would
//! be unreadable on, and says by how much (WCAG 2.2 SC 1.4.3); samples show both schemes. Also
//! whether people may create their own account (sign-up: off, email, or username), and who must
//! sign in with a second factor (optional, required for everyone, required for admins).

use crate::api::{self, ApiError};
use crate::ui::{ErrorNote, FieldError, filled, invalid};
use latch_types::{IdpBranding, MfaPolicy, SignUpMode};
use leptos::prelude::*;

const PATH: &str = "/sign-in-experience";

#[component]
pub fn SignInExperiencePage() -> impl IntoView {
    let loaded = api::Fetch::<IdpBranding>::read(|| PATH.to_owned());
    view! {
        <section class="card">
            <h1>"Sign-in experience"</h1>
            <p class="hint">"How your identity provider looks to end users on every page Latch shows them: \
                sign-in, consent, connected apps, sign-out and errors. Each app's own name and logo \
                are set in its Branding tab."</p>
            {move || loaded.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(b) => view! { <ExperienceForm current=b/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
        </section>
    }
}

#[component]
fn ExperienceForm(current: IdpBranding) -> impl IntoView {
    let text = |v: &Option<String>| RwSignal::new(v.clone().unwrap_or_default());
    let name = text(&current.organization_name);
    let logo = text(&current.logo_url);
    let dark_logo = text(&current.dark_logo_url);
    let favicon = text(&current.favicon_url);
    let accent = text(&current.accent_color);
    let dark_accent = text(&current.dark_accent_color);
    let css = text(&current.custom_css);
    let sign_up = RwSignal::new(current.sign_up);
    let verified = RwSignal::new(current.require_verified_email);
    let mfa = RwSignal::new(current.mfa);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        for f in [name, logo, dark_logo, favicon, accent, dark_accent, css] {
            f.track();
        }
        sign_up.track();
        verified.track();
        mfa.track();
        saved.set(false);
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = IdpBranding {
            organization_name: filled(name.get_untracked()),
            logo_url: filled(logo.get_untracked()),
            dark_logo_url: filled(dark_logo.get_untracked()),
            favicon_url: filled(favicon.get_untracked()),
            accent_color: filled(accent.get_untracked()),
            dark_accent_color: filled(dark_accent.get_untracked()),
            custom_css: filled(css.get_untracked()),
            sign_up: sign_up.get_untracked(),
            require_verified_email: verified.get_untracked(),
            mfa: mfa.get_untracked(),
        };
        crate::ui::put_then_saved(PATH.to_owned(), body, saved, error);
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      api_field: &'static str,
                      error_id: &'static str,
                      value: RwSignal<String>,
                      hint: &'static str| {
        view! {
            <label for=id>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <input id=id type="text" bind:value=value aria-invalid=invalid(error, api_field) aria-describedby=error_id/>
            <FieldError error=error field=api_field id=error_id/>
        }
    };
    // What an accent looks like on its page: the accent button's label and a link.
    let sample = move |dark: bool, colour: RwSignal<String>| {
        let (page, on, fallback) =
            if dark { ("#1f2125", "#141517", "#748ffc") } else { ("#ffffff", "#ffffff", "#3b5bdb") };
        let accent = move || {
            let c = colour.get();
            if c.trim().is_empty() { fallback.to_owned() } else { c.trim().to_owned() }
        };
        view! {
            <figure class="accent-sample" style:background-color=page>
                <figcaption style:color=if dark { "#e9ecef" } else { "#1b1f24" }>{if dark { "Dark pages" } else { "Light pages" }}</figcaption>
                <span class="sample-button" style:background-color=accent style:color=on>"Authorize"</span>
                <span class="sample-link" style:color=accent>"Terms of use"</span>
            </figure>
        }
    };
    view! {
        <form class="form" on:submit=save novalidate>
            {field("x-name", "Organization name", "organizationName", "x-organizationName-error", name,
                "Shown above every page and in the browser tab.")}
            {field("x-logo", "Logo URL", "logoUrl", "x-logoUrl-error", logo, "An https address of an image, about 28 pixels high.")}
            {field("x-dark-logo", "Dark logo URL", "darkLogoUrl", "x-darkLogoUrl-error", dark_logo,
                "Used when the user's system is in dark mode.")}
            {field("x-favicon", "Favicon URL", "faviconUrl", "x-faviconUrl-error", favicon, "")}
            {field("x-accent", "Accent colour", "accentColor", "x-accentColor-error", accent,
                "#rrggbb, for light pages: links and buttons with white text. It needs 4.5:1 against white.")}
            {field("x-dark-accent", "Dark accent colour", "darkAccentColor", "x-darkAccentColor-error", dark_accent,
                "#rrggbb, for dark pages, with dark text on buttons. It needs 4.5:1 against the dark page.")}
            <div class="accent-samples" aria-hidden="true">{sample(false, accent)}{sample(true, dark_accent)}</div>
            <label for="x-css">"Custom CSS"</label>
            <p class="hint">"Loaded after Latch's stylesheet on every end-user page (at most 32 KiB)."</p>
            <textarea id="x-css" rows="6" bind:value=css aria-invalid=invalid(error, "customCss") aria-describedby="x-customCss-error"></textarea>
            <FieldError error=error field="customCss" id="x-customCss-error"/>
            <fieldset>
                <legend>"Sign-up"</legend>
                <p class="hint">"Whether people may create their own account from the sign-in page, then go on to the app they came from."</p>
                {[
                    (SignUpMode::Off, "x-sign-up-off", "Off: only operators create accounts"),
                    (SignUpMode::Email, "x-sign-up-email", "Email address and password"),
                    (SignUpMode::Username, "x-sign-up-username", "Username and password"),
                ].into_iter().map(|(mode, id, label)| view! {
                    <label class="check">
                        <input type="radio" name="x-sign-up" id=id checked=move || sign_up.get() == mode on:change=move |_| sign_up.set(mode)/>
                        " "{label}
                    </label>
                }).collect_view()}
                <label class="check">
                    <input type="checkbox" id="x-verified" bind:checked=verified/>
                    " Email must be verified before sign-in (a code sent to it; needs SMTP)"
                </label>
            </fieldset>
            <fieldset>
                <legend>"Two-step verification"</legend>
                <p class="hint">"Who must enter a code from an authenticator app after their password. \
                    Whoever must and has none sets one up at their next sign-in."</p>
                {[
                    (MfaPolicy::Optional, "x-mfa-optional", "Optional: those who set it up on their account page"),
                    (MfaPolicy::Required, "x-mfa-required", "Required for everyone"),
                    (MfaPolicy::Admins, "x-mfa-admins", "Required for administrators (who hold the admin API's scope)"),
                ].into_iter().map(|(policy, id, label)| view! {
                    <label class="check">
                        <input type="radio" name="x-mfa" id=id checked=move || mfa.get() == policy on:change=move |_| mfa.set(policy)/>
                        " "{label}
                    </label>
                }).collect_view()}
            </fieldset>
            {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
            <div class="actions">
                <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                <button type="submit" class="button primary">"Save sign-in experience"</button>
            </div>
        </form>
    }
}

//! *Branding* of a third-party app: display name, logos, terms and privacy links, with a live
//! preview of the real consent screen — Latch's own renderer, light and dark side by side,
//! redrawn as the operator types. The preview frames post the draft with the operator's admin
//! token in the form body (RFC 6750 §2.2) to `/console/preview/consent`, which only this
//! origin may frame.

use crate::api::{self, ApiError};
use crate::auth;
use crate::ui::{ErrorNote, FieldError, filled, invalid};
use latch_types::SignInExperience;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;

const THEMES: [&str; 2] = ["light", "dark"];

#[component]
pub fn Branding(app_id: String) -> impl IntoView {
    let path = format!("/applications/{}/sign-in-experience", api::seg(&app_id));
    let loaded = {
        let path = path.clone();
        api::Fetch::<SignInExperience>::read(move || path.clone())
    };
    view! {
        {move || loaded.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                Ok(b) => view! { <BrandingForm app_id=app_id.clone() path=path.clone() current=b/> }.into_any(),
            }).unwrap_or_else(crate::ui::loading)}
    }
}

/// Sends both preview forms (after the inputs took the latest values).
fn redraw() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let token = auth::access_token().unwrap_or_default();
    for theme in THEMES {
        if let Some(input) = doc
            .get_element_by_id(&format!("preview-{theme}-token"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.set_value(&token);
        }
        if let Some(form) = doc
            .get_element_by_id(&format!("preview-{theme}-form"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            let _ = form.submit();
        }
    }
}

#[component]
fn BrandingForm(app_id: String, path: String, current: SignInExperience) -> impl IntoView {
    let display_name = RwSignal::new(current.display_name.clone().unwrap_or_default());
    let logo = RwSignal::new(current.logo_url.clone().unwrap_or_default());
    let dark_logo = RwSignal::new(current.dark_logo_url.clone().unwrap_or_default());
    let terms = RwSignal::new(current.terms_of_use_url.clone().unwrap_or_default());
    let privacy = RwSignal::new(current.privacy_policy_url.clone().unwrap_or_default());
    let color = current.color.clone();
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    // Every change redraws the previews a moment later.
    Effect::new(move |_| {
        for field in [display_name, logo, dark_logo, terms, privacy] {
            field.track();
        }
        saved.set(false);
        set_timeout(redraw, Duration::from_millis(250));
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = SignInExperience {
            display_name: filled(display_name.get_untracked()),
            logo_url: filled(logo.get_untracked()),
            dark_logo_url: filled(dark_logo.get_untracked()),
            terms_of_use_url: filled(terms.get_untracked()),
            privacy_policy_url: filled(privacy.get_untracked()),
            color: color.clone(),
        };
        crate::ui::put_then_saved(path.clone(), body, saved, error);
    };
    let field = move |id: &'static str,
                      label: &'static str,
                      api_field: &'static str,
                      value: RwSignal<String>,
                      hint: &'static str| {
        let error_id = match api_field {
            "displayName" => "b-displayName-error",
            "logoUrl" => "b-logoUrl-error",
            "darkLogoUrl" => "b-darkLogoUrl-error",
            "termsOfUseUrl" => "b-termsOfUseUrl-error",
            _ => "b-privacyPolicyUrl-error",
        };
        view! {
            <label for=id>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <input id=id type="text" bind:value=value aria-invalid=invalid(error, api_field) aria-describedby=error_id/>
            <FieldError error=error field=api_field id=error_id/>
        }
    };
    view! {
        <div class="branding">
            <form class="form" on:submit=save novalidate>
                <h2>"Branding"</h2>
                <p class="hint">"What users see on this app's consent screen."</p>
                {field("b-display-name", "Display name", "displayName", display_name, "Shown instead of the app's name.")}
                {field("b-logo", "Logo URL", "logoUrl", logo, "An https address of an image, about 48 pixels high.")}
                {field("b-dark-logo", "Dark logo URL", "darkLogoUrl", dark_logo, "Used when the user's system is in dark mode.")}
                {field("b-terms", "Terms of use URL", "termsOfUseUrl", terms, "")}
                {field("b-privacy", "Privacy policy URL", "privacyPolicyUrl", privacy, "")}
                {move || error.get().filter(|e| e.field.is_none()).map(|e| view! { <ErrorNote error=e/> })}
                <div class="actions">
                    <span class="saved" role="status">{move || saved.get().then_some("Saved")}</span>
                    <button type="submit" class="button primary">"Save branding"</button>
                </div>
            </form>
            <section class="previews" aria-label="Consent screen preview">
                {THEMES.into_iter().map(|theme| {
                    let caption = if theme == "light" { "Light" } else { "Dark" };
                    let opt = |v: RwSignal<String>| move || v.get().trim().is_empty();
                    view! {
                        <figure>
                            <figcaption>{caption}</figcaption>
                            <iframe name=format!("preview-{theme}") title=format!("Consent screen preview, {caption}")></iframe>
                            <form id=format!("preview-{theme}-form") method="post" action="/console/preview/consent" target=format!("preview-{theme}") hidden>
                                <input type="hidden" name="access_token" id=format!("preview-{theme}-token")/>
                                <input type="hidden" name="app" value=app_id.clone()/>
                                <input type="hidden" name="theme" value=theme/>
                                <input type="hidden" name="displayName" prop:value=display_name prop:disabled=opt(display_name)/>
                                <input type="hidden" name="logoUrl" prop:value=logo prop:disabled=opt(logo)/>
                                <input type="hidden" name="darkLogoUrl" prop:value=dark_logo prop:disabled=opt(dark_logo)/>
                                <input type="hidden" name="termsOfUseUrl" prop:value=terms prop:disabled=opt(terms)/>
                                <input type="hidden" name="privacyPolicyUrl" prop:value=privacy prop:disabled=opt(privacy)/>
                            </form>
                        </figure>
                    }
                }).collect_view()}
            </section>
        </div>
    }
}

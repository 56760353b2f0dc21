//! The Latch operator console: a client-side Leptos app served at `/console`. It is a
//! first-party SPA client of Latch (authorization code + PKCE) and talks only to the admin API
//! (`/api`) through the wire types of `latch-types`.

mod api;
mod app;
mod auth;
mod pages;
mod ui;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

//! The Latch operator console: a client-side Leptos app served at `/console`. It is a
//! first-party SPA client of Latch (authorization code + PKCE) and talks only to the admin API
//! (`/api`) through the wire types of `latch-types`.

mod api;
mod app;
mod auth;
mod pages;
mod ui;

fn main() {
    // No panic hook: the console is built with `panic = "abort"`, so a panic traps and the
    // browser reports the trap; the hook's message formatting cost 3 KiB of the 1 MiB budget.
    leptos::mount::mount_to_body(app::App);
}

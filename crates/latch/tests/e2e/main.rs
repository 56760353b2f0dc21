//! End-to-end tests: real listening Latch servers on SQLite + memory and on Postgres + Redis,
//! driven over HTTP. One test binary, several modules, to keep link time down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_page;
mod account_recovery;
mod admin_api;
mod admin_orgs;
mod browser;
mod client_documents;
mod consent_screen;
mod console;
mod crash;
mod deploy;
mod device_flow;
mod email;
mod hardening;
mod harness;
mod health;
mod import_file;
mod lifecycle;
mod mcp_sdk;
mod mfa;
mod multinode;
mod oidc_flows;
mod registration;
mod review_input;
mod review_limits;
mod review_scopes;
mod security;
mod security_trail;
mod sign_up;
mod sweep;
mod tls;
mod writes;

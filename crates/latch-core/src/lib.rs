//! The service layer: [`Core`] holds what a running Latch shares (repositories, ephemeral
//! store, clock, randomness, password hasher and hashing pool, key ring, catalog, settings),
//! and `commands` is the one path by which durable data changes: one transaction per command,
//! with its audit entry, then an announcement to every node.
//!
//! Architecture invariant: no HTTP types; the IdP (`latch-idp`), the admin API (`latch-admin`)
//! and the binary (`latch`) depend on this crate, never the other way round, and the admin API
//! does not depend on the IdP (`cargo xtask deps`).

pub mod admin_access;
pub mod catalog;
pub mod commands;
mod core;
pub mod hashing;
pub mod permissions;
pub mod security_log;

pub use crate::core::{Core, CoreDeps, RateLimits, Settings};
pub use commands::{Actor, Changeset};

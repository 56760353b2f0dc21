//! Latch as a library: configuration, wiring and the server, so tests can start real servers
//! in-process on random ports.

pub mod bootstrap;
pub mod commands;
pub mod config;
mod console;
pub mod import;
pub mod mail;
mod metrics;
pub mod secrets;
pub mod server;
pub mod telemetry;
pub mod tls;

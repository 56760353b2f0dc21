//! Latch's domain: entities, identifier newtypes, validation rules, repository traits and the
//! ports (clock, randomness, ephemeral store, mail) through which everything else reaches the world.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and no OS randomness, and
//! depends on no HTTP, SQL or async runtime crate (`cargo xtask deps` checks it).

pub mod admin;
pub mod clock;
pub mod entities;
pub mod ephemeral;
pub mod fields;
pub mod ids;
pub mod mail;
pub mod redirect;
pub mod repo;
pub mod rules;
pub mod scope;

pub use clock::{Clock, Random, Timestamp};
pub use ids::*;

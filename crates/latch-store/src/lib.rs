//! Storage adapters: the durable store (diesel over SQLite or Postgres, one query DSL, embedded
//! migrations) and the ephemeral store (in-process memory or Redis).
//!
//! Architecture invariant: this crate implements the domain's ports and knows nothing of HTTP.

mod db;
mod ephemeral;
pub mod private_files;
mod repos;
mod schema;
mod system;

pub use db::{Backend, Db, StoreError};
pub use ephemeral::{DEFAULT_MEMORY_MAX_BYTES, MemoryStore, RedisStore, connect_ephemeral, connect_ephemeral_with};
pub use system::{OsRandom, SystemClock};

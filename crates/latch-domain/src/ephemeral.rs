//! The ephemeral store port: short-lived shared state (authorization codes, interactions,
//! rate-limit counters) and cross-node notifications. Memory for one node, Redis for many.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ephemeral store unavailable: {0}")]
pub struct EphemeralError(pub String);

pub type EphemeralResult<T> = Result<T, EphemeralError>;

#[async_trait]
pub trait EphemeralStore: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing what was there.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> EphemeralResult<()>;
    /// Reads without consuming.
    async fn get(&self, key: &str) -> EphemeralResult<Option<String>>;
    /// Reads and deletes atomically: of many concurrent takers exactly one gets the value.
    async fn take(&self, key: &str) -> EphemeralResult<Option<String>>;
    async fn delete(&self, key: &str) -> EphemeralResult<()>;
    /// Adds one to the counter under `key` and returns the new count. The first increment
    /// starts the counter's `ttl` window; later ones do not extend it.
    async fn incr(&self, key: &str, ttl: Duration) -> EphemeralResult<u64>;
    /// Takes one off a live counter (never below zero) and returns what is left; a missing or
    /// expired counter stays missing and answers 0. The window is unchanged. Rate limits count
    /// an attempt before checking it and give it back when it turns out to be legitimate.
    async fn decr(&self, key: &str) -> EphemeralResult<u64>;
    /// Sends `message` to every subscriber of `channel`, on every node.
    async fn publish(&self, channel: &str, message: &str) -> EphemeralResult<()>;
    /// Messages published on `channel` from now on. The stream survives reconnections.
    async fn subscribe(&self, channel: &str) -> EphemeralResult<BoxStream<'static, String>>;
    /// Answers when the store does (for `/readyz`).
    async fn ping(&self) -> EphemeralResult<()>;
    /// `memory` or `redis`.
    fn backend(&self) -> &'static str;
}

//! The ephemeral store: in-process memory (one node) or Redis (many nodes).

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use latch_domain::ephemeral::{EphemeralError, EphemeralResult, EphemeralStore};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Opens the store `url` names: `memory://` or `redis://…` (`rediss://…` for TLS); Redis keys
/// and channels start with `prefix`.
pub fn connect_ephemeral(url: &str, prefix: &str) -> Result<Arc<dyn EphemeralStore>, EphemeralError> {
    if url == "memory://" || url == "memory" {
        return Ok(Arc::new(MemoryStore::default()));
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://") {
        return Ok(Arc::new(RedisStore::connect(url, prefix)?));
    }
    Err(EphemeralError(format!("cache url `{url}` is neither memory:// nor redis://…")))
}

// ---------------------------------------------------------------- memory

enum Slot {
    Text(String),
    Counter(u64),
}

struct Entry {
    slot: Slot,
    expires: Instant,
}

#[derive(Default)]
struct MemoryInner {
    entries: HashMap<String, Entry>,
    writes_since_sweep: u32,
}

/// Everything in one process; correct for a single node only.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, MemoryInner> {
        // A poisoned lock only means another task panicked mid-write of a plain map.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sender(&self, channel: &str) -> broadcast::Sender<String> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels.entry(channel.to_owned()).or_insert_with(|| broadcast::channel(256).0).clone()
    }
}

impl MemoryInner {
    /// Drops expired entries now and then, so keys nobody reads again do not pile up.
    fn after_write(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= 1024 {
            self.writes_since_sweep = 0;
            self.entries.retain(|_, e| e.expires > now);
        }
    }

    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.entries.get(key).is_some_and(|e| e.expires <= now) {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> EphemeralResult<()> {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.entries.insert(key.to_owned(), Entry { slot: Slot::Text(value.to_owned()), expires: now + ttl });
        inner.after_write(now);
        Ok(())
    }

    async fn get(&self, key: &str) -> EphemeralResult<Option<String>> {
        let mut inner = self.lock();
        Ok(inner.live(key, Instant::now()).map(|e| match &e.slot {
            Slot::Text(s) => s.clone(),
            Slot::Counter(n) => n.to_string(),
        }))
    }

    async fn take(&self, key: &str) -> EphemeralResult<Option<String>> {
        let mut inner = self.lock();
        let now = Instant::now();
        Ok(inner.entries.remove(key).filter(|e| e.expires > now).map(|e| match e.slot {
            Slot::Text(s) => s,
            Slot::Counter(n) => n.to_string(),
        }))
    }

    async fn delete(&self, key: &str) -> EphemeralResult<()> {
        self.lock().entries.remove(key);
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> EphemeralResult<u64> {
        let now = Instant::now();
        let mut inner = self.lock();
        let count = match inner.live(key, now) {
            Some(Entry { slot: Slot::Counter(n), .. }) => {
                *n += 1;
                *n
            }
            _ => {
                inner.entries.insert(key.to_owned(), Entry { slot: Slot::Counter(1), expires: now + ttl });
                1
            }
        };
        inner.after_write(now);
        Ok(count)
    }

    async fn publish(&self, channel: &str, message: &str) -> EphemeralResult<()> {
        // No subscriber is not an error: nobody needed telling.
        let _ = self.sender(channel).send(message.to_owned());
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> EphemeralResult<BoxStream<'static, String>> {
        let rx = self.sender(channel).subscribe();
        Ok(stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(msg) => return Some((msg, rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .boxed())
    }

    async fn ping(&self) -> EphemeralResult<()> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

// ---------------------------------------------------------------- redis

/// Shared state across nodes. Commands fail fast (1 s) while Redis is down and the connection
/// comes back by itself when Redis does.
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: String,
}

fn redis_err(e: redis::RedisError) -> EphemeralError {
    EphemeralError(e.to_string())
}

impl RedisStore {
    /// Prepares the connection without waiting for Redis: the first command connects.
    pub fn connect(url: &str, prefix: &str) -> Result<RedisStore, EphemeralError> {
        let client = redis::Client::open(url).map_err(redis_err)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(redis_err)?;
        Ok(RedisStore { client, conn, prefix: prefix.to_owned() })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> EphemeralResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_err)
    }

    async fn get(&self, key: &str) -> EphemeralResult<Option<String>> {
        let mut conn = self.conn.clone();
        conn.get(self.key(key)).await.map_err(redis_err)
    }

    async fn take(&self, key: &str) -> EphemeralResult<Option<String>> {
        let mut conn = self.conn.clone();
        // GETDEL is one atomic command: of concurrent takers exactly one sees the value.
        conn.get_del(self.key(key)).await.map_err(redis_err)
    }

    async fn delete(&self, key: &str) -> EphemeralResult<()> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.key(key)).await.map_err(redis_err)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> EphemeralResult<u64> {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        // MULTI/EXEC: the increment and the first expiry land together; NX keeps the window fixed.
        let (count, _): (u64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(ttl_ms(ttl))
            .arg("NX")
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        Ok(count)
    }

    async fn publish(&self, channel: &str, message: &str) -> EphemeralResult<()> {
        let mut conn = self.conn.clone();
        conn.publish::<_, _, ()>(self.key(channel), message).await.map_err(redis_err)
    }

    async fn subscribe(&self, channel: &str) -> EphemeralResult<BoxStream<'static, String>> {
        let (tx, rx) = mpsc::channel::<String>(256);
        let client = self.client.clone();
        let channel = self.key(channel);
        // Subscribe once now so the caller knows it is listening, then keep the subscription
        // alive across Redis restarts in the background.
        let mut first = Some(subscribe_once(&client, &channel).await.map_err(redis_err)?);
        tokio::spawn(async move {
            loop {
                let pubsub = match first.take() {
                    Some(p) => p,
                    None => match subscribe_once(&client, &channel).await {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::debug!(error = %e, "redis subscription retry");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            if tx.is_closed() {
                                return;
                            }
                            continue;
                        }
                    },
                };
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    if let Ok(text) = msg.get_payload::<String>()
                        && tx.send(text).await.is_err()
                    {
                        return;
                    }
                }
                if tx.is_closed() {
                    return;
                }
                tracing::warn!(channel = %channel, "redis subscription lost; reconnecting");
            }
        });
        Ok(stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) }).boxed())
    }

    async fn ping(&self) -> EphemeralResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(redis_err)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

async fn subscribe_once(client: &redis::Client, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = tokio::time::timeout(Duration::from_secs(2), client.get_async_pubsub())
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "connect timed out")))??;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

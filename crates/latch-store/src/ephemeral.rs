//! The ephemeral store: in-process memory (one node) or Redis (many nodes).

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use latch_domain::ephemeral::{EphemeralError, EphemeralResult, EphemeralStore};
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Opens the store `url` names: `memory://` or `redis://…` (`rediss://…` for TLS); Redis keys
/// and channels start with `prefix`. A memory store holds at most [`DEFAULT_MEMORY_MAX_BYTES`].
pub fn connect_ephemeral(url: &str, prefix: &str) -> Result<Arc<dyn EphemeralStore>, EphemeralError> {
    connect_ephemeral_with(url, prefix, DEFAULT_MEMORY_MAX_BYTES)
}

/// [`connect_ephemeral`] with the memory store's cap (`cache.memory_max_mib`); Redis is capped
/// by its own `maxmemory`.
pub fn connect_ephemeral_with(
    url: &str,
    prefix: &str,
    memory_max_bytes: usize,
) -> Result<Arc<dyn EphemeralStore>, EphemeralError> {
    if url == "memory://" || url == "memory" {
        return Ok(Arc::new(MemoryStore::with_max_bytes(memory_max_bytes)));
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://") {
        return Ok(Arc::new(RedisStore::connect(url, prefix)?));
    }
    Err(EphemeralError(format!("cache url `{url}` is neither memory:// nor redis://…")))
}

// ---------------------------------------------------------------- memory

/// What the memory store may hold by default (`cache.memory_max_mib`): interactions are a few
/// KiB each, so this is tens of thousands of sign-ins in progress.
pub const DEFAULT_MEMORY_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs beyond its key (held twice: the map and the age index) and its value.
const ENTRY_OVERHEAD: usize = 128;

enum Slot {
    Text(String),
    Counter(u64),
}

struct Entry {
    slot: Slot,
    expires: Instant,
    /// Insertion order: the key of this entry in `texts` or `counters`.
    seq: u64,
}

fn cost(key: &str, slot: &Slot) -> usize {
    let value = match slot {
        Slot::Text(s) => s.len(),
        Slot::Counter(_) => 0,
    };
    2 * key.len() + value + ENTRY_OVERHEAD
}

struct MemoryInner {
    entries: HashMap<String, Entry>,
    /// Values and counters by insertion order, oldest first: who goes when the store is full.
    texts: BTreeMap<u64, String>,
    counters: BTreeMap<u64, String>,
    next_seq: u64,
    /// The sum of [`cost`] over `entries`.
    bytes: usize,
    max_bytes: usize,
    writes_since_sweep: u32,
}

/// Everything in one process; correct for a single node only. Holds at most `max_bytes`
/// (keys, values and bookkeeping): when a write would pass that, expired entries go first,
/// then the oldest values (interactions, codes), and rate-limit counters last, so filling
/// the store cannot be used to wipe the counters that limit sign-in attempts.
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_max_bytes(DEFAULT_MEMORY_MAX_BYTES)
    }
}

impl MemoryStore {
    /// A store that never holds more than `max_bytes`.
    pub fn with_max_bytes(max_bytes: usize) -> MemoryStore {
        MemoryStore {
            inner: Mutex::new(MemoryInner {
                entries: HashMap::new(),
                texts: BTreeMap::new(),
                counters: BTreeMap::new(),
                next_seq: 0,
                bytes: 0,
                max_bytes,
                writes_since_sweep: 0,
            }),
            channels: Mutex::new(HashMap::new()),
        }
    }

    /// What the entries cost now, in bytes (never more than the cap).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

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
    fn order(&mut self, slot: &Slot) -> &mut BTreeMap<u64, String> {
        match slot {
            Slot::Text(_) => &mut self.texts,
            Slot::Counter(_) => &mut self.counters,
        }
    }

    fn remove(&mut self, key: &str) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.order(&entry.slot).remove(&entry.seq);
        self.bytes = self.bytes.saturating_sub(cost(key, &entry.slot));
        Some(entry)
    }

    /// Stores `slot` under `key`, making room first; refuses a value larger than the store.
    fn insert(&mut self, key: &str, slot: Slot, expires: Instant, now: Instant) -> EphemeralResult<()> {
        self.remove(key);
        let size = cost(key, &slot);
        if size > self.max_bytes {
            return Err(EphemeralError(format!("a value of {size} bytes does not fit the memory store")));
        }
        if self.bytes + size > self.max_bytes {
            self.make_room(size, now);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order(&slot).insert(seq, key.to_owned());
        self.bytes += size;
        self.entries.insert(key.to_owned(), Entry { slot, expires, seq });
        self.after_write(now);
        Ok(())
    }

    /// Frees room for `size` more bytes: expired entries, then the oldest values, then the
    /// oldest counters. Evicting live entries goes down to 90 % of the cap, so a store full of
    /// live entries is not swept again on every write.
    fn make_room(&mut self, size: usize, now: Instant) {
        self.sweep(now);
        if self.bytes + size <= self.max_bytes {
            return;
        }
        let target = (self.max_bytes - self.max_bytes / 10).saturating_sub(size);
        while self.bytes > target {
            let oldest = match self.texts.first_key_value() {
                Some((_, k)) => k.clone(),
                None => match self.counters.first_key_value() {
                    Some((_, k)) => k.clone(),
                    None => break,
                },
            };
            self.remove(&oldest);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let expired: Vec<String> =
            self.entries.iter().filter(|(_, e)| e.expires <= now).map(|(k, _)| k.clone()).collect();
        for k in expired {
            self.remove(&k);
        }
    }

    /// Drops expired entries now and then, so keys nobody reads again do not pile up.
    fn after_write(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= 1024 {
            self.writes_since_sweep = 0;
            self.sweep(now);
        }
    }

    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.entries.get(key).is_some_and(|e| e.expires <= now) {
            self.remove(key);
        }
        self.entries.get_mut(key)
    }
}

fn text_of(slot: &Slot) -> String {
    match slot {
        Slot::Text(s) => s.clone(),
        Slot::Counter(n) => n.to_string(),
    }
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> EphemeralResult<()> {
        let now = Instant::now();
        self.lock().insert(key, Slot::Text(value.to_owned()), now + ttl, now)
    }

    async fn get(&self, key: &str) -> EphemeralResult<Option<String>> {
        let mut inner = self.lock();
        Ok(inner.live(key, Instant::now()).map(|e| text_of(&e.slot)))
    }

    async fn take(&self, key: &str) -> EphemeralResult<Option<String>> {
        let now = Instant::now();
        Ok(self.lock().remove(key).filter(|e| e.expires > now).map(|e| text_of(&e.slot)))
    }

    async fn delete(&self, key: &str) -> EphemeralResult<()> {
        self.lock().remove(key);
        Ok(())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> EphemeralResult<u64> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(Entry { slot: Slot::Counter(n), .. }) = inner.live(key, now) {
            *n += 1;
            return Ok(*n);
        }
        inner.insert(key, Slot::Counter(1), now + ttl, now)?;
        Ok(1)
    }

    async fn decr(&self, key: &str) -> EphemeralResult<u64> {
        let mut inner = self.lock();
        Ok(match inner.live(key, Instant::now()) {
            Some(Entry { slot: Slot::Counter(n), .. }) => {
                *n = n.saturating_sub(1);
                *n
            }
            _ => 0,
        })
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

/// Takes one off a live, positive counter; anything else answers 0 and is left alone.
const DECR_SCRIPT: &str = "local n = tonumber(redis.call('GET', KEYS[1])) \
    if n == nil or n <= 0 then return 0 end \
    return redis.call('DECR', KEYS[1])";

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

    async fn decr(&self, key: &str) -> EphemeralResult<u64> {
        let mut conn = self.conn.clone();
        // One script, so a counter that expired meanwhile is not brought back as -1 without
        // an expiry (a bare DECR would create it).
        redis::cmd("EVAL")
            .arg(DECR_SCRIPT)
            .arg(1)
            .arg(self.key(key))
            .query_async::<u64>(&mut conn)
            .await
            .map_err(redis_err)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    fn interaction(i: usize) -> (String, String) {
        (format!("interaction:{i:05}"), "x".repeat(3000))
    }

    #[tokio::test]
    async fn the_memory_cap_holds_and_the_oldest_values_go_first() {
        let max = 256 * 1024;
        let store = MemoryStore::with_max_bytes(max);
        store.incr("rl:sign-in:ip:203.0.113.9", LONG).await.unwrap();
        for i in 0..1000 {
            let (k, v) = interaction(i);
            store.put(&k, &v, LONG).await.unwrap();
            assert!(store.bytes() <= max, "after {i} writes: {} > {max}", store.bytes());
        }
        let (newest, _) = interaction(999);
        let (oldest, _) = interaction(0);
        assert!(store.get(&newest).await.unwrap().is_some(), "the newest value is kept");
        assert_eq!(store.get(&oldest).await.unwrap(), None, "the oldest value was evicted");
        assert_eq!(
            store.get("rl:sign-in:ip:203.0.113.9").await.unwrap().as_deref(),
            Some("1"),
            "a flood of values does not evict the rate-limit counters"
        );
        let kept = (0..1000).filter(|i| store.lock().entries.contains_key(&interaction(*i).0)).count();
        assert!(kept > 50 && kept < 90, "roughly the cap's worth of 3 KB values: {kept}");
    }

    #[tokio::test]
    async fn expired_entries_are_evicted_before_live_ones() {
        let (k, v) = interaction(0);
        let one = cost(&k, &Slot::Text(v.clone()));
        let store = MemoryStore::with_max_bytes(one * 10);
        store.put("old-but-live", &v, LONG).await.unwrap();
        for i in 1..9 {
            let (k, v) = interaction(i);
            store.put(&k, &v, Duration::from_millis(1)).await.unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
        for i in 9..12 {
            let (k, v) = interaction(i);
            store.put(&k, &v, LONG).await.unwrap();
        }
        assert!(store.get("old-but-live").await.unwrap().is_some(), "expired entries made the room");
        assert!(store.bytes() <= one * 10);
    }

    #[tokio::test]
    async fn counters_go_last_and_bookkeeping_stays_exact() {
        let store = MemoryStore::with_max_bytes(4096);
        for i in 0..200 {
            store.incr(&format!("c{i}"), LONG).await.unwrap();
            assert!(store.bytes() <= 4096);
        }
        assert!(store.get("c199").await.unwrap().is_some(), "with only counters, the oldest counters go");
        assert_eq!(store.get("c0").await.unwrap(), None);
        assert_eq!(store.decr("c199").await.unwrap(), 0);
        assert_eq!(store.decr("missing").await.unwrap(), 0, "decr never creates a counter");
        assert!(store.put("big", &"x".repeat(8192), LONG).await.is_err(), "a value larger than the store is refused");
        let inner = store.lock();
        let sum: usize = inner.entries.iter().map(|(k, e)| cost(k, &e.slot)).sum();
        assert_eq!(inner.bytes, sum);
        assert_eq!(inner.texts.len() + inner.counters.len(), inner.entries.len());
    }
}

//! A small fixed pool of threads for password hashing. argon2id takes ~19 MiB and tens of
//! milliseconds of CPU per hash: one thread per core is all the work can use, queues the rest
//! instead of piling hashes onto the general blocking pool, and keeps those large blocks in a
//! few threads' allocators (bench: full flows 92 → 103/s, SSO 2056 → 2526/s on 2 cores).
//!
//! The queue is bounded: past `queue` waiting jobs a request is answered "busy, try again"
//! at once rather than waiting behind a flood, and a job whose requester has gone (the
//! browser gave up, the connection dropped) is skipped instead of hashed for nobody.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

type Job = Box<dyn FnOnce() + Send>;

/// Jobs that may wait for a thread by default (`password_hash.queue`): about a second of
/// work at OWASP parameters on two cores.
pub const DEFAULT_QUEUE: usize = 64;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// The queue is full: answer "try again in a moment".
    Busy,
    /// The pool's threads are gone.
    Stopped,
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PoolError::Busy => "the password-hashing queue is full",
            PoolError::Stopped => "the password-hashing pool stopped",
        })
    }
}

#[derive(Default)]
struct Stats {
    ran: AtomicU64,
    abandoned: AtomicU64,
    /// Jobs handed to the queue that no thread has taken yet.
    waiting: AtomicU64,
}

pub struct HashPool {
    jobs: SyncSender<Job>,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool").finish_non_exhaustive()
    }
}

fn worker(jobs: Arc<std::sync::Mutex<Receiver<Job>>>) {
    loop {
        let next = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl HashPool {
    /// Starts `threads` workers (at least one) with room for `queue` waiting jobs (at least
    /// one).
    pub fn new(threads: usize, queue: usize) -> HashPool {
        let (tx, rx) = sync_channel::<Job>(queue.max(1));
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            if let Err(e) = std::thread::Builder::new().name(format!("latch-hash-{i}")).spawn(move || worker(rx)) {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        HashPool { jobs: tx, stats: Arc::default() }
    }

    /// Runs `f` on the pool and waits for its answer. Refuses at once with `Busy` when the
    /// queue is full. If the caller stops waiting (its future is dropped), `f` is not run.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, PoolError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let stats = self.stats.clone();
        let job: Job = Box::new(move || {
            stats.waiting.fetch_sub(1, Ordering::Relaxed);
            if tx.is_closed() {
                stats.abandoned.fetch_add(1, Ordering::Relaxed);
                return;
            }
            stats.ran.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(f());
        });
        // Counted before it is sent, so a thread that takes it at once never counts below zero.
        self.stats.waiting.fetch_add(1, Ordering::Relaxed);
        let refused = match self.jobs.try_send(job) {
            Ok(()) => None,
            Err(TrySendError::Full(_)) => Some(PoolError::Busy),
            Err(TrySendError::Disconnected(_)) => Some(PoolError::Stopped),
        };
        if let Some(e) = refused {
            self.stats.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(e);
        }
        rx.await.map_err(|_| PoolError::Stopped)
    }

    /// How many jobs (hashes and verifications) the pool has run: what rate limits let
    /// through, observable without timing.
    pub fn jobs_run(&self) -> u64 {
        self.stats.ran.load(Ordering::Relaxed)
    }

    /// How many jobs wait for a thread now (a gauge for `/metrics`).
    pub fn queue_depth(&self) -> u64 {
        self.stats.waiting.load(Ordering::Relaxed)
    }

    /// How many queued jobs were skipped because nobody waited for them any more.
    pub fn jobs_abandoned(&self) -> u64 {
        self.stats.abandoned.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use futures_util::FutureExt;
    use std::time::Duration;

    /// A job that holds the pool's only thread until `release` is sent.
    fn blocker(pool: &HashPool) -> (std::sync::mpsc::Sender<()>, impl Future<Output = Result<(), PoolError>> + '_) {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let fut = pool.run(move || {
            let _ = wait.recv();
        });
        (release, fut)
    }

    async fn eventually(what: &str, check: impl Fn() -> bool) {
        for _ in 0..500 {
            if check() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{what} did not happen");
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let pool = HashPool::new(1, 2);
        let (release, running) = blocker(&pool);
        let mut running = Box::pin(running);
        assert!((&mut running).now_or_never().is_none(), "the blocker is sent and waits");
        eventually("the blocker starts", || pool.jobs_run() == 1).await;
        let mut queued: Vec<_> = (0..2).map(|i| Box::pin(pool.run(move || i))).collect();
        for q in &mut queued {
            assert!(q.as_mut().now_or_never().is_none(), "queued behind the blocker");
        }
        assert_eq!(pool.queue_depth(), 2, "the running job no longer waits");
        assert_eq!(pool.run(|| 9).await, Err(PoolError::Busy), "a third waiting job does not fit");
        assert_eq!(pool.queue_depth(), 2, "a refused job is not counted as waiting");
        release.send(()).unwrap();
        running.await.unwrap();
        for (i, q) in queued.into_iter().enumerate() {
            assert_eq!(q.await, Ok(i));
        }
        assert_eq!(pool.queue_depth(), 0);
        assert_eq!(pool.run(|| 7).await, Ok(7), "room again once the queue drains");
    }

    #[tokio::test]
    async fn a_job_nobody_waits_for_is_not_run() {
        let pool = HashPool::new(1, 4);
        let (release, running) = blocker(&pool);
        let mut running = Box::pin(running);
        assert!((&mut running).now_or_never().is_none());
        eventually("the blocker starts", || pool.jobs_run() == 1).await;
        let ran = Arc::new(AtomicU64::new(0));
        let counted = ran.clone();
        let mut gone = Box::pin(pool.run(move || counted.fetch_add(1, Ordering::Relaxed)));
        assert!(gone.as_mut().now_or_never().is_none(), "queued");
        drop(gone);
        release.send(()).unwrap();
        running.await.unwrap();
        eventually("the abandoned job is skipped", || pool.jobs_abandoned() == 1).await;
        assert_eq!(ran.load(Ordering::Relaxed), 0, "its work never ran");
        assert_eq!(pool.jobs_run(), 1);
    }
}

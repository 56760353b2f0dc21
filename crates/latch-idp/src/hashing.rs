//! A small fixed pool of threads for password hashing. argon2id takes ~19 MiB and tens of
//! milliseconds of CPU per hash: one thread per core is all the work can use, queues the rest
//! instead of piling hashes onto the general blocking pool, and keeps those large blocks in a
//! few threads' allocators (bench: full flows 92 → 103/s, SSO 2056 → 2526/s on 2 cores).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

pub struct HashPool {
    jobs: Mutex<Sender<Job>>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool").finish_non_exhaustive()
    }
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
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
    /// Starts `threads` workers (at least one).
    pub fn new(threads: usize) -> HashPool {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            if let Err(e) = std::thread::Builder::new().name(format!("latch-hash-{i}")).spawn(move || worker(rx)) {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        HashPool { jobs: Mutex::new(tx) }
    }

    /// Runs `f` on the pool and waits for its answer; `None` if the pool is gone.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs.lock().ok()?.send(job).ok()?;
        rx.await.ok()
    }
}

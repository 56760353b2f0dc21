//! Time and randomness as ports: the engine receives them, it never reads them itself.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch. Every stored and compared instant in Latch is one of these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn plus_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }
}

/// The source of "now". Production passes the system clock; tests pass a fixed one.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The source of unpredictable bytes (codes, tokens, salts, ids).
pub trait Random: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// A clock that always answers the same instant, for tests.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

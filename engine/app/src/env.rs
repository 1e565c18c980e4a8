//! What the application takes from the world besides the store: the time and
//! fresh ids. Passed in as values, so the demo can run in simulated time and a
//! test can fix both; the engine below never reads either itself.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The time now.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Fresh ids for cases, events and commands.
pub trait Ids: Send + Sync + fmt::Debug {
    fn new_id(&self) -> Uuid;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Time-ordered UUIDv7 ids: they keep the store's unique indexes local
/// (measured in BENCHMARKS.md: random ids cost five times as much on SQLite).
#[derive(Debug, Clone, Copy, Default)]
pub struct V7Ids;

impl Ids for V7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A clock someone sets: the demo's simulated days, a test's fixed instant.
#[derive(Debug)]
pub struct SetClock(Mutex<DateTime<Utc>>);

impl SetClock {
    pub fn new(at: DateTime<Utc>) -> SetClock {
        SetClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
}

impl Clock for SetClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

//! Deadlines: every due wake-up handled once, as the system, through the same
//! write path as a person's command; runners on several machines may race, and
//! the exact expected revision makes the loser decide again and find nothing
//! left to do.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kroonika_engine::actors;
use kroonika_engine::case::{self, CaseEvent};

use crate::App;
use crate::cases::decide::Step;
use crate::command::{Outcome, Request};
use crate::error::Result;

/// What one run of the timers did.
#[derive(Debug, Default)]
pub struct TimerRun {
    /// Cases acted on.
    pub handled: usize,
    /// What was recorded, case by case: (reference, event).
    pub recorded: Vec<(String, CaseEvent)>,
    /// Cases that could not be handled, and why.
    pub failed: Vec<(String, crate::Error)>,
}

impl App {
    /// Handles every deadline due at `now` (the app's clock if None).
    pub async fn run_timers(&self, now: Option<DateTime<Utc>>) -> Result<TimerRun> {
        const PAGE: usize = 500;
        let now = now.unwrap_or_else(|| self.now());
        let request = Request::new(actors::SYSTEM, "timers run");
        let mut seen = HashSet::new();
        let mut run = TimerRun::default();
        loop {
            let due = self.inner.store.due_timers(now, PAGE + seen.len()).await?;
            let fresh: Vec<_> = due
                .into_iter()
                .map(|(stream, _)| stream)
                .filter(|stream| !seen.contains(stream))
                .collect();
            if fresh.is_empty() {
                break;
            }
            for stream in fresh {
                seen.insert(stream.clone());
                let Some(id) = case::id_of(&stream) else {
                    continue;
                };
                match self
                    .step(&request, &id.to_string(), id, Step::Timer(now))
                    .await
                {
                    Ok(Outcome::Done {
                        reference, events, ..
                    }) => {
                        run.handled += 1;
                        run.recorded
                            .extend(events.into_iter().map(|e| (reference.clone(), e)));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let reference = self
                            .cases()
                            .reference_of(id)
                            .unwrap_or_else(|| id.to_string());
                        run.failed.push((reference, err));
                    }
                }
            }
        }
        Ok(run)
    }
}

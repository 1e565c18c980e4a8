//! Catch-up subscriptions: read the history from a position, then follow.
//!
//! A subscription is nothing but a cursor (the last position delivered) and a page
//! of events read ahead. Because positions are gapless and assigned in commit order
//! (see the backends), "everything after N" is a complete answer at any moment,
//! so a subscriber can never skip an event or see one twice, and can resume after
//! a restart from the last position it saved.
//!
//! When caught up it waits for a wake-up: a commit in this process (immediately),
//! a PostgreSQL notification from another machine, or the poll interval, which
//! also covers other processes writing the same SQLite file.

use std::collections::VecDeque;

use kroonika_engine::RecordedEvent;
use tokio::sync::watch;

use crate::error::Result;
use crate::read::{Direction, ReadFrom};
use crate::store::Store;

/// Events read ahead per query.
const PAGE: usize = 500;

/// A catch-up subscription; see [`Store::subscribe`].
#[derive(Debug)]
pub struct Subscription {
    store: Store,
    category: Option<String>,
    after: u64,
    ahead: VecDeque<RecordedEvent>,
    committed: watch::Receiver<u64>,
    listener: Option<sqlx::postgres::PgListener>,
    listening: bool,
}

impl Subscription {
    pub(crate) fn new(store: Store, category: Option<String>, after: u64) -> Self {
        let committed = store.committed();
        Subscription {
            store,
            category,
            after,
            ahead: VecDeque::new(),
            committed,
            listener: None,
            listening: false,
        }
    }

    /// The position of the last event delivered (the one to save as a checkpoint).
    pub fn position(&self) -> u64 {
        self.after
    }

    /// The next event, waiting for one to be committed if the subscriber is caught up.
    pub async fn next(&mut self) -> Result<RecordedEvent> {
        loop {
            if let Some(event) = self.try_next().await? {
                return Ok(event);
            }
            self.wait().await;
        }
    }

    /// The next event if one is committed already, without waiting.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>> {
        if self.ahead.is_empty() {
            if !self.listening {
                // Listen before reading, so a commit between the read and the wait
                // still wakes us.
                self.listener = self.store.listener().await;
                self.listening = true;
            }
            self.committed.borrow_and_update();
            let from = ReadFrom::At(self.after + 1);
            let page = match &self.category {
                None => self.store.read_all(from, Direction::Forwards, PAGE).await?,
                Some(category) => {
                    self.store
                        .read_category(category, from, Direction::Forwards, PAGE)
                        .await?
                }
            };
            self.ahead.extend(page);
        }
        let event = self.ahead.pop_front();
        if let Some(event) = &event {
            self.after = event.position;
        }
        Ok(event)
    }

    async fn wait(&mut self) {
        let poll = tokio::time::sleep(self.store.options().poll_interval);
        match &mut self.listener {
            Some(listener) => {
                tokio::select! {
                    _ = poll => {}
                    _ = self.committed.changed() => {}
                    notified = listener.recv() => {
                        if notified.is_err() {
                            // The listening connection broke; fall back to polling
                            // and listen again on the next read.
                            self.listener = None;
                            self.listening = false;
                        }
                    }
                }
            }
            None => {
                tokio::select! {
                    _ = poll => {}
                    _ = self.committed.changed() => {}
                }
            }
        }
    }
}

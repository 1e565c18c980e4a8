//! Following one stream: its events from a revision, then each new one as it
//! commits, with no gap and no repeat.
//!
//! Catching up reads the stream by revision; once a read comes back empty,
//! every event of the stream up to the log's head (read before that read) has
//! been delivered, so following the stream's category from that head misses
//! nothing and repeats nothing (revisions are checked besides).

use std::collections::VecDeque;

use kroonika_engine::{RecordedEvent, StreamName};
use kroonika_store::{Direction, ReadFrom, Store, Subscription};

use crate::error::Result;

const PAGE: usize = 500;

/// A catch-up subscription to one stream; see [`super::StreamReader::subscribe`].
#[derive(Debug)]
pub struct StreamSubscription {
    store: Store,
    stream: StreamName,
    /// The next revision to deliver.
    next: u64,
    ahead: VecDeque<RecordedEvent>,
    live: Option<Subscription>,
}

impl StreamSubscription {
    pub(crate) fn new(store: Store, stream: StreamName, next: u64) -> Self {
        StreamSubscription {
            store,
            stream,
            next,
            ahead: VecDeque::new(),
            live: None,
        }
    }

    /// The last revision delivered (None: nothing yet).
    pub fn revision(&self) -> Option<u64> {
        self.next.checked_sub(1)
    }

    /// The next event if one is committed already; None when caught up.
    pub async fn try_next(&mut self) -> Result<Option<RecordedEvent>> {
        loop {
            if let Some(event) = self.ahead.pop_front() {
                self.next = event.revision + 1;
                return Ok(Some(event));
            }
            if let Some(live) = &mut self.live {
                let Some(event) = live.try_next().await? else {
                    return Ok(None);
                };
                if event.stream == self.stream && event.revision >= self.next {
                    self.ahead.push_back(event);
                }
                continue;
            }
            let head = self.store.head_position().await?;
            let page = self
                .store
                .read_stream(
                    &self.stream,
                    ReadFrom::At(self.next),
                    Direction::Forwards,
                    PAGE,
                )
                .await?;
            if page.is_empty() {
                self.live = Some(self.store.subscribe_category(self.stream.category(), head));
                continue;
            }
            self.ahead.extend(page);
        }
    }

    /// The next event, waiting for one to commit when caught up.
    pub async fn next(&mut self) -> Result<RecordedEvent> {
        loop {
            if let Some(event) = self.try_next().await? {
                return Ok(event);
            }
            if let Some(live) = &mut self.live {
                let event = live.next().await?;
                if event.stream == self.stream && event.revision >= self.next {
                    self.ahead.push_back(event);
                }
            }
        }
    }
}

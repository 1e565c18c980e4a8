//! A scan of the global log (or one category) with one page read ahead.
//!
//! Replaying the log (rebuilding a projection, verifying it) is the one read that
//! touches every event. Reading it page by page leaves either the database or the
//! caller idle at any moment: the database waits while the caller folds a page,
//! the caller waits while the database produces the next. A scan keeps the next
//! page's query in flight while the caller works on the current one, so on two
//! cores both run at once, and memory stays bounded at two pages whatever the log's
//! size.

use kroonika_engine::RecordedEvent;
use tokio::task::JoinHandle;

use crate::error::Result;
use crate::read::{Direction, ReadFrom};
use crate::store::Store;

/// See [`Store::scan`].
#[derive(Debug)]
pub struct Scan {
    store: Store,
    category: Option<String>,
    page_size: usize,
    in_flight: Option<JoinHandle<Result<Vec<RecordedEvent>>>>,
}

impl Scan {
    pub(crate) fn new(
        store: Store,
        category: Option<String>,
        from: ReadFrom,
        page_size: usize,
    ) -> Self {
        let page_size = page_size.max(1);
        let mut scan = Scan {
            store,
            category,
            page_size,
            in_flight: None,
        };
        scan.fetch(from);
        scan
    }

    fn fetch(&mut self, from: ReadFrom) {
        let (store, category, size) = (self.store.clone(), self.category.clone(), self.page_size);
        self.in_flight = Some(tokio::spawn(async move {
            match category {
                None => store.read_all(from, Direction::Forwards, size).await,
                Some(category) => {
                    store
                        .read_category(&category, from, Direction::Forwards, size)
                        .await
                }
            }
        }));
    }

    /// The next page, in global order; None once the scan has reached the head of
    /// the log as it was when that page was read. Pages are never empty.
    pub async fn next_page(&mut self) -> Result<Option<Vec<RecordedEvent>>> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(None);
        };
        let page = match in_flight.await {
            Ok(page) => page?,
            // The read task panicked or was cancelled: surface it as a panic here,
            // where the caller can see it, rather than as a silent end of the log.
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        };
        if page.len() == self.page_size
            && let Some(last) = page.last()
        {
            self.fetch(ReadFrom::At(last.position + 1));
        }
        Ok((!page.is_empty()).then_some(page))
    }
}

impl Drop for Scan {
    fn drop(&mut self) {
        if let Some(in_flight) = self.in_flight.take() {
            in_flight.abort();
        }
    }
}

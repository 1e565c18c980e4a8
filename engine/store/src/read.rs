//! How a read is addressed: where to start, which way to go, how many to take.
//!
//! Reads are always bounded (`max_count`) and resumable from the last event seen,
//! so a reader of a million events holds one page in memory at a time and never
//! keeps a long transaction open against the writers.

use kroonika_engine::{RecordedEvent, StreamName};

use crate::backend::dispatch;
use crate::store::Store;

/// Which way a read walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forwards,
    Backwards,
}

/// Where a read starts. For a stream the number is a revision; for the global log
/// and categories it is a global position. The event at `At(n)` is included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// The first event (revision 0, position 1).
    Start,
    /// The last event: the natural start for a backwards read.
    End,
    /// This revision or position, inclusive.
    At(u64),
}

impl ReadFrom {
    /// The bound to compare against in SQL. `first` is the first revision (0) or
    /// position (1); `End` becomes the largest integer, so that one query shape
    /// serves all three.
    pub(crate) fn bound(self, first: i64) -> i64 {
        match self {
            ReadFrom::Start => first,
            ReadFrom::End => i64::MAX,
            ReadFrom::At(n) => i64::try_from(n).unwrap_or(i64::MAX),
        }
    }
}

/// Clamps a page size to what one query may return.
pub(crate) fn limit(max_count: usize) -> i64 {
    i64::try_from(max_count).unwrap_or(i64::MAX)
}

/// One stored row, as both backends decode it.
pub(crate) struct StoredRow {
    pub position: i64,
    pub stream: String,
    pub revision: i64,
    pub id: uuid::Uuid,
    pub event_type: String,
    pub data: String,
    pub metadata: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub foreign: ForeignColumns,
}

/// The columns of a foreign event (migration 8): content type, binary data,
/// custom metadata; all NULL for Kroonika's own events.
pub(crate) type ForeignColumns = (Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);

/// A foreign event's parts from its columns, refusing what Kroonika could not
/// have written.
pub(crate) fn foreign_of(
    columns: ForeignColumns,
    position: i64,
) -> crate::Result<Option<kroonika_engine::Foreign>> {
    let corrupt = |reason: String| crate::Error::Corrupt { position, reason };
    match columns {
        (None, None, None) => Ok(None),
        (Some(content_type), binary, custom_metadata) => {
            let content_type = kroonika_engine::ContentType::parse(&content_type)
                .ok_or_else(|| corrupt(format!("unknown content type '{content_type}'")))?;
            Ok(Some(kroonika_engine::Foreign {
                content_type,
                binary,
                custom_metadata: custom_metadata.unwrap_or_default(),
            }))
        }
        (None, _, _) => Err(corrupt(
            "foreign data or metadata without a content type".to_owned(),
        )),
    }
}

/// The columns to store for an event's foreign parts.
pub(crate) fn foreign_columns(
    foreign: Option<&kroonika_engine::Foreign>,
) -> (Option<&'static str>, Option<&[u8]>, Option<&[u8]>) {
    match foreign {
        None => (None, None, None),
        Some(f) => (
            Some(f.content_type.as_str()),
            f.binary.as_deref(),
            Some(f.custom_metadata.as_slice()),
        ),
    }
}

impl StoredRow {
    /// Builds the event, refusing a row that Kroonika could not have written.
    pub(crate) fn into_event(self) -> crate::Result<RecordedEvent> {
        use crate::append::unsigned;
        let position = self.position;
        let corrupt = |reason: String| crate::Error::Corrupt { position, reason };
        let stream = StreamName::new(self.stream).map_err(|err| corrupt(err.to_string()))?;
        let metadata = serde_json::from_str(&self.metadata)
            .map_err(|err| corrupt(format!("metadata is not Kroonika's: {err}")))?;
        Ok(RecordedEvent {
            position: unsigned(position, "position", position)?,
            stream,
            revision: unsigned(self.revision, "revision", position)?,
            id: self.id,
            event_type: self.event_type,
            data: kroonika_engine::EventData::from_stored(self.data),
            metadata,
            recorded_at: self.recorded_at,
            foreign: foreign_of(self.foreign, position)?,
        })
    }
}

impl Store {
    /// Reads up to `max_count` events of one stream, from a revision.
    pub async fn read_stream(
        &self,
        stream: &StreamName,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> crate::Result<Vec<RecordedEvent>> {
        dispatch!(self, b => b.read_stream(stream, from, direction, max_count).await)
    }

    /// Every event of a stream, oldest first.
    pub async fn load_stream(&self, stream: &StreamName) -> crate::Result<Vec<RecordedEvent>> {
        const PAGE: usize = 1_000;
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let from = ReadFrom::At(events.len() as u64);
            let page = self
                .read_stream(stream, from, Direction::Forwards, PAGE)
                .await?;
            let full = page.len() == PAGE;
            events.extend(page);
            if !full {
                return Ok(events);
            }
        }
    }

    /// Reads up to `max_count` events of the global log (`$all`), from a position.
    pub async fn read_all(
        &self,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> crate::Result<Vec<RecordedEvent>> {
        dispatch!(self, b => b.read_all(&[], from, direction, max_count).await)
    }

    /// Reads up to `max_count` events of every stream in `category`, in global order.
    pub async fn read_category(
        &self,
        category: &str,
        from: ReadFrom,
        direction: Direction,
        max_count: usize,
    ) -> crate::Result<Vec<RecordedEvent>> {
        let categories = [category.to_owned()];
        dispatch!(self, b => b.read_all(&categories, from, direction, max_count).await)
    }

    /// Reads up to `max_count` events of any of `categories`, forwards in
    /// global order from position `from` (inclusive): what changed in a few
    /// categories since a position, in one query.
    pub async fn read_categories(
        &self,
        categories: &[String],
        from: u64,
        max_count: usize,
    ) -> crate::Result<Vec<RecordedEvent>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, b => b.read_all(categories, ReadFrom::At(from), Direction::Forwards, max_count).await)
    }

    /// The revision of the last event in a stream (None if it has no events).
    pub async fn stream_revision(&self, stream: &StreamName) -> crate::Result<Option<u64>> {
        dispatch!(self, b => b.stream_revision(stream).await)
    }

    /// The position of the last event in the log (0 when the log is empty).
    pub async fn head_position(&self) -> crate::Result<u64> {
        dispatch!(self, b => b.head_position().await)
    }

    /// When each actor last had an event recorded in their name (the
    /// metadata's actor), over the whole log.
    pub async fn last_activity(
        &self,
    ) -> crate::Result<std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>> {
        dispatch!(self, b => b.last_activity().await)
    }
}

//! How a read is addressed: where to start, which way to go, how many to take.
//!
//! Reads are always bounded (`max_count`) and resumable from the last event seen,
//! so a reader of a million events holds one page in memory at a time and never
//! keeps a long transaction open against the writers.

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
}

impl StoredRow {
    /// Builds the event, refusing a row that Kroonika could not have written.
    pub(crate) fn into_event(self) -> crate::Result<kroonika_engine::RecordedEvent> {
        use crate::append::unsigned;
        let position = self.position;
        let corrupt = |reason: String| crate::Error::Corrupt { position, reason };
        let stream = kroonika_engine::StreamName::new(self.stream)
            .map_err(|err| corrupt(err.to_string()))?;
        let metadata = serde_json::from_str(&self.metadata)
            .map_err(|err| corrupt(format!("metadata is not Kroonika's: {err}")))?;
        Ok(kroonika_engine::RecordedEvent {
            position: unsigned(position, "position", position)?,
            stream,
            revision: unsigned(self.revision, "revision", position)?,
            id: self.id,
            event_type: self.event_type,
            data: kroonika_engine::EventData::from_stored(self.data),
            metadata,
            recorded_at: self.recorded_at,
        })
    }
}

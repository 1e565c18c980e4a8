//! The log as it is: what the store is and holds, reading events in order,
//! and following new ones.

use std::collections::BTreeMap;

use kroonika_engine::case::{self, Case};
use kroonika_engine::{RecordedEvent, StreamName};
use kroonika_store::{Direction, ReadFrom, Subscription};
use uuid::Uuid;

use crate::App;
use crate::command::Request;
use crate::error::Result;
use crate::permissions::Reading;

/// What the store is and how much it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub location: String,
    pub backend: &'static str,
    pub schema_version: i64,
    pub store_id: String,
    pub created_at: String,
    /// The last position (the number of events).
    pub head: u64,
    /// This process's group commit: how many groups it committed and how
    /// many writes they held.
    pub groups: kroonika_store::GroupStats,
}

/// Which events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// One stream (by name).
    pub stream: Option<StreamName>,
    /// One category (when no stream is named).
    pub category: Option<String>,
    /// From this position (a stream: revision), inclusive.
    pub from: Option<u64>,
    pub backwards: bool,
    pub limit: usize,
}

impl App {
    pub async fn status(&self) -> Result<Status> {
        let store = &self.inner.store;
        let info = store.info().await?;
        let head = store.head_position().await?;
        Ok(Status {
            location: store.location().to_owned(),
            backend: info.backend,
            schema_version: info.version,
            store_id: info.store_id,
            created_at: info.created_at,
            head,
            groups: store.group_stats(),
        })
    }

    /// Events of the log, one stream or one category, in order.
    pub async fn read_log(
        &self,
        request: &Request,
        query: &LogQuery,
    ) -> Result<Vec<RecordedEvent>> {
        self.reader(request, Reading::Log).await?;
        let store = &self.inner.store;
        let direction = if query.backwards {
            Direction::Backwards
        } else {
            Direction::Forwards
        };
        let from = match (query.from, direction) {
            (Some(n), _) => ReadFrom::At(n),
            (None, Direction::Forwards) => ReadFrom::Start,
            (None, Direction::Backwards) => ReadFrom::End,
        };
        Ok(match (&query.stream, &query.category) {
            (Some(stream), _) => {
                store
                    .read_stream(stream, from, direction, query.limit)
                    .await?
            }
            (None, Some(category)) => {
                store
                    .read_category(category, from, direction, query.limit)
                    .await?
            }
            (None, None) => store.read_all(from, direction, query.limit).await?,
        })
    }

    /// Every event after position `after` (of one category, or all), then each
    /// new one as it commits.
    pub async fn follow(
        &self,
        request: &Request,
        after: u64,
        category: Option<&str>,
    ) -> Result<Subscription> {
        self.reader(request, Reading::Log).await?;
        Ok(match category {
            Some(category) => self.inner.store.subscribe_category(category, after),
            None => self.inner.store.subscribe(after),
        })
    }

    /// Every case as its events leave it, by id: one scan of the case category,
    /// folded as it is read, so memory holds the cases and not their histories.
    pub async fn all_cases(&self) -> Result<BTreeMap<Uuid, Case>> {
        let mut cases: BTreeMap<Uuid, Case> = BTreeMap::new();
        let mut scan = self
            .inner
            .store
            .scan(Some(case::CATEGORY), ReadFrom::Start, 1_000);
        while let Some(page) = scan.next_page().await? {
            for event in &page {
                let Some(id) = case::id_of(&event.stream) else {
                    continue;
                };
                cases.entry(id).or_default().apply(event)?;
            }
        }
        Ok(cases)
    }
}

/// The JSON form of an event, as `log --format json` prints it (one per line).
/// Stable: fields are only ever added.
pub fn event_json(event: &RecordedEvent) -> serde_json::Value {
    let data = event
        .data
        .to_value()
        .unwrap_or_else(|_| serde_json::Value::String(event.data.as_str().to_owned()));
    let mut json = serde_json::json!({
        "position": event.position,
        "stream": event.stream,
        "revision": event.revision,
        "id": event.id,
        "type": event.event_type,
        "recorded_at": event.recorded_at,
        "data": data,
        "metadata": event.metadata,
    });
    // An event from outside: how its data is to be read, the data itself
    // when it is not JSON, and the writer's own metadata (bytes as base64).
    if let Some(foreign) = &event.foreign {
        use base64::Engine as _;
        let base64 = base64::engine::general_purpose::STANDARD;
        json["content_type"] = foreign.content_type.as_str().into();
        if let Some(binary) = &foreign.binary {
            json["binary"] = base64.encode(binary).into();
        }
        json["custom_metadata"] = base64.encode(&foreign.custom_metadata).into();
    }
    json
}

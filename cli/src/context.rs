//! What most commands need: the open store, the acting actor, and a way to
//! build events with their metadata. Glue only; the rules are the engine's.

use anyhow::Context;
use chrono::Utc;
use kroonika_engine::actors::{self, Actor, ActorEvent};
use kroonika_engine::{Metadata, NewEvent, Rejection, StreamName};
use kroonika_store::Store;
use uuid::Uuid;

use crate::args::Cli;

/// Opens the store; an `--actor` that is given must be a registered actor,
/// whatever the command (reading is an act too).
pub(crate) async fn open(cli: &Cli) -> anyhow::Result<Store> {
    let store = Store::open(&cli.db).await.context("opening the store")?;
    if cli.actor.is_some() {
        acting(cli, &store).await?;
    }
    Ok(store)
}

pub(crate) fn actor_stream(name: &str) -> anyhow::Result<StreamName> {
    actors::check_name(name)?;
    Ok(StreamName::from_parts(actors::CATEGORY, name)?)
}

/// An actor's current state, or None if it was never registered.
pub(crate) async fn load_actor(store: &Store, name: &str) -> anyhow::Result<Option<Actor>> {
    let events = store.load_stream(&actor_stream(name)?).await?;
    fold_actor(&events)
}

pub(crate) fn fold_actor(
    events: &[kroonika_engine::RecordedEvent],
) -> anyhow::Result<Option<Actor>> {
    if events.is_empty() {
        return Ok(None);
    }
    let mut actor = Actor::default();
    for event in events {
        let decoded =
            ActorEvent::from_parts(&event.event_type, event.data.as_str()).with_context(|| {
                format!(
                    "reading event {} of stream '{}'",
                    event.position, event.stream
                )
            })?;
        actor.evolve(&decoded);
    }
    Ok(Some(actor))
}

/// The actor named by `--actor`, which must be registered.
pub(crate) async fn acting(cli: &Cli, store: &Store) -> anyhow::Result<Actor> {
    let Some(name) = cli.actor.as_deref() else {
        return Err(
            Rejection::new("say who is acting: --actor NAME (or set KROONIKA_ACTOR)").into(),
        );
    };
    match load_actor(store, name).await? {
        Some(actor) => Ok(actor),
        None => Err(Rejection::new(format!(
            "unknown actor '{name}'; an administrator registers actors with `kroonika actor add`"
        ))
        .into()),
    }
}

/// An event as `actor` decided it now, from a command with a fresh id.
pub(crate) fn new_event(
    actor: &str,
    command_id: Uuid,
    event_type: &str,
    data: &serde_json::Value,
) -> anyhow::Result<NewEvent> {
    let metadata = Metadata::for_command(actor, command_id, Utc::now());
    Ok(NewEvent::new(Uuid::now_v7(), event_type, data, metadata)?)
}

/// Every event of a category, grouped by stream (streams in name order, events
/// in order). Reads the whole category: for listings and reports, not for
/// anything on a command's path.
pub(crate) async fn streams_of(
    store: &Store,
    category: &str,
) -> anyhow::Result<std::collections::BTreeMap<String, Vec<kroonika_engine::RecordedEvent>>> {
    let mut by_stream: std::collections::BTreeMap<String, Vec<kroonika_engine::RecordedEvent>> =
        Default::default();
    let mut scan = store.scan(Some(category), kroonika_store::ReadFrom::Start, 1_000);
    while let Some(page) = scan.next_page().await? {
        for event in page {
            by_stream
                .entry(event.stream.to_string())
                .or_default()
                .push(event);
        }
    }
    Ok(by_stream)
}

/// A time argument: RFC 3339 (`2026-11-24T09:30:00+02:00`), or a date meaning
/// that day at `hour:minute:second` UTC (each flag says which moment of the day
/// it means). `flag` names the option in the refusal.
pub(crate) fn parse_time(
    text: &str,
    flag: &str,
    (hour, minute, second): (u32, u32, u32),
) -> anyhow::Result<chrono::DateTime<Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| {
                d.and_hms_opt(hour, minute, second)
                    .unwrap_or_default()
                    .and_utc()
            })
        })
        .map_err(|_| {
            Rejection::new(format!(
                "{flag} takes a time like 2026-11-24T09:30:00+02:00 or a date, got '{text}'"
            ))
            .into()
        })
}

/// Noon: what a bare date means for when something happened or "now".
pub(crate) const NOON: (u32, u32, u32) = (12, 0, 0);
/// The end of the day: what a bare date means for "as known by" and "up to".
pub(crate) const END_OF_DAY: (u32, u32, u32) = (23, 59, 59);
/// The start of the day: what a bare date means for "from".
pub(crate) const START_OF_DAY: (u32, u32, u32) = (0, 0, 0);

/// Appends an access record (a reveal of personal data, a denial) to the
/// actor's own access stream, so it never contends with the case's writers.
pub(crate) async fn record_access(
    store: &Store,
    actor: &str,
    event: &kroonika_engine::access::AccessEvent,
) -> anyhow::Result<()> {
    let stream = StreamName::from_parts(kroonika_engine::access::CATEGORY, actor)?;
    let new = new_event(actor, Uuid::now_v7(), event.event_type(), &event.data())?;
    store
        .append(&stream, kroonika_engine::ExpectedRevision::Any, &[new])
        .await
        .context("recording the access")?;
    Ok(())
}

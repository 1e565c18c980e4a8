//! Case commands, two ways. **Store level**: what an application written
//! straight on the store does for each command: load the case's stream, fold
//! it, decide with the engine, write the event with the exact revision
//! (`Store::write`). **Application layer**: Kroonika's own `App::execute` in one
//! long-lived process, with everything it adds (the registry precondition,
//! metadata, fingerprints, denial recording) and what it saves (remembered
//! cases, compiled definitions).
//!
//! Setup (not measured) writes cases of 50 events each: the school-conference
//! example driven to monitoring, then `log-contact` steps. The measured command
//! is one more `log-contact`: it loads 50 events (unless remembered) and
//! appends one.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, CaseEvent, RawInput, RawValue};
use kroonika_engine::definition::ProcessDefinition;
use kroonika_engine::publishing;
use kroonika_engine::{
    Code, ExpectedRevision, Metadata, NewEvent, RecordedEvent, Rejection, StreamName,
};
use kroonika_store::{Store, Timer, Write};
use kroonika_tests::{Backend, TestStore};
use uuid::Uuid;

use crate::workload::Measured;

/// Events per case before the measured command.
pub const CASE_EVENTS: usize = 50;

struct World {
    source: String,
    definition: ProcessDefinition,
    actors: BTreeMap<String, Actor>,
}

fn world() -> anyhow::Result<World> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/definitions/school-conference.yaml"
    );
    let source = std::fs::read_to_string(path)?;
    let definition = kroonika_processes::check(&source)
        .definition
        .ok_or_else(|| anyhow::anyhow!("the school-conference example does not check"))?;
    let actors = [
        ("anu", "admin"),
        ("mari", "coordinator"),
        ("jaan", "facilitator"),
        ("piret", "facilitator"),
    ]
    .into_iter()
    .map(|(name, role)| {
        (
            name.to_owned(),
            Actor {
                name: name.to_owned(),
                roles: [role.to_owned()].into(),
                ..Actor::default()
            },
        )
    })
    .collect();
    Ok(World {
        source,
        definition,
        actors,
    })
}

fn input(pairs: &[(&str, &str)]) -> RawInput {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), RawValue::Text(vec![(*v).to_owned()])))
        .collect()
}

fn fold(events: &[RecordedEvent]) -> Result<Case, Rejection> {
    let mut case = Case::default();
    for event in events {
        let decoded = CaseEvent::from_parts(&event.event_type, event.data.as_str())
            .map_err(|e| Rejection::new(Code::InvalidInput, e.to_string()))?;
        case.evolve(&decoded, event.metadata.occurred_at, event.revision);
    }
    Ok(case)
}

fn to_new(events: &[CaseEvent], actor: &str) -> Result<Vec<NewEvent>, Rejection> {
    let metadata = Metadata::for_command(actor, Uuid::now_v7(), Utc::now());
    events
        .iter()
        .map(|e| {
            NewEvent::new(Uuid::now_v7(), e.event_type(), &e.data(), metadata.clone())
                .map_err(|err| Rejection::new(Code::InvalidInput, err.to_string()))
        })
        .collect()
}

/// The history of one 50-event case, decided by the engine in memory.
fn history(world: &World, reference: &str) -> anyhow::Result<Vec<NewEvent>> {
    let now = Utc::now();
    let cx = |actor: &'static str| case::Context {
        definition: &world.definition,
        version: 1,
        actor: &world.actors[actor],
        actors: &world.actors,
        now,
        occurred_at: now,
    };
    let mut events: Vec<CaseEvent> = Vec::new();
    let mut case = Case::default();
    let apply = |new: Vec<CaseEvent>, case: &mut Case, events: &mut Vec<CaseEvent>| {
        for e in new {
            case.evolve(&e, now, events.len() as u64);
            events.push(e);
        }
    };
    let opening = input(&[
        ("referral_source", "school"),
        ("referred_on", "2026-11-19"),
        ("minor_involved", "true"),
        ("victim_name", "Mari Maasikas"),
        ("victim_phone", "+372 5555 1234"),
    ]);
    apply(
        case::open(&cx("mari"), reference, &opening)?,
        &mut case,
        &mut events,
    );
    apply(
        case::take(
            &cx("mari"),
            &case,
            "assign",
            &input(&[("facilitators", "jaan,piret")]),
        )?,
        &mut case,
        &mut events,
    );
    for task in ["victim-consent", "respondent-consent", "risk-assessed"] {
        apply(
            case::complete_task(&cx("jaan"), &case, task)?,
            &mut case,
            &mut events,
        );
    }
    apply(
        case::take(&cx("jaan"), &case, "schedule", &RawInput::new())?,
        &mut case,
        &mut events,
    );
    apply(
        case::take(
            &cx("piret"),
            &case,
            "agreed",
            &input(&[("agreement", "Apology"), ("participants", "4")]),
        )?,
        &mut case,
        &mut events,
    );
    while events.len() < CASE_EVENTS {
        apply(
            case::take(
                &cx("mari"),
                &case,
                "log-contact",
                &input(&[("channel", "phone")]),
            )?,
            &mut case,
            &mut events,
        );
    }
    Ok(to_new(&events, "mari")?)
}

/// One measured command at store level: `log-contact` on the case in
/// `stream`, loaded, folded, decided and written with its exact revision.
async fn command(store: &Store, world: &World, stream: &StreamName) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let contact = input(&[("channel", "phone")]);
    let history = store.load_stream(stream).await?;
    let case = fold(&history)?;
    let now = Utc::now();
    let cx = case::Context {
        definition: &world.definition,
        version: 1,
        actor: &world.actors["mari"],
        actors: &world.actors,
        now,
        occurred_at: now,
    };
    let decided = case::take(&cx, &case, "log-contact", &contact)?;
    let expected = ExpectedRevision::Exact(history.len() as u64 - 1);
    let mut write = Write::append(stream, expected, to_new(&decided, "mari")?);
    write.streams[0].timer = Timer::Keep;
    store.write(&write).await?;
    Ok(started.elapsed())
}

/// Publishes the school-conference example as version 1, as `def publish`
/// would, and registers its actors, as `actor add` would.
async fn publish(store: &Store, world: &World) -> anyhow::Result<()> {
    for actor in world.actors.values() {
        let event = kroonika_engine::actors::ActorEvent::ActorRegistered {
            name: actor.name.clone(),
            roles: actor.roles.iter().cloned().collect(),
        };
        let metadata = Metadata::for_command("anu", Uuid::now_v7(), Utc::now());
        let new = NewEvent::new(Uuid::now_v7(), event.event_type(), &event.data(), metadata)?;
        store
            .append(
                &StreamName::from_parts(kroonika_engine::actors::CATEGORY, &actor.name)?,
                ExpectedRevision::NoStream,
                &[new],
            )
            .await?;
    }
    let published = publishing::DefinitionPublished {
        process: world.definition.id.clone(),
        version: 1,
        title: world.definition.title.as_str().to_owned(),
        content_hash: kroonika_processes::content_hash(&world.source),
        source: world.source.clone(),
    };
    let metadata = Metadata::for_command("tiina", Uuid::now_v7(), Utc::now());
    let event = NewEvent::new(
        Uuid::now_v7(),
        publishing::PUBLISHED,
        &serde_json::to_value(&published)?,
        metadata,
    )?;
    store
        .append(
            &StreamName::from_parts(publishing::CATEGORY, &world.definition.id)?,
            ExpectedRevision::NoStream,
            &[event],
        )
        .await?;
    Ok(())
}

/// Writes `cases` cases of 50 events (not measured); returns their streams.
async fn prepare(store: &Store, world: &World, cases: usize) -> anyhow::Result<Vec<StreamName>> {
    // Published first: projections read the fields' types from it.
    publish(store, world).await?;
    let mut streams = Vec::with_capacity(cases);
    for i in 0..cases {
        let stream = StreamName::from_parts("case", Uuid::now_v7())?;
        let events = history(world, &format!("SC-2026-{:04}", i + 1))?;
        store
            .append(&stream, ExpectedRevision::NoStream, &events)
            .await?;
        streams.push(stream);
    }
    Ok(streams)
}

/// `cases` prepared cases of 50 events on `store`: their ids.
pub async fn prepared(store: &Store, cases: usize) -> anyhow::Result<Vec<String>> {
    let world = world()?;
    let streams = prepare(store, &world, cases).await?;
    Ok(streams.iter().map(|s| s.id().to_owned()).collect())
}

/// Latency of single commands, one per 50-event case.
pub async fn latency(backend: Backend, cases: usize) -> anyhow::Result<Measured> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let world = world()?;
    let streams = prepare(&t.store, &world, cases).await?;
    let mut latencies = Vec::with_capacity(cases);
    let started = Instant::now();
    for stream in &streams {
        latencies.push(command(&t.store, &world, stream).await?);
    }
    let elapsed = started.elapsed();
    t.cleanup().await;
    Ok(Measured {
        events: cases,
        elapsed,
        latencies,
    })
}

/// Commands through the application layer: one long-lived `App` shared by
/// `clients` concurrent clients, each command on a 50-event case of its own
/// (as the store-level latency measures). `remember`: whether the app has
/// worked on each case once before (unmeasured) and remembers it, or has never
/// seen it and reads it.
pub async fn through_app(
    backend: Backend,
    clients: usize,
    commands_per_client: usize,
    remember: bool,
    group_commit: bool,
) -> anyhow::Result<Measured> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let world = world()?;
    let streams = prepare(&t.store, &world, clients * commands_per_client).await?;
    let options = kroonika_app::Options {
        remember: if remember { 100_000 } else { 0 },
        ..kroonika_app::Options::default()
    };
    // The application's own store, with group commit as asked.
    let store = Store::open_with(
        &t.url,
        kroonika_store::StoreOptions {
            group_commit,
            ..kroonika_store::StoreOptions::default()
        },
    )
    .await?;
    let app = kroonika_app::App::new(store.clone(), options).await?;
    let ids: Vec<String> = streams.iter().map(|s| s.id().to_owned()).collect();
    if remember {
        for id in &ids {
            app_command(&app, id).await?;
        }
    }
    let warmed = store.group_stats();
    let started = Instant::now();
    let latencies = if clients == 1 {
        // One client runs in this task, as the store-level one does.
        let mut latencies = Vec::with_capacity(ids.len());
        for id in &ids {
            latencies.push(app_command(&app, id).await?);
        }
        latencies
    } else {
        let mut tasks = Vec::new();
        for own in ids.chunks(commands_per_client) {
            let (app, own) = (app.clone(), own.to_vec());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(own.len());
                for id in &own {
                    latencies.push(app_command(&app, id).await?);
                }
                anyhow::Ok(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        latencies
    };
    let elapsed = started.elapsed();
    // The measured commands' groups only (the warm-up went one by one).
    let grouped = store.group_stats();
    let (writes, groups) = (
        grouped.writes - warmed.writes,
        grouped.groups - warmed.groups,
    );
    if groups > 0 {
        eprintln!(
            "  group commit: {writes} writes in {groups} groups ({:.1} a group)",
            writes as f64 / groups as f64
        );
    }
    drop(app);
    store.close().await;
    t.cleanup().await;
    Ok(Measured {
        events: clients * commands_per_client,
        elapsed,
        latencies,
    })
}

/// One `log-contact` through `App::execute`.
async fn app_command(app: &kroonika_app::App, case: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let command = kroonika_app::CaseCommand::Take {
        step: "log-contact".to_owned(),
        input: kroonika_app::Input::texts([("channel", "phone")]),
    };
    app.execute(
        &kroonika_app::Request::new("mari", "case do"),
        Some(case),
        command,
    )
    .await?;
    Ok(started.elapsed())
}

/// Peak resident memory of this process so far, in KiB (Linux).
pub fn peak_rss_kib() -> u64 {
    status_kib("self", "VmHWM:")
}

/// A `/proc/<pid>/status` field in KiB (0 if it cannot be read).
pub fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// Rebuilds over `cases` × 50 events, through the CLI's own `projections
/// rebuild` (in-process): each projection alone, then all of them as the
/// command does by default. Returns, per run, its name, the measurement and the
/// peak memory (KiB) the process reached during it.
pub async fn rebuild(
    backend: Backend,
    cases: usize,
) -> anyhow::Result<Vec<(&'static str, Measured, u64)>> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let world = world()?;
    prepare(&t.store, &world, cases).await?;
    let events = t.store.head_position().await? as usize;
    let mut runs = Vec::new();
    for name in ["case-list", "case-facts", "all"] {
        // Reset this process's peak RSS, so the figure is this rebuild's own.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let mut args = vec!["kroonika", "--db", &t.url, "projections", "rebuild"];
        if name != "all" {
            args.push(name);
        }
        let started = Instant::now();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = kroonika_cli::run(args, &mut out, &mut err).await;
        let elapsed = started.elapsed();
        anyhow::ensure!(
            code == 0,
            "rebuild failed: {}",
            String::from_utf8_lossy(&err)
        );
        runs.push((
            name,
            Measured {
                events,
                elapsed,
                latencies: Vec::new(),
            },
            peak_rss_kib(),
        ));
    }
    t.cleanup().await;
    Ok(runs)
}

/// `kroonika timers run` over `open` open cases, of which `due` have a deadline
/// that has passed (opened a month ago; the rest today, due next week). Each
/// case is opened by the engine and appended with its wake-up, as `case open`
/// does. Returns the time `timers run` took and the cases it handled.
pub async fn timers(
    backend: Backend,
    open: usize,
    due: usize,
) -> anyhow::Result<(Duration, usize)> {
    let t = TestStore::new(backend)
        .await
        .ok_or_else(|| anyhow::anyhow!("backend not available"))?;
    let world = world()?;
    publish(&t.store, &world).await?;
    let now = Utc::now();
    let opening = input(&[
        ("referral_source", "school"),
        ("referred_on", "2026-11-19"),
        ("minor_involved", "false"),
        ("victim_name", "Mari Maasikas"),
        ("victim_phone", "+372 5555 1234"),
    ]);
    for i in 0..open {
        let occurred_at = if i < due {
            now - chrono::Duration::days(30)
        } else {
            now
        };
        let cx = case::Context {
            definition: &world.definition,
            version: 1,
            actor: &world.actors["mari"],
            actors: &world.actors,
            now,
            occurred_at,
        };
        let opened = case::open(&cx, &format!("SC-2026-{:06}", i + 1), &opening)?;
        let mut case = Case::default();
        case.evolve(&opened[0], occurred_at, 0);
        let wake = case.next_wake().map_or(Timer::Keep, Timer::Set);
        let stream = StreamName::from_parts("case", Uuid::now_v7())?;
        let mut write = Write::append(
            &stream,
            ExpectedRevision::NoStream,
            to_new(&opened, "mari")?,
        );
        write.streams[0].timer = wake;
        t.store.write(&write).await?;
    }
    let started = Instant::now();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = kroonika_cli::run(
        ["kroonika", "--db", &t.url, "timers", "run"],
        &mut out,
        &mut err,
    )
    .await;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        code == 0,
        "timers run failed: {}",
        String::from_utf8_lossy(&err)
    );
    let handled = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| l.contains("SC-2026-"))
        .count();
    t.cleanup().await;
    Ok((elapsed, handled))
}

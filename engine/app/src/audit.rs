//! For auditors: the trail of every recorded act, the log's head to write
//! down, and verification: the hash chain recomputed over the whole log (the
//! first broken place named) and every event replayed against the rules it
//! claims to follow (`kroonika_engine::conformance`), so an event written around
//! Kroonika, hashes and all, is found too.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kroonika_engine::Metadata;
use kroonika_engine::RecordedEvent;
use kroonika_engine::actors::{self, ActorEvent};
use kroonika_engine::auth::{self, AuthEvent};
use kroonika_engine::case::{self, CaseEvent, ReferenceAllocated};
use kroonika_engine::conformance::{Entry, Finding, Replay};
use kroonika_engine::publishing::{self, DefinitionPublished};
use kroonika_store::ReadFrom;
use kroonika_store::chain::{self, Break, Hash};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::checkpoint::Checkpoint;
use crate::command::Request;
use crate::error::{Error, Result};
use crate::permissions::Reading;
use crate::{App, cases};

/// Which acts the trail shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailFilter {
    /// Only this case (reference or id).
    pub case: Option<String>,
    /// Only what this actor did.
    pub by: Option<String>,
    /// At or after, by `time`.
    pub from: Option<DateTime<Utc>>,
    /// At or before, by `time`.
    pub to: Option<DateTime<Utc>>,
    /// Which of an act's two times `from` and `to` judge.
    pub time: TrailTime,
    /// Skip this many matching acts (paging).
    pub offset: usize,
    /// At most this many acts; None: all.
    pub limit: Option<usize>,
}

/// An act's two times: when it was recorded, and when it happened (the
/// occurred-at a backdated command gives; the same as recorded otherwise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrailTime {
    #[default]
    Recorded,
    Occurred,
}

/// A page of the trail, and how many acts match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Trail {
    pub rows: Vec<TrailRow>,
    pub total: usize,
}

/// How many acts of one kind an actor did in the trail's period: the summary
/// an auditor reads before the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailCount {
    pub actor: String,
    /// The kind of act: the event's type, or `step <name>` for a case step.
    pub action: String,
    pub count: u64,
    /// When the first and last of them happened (occurred-at).
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl TrailCount {
    /// The JSON form `audit trail --summary --format json` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "actor": self.actor,
            "action": self.action,
            "count": self.count,
            "first": self.first,
            "last": self.last,
        })
    }
}

/// One recorded act, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailRow {
    pub event: RecordedEvent,
    /// The case reference it concerns (empty if none).
    pub reference: String,
    pub what: String,
}

impl TrailRow {
    /// The JSON form `audit trail --format json` prints.
    pub fn to_json(&self) -> Value {
        let event = &self.event;
        json!({
            "position": event.position,
            "recorded_at": event.recorded_at,
            "occurred_at": event.metadata.occurred_at,
            "actor": event.metadata.actor,
            "case": if self.reference.is_empty() { None } else { Some(&self.reference) },
            "stream": event.stream,
            "what": self.what,
            "definition": event.metadata.extra.get("definition"),
            "command_id": event.metadata.command_id,
        })
    }
}

/// The log's last position and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub position: u64,
    /// None for an event written before the chain existed.
    pub hash: Option<Hash>,
    pub recorded_at: DateTime<Utc>,
    pub store_id: String,
}

/// What verification found.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Events whose hash was checked.
    pub events: u64,
    /// Events before the chain existed.
    pub before_chain: u64,
    /// The last position the chain verified to, and its hash.
    pub head: Option<(u64, Hash)>,
    pub broken: Option<Break>,
    /// The recorded head given to check against, and where it is in the log
    /// (None: not in today's log, or past where the chain broke).
    pub against: Option<(Hash, Option<u64>)>,
    pub case_events: u64,
    pub cases: usize,
    /// Events the rules would not have produced, with their positions.
    pub findings: Vec<(u64, Finding)>,
    /// Subject keys the log does not account for (see [`keys_accounted`]).
    pub key_findings: Vec<String>,
    /// Each checkpoint given, and what is wrong with the log against it
    /// (None: the log extends it).
    pub checkpoints: Vec<(Checkpoint, Option<String>)>,
    /// With [`Expected::derived`]: where the stored projections and
    /// wake-ups differ from what the log gives (empty: they agree).
    pub derived: Option<Vec<String>>,
}

/// What a verification checks the log against, beyond itself.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// A head hash written down earlier (`audit head`).
    pub against: Option<Hash>,
    /// Signed checkpoints, already opened with the auditor's key.
    pub checkpoints: Vec<Checkpoint>,
    /// Fold the projections and wake-ups again and compare them with the
    /// stored ones (see [`crate::derived`]).
    pub derived: bool,
}

impl Verified {
    /// Whether the log is intact and every event conforms (and the recorded
    /// head, if given, is in it).
    pub fn holds(&self) -> bool {
        self.broken.is_none()
            && self.before_chain == 0
            && self.findings.is_empty()
            && self.key_findings.is_empty()
            && self.against.as_ref().is_none_or(|(_, at)| at.is_some())
            && self.checkpoints.iter().all(|(_, wrong)| wrong.is_none())
            && self.derived.as_ref().is_none_or(Vec::is_empty)
    }

    /// The JSON form `audit verify --format json` prints (and the server sends).
    pub fn to_json(&self) -> Value {
        let verified = self;
        let verified_to = verified.head.map_or(0, |(p, _)| p);
        let head_hash = verified.head.map(|(_, h)| chain::to_hex(&h));
        json!({
            "verified": verified.holds(),
            "events": verified.events,
            "before_chain": verified.before_chain,
            "head": { "position": verified_to, "hash": head_hash },
            "broken": verified.broken.as_ref().map(|b| json!({
                "position": b.position,
                "stream": b.stream,
                "revision": b.revision,
                "type": b.event_type,
                "what": b.to_string(),
            })),
            "against": verified.against.as_ref().map(|(h, at)| json!({ "hash": chain::to_hex(h), "position": at })),
            "subject_keys": verified.key_findings,
            "derived": verified.derived,
            "checkpoints": verified.checkpoints.iter().map(|(c, wrong)| json!({
                "store_id": c.store_id,
                "position": c.position,
                "hash": chain::to_hex(&c.hash),
                "time": c.time,
                "signer": c.signer,
                "holds": wrong.is_none(),
                "why": wrong,
            })).collect::<Vec<_>>(),
            "conformance": {
                "case_events": verified.case_events,
                "cases": verified.cases,
                "findings": verified.findings.iter().map(|(position, f)| json!({
                    "position": position,
                    "stream": f.stream,
                    "revision": f.revision,
                    "type": f.event_type,
                    "why": f.why,
                })).collect::<Vec<_>>(),
            },
        })
    }

    /// The failure, as the integrity error a front end reports (exit 4).
    pub fn failure(&self) -> Option<Error> {
        if let Some(broken) = &self.broken {
            return Some(Error::Integrity(broken.to_string()));
        }
        // A signed statement broken says most: it is named first.
        if let Some((checkpoint, Some(wrong))) =
            self.checkpoints.iter().find(|(_, wrong)| wrong.is_some())
        {
            return Some(Error::Integrity(format!(
                "{checkpoint} (position {}): {wrong}",
                checkpoint.position
            )));
        }
        if self.before_chain > 0 {
            return Some(Error::Integrity(unchained(self.before_chain)));
        }
        if let Some((position, first)) = self.findings.first() {
            return Some(Error::Integrity(format!(
                "{} event(s) the rules would not have allowed; the first, position {position} ({}, revision {}, {}): {}",
                self.findings.len(),
                first.stream,
                first.revision,
                first.event_type,
                first.why
            )));
        }
        if let Some(first) = self.key_findings.first() {
            return Some(Error::Integrity(format!(
                "{} subject key(s) the log does not account for; the first: {first}",
                self.key_findings.len()
            )));
        }
        if let Some(first) = self.derived.as_ref().and_then(|d| d.first()) {
            return Some(Error::Integrity(format!(
                "stored state the log does not give: {first}"
            )));
        }
        if let Some((hash, None)) = &self.against {
            return Some(Error::Integrity(format!(
                "the recorded head {} is not in today's log: history up to it was rewritten, or the log was cut back",
                chain::to_hex(hash)
            )));
        }
        None
    }
}

/// The subjects the log names: by the sealed values of case events
/// (`v1.<subject id>.…`, outer layer) and by erasures.
#[derive(Debug, Default)]
struct NamedSubjects {
    /// Subject id → the case stream that first sealed data under it.
    sealed: HashMap<Uuid, String>,
    /// Subject id → the stream whose `SubjectErased` erased it.
    erased: HashMap<Uuid, String>,
}

impl NamedSubjects {
    fn feed(&mut self, row: &kroonika_store::chain::ChainRow) {
        if !row.stream.starts_with("case-") {
            return;
        }
        if row.event_type == "SubjectErased" {
            if let Ok(Value::Object(data)) = serde_json::from_str::<Value>(&row.data)
                && let Some(id) = data
                    .get("subject_id")
                    .and_then(Value::as_str)
                    .and_then(|t| Uuid::parse_str(t).ok())
            {
                self.erased.insert(id, row.stream.clone());
            }
            return;
        }
        if !row.data.contains(kroonika_engine::sealed::SEALED) {
            return;
        }
        if let Ok(data) = serde_json::from_str::<Value>(&row.data) {
            let mut stack = vec![&data];
            while let Some(value) = stack.pop() {
                if let Some(text) = kroonika_engine::sealed::sealed_text(value) {
                    if let Some(id) = text
                        .strip_prefix("v1.")
                        .and_then(|rest| rest.split('.').next())
                        .and_then(|id| Uuid::parse_str(id).ok())
                    {
                        self.sealed.entry(id).or_insert_with(|| row.stream.clone());
                    }
                    continue;
                }
                match value {
                    Value::Object(map) => stack.extend(map.values()),
                    Value::Array(items) => stack.extend(items.iter()),
                    _ => {}
                }
            }
        }
    }
}

/// Every subject key row accounted for by the log, and every subject the log
/// names with its key: a key only for a subject whose data the log seals, in
/// that case's stream; erased exactly where a `SubjectErased` says so; no
/// wrapped key shared by two subjects (copied). Each mismatch in words.
fn keys_accounted(named: &NamedSubjects, rows: &[kroonika_store::SubjectKeyRow]) -> Vec<String> {
    let mut findings = Vec::new();
    let mut by_subject: HashMap<Uuid, &kroonika_store::SubjectKeyRow> = HashMap::new();
    let mut by_wrapped: HashMap<&[u8], Uuid> = HashMap::new();
    for row in rows {
        by_subject.insert(row.subject, row);
        let (subject, stream) = (row.subject, &row.stream);
        match named.sealed.get(&subject).or(named.erased.get(&subject)) {
            None => findings.push(format!(
                "subject {subject} ({}, {stream}) has a key, but no event of the log seals data under it",
                row.name
            )),
            Some(named_in) if named_in != stream => findings.push(format!(
                "subject {subject} ({}) has a key for {stream}, but the log seals its data in {named_in}",
                row.name
            )),
            Some(_) => {}
        }
        match (&row.wrapped, named.erased.contains_key(&subject)) {
            (None, false) => findings.push(format!(
                "subject {subject} ({}, {stream}) has no key, but no SubjectErased event erased it",
                row.name
            )),
            (Some(_), true) => findings.push(format!(
                "subject {subject} ({}, {stream}) was erased by a SubjectErased event, but its key is still stored",
                row.name
            )),
            _ => {}
        }
        if let Some(wrapped) = &row.wrapped
            && let Some(other) = by_wrapped.insert(wrapped.as_slice(), subject)
        {
            findings.push(format!(
                "subject {subject} ({stream}) has the same wrapped key as subject {other}: a key was copied"
            ));
        }
    }
    let mut missing: Vec<(&Uuid, &String)> = named
        .sealed
        .iter()
        .filter(|(subject, _)| !by_subject.contains_key(subject))
        .collect();
    missing.sort();
    for (subject, stream) in missing {
        findings.push(format!(
            "subject {subject} ({stream}): the log seals data under it, but its key row is gone (removed outside Kroonika)"
        ));
    }
    findings
}

/// Why events without a hash are a finding, not a note: the chain's starting
/// point is one row of `store_info`, so someone who can rewrite the log can
/// also move it and remove the hashes; nothing then proves those events.
pub(crate) fn unchained(count: u64) -> String {
    format!(
        "the first {count} event(s) (positions 1 to {count}) have no hash, so nothing proves they were not rewritten: \
         either the store predates the hash chain, or the hashes were removed and the chain's start moved"
    )
}

impl App {
    /// The recorded acts that `filter` lets through, oldest first: the page
    /// it asks for, and how many match in all.
    pub async fn trail(&self, request: &Request, filter: &TrailFilter) -> Result<Trail> {
        let mut rows = Vec::new();
        let mut total = 0;
        self.each_act(request, filter, |event, references| {
            total += 1;
            if total > filter.offset && filter.limit.is_none_or(|limit| rows.len() < limit) {
                let reference = references
                    .get(event.stream.as_str())
                    .cloned()
                    .unwrap_or_default();
                let what = what(&event);
                rows.push(TrailRow {
                    event,
                    reference,
                    what,
                });
            }
        })
        .await?;
        Ok(Trail { rows, total })
    }

    /// How many acts of each kind each actor did among those `filter` lets
    /// through (its paging aside), by actor and then by count.
    pub async fn trail_summary(
        &self,
        request: &Request,
        filter: &TrailFilter,
    ) -> Result<Vec<TrailCount>> {
        let mut counts: HashMap<(String, String), TrailCount> = HashMap::new();
        self.each_act(request, filter, |event, _| {
            let action = match event.event_type.as_str() {
                "TransitionTaken" => {
                    match CaseEvent::from_parts(&event.event_type, event.data.as_str()) {
                        Ok(CaseEvent::TransitionTaken { transition, .. }) => {
                            format!("step {transition}")
                        }
                        _ => event.event_type.clone(),
                    }
                }
                other => other.to_owned(),
            };
            let at = event.metadata.occurred_at;
            let actor = event.metadata.actor.clone();
            counts
                .entry((actor.clone(), action.clone()))
                .and_modify(|c| {
                    c.count += 1;
                    c.first = c.first.min(at);
                    c.last = c.last.max(at);
                })
                .or_insert(TrailCount {
                    actor,
                    action,
                    count: 1,
                    first: at,
                    last: at,
                });
        })
        .await?;
        let mut counts: Vec<TrailCount> = counts.into_values().collect();
        counts.sort_by(|a, b| {
            (&a.actor, std::cmp::Reverse(a.count), &a.action).cmp(&(
                &b.actor,
                std::cmp::Reverse(b.count),
                &b.action,
            ))
        });
        Ok(counts)
    }

    /// Calls `each` with every recorded act `filter` lets through (its paging
    /// aside), oldest first, and the case references known so far.
    async fn each_act(
        &self,
        request: &Request,
        filter: &TrailFilter,
        mut each: impl FnMut(RecordedEvent, &HashMap<String, String>),
    ) -> Result<()> {
        self.reader(request, Reading::Log).await?;
        let only_stream = match &filter.case {
            Some(text) => Some(case::stream(self.case_id(text).await?).to_string()),
            None => None,
        };
        let mut references: HashMap<String, String> = HashMap::new();
        let mut scan = self.inner.store.scan(None, ReadFrom::Start, 1_000);
        while let Some(page) = scan.next_page().await? {
            for event in page {
                if event.event_type == "CaseOpened"
                    && let Ok(CaseEvent::CaseOpened { reference, .. }) =
                        CaseEvent::from_parts(&event.event_type, event.data.as_str())
                {
                    references.insert(event.stream.to_string(), reference);
                }
                let at = match filter.time {
                    TrailTime::Recorded => event.recorded_at,
                    TrailTime::Occurred => event.metadata.occurred_at,
                };
                let wanted = only_stream
                    .as_ref()
                    .is_none_or(|s| *s == event.stream.as_str())
                    && filter
                        .by
                        .as_ref()
                        .is_none_or(|b| *b == event.metadata.actor)
                    && filter.from.is_none_or(|f| at >= f)
                    && filter.to.is_none_or(|t| at <= t);
                if wanted {
                    each(event, &references);
                }
            }
        }
        Ok(())
    }

    /// The log's head (None when it is empty).
    pub async fn head(&self, request: &Request) -> Result<Option<Head>> {
        self.reader(request, Reading::Log).await?;
        let store = &self.inner.store;
        let Some(row) = store.chain_head().await? else {
            return Ok(None);
        };
        Ok(Some(Head {
            position: row.position,
            hash: row.hash,
            recorded_at: row.recorded_at,
            store_id: store.info().await?.store_id,
        }))
    }

    /// The store's id (what `audit head` prints beside the head).
    pub async fn store_id(&self) -> Result<String> {
        Ok(self.inner.store.info().await?.store_id)
    }

    /// Verifies the whole log: the hash chain, every event against its rules,
    /// and (with `against`) that a head recorded earlier is still in it.
    /// `progress` is told positions as it goes.
    pub async fn verify(
        &self,
        request: &Request,
        expected: &Expected,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Verified> {
        let against = expected.against;
        self.reader(request, Reading::Log).await?;
        // The published definitions alone: an actor event changed outside
        // Kroonika must be found by the replay, not stop it.
        let mut catalog = kroonika_projections::Catalog::default();
        let mut scan = self
            .inner
            .store
            .scan(Some(publishing::CATEGORY), ReadFrom::Start, 1_000);
        while let Some(page) = scan.next_page().await? {
            for event in page {
                let Ok(published) = event.data.decode::<DefinitionPublished>() else {
                    continue;
                };
                if let Some(definition) = kroonika_processes::check(&published.source).definition {
                    catalog.insert(published.version, definition);
                }
            }
        }
        let mut replay = Replay::default();
        let mut findings: Vec<(u64, Finding)> = Vec::new();
        let mut named = NamedSubjects::default();
        let mut found_at: Option<u64> = None;
        // The stored hash at each checkpoint's position.
        let mut at_checkpoints: HashMap<u64, Option<Hash>> = expected
            .checkpoints
            .iter()
            .map(|c| (c.position, None))
            .collect();
        let report = self
            .inner
            .store
            .verify_chain(|row| {
                if row.position % 1_000 == 0 {
                    progress(row.position);
                }
                if against.is_some() && row.hash == against {
                    found_at = Some(row.position);
                }
                if let Some(slot) = at_checkpoints.get_mut(&row.position) {
                    *slot = row.hash;
                }
                named.feed(row);
                let finding = match serde_json::from_str::<Metadata>(&row.metadata) {
                    Ok(metadata) => replay.feed(
                        Entry {
                            stream: &row.stream,
                            revision: row.revision,
                            event_type: &row.event_type,
                            data: &row.data,
                            metadata: &metadata,
                        },
                        |process, version| catalog.get(process, version),
                    ),
                    Err(err) => Some(Finding {
                        stream: row.stream.clone(),
                        revision: row.revision,
                        event_type: row.event_type.clone(),
                        why: format!("its metadata is not Kroonika's: {err}"),
                    }),
                };
                if let Some(finding) = finding {
                    findings.push((row.position, finding));
                }
            })
            .await?;
        let key_findings = keys_accounted(&named, &self.inner.store.subject_keys(None).await?);
        let derived = if expected.derived {
            Some(self.verify_derived(request, progress).await?)
        } else {
            None
        };
        // A recorded head counts only if the chain verified up to it.
        let verified_to = report.head.map_or(0, |(p, _)| p);
        let store_id = self.inner.store.info().await?.store_id;
        let events = self.inner.store.head_position().await?;
        let checkpoints = expected
            .checkpoints
            .iter()
            .map(|c| {
                let stored = at_checkpoints.get(&c.position).copied().flatten();
                (
                    c.clone(),
                    against_checkpoint(c, &store_id, stored, events, verified_to),
                )
            })
            .collect();
        Ok(Verified {
            events: report.checked,
            before_chain: report.unchained,
            head: report.head,
            broken: report.broken,
            against: against.map(|hash| (hash, found_at.filter(|p| *p <= verified_to))),
            case_events: replay.checked,
            cases: replay.cases(),
            findings,
            key_findings,
            checkpoints,
            derived,
        })
    }
}

/// What is wrong with today's log against a checkpoint, if anything: `stored`
/// is the hash at its position, `events` how many events the log holds, and
/// `verified_to` how far the chain verified.
pub(crate) fn against_checkpoint(
    checkpoint: &Checkpoint,
    store_id: &str,
    stored: Option<Hash>,
    events: u64,
    verified_to: u64,
) -> Option<String> {
    if checkpoint.store_id != store_id {
        return Some(format!(
            "it was signed for store {}, and this is store {store_id}",
            checkpoint.store_id
        ));
    }
    if checkpoint.position == 0 {
        return None;
    }
    if events < checkpoint.position {
        return Some(format!(
            "the log ends at position {events}, before the checkpoint's {}: it was cut back",
            checkpoint.position
        ));
    }
    match stored {
        Some(hash) if hash == checkpoint.hash && checkpoint.position <= verified_to => None,
        Some(hash) if hash == checkpoint.hash => Some(format!(
            "the chain breaks before position {}, so the log up to it is not the one signed",
            checkpoint.position
        )),
        Some(hash) => Some(format!(
            "position {} has hash {}, and the checkpoint signed {}: history up to it was rewritten",
            checkpoint.position,
            chain::to_hex(&hash),
            chain::to_hex(&checkpoint.hash)
        )),
        None => Some(format!(
            "position {} has no hash, and the checkpoint signed {}: the chain was removed and history rewritten",
            checkpoint.position,
            chain::to_hex(&checkpoint.hash)
        )),
    }
}

/// What an event says, in words.
fn what(event: &RecordedEvent) -> String {
    match event.stream.category() {
        case::CATEGORY => cases::view::describe_recorded(event),
        actors::CATEGORY => match ActorEvent::from_parts(&event.event_type, event.data.as_str()) {
            Ok(ActorEvent::ActorRegistered { name, roles }) => {
                format!("registered actor {name} ({})", roles.join(", "))
            }
            Ok(ActorEvent::RoleGranted { role }) => {
                format!("granted {role} to {}", event.stream.id())
            }
            Ok(ActorEvent::RoleRevoked { role }) => {
                format!("revoked {role} from {}", event.stream.id())
            }
            Ok(ActorEvent::ActorDeactivated { reason }) => {
                format!("deactivated {}: {reason}", event.stream.id())
            }
            Ok(ActorEvent::ActorReactivated {}) => {
                format!("reactivated {}", event.stream.id())
            }
            Ok(ActorEvent::RegionSet { region }) => match region {
                Some(region) => format!("set {}'s region to {region}", event.stream.id()),
                None => format!("cleared {}'s region", event.stream.id()),
            },
            Ok(ActorEvent::ProfileRecorded {
                profile,
                case,
                values,
                roles,
                ..
            }) => {
                let state = values
                    .get(kroonika_engine::case::profile::STATE)
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                let roles = if roles.is_empty() {
                    "no roles".to_owned()
                } else {
                    roles.join(", ")
                };
                format!(
                    "{case} recorded {}'s {profile} profile: {state} ({roles})",
                    event.stream.id()
                )
            }
            Err(_) => event.event_type.clone(),
        },
        publishing::CATEGORY => match event.data.decode::<DefinitionPublished>() {
            Ok(p) => format!(
                "published {} version {} ({})",
                p.process, p.version, p.content_hash
            ),
            Err(_) => event.event_type.clone(),
        },
        auth::CATEGORY => match AuthEvent::from_parts(&event.event_type, event.data.as_str()) {
            Ok(record) => record.describe(event.stream.id()),
            Err(_) => event.event_type.clone(),
        },
        case::REFERENCE_CATEGORY => match event.data.decode::<ReferenceAllocated>() {
            Ok(allocated) => format!("allocated reference {}", allocated.reference),
            Err(_) => "allocated reference ".to_owned(),
        },
        _ => event.event_type.clone(),
    }
}

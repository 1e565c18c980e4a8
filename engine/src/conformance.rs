//! Conformance: replaying the log against the rules it claims to follow.
//!
//! The hash chain proves that history was not changed after it was written; it
//! cannot tell whether an event was ever allowed (one written straight into the
//! database, by someone who also recomputed the hashes, chains as well as any).
//! [`Replay`] folds the log in order and, for every event that a command
//! produced, decides that command again, with the actors, the published
//! definition version and the case as they were at that point, and compares:
//! an event the rules would not have produced, or would have refused, is a
//! [`Finding`].
//!
//! What is decided again: case events (opening, steps, tasks, corrections,
//! migrations, deadlines, erasures, legal holds), definition publications (by a
//! service owner or administrator, numbered in order), actor administration
//! (by an administrator) and profiles recorded on actors (each must be exactly
//! what the case step of the same command decided). Sealed personal values are passed back sealed
//! ([`crate::case::RawValue::Sealed`]): their checks were made in the clear when
//! they were first decided. Pure: the caller reads the log and compiles the
//! definitions.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::actors::{self, Actor, ActorCommand, ActorEvent};
use crate::case::{self, Case, CaseEvent, Context, RawInput, RawValue, privacy};
use crate::definition::ProcessDefinition;
use crate::event::Metadata;
use crate::publishing::DefinitionPublished;
use crate::rejection::Rejection;
use crate::sealed::holds_sealed;

/// The metadata key recording when a backdated command was decided.
pub const DECIDED_AT: &str = "decided_at";

/// One event the rules would not have produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub stream: String,
    pub revision: u64,
    pub event_type: String,
    pub why: String,
}

/// One event as the replay reads it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub stream: &'a str,
    pub revision: u64,
    pub event_type: &'a str,
    pub data: &'a str,
    pub metadata: &'a Metadata,
}

/// The state of the world as the log has built it so far.
#[derive(Debug, Default)]
pub struct Replay {
    actors: BTreeMap<String, Actor>,
    published: HashMap<String, Vec<DefinitionPublished>>,
    cases: HashMap<String, Case>,
    /// Profiles a case step recorded, by actor, awaiting the actor's
    /// `ProfileRecorded` written by the same command.
    profiles: HashMap<String, (uuid::Uuid, ActorEvent)>,
    /// Events decided again, and cases seen.
    pub checked: u64,
}

impl Replay {
    /// Folds `entry` in, first deciding it again. `definition` returns a
    /// published version, compiled (None when it is not published at all).
    pub fn feed<'d>(
        &mut self,
        entry: Entry<'_>,
        definition: impl Fn(&str, u32) -> Option<&'d ProcessDefinition>,
    ) -> Option<Finding> {
        let finding = |why: String| Finding {
            stream: entry.stream.to_owned(),
            revision: entry.revision,
            event_type: entry.event_type.to_owned(),
            why,
        };
        let (category, id) = entry.stream.split_once('-').unwrap_or((entry.stream, ""));
        match category {
            crate::case::CATEGORY => self.case(entry, definition).err().map(finding),
            actors::CATEGORY => self.actor(entry, id).err().map(finding),
            crate::publishing::CATEGORY => self.publication(entry, id).err().map(finding),
            _ => None,
        }
    }

    /// The actor as the directory knew them, or the system.
    fn who(&self, name: &str) -> Result<Actor, String> {
        if name == actors::SYSTEM {
            return Ok(Actor {
                name: name.to_owned(),
                ..Actor::default()
            });
        }
        self.actors.get(name).cloned().ok_or_else(|| {
            format!("recorded as done by '{name}', who was not a registered actor then")
        })
    }

    fn actor(&mut self, entry: Entry<'_>, name: &str) -> Result<(), String> {
        let event = ActorEvent::from_parts(entry.event_type, entry.data)
            .map_err(|err| format!("not an actor event: {err}"))?;
        let command = match &event {
            ActorEvent::ActorRegistered { name, roles } => ActorCommand::Register {
                name: name.clone(),
                roles: roles.clone(),
            },
            ActorEvent::RoleGranted { role } => ActorCommand::Grant {
                name: name.to_owned(),
                role: role.clone(),
            },
            ActorEvent::RoleRevoked { role } => ActorCommand::Revoke {
                name: name.to_owned(),
                role: role.clone(),
            },
            ActorEvent::ActorDeactivated { reason } => ActorCommand::Deactivate {
                name: name.to_owned(),
                reason: reason.clone(),
            },
            ActorEvent::ActorReactivated {} => ActorCommand::Reactivate {
                name: name.to_owned(),
            },
            ActorEvent::RegionSet { region } => ActorCommand::SetRegion {
                name: name.to_owned(),
                region: region.clone(),
            },
            ActorEvent::ProfileRecorded { .. } => return self.profile(entry, name, event.clone()),
        };
        // The first administrator registers themself (`init --admin`).
        let bootstrap = self.actors.is_empty() && entry.metadata.actor == name;
        let by = if bootstrap {
            None
        } else {
            Some(self.who(&entry.metadata.actor)?)
        };
        let result = actors::decide(&command, self.actors.get(name), by.as_ref());
        let verdict = same(result, std::slice::from_ref(&event));
        let actor = self.actors.entry(name.to_owned()).or_default();
        actor.evolve(&event);
        verdict
    }

    /// A profile is not an administrator's: the case step that recorded it
    /// must have decided exactly this, by the same command.
    fn profile(&mut self, entry: Entry<'_>, name: &str, event: ActorEvent) -> Result<(), String> {
        let verdict = match self.profiles.remove(name) {
            Some((command, expected))
                if command == entry.metadata.command_id && expected == event =>
            {
                Ok(())
            }
            _ => Err("a profile no case step recorded (or not as the step decided it)".to_owned()),
        };
        self.actors
            .entry(name.to_owned())
            .or_default()
            .evolve(&event);
        verdict
    }

    fn publication(&mut self, entry: Entry<'_>, process: &str) -> Result<(), String> {
        let published: DefinitionPublished =
            serde_json::from_str(entry.data).map_err(|err| format!("not a publication: {err}"))?;
        let by = self.who(&entry.metadata.actor)?;
        let history = self.published.entry(process.to_owned()).or_default();
        let verdict = match crate::publishing::decide(
            history,
            &by,
            &published.process,
            &published.title,
            &published.source,
            &published.content_hash,
            true,
        ) {
            Ok(crate::publishing::Publication::New(expected)) if expected == published => Ok(()),
            Ok(_) => Err(format!(
                "version {} of '{}' is not the next version of that text",
                published.version, published.process
            )),
            Err(rejection) => Err(format!("the rules refuse it: {rejection}")),
        };
        history.push(published);
        verdict
    }

    fn case<'d>(
        &mut self,
        entry: Entry<'_>,
        definition: impl Fn(&str, u32) -> Option<&'d ProcessDefinition>,
    ) -> Result<(), String> {
        self.checked += 1;
        let event = CaseEvent::from_parts(entry.event_type, entry.data)
            .map_err(|err| format!("not a case event: {err}"))?;
        let before = self.cases.get(entry.stream).cloned().unwrap_or_default();
        let occurred_at = entry.metadata.occurred_at;
        let verdict = self.decide_again(&before, &event, entry, &definition);
        if let Some(record) = event.profile_record() {
            for actor in &record.actors {
                let recorded = ActorEvent::ProfileRecorded {
                    profile: record.profile.clone(),
                    process: before.process.clone(),
                    case: before.reference.clone(),
                    values: record.values.clone(),
                    roles: record.roles.clone(),
                };
                self.profiles
                    .insert(actor.clone(), (entry.metadata.command_id, recorded));
            }
        }
        self.cases
            .entry(entry.stream.to_owned())
            .or_default()
            .evolve(&event, occurred_at, entry.revision);
        verdict
    }

    fn decide_again<'d>(
        &self,
        case: &Case,
        event: &CaseEvent,
        entry: Entry<'_>,
        definition: &impl Fn(&str, u32) -> Option<&'d ProcessDefinition>,
    ) -> Result<(), String> {
        let (process, version) = match event {
            CaseEvent::CaseOpened {
                process, version, ..
            } => (process.as_str(), *version),
            CaseEvent::CaseMigrated { to_version, .. } => (case.process.as_str(), *to_version),
            _ => (case.process.as_str(), case.version),
        };
        if entry.revision == 0 && !matches!(event, CaseEvent::CaseOpened { .. }) {
            return Err("a case's first event is not its opening".to_owned());
        }
        let published = self
            .published
            .get(process)
            .is_some_and(|versions| versions.iter().any(|p| p.version == version));
        let def = definition(process, version)
            .filter(|_| published)
            .ok_or_else(|| {
                format!("decided by version {version} of '{process}', which was not published then")
            })?;
        let actor = self.who(&entry.metadata.actor)?;
        let now = decided_at(entry.metadata);
        let cx = Context {
            definition: def,
            version,
            actor: &actor,
            actors: &self.actors,
            now,
            occurred_at: entry.metadata.occurred_at,
        };
        let expected = decide_event(&cx, case, event);
        same(expected, std::slice::from_ref(event))
    }
}

/// The events the rules decide for the command that recorded `event`, on
/// `case` as it stood before it: what deciding again compares with.
pub(crate) fn decide_event(
    cx: &Context<'_>,
    case: &Case,
    event: &CaseEvent,
) -> Result<Vec<CaseEvent>, Rejection> {
    match event {
        CaseEvent::CaseOpened {
            reference, data, ..
        } => case::open(cx, reference, &raw(data)),
        CaseEvent::TransitionTaken {
            transition,
            data,
            input,
            ..
        } => {
            let mut all = raw(data);
            all.extend(raw(input));
            case::take(cx, case, transition, &all)
        }
        CaseEvent::TaskCompleted { task, .. } => case::complete_task(cx, case, task),
        CaseEvent::TaskUndone { task, reason, .. } => case::undo_task(cx, case, task, reason),
        CaseEvent::CaseDataCorrected {
            data,
            reason,
            request,
            ..
        } => case::correct(cx, case, &raw(data), reason, request.as_deref()),
        CaseEvent::CaseMigrated {
            from_state,
            to_state,
            ..
        } => {
            let mut map = BTreeMap::new();
            if from_state != to_state {
                map.insert(from_state.clone(), to_state.clone());
            }
            case::migrate(cx, case, &map)
        }
        CaseEvent::DeadlineWarned { .. }
        | CaseEvent::DeadlineMissed { .. }
        | CaseEvent::NoticeMissed { .. } => case::on_timer(cx, case),
        CaseEvent::NoticeSent {
            notice,
            sent_on,
            reference,
        } => case::send_notice(cx, case, notice, *sent_on, reference.as_deref()),
        CaseEvent::SubjectErased {
            subject,
            subject_id,
            reason,
        } => privacy::erase(cx, case, subject, *subject_id, reason),
        CaseEvent::LegalHoldPlaced { reason } => privacy::hold(cx, case, reason),
        CaseEvent::LegalHoldReleased { reason } => privacy::release(cx, case, reason),
        CaseEvent::NoteAdded { note } => privacy::add_note(cx, case, note),
        CaseEvent::DocumentProduced {
            document,
            language,
            to,
            ..
        } => case::documents::produce(cx, case, document, language, to.as_deref()),
    }
}

/// When the command that recorded an event was decided: its occurred-at,
/// unless it was backdated.
pub(crate) fn decided_at(metadata: &Metadata) -> DateTime<Utc> {
    metadata
        .extra
        .get(DECIDED_AT)
        .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
        .unwrap_or(metadata.occurred_at)
}

/// Recorded values as a command's input: sealed ones passed back sealed.
pub(crate) fn raw(values: &BTreeMap<String, Value>) -> RawInput {
    values
        .iter()
        .map(|(name, value)| {
            let raw = if holds_sealed(value) {
                RawValue::Sealed(value.clone())
            } else {
                RawValue::Json(value.clone())
            };
            (name.clone(), raw)
        })
        .collect()
}

/// Whether deciding again produced exactly the recorded event.
fn same<E: PartialEq + std::fmt::Debug>(
    decided: Result<Vec<E>, Rejection>,
    recorded: &[E],
) -> Result<(), String> {
    match decided {
        Err(rejection) => Err(format!("the rules refuse it: {rejection}")),
        Ok(events) if events == recorded => Ok(()),
        Ok(events) if events.is_empty() => {
            Err("the rules record nothing for this command (it changes nothing)".to_owned())
        }
        Ok(events) => Err(format!(
            "the rules decide otherwise: {}",
            events
                .iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

impl Replay {
    /// The cases seen so far.
    pub fn cases(&self) -> usize {
        self.cases.len()
    }
}

#[cfg(test)]
mod tests {
    //! Given a log, replayed: what conforms, and what the rules would not
    //! have produced, with why.

    use chrono::{DateTime, Utc};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::case::fixture::{self, Given};

    /// A log being written: each entry with who did it and when.
    struct Log {
        replay: Replay,
        definition: ProcessDefinition,
        revisions: HashMap<String, u64>,
        findings: Vec<Finding>,
    }

    impl Log {
        fn new() -> Log {
            Log {
                replay: Replay::default(),
                definition: fixture::definition(),
                revisions: HashMap::new(),
                findings: Vec::new(),
            }
        }

        fn feed(
            &mut self,
            stream: &str,
            event_type: &str,
            data: &Value,
            by: &str,
            at: DateTime<Utc>,
        ) {
            let revision = self.revisions.entry(stream.to_owned()).or_default();
            let metadata = Metadata::for_command(by, Uuid::from_u128(1), at);
            let text = data.to_string();
            let entry = Entry {
                stream,
                revision: *revision,
                event_type,
                data: &text,
                metadata: &metadata,
            };
            *revision += 1;
            let definition = &self.definition;
            let found = self.replay.feed(entry, |process, version| {
                (process == "tiny" && version == 1).then_some(definition)
            });
            self.findings.extend(found);
        }

        fn actor(&mut self, event: ActorEvent, name: &str, by: &str) {
            let data = event.data();
            self.feed(
                &format!("actor-{name}"),
                event.event_type(),
                &data,
                by,
                fixture::monday(),
            );
        }

        fn publish(&mut self, by: &str) {
            let published = json!({
                "process": "tiny",
                "version": 1,
                "title": "Tiny process",
                "content_hash": "sha256:aa",
                "source": "process: tiny",
            });
            self.feed(
                "definition-tiny",
                "DefinitionPublished",
                &published,
                by,
                fixture::monday(),
            );
        }

        fn case(&mut self, stream: &str, events: &[(CaseEvent, &str)]) {
            for (event, by) in events {
                self.feed(
                    stream,
                    event.event_type(),
                    &event.data(),
                    by,
                    fixture::monday(),
                );
            }
        }

        /// The directory and the definition: an administrator, who registers
        /// the rest; a service owner, who publishes.
        fn set_up(&mut self) {
            let register = |name: &str, role: &str| ActorEvent::ActorRegistered {
                name: name.to_owned(),
                roles: vec![role.to_owned()],
            };
            self.actor(register("anu", actors::ADMIN), "anu", "anu");
            for (name, role) in [
                ("tiina", actors::SERVICE_OWNER),
                ("mari", "coordinator"),
                ("jaan", "facilitator"),
                ("piret", "facilitator"),
            ] {
                self.actor(register(name, role), name, "anu");
            }
            self.publish("tiina");
        }
    }

    fn whys(log: &Log) -> Vec<&str> {
        log.findings.iter().map(|f| f.why.as_str()).collect()
    }

    #[test]
    fn a_history_the_engine_decided_conforms() {
        let mut log = Log::new();
        log.set_up();
        let given = Given::opened(false)
            .then("mari", "assign", &[("facilitators", "jaan,piret")])
            .ticked("jaan", "consent")
            .then("mari", "note", &[("channel", "phone")]);
        let by = ["mari", "mari", "jaan", "mari"];
        let events: Vec<(CaseEvent, &str)> = given.events.iter().cloned().zip(by).collect();
        log.case("case-1", &events);
        assert_eq!(whys(&log), Vec::<&str>::new());
        assert_eq!(log.replay.checked, 4);
        assert_eq!(log.replay.cases(), 1);
    }

    #[test]
    fn events_the_rules_would_not_have_produced_are_found_with_why() {
        let mut log = Log::new();
        log.set_up();
        let given = Given::opened(false).then("mari", "assign", &[("facilitators", "jaan,piret")]);
        // The assignment, recorded as done by a facilitator.
        log.case(
            "case-1",
            &[
                (given.events[0].clone(), "mari"),
                (given.events[1].clone(), "jaan"),
            ],
        );
        // A case whose first event is not its opening.
        log.case("case-2", &[(given.events[1].clone(), "mari")]);
        // Someone nobody registered.
        log.case("case-3", &[(given.events[0].clone(), "mallory")]);
        // A coordinator making herself an administrator, and publishing.
        log.actor(
            ActorEvent::RoleGranted {
                role: actors::ADMIN.to_owned(),
            },
            "mari",
            "mari",
        );
        log.publish("jaan");
        assert_eq!(
            whys(&log),
            [
                "the rules refuse it: actor 'jaan' may not take 'assign': it needs coordinator (has: facilitator)",
                "a case's first event is not its opening",
                "recorded as done by 'mallory', who was not a registered actor then",
                "the rules refuse it: actor 'mari' lacks role 'admin' needed to administer actors (has: coordinator)",
                "the rules refuse it: actor 'jaan' lacks role 'service-owner' or 'admin' needed to publish definitions (has: facilitator)",
            ]
        );
        let streams: Vec<&str> = log.findings.iter().map(|f| f.stream.as_str()).collect();
        assert_eq!(
            streams,
            [
                "case-1",
                "case-2",
                "case-3",
                "actor-mari",
                "definition-tiny"
            ]
        );
    }
}

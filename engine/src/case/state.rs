//! A case as its events leave it. `evolve` only assigns: every rule was checked
//! when the event was decided, so replaying history cannot be refused.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{CaseEvent, ScheduledDeadline};
use crate::event::{DecodeError, RecordedEvent};

/// Serialisable for projections, but never with its data: case data may be
/// personal, and whoever stores a `Case` must decide what of it to keep.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Case {
    pub process: String,
    pub version: u32,
    pub reference: String,
    pub state: String,
    /// When the current state was entered (the event's occurred-at).
    pub entered_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub data: BTreeMap<String, Value>,
    /// Tasks done in the current state.
    pub tasks_done: BTreeSet<String>,
    pub deadline: Option<ScheduledDeadline>,
    /// The current deadline's warning was given.
    pub deadline_warned: bool,
    /// The current deadline passed: the case is overdue (for `deadline.escalate`).
    pub deadline_missed: bool,
    /// Set once a terminal state is entered.
    pub outcome: Option<String>,
    pub closed: bool,
    /// The stream revision of the last event folded in.
    pub revision: Option<u64>,
    /// Data subjects (by name) whose keys were destroyed.
    pub erased: BTreeSet<String>,
    /// The reason of the legal hold in force, if any.
    pub hold: Option<String>,
    /// When the latest thing recorded about the case happened.
    #[serde(default)]
    pub last_occurred_at: Option<DateTime<Utc>>,
    /// Notices due and not yet sent, by notice id; they outlive the case's
    /// closing.
    #[serde(default)]
    pub notices: BTreeMap<String, PendingNotice>,
}

/// A notice due and not yet sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingNotice {
    pub due_on: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<String>,
    /// Its due date passed: overdue for `escalate`.
    #[serde(default)]
    pub missed: bool,
    /// A recurring duty: ended when the case leaves its state.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renews: bool,
}

impl Case {
    /// Folds one event in, with when it occurred and its stream revision.
    pub fn evolve(&mut self, event: &CaseEvent, occurred_at: DateTime<Utc>, revision: u64) {
        self.last_occurred_at = self.last_occurred_at.max(Some(occurred_at));
        match event {
            CaseEvent::CaseOpened {
                process,
                version,
                reference,
                state,
                data,
                deadline,
            } => {
                self.process.clone_from(process);
                self.version = *version;
                self.reference.clone_from(reference);
                self.state.clone_from(state);
                self.entered_at = Some(occurred_at);
                self.data.clone_from(data);
                self.set_deadline(deadline);
            }
            CaseEvent::TransitionTaken {
                from,
                to,
                data,
                deadline,
                closes,
                outcome,
                notices,
                ..
            } => {
                self.data
                    .extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
                // A recurring duty lasts while the case stays in its state.
                if from != to {
                    self.notices.retain(|_, pending| !pending.renews);
                }
                for due in notices {
                    self.notices.insert(
                        due.notice.clone(),
                        PendingNotice {
                            due_on: due.due_on,
                            to: due.to.clone(),
                            escalate: due.escalate.clone(),
                            missed: false,
                            renews: due.renews,
                        },
                    );
                }
                if from != to {
                    self.state.clone_from(to);
                    self.entered_at = Some(occurred_at);
                    self.tasks_done.clear();
                    self.set_deadline(deadline);
                } else if deadline.is_some() {
                    // Counted again from a field the step gave anew.
                    self.set_deadline(deadline);
                }
                if *closes {
                    self.outcome.clone_from(outcome);
                    self.closed = true;
                    self.deadline = None;
                }
            }
            CaseEvent::TaskCompleted { task, .. } => {
                self.tasks_done.insert(task.clone());
            }
            CaseEvent::TaskUndone { task, .. } => {
                self.tasks_done.remove(task);
            }
            CaseEvent::CaseMigrated {
                to_version,
                from_state,
                to_state,
                deadline,
                ..
            } => {
                self.version = *to_version;
                if from_state != to_state {
                    self.state.clone_from(to_state);
                    self.entered_at = Some(occurred_at);
                    self.tasks_done.clear();
                    self.set_deadline(deadline);
                }
            }
            CaseEvent::DeadlineWarned { .. } => self.deadline_warned = true,
            CaseEvent::DeadlineMissed { .. } => self.deadline_missed = true,
            CaseEvent::NoticeSent { notice, .. } => {
                self.notices.remove(notice);
            }
            CaseEvent::NoticeMissed { notice, .. } => {
                if let Some(pending) = self.notices.get_mut(notice) {
                    pending.missed = true;
                }
            }
            CaseEvent::CaseDataCorrected { data, .. } => {
                self.data
                    .extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            CaseEvent::SubjectErased { subject, .. } => {
                self.erased.insert(subject.clone());
            }
            CaseEvent::LegalHoldPlaced { reason } => self.hold = Some(reason.clone()),
            CaseEvent::LegalHoldReleased { .. } => self.hold = None,
            // A note changes nothing the rules look at.
            CaseEvent::NoteAdded { .. } => {}
            CaseEvent::DocumentProduced { .. } => {}
        }
        self.revision = Some(revision);
    }

    /// Folds one recorded event in (its occurred-at from the metadata). An
    /// event that is not a case event is an error naming its place.
    pub fn apply(&mut self, event: &RecordedEvent) -> Result<(), DecodeError> {
        let decoded =
            CaseEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|source| {
                DecodeError {
                    position: event.position,
                    stream: event.stream.to_string(),
                    source,
                }
            })?;
        self.evolve(&decoded, event.metadata.occurred_at, event.revision);
        Ok(())
    }

    /// A case as its recorded history leaves it.
    pub fn fold(history: &[RecordedEvent]) -> Result<Case, DecodeError> {
        let mut case = Case::default();
        for event in history {
            case.apply(event)?;
        }
        Ok(case)
    }

    /// The case after `new` events it is about to record (decided now, as
    /// happening at `occurred_at`): what folding them will make of it.
    pub fn after(&self, new: &[CaseEvent], occurred_at: DateTime<Utc>) -> Case {
        let mut after = self.clone();
        let base = self.revision.map_or(0, |r| r + 1);
        for (i, event) in new.iter().enumerate() {
            after.evolve(event, occurred_at, base + i as u64);
        }
        after
    }

    /// What recording `new` does to the case's wake-up: set to its next
    /// deadline moment, cleared when there is none (closed, no deadline,
    /// already overdue), or kept when it does not change. The stored wake-up
    /// always equals `next_wake` (every append writes it), so an unchanged one
    /// needs no write.
    pub fn wake_after(&self, after: &Case) -> Wake {
        match after.next_wake() {
            wake if wake == self.next_wake() && self.revision.is_some() => Wake::Keep,
            Some(at) => Wake::At(at),
            None => Wake::Clear,
        }
    }

    fn set_deadline(&mut self, deadline: &Option<ScheduledDeadline>) {
        self.deadline.clone_from(deadline);
        self.deadline_warned = false;
        self.deadline_missed = false;
    }

    /// When the engine next has something to do for this case unasked: the
    /// state's deadline (its warning date, then the day after the due date: a
    /// deadline "within 5 days" is met all through its fifth day) or the day
    /// after a pending notice's due date, whichever comes first; a notice is
    /// chased after the case has closed too. Midnight UTC.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        let deadline = self
            .deadline
            .as_ref()
            .filter(|_| !self.closed && !self.deadline_missed)
            .and_then(|deadline| match deadline.warn_on {
                Some(warn_on) if !self.deadline_warned => Some(warn_on),
                _ => deadline.due_on.succ_opt(),
            });
        let notice = self
            .notices
            .values()
            .filter(|n| !n.missed)
            .filter_map(|n| n.due_on.succ_opt())
            .min();
        let day = match (deadline, notice) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(day.and_hms_opt(0, 0, 0)?.and_utc())
    }

    /// Pending notices whose due date has passed, unsent: the case is
    /// overdue for their `escalate` role even when closed.
    pub fn notices_overdue(&self) -> impl Iterator<Item = (&String, &PendingNotice)> {
        self.notices.iter().filter(|(_, n)| n.missed)
    }
}

/// What becomes of a case's wake-up (see [`Case::wake_after`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Unchanged.
    Keep,
    /// Wake the case then.
    At(DateTime<Utc>),
    /// Nothing left to wake up for.
    Clear,
}

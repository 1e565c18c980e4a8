//! Remembered cases: a long-lived process decides a case's next command on the
//! state its last command left, instead of reading and folding the case's
//! history again. Safe because every write carries the exact revision the
//! decision was made on: if another process wrote meanwhile, the write is
//! refused, the case is forgotten, and the command is decided again on what
//! the store holds. Bounded: the oldest cases are forgotten first.
//!
//! References never change, so the case a reference names is remembered too.

use std::collections::{HashMap, VecDeque};

use kroonika_engine::RecordedEvent;
use kroonika_engine::case::{Case, CaseEvent};
use uuid::Uuid;

use crate::error::Result;

/// A case as its events leave it, and the commands that made them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Remembered {
    pub case: Case,
    /// Command id → (its fingerprint, the revision of its first event).
    pub commands: HashMap<Uuid, (Option<String>, u64)>,
}

impl Remembered {
    /// Folds a case's recorded history.
    pub fn fold(history: &[RecordedEvent]) -> Result<Remembered> {
        let mut remembered = Remembered::default();
        for event in history {
            remembered.case.apply(event)?;
            remembered
                .commands
                .entry(event.metadata.command_id)
                .or_insert_with(|| {
                    let hash = event
                        .metadata
                        .extra
                        .get("command_hash")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned);
                    (hash, event.revision)
                });
        }
        Ok(remembered)
    }

    /// The case's version: how many events it has.
    pub fn version(&self) -> u64 {
        self.case.revision.map_or(0, |r| r + 1)
    }

    /// This case after `events` of command `command_id` (fingerprint `hash`)
    /// were recorded at `occurred_at`.
    pub fn after(
        &self,
        after: Case,
        events: &[CaseEvent],
        command_id: Uuid,
        hash: &str,
    ) -> Remembered {
        let mut next = Remembered {
            case: after,
            commands: self.commands.clone(),
        };
        if !events.is_empty() {
            let first = self.case.revision.map_or(0, |r| r + 1);
            next.commands
                .entry(command_id)
                .or_insert((Some(hash.to_owned()), first));
        }
        next
    }
}

#[derive(Debug)]
pub(crate) struct Cases {
    capacity: usize,
    entries: HashMap<Uuid, Remembered>,
    order: VecDeque<Uuid>,
    references: HashMap<String, Uuid>,
}

impl Cases {
    pub fn new(capacity: usize) -> Cases {
        Cases {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
            references: HashMap::new(),
        }
    }

    pub fn get(&self, id: Uuid) -> Option<Remembered> {
        self.entries.get(&id).cloned()
    }

    /// Remembers a case as it is now (a closed case is forgotten: nobody
    /// works on it again soon).
    pub fn put(&mut self, id: Uuid, remembered: Remembered) {
        if self.capacity == 0 || remembered.case.closed {
            self.forget(id);
            return;
        }
        if self.entries.insert(id, remembered).is_none() {
            self.order.push_back(id);
        }
        while self.entries.len() > self.capacity {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    pub fn forget(&mut self, id: Uuid) {
        if self.entries.remove(&id).is_some() {
            self.order.retain(|kept| *kept != id);
        }
    }

    pub fn reference(&self, reference: &str) -> Option<Uuid> {
        self.references.get(reference).copied()
    }

    pub fn put_reference(&mut self, reference: &str, id: Uuid) {
        if self.capacity == 0 {
            return;
        }
        if self.references.len() >= self.capacity {
            self.references.clear();
        }
        self.references.insert(reference.to_owned(), id);
    }
}

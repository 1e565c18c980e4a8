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

    /// This case after `events` of a command (fingerprint `hash`) were
    /// recorded, leaving it as `after`. Its id is remembered only when the
    /// caller gave it (`command_id`): only a given id can come again as a
    /// retry, and a long-lived process would otherwise keep one entry for
    /// every command it ever ran on the case.
    pub fn after(
        self,
        after: Case,
        events: &[CaseEvent],
        command_id: Option<Uuid>,
        hash: &str,
    ) -> Remembered {
        let first = self.case.revision.map_or(0, |r| r + 1);
        let mut next = Remembered {
            case: after,
            commands: self.commands,
        };
        if let Some(command_id) = command_id.filter(|_| !events.is_empty()) {
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
    /// Each case with the stamp of when it was put.
    entries: HashMap<Uuid, (Remembered, u64)>,
    /// Cases in the order they were put; an entry whose stamp is not the
    /// case's current one is stale and skipped (so taking a case costs
    /// nothing here).
    order: VecDeque<(Uuid, u64)>,
    stamp: u64,
    references: HashMap<String, Uuid>,
}

impl Cases {
    pub fn new(capacity: usize) -> Cases {
        Cases {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
            stamp: 0,
            references: HashMap::new(),
        }
    }

    /// The case, taken out: a command works on it, then puts it back.
    pub fn take(&mut self, id: Uuid) -> Option<Remembered> {
        self.entries.remove(&id).map(|(known, _)| known)
    }

    /// The reference of a remembered case (without taking it).
    pub fn reference_of(&self, id: Uuid) -> Option<String> {
        self.entries
            .get(&id)
            .map(|(known, _)| known.case.reference.clone())
    }

    /// Remembers a case as it is now (a closed case is forgotten: nobody
    /// works on it again soon). The oldest cases go first when full.
    pub fn put(&mut self, id: Uuid, remembered: Remembered) {
        if self.capacity == 0 || remembered.case.closed {
            self.forget(id);
            return;
        }
        self.stamp += 1;
        self.entries.insert(id, (remembered, self.stamp));
        self.order.push_back((id, self.stamp));
        while self.entries.len() > self.capacity {
            let Some((oldest, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&oldest).is_some_and(|(_, s)| *s == stamp) {
                self.entries.remove(&oldest);
            }
        }
        if self.order.len() > 2 * self.capacity.max(16) {
            let entries = &self.entries;
            self.order
                .retain(|(id, stamp)| entries.get(id).is_some_and(|(_, s)| s == stamp));
        }
    }

    pub fn forget(&mut self, id: Uuid) {
        self.entries.remove(&id);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn case(reference: &str, closed: bool) -> Remembered {
        Remembered {
            case: Case {
                reference: reference.to_owned(),
                closed,
                ..Case::default()
            },
            commands: HashMap::new(),
        }
    }

    #[test]
    fn the_oldest_cases_are_forgotten_first_and_closed_ones_at_once() {
        let mut cases = Cases::new(2);
        let ids: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        cases.put(ids[0], case("A", false));
        cases.put(ids[1], case("B", false));
        // Taken and put back: it is the newest now.
        let a = cases.take(ids[0]).unwrap();
        assert!(cases.take(ids[0]).is_none(), "taken out while worked on");
        cases.put(ids[0], a);
        cases.put(ids[2], case("C", false));
        assert_eq!(cases.reference_of(ids[1]), None, "B was the oldest");
        assert_eq!(cases.reference_of(ids[0]).as_deref(), Some("A"));
        assert_eq!(cases.reference_of(ids[2]).as_deref(), Some("C"));
        cases.put(ids[2], case("C", true));
        assert_eq!(
            cases.reference_of(ids[2]),
            None,
            "closed cases are not kept"
        );
        for _ in 0..100 {
            let a = cases.take(ids[0]).unwrap();
            cases.put(ids[0], a);
        }
        assert!(
            cases.order.len() <= 2 * 16 + 1,
            "stale order entries are dropped"
        );
        let mut none = Cases::new(0);
        none.put(ids[0], case("A", false));
        assert!(none.take(ids[0]).is_none());
    }
}

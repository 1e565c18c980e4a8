//! Derived state checked against the log: every projection's documents and
//! every case's wake-up are folded again, in memory, from the events, and
//! compared with what is stored.
//!
//! Derived tables are not chained: anyone who can write the database can
//! show a case as closed with an agreement in the case list, or delete every
//! wake-up so no deadline fires. They can always be rebuilt from the log;
//! this is what notices that they need to be. A runner committing while the
//! comparison reads is told apart from a difference by reading the position
//! (or the head) again: the comparison is repeated until both reads agree.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kroonika_engine::ExpectedRevision;
use kroonika_engine::case::{self, Case};
use kroonika_projections::{Catalog, Fold};
use kroonika_store::{ReadFrom, Timer, Write};
use serde_json::Value;

use crate::App;
use crate::command::Request;
use crate::error::Result;
use crate::permissions::Reading;

/// How often a comparison is tried again when the log moved while it read.
const ATTEMPTS: usize = 5;

impl App {
    /// Every difference between the stored projections and wake-ups and what
    /// the log gives, in words (the first per projection); empty when they
    /// agree. `progress` is told positions as it goes.
    pub async fn verify_derived(
        &self,
        request: &Request,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<String>> {
        self.reader(request, Reading::Log).await?;
        let catalog = self.catalog().await?;
        let mut findings = Vec::new();
        for fold in kroonika_projections::all() {
            if let Some(finding) = self.projection_differs(&catalog, fold, progress).await? {
                findings.push(finding);
            }
        }
        findings.extend(self.wake_ups_differ(progress).await?);
        Ok(findings)
    }

    /// The first difference between a projection's stored documents and
    /// those the log gives up to its checkpoint.
    async fn projection_differs(
        &self,
        catalog: &Catalog,
        fold: &dyn Fold,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Option<String>> {
        let store = &self.inner.store;
        let name = fold.name();
        let checkpoint = async || -> Result<u64> {
            Ok(store
                .projection_states(Some(name))
                .await?
                .first()
                .map_or(0, |s| s.position))
        };
        for _ in 0..ATTEMPTS {
            let position = checkpoint().await?;
            let stored: BTreeMap<String, Value> = store
                .projection_docs(name, None)
                .await?
                .into_iter()
                .collect();
            if checkpoint().await? != position {
                continue;
            }
            let mut docs: BTreeMap<String, Option<Value>> = BTreeMap::new();
            let mut scan = store.scan(Some(fold.category()), ReadFrom::Start, 1_000);
            while let Some(page) = scan.next_page().await? {
                let whole = page.len();
                let page: Vec<_> = page
                    .into_iter()
                    .filter(|e| e.position <= position)
                    .collect();
                if let Err((at, reason)) = fold.apply_batch(catalog, &mut docs, &page) {
                    return Ok(Some(format!(
                        "projection {name}: the log cannot be folded at position {at}: {reason}"
                    )));
                }
                if let Some(last) = page.last() {
                    progress(last.position);
                }
                if page.len() < whole {
                    break;
                }
            }
            let folded: BTreeMap<String, Value> = docs
                .into_iter()
                .filter_map(|(key, doc)| Some((key, doc?)))
                .collect();
            return Ok(first_difference(&stored, &folded).map(|what| {
                format!(
                    "projection {name} (at position {position}): {what}; `kroonika projections rebuild {name}` makes it again from the log"
                )
            }));
        }
        Ok(Some(format!(
            "projection {name}: it kept moving while it was compared; verify again when the store is quiet"
        )))
    }

    /// Every case whose stored wake-up is not the one its events give.
    async fn wake_ups_differ(&self, progress: &mut (dyn FnMut(u64) + Send)) -> Result<Vec<String>> {
        let Some(wrong) = self.wrong_wake_ups(progress).await? else {
            return Ok(vec![
                "the wake-ups kept moving while they were compared; verify again when the store is quiet"
                    .to_owned(),
            ]);
        };
        let findings: Vec<String> = wrong.iter().map(WrongWakeUp::to_string).collect();
        Ok(match findings.first() {
            Some(first) if findings.len() > 1 => vec![format!(
                "{} wake-ups differ from the log; the first: {first}; `kroonika timers repair` sets them from the log",
                findings.len()
            )],
            Some(first) => vec![format!(
                "{first}; `kroonika timers repair` sets it from the log"
            )],
            None => Vec::new(),
        })
    }

    /// The wake-ups that differ from what the log gives, as of one head
    /// (None: the log kept moving while they were read).
    async fn wrong_wake_ups(
        &self,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Option<Vec<WrongWakeUp>>> {
        let store = &self.inner.store;
        for _ in 0..ATTEMPTS {
            let head = store.head_position().await?;
            let stored: HashMap<String, DateTime<Utc>> = store
                .all_timers()
                .await?
                .into_iter()
                .map(|(stream, at)| (stream.to_string(), at))
                .collect();
            if store.head_position().await? != head {
                continue;
            }
            let mut cases: BTreeMap<String, (Case, u64)> = BTreeMap::new();
            let mut scan = store.scan(Some(case::CATEGORY), ReadFrom::Start, 1_000);
            'pages: while let Some(page) = scan.next_page().await? {
                for event in &page {
                    if event.position > head {
                        break 'pages;
                    }
                    // A case the log cannot fold is the conformance check's
                    // finding; here it simply has no wake-up to compare.
                    let (case, revision) = cases.entry(event.stream.to_string()).or_default();
                    let _ = case.apply(event);
                    *revision = event.revision;
                }
                if let Some(last) = page.last() {
                    progress(last.position);
                }
            }
            let mut wrong = Vec::new();
            for (stream, (case, revision)) in &cases {
                let (should, is) = (case.next_wake(), stored.get(stream).copied());
                if should != is {
                    wrong.push(WrongWakeUp {
                        stream: stream.clone(),
                        reference: Some(case.reference.clone()),
                        revision: Some(*revision),
                        should,
                        is,
                    });
                }
            }
            for (stream, at) in stored.iter().filter(|(s, _)| !cases.contains_key(*s)) {
                wrong.push(WrongWakeUp {
                    stream: stream.clone(),
                    reference: None,
                    revision: None,
                    should: None,
                    is: Some(*at),
                });
            }
            return Ok(Some(wrong));
        }
        Ok(None)
    }

    /// Sets every case's wake-up to what its events give (administrators):
    /// after `audit verify --derived` found them differ. One write, each case
    /// at the revision it was folded at, so a case written meanwhile makes
    /// it fold again rather than lose its newer wake-up. Returns how many
    /// were set or cleared.
    pub async fn repair_wake_ups(&self, request: &Request) -> Result<usize> {
        self.may_administer(request, "repair the wake-ups").await?;
        for _ in 0..ATTEMPTS {
            let Some(wrong) = self.wrong_wake_ups(&mut |_| {}).await? else {
                continue;
            };
            if wrong.is_empty() {
                return Ok(0);
            }
            let mut write = Write::default();
            for fix in &wrong {
                let stream = kroonika_engine::StreamName::new(fix.stream.clone())
                    .map_err(kroonika_store::Error::from)?;
                let expected = match fix.revision {
                    Some(revision) => ExpectedRevision::Exact(revision),
                    None => ExpectedRevision::NoStream,
                };
                let timer = match fix.should {
                    Some(due) => Timer::Set(due),
                    None => Timer::Clear,
                };
                write = write.with(&stream, expected, Vec::new(), timer);
            }
            match self.inner.store.write(&write).await {
                Ok(_) => return Ok(wrong.len()),
                Err(err) if err.kind() == kroonika_store::ErrorKind::Conflict => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(crate::Error::Invalid(
            "the cases kept moving while their wake-ups were repaired; try again when the store is quieter"
                .to_owned(),
        ))
    }
}

/// A stream whose stored wake-up is not the one its events give.
#[derive(Debug, Clone)]
struct WrongWakeUp {
    stream: String,
    /// The case's reference (None: the stream has no events).
    reference: Option<String>,
    /// The revision it was folded at.
    revision: Option<u64>,
    should: Option<DateTime<Utc>>,
    is: Option<DateTime<Utc>>,
}

impl std::fmt::Display for WrongWakeUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(reference) = &self.reference else {
            return write!(
                f,
                "a wake-up is stored for {}, which has no events",
                self.stream
            );
        };
        match (self.should, self.is) {
            (Some(due), None) => write!(
                f,
                "case {reference}: its deadline should wake it at {due}, but no wake-up is stored (it would never fire)"
            ),
            (None, Some(at)) => write!(
                f,
                "case {reference}: a wake-up is stored for {at}, but its events leave nothing to wake it for"
            ),
            (Some(due), Some(at)) => write!(
                f,
                "case {reference}: its wake-up is stored for {at}, but its events give {due}"
            ),
            (None, None) => write!(f, "case {reference}"),
        }
    }
}

/// The first document that differs, in words.
fn first_difference(
    stored: &BTreeMap<String, Value>,
    folded: &BTreeMap<String, Value>,
) -> Option<String> {
    let keys: std::collections::BTreeSet<&String> = stored.keys().chain(folded.keys()).collect();
    for key in keys {
        match (stored.get(key), folded.get(key)) {
            (Some(_), None) => {
                return Some(format!(
                    "document {key} is stored, but the log gives no such document"
                ));
            }
            (None, Some(_)) => {
                return Some(format!(
                    "document {key} is missing, though the log gives it"
                ));
            }
            (Some(a), Some(b)) if a != b => {
                return Some(format!("document {key}: {}", field(a, b)));
            }
            _ => {}
        }
    }
    None
}

/// Where two documents differ: the first top-level field, or the whole.
fn field(stored: &Value, folded: &Value) -> String {
    let short = |value: Option<&Value>| {
        let text = value.map_or("nothing".to_owned(), Value::to_string);
        match text.char_indices().nth(80) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    };
    if let (Value::Object(a), Value::Object(b)) = (stored, folded) {
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        if let Some(name) = names.into_iter().find(|n| a.get(*n) != b.get(*n)) {
            return format!(
                "'{name}' is stored as {}, but the log gives {}",
                short(a.get(name)),
                short(b.get(name))
            );
        }
    }
    format!(
        "stored as {}, but the log gives {}",
        short(Some(stored)),
        short(Some(folded))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_first_field_that_differs() {
        let stored = BTreeMap::from([
            ("a".to_owned(), json!({"state": "closed-agreed", "n": 1})),
            ("b".to_owned(), json!({"state": "referred"})),
        ]);
        let mut folded = stored.clone();
        assert_eq!(first_difference(&stored, &folded), None);
        folded.insert("a".to_owned(), json!({"state": "monitoring", "n": 1}));
        assert_eq!(
            first_difference(&stored, &folded).unwrap(),
            "document a: 'state' is stored as \"closed-agreed\", but the log gives \"monitoring\""
        );
        folded.remove("a");
        assert_eq!(
            first_difference(&stored, &folded).unwrap(),
            "document a is stored, but the log gives no such document"
        );
    }
}

//! A person's rights over their data: the subject access export (GDPR art.
//! 15), and who has seen their data (art. 5(2), in the form the state
//! portal's data tracker, andmejälgija, shows a citizen).
//!
//! A person asks the service what it holds about them. The coordinator finds
//! every case where the person is a data subject (by the subject's id or
//! `CASE/NAME`, or by name through the blind index, which never stores the
//! name), and the export gathers, per case: the person's own personal data
//! opened, the case's non-personal facts, its history in words, corrections
//! with the requests they answered, the retention date, any legal hold, an
//! erasure; and every reading, search, export and refusal that touched the
//! person's data, by whom, in which role, and why. Another person's data in
//! the same case (the other party's name, the journal's notes, which may speak
//! of anyone) is never in it.
//!
//! Producing the export is a reading of personal data like a reveal: allowed
//! to administrators and to the roles a definition's `privacy: export`
//! declares, refused (and the refusal recorded) otherwise, and recorded with
//! its purpose in the access log before anything is returned. The HTML form
//! (`html.rs`) is what the person is given.

mod html;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::access::{self, AccessEvent, SearchMatch};
use kroonika_engine::actors::{self, ActorEvent};
use kroonika_engine::case::{self, Case, CaseEvent, privacy};
use kroonika_engine::{Code, RecordedEvent};
use kroonika_store::{Direction, ReadFrom};
use kroonika_vault::Kind;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub use html::render as html;

use crate::command::Request;
use crate::error::{Result, reject};
use crate::labels::Labels;
use crate::{App, keys};

/// Whose data to export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectQuery {
    /// Subjects by id or as `CASE/NAME`.
    pub subjects: Vec<String>,
    /// A name (or any searchable text) to find the person's cases by.
    pub name: Option<String>,
    /// Why (recorded).
    pub purpose: String,
    /// `et` or `en`: the words of the export.
    pub lang: String,
}

/// Everything the service holds about one person, and who has seen it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectExport {
    pub produced_at: DateTime<Utc>,
    pub produced_by: String,
    pub purpose: String,
    pub lang: String,
    /// How the cases were found: `name` (never the name itself), and the
    /// subjects named.
    pub found_by: Vec<String>,
    pub cases: Vec<SubjectCase>,
    /// Every reading, search, export and refusal that touched the person's
    /// data, oldest first; this export last.
    pub access: Vec<AccessEntry>,
}

/// One case where the person is a data subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectCase {
    pub reference: String,
    pub case_id: Uuid,
    pub process: String,
    pub process_title: String,
    /// The subject's name in the definition (`victim`), and its title.
    pub subject: String,
    pub subject_title: String,
    pub subject_id: Uuid,
    pub state: String,
    pub state_title: String,
    pub closed: bool,
    pub outcome: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The person's own personal data, opened (`[erased]` once erased).
    pub personal_data: Vec<Shown>,
    /// The case's facts that are no one's personal data.
    pub facts: Vec<Shown>,
    pub history: Vec<HistoryEntry>,
    pub corrections: Vec<Correction>,
    /// How many notes the journal keeps (their text is not exported: a note
    /// may speak of anyone in the case).
    pub notes: usize,
    pub erased: Option<Erasure>,
    /// The day retention erases the case's personal data (a closed case under
    /// a definition that keeps it for a period).
    pub retention_until: Option<NaiveDate>,
    pub legal_hold: Option<String>,
}

/// A field and its value, with the words a reader reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shown {
    pub field: String,
    pub title: String,
    pub value: Value,
    /// The value in words (an enum's label, a partner's name, a list joined).
    pub text: String,
}

/// One recorded act on the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub by: String,
    pub what: String,
}

/// A correction of the case's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub at: DateTime<Utc>,
    pub by: String,
    /// The fields corrected, by title.
    pub fields: Vec<String>,
    /// Whether the person's own data was among them.
    pub personal: bool,
    pub reason: String,
    pub request: Option<String>,
}

/// The person's data in this case was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// One act that touched the person's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The actor's roles then.
    pub roles: Vec<String>,
    /// Done by the system itself (retention, timers), not by a person.
    pub system: bool,
    /// `revealed`, `searched`, `exported` or `refused`.
    pub what: String,
    pub case: String,
    /// The stated purpose, or the refusal's reason.
    pub purpose: String,
}

impl App {
    /// Everything the service holds about one person, for `query.purpose`:
    /// refused (and recorded) unless the actor may export every case found;
    /// recorded in the access log before it is returned.
    pub async fn subject_access(
        &self,
        request: &Request,
        query: &SubjectQuery,
    ) -> Result<SubjectExport> {
        // A refusal on a case is recorded with its reference.
        let mut refused_on = None;
        let done = self.export_subject(request, query, &mut refused_on).await;
        self.recorded(request, refused_on.as_deref(), done).await
    }

    async fn export_subject(
        &self,
        request: &Request,
        query: &SubjectQuery,
        refused_on: &mut Option<String>,
    ) -> Result<SubjectExport> {
        self.text_within("purpose", &query.purpose)?;
        if query.purpose.trim().is_empty() {
            return Err(reject(
                Code::MissingInput,
                "a subject access export needs a purpose: --purpose TEXT (it is recorded)",
            ));
        }
        if query.subjects.is_empty() && query.name.is_none() {
            return Err(reject(
                Code::MissingInput,
                "say whose data: a subject id or CASE/NAME, or --name TEXT",
            ));
        }
        let registry = self.refresh().await?;
        let actor = registry.acting(&request.actor)?;
        let master = self.master()?;
        // (case, subject name), each once, in the order found.
        let mut wanted: Vec<(Uuid, String)> = Vec::new();
        let mut found_by = Vec::new();
        for text in &query.subjects {
            self.text_within("subject", text)?;
            let subject = self.subject(text).await?;
            if !wanted.contains(&subject) {
                wanted.push(subject);
            }
            found_by.push(text.clone());
        }
        if let Some(name) = &query.name {
            self.text_within("name", name)?;
            if kroonika_vault::normal_text(name).is_none() {
                return Err(reject(
                    Code::InvalidInput,
                    format!("--name '{name}' cannot be searched for: it has no letters or digits"),
                ));
            }
            found_by.push("name".to_owned());
            let index = match self.inner.index.get() {
                Some(key) => Some(key.clone()),
                None => keys::stored_index_key(&self.inner.store, master).await?,
            };
            let token = index.as_ref().and_then(|i| i.query(Kind::Text, name));
            let tokens: Vec<Vec<u8>> = token.into_iter().map(|t| t.to_vec()).collect();
            for hit in self.inner.store.search_index(&tokens).await? {
                let subject = self.subject(&hit.subject.to_string()).await?;
                if !wanted.contains(&subject) {
                    wanted.push(subject);
                }
            }
        }
        // Oldest case first (case ids are time-ordered), whatever order the
        // index answered in.
        wanted.sort();
        if wanted.is_empty() {
            return Err(reject(
                Code::NotFound,
                "no case holds data of this person (an erased person's cases are found only by their CASE/NAME)",
            ));
        }
        let now = self.now();
        let lang = if query.lang == "et" { "et" } else { "en" };
        let mut cases = Vec::new();
        for (case_id, subject) in &wanted {
            let history = self.history_of(*case_id, &case_id.to_string()).await?;
            let case = Case::fold(&history)?;
            let case_registry = self.registry_for(&case.process, case.version).await?;
            let (definition, version) =
                case_registry.definition(&case.process, Some(case.version))?;
            let cx = case::Context {
                definition: &definition,
                version,
                actor: &actor,
                actors: registry.actors(),
                now,
                occurred_at: now,
            };
            if let Err(refused) = privacy::may_export(&cx, &case, &query.purpose) {
                *refused_on = Some(case.reference.clone());
                return Err(refused.into());
            }
            let ring = keys::existing(&self.inner.store, master, *case_id).await?;
            let mut labels = Labels::of(&definition, Some(&case.state), lang);
            if let Ok(Some(list)) = registry.partners() {
                labels = labels.with_partners(&definition, Some(&list), lang);
            }
            cases.push(gather(
                &definition,
                &labels,
                &case,
                *case_id,
                subject,
                &history,
                &ring,
                lang,
            ));
        }
        let mut access = self.touching(&cases).await?;
        let record = AccessEvent::SubjectAccessExported {
            purpose: query.purpose.trim().to_owned(),
            subjects: cases
                .iter()
                .map(|c| SearchMatch {
                    case_id: c.case_id,
                    reference: c.reference.clone(),
                    subjects: vec![c.subject.clone()],
                })
                .collect(),
        };
        // Recorded before anything is shown: no record, no export. Against
        // the directory it was allowed by.
        self.record_access(&actor.name, &record, Some(App::unchanged(&registry)))
            .await
            .map_err(|err| err.context("recording the export"))?;
        for case in &cases {
            access.push(AccessEntry {
                at: now,
                actor: actor.name.clone(),
                roles: actor.roles.iter().cloned().collect(),
                system: false,
                what: "exported".to_owned(),
                case: case.reference.clone(),
                purpose: query.purpose.trim().to_owned(),
            });
        }
        Ok(SubjectExport {
            produced_at: now,
            produced_by: actor.name.clone(),
            purpose: query.purpose.trim().to_owned(),
            lang: lang.to_owned(),
            found_by,
            cases,
            access,
        })
    }

    /// Every access record that touched the subjects of `cases`, oldest
    /// first, with each actor's roles at the time.
    async fn touching(&self, cases: &[SubjectCase]) -> Result<Vec<AccessEntry>> {
        let roles = self.roles_over_time().await?;
        let wanted: Vec<(Uuid, &str, &str)> = cases
            .iter()
            .map(|c| (c.case_id, c.reference.as_str(), c.subject.as_str()))
            .collect();
        let mut entries = Vec::new();
        self.each_access(|event, record| {
            for (case_id, reference, subject) in &wanted {
                if let Some((what, purpose)) = touches(record, *case_id, reference, subject) {
                    entries.push(AccessEntry {
                        at: event.recorded_at,
                        actor: event.metadata.actor.clone(),
                        roles: roles.at(&event.metadata.actor, event.position),
                        system: event.metadata.actor == actors::SYSTEM,
                        what: what.to_owned(),
                        case: (*reference).to_owned(),
                        purpose,
                    });
                }
            }
        })
        .await?;
        Ok(entries)
    }

    /// Calls `each` with every access record of the log, oldest first.
    pub(crate) async fn each_access(
        &self,
        mut each: impl FnMut(&RecordedEvent, &AccessEvent),
    ) -> Result<()> {
        let mut from = ReadFrom::Start;
        loop {
            const PAGE: usize = 1_000;
            let page = self
                .inner
                .store
                .read_category(access::CATEGORY, from, Direction::Forwards, PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            from = ReadFrom::At(last.position + 1);
            for event in &page {
                if let Ok(record) = AccessEvent::from_parts(&event.event_type, event.data.as_str())
                {
                    each(event, &record);
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(())
    }

    /// Each actor's roles as their events left them, position by position.
    pub(crate) async fn roles_over_time(&self) -> Result<RolesOverTime> {
        let mut over_time = RolesOverTime::default();
        let mut scan = self
            .inner
            .store
            .scan(Some(actors::CATEGORY), ReadFrom::Start, 1_000);
        let mut current: HashMap<String, kroonika_engine::actors::Actor> = HashMap::new();
        while let Some(page) = scan.next_page().await? {
            for event in page {
                let Ok(decoded) = ActorEvent::from_parts(&event.event_type, event.data.as_str())
                else {
                    continue;
                };
                let name = event.stream.id().to_owned();
                let actor = current.entry(name.clone()).or_default();
                actor.evolve(&decoded);
                over_time.changes.entry(name).or_default().push((
                    event.position,
                    actor.roles.iter().cloned().collect(),
                    actor.deactivated.is_some(),
                ));
            }
        }
        Ok(over_time)
    }
}

/// Each actor's roles after each of their events, by position.
#[derive(Debug, Default)]
pub(crate) struct RolesOverTime {
    changes: HashMap<String, Vec<(u64, Vec<String>, bool)>>,
}

impl RolesOverTime {
    /// The roles `actor` held just before `position` (none while deactivated).
    pub(crate) fn at(&self, actor: &str, position: u64) -> Vec<String> {
        self.changes
            .get(actor)
            .and_then(|changes| changes.iter().rev().find(|(p, _, _)| *p < position))
            .filter(|(_, _, deactivated)| !deactivated)
            .map(|(_, roles, _)| roles.clone())
            .unwrap_or_default()
    }
}

/// Whether an access record touched subject `subject` of case `case_id`
/// (reference `reference`): what it was and its purpose or reason. A reading,
/// search or export that named the subject; a refusal on the case (it was an
/// attempt at the case, whoever's data it was after).
pub(crate) fn touches(
    record: &AccessEvent,
    case_id: Uuid,
    reference: &str,
    subject: &str,
) -> Option<(&'static str, String)> {
    let named = |m: &SearchMatch| m.case_id == case_id && m.subjects.iter().any(|s| s == subject);
    match record {
        AccessEvent::PersonalDataRevealed {
            case_id: id,
            subjects,
            purpose,
            ..
        } if *id == case_id && subjects.iter().any(|s| s == subject) => {
            Some(("revealed", purpose.clone()))
        }
        AccessEvent::CasesSearched {
            by,
            purpose,
            matches,
        } if matches.iter().any(named) => {
            Some(("searched", format!("{purpose} (by {})", by.join(" and "))))
        }
        AccessEvent::SubjectAccessExported { subjects, purpose } if subjects.iter().any(named) => {
            Some(("exported", purpose.clone()))
        }
        AccessEvent::PermissionDenied {
            command,
            reference: Some(refused),
            reason,
        } if refused == reference => Some(("refused", format!("{command}: {reason}"))),
        _ => None,
    }
}

/// One case's part of the export.
#[allow(clippy::too_many_arguments)]
fn gather(
    definition: &kroonika_engine::definition::ProcessDefinition,
    labels: &Labels,
    case: &Case,
    case_id: Uuid,
    subject: &str,
    history: &[RecordedEvent],
    ring: &kroonika_vault::Keyring,
    lang: &str,
) -> SubjectCase {
    let stream = case::stream(case_id).to_string();
    let mut personal_data = Vec::new();
    let mut facts = Vec::new();
    for name in &labels.field_order {
        let Some(field) = definition.field(name) else {
            continue;
        };
        let Some(value) = case.data.get(name) else {
            continue;
        };
        if let kroonika_engine::definition::FieldType::People { .. } = field.ty {
            // Only this person's item: their name and contact, then the
            // facts about them; never anyone else on the list.
            let mine: Vec<Value> = kroonika_engine::case::people::items(value)
                .filter(|item| item.get("id").and_then(Value::as_str) == Some(subject))
                .map(|item| Value::Object(item.clone()))
                .collect();
            let (opened, _) = kroonika_vault::open_people(ring, &stream, name, &Value::Array(mine));
            for item in kroonika_engine::case::people::items(&opened) {
                for (key, value) in item {
                    let mut entry = shown(labels, name, value.clone(), lang);
                    entry.field = format!("{name}.{key}");
                    entry.title = format!("{} ({})", labels.field(name), person_key(key, lang));
                    if kroonika_engine::case::people::PERSONAL.contains(&key.as_str()) {
                        personal_data.push(entry);
                    } else if key != "id" {
                        facts.push(entry);
                    }
                }
            }
            continue;
        }
        match field.personal.as_deref() {
            Some(whose) if whose == subject => {
                let value = match kroonika_vault::open(ring, &stream, name, value) {
                    kroonika_vault::Opened::Plain(plain) => plain,
                    kroonika_vault::Opened::Erased => Value::from(kroonika_vault::ERASED),
                    kroonika_vault::Opened::Unreadable => Value::from("[unreadable]"),
                };
                personal_data.push(shown(labels, name, value, lang));
            }
            // Someone else's data: never in this person's export.
            Some(_) => {}
            None => facts.push(shown(labels, name, value.clone(), lang)),
        }
    }
    let mut entries = Vec::new();
    let mut corrections = Vec::new();
    let mut erased = None;
    let mut notes = 0;
    let mut opened_at = None;
    for event in history {
        let Ok(decoded) = CaseEvent::from_parts(&event.event_type, event.data.as_str()) else {
            continue;
        };
        let at = event.metadata.occurred_at;
        let by = event.metadata.actor.clone();
        match &decoded {
            CaseEvent::CaseOpened { .. } => opened_at = Some(at),
            CaseEvent::NoteAdded { .. } => notes += 1,
            CaseEvent::CaseDataCorrected {
                data,
                reason,
                request,
                ..
            } => corrections.push(Correction {
                at,
                by: by.clone(),
                fields: data.keys().map(|f| labels.field(f).to_owned()).collect(),
                personal: data.iter().any(|(f, v)| {
                    definition.field(f).and_then(|f| f.personal.as_deref()) == Some(subject)
                        || kroonika_engine::case::people::ids(v)
                            .iter()
                            .any(|id| id == subject)
                }),
                reason: reason.clone(),
                request: request.clone(),
            }),
            CaseEvent::SubjectErased {
                subject: whose,
                reason,
                ..
            } if whose == subject => {
                erased = Some(Erasure {
                    at,
                    by: by.clone(),
                    reason: reason.clone(),
                });
            }
            _ => {}
        }
        entries.push(HistoryEntry {
            at,
            recorded_at: event.recorded_at,
            by,
            what: labels.describe(&decoded, lang),
        });
    }
    let closed_at = case.closed.then_some(case.entered_at).flatten();
    let retention_until = match (definition.retention, closed_at) {
        (Some(keep), Some(closed)) => Some(keep.after(closed.date_naive())),
        _ => None,
    };
    SubjectCase {
        reference: case.reference.clone(),
        case_id,
        process: case.process.clone(),
        process_title: labels.process.clone(),
        subject: subject.to_owned(),
        subject_title: labels
            .subjects
            .get(subject)
            .cloned()
            .or_else(|| {
                let (field, item) =
                    kroonika_engine::case::people::find(definition, &case.data, subject)?;
                Some(labels.person(field, item))
            })
            .unwrap_or_else(|| subject.to_owned()),
        subject_id: kroonika_vault::subject_id(case_id, subject),
        state: case.state.clone(),
        state_title: labels.state(&case.state).to_owned(),
        closed: case.closed,
        outcome: case.outcome.clone(),
        opened_at,
        closed_at,
        personal_data,
        facts,
        history: entries,
        corrections,
        notes,
        erased,
        retention_until,
        legal_hold: case.hold.clone(),
    }
}

/// What a key of a listed person is called.
fn person_key(key: &str, lang: &str) -> &'static str {
    let et = lang == "et";
    match key {
        "name" => {
            if et {
                "nimi"
            } else {
                "name"
            }
        }
        "contact" => {
            if et {
                "kontakt"
            } else {
                "contact"
            }
        }
        "role" => {
            if et {
                "roll"
            } else {
                "role"
            }
        }
        "minor" => {
            if et {
                "alaealine"
            } else {
                "minor"
            }
        }
        "represents" => {
            if et {
                "esindab"
            } else {
                "represents"
            }
        }
        _ => {
            if et {
                "muu"
            } else {
                "other"
            }
        }
    }
}

fn shown(labels: &Labels, name: &str, value: Value, lang: &str) -> Shown {
    let text = match &value {
        Value::String(text) => labels.value(name, text).to_owned(),
        Value::Bool(yes) => html::yes_no(*yes, lang).to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => labels.value(name, text).to_owned(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Shown {
        field: name.to_owned(),
        title: labels.field(name).to_owned(),
        value,
        text,
    }
}

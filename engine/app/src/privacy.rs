//! Personal data: revealing it on purpose (the reading recorded before anything
//! is shown), recording refusals, erasing a subject, legal holds, retention, and
//! the access log.
//!
//! The rules (who may read, erase, hold; when retention is due) are the
//! engine's (`kroonika_engine::case::privacy`); the cryptography is the
//! vault's. Readings and refusals are events in the actor's own stream
//! (`access-<actor>`), so recording one never contends with the case's writers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kroonika_engine::access::{self, AccessEvent};
use kroonika_engine::case::{self, Case, privacy};
use kroonika_engine::definition::FieldType;
use kroonika_engine::{Code, ExpectedRevision, Metadata, NewEvent, Rejection, StreamName};
use kroonika_store::{Unchanged, Write};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cases::decide::Step;
use crate::command::{CaseCommand, Outcome, Request};
use crate::error::{Error, ErrorKind, Result, reject};
use crate::permissions::Reading;
use crate::{App, keys};

impl App {
    /// The case's data in the clear, for `purpose`: refused (and the refusal
    /// recorded) unless the actor may read it; the reading recorded before it
    /// is returned.
    pub(crate) async fn revealed(
        &self,
        request: &Request,
        cx: &case::Context<'_>,
        case: &Case,
        id: Uuid,
        purpose: &str,
    ) -> Result<BTreeMap<String, Value>> {
        self.revealed_fields(request, cx, case, id, purpose, None)
            .await
    }

    /// As [`App::revealed`], opening only the personal fields in `only`
    /// (when given; the others are left out) and recording the reading of
    /// only their subjects.
    pub(crate) async fn revealed_fields(
        &self,
        request: &Request,
        cx: &case::Context<'_>,
        case: &Case,
        id: Uuid,
        purpose: &str,
        only: Option<&[String]>,
    ) -> Result<BTreeMap<String, Value>> {
        self.text_within("purpose", purpose)?;
        if let Err(refused) = privacy::may_reveal(cx, case, purpose) {
            self.record_refusal(request, Some(&case.reference), &refused)
                .await?;
            return Err(refused.into());
        }
        let master = self.master()?;
        let ring = keys::existing(&self.inner.store, master, id).await?;
        let stream = case::stream(id).to_string();
        let mut subjects: Vec<String> = Vec::new();
        let mut data = BTreeMap::new();
        for (name, value) in &case.data {
            let field = cx.definition.field(name);
            if field.is_some_and(|f| f.holds_personal())
                && only.is_some_and(|only| !only.contains(name))
            {
                continue;
            }
            if let Some(FieldType::People { .. }) = field.map(|f| &f.ty) {
                let (opened, read) = kroonika_vault::open_people(&ring, &stream, name, value);
                for id in read {
                    if !subjects.contains(&id) {
                        subjects.push(id);
                    }
                }
                data.insert(name.clone(), opened);
                continue;
            }
            let personal = field.and_then(|f| f.personal.clone());
            let shown = match personal {
                None => value.clone(),
                Some(subject) => match kroonika_vault::open(&ring, &stream, name, value) {
                    kroonika_vault::Opened::Plain(plain) => {
                        if !subjects.contains(&subject) {
                            subjects.push(subject);
                        }
                        plain
                    }
                    kroonika_vault::Opened::Erased => json!(kroonika_vault::ERASED),
                    kroonika_vault::Opened::Unreadable => json!("[unreadable]"),
                },
            };
            data.insert(name.clone(), shown);
        }
        if !subjects.is_empty() {
            let reading = AccessEvent::PersonalDataRevealed {
                case_id: id,
                reference: case.reference.clone(),
                subjects,
                purpose: purpose.trim().to_owned(),
            };
            // Recorded before anything is shown: no record, no reading. Made
            // against the directory it was allowed by: if that moved (a role
            // revoked meanwhile), it is judged again.
            let mut registry = self.registry();
            loop {
                let unchanged = App::unchanged(&registry);
                match self
                    .record_access(&cx.actor.name, &reading, Some(unchanged))
                    .await
                {
                    Ok(()) => break,
                    Err(Error::Store(err)) if err.is_conflict() => {
                        registry = self.refresh().await?;
                        let actor = registry.acting(&cx.actor.name)?;
                        let again = case::Context {
                            actor: &actor,
                            actors: registry.actors(),
                            ..*cx
                        };
                        if let Err(refused) = privacy::may_reveal(&again, case, purpose) {
                            self.record_refusal(request, Some(&case.reference), &refused)
                                .await?;
                            return Err(refused.into());
                        }
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(data)
    }

    /// Records a refusal in the access log of the request's actor.
    pub(crate) async fn record_refusal(
        &self,
        request: &Request,
        reference: Option<&str>,
        refused: &Rejection,
    ) -> Result<()> {
        let record = AccessEvent::PermissionDenied {
            command: request.command.clone(),
            reference: reference.map(str::to_owned),
            reason: refused.reason().to_owned(),
        };
        self.record_access(&request.actor, &record, None)
            .await
            .map_err(|err| err.context("recording the refusal"))
    }

    /// Appends an access record to the actor's own access stream.
    pub(crate) async fn record_access(
        &self,
        actor: &str,
        event: &AccessEvent,
        unchanged: Option<Unchanged>,
    ) -> Result<()> {
        let stream =
            StreamName::from_parts(access::CATEGORY, actor).map_err(kroonika_store::Error::from)?;
        let metadata = Metadata::for_command(actor, self.new_id(), self.now());
        let new = NewEvent::new(self.new_id(), event.event_type(), &event.data(), metadata)
            .map_err(|err| Error::Invalid(err.to_string()))?;
        let mut write = Write::append(&stream, ExpectedRevision::Any, vec![new]);
        write.unchanged = unchanged;
        self.inner.store.write(&write).await?;
        Ok(())
    }

    /// Erases a data subject, named by its id or as `CASE/NAME`: destroys their
    /// key in the same write as the event that records it.
    pub async fn forget(
        &self,
        request: &Request,
        subject: &str,
        reason: &str,
    ) -> Result<Forgotten> {
        let done = async {
            let (case_id, name) = self.subject(subject).await?;
            let outcome = self
                .step(
                    request,
                    &case_id.to_string(),
                    case_id,
                    Step::Command(CaseCommand::Erase {
                        erase: name.clone(),
                        reason: reason.to_owned(),
                    }),
                )
                .await?;
            Ok(Forgotten {
                reference: outcome.reference().to_owned(),
                subject_id: kroonika_vault::subject_id(case_id, &name),
                name,
                erased: matches!(outcome, Outcome::Done { .. }),
            })
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// A subject named by its id or as CASE/NAME: (case id, subject name).
    pub async fn subject(&self, text: &str) -> Result<(Uuid, String)> {
        if let Some((case, name)) = text.rsplit_once('/') {
            return Ok((self.case_id(case).await?, name.to_owned()));
        }
        let subject = Uuid::parse_str(text).map_err(|_| {
            reject(
                Code::InvalidInput,
                format!(
                    "'{text}' is neither a subject id nor CASE/NAME (e.g. LE-2026-0001/victim)"
                ),
            )
        })?;
        let row = self
            .inner
            .store
            .subject_key(subject)
            .await?
            .ok_or_else(|| {
                reject(
                    Code::NotFound,
                    format!(
                        "no data subject {subject} holds personal data here; name it as CASE/NAME"
                    ),
                )
            })?;
        let id = StreamName::new(row.stream.clone())
            .ok()
            .as_ref()
            .and_then(case::id_of)
            .ok_or_else(|| {
                Error::Integrity(format!(
                    "subject {subject} belongs to '{}', not a case",
                    row.stream
                ))
            })?;
        Ok((id, row.name))
    }

    /// Places (`place`) or releases a legal hold on a case.
    pub async fn hold(
        &self,
        request: &Request,
        target: &str,
        place: bool,
        reason: &str,
    ) -> Result<Outcome> {
        self.execute(
            request,
            Some(target),
            CaseCommand::Hold {
                hold: place,
                reason: reason.to_owned(),
            },
        )
        .await
    }

    /// Erases the subjects of every case closed longer ago than its
    /// definition keeps them, unless it is under a legal hold; as the system,
    /// or as `actor` (who must then be allowed to erase). Judged as of `now`.
    pub async fn run_retention(
        &self,
        actor: Option<&str>,
        now: Option<DateTime<Utc>>,
    ) -> Result<Vec<RetentionRow>> {
        let request = Request::new(
            actor.unwrap_or(kroonika_engine::actors::SYSTEM),
            "retention run",
        );
        let done = async {
            let now = now.unwrap_or_else(|| self.now());
            let today = now.date_naive();
            let registry = self.refresh().await?;
            let mut rows = Vec::new();
            for (id, case) in self.all_cases().await? {
                if !case.closed {
                    continue;
                }
                let (definition, _) = registry.definition(&case.process, Some(case.version))?;
                let Some(_) = definition.retention else {
                    continue;
                };
                if let Some(hold) = &case.hold {
                    let unheld = Case {
                        hold: None,
                        ..case.clone()
                    };
                    if !privacy::retention_due(&definition, &unheld, today).is_empty() {
                        rows.push(RetentionRow {
                            case: case.reference.clone(),
                            action: "kept".to_owned(),
                            detail: format!("legal hold: {hold}"),
                        });
                    }
                    continue;
                }
                let due = privacy::retention_due(&definition, &case, today);
                if due.is_empty() {
                    continue;
                }
                // One case that cannot be erased does not stop the others;
                // it is listed as failed, and tried again on the next run.
                let row = match self
                    .step(&request, &id.to_string(), id, Step::Retention(now))
                    .await
                {
                    Ok(_) => RetentionRow {
                        case: case.reference.clone(),
                        action: "erased".to_owned(),
                        detail: due.join(", "),
                    },
                    Err(err) if err.kind() == ErrorKind::Technical => return Err(err),
                    Err(err) => RetentionRow {
                        case: case.reference.clone(),
                        action: "failed".to_owned(),
                        detail: err.to_string(),
                    },
                };
                rows.push(row);
            }
            Ok(rows)
        }
        .await;
        self.recorded(&request, None, done).await
    }

    /// Who read personal data in the clear (and why), and who was refused,
    /// oldest first, each with the actor's roles then; filtered by subject
    /// (its readings, searches, exports, and refusals on its case), actor or
    /// case.
    pub async fn access_log(
        &self,
        request: &Request,
        subject: Option<&str>,
        by: Option<&str>,
        case: Option<&str>,
    ) -> Result<Vec<AccessRow>> {
        self.reader(request, Reading::Log).await?;
        // The case's id and reference, found once: readings carry both,
        // refusals only the reference.
        let only_case = match case {
            Some(text) => {
                let id = self.case_id(text).await?;
                let reference = Case::fold(&self.history_of(id, text).await?)?.reference;
                Some((id, reference))
            }
            None => None,
        };
        let only_subject = match subject {
            Some(text) => {
                let (id, name) = self.subject(text).await?;
                let reference = Case::fold(&self.history_of(id, text).await?)?.reference;
                Some((id, reference, name))
            }
            None => None,
        };
        let roles = self.roles_over_time().await?;
        let mut rows = Vec::new();
        self.each_access(|event, record| {
            let actor = &event.metadata.actor;
            if by.is_some_and(|b| b != actor) {
                return;
            }
            let row = |what: &str, case: String, subjects: Vec<String>, detail: String| AccessRow {
                recorded_at: event.recorded_at,
                actor: actor.clone(),
                roles: roles.at(actor, event.position),
                what: what.to_owned(),
                case,
                subjects,
                purpose_or_reason: detail,
            };
            if let Some((id, reference, name)) = &only_subject {
                if let Some((what, detail)) = crate::subject::touches(record, *id, reference, name)
                {
                    rows.push(row(what, reference.clone(), vec![name.clone()], detail));
                }
                return;
            }
            for (what, reference, case_id, detail, subjects) in access_entries(record.clone()) {
                if let Some((id, wanted)) = &only_case
                    && case_id != Some(*id)
                    && reference != *wanted
                {
                    continue;
                }
                rows.push(row(what, reference, subjects, detail));
            }
        })
        .await?;
        Ok(rows)
    }
}

/// An access record as the access log's rows: (what, case reference, case
/// id, purpose or reason, subjects). A search is one row per case it showed,
/// or one row without a case when it found none.
type Entry = (&'static str, String, Option<Uuid>, String, Vec<String>);

fn access_entries(record: AccessEvent) -> Vec<Entry> {
    match record {
        AccessEvent::PersonalDataRevealed {
            case_id,
            reference,
            subjects,
            purpose,
        } => vec![("revealed", reference, Some(case_id), purpose, subjects)],
        AccessEvent::CasesSearched {
            by,
            purpose,
            matches,
        } => {
            let detail = format!("{purpose} (by {})", by.join(" and "));
            if matches.is_empty() {
                return vec![("searched", String::new(), None, detail, Vec::new())];
            }
            matches
                .into_iter()
                .map(|m| {
                    (
                        "searched",
                        m.reference,
                        Some(m.case_id),
                        detail.clone(),
                        m.subjects,
                    )
                })
                .collect()
        }
        AccessEvent::VolunteerHoursShown {
            volunteers,
            from,
            to,
            purpose,
        } => {
            let days = match (from, to) {
                (None, None) => "all days".to_owned(),
                (from, to) => format!(
                    "{} to {}",
                    from.map_or("the start".to_owned(), |d| d.to_string()),
                    to.map_or("now".to_owned(), |d| d.to_string())
                ),
            };
            vec![(
                "hours shown",
                String::new(),
                None,
                format!("{purpose} (volunteer hours, {days})"),
                volunteers,
            )]
        }
        AccessEvent::SubjectAccessExported { subjects, purpose } => subjects
            .into_iter()
            .map(|m| {
                (
                    "exported",
                    m.reference,
                    Some(m.case_id),
                    purpose.clone(),
                    m.subjects,
                )
            })
            .collect(),
        AccessEvent::PermissionDenied {
            command,
            reference,
            reason,
        } => vec![(
            "refused",
            reference.unwrap_or_default(),
            None,
            format!("{command}: {reason}"),
            Vec::new(),
        )],
    }
}

/// What erasing a subject came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgotten {
    pub reference: String,
    pub name: String,
    pub subject_id: Uuid,
    /// False: it was erased already.
    pub erased: bool,
}

/// One case retention acted on (or kept for a legal hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionRow {
    pub case: String,
    /// `erased`, `kept` or `failed`.
    pub action: String,
    /// The subjects erased, or why it was kept.
    pub detail: String,
}

/// One reading or refusal in the access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRow {
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    /// The actor's roles then.
    pub roles: Vec<String>,
    /// `revealed`, `searched`, `exported`, `hours shown` or `refused`.
    pub what: String,
    pub case: String,
    pub subjects: Vec<String>,
    pub purpose_or_reason: String,
}

impl AccessRow {
    /// The JSON form `audit access --format json` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "recorded_at": self.recorded_at,
            "actor": self.actor,
            "roles": self.roles,
            "system": self.actor == kroonika_engine::actors::SYSTEM,
            "what": self.what,
            "case": self.case,
            "subjects": self.subjects.join(", "),
            "purpose_or_reason": self.purpose_or_reason,
        })
    }
}

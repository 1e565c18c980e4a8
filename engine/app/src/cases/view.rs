//! Reading cases: one case as a person sees it ([`CaseView`]: its state, data
//! masked or revealed on purpose, checklist, deadline, and the steps this actor
//! can take), its history, the case list, and events said in words.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use kroonika_engine::case::{self, Case, CaseEvent};
use kroonika_engine::definition::{FieldType, Input, ProcessDefinition, Text};
use kroonika_engine::{Code, RecordedEvent};
use kroonika_projections::Fold;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use kroonika_engine::actors::Actor;

use crate::App;
use crate::command::Request;
use crate::error::{Result, reject};
use crate::permissions::Reading;

/// What a masked personal field shows.
pub const HIDDEN: &str = "[hidden]";

/// One case as a person sees it. Its JSON form is what `case show --format
/// json` prints: stable, keys only ever added.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub reference: String,
    pub case_id: Uuid,
    pub process: String,
    /// The definition version it is decided by.
    pub version: u32,
    /// How many events it has.
    pub case_version: usize,
    pub state: String,
    /// What the service owner tells whoever works a case in this state.
    pub guidance: Option<String>,
    /// When it entered its state.
    pub since: Option<DateTime<Utc>>,
    pub closed: bool,
    pub outcome: Option<String>,
    /// Personal fields masked, or revealed.
    pub data: BTreeMap<String, Value>,
    pub subjects: Vec<SubjectView>,
    pub legal_hold: Option<String>,
    pub tasks: Vec<TaskView>,
    /// Whether the reader may tick the checklist now.
    pub may_tick: bool,
    /// Whether the reader may place and release a legal hold.
    pub may_hold: bool,
    pub deadline: Option<DeadlineView>,
    /// Every step the state offers; for each, whether the reader can take
    /// it now (and why not) and the inputs it takes.
    pub transitions: Vec<StepView>,
    /// The case's journal, oldest first: who wrote when, and (revealed) what.
    pub notes: Vec<NoteView>,
    /// Notices the case owes and has not yet sent (also once closed).
    pub notices: Vec<NoticeView>,
}

/// A notice due and not yet sent (to the referring authority).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeView {
    /// Its id in the definition (`case notice CASE ID` records it sent).
    pub notice: String,
    pub due_on: NaiveDate,
    /// `due`, or `overdue` once its due date has passed.
    pub status: DeadlineStatus,
    /// The partner it goes to (its id), if the definition names one.
    pub to: Option<String>,
    /// Who it escalates to when missed.
    pub escalate: Option<String>,
    /// Whether the reader may record it sent.
    pub may_send: bool,
}

/// One note of a case's journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteView {
    /// When it was written about (its occurred-at).
    pub at: DateTime<Utc>,
    pub by: String,
    /// The text, when revealed; None when masked, or erased (`erased` says which).
    pub text: Option<String>,
    pub erased: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectView {
    pub name: String,
    pub id: Uuid,
    pub erased: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    pub id: String,
    pub title: String,
    pub done: bool,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineView {
    pub due_on: NaiveDate,
    pub status: DeadlineStatus,
    /// Working days from the day judged on to the due day (negative: how
    /// many have passed since).
    pub working_days_left: i64,
    /// Who it escalates to when missed.
    pub escalate: Option<String>,
}

/// Where a case stands against its deadline on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeadlineStatus {
    Due,
    Warned,
    Overdue,
}

impl DeadlineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineStatus::Due => "due",
            DeadlineStatus::Warned => "warned",
            DeadlineStatus::Overdue => "overdue",
        }
    }
}

/// Whether a deadline is overdue on `today`: marked missed, or its day passed.
pub fn overdue(missed: bool, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    missed || due_on.is_some_and(|due| due < today)
}

/// A case's deadline and where it stands on `today`.
pub fn deadline(case: &Case, today: NaiveDate) -> Option<DeadlineView> {
    case.deadline.as_ref().map(|d| {
        let status = if overdue(case.deadline_missed, Some(d.due_on), today) {
            DeadlineStatus::Overdue
        } else if case.deadline_warned || d.warn_on.is_some_and(|w| w <= today) {
            DeadlineStatus::Warned
        } else {
            DeadlineStatus::Due
        };
        DeadlineView {
            due_on: d.due_on,
            status,
            working_days_left: kroonika_engine::calendar::working_days_between(today, d.due_on),
            escalate: d.escalate.clone(),
        }
    })
}

/// A step offered in the case's state, and why this actor cannot take it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepView {
    pub name: String,
    /// The state it leads to (None: the case stays where it is).
    pub to: Option<String>,
    pub available: bool,
    pub reason: Option<String>,
    pub inputs: Vec<InputView>,
}

/// One input a step or an opening takes, as a form or a command line needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputView {
    pub name: String,
    /// `string`, `text`, `integer`, `number`, `boolean`, `date`,
    /// `datetime`, `enum`, `list`, `actors`.
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// An enum's values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// For a string or text (or a list of them): at most this many characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// For a list of actors: the role each must hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// For a party (or a list of them): the people field they are listed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<String>,
    /// Personal data of this data subject (sealed when recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal: Option<String>,
    /// What a form labels it with: text, or text by language (`et`, `en`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub title: Option<Text>,
    /// What a form shows for each enum value, as `title`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub labels: BTreeMap<String, Text>,
}

impl InputView {
    /// The inputs `specs` declares, typed from `definition`; a partner
    /// input offers the active partners of its kinds in `partners`.
    pub fn of(
        definition: &ProcessDefinition,
        specs: &[Input],
        partners: Option<&kroonika_engine::partners::PartnerList>,
    ) -> Vec<InputView> {
        specs
            .iter()
            .map(|spec| {
                let mut view = InputView {
                    name: spec.name.clone(),
                    kind: String::new(),
                    required: spec.required,
                    values: Vec::new(),
                    min: None,
                    max: None,
                    pattern: None,
                    max_length: spec.field_type(definition).and_then(FieldType::max_length),
                    role: None,
                    people: None,
                    personal: spec.personal(definition).map(str::to_owned),
                    title: spec.title(definition).cloned(),
                    labels: spec.labels(definition).clone(),
                };
                view.kind = match spec.field_type(definition) {
                    Some(FieldType::Enum { values }) => {
                        view.values = values.clone();
                        "enum".to_owned()
                    }
                    Some(FieldType::Integer { min, max }) => {
                        view.min = min.map(|m| m as f64);
                        view.max = max.map(|m| m as f64);
                        "integer".to_owned()
                    }
                    Some(FieldType::Number { min, max }) => {
                        view.min = *min;
                        view.max = *max;
                        "number".to_owned()
                    }
                    Some(FieldType::String { pattern, .. }) => {
                        view.pattern = pattern.clone();
                        "string".to_owned()
                    }
                    Some(FieldType::Actors { role }) => {
                        view.role = Some(role.clone());
                        "actors".to_owned()
                    }
                    Some(FieldType::People { roles }) => {
                        view.values = roles.clone();
                        "people".to_owned()
                    }
                    Some(FieldType::Party { people }) => {
                        view.people = Some(people.clone());
                        "party".to_owned()
                    }
                    Some(FieldType::List { of }) if of.party_of().is_some() => {
                        view.people = of.party_of().map(str::to_owned);
                        "parties".to_owned()
                    }
                    Some(FieldType::Partner { kinds }) => {
                        for partner in partners.into_iter().flat_map(|l| l.offered(kinds)) {
                            view.values.push(partner.id.clone());
                            view.labels
                                .insert(partner.id.clone(), partner.title.clone());
                        }
                        "partner".to_owned()
                    }
                    Some(other) => other.name().to_owned(),
                    None => "string".to_owned(),
                };
                view
            })
            .collect()
    }
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub process: Option<String>,
    pub state: Option<String>,
    /// Cases that name this actor in an actor-list field.
    pub assigned_to: Option<String>,
    pub overdue: bool,
    pub outcome: Option<String>,
    pub open: bool,
    pub closed: bool,
    /// As recorded by then (the list folded from the log up to it).
    pub as_of: Option<DateTime<Utc>>,
}

/// A case list: the case-list projection's documents, filtered, nearest
/// deadline first, and the day overdue was judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseList {
    pub cases: Vec<Value>,
    pub today: NaiveDate,
    /// Said once to the reader when the list did not come from its
    /// projection (a read-only store: folded from the log instead).
    pub note: Option<String>,
}

impl CaseList {
    /// Whether a listed case is overdue on the list's day.
    pub fn is_overdue(&self, doc: &Value) -> bool {
        let due = doc["deadline"]["due_on"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        overdue(
            doc["deadline_missed"].as_bool() == Some(true),
            due,
            self.today,
        )
    }
}

impl App {
    /// One case as `request.actor` sees it, as of now or as recorded by
    /// `as_of`. With `reveal` (a purpose) personal data is shown in the clear,
    /// if the actor may: the reading is recorded first; a refusal is recorded too.
    pub async fn show_case(
        &self,
        request: &Request,
        target: &str,
        as_of: Option<DateTime<Utc>>,
        reveal: Option<&str>,
    ) -> Result<CaseView> {
        if reveal.is_some() {
            // Whether one may read in the clear is judged on the directory as
            // it is now, not as this process last read it.
            self.refresh().await?;
        }
        let (actor, _) = self.acting(&request.actor).await?;
        let id = self.case_id(target).await?;
        let mut history = self.history_of(id, target).await?;
        // As of a time: what had been recorded by then, judged at that time.
        let now = as_of.unwrap_or_else(|| self.now());
        history.retain(|e| e.recorded_at <= now);
        if history.is_empty() {
            return Err(reject(
                Code::NotFound,
                format!("case '{target}' was not yet opened at {now}"),
            ));
        }
        let case = Case::fold(&history)?;
        self.may_see(request, &actor, &case).await?;
        let registry = self.registry_for(&case.process, case.version).await?;
        let (definition, version) = registry.definition(&case.process, Some(case.version))?;
        let cx = case::Context {
            definition: &definition,
            version,
            actor: &actor,
            actors: registry.actors(),
            now,
            occurred_at: now,
        };
        let (tasks, steps) = if case.closed {
            (Vec::new(), Vec::new())
        } else {
            (case::tasks(&cx, &case)?, case::availability(&cx, &case)?)
        };
        let partners = registry.partners()?;
        let state = definition.state(&case.state);
        let offered: Vec<_> = state
            .map(|s| definition.transitions_in(s).collect())
            .unwrap_or_default();
        let data = match reveal {
            None => masked(&definition, &case),
            Some(purpose) => self.revealed(request, &cx, &case, id, purpose).await?,
        };
        let notes = self.notes(&history, id, reveal.is_some()).await?;
        Ok(CaseView {
            reference: case.reference.clone(),
            case_id: id,
            process: case.process.clone(),
            version: case.version,
            case_version: history.len(),
            state: case.state.clone(),
            guidance: state.and_then(|s| s.guidance.as_ref().map(|g| g.as_str().to_owned())),
            since: case.entered_at,
            closed: case.closed,
            outcome: case.outcome.clone(),
            data,
            subjects: kroonika_engine::case::people::subjects(&definition, &case.data)
                .into_iter()
                .map(|name| SubjectView {
                    id: kroonika_vault::subject_id(id, &name),
                    erased: case.erased.contains(&name),
                    name,
                })
                .collect(),
            legal_hold: case.hold.clone(),
            tasks: tasks
                .into_iter()
                .map(|(id, title, done, required)| TaskView {
                    id,
                    title,
                    done,
                    required,
                })
                .collect(),
            notes,
            notices: case
                .notices
                .iter()
                .map(|(notice, pending)| NoticeView {
                    notice: notice.clone(),
                    due_on: pending.due_on,
                    status: if overdue(pending.missed, Some(pending.due_on), now.date_naive()) {
                        DeadlineStatus::Overdue
                    } else {
                        DeadlineStatus::Due
                    },
                    to: pending.to.clone(),
                    escalate: pending.escalate.clone(),
                    may_send: definition.notice(notice).is_some_and(|n| {
                        !n.renew && case::decide::allowed(&cx, &n.roles, &case.data, "").is_ok()
                    }),
                })
                .collect(),
            may_tick: case::may_tick(&cx, &case),
            may_hold: case::privacy::may_hold(&cx, &case),
            deadline: deadline(&case, now.date_naive()),
            transitions: steps
                .into_iter()
                .map(|(name, reason)| {
                    let step = offered.iter().find(|t| t.name == name);
                    StepView {
                        to: step.and_then(|t| t.to.clone()),
                        inputs: step
                            .map(|t| InputView::of(&definition, &t.input, partners.as_deref()))
                            .unwrap_or_default(),
                        name,
                        available: reason.is_none(),
                        reason,
                    }
                })
                .collect(),
        })
    }

    /// Refuses a state or outcome no published version of the process (or
    /// of any process) has: a typo would otherwise list "no cases".
    fn known_filter(&self, filter: &CaseFilter) -> Result<()> {
        let registry = self.registry();
        let processes: Vec<String> = match &filter.process {
            Some(process) => vec![process.clone()],
            None => registry
                .latest_versions()
                .map(|p| p.publication.process.clone())
                .collect(),
        };
        let mut states: Vec<String> = Vec::new();
        let mut outcomes: Vec<String> = Vec::new();
        for process in &processes {
            for published in registry.versions(process) {
                let Ok(definition) = published.definition() else {
                    continue;
                };
                for state in &definition.states {
                    if !states.contains(&state.name) {
                        states.push(state.name.clone());
                    }
                    if let Some(outcome) = &state.outcome
                        && !outcomes.contains(outcome)
                    {
                        outcomes.push(outcome.clone());
                    }
                }
            }
        }
        let of = filter
            .process
            .as_ref()
            .map_or("any process".to_owned(), |p| format!("'{p}'"));
        for (what, given, known) in [
            ("state", &filter.state, &states),
            ("outcome", &filter.outcome, &outcomes),
        ] {
            if let Some(given) = given
                && !known.contains(given)
                && !processes.is_empty()
            {
                let hint = kroonika_processes::suggest::did_you_mean(
                    given,
                    known.iter().map(String::as_str),
                )
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
                return Err(reject(
                    Code::InvalidInput,
                    format!(
                        "there is no {what} '{given}' in {of}{hint} ({what}s: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The case's notes; opened when `revealed` (the reading recorded by
    /// the caller first).
    async fn notes(
        &self,
        history: &[RecordedEvent],
        id: Uuid,
        revealed: bool,
    ) -> Result<Vec<NoteView>> {
        let sealed: Vec<(&RecordedEvent, Value)> = history
            .iter()
            .filter(|e| e.event_type == "NoteAdded")
            .filter_map(
                |e| match CaseEvent::from_parts(&e.event_type, e.data.as_str()) {
                    Ok(CaseEvent::NoteAdded { note }) => Some((e, note)),
                    _ => None,
                },
            )
            .collect();
        if sealed.is_empty() {
            return Ok(Vec::new());
        }
        let ring = if revealed {
            Some(crate::keys::existing(&self.inner.store, self.master()?, id).await?)
        } else {
            None
        };
        let stream = case::stream(id).to_string();
        Ok(sealed
            .into_iter()
            .map(|(event, note)| {
                let opened = ring
                    .as_ref()
                    .map(|ring| kroonika_vault::open_note(ring, &stream, &note));
                NoteView {
                    at: event.metadata.occurred_at,
                    by: event.metadata.actor.clone(),
                    erased: matches!(opened, Some(kroonika_vault::Opened::Erased)),
                    text: match opened {
                        Some(kroonika_vault::Opened::Plain(Value::String(text))) => Some(text),
                        _ => None,
                    },
                }
            })
            .collect())
    }

    /// A case's recorded events, oldest first.
    pub async fn case_history(
        &self,
        request: &Request,
        target: &str,
    ) -> Result<Vec<RecordedEvent>> {
        let id = self.case_id(target).await?;
        let history = self.history_of(id, target).await?;
        if !request.operator || !request.actor.is_empty() {
            let (actor, _) = self.acting(&request.actor).await?;
            let case = Case::fold(&history)?;
            self.may_see(request, &actor, &case).await?;
        }
        Ok(history)
    }

    /// The texts of the case's notes, by event position, for `purpose`:
    /// refused (and recorded) unless the actor may read the case's personal
    /// data; the reading recorded before anything is returned. None for a
    /// note that can no longer be read (a subject erased).
    pub async fn note_texts(
        &self,
        request: &Request,
        target: &str,
        purpose: &str,
    ) -> Result<BTreeMap<u64, Option<String>>> {
        self.refresh().await?;
        let now = self.opened_now(request, target).await?;
        // Judged and recorded as every reveal is.
        self.revealed(request, &now.cx(), &now.case, now.id, purpose)
            .await?;
        let (history, id) = (now.history, now.id);
        let positions: Vec<u64> = history
            .iter()
            .filter(|e| e.event_type == "NoteAdded")
            .map(|e| e.position)
            .collect();
        let notes = self.notes(&history, id, true).await?;
        Ok(positions
            .into_iter()
            .zip(notes)
            .map(|(position, note)| (position, note.text))
            .collect())
    }

    /// Refuses (and records the refusal) unless `actor` may read cases of
    /// `case`'s process.
    pub(crate) async fn may_see(
        &self,
        request: &Request,
        actor: &Actor,
        case: &Case,
    ) -> Result<()> {
        if let Err(refused) = self.may_read(actor, Reading::Cases(&case.process)) {
            self.record_refusal(request, Some(&case.reference), &refused)
                .await?;
            return Err(refused.into());
        }
        Ok(())
    }

    /// The case list (caught up first; or folded up to `as_of`), filtered,
    /// nearest deadline first, cases without one after, by reference.
    pub async fn list_cases(&self, request: &Request, filter: &CaseFilter) -> Result<CaseList> {
        self.known_filter(filter)?;
        let reader = match &filter.process {
            Some(process) => self.reader(request, Reading::Cases(process)).await?,
            None if request.operator && request.actor.is_empty() => None,
            None => Some(self.acting(&request.actor).await?.0),
        };
        let fold = &kroonika_projections::cases::CaseList;
        let mut note = None;
        let (mut cases, today) = match filter.as_of {
            None => match self.catch_up(fold, &mut |_| {}).await {
                Ok(_) => {
                    let docs = self.inner.store.projection_docs(fold.name(), None).await?;
                    (
                        docs.into_iter().map(|(_, doc)| doc).collect::<Vec<_>>(),
                        self.now().date_naive(),
                    )
                }
                Err(err) if err.is_read_only() => {
                    note = Some(
                        "the store is read-only: the list was folded from the log, not read from its projection".to_owned(),
                    );
                    let now = self.now();
                    (self.fold_until(fold, now).await?, now.date_naive())
                }
                Err(err) => return Err(err),
            },
            Some(at) => (self.fold_until(fold, at).await?, at.date_naive()),
        };
        let list = CaseList {
            cases: Vec::new(),
            today,
            note: None,
        };
        let text = |doc: &Value, field: &str| doc[field].as_str().unwrap_or_default().to_owned();
        // Whether the reader may see each process's cases, judged once a process.
        let mut visible: BTreeMap<String, bool> = BTreeMap::new();
        cases.retain(|doc| {
            let closed = doc["closed"] == Value::Bool(true);
            let process = text(doc, "process");
            let allowed = match &reader {
                None => true,
                Some(actor) => *visible.entry(process).or_insert_with_key(|process| {
                    self.may_read(actor, Reading::Cases(process)).is_ok()
                }),
            };
            allowed
                && filter
                    .process
                    .as_ref()
                    .is_none_or(|p| text(doc, "process") == *p)
                && filter
                    .state
                    .as_ref()
                    .is_none_or(|s| text(doc, "state") == *s)
                && filter
                    .outcome
                    .as_ref()
                    .is_none_or(|o| text(doc, "outcome") == *o)
                && (!filter.open || !closed)
                && (!filter.closed || closed)
                && (!filter.overdue || (!closed && list.is_overdue(doc)))
                && filter.assigned_to.as_ref().is_none_or(|actor| {
                    doc["assigned"].as_object().is_some_and(|fields| {
                        fields.values().any(|names| {
                            names
                                .as_array()
                                .is_some_and(|n| n.iter().any(|v| v.as_str() == Some(actor)))
                        })
                    })
                })
        });
        cases.sort_by(|a, b| {
            let due = |d: &Value| d["deadline"]["due_on"].as_str().map(str::to_owned);
            match (due(a), due(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| text(a, "reference").cmp(&text(b, "reference")))
        });
        Ok(CaseList { cases, today, note })
    }
}

/// The case's data with personal fields masked (or `[erased]`).
fn masked(
    definition: &kroonika_engine::definition::ProcessDefinition,
    case: &Case,
) -> BTreeMap<String, Value> {
    case.data
        .iter()
        .map(|(name, value)| {
            let field = definition.field(name);
            if let Some(FieldType::People { .. }) = field.map(|f| &f.ty) {
                return (name.clone(), masked_people(case, value));
            }
            let shown = match field.and_then(|f| f.personal.as_ref()) {
                Some(subject) if case.erased.contains(subject) => json!(kroonika_vault::ERASED),
                Some(_) => json!(HIDDEN),
                None => value.clone(),
            };
            (name.clone(), shown)
        })
        .collect()
}

/// A list of people with each name and contact masked (or `[erased]`).
fn masked_people(case: &Case, value: &Value) -> Value {
    let mut shown = value.clone();
    kroonika_engine::case::people::each_personal(&mut shown, |id, _, v| {
        let erased = case.erased.iter().any(|e| e == id);
        *v = json!(if erased {
            kroonika_vault::ERASED
        } else {
            HIDDEN
        });
    });
    shown
}

/// An event of a case's stream in words: what the history, the audit trail and
/// the timers say.
pub fn describe(event: &CaseEvent) -> String {
    match event {
        CaseEvent::CaseOpened {
            reference, state, ..
        } => format!("opened {reference} in {state}"),
        CaseEvent::TransitionTaken {
            transition,
            from,
            to,
            ..
        } if from == to => format!("{transition} (stays in {to})"),
        CaseEvent::TransitionTaken { transition, to, .. } => format!("{transition} → {to}"),
        CaseEvent::TaskCompleted { task, .. } => format!("task {task} done"),
        CaseEvent::TaskUndone { task, .. } => format!("task {task} undone"),
        CaseEvent::CaseMigrated {
            from_version,
            to_version,
            from_state,
            to_state,
            ..
        } if from_state == to_state => {
            format!("migrated from version {from_version} to {to_version}")
        }
        CaseEvent::CaseMigrated {
            from_version,
            to_version,
            to_state,
            ..
        } => {
            format!("migrated from version {from_version} to {to_version}, now in {to_state}")
        }
        CaseEvent::DeadlineWarned { state, due_on } => {
            format!("warned: the deadline of {state} is {due_on}")
        }
        CaseEvent::DeadlineMissed {
            state,
            due_on,
            escalate,
        } => match escalate {
            Some(role) => format!("deadline of {state} missed ({due_on}); overdue for {role}"),
            None => format!("deadline of {state} missed ({due_on})"),
        },
        CaseEvent::CaseDataCorrected {
            data,
            reason,
            request,
            ..
        } => {
            let fields: Vec<&str> = data.keys().map(String::as_str).collect();
            match request {
                Some(request) => format!(
                    "corrected {} ({reason}; answering request {request})",
                    fields.join(", ")
                ),
                None => format!("corrected {} ({reason})", fields.join(", ")),
            }
        }
        CaseEvent::SubjectErased {
            subject, reason, ..
        } => format!("erased the personal data of {subject} ({reason})"),
        CaseEvent::LegalHoldPlaced { reason } => format!("legal hold placed ({reason})"),
        CaseEvent::LegalHoldReleased { reason } if reason.is_empty() => {
            "legal hold released".to_owned()
        }
        CaseEvent::LegalHoldReleased { reason } => format!("legal hold released ({reason})"),
        CaseEvent::NoteAdded { .. } => "note added".to_owned(),
        CaseEvent::DocumentProduced {
            document,
            language,
            to,
            ..
        } => match to {
            Some(to) => format!("document {document} produced ({language}, for {to})"),
            None => format!("document {document} produced ({language})"),
        },
        CaseEvent::NoticeSent {
            notice,
            sent_on,
            reference,
        } => match reference {
            Some(reference) => format!("notice {notice} sent on {sent_on} ({reference})"),
            None => format!("notice {notice} sent on {sent_on}"),
        },
        CaseEvent::NoticeMissed {
            notice,
            due_on,
            escalate,
        } => match escalate {
            Some(role) => format!("notice {notice} not sent by {due_on}; overdue for {role}"),
            None => format!("notice {notice} not sent by {due_on}"),
        },
    }
}

/// A recorded event of a case in words (its type, if it does not read).
pub fn describe_recorded(event: &RecordedEvent) -> String {
    CaseEvent::from_parts(&event.event_type, event.data.as_str())
        .map_or_else(|_| event.event_type.clone(), |e| describe(&e))
}

/// A case as its reader may see it now: the reader, the case, its history,
/// and the published version that decides it, for what is judged on it.
pub(crate) struct OpenedNow {
    pub actor: Actor,
    pub id: uuid::Uuid,
    pub history: Vec<kroonika_engine::RecordedEvent>,
    pub case: Case,
    pub registry: std::sync::Arc<crate::registry::Registry>,
    pub definition: std::sync::Arc<kroonika_engine::definition::ProcessDefinition>,
    pub version: u32,
    pub now: DateTime<Utc>,
}

impl OpenedNow {
    /// The rules' context: this reader, now.
    pub fn cx(&self) -> case::Context<'_> {
        case::Context {
            definition: &self.definition,
            version: self.version,
            actor: &self.actor,
            actors: self.registry.actors(),
            now: self.now,
            occurred_at: self.now,
        }
    }
}

impl App {
    /// Case `target` as `request.actor` may see it now: refused (and the
    /// refusal recorded) unless they may read cases of its process.
    pub(crate) async fn opened_now(&self, request: &Request, target: &str) -> Result<OpenedNow> {
        let (actor, _) = self.acting(&request.actor).await?;
        let id = self.case_id(target).await?;
        let history = self.history_of(id, target).await?;
        let case = Case::fold(&history)?;
        self.may_see(request, &actor, &case).await?;
        let registry = self.registry_for(&case.process, case.version).await?;
        let (definition, version) = registry.definition(&case.process, Some(case.version))?;
        Ok(OpenedNow {
            actor,
            id,
            history,
            case,
            registry,
            definition,
            version,
            now: self.now(),
        })
    }
}

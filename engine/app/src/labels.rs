//! A definition's words in the reader's language, for every front end.
//!
//! Service owners may title states, steps, tasks, fields, their values and
//! outcomes, and write guidance and rules' messages, in Estonian and English
//! (`{ et: …, en: … }`). The engine, the API and commands keep ids; the web
//! pages and the CLI's `--lang` show these words instead, resolved here once,
//! with the id wherever the definition gives none, so nothing shows an empty
//! label.

use std::collections::BTreeMap;

use kroonika_engine::case::CaseEvent;
use kroonika_engine::definition::{ProcessDefinition, Text};
use serde::Serialize;

/// The labels of one definition, by id, in one language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Labels {
    pub process: String,
    pub states: BTreeMap<String, String>,
    pub guidance: BTreeMap<String, String>,
    pub steps: BTreeMap<String, String>,
    /// A step's rule's message (what a refusal says).
    pub messages: BTreeMap<String, String>,
    pub tasks: BTreeMap<String, String>,
    pub fields: BTreeMap<String, String>,
    /// The definition's fields in its order (how a case's data is listed).
    pub field_order: Vec<String>,
    /// Field → value → label.
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    pub outcomes: BTreeMap<String, String>,
    pub subjects: BTreeMap<String, String>,
    /// Notices owed outside the service (to the referring authority).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub notices: BTreeMap<String, String>,
    /// Documents produced from a case (the agreement, the report).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub documents: BTreeMap<String, String>,
    /// Partners' names by id (with [`Labels::with_partners`]), for whom a
    /// notice goes to.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub partners: BTreeMap<String, String>,
}

impl Labels {
    /// A case event in words, in `lang` (`et`, else English), with the
    /// definition's labels: a case's history on a page, in a person's export.
    /// Never a value a step recorded (it may be anyone's personal data).
    pub fn describe(&self, event: &CaseEvent, lang: &str) -> String {
        let et = lang == "et";
        match event {
            CaseEvent::CaseOpened {
                reference, state, ..
            } => {
                let state = self.state(state);
                if et {
                    format!("avas juhtumi {reference}: {state}")
                } else {
                    format!("opened {reference} in {state}")
                }
            }
            CaseEvent::TransitionTaken {
                transition,
                from,
                to,
                ..
            } if from == to => {
                let (step, to) = (self.step(transition), self.state(to));
                if et {
                    format!("{step} (jääb: {to})")
                } else {
                    format!("{step} (stays in {to})")
                }
            }
            CaseEvent::TransitionTaken { transition, to, .. } => {
                format!("{} → {}", self.step(transition), self.state(to))
            }
            CaseEvent::TaskCompleted { task, .. } => {
                let task = self.task(task);
                if et {
                    format!("tehtud: {task}")
                } else {
                    format!("done: {task}")
                }
            }
            CaseEvent::TaskUndone { task, .. } => {
                let task = self.task(task);
                if et {
                    format!("tehtuks märkimine võeti tagasi: {task}")
                } else {
                    format!("undone: {task}")
                }
            }
            CaseEvent::CaseMigrated {
                from_version,
                to_version,
                to_state,
                ..
            } => {
                let state = self.state(to_state);
                if et {
                    format!(
                        "viidi versioonilt {from_version} versioonile {to_version}, nüüd: {state}"
                    )
                } else {
                    format!("migrated from version {from_version} to {to_version}, now in {state}")
                }
            }
            CaseEvent::DeadlineWarned { state, due_on } => {
                let (state, due) = (self.state(state), due_on.format("%d.%m.%Y").to_string());
                if et {
                    format!("hoiatus: tähtaeg ({state}) on {due}")
                } else {
                    format!("warned: the deadline of {state} is {due}")
                }
            }
            CaseEvent::DeadlineMissed {
                state,
                due_on,
                escalate,
            } => {
                let (state, due) = (self.state(state), due_on.format("%d.%m.%Y").to_string());
                match (et, escalate) {
                    (true, Some(role)) => {
                        format!("tähtaeg ({state}, {due}) möödus; teada antud: {role}")
                    }
                    (true, None) => format!("tähtaeg ({state}, {due}) möödus"),
                    (false, Some(role)) => {
                        format!("deadline of {state} missed ({due}); overdue for {role}")
                    }
                    (false, None) => format!("deadline of {state} missed ({due})"),
                }
            }
            CaseEvent::CaseDataCorrected {
                data,
                reason,
                request,
                ..
            } => {
                let fields: Vec<&str> = data.keys().map(|f| self.field(f)).collect();
                let fields = fields.join(", ");
                match (et, request) {
                    (true, Some(request)) => {
                        format!("parandas: {fields} ({reason}; taotlus {request})")
                    }
                    (true, None) => format!("parandas: {fields} ({reason})"),
                    (false, Some(request)) => {
                        format!("corrected {fields} ({reason}; answering request {request})")
                    }
                    (false, None) => format!("corrected {fields} ({reason})"),
                }
            }
            CaseEvent::SubjectErased {
                subject, reason, ..
            } => {
                let subject = self.subjects.get(subject).unwrap_or(subject);
                if et {
                    format!("kustutas isikuandmed: {subject} ({reason})")
                } else {
                    format!("erased the personal data of {subject} ({reason})")
                }
            }
            CaseEvent::LegalHoldPlaced { reason } => {
                if et {
                    format!("säilitamiskohustus seatud ({reason})")
                } else {
                    format!("legal hold placed ({reason})")
                }
            }
            CaseEvent::LegalHoldReleased { reason } => match (et, reason.is_empty()) {
                (true, true) => "säilitamiskohustus lõpetatud".to_owned(),
                (true, false) => format!("säilitamiskohustus lõpetatud ({reason})"),
                (false, true) => "legal hold released".to_owned(),
                (false, false) => format!("legal hold released ({reason})"),
            },
            CaseEvent::NoteAdded { .. } => {
                if et {
                    "lisas märkme".to_owned()
                } else {
                    "note added".to_owned()
                }
            }
            CaseEvent::DocumentProduced {
                document,
                language,
                to,
                ..
            } => {
                let document = self.document(document);
                let to = to
                    .as_deref()
                    .map(|to| self.subjects.get(to).map_or(to, String::as_str));
                match (et, to) {
                    (true, Some(to)) => format!("koostas dokumendi: {document} ({language}, {to})"),
                    (true, None) => format!("koostas dokumendi: {document} ({language})"),
                    (false, Some(to)) => {
                        format!("produced document: {document} ({language}, for {to})")
                    }
                    (false, None) => format!("produced document: {document} ({language})"),
                }
            }
            CaseEvent::NoticeSent {
                notice,
                sent_on,
                reference,
            } => {
                let (notice, day) = (self.notice(notice), sent_on.format("%d.%m.%Y"));
                match (et, reference) {
                    (true, Some(r)) => format!("teade saadetud: {notice} ({day}, viide {r})"),
                    (true, None) => format!("teade saadetud: {notice} ({day})"),
                    (false, Some(r)) => format!("notice sent: {notice} ({day}, reference {r})"),
                    (false, None) => format!("notice sent: {notice} ({day})"),
                }
            }
            CaseEvent::NoticeMissed {
                notice,
                due_on,
                escalate,
            } => {
                let (notice, due) = (self.notice(notice), due_on.format("%d.%m.%Y"));
                match (et, escalate) {
                    (true, Some(role)) => {
                        format!(
                            "teade ({notice}) jäi tähtajaks {due} saatmata; teada antud: {role}"
                        )
                    }
                    (true, None) => format!("teade ({notice}) jäi tähtajaks {due} saatmata"),
                    (false, Some(role)) => {
                        format!("notice {notice} not sent by {due}; overdue for {role}")
                    }
                    (false, None) => format!("notice {notice} not sent by {due}"),
                }
            }
        }
    }

    /// A notice's title (its id if it has none).
    pub fn notice<'a>(&'a self, id: &'a str) -> &'a str {
        self.notices.get(id).map_or(id, String::as_str)
    }

    pub fn document<'a>(&'a self, id: &'a str) -> &'a str {
        self.documents.get(id).map_or(id, String::as_str)
    }

    /// `def`'s words in `lang`; where a step or task id recurs in several
    /// states, `state`'s own come first.
    pub fn of(def: &ProcessDefinition, state: Option<&str>, lang: &str) -> Labels {
        let mut labels = Labels {
            process: def.title.get(lang).to_owned(),
            ..Labels::default()
        };
        let current = state.and_then(|s| def.state(s));
        let steps = current
            .into_iter()
            .flat_map(|s| def.transitions_in(s))
            .chain(def.states.iter().flat_map(|s| s.transitions.iter()))
            .chain(&def.anywhere);
        for step in steps {
            labels
                .steps
                .entry(step.name.clone())
                .or_insert_with(|| or_id(step.title.as_ref(), &step.name, lang));
            if let Some(message) = step.guard.as_ref().and_then(|g| g.message.as_ref()) {
                labels
                    .messages
                    .entry(step.name.clone())
                    .or_insert_with(|| message.get(lang).to_owned());
            }
            for input in &step.input {
                labels.input(def, input, lang);
            }
        }
        let tasks = current
            .into_iter()
            .chain(&def.states)
            .flat_map(|s| s.tasks.iter());
        for task in tasks {
            labels
                .tasks
                .entry(task.id.clone())
                .or_insert_with(|| task.title.get(lang).to_owned());
        }
        for s in &def.states {
            labels
                .states
                .insert(s.name.clone(), def.state_title(&s.name, lang).to_owned());
            if let Some(guidance) = &s.guidance {
                labels
                    .guidance
                    .insert(s.name.clone(), guidance.get(lang).to_owned());
            }
            if let Some(outcome) = &s.outcome {
                labels
                    .outcomes
                    .entry(outcome.clone())
                    .or_insert_with(|| def.outcome_title(outcome, lang).to_owned());
            }
        }
        labels.field_order = def.fields.iter().map(|f| f.name.clone()).collect();
        for field in &def.fields {
            labels.fields.insert(
                field.name.clone(),
                def.field_title(&field.name, lang).to_owned(),
            );
            labels.values(&field.name, &field.labels, lang);
        }
        for input in &def.open.input {
            labels.input(def, input, lang);
        }
        for subject in &def.subjects {
            labels
                .subjects
                .insert(subject.name.clone(), subject.title.get(lang).to_owned());
        }
        for notice in &def.notices {
            labels.notices.insert(
                notice.id.clone(),
                or_id(notice.title.as_ref(), &notice.id, lang),
            );
        }
        for document in &def.documents {
            labels
                .documents
                .insert(document.id.clone(), document.title.get(lang).to_owned());
        }
        labels
    }

    /// A step's own input's title and values (a field's come with the field).
    fn input(
        &mut self,
        def: &ProcessDefinition,
        input: &kroonika_engine::definition::Input,
        lang: &str,
    ) {
        if def.field(&input.name).is_some() {
            return;
        }
        self.fields
            .entry(input.name.clone())
            .or_insert_with(|| or_id(input.title.as_ref(), &input.name, lang));
        if !self.values.contains_key(&input.name) {
            self.values(&input.name, &input.labels, lang);
        }
    }

    fn values(&mut self, name: &str, labels: &BTreeMap<String, Text>, lang: &str) {
        if labels.is_empty() {
            return;
        }
        self.values.insert(
            name.to_owned(),
            labels
                .iter()
                .map(|(value, text)| (value.clone(), text.get(lang).to_owned()))
                .collect(),
        );
    }

    /// Adds the partners' names, for `def`'s partner fields (their values
    /// are ids in the partner list).
    pub fn with_partners(
        mut self,
        def: &ProcessDefinition,
        list: Option<&kroonika_engine::partners::PartnerList>,
        lang: &str,
    ) -> Labels {
        let Some(list) = list else { return self };
        let names: BTreeMap<String, String> = list
            .partners
            .iter()
            .map(|p| (p.id.clone(), p.title.get(lang).to_owned()))
            .collect();
        for field in &def.fields {
            if matches!(
                field.ty,
                kroonika_engine::definition::FieldType::Partner { .. }
            ) {
                self.values.insert(field.name.clone(), names.clone());
            }
        }
        if !def.notices.is_empty() {
            self.partners = names;
        }
        self
    }

    /// Adds a title for each person the case's people fields list, as a
    /// data subject: their role and their id (`Kannatanu (parties-2)`),
    /// never their name.
    pub fn with_people(
        mut self,
        def: &ProcessDefinition,
        data: &BTreeMap<String, serde_json::Value>,
    ) -> Labels {
        for field in &def.fields {
            if !matches!(
                field.ty,
                kroonika_engine::definition::FieldType::People { .. }
            ) {
                continue;
            }
            let Some(value) = data.get(&field.name) else {
                continue;
            };
            for item in kroonika_engine::case::people::items(value) {
                let Some(id) = item.get("id").and_then(serde_json::Value::as_str) else {
                    continue;
                };
                let title = self.person(&field.name, item);
                self.subjects.insert(id.to_owned(), title);
            }
        }
        self
    }

    /// A listed person as a form or a page names them: their role and id.
    pub fn person(&self, field: &str, item: &serde_json::Map<String, serde_json::Value>) -> String {
        let id = item
            .get("id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?");
        match item.get("role").and_then(serde_json::Value::as_str) {
            Some(role) => format!("{} ({id})", self.value(field, role)),
            None => id.to_owned(),
        }
    }

    pub fn state<'a>(&'a self, name: &'a str) -> &'a str {
        self.states.get(name).map_or(name, String::as_str)
    }

    pub fn step<'a>(&'a self, name: &'a str) -> &'a str {
        self.steps.get(name).map_or(name, String::as_str)
    }

    pub fn task<'a>(&'a self, id: &'a str) -> &'a str {
        self.tasks.get(id).map_or(id, String::as_str)
    }

    pub fn field<'a>(&'a self, name: &'a str) -> &'a str {
        self.fields.get(name).map_or(name, String::as_str)
    }

    /// A value of a field or input in words (an enum's label), else as it is.
    pub fn value<'a>(&'a self, field: &str, value: &'a str) -> &'a str {
        self.values
            .get(field)
            .and_then(|v| v.get(value))
            .map_or(value, String::as_str)
    }
}

fn or_id(text: Option<&Text>, id: &str, lang: &str) -> String {
    text.map_or(id, |t| t.get(lang)).to_owned()
}

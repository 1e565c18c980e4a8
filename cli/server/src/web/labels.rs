//! A definition's words on pages: the labels themselves are the
//! application's (`kroonika_app::labels`); here, a case's history in words
//! and the templates' `tr` filter.

use kroonika_engine::case::CaseEvent;
use minijinja::State;
use minijinja::value::Value;

use super::i18n::Lang;

pub(super) use kroonika_app::labels::Labels;

/// A case's history in words.
pub(super) trait Describe {
    fn describe(&self, event: &CaseEvent, lang: Lang) -> String;
}

impl Describe for Labels {
    /// A case event in words, in `lang`, with the definition's labels.
    fn describe(&self, event: &CaseEvent, lang: Lang) -> String {
        let et = lang == Lang::Et;
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
                let (state, due) = (self.state(state), super::i18n::date(*due_on));
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
                let (state, due) = (self.state(state), super::i18n::date(*due_on));
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
        }
    }
}

/// `{{ text|tr(fallback) }}`: a definition's text (plain, or by language) in
/// the page's language; `fallback` (an id) where there is none.
pub(super) fn tr(state: &State, value: Value, fallback: Option<Value>) -> Value {
    let lang = Lang::of_page(state).code();
    if value.is_undefined() || value.is_none() {
        return fallback.unwrap_or(value);
    }
    if value.as_str().is_some() {
        return value;
    }
    let picked = [lang, "en", "et"]
        .into_iter()
        .find_map(|l| value.get_attr(l).ok().filter(|v| !v.is_undefined()));
    picked.or(fallback).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFINITION: &str = r"
process: demo
title: { et: Lepitus, en: Mediation }
reference: DE
roles: [coordinator]
fields:
  party: { type: enum, values: [victim, offender], title: { et: Osapool, en: Party }, labels: { victim: { et: Ohver, en: Victim } } }
open: { roles: [coordinator], input: [party] }
initial: waiting
states:
  waiting:
    title: { et: Ootel, en: Waiting }
    guidance: { et: Helista., en: Call. }
    tasks:
      - { id: called, title: { et: Helistatud, en: Called } }
    transitions:
      finish: { to: done, roles: [coordinator], title: { et: Lõpeta, en: Finish }, guard: 'tasks.complete', message: { et: Enne helista., en: Call first. } }
  done: { terminal: true, outcome: finished, title: { et: Lõpetatud, en: Finished } }
";

    #[test]
    fn words_come_in_the_readers_language_and_ids_where_none_are_given() {
        let checked = kroonika_processes::check(DEFINITION);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let def = checked.definition.expect("valid");
        let et = Labels::of(&def, Some("waiting"), "et");
        assert_eq!(et.process, "Lepitus");
        assert_eq!(et.state("waiting"), "Ootel");
        assert_eq!(et.step("finish"), "Lõpeta");
        assert_eq!(et.messages["finish"], "Enne helista.");
        assert_eq!(et.task("called"), "Helistatud");
        assert_eq!(et.field("party"), "Osapool");
        assert_eq!(et.values["party"]["victim"], "Ohver");
        assert_eq!(et.outcomes["finished"], "Lõpetatud");
        assert_eq!(et.guidance["waiting"], "Helista.");
        let en = Labels::of(&def, None, "en");
        assert_eq!(en.state("done"), "Finished");
        assert_eq!(en.state("elsewhere"), "elsewhere");
        let taken = CaseEvent::from_parts(
            "TransitionTaken",
            r#"{"transition":"finish","from":"waiting","to":"done"}"#,
        )
        .expect("an event");
        assert_eq!(et.describe(&taken, Lang::Et), "Lõpeta → Lõpetatud");
    }
}

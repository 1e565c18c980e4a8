//! A definition's words on pages: the labels, and a case's history in
//! words, are the application's (`kroonika_app::labels`); here, the
//! templates' `tr` filter.

use minijinja::State;
use minijinja::value::Value;

use super::i18n::Lang;

pub(super) use kroonika_app::labels::Labels;

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
        let taken = kroonika_engine::case::CaseEvent::from_parts(
            "TransitionTaken",
            r#"{"transition":"finish","from":"waiting","to":"done"}"#,
        )
        .expect("an event");
        assert_eq!(et.describe(&taken, "et"), "Lõpeta → Lõpetatud");
    }
}

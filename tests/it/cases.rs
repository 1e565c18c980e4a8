//! Cases decided given/when/then, with no database: the school-conference
//! example definition, a fixed clock, and an actor directory.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use kroonika_engine::Rejection;
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, CaseEvent, Context, RawInput, RawValue};
use kroonika_engine::definition::ProcessDefinition;

fn school() -> ProcessDefinition {
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    kroonika_processes::check(&source).definition.unwrap()
}

fn actors() -> BTreeMap<String, Actor> {
    [
        ("mari", &["coordinator"][..]),
        ("anu", &["admin"][..]),
        ("jaan", &["facilitator"][..]),
        ("piret", &["facilitator"][..]),
        ("kati", &["facilitator"][..]),
        ("lead", &["regional-lead"][..]),
    ]
    .into_iter()
    .map(|(name, roles)| {
        let actor = Actor {
            name: name.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Actor::default()
        };
        (name.to_owned(), actor)
    })
    .collect()
}

/// Friday 20 November 2026, 10:00 UTC.
fn friday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn input(pairs: &[(&str, &str)]) -> RawInput {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), RawValue::Text(vec![(*v).to_owned()])))
        .collect()
}

/// The given/when/then harness: a definition, actors, and the case's history.
struct Given {
    definition: ProcessDefinition,
    actors: BTreeMap<String, Actor>,
    history: Vec<CaseEvent>,
}

impl Given {
    fn new() -> Self {
        Given {
            definition: school(),
            actors: actors(),
            history: Vec::new(),
        }
    }

    fn case(&self) -> Case {
        let mut case = Case::default();
        for (revision, event) in self.history.iter().enumerate() {
            case.evolve(event, friday(), revision as u64);
        }
        case
    }

    fn cx<'a>(&'a self, actor: &'a str) -> Context<'a> {
        Context {
            definition: &self.definition,
            version: 1,
            actor: &self.actors[actor],
            actors: &self.actors,
            now: friday(),
            occurred_at: friday(),
        }
    }

    /// Applies a decision's events (the `then` that becomes the next `given`).
    fn accept(&mut self, events: Result<Vec<CaseEvent>, Rejection>) -> Vec<CaseEvent> {
        let events = events.unwrap_or_else(|rejection| panic!("rejected: {rejection}"));
        self.history.extend(events.clone());
        events
    }

    fn open(&mut self) -> Vec<CaseEvent> {
        let opening = input(&[
            ("referral_source", "school"),
            ("referred_on", "2026-11-19"),
            ("minor_involved", "true"),
            ("victim_name", "Mari Maasikas"),
            ("victim_phone", "+372 5555 1234"),
        ]);
        let events = case::open(&self.cx("mari"), "SC-2026-0042", &opening);
        self.accept(events)
    }

    fn take(
        &self,
        actor: &str,
        transition: &str,
        pairs: &[(&str, &str)],
    ) -> Result<Vec<CaseEvent>, Rejection> {
        case::take(&self.cx(actor), &self.case(), transition, &input(pairs))
    }

    fn rejects(&self, actor: &str, transition: &str, pairs: &[(&str, &str)], message: &str) {
        let got = self.take(actor, transition, pairs);
        assert_eq!(
            got.as_ref().map_err(|r| r.reason()),
            Err(message),
            "{actor} {transition} {pairs:?}"
        );
        // Refusals for want of a role or a place on the case are denials (recorded).
        let denial = message.contains(" may not ") || message.contains("is not named in");
        assert_eq!(got.unwrap_err().is_denial(), denial, "{message}");
    }
}

#[test]
fn opening_a_case_records_typed_data_and_schedules_the_deadline() {
    let mut given = Given::new();
    let events = given.open();
    insta::assert_json_snapshot!("case_opened", events[0]);
    let case = given.case();
    assert_eq!(
        (case.state.as_str(), case.reference.as_str()),
        ("referred", "SC-2026-0042")
    );
    // Five working days after Friday 20 November: Friday 27 November.
    assert_eq!(case.deadline.unwrap().due_on.to_string(), "2026-11-27");

    let cx = given.cx("jaan");
    assert_eq!(
        case::open(&cx, "SC-2026-0043", &input(&[])),
        Err(Rejection::denied(
            "actor \'jaan\' may not open a case: it needs coordinator (has: facilitator)"
        ))
    );
    assert_eq!(
        case::open(
            &given.cx("mari"),
            "SC-2026-0043",
            &input(&[("referral_source", "school")])
        ),
        Err(Rejection::new(
            kroonika_engine::Code::MissingInput,
            "opening a case needs inputs 'referred_on', 'minor_involved', 'victim_name' and 'victim_phone'"
        ))
    );
}

#[test]
fn every_rule_names_itself_when_it_refuses() {
    let mut given = Given::new();
    given.open();
    given.rejects(
        "mari",
        "assign",
        &[("facilitators", "mari,jaan")],
        "actor 'mari' lacks role 'facilitator' named in 'facilitators' (has: coordinator)",
    );
    given.rejects(
        "mari",
        "assign",
        &[("facilitators", "jaan")],
        "A conference needs two facilitators. (guard: size(input.facilitators) >= 2)",
    );
    given.rejects(
        "mari",
        "assign",
        &[("facilitators", "jaan,ghost")],
        "there is no actor 'ghost' (named in 'facilitators')",
    );
    given.rejects("mari", "assign", &[], "'assign' needs input 'facilitators'");
    given.rejects(
        "mari",
        "assign",
        &[("facilitators", "jaan,piret"), ("room", "5")],
        "'assign' takes no input 'room'; it takes: facilitators",
    );
    given.rejects(
        "jaan",
        "assign",
        &[("facilitators", "jaan,piret")],
        "actor 'jaan' may not take 'assign': it needs coordinator (has: facilitator)",
    );
    given.rejects(
        "mari",
        "decline",
        &[("reason", "bored")],
        "field 'reason' must be one of unsuitable, safety-risk, got 'bored'",
    );
    given.rejects(
        "mari",
        "shedule",
        &[],
        "unknown transition 'shedule' in state 'referred'; you can take: assign, decline, withdraw",
    );

    given.accept(given.take("mari", "assign", &[("facilitators", "jaan,piret")]));
    given.rejects(
        "mari",
        "shedule",
        &[],
        "unknown transition 'shedule' in state 'preparation'; you can take: withdraw (others' steps here: schedule)",
    );
    // The minor is involved, so the risk assessment is required too.
    given.rejects("jaan", "schedule", &[], "'schedule' needs the checklist complete; missing: victim-consent, respondent-consent, risk-assessed");
    let case = given.case();
    for task in ["victim-consent", "respondent-consent", "risk-assessed"] {
        let events = case::complete_task(&given.cx("jaan"), &given.case(), task);
        given.accept(events);
    }
    assert_eq!(
        case::complete_task(&given.cx("jaan"), &given.case(), "risk-assessed"),
        Ok(vec![]),
        "done twice is a no-op"
    );
    assert_eq!(
        case::complete_task(&given.cx("jaan"), &case, "consent"),
        Err(Rejection::new(
            kroonika_engine::Code::UnknownTask,
            "state 'preparation' has no task 'consent'; its tasks: victim-consent, respondent-consent, risk-assessed"
        ))
    );
    given.rejects(
        "kati",
        "schedule",
        &[],
        "actor 'kati' is not named in 'facilitators' (named: jaan, piret)",
    );
    given.accept(given.take("jaan", "schedule", &[]));
    given.rejects(
        "piret",
        "agreed",
        &[("agreement", "Apology and repair"), ("participants", "1")],
        "field 'participants' must be an integer from 2 to 40, got '1'",
    );
    given.accept(given.take(
        "piret",
        "agreed",
        &[("agreement", "Apology and repair"), ("participants", "6")],
    ));
    // A step without `to` records and stays.
    let stay = given.accept(given.take("mari", "log-contact", &[("channel", "phone")]));
    insta::assert_json_snapshot!("transition_taken_stay", stay[0]);
    let closing = given.accept(given.take("mari", "fulfilled", &[]));
    insta::assert_json_snapshot!("transition_taken_closing", closing[0]);
    let case = given.case();
    assert!(case.closed);
    assert_eq!(case.outcome.as_deref(), Some("fulfilled"));
    given.rejects(
        "mari",
        "withdraw",
        &[],
        "case SC-2026-0042 is closed (closed-fulfilled)",
    );
}

#[test]
fn anywhere_transitions_and_task_events() {
    let mut given = Given::new();
    given.open();
    given.accept(given.take("mari", "assign", &[("facilitators", "jaan,piret")]));
    let task = given.accept(case::complete_task(
        &given.cx("piret"),
        &given.case(),
        "victim-consent",
    ));
    insta::assert_json_snapshot!("task_completed", task[0]);
    let undone = given.accept(case::undo_task(
        &given.cx("piret"),
        &given.case(),
        "victim-consent",
        "ticked on the wrong case",
    ));
    insta::assert_json_snapshot!("task_undone", undone[0]);
    assert!(given.case().tasks_done.is_empty());
    // Entering a state clears its checklist and replaces the deadline.
    given.accept(given.take("mari", "withdraw", &[]));
    let case = given.case();
    assert_eq!(
        (case.state.as_str(), case.outcome.as_deref()),
        ("closed-withdrawn", Some("withdrawn"))
    );
    assert!(case.tasks_done.is_empty() && case.deadline.is_none());
    // Events read back from their stored form fold to the same case.
    let mut replayed = Case::default();
    for (revision, event) in given.history.iter().enumerate() {
        let back = CaseEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap();
        assert_eq!(&back, event);
        replayed.evolve(&back, friday(), revision as u64);
    }
    assert_eq!(replayed, case);
}

#[test]
fn corrections_need_a_role_and_a_reason() {
    let mut given = Given::new();
    given.open();
    let fix = input(&[("referred_on", "2026-11-18")]);
    assert_eq!(
        case::correct(&given.cx("jaan"), &given.case(), &fix, "typo", None),
        Err(Rejection::denied(
            "actor \'jaan\' may not correct case data: it needs coordinator (has: facilitator)"
        ))
    );
    assert_eq!(
        case::correct(&given.cx("mari"), &given.case(), &fix, "  ", None),
        Err(Rejection::new(
            kroonika_engine::Code::MissingInput,
            "a correction needs a reason: --reason TEXT"
        ))
    );
    assert_eq!(
        case::correct(
            &given.cx("mari"),
            &given.case(),
            &input(&[("refered_on", "2026-11-18")]),
            "typo",
            None
        ),
        Err(Rejection::new(
            kroonika_engine::Code::InvalidInput,
            "there is no field 'refered_on' to correct; the fields are: referral_source, referred_on, minor_involved, victim_name, victim_phone, facilitators, participants, agreement"
        ))
    );
    let events = given.accept(case::correct(
        &given.cx("mari"),
        &given.case(),
        &fix,
        "the referral letter is dated the 18th",
        None,
    ));
    insta::assert_json_snapshot!("case_data_corrected", events[0]);
    assert_eq!(given.case().data["referred_on"], "2026-11-18");
    assert_eq!(
        case::correct(&given.cx("mari"), &given.case(), &fix, "again", None),
        Ok(vec![]),
        "no change, no event"
    );
}

#[test]
fn migration_event_json_is_stable() {
    let event = CaseEvent::CaseMigrated {
        from_version: 1,
        to_version: 2,
        from_state: "preparation".into(),
        to_state: "getting-ready".into(),
        deadline: Some(kroonika_engine::case::ScheduledDeadline {
            due_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 19).unwrap(),
            warn_on: None,
            escalate: Some("regional-lead".into()),
            fire: None,
        }),
    };
    insta::assert_json_snapshot!("case_migrated", event);
    assert_eq!(
        CaseEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap(),
        event
    );
}

#[test]
fn deadline_event_json_is_stable() {
    let due_on = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let warned = CaseEvent::DeadlineWarned {
        state: "received".into(),
        due_on,
    };
    let missed = CaseEvent::DeadlineMissed {
        state: "received".into(),
        due_on,
        escalate: Some("regional-lead".into()),
    };
    insta::assert_json_snapshot!("deadline_warned", warned);
    insta::assert_json_snapshot!("deadline_missed", missed);
    for event in [warned, missed] {
        assert_eq!(
            CaseEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap(),
            event
        );
    }
}

/// Erasure and legal holds: who may, what is recorded, and that a hold stops
/// erasure (and retention) until it is released.
#[test]
fn erasure_and_legal_holds() {
    use kroonika_engine::case::privacy;
    let mut given = Given::new();
    given.open();
    let subject = uuid::Uuid::from_u128(7);
    // A coordinator may not erase (only administrators, unless the definition says so).
    let refused = privacy::erase(&given.cx("mari"), &given.case(), "victim", subject, "asked");
    assert!(refused.as_ref().unwrap_err().is_denial(), "{refused:?}");
    assert_eq!(
        privacy::erase(&given.cx("anu"), &given.case(), "witness", subject, "asked")
            .unwrap_err()
            .reason(),
        "process 'school-conference' has no data subject 'witness'; its subjects: victim, respondent"
    );
    assert_eq!(
        privacy::erase(&given.cx("anu"), &given.case(), "victim", subject, " ")
            .unwrap_err()
            .reason(),
        "an erasure needs a reason: --reason TEXT"
    );
    let held = given.accept(privacy::hold(
        &given.cx("anu"),
        &given.case(),
        "court case 1-26-1",
    ));
    insta::assert_json_snapshot!("legal_hold_placed", held[0]);
    assert_eq!(
        privacy::erase(&given.cx("anu"), &given.case(), "victim", subject, "asked")
            .unwrap_err()
            .reason(),
        "SC-2026-0042 is under a legal hold (court case 1-26-1); release it first"
    );
    let released = given.accept(privacy::release(&given.cx("anu"), &given.case(), "ended"));
    insta::assert_json_snapshot!("legal_hold_released", released[0]);
    let erased = given.accept(privacy::erase(
        &given.cx("anu"),
        &given.case(),
        "victim",
        subject,
        "request of the data subject",
    ));
    insta::assert_json_snapshot!("subject_erased", erased[0]);
    assert!(given.case().erased.contains("victim"));
    // Erasing again records nothing.
    assert_eq!(
        privacy::erase(&given.cx("anu"), &given.case(), "victim", subject, "again"),
        Ok(Vec::new())
    );
    for event in held.iter().chain(&released).chain(&erased) {
        assert_eq!(
            CaseEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap(),
            *event
        );
    }
}

#[test]
fn access_event_json_is_stable() {
    use kroonika_engine::access::AccessEvent;
    let revealed = AccessEvent::PersonalDataRevealed {
        case_id: uuid::Uuid::from_u128(1),
        reference: "SC-2026-0042".into(),
        subjects: vec!["victim".into()],
        purpose: "calling the victim".into(),
    };
    let denied = AccessEvent::PermissionDenied {
        command: "case show --reveal".into(),
        reference: Some("SC-2026-0042".into()),
        reason: "actor 'jaan' may not read personal data: it needs coordinator (has: facilitator)"
            .into(),
    };
    insta::assert_json_snapshot!("personal_data_revealed", revealed);
    insta::assert_json_snapshot!("permission_denied", denied);
    for event in [revealed, denied] {
        assert_eq!(
            AccessEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap(),
            event
        );
    }
}

//! The bundled mediation process, decided given/when/then (no database), driven
//! to each of its terminal outcomes along the paths a coordinator would take.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use kroonika_engine::Rejection;
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{self, Case, CaseEvent, Context, RawInput, RawValue};
use kroonika_engine::definition::ProcessDefinition;

fn mediation() -> ProcessDefinition {
    let source = std::fs::read_to_string("../processes/mediation.yaml").unwrap();
    kroonika_processes::check(&source).definition.unwrap()
}

fn actor(name: &str, roles: &[&str]) -> (String, Actor) {
    (
        name.to_owned(),
        Actor {
            name: name.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Actor::default()
        },
    )
}

struct Run {
    definition: ProcessDefinition,
    actors: BTreeMap<String, Actor>,
    history: Vec<CaseEvent>,
}

impl Run {
    /// Opens a case on `track` (conciliation or rj-service).
    fn open(track: &str, minor: bool) -> Run {
        let mut run = Run {
            definition: mediation(),
            actors: [
                actor("mari", &["coordinator"]),
                actor("ants", &["mediator"]),
                actor("eva", &["mediator"]),
                actor("lead", &["regional-lead"]),
            ]
            .into_iter()
            .collect(),
            history: Vec::new(),
        };
        let source = if track == "conciliation" {
            "prosecutor"
        } else {
            "school"
        };
        let basis = if track == "conciliation" {
            "krms-203-1"
        } else {
            "none"
        };
        let minor = minor.to_string();
        let document = if track == "conciliation" {
            "Põhja RP määrus 01.10.2026 nr 22-1"
        } else {
            ""
        };
        let input = Self::input(&[
            ("track", track),
            ("region", "north"),
            ("referral_document", document),
            ("referral_source", source),
            ("legal_basis", basis),
            ("received_on", "2026-10-01"),
            ("minor_involved", &minor),
            ("domestic_violence", "false"),
            ("sexual_offence", "false"),
            ("victim_name", "Kadri Kask"),
            ("offender_name", "Tõnu Tamm"),
        ]);
        let events = case::open(&run.cx("mari"), "LE-2026-0001", &input);
        run.accept(events);
        run
    }

    fn input(pairs: &[(&str, &str)]) -> RawInput {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), RawValue::Text(vec![(*v).to_owned()])))
            .collect()
    }

    fn cx<'a>(&'a self, actor: &'a str) -> Context<'a> {
        let at = Utc.with_ymd_and_hms(2026, 10, 2, 10, 0, 0).unwrap();
        Context {
            definition: &self.definition,
            version: 1,
            actor: &self.actors[actor],
            actors: &self.actors,
            now: at,
            occurred_at: at,
        }
    }

    fn case(&self) -> Case {
        let mut case = Case::default();
        let at = Utc.with_ymd_and_hms(2026, 10, 2, 10, 0, 0).unwrap();
        for (i, event) in self.history.iter().enumerate() {
            case.evolve(event, at, i as u64);
        }
        case
    }

    fn accept(&mut self, events: Result<Vec<CaseEvent>, Rejection>) {
        let events =
            events.unwrap_or_else(|r| panic!("rejected: {r}\nat state {}", self.case().state));
        self.history.extend(events);
    }

    fn take(&mut self, actor: &str, transition: &str, pairs: &[(&str, &str)]) -> &mut Self {
        let events = case::take(
            &self.cx(actor),
            &self.case(),
            transition,
            &Self::input(pairs),
        );
        self.accept(events);
        self
    }

    fn tasks(&mut self, actor: &str, ids: &[&str]) -> &mut Self {
        for id in ids {
            let events = case::complete_task(&self.cx(actor), &self.case(), id);
            self.accept(events);
        }
        self
    }

    fn reach_contacting(&mut self, mediators: &str) -> &mut Self {
        self.take("mari", "start-screening", &[])
            .take(
                "mari",
                "declare-eligible",
                &[("risk_assessment_required", "false")],
            )
            .take("mari", "assign", &[("mediators", mediators)])
            .take(
                "ants",
                "contact-attempted",
                &[
                    ("party", "victim"),
                    ("channel", "phone"),
                    ("reached", "true"),
                ],
            )
    }

    fn reach_dialogue(&mut self, mediators: &str) -> &mut Self {
        self.reach_contacting(mediators)
            .take(
                "ants",
                "preparatory-meeting-held",
                &[("party", "victim"), ("format", "in-person")],
            )
            .tasks(
                "ants",
                &[
                    "information-provided",
                    "victim-consent",
                    "offender-consent",
                    "facts-acknowledged",
                    "data-sharing-consent",
                ],
            )
            .take("ants", "clear-for-dialogue", &[])
            .take(
                "ants",
                "dialogue-held",
                &[("format", "face-to-face"), ("participants", "4")],
            )
    }

    fn reach_authority(&mut self) -> &mut Self {
        self.reach_dialogue("ants")
            .take(
                "ants",
                "agreement-signed",
                &[
                    ("agreement_terms", "apology,monetary"),
                    ("terms_due_on", "2027-03-01"),
                    ("signed_by", "victim,offender"),
                ],
            )
            .take(
                "ants",
                "report-drafted",
                &[("report_document", "DOC-2026-118")],
            )
            .take(
                "mari",
                "record-feedback",
                &[("party", "victim"), ("satisfaction", "5")],
            )
            .take("mari", "report-to-authority", &[])
    }

    fn outcome(&self) -> (String, Option<String>, bool) {
        let case = self.case();
        (case.state, case.outcome, case.closed)
    }
}

fn closed(state: &str, outcome: &str) -> (String, Option<String>, bool) {
    (state.to_owned(), Some(outcome.to_owned()), true)
}

#[test]
fn every_terminal_outcome_is_reachable() {
    let mut ineligible = Run::open("conciliation", false);
    ineligible.take("mari", "start-screening", &[]).take(
        "mari",
        "declare-ineligible",
        &[("reason", "excluded-offence")],
    );
    assert_eq!(
        ineligible.outcome(),
        closed("closed-ineligible", "ineligible")
    );

    let mut withdrawn = Run::open("conciliation", false);
    withdrawn.take("mari", "withdraw-referral", &[]);
    assert_eq!(
        withdrawn.outcome(),
        closed("closed-referral-withdrawn", "referral-withdrawn")
    );

    let mut unreachable = Run::open("conciliation", false);
    unreachable
        .reach_contacting("ants")
        .take("ants", "declare-unreachable", &[("attempts", "3")]);
    assert_eq!(
        unreachable.outcome(),
        closed("closed-unreachable", "unreachable")
    );

    let mut no_consent = Run::open("rj-service", false);
    no_consent.reach_contacting("ants,eva").take(
        "eva",
        "consent-refused",
        &[("refusing_party", "offender")],
    );
    assert_eq!(
        no_consent.outcome(),
        closed("closed-no-consent", "no-consent")
    );

    let mut consent_withdrawn = Run::open("rj-service", true);
    consent_withdrawn
        .reach_contacting("ants,eva")
        .take(
            "ants",
            "preparatory-meeting-held",
            &[("party", "victim"), ("format", "online")],
        )
        .take("ants", "withdraw-consent", &[("party", "victim")]);
    assert_eq!(
        consent_withdrawn.outcome(),
        closed("closed-consent-withdrawn", "consent-withdrawn")
    );

    let mut safety = Run::open("rj-service", false);
    safety
        .reach_dialogue("ants,eva")
        .take("eva", "safety-stop", &[("category", "coercion")]);
    assert_eq!(
        safety.outcome(),
        closed("closed-safety-stop", "safety-stop")
    );

    let mut no_agreement = Run::open("conciliation", false);
    no_agreement.reach_dialogue("ants").take(
        "ants",
        "no-agreement",
        &[("reason", "positions-too-far-apart")],
    );
    assert_eq!(
        no_agreement.outcome(),
        closed("closed-no-agreement", "no-agreement")
    );

    let mut returned = Run::open("conciliation", false);
    returned.reach_authority().take(
        "mari",
        "returned-by-authority",
        &[
            ("authority_decision", "PR-2026-77"),
            ("decided_on", "2026-10-01"),
        ],
    );
    assert_eq!(
        returned.outcome(),
        closed("closed-returned-by-authority", "returned-by-authority")
    );

    let mut not_fulfilled = Run::open("conciliation", false);
    not_fulfilled
        .reach_authority()
        .take(
            "mari",
            "terms-approved",
            &[
                ("authority_decision", "PR-2026-78"),
                ("decided_on", "2026-10-01"),
                ("imposed_terms", "apology"),
                ("terms_due_on", "2027-03-01"),
            ],
        )
        .take("ants", "fulfilment-checked", &[("status", "late")])
        .take("mari", "not-fulfilled", &[]);
    assert_eq!(
        not_fulfilled.outcome(),
        closed("closed-not-fulfilled", "not-fulfilled")
    );

    let mut fulfilled = Run::open("conciliation", false);
    fulfilled
        .reach_authority()
        .take(
            "mari",
            "terms-approved",
            &[
                ("authority_decision", "PR-2026-79"),
                ("decided_on", "2026-10-01"),
                ("imposed_terms", "apology"),
                ("terms_due_on", "2027-03-01"),
            ],
        )
        .take("mari", "fulfilled", &[]);
    assert_eq!(fulfilled.outcome(), closed("closed-fulfilled", "fulfilled"));

    let mut resumed = Run::open("conciliation", false);
    resumed
        .reach_authority()
        .take(
            "mari",
            "terms-approved",
            &[
                ("authority_decision", "PR-2026-80"),
                ("decided_on", "2026-10-01"),
                ("imposed_terms", "monetary,costs"),
                ("terms_due_on", "2027-03-01"),
            ],
        )
        .take(
            "mari",
            "new-offence",
            &[("offence_reported_on", "2026-10-02")],
        );
    assert_eq!(
        resumed.outcome(),
        closed("closed-new-offence", "new-offence")
    );

    let mut resolved = Run::open("rj-service", false);
    resolved
        .reach_dialogue("ants,eva")
        .take("ants", "resolved-without-terms", &[]);
    assert_eq!(resolved.outcome(), closed("closed-resolved", "resolved"));

    // Every terminal state of the definition was reached above, and no other.
    let reached: std::collections::BTreeSet<String> = [
        ineligible,
        withdrawn,
        unreachable,
        no_consent,
        consent_withdrawn,
        safety,
        no_agreement,
        returned,
        not_fulfilled,
        fulfilled,
        resumed,
        resolved,
    ]
    .iter()
    .map(|run| run.case().state)
    .collect();
    let terminal: std::collections::BTreeSet<String> = mediation()
        .states
        .iter()
        .filter(|s| s.terminal)
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(reached, terminal);
}

#[test]
fn the_law_and_practice_hold_in_the_bundled_process() {
    // A party consents only once informed; the information is not unticked
    // while a consent given on it stands.
    let mut informed = Run::open("conciliation", false);
    informed.reach_contacting("ants").take(
        "ants",
        "preparatory-meeting-held",
        &[("party", "victim"), ("format", "in-person")],
    );
    let early = case::complete_task(&informed.cx("ants"), &informed.case(), "victim-consent");
    assert_eq!(
        early.unwrap_err().reason(),
        "task 'victim-consent' comes after 'information-provided': do that first"
    );
    informed.tasks("ants", &["information-provided", "victim-consent"]);
    let undo = case::undo_task(
        &informed.cx("ants"),
        &informed.case(),
        "information-provided",
        "ticked on the wrong case",
    );
    assert_eq!(
        undo.unwrap_err().reason(),
        "'victim-consent' came after task 'information-provided' and is done: undo it first"
    );

    // Restorative meetings need two facilitators; criminal conciliation one conciliator.
    let mut rj = Run::open("rj-service", false);
    rj.take("mari", "start-screening", &[]).take(
        "mari",
        "declare-eligible",
        &[("risk_assessment_required", "false")],
    );
    let refused = case::take(
        &rj.cx("mari"),
        &rj.case(),
        "assign",
        &Run::input(&[("mediators", "ants")]),
    );
    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), kroonika_engine::Code::GuardFailed);
    assert!(
        refused.reason().starts_with(
            "Restorative meetings need two facilitators; criminal conciliation needs a conciliator."
        ),
        "{refused}"
    );
    // The 5-working-day assignment deadline binds criminal conciliation only.
    assert!(rj.case().deadline.is_none());
    let conciliation = Run::open("conciliation", false);
    assert_eq!(
        conciliation.case().deadline.unwrap().due_on.to_string(),
        "2026-10-08"
    );
    // A minor's legal representative must consent before the dialogue.
    let mut minor = Run::open("rj-service", true);
    minor
        .reach_contacting("ants,eva")
        .take(
            "ants",
            "preparatory-meeting-held",
            &[("party", "victim"), ("format", "in-person")],
        )
        .tasks(
            "ants",
            &[
                "information-provided",
                "victim-consent",
                "offender-consent",
                "facts-acknowledged",
            ],
        );
    assert_eq!(
        case::take(
            &minor.cx("ants"),
            &minor.case(),
            "clear-for-dialogue",
            &RawInput::new()
        ),
        Err(Rejection::new(
            kroonika_engine::Code::ChecklistIncomplete,
            "'clear-for-dialogue' needs the checklist complete; missing: legal-representative-consent, data-sharing-consent"
        ))
    );
    // Consent can be withdrawn after the agreement is signed, until the
    // decision on it (KrMS § 203¹ lg 1)…
    let mut signed = Run::open("conciliation", false);
    signed
        .reach_dialogue("ants")
        .take(
            "ants",
            "agreement-signed",
            &[
                ("agreement_terms", "apology"),
                ("terms_due_on", "2027-03-01"),
                ("signed_by", "victim,offender"),
            ],
        )
        .take("ants", "withdraw-consent", &[("party", "victim")]);
    assert_eq!(
        signed.outcome(),
        closed("closed-consent-withdrawn", "consent-withdrawn")
    );
    // …but not once the terms are being monitored: a term not kept is then
    // recorded as not fulfilled.
    let mut monitored = Run::open("rj-service", false);
    monitored
        .reach_dialogue("ants,eva")
        .take(
            "ants",
            "agreement-signed",
            &[
                ("agreement_terms", "apology"),
                ("terms_due_on", "2027-03-01"),
                ("signed_by", "victim,offender"),
            ],
        )
        .take("ants", "report-drafted", &[("report_document", "R-1")])
        .take("mari", "report-with-terms", &[]);
    let refused = case::take(
        &monitored.cx("ants"),
        &monitored.case(),
        "withdraw-consent",
        &Run::input(&[("party", "victim")]),
    );
    assert!(
        refused.unwrap_err().reason().starts_with(
            "After the prosecutor's or court's decision, consent is no longer withdrawn"
        )
    );
}

/// A mediator who cannot go on is replaced by a step of its own: the new
/// one takes over, the old one can no longer act, and before assignment the
/// step says to assign instead.
#[test]
fn a_mediator_is_reassigned_by_a_step_of_its_own() {
    let mut run = Run::open("conciliation", false);
    let early = case::take(
        &run.cx("mari"),
        &run.case(),
        "reassign",
        &Run::input(&[("mediators", "eva")]),
    );
    assert!(
        early
            .unwrap_err()
            .reason()
            .starts_with("Mediators are reassigned once assigned"),
    );
    run.reach_contacting("ants");
    run.take("mari", "reassign", &[("mediators", "eva")]);
    let case = run.case();
    assert_eq!(case.state, "contacting", "the case stays where it is");
    assert_eq!(case.data["mediators"], serde_json::json!(["eva"]));
    assert!(matches!(
        run.history.last(),
        Some(CaseEvent::TransitionTaken { transition, .. }) if transition == "reassign"
    ));
    let contact = Run::input(&[
        ("party", "victim"),
        ("channel", "phone"),
        ("reached", "true"),
    ]);
    assert_eq!(
        case::take(&run.cx("ants"), &case, "contact-attempted", &contact)
            .unwrap_err()
            .code(),
        kroonika_engine::Code::Denied,
        "the replaced mediator no longer acts"
    );
    assert!(case::take(&run.cx("eva"), &case, "contact-attempted", &contact).is_ok());
    // Only a coordinator reassigns.
    assert_eq!(
        case::take(
            &run.cx("eva"),
            &case,
            "reassign",
            &Run::input(&[("mediators", "ants")])
        )
        .unwrap_err()
        .code(),
        kroonika_engine::Code::Denied
    );
}

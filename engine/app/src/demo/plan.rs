//! The demo's script: who works, what each case goes through, and a random
//! source whose sequence for a seed never changes with a dependency's version.
//! Pure data; `mod.rs` runs it through the application.
//!
//! Volumes and mixes follow `shared/domain/research.md` (d): about 500 criminal
//! conciliations and 200 restorative-justice cases a year across four regions,
//! 100–200 volunteer applications a year; of conciliations about 10 % ineligible
//! or withdrawn, 10 % unreachable, 20 % without consent, 60 % launched, of which
//! 70 % agree and 85–90 % of agreements are fulfilled.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

/// Who the demo registers: (name, roles).
pub(super) const PEOPLE: &[(&str, &[&str])] = &[
    ("tiina", &["service-owner"]),
    ("mari", &["coordinator"]),
    ("liis", &["coordinator"]),
    ("kadri", &["coordinator"]),
    ("peeter", &["coordinator"]),
    ("ants", &["mediator"]),
    ("helen", &["mediator"]),
    ("margus", &["mediator"]),
    ("reet", &["mediator", "mentor", "volunteer"]),
    ("tonis", &["mediator", "mentor", "volunteer"]),
    ("maarja", &["mediator", "volunteer"]),
    ("juri", &["mediator", "volunteer"]),
    ("eve", &["mediator", "volunteer"]),
    ("kaja", &["volunteer", "crisis-volunteer"]),
    ("toomas", &["volunteer", "crisis-volunteer"]),
    ("helle", &["volunteer", "crisis-volunteer"]),
    ("priit", &["volunteer", "crisis-volunteer"]),
    ("siim", &["volunteer", "crisis-volunteer"]),
    ("liina", &["volunteer"]),
    ("rein", &["regional-lead"]),
    ("signe", &["volunteer-expert"]),
    ("tarmo", &["trainer"]),
    ("aino", &["auditor"]),
];
pub(super) const COORDINATORS: [&str; 4] = ["mari", "liis", "kadri", "peeter"];
pub(super) const STAFF_MEDIATORS: [&str; 3] = ["ants", "helen", "margus"];
pub(super) const VOLUNTEER_MEDIATORS: [&str; 5] = ["reet", "tonis", "maarja", "juri", "eve"];
/// Volunteers trained in psychological first aid (the crisis pool).
pub(super) const CRISIS_VOLUNTEERS: [&str; 5] = ["kaja", "toomas", "helle", "priit", "siim"];
/// Volunteers who take part in outreach events.
pub(super) const OUTREACH_VOLUNTEERS: [&str; 8] = [
    "kaja", "liina", "siim", "reet", "tonis", "maarja", "helle", "eve",
];
const FIRST_NAMES: [&str; 40] = [
    "Kadri", "Tõnu", "Mart", "Liina", "Andres", "Kristi", "Priit", "Eha", "Rasmus", "Anu", "Siim",
    "Kertu", "Urmas", "Triin", "Jaan", "Helena", "Märt", "Ülle", "Rein", "Piret", "Ott", "Kätlin",
    "Indrek", "Merike", "Tiit", "Maarja", "Margus", "Sirje", "Karl", "Liis", "Jüri", "Katrin",
    "Toomas", "Õie", "Aivar", "Reet", "Heiki", "Marika", "Enn", "Getter",
];
const SURNAMES: [&str; 40] = [
    "Kask",
    "Tamm",
    "Saar",
    "Mägi",
    "Sepp",
    "Ilves",
    "Rebane",
    "Kukk",
    "Lepp",
    "Pärn",
    "Koppel",
    "Org",
    "Raud",
    "Vaher",
    "Kuusk",
    "Lill",
    "Kõiv",
    "Mets",
    "Karu",
    "Põder",
    "Kallas",
    "Luik",
    "Oja",
    "Rand",
    "Sild",
    "Paju",
    "Järv",
    "Männik",
    "Tuisk",
    "Laur",
    "Kivi",
    "Hunt",
    "Lõhmus",
    "Ots",
    "Kütt",
    "Aas",
    "Jõgi",
    "Vares",
    "Murd",
    "Tõnisson",
];

#[derive(Debug)]
/// SplitMix64: a tiny generator whose sequence for a seed never changes with a
/// dependency's version, so a seed means the same demo for good.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform in lo..=hi.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    /// How many events of a Poisson process with this mean (Knuth).
    pub(super) fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0u32, 1.0);
        loop {
            p *= self.unit();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }
}

/// One scripted step of a simulated case.
#[derive(Debug, Clone)]
pub(super) enum Step {
    Take(&'static str, Vec<(&'static str, String)>),
    Task(&'static str),
    /// A notice owed to the referring authority, recorded sent that day.
    Notice(&'static str),
    /// A document produced from the case: which, for whom, in which language.
    Document(&'static str, &'static str, &'static str),
    /// The volunteer gets an account (registered with the role `volunteer`),
    /// linked to their onboarding case (`account-linked`).
    Account,
}

/// Who takes a step: the case's coordinator, its (first) mediator, or a named actor.
#[derive(Debug, Clone, Copy)]
pub(super) enum Who {
    Coordinator,
    Mediator,
    Named(&'static str),
}

#[derive(Debug)]
pub(super) struct SimCase {
    pub(super) id: Uuid,
    pub(super) coordinator: &'static str,
    /// The first mediator (a volunteer's account name may be made during the
    /// run, so it is owned).
    pub(super) mediator: String,
    /// Steps still to take: (days after the previous step, who, what).
    pub(super) plan: std::collections::VecDeque<(i64, Who, Step)>,
    /// A case that keeps its own clock on its first day (a crisis call-out:
    /// minutes after the event, not office hours): the time of its last step.
    pub(super) clock: Option<DateTime<Utc>>,
}

/// A time on `day` during office hours, spread by `seq` so steps keep their order.
pub(super) fn moment(day: NaiveDate, seq: u64) -> DateTime<Utc> {
    let minutes = 7 * 60 + (seq % 540) as i64;
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::minutes(minutes)
}

pub(super) fn schedule(
    queue: &mut BinaryHeap<Reverse<(NaiveDate, u64, usize)>>,
    seq: &mut u64,
    cases: &mut Vec<SimCase>,
    case: SimCase,
    day: NaiveDate,
) {
    if let Some((delay, _, _)) = case.plan.front() {
        queue.push(Reverse((day + Duration::days(*delay), *seq, cases.len())));
        *seq += 1;
    }
    cases.push(case);
}

pub(super) fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&SURNAMES))
}

/// The further pupils of a school conflict (and a parent for each minor,
/// and now and then the class teacher), from their own stream of chance so
/// that the rest of the demo draws as before.
pub(super) fn school_group(seed: u64, minor: bool) -> Vec<serde_json::Value> {
    let mut group = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5C0);
    let pupils = group.range(1, 3);
    let mut parties = Vec::new();
    for _ in 0..pupils {
        let role = if group.chance(0.5) {
            "victim"
        } else {
            "offender"
        };
        parties
            .push(serde_json::json!({ "role": role, "name": person(&mut group), "minor": minor }));
    }
    if minor {
        for pupil in 1..=pupils {
            parties.push(serde_json::json!({
                "role": "representative",
                "name": person(&mut group),
                "contact": format!("+372 5{:03} {:04}", group.range(0, 999), group.range(0, 9999)),
                "represents": format!("parties-{pupil}"),
            }));
        }
    }
    if group.chance(0.5) {
        parties.push(serde_json::json!({ "role": "participant", "name": person(&mut group) }));
    }
    parties
}

pub(super) fn take_step(name: &'static str, sets: &[(&'static str, String)]) -> Step {
    Step::Take(name, sets.to_vec())
}

/// The steps after which a conciliation owes the authority its ending.
const ENDINGS: [&str; 9] = [
    "declare-ineligible",
    "declare-unreachable",
    "consent-refused",
    "withdraw-consent",
    "safety-stop",
    "no-agreement",
    "fulfilled",
    "not-fulfilled",
    "new-offence",
];

/// The endings after which the parties are sent the feedback survey.
const SURVEYED: [&str; 9] = [
    "consent-refused",
    "withdraw-consent",
    "safety-stop",
    "no-agreement",
    "resolved-without-terms",
    "returned-by-authority",
    "fulfilled",
    "not-fulfilled",
    "new-offence",
];

/// The path of one mediation case, with the delays between its steps: in a
/// conciliation the coordinator tells the prosecutor or court who the
/// conciliator is and how it ended, usually within days, now and then late.
pub(super) fn mediation_plan(
    rng: &mut Rng,
    conciliation: bool,
    minor: bool,
    mediators: &[&str],
    parties: &[String],
) -> Vec<(i64, Who, Step)> {
    let mut plan = mediation_steps(rng, conciliation, minor, mediators, parties);
    let surveyed =
        matches!(plan.last(), Some((_, _, Step::Take(name, _))) if SURVEYED.contains(name));
    let ended = conciliation
        && matches!(plan.last(), Some((_, _, Step::Take(name, _))) if ENDINGS.contains(name));
    if surveyed {
        plan.push((rng.range(0, 6), Who::Coordinator, Step::Notice("feedback")));
    }
    if !conciliation {
        return plan;
    }
    if ended {
        // One in twenty is sent after its 5 working days, and goes overdue.
        let delay = if rng.chance(0.05) {
            rng.range(8, 12)
        } else {
            rng.range(0, 3)
        };
        // The report goes with the notice: printed, then recorded sent.
        plan.push((
            delay,
            Who::Coordinator,
            Step::Document("report", "referred_by", "et"),
        ));
        plan.push((0, Who::Coordinator, Step::Notice("ending")));
    }
    let assigned = plan
        .iter()
        .position(|(_, _, step)| matches!(step, Step::Take("assign", _)));
    if let Some(at) = assigned {
        // The same day or the next (the steps after it wait for it).
        let delay = rng.range(0, 1);
        plan.insert(
            at + 1,
            (delay, Who::Coordinator, Step::Notice("mediator-appointed")),
        );
    }
    plan
}

fn mediation_steps(
    rng: &mut Rng,
    conciliation: bool,
    minor: bool,
    mediators: &[&str],
    parties: &[String],
) -> Vec<(i64, Who, Step)> {
    use Who::{Coordinator as C, Mediator as M};
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    let roll = rng.unit();
    plan.push((rng.range(0, 1), C, take_step("start-screening", &[])));
    if roll < 0.07 {
        // The § 203¹ exclusions bind criminal conciliation only.
        let reason = if conciliation {
            *rng.pick(&[
                "excluded-offence",
                "not-second-degree",
                "unsuitable",
                "safety-risk",
            ])
        } else {
            *rng.pick(&["unsuitable", "safety-risk"])
        };
        plan.push((
            rng.range(1, 3),
            C,
            take_step("declare-ineligible", &[("reason", reason.into())]),
        ));
        return plan;
    }
    if roll < 0.10 {
        plan.push((rng.range(1, 3), C, take_step("withdraw-referral", &[])));
        return plan;
    }
    plan.push((
        rng.range(1, 2),
        C,
        take_step(
            "declare-eligible",
            &[("risk_assessment_required", rng.chance(0.3).to_string())],
        ),
    ));
    // Assignment: usually within 5 working days of receipt; now and then late.
    let late = rng.chance(0.08);
    plan.push((
        if late {
            rng.range(6, 10)
        } else {
            rng.range(0, 3)
        },
        C,
        take_step("assign", &[("mediators", mediators.join(","))]),
    ));
    let contact = |rng: &mut Rng, party: &str, reached: bool| {
        take_step(
            "contact-attempted",
            &[
                ("party", party.into()),
                (
                    "channel",
                    (*rng.pick(&["phone", "phone", "email", "letter"])).into(),
                ),
                ("reached", reached.to_string()),
            ],
        )
    };
    if roll < 0.20 {
        plan.push((rng.range(1, 4), M, contact(rng, "victim", false)));
        plan.push((rng.range(3, 8), M, contact(rng, "victim", false)));
        plan.push((
            rng.range(3, 8),
            M,
            take_step("declare-unreachable", &[("attempts", "3".into())]),
        ));
        return plan;
    }
    plan.push((rng.range(1, 4), M, contact(rng, "victim", true)));
    plan.push((rng.range(0, 3), M, contact(rng, "offender", true)));
    if roll < 0.30 {
        let who = *rng.pick(&["victim", "offender", "offender"]);
        plan.push((
            rng.range(2, 10),
            M,
            take_step("consent-refused", &[("refusing_party", who.into())]),
        ));
        return plan;
    }
    let meeting = |rng: &mut Rng, party: &str| {
        take_step(
            "preparatory-meeting-held",
            &[
                ("party", party.into()),
                (
                    "format",
                    (*rng.pick(&["in-person", "in-person", "phone", "online"])).into(),
                ),
                ("hours", (*rng.pick(&["1", "1.5", "2", "2.5"])).into()),
            ],
        )
    };
    plan.push((rng.range(4, 12), M, meeting(rng, "victim")));
    plan.push((rng.range(0, 5), M, meeting(rng, "offender")));
    // A preparatory meeting with each further pupil and parent too.
    for party in parties {
        plan.push((
            0,
            M,
            take_step(
                "preparatory-meeting-held",
                &[
                    ("party", "further-party".into()),
                    ("listed_party", party.clone()),
                    ("format", "in-person".into()),
                    ("hours", "1".into()),
                ],
            ),
        ));
    }
    plan.push((0, M, Step::Task("information-provided")));
    plan.push((0, M, Step::Task("victim-consent")));
    if !conciliation {
        plan.push((0, M, Step::Task("data-sharing-consent")));
    }
    if roll < 0.38 {
        plan.push((
            rng.range(3, 14),
            M,
            take_step(
                "withdraw-consent",
                &[("party", (*rng.pick(&["victim", "offender"])).into())],
            ),
        ));
        return plan;
    }
    if roll < 0.40 {
        plan.push((
            rng.range(1, 7),
            M,
            take_step(
                "safety-stop",
                &[(
                    "category",
                    (*rng.pick(&["safety", "coercion", "capacity", "bad-faith"])).into(),
                )],
            ),
        ));
        return plan;
    }
    plan.push((rng.range(0, 3), M, Step::Task("offender-consent")));
    if minor {
        plan.push((0, M, Step::Task("legal-representative-consent")));
    }
    // Now and then the assessment finds a high risk: the regional lead either
    // lets an indirect dialogue go on, with reasons, or the case stops.
    let high = rng.chance(0.04);
    let risk = if high {
        "high"
    } else {
        *rng.pick(&["low", "low", "medium"])
    };
    plan.push((
        0,
        M,
        take_step("record-risk", &[("risk_level", risk.into())]),
    ));
    plan.push((0, M, Step::Task("risk-assessed")));
    if high {
        if rng.chance(0.5) {
            plan.push((
                rng.range(1, 5),
                M,
                take_step("safety-stop", &[("category", "safety".into())]),
            ));
            return plan;
        }
        plan.push((
            rng.range(1, 3),
            Who::Named("rein"),
            take_step(
                "override-risk",
                &[(
                    "risk_override_reason",
                    "Indirect dialogue through the mediator only; safety plan agreed with the victim."
                        .into(),
                )],
            ),
        ));
    }
    // Each further pupil and parent consents in their own right.
    if !parties.is_empty() {
        plan.push((
            0,
            M,
            take_step(
                "record-party-consent",
                &[("consented_parties", parties.join(","))],
            ),
        ));
    }
    plan.push((rng.range(0, 4), M, Step::Task("facts-acknowledged")));
    plan.push((rng.range(1, 5), M, take_step("clear-for-dialogue", &[])));
    let format = if high {
        "indirect"
    } else {
        *rng.pick(&[
            "face-to-face",
            "face-to-face",
            "face-to-face",
            "indirect",
            "online",
            "conference",
        ])
    };
    let participants = rng.range(2, 6).to_string();
    plan.push((
        rng.range(5, 25),
        M,
        take_step(
            "dialogue-held",
            &[
                ("format", format.into()),
                ("participants", participants.clone()),
                ("hours", (*rng.pick(&["2", "2.5", "3", "4"])).into()),
            ],
        ),
    ));
    let agreement = rng.unit();
    if agreement < 0.30 {
        let reason = *rng.pick(&["positions-too-far-apart", "party-left", "other"]);
        plan.push((
            rng.range(0, 10),
            M,
            take_step("no-agreement", &[("reason", reason.into())]),
        ));
        return plan;
    }
    if !conciliation && agreement < 0.45 {
        plan.push((rng.range(0, 5), M, take_step("resolved-without-terms", &[])));
        return plan;
    }
    let terms = *rng.pick(&[
        "apology",
        "monetary,apology",
        "work-for-victim",
        "treatment,behavioural",
        "monetary",
    ]);
    let due = rng.range(60, 170);
    // A minor's legal representative signs beside the parties.
    let signers = if minor {
        "victim,offender,legal-representative"
    } else {
        "victim,offender"
    };
    let mut signed = vec![
        ("agreement_terms", terms.into()),
        ("terms_due_on", format!("+{due}")),
        ("signed_by", signers.into()),
    ];
    if !parties.is_empty() {
        signed.push(("signed_parties", parties.join(",")));
    }
    plan.push((rng.range(0, 7), M, take_step("agreement-signed", &signed)));
    // A copy of the agreement for each party, printed that day (one in five
    // offenders reads Russian).
    let language = if rng.chance(0.2) { "ru" } else { "et" };
    plan.push((0, M, Step::Document("agreement", "victim", "et")));
    plan.push((0, M, Step::Document("agreement", "offender", language)));
    // The report: usually within 10 working days, sometimes late.
    let slow = rng.chance(0.1);
    plan.push((
        if slow {
            rng.range(15, 20)
        } else {
            rng.range(2, 10)
        },
        M,
        take_step(
            "report-drafted",
            &[("report_document", format!("DOC-{}", rng.range(1000, 9999)))],
        ),
    ));
    for party in ["victim", "offender"] {
        if rng.chance(0.75) {
            let satisfaction = rng.range(2, 5).max(rng.range(3, 5));
            plan.push((
                rng.range(0, 4),
                Who::Coordinator,
                take_step(
                    "record-feedback",
                    &[
                        ("party", party.into()),
                        ("satisfaction", satisfaction.to_string()),
                        ("fairness", rng.range(3, 5).to_string()),
                        ("safer", rng.range(2, 5).to_string()),
                    ],
                ),
            ));
        }
    }
    if conciliation {
        plan.push((
            rng.range(1, 5),
            Who::Coordinator,
            take_step("report-to-authority", &[]),
        ));
        // A party may still withdraw consent until the authority decides.
        if rng.chance(0.03) {
            plan.push((
                rng.range(1, 10),
                Who::Coordinator,
                take_step(
                    "withdraw-consent",
                    &[("party", (*rng.pick(&["victim", "offender"])).into())],
                ),
            ));
            return plan;
        }
        let decided = rng.range(10, 30);
        if rng.chance(0.05) {
            plan.push((
                decided,
                Who::Coordinator,
                take_step(
                    "returned-by-authority",
                    &[
                        ("authority_decision", "court order".into()),
                        ("decided_on", "+0".into()),
                    ],
                ),
            ));
            return plan;
        }
        plan.push((
            decided,
            Who::Coordinator,
            take_step(
                "terms-approved",
                &[
                    ("authority_decision", "prosecutor's order".into()),
                    ("decided_on", "+0".into()),
                    ("imposed_terms", terms.into()),
                    ("terms_due_on", format!("+{due}")),
                ],
            ),
        ));
    } else {
        plan.push((
            rng.range(1, 5),
            Who::Coordinator,
            take_step("report-with-terms", &[]),
        ));
    }
    plan.push((
        due / 2,
        M,
        take_step("fulfilment-checked", &[("status", "on-track".into())]),
    ));
    // Now and then the offender commits a new offence against the same
    // victim while the terms run: the proceedings resume.
    if conciliation && rng.chance(0.03) {
        plan.push((
            due / 4,
            Who::Coordinator,
            take_step("new-offence", &[("offence_reported_on", "+0".into())]),
        ));
        return plan;
    }
    let fulfilled = rng.chance(0.87);
    let last = if fulfilled {
        "fulfilled"
    } else {
        "not-fulfilled"
    };
    plan.push((
        due / 2 + rng.range(-3, 4),
        Who::Coordinator,
        take_step(last, &[]),
    ));
    plan
}

/// The path of one volunteer application (the applicant's `track`).
pub(super) fn application_plan(rng: &mut Rng, track: &str) -> Vec<(i64, Who, Step)> {
    use Who::{Coordinator as C, Named as N};
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    // Restorative-justice volunteers meet minors (86% of RJ cases involve one).
    let minors = track == "rj-mediator" || rng.chance(0.6);
    let late = rng.chance(0.1);
    if rng.chance(0.15) {
        plan.push((
            rng.range(2, 8),
            C,
            take_step(
                "reject",
                &[(
                    "reason",
                    (*rng.pick(&["age", "availability", "suitability"])).into(),
                )],
            ),
        ));
    } else {
        plan.push((
            if late {
                rng.range(15, 20)
            } else {
                rng.range(2, 9)
            },
            C,
            take_step(
                "screened-in",
                &[
                    ("meets_requirements", "true".into()),
                    ("works_with_minors", minors.to_string()),
                ],
            ),
        ));
        plan.push((
            rng.range(5, 20),
            C,
            take_step("interview-held", &[("recommendation", "recommend".into())]),
        ));
        if rng.chance(0.2) {
            plan.push((
                rng.range(1, 5),
                N("signe"),
                take_step("reject", &[("reason", "suitability".into())]),
            ));
        } else {
            plan.push((rng.range(1, 5), N("signe"), take_step("select", &[])));
            if minors {
                plan.push((
                    rng.range(5, 15),
                    C,
                    take_step(
                        "check-recorded",
                        &[
                            ("background_check", "clear".into()),
                            ("checked_on", "+0".into()),
                        ],
                    ),
                ));
                plan.push((0, C, Step::Task("background-check")));
            }
            plan.push((rng.range(0, 5), C, Step::Task("confidentiality-agreement")));
            plan.push((0, C, Step::Task("volunteer-agreement")));
            plan.push((
                rng.range(5, 40),
                C,
                // The next cohort starts within a fortnight.
                take_step(
                    "enrol",
                    &[
                        ("cohort", (*rng.pick(&["spring", "autumn"])).into()),
                        ("cohort_starts_on", format!("+{}", rng.range(0, 14))),
                    ],
                ),
            ));
            if rng.chance(0.1) {
                plan.push((
                    rng.range(10, 30),
                    N("tarmo"),
                    take_step("training-abandoned", &[]),
                ));
            } else {
                for module in ["foundations", "mediation-skills", "safeguarding"] {
                    plan.push((
                        rng.range(5, 12),
                        N("tarmo"),
                        take_step(
                            "module-completed",
                            &[("module", module.into()), ("hours", "16".into())],
                        ),
                    ));
                }
                let mentor = *rng.pick(&["reet", "tonis"]);
                plan.push((
                    rng.range(1, 5),
                    N("tarmo"),
                    take_step("training-completed", &trained(track, mentor)),
                ));
                plan.push((
                    rng.range(10, 30),
                    N(mentor),
                    take_step("shadowing-completed", &[("role", "observer".into())]),
                ));
                plan.push((0, C, Step::Task("first-shadowing")));
                plan.push((
                    rng.range(10, 30),
                    N(mentor),
                    take_step("shadowing-completed", &[("role", "co-facilitator".into())]),
                ));
                plan.push((0, C, Step::Task("second-shadowing")));
                plan.push((rng.range(1, 20), C, Step::Task("supervision-attended")));
                plan.push((rng.range(1, 10), N("signe"), take_step("confirm", &[])));
                plan.push((rng.range(0, 5), C, Step::Account));
                for _ in 0..rng.range(2, 6) {
                    let activity =
                        *rng.pick(&["mediation", "preparation", "supervision", "outreach"]);
                    plan.push((
                        rng.range(20, 45),
                        C,
                        take_step(
                            "hours-logged",
                            &[
                                ("activity", activity.into()),
                                ("hours", rng.range(2, 8).to_string()),
                            ],
                        ),
                    ));
                    // Supervision about every other month (now and then one
                    // is missed, and goes overdue for the volunteer expert).
                    if rng.chance(0.85) {
                        plan.push((
                            rng.range(1, 10),
                            C,
                            take_step("supervision-attended", &[("kind", "supervision".into())]),
                        ));
                    }
                    if track == "crisis-psk" {
                        plan.push((
                            rng.range(1, 20),
                            C,
                            take_step(
                                "crisis-deployment",
                                &[("accepted", rng.chance(0.7).to_string())],
                            ),
                        ));
                    }
                }
                if rng.chance(0.35) {
                    let reason = *rng.pick(&["moved", "time", "burnout", "other"]);
                    plan.push((
                        rng.range(30, 120),
                        C,
                        take_step(
                            "exit",
                            &[
                                ("exit_reason", reason.into()),
                                ("committed_period_met", rng.chance(0.6).to_string()),
                            ],
                        ),
                    ));
                }
            }
        }
    }
    if minors {
        yearly_checks(&mut plan);
    } else {
        routine(&mut plan);
    }
    plan
}

/// A development talk and a supervision, then four more supervisions 66
/// days apart: a year of the support an active volunteer is owed (the next
/// year's starts 66 days after the last).
fn year_of_support(plan: &mut Vec<(i64, Who, Step)>, first: i64) {
    plan.push((
        first,
        Who::Named("signe"),
        take_step("development-talk-held", &[]),
    ));
    for gap in [0, 66, 66, 66, 66] {
        plan.push((
            gap,
            Who::Coordinator,
            take_step("supervision-attended", &[("kind", "supervision".into())]),
        ));
    }
}

/// A volunteer who does not meet minors and stays is supported every year
/// after the script (the yearly re-check does the same for those who do).
fn routine(plan: &mut Vec<(i64, Who, Step)>) {
    let active = plan
        .iter()
        .any(|(_, _, step)| matches!(step, Step::Account));
    let leaving = plan
        .iter()
        .any(|(_, _, step)| matches!(step, Step::Take(t, _) if LEAVING.contains(t)));
    if !active || leaving {
        return;
    }
    year_of_support(plan, 30);
    for _ in 1..LATER_CHECKS {
        year_of_support(plan, 66);
    }
}

/// What `training-completed` records: an RJ mediator is trained for the
/// restorative justice service.
fn trained(track: &str, mentor: &'static str) -> Vec<(&'static str, String)> {
    let mut sets = vec![
        ("training_hours", "48".to_owned()),
        ("mentors", mentor.to_owned()),
    ];
    if track == "rj-mediator" {
        sets.push(("trained_for", "rj-service".to_owned()));
    }
    sets
}

/// The steps after which a volunteer is no longer active.
const LEAVING: [&str; 7] = [
    "exit",
    "reject",
    "withdraw",
    "training-abandoned",
    "not-confirmed",
    "check-restricted",
    "check-lapsed",
];

/// The account name the demo gives the volunteer of onboarding case `id`.
pub(super) fn account_of(id: Uuid) -> String {
    format!("vab-{}", &id.simple().to_string()[24..])
}

/// Whether a case's remaining script ends the volunteer's work.
pub(super) fn leaves(plan: &std::collections::VecDeque<(i64, Who, Step)>) -> bool {
    plan.iter()
        .any(|(_, _, step)| matches!(step, Step::Take(t, _) if LEAVING.contains(t)))
}

/// How many more yearly checks a volunteer who stays is given after their
/// script ends (steps past today are never taken).
const LATER_CHECKS: usize = 6;

/// Days after a criminal-record check that the demo's coordinator does it
/// again: inside the 12 months after which onboarding suspends the volunteer.
const RECHECK_AFTER: i64 = 330;

/// The yearly criminal-record re-check (LasteKS § 20) of an active volunteer
/// who meets minors: inserted every [`RECHECK_AFTER`] days after the first
/// check, once the account is linked (the volunteer is active).
fn yearly_checks(plan: &mut Vec<(i64, Who, Step)>) {
    let is_check = |step: &Step| matches!(step, Step::Take(t, _) if *t == "check-recorded");
    let (Some(first), Some(active)) = (
        plan.iter().position(|(_, _, step)| is_check(step)),
        plan.iter()
            .position(|(_, _, step)| matches!(step, Step::Account)),
    ) else {
        return;
    };
    let mut since = 0;
    let mut out = Vec::with_capacity(plan.len() + 2);
    for (i, (offset, who, step)) in std::mem::take(plan).into_iter().enumerate() {
        if i > first {
            since += offset;
        }
        if i > active && since >= RECHECK_AFTER {
            let after = since - RECHECK_AFTER;
            out.push((
                offset - after,
                Who::Coordinator,
                take_step(
                    "check-recorded",
                    &[
                        ("background_check", "clear".into()),
                        ("checked_on", "+0".into()),
                    ],
                ),
            ));
            out.push((after, who, step));
            since = after;
            continue;
        }
        out.push((offset, who, step));
    }
    // A volunteer who stays is checked again every year after the script.
    let leaves = out
        .iter()
        .any(|(_, _, step)| matches!(step, Step::Take(t, _) if LEAVING.contains(t)));
    if !leaves {
        let check = || {
            take_step(
                "check-recorded",
                &[
                    ("background_check", "clear".into()),
                    ("checked_on", "+0".into()),
                ],
            )
        };
        // The talk and the supervisions of each year follow its check.
        out.push(((RECHECK_AFTER - since).max(0), Who::Coordinator, check()));
        year_of_support(&mut out, 0);
        for _ in 1..LATER_CHECKS {
            out.push((RECHECK_AFTER - 264, Who::Coordinator, check()));
            year_of_support(&mut out, 0);
        }
    }
    *plan = out;
}

/// When a crisis event happened: any time of its day up to the evening.
pub(super) fn crisis_time(rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
        + Duration::minutes(rng.range(0, 18 * 60))
}

/// The path of one crisis call-out: a call-out of two to four trained
/// volunteers the same morning, one or two shifts, the end of support, and a
/// debrief (now and then later than three working days); or no call-out.
pub(super) fn crisis_plan(rng: &mut Rng) -> Vec<(i64, Who, Step)> {
    use Who::Coordinator as C;
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    if rng.chance(0.1) {
        let reason = *rng.pick(&["handled-by-others", "no-need", "request-withdrawn"]);
        plan.push((0, C, take_step("not-needed", &[("reason", reason.into())])));
        return plan;
    }
    let mut called: Vec<&'static str> = Vec::new();
    for _ in 0..rng.range(2, 4) {
        let v = *rng.pick(&CRISIS_VOLUNTEERS);
        if !called.contains(&v) {
            called.push(v);
        }
    }
    plan.push((
        0,
        C,
        take_step("call-out", &[("volunteers", called.join(","))]),
    ));
    if rng.chance(0.05) {
        plan.push((0, C, take_step("stood-down", &[])));
        return plan;
    }
    plan.push((0, C, take_step("arrived", &[])));
    for shift in 0..rng.range(1, 2) {
        let supported = rng.range(2, 30);
        plan.push((
            shift,
            C,
            take_step(
                "shift-logged",
                &[
                    ("shift_volunteers", called.join(",")),
                    ("hours", rng.range(2, 6).to_string()),
                    ("people_supported", supported.to_string()),
                    ("referred_on", rng.range(0, supported / 3).to_string()),
                ],
            ),
        ));
    }
    plan.push((rng.range(0, 1), C, take_step("support-ended", &[])));
    let late = rng.chance(0.1);
    plan.push((
        if late {
            rng.range(6, 9)
        } else {
            rng.range(1, 3)
        },
        C,
        take_step(
            "debrief-held",
            &[
                ("attendees", called.join(",")),
                ("debrief_hours", "1.5".into()),
                ("further_support", rng.range(0, 1).to_string()),
            ],
        ),
    ));
    plan
}

/// What an outreach event is about: (kind, audience, partner type).
pub(super) fn outreach_kind(rng: &mut Rng) -> (&'static str, &'static str, &'static str) {
    *rng.pick(&[
        ("school-lesson", "pupils", "school"),
        ("school-lesson", "pupils", "school"),
        ("information-session", "teachers", "school"),
        ("information-session", "parents", "local-government"),
        ("partner-training", "professionals", "police"),
        ("partner-training", "professionals", "prosecutor"),
        ("information-session", "professionals", "court"),
        ("conference", "professionals", "ngo"),
        ("public-event", "public", "local-government"),
        ("campaign", "public", "none"),
        ("information-session", "volunteers", "ngo"),
    ])
}

/// The path of one outreach event `ahead` days before its day: prepared with
/// one to three volunteers, held on the day, each volunteer's hours, then
/// feedback (or none); some are cancelled.
pub(super) fn outreach_plan(rng: &mut Rng, ahead: i64) -> Vec<(i64, Who, Step)> {
    use Who::Coordinator as C;
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    let prepared = rng.range(2, ahead - 2);
    if rng.chance(0.08) {
        plan.push((
            rng.range(1, ahead - 1),
            C,
            take_step(
                "cancel",
                &[(
                    "reason",
                    (*rng.pick(&["partner-cancelled", "too-few-participants", "no-volunteers"]))
                        .into(),
                )],
            ),
        ));
        return plan;
    }
    let mut volunteers: Vec<&'static str> = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let v = *rng.pick(&OUTREACH_VOLUNTEERS);
        if !volunteers.contains(&v) {
            volunteers.push(v);
        }
    }
    plan.push((
        prepared,
        C,
        take_step("prepared", &[("volunteers", volunteers.join(","))]),
    ));
    for task in ["programme-agreed", "materials-ready", "volunteers-briefed"] {
        plan.push((0, C, Step::Task(task)));
    }
    let materials = *rng.pick(&[
        "presentation,leaflets",
        "presentation",
        "video,leaflets",
        "handbook",
        "case-study,presentation",
    ]);
    plan.push((
        ahead - prepared,
        C,
        take_step(
            "held",
            &[
                ("attendance", rng.range(8, 120).to_string()),
                ("materials", materials.into()),
            ],
        ),
    ));
    for v in &volunteers {
        plan.push((
            0,
            C,
            take_step(
                "hours-logged",
                &[
                    ("volunteer", (*v).into()),
                    ("activity", "outreach".into()),
                    ("hours", rng.range(1, 4).to_string()),
                ],
            ),
        ));
        if rng.chance(0.5) {
            plan.push((
                0,
                C,
                take_step(
                    "hours-logged",
                    &[
                        ("volunteer", (*v).into()),
                        ("activity", "preparation".into()),
                        ("hours", rng.range(1, 3).to_string()),
                    ],
                ),
            ));
        }
    }
    if rng.chance(0.2) {
        plan.push((rng.range(3, 12), C, take_step("no-feedback", &[])));
    } else {
        let usefulness = 3.5 + rng.range(0, 15) as f64 / 10.0;
        plan.push((
            rng.range(2, 14),
            C,
            take_step(
                "feedback-collected",
                &[
                    ("responses", rng.range(5, 60).to_string()),
                    ("usefulness", format!("{usefulness:.1}")),
                    ("partner_follow_up", rng.chance(0.7).to_string()),
                ],
            ),
        ));
    }
    plan
}

/// A partner in the bundled partner list for a referral source, a crisis
/// requester or an outreach partner type (None: no partner to name).
/// The region of a bundled partner (as `partners.yaml` gives it), or any
/// region for one the demo does not place.
pub(super) fn region_of(rng: &mut Rng, partner: &str) -> &'static str {
    const PLACES: [(&str, &str); 11] = [
        ("pohja", "north"),
        ("harju", "north"),
        ("tallinn", "north"),
        ("louna", "south"),
        ("tartu", "south"),
        ("laane", "west"),
        ("parnu", "west"),
        ("viru", "east"),
        ("ida", "east"),
        ("narva", "east"),
        ("johvi", "east"),
    ];
    PLACES
        .iter()
        .find(|(prefix, _)| partner.starts_with(prefix))
        .map(|(_, region)| *region)
        .unwrap_or_else(|| *rng.pick(&["north", "south", "east", "west"]))
}

pub(super) fn partner_of(rng: &mut Rng, source: &str) -> Option<String> {
    let ids: &[&str] = match source {
        "prosecutor" => &[
            "pohja-prokuratuur",
            "pohja-prokuratuur",
            "louna-prokuratuur",
            "laane-prokuratuur",
            "viru-prokuratuur",
        ],
        "court" => &[
            "harju-maakohus",
            "tartu-maakohus",
            "parnu-maakohus",
            "viru-maakohus",
        ],
        "police" => &[
            "pohja-prefektuur",
            "louna-prefektuur",
            "laane-prefektuur",
            "ida-prefektuur",
        ],
        "school" => &[
            "tallinna-koolid",
            "tartumaa-koolid",
            "parnumaa-koolid",
            "ida-virumaa-koolid",
        ],
        "local-government" | "child-protection" => &["tallinn", "tartu", "parnu", "narva"],
        "rescue-board" => &["paasteamet"],
        "emergency-centre" => &["hairekeskus"],
        "ngo" => &["lastekaitse-liit", "naiste-tugikeskused"],
        "health-care" => &["regionaalhaigla", "kliinikum"],
        _ => &[],
    };
    (!ids.is_empty()).then(|| (*rng.pick(ids)).to_owned())
}

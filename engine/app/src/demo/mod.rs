//! The demo: a store full of believable history, made by the application's
//! own commands.
//!
//! Setup registers actors and publishes the bundled processes; the years of
//! casework go through [`App::execute`], each step dated in simulated time (a
//! [`SetClock`] moved to the step's moment), and deadlines are handled by
//! [`App::run_timers`] as the simulated clock passes each day. Nothing is
//! inserted behind the engine's back: every step is decided by the engine and
//! could be refused. Deterministic for a seed (`plan.rs` holds the script).

mod plan;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use kroonika_engine::Code;
use kroonika_engine::actors::ActorCommand;
use kroonika_store::{Store, StoreOptions};
use serde_json::Value;
use uuid::Uuid;

use self::plan::{
    COORDINATORS, PEOPLE, Rng, STAFF_MEDIATORS, SimCase, Step, VOLUNTEER_MEDIATORS, Who,
};
use crate::command::{CaseCommand, Input, Outcome, Request};
use crate::error::{Context, Error, Result, reject};
use crate::keys::KeySource;
use crate::{App, Options, SetClock, setup};

const MEDIATION: &str = include_str!("../../../../processes/mediation.yaml");
/// Mediation as the service ran it before the 2026 review: the demo's first
/// weeks run on it, and its running cases are carried over to the revision.
const LEGACY_MEDIATION: &str = include_str!("../../../../processes/history/mediation-2025.yaml");
/// The day (after the demo's first) the revised mediation is published.
const REVISION_AFTER_DAYS: i64 = 28;
/// The steps a case on the pre-review mediation takes before the revision;
/// anything further waits for it (the revision changed those states' rules).
const LEGACY_STEPS: [&str; 6] = [
    "start-screening",
    "declare-eligible",
    "declare-ineligible",
    "withdraw-referral",
    "assign",
    "contact-attempted",
];
const VOLUNTEERS: &str = include_str!("../../../../processes/volunteer-onboarding.yaml");
const CRISIS: &str = include_str!("../../../../processes/crisis-support.yaml");
const OUTREACH: &str = include_str!("../../../../processes/outreach-event.yaml");
const PARTNERS: &str = include_str!("../../../../processes/partners.yaml");

/// The demo's first administrator.
pub const ADMIN: &str = "anu";

/// What to make.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The same seed makes the same demo.
    pub seed: u64,
    /// Years of history up to today (1 to 10).
    pub years: u32,
    /// A factor on the volumes (0.01 to 25).
    pub scale: f64,
    /// Replace a store that already holds data.
    pub force: bool,
}

/// What the demo made, for its summary.
#[derive(Debug, Default)]
pub struct DemoReport {
    /// Cases opened, by process.
    pub opened: BTreeMap<&'static str, u64>,
    pub steps: u64,
    /// Scripted steps the engine refused (the first few say why).
    pub refused: Vec<String>,
    /// Cases whose deadlines the timers acted on.
    pub deadlines: u64,
    /// Running cases carried over from the pre-review mediation (version 1)
    /// to the revised one (version 2).
    pub carried_over: u64,
    /// Cases moved to mediation's version 3.
    pub migrated: u64,
    /// Documents produced (agreements, reports to the authority).
    pub documents: u64,
    /// Mediation cases listing further parties (school conflicts with
    /// several pupils), and the people they list.
    pub group_cases: u64,
    pub further_parties: u64,
    /// Acts on personal data at the end, in words.
    pub privacy: Vec<String>,
    /// A victim whose case the demo found by name (`case find` to try).
    pub caller: Option<String>,
    /// Events in the store.
    pub events: u64,
    /// The simulated days.
    pub days: u64,
}

/// Fills the store at `url` with `options.years` of casework up to today.
/// `progress` is told (day, days) as the simulated clock passes.
pub async fn run(
    url: &str,
    keys: &KeySource,
    options: &DemoOptions,
    progress: &mut (dyn FnMut(NaiveDate, u64, u64) + Send),
) -> Result<DemoReport> {
    if !(0.01..=25.0).contains(&options.scale) {
        return Err(reject(
            Code::InvalidInput,
            "--scale is a factor from 0.01 to 25",
        ));
    }
    if !(1..=10).contains(&options.years) {
        return Err(reject(Code::InvalidInput, "--years is from 1 to 10"));
    }
    prepare_store(url, options.force).await?;
    setup::init(url, keys, Some(ADMIN)).await?;
    let master = crate::keys::find(keys)?.map(|(key, _)| key);
    let today = Utc::now().date_naive();
    let start = today - Duration::days(365 * i64::from(options.years));
    let clock = Arc::new(SetClock::new(moment(start, 0)));
    // Demo data is made again in seconds: commits reach the disk at checkpoints.
    let app = App::open_with(
        url,
        StoreOptions {
            durable: false,
            ..StoreOptions::default()
        },
        Options {
            master,
            clock: clock.clone(),
            ..Options::default()
        },
    )
    .await?;
    let result = Simulation {
        app: &app,
        clock: &clock,
        report: DemoReport::default(),
        mediations: Vec::new(),
        legacy: Vec::new(),
        revised: false,
        workload: BTreeMap::new(),
    }
    .run(options, start, today, progress)
    .await;
    app.close().await;
    result
}

/// A store to fill: new, or replaced with `force` (an SQLite file is removed;
/// a PostgreSQL store's tables are dropped, nothing else in its schema).
async fn prepare_store(url: &str, force: bool) -> Result<()> {
    let holds_data = match Store::open(url).await {
        Ok(store) => {
            let head = store.head_position().await?;
            store.close().await;
            head > 0
        }
        Err(_) => false,
    };
    if !holds_data {
        return Ok(());
    }
    if !force {
        return Err(reject(
            Code::AlreadyExists,
            format!(
                "{url} already holds data; give --force to replace it with the demo, or --db for another store"
            ),
        ));
    }
    let Some(path) = url.strip_prefix("sqlite://") else {
        // PostgreSQL: only a Kroonika store (open checks the mark) is dropped,
        // table by table, never the schema or anything else in it.
        let store = Store::open(url)
            .await
            .map_err(|err| Error::from(err).context("opening the store to replace"))?;
        store
            .destroy()
            .await
            .map_err(|err| Error::from(err).context("removing the old demo store"))?;
        return Ok(());
    };
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if std::path::Path::new(&file).exists() {
            std::fs::remove_file(&file).context(|| format!("removing {file}"))?;
        }
    }
    Ok(())
}

/// A time on `day` during office hours, spread by `seq` so steps keep their order.
fn moment(day: NaiveDate, seq: u64) -> DateTime<Utc> {
    plan::moment(day, seq)
}

struct Simulation<'a> {
    app: &'a App,
    clock: &'a SetClock,
    report: DemoReport,
    /// Mediation cases, in the order they were opened.
    mediations: Vec<Uuid>,
    /// Cases opened on the pre-review mediation, with the region the
    /// revision asks for (from the referring partner) and whether they are
    /// the restorative justice service's (whose legal basis the revision names).
    legacy: Vec<(Uuid, &'static str, bool)>,
    /// The revised mediation is published.
    revised: bool,
    /// Restorative-justice cases each facilitator was given.
    workload: BTreeMap<String, u32>,
}

impl Simulation<'_> {
    async fn run(
        mut self,
        options: &DemoOptions,
        start: NaiveDate,
        today: NaiveDate,
        progress: &mut (dyn FnMut(NaiveDate, u64, u64) + Send),
    ) -> Result<DemoReport> {
        self.set_up().await?;
        let mid = start + Duration::days(365 * i64::from(options.years) / 2);
        let revision = start + Duration::days(REVISION_AFTER_DAYS);
        let mut rng = Rng(options.seed ^ 0x6B72_6F6F_6E69_6B61);
        let mut cases: Vec<SimCase> = Vec::new();
        let mut queue: BinaryHeap<Reverse<(NaiveDate, u64, usize)>> = BinaryHeap::new();
        let mut seq = 0u64;
        let days = (today - start).num_days().max(0) as u64;
        self.report.days = days;
        let mut day = start;
        let mut passed = 0;
        while day < today {
            progress(day, passed, days);
            if day == revision {
                self.report.carried_over = self.publish_revision(day).await?;
            }
            if day == mid {
                self.report.migrated = self.publish_version_two(day).await?;
            }
            // New referrals and applications of the day.
            let weekday = day.weekday().num_days_from_monday() < 5;
            let (conciliations, rj, applications) = if weekday {
                // 167 restorative-justice cases in 2023; no published count
                // of conciliations (the research's range is 300–800 a year).
                (500.0 / 250.0, 167.0 / 250.0, 150.0 / 250.0)
            } else {
                (0.0, 0.0, 0.0)
            };
            for _ in 0..rng.poisson(conciliations * options.scale) {
                let case = self.open_mediation(&mut rng, day, true, &cases).await?;
                plan::schedule(&mut queue, &mut seq, &mut cases, case, day);
            }
            for _ in 0..rng.poisson(rj * options.scale) {
                let case = self.open_mediation(&mut rng, day, false, &cases).await?;
                plan::schedule(&mut queue, &mut seq, &mut cases, case, day);
            }
            for _ in 0..rng.poisson(applications * options.scale) {
                let case = self.open_application(&mut rng, day).await?;
                plan::schedule(&mut queue, &mut seq, &mut cases, case, day);
            }
            // Outreach events, planned a few weeks ahead (about 40 a year),
            // and crisis call-outs on any day (about 8 a year).
            for _ in 0..rng.poisson(if weekday { 40.0 / 250.0 } else { 0.0 } * options.scale) {
                let case = self.open_outreach(&mut rng, day).await?;
                plan::schedule(&mut queue, &mut seq, &mut cases, case, day);
            }
            for _ in 0..rng.poisson(8.0 / 365.0 * options.scale) {
                let case = self.open_crisis(&mut rng, day).await?;
                plan::schedule(&mut queue, &mut seq, &mut cases, case, day);
            }
            // Steps due today, in the order they were planned.
            while let Some(Reverse((when, _, index))) = queue.peek().copied() {
                if when > day {
                    break;
                }
                queue.pop();
                let Some((_, who, step)) = cases[index].plan.pop_front() else {
                    continue;
                };
                let case = &cases[index];
                let legacy = self.legacy.iter().any(|(id, _, _)| *id == case.id);
                // A case on the pre-review mediation goes no further than
                // its first steps until the revision is published.
                if legacy
                    && !self.revised
                    && !matches!(&step, Step::Take(name, _) if LEGACY_STEPS.contains(name))
                {
                    cases[index].plan.push_front((0, who, step));
                    queue.push(Reverse((revision, seq, index)));
                    seq += 1;
                    continue;
                }
                let actor = match who {
                    Who::Coordinator => case.coordinator.to_owned(),
                    Who::Mediator => case.mediator.clone(),
                    Who::Named(name) => name.to_owned(),
                };
                // A crisis keeps its own clock on its first day: each step
                // some minutes after the one before.
                let at = match case.clock {
                    Some(last) if last.date_naive() == day => {
                        let evening = day.and_hms_opt(22, 30, 0).unwrap_or_default().and_utc();
                        let next = (last + Duration::minutes(rng.range(20, 150))).min(evening);
                        cases[index].clock = Some(next);
                        next
                    }
                    _ => moment(day, seq),
                };
                let case = &cases[index];
                seq += 1;
                match self.take(&actor, case.id, &step, at).await {
                    Ok(()) if matches!(step, Step::Document(..)) => self.report.documents += 1,
                    Ok(()) => self.report.steps += 1,
                    // The step that owes a notice was taken before the
                    // revision, which does not owe it after the fact.
                    Err(_) if legacy && matches!(step, Step::Notice(_) | Step::Document(..)) => {}
                    Err(err) => {
                        // A refused step ends the case's script; the refusal is reported.
                        self.report.refused.push(format!("{}: {err}", case.id));
                        cases[index].plan.clear();
                    }
                }
                if let Some((delay, _, _)) = cases[index].plan.front() {
                    let next = day + Duration::days(*delay);
                    queue.push(Reverse((next, seq, index)));
                    seq += 1;
                }
            }
            // The day ends: deadlines due by its end are handled, as `timers run` would.
            let end = day.and_hms_opt(23, 0, 0).unwrap_or_default().and_utc();
            self.clock.set(end);
            let run = self.app.run_timers(Some(end)).await?;
            self.report.deadlines += run.handled as u64;
            day += Duration::days(1);
            passed += 1;
        }
        progress(today, days, days);
        self.clock.set(Utc::now());
        self.privacy_acts(&cases).await?;
        self.report.events = self.app.status().await?.head;
        Ok(self.report)
    }

    /// Actors for every role, and the bundled processes published.
    async fn set_up(&self) -> Result<()> {
        for (name, roles) in PEOPLE {
            let command = ActorCommand::Register {
                name: (*name).to_owned(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            };
            self.app
                .administer(&Request::new(ADMIN, "actor add"), &command, false)
                .await?;
        }
        for source in [PARTNERS, LEGACY_MEDIATION, VOLUNTEERS, CRISIS, OUTREACH] {
            self.app
                .publish(&Request::new("tiina", "def publish"), source, false)
                .await?;
        }
        Ok(())
    }

    async fn take(&self, actor: &str, id: Uuid, step: &Step, at: DateTime<Utc>) -> Result<()> {
        self.clock.set(at);
        // `+N`: a date N days after the step's own day (due dates, decisions).
        let dated = |sets: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
            sets.iter()
                .map(
                    |(k, v)| match v.strip_prefix('+').and_then(|n| n.parse::<i64>().ok()) {
                        Some(days) => (*k, (at.date_naive() + Duration::days(days)).to_string()),
                        None => (*k, v.clone()),
                    },
                )
                .collect()
        };
        let command = match step {
            Step::Take(name, sets) => CaseCommand::Take {
                step: (*name).to_owned(),
                input: texts(&dated(sets)),
            },
            Step::Task(task) => CaseCommand::Task {
                task: (*task).to_owned(),
            },
            Step::Notice(notice) => CaseCommand::Notice {
                notice: (*notice).to_owned(),
                sent_on: None,
                reference: None,
            },
            Step::Document(document, to, language) => {
                let ask = crate::DocumentAsk {
                    document: (*document).to_owned(),
                    language: (*language).to_owned(),
                    to: Some((*to).to_owned()),
                };
                self.app
                    .produce_document(&Request::new(actor, "case document"), &id.to_string(), &ask)
                    .await?;
                return Ok(());
            }
            Step::Account => {
                let account = plan::account_of(id);
                let register = ActorCommand::Register {
                    name: account.clone(),
                    roles: vec!["volunteer".to_owned()],
                };
                self.app
                    .administer(&Request::new(ADMIN, "actor add"), &register, false)
                    .await?;
                CaseCommand::Take {
                    step: "account-linked".to_owned(),
                    input: texts(&[("account", account)]),
                }
            }
        };
        let verb = match step {
            Step::Take(..) => "case do",
            Step::Task(_) => "case task",
            Step::Notice(_) => "case notice",
            Step::Document(..) => "case document",
            Step::Account => "case do",
        };
        self.app
            .execute(&Request::new(actor, verb), Some(&id.to_string()), command)
            .await
            .map(|_| ())
    }

    async fn open_case(
        &self,
        process: &'static str,
        coordinator: &str,
        input: &[(&str, String)],
        day: NaiveDate,
        seq: u64,
    ) -> Result<Uuid> {
        self.open_case_at(process, coordinator, input, moment(day, seq))
            .await
    }

    async fn open_case_at(
        &self,
        process: &'static str,
        coordinator: &str,
        input: &[(&str, String)],
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        self.clock.set(at);
        let command = CaseCommand::Open {
            open: process.to_owned(),
            // An empty value is a field left out (no partner to name).
            input: texts(
                &input
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
        };
        match self
            .app
            .execute(&Request::new(coordinator, "case open"), None, command)
            .await?
        {
            Outcome::Opened { case_id, .. } | Outcome::AlreadyOpened { case_id, .. } => Ok(case_id),
            other => Err(Error::Invalid(format!("opening said {other:?}"))),
        }
    }

    /// Two facilitators for a restorative-justice case: of the volunteers
    /// onboarded during the run, those the assignment will accept (active,
    /// trained for the service, where a minor takes part a check made within
    /// the last 11 months) and staying on, with the fewest cases so far; the
    /// experienced volunteers the records began with while fewer than two are.
    fn facilitators(
        &mut self,
        rng: &mut Rng,
        day: NaiveDate,
        minor: bool,
        cases: &[SimCase],
    ) -> Vec<String> {
        let leaving: std::collections::HashSet<String> = cases
            .iter()
            .filter(|c| plan::leaves(&c.plan))
            .map(|c| plan::account_of(c.id))
            .collect();
        let fresh = (day - Duration::days(330)).to_string();
        let registry = self.app.registry();
        let mut pool: Vec<String> = registry
            .actors()
            .values()
            .filter(|a| a.is_active() && !leaving.contains(&a.name))
            .filter(|a| {
                a.profiles.get("volunteer").is_some_and(|p| {
                    let text = |field: &str| p.values.get(field).and_then(|v| v.as_str());
                    text("state") == Some("active")
                        && p.values
                            .get("trained_for")
                            .and_then(|v| v.as_array())
                            .is_some_and(|t| t.iter().any(|v| v == "rj-service"))
                        && (!minor || text("checked_on").is_some_and(|c| c >= fresh.as_str()))
                })
            })
            .map(|a| a.name.clone())
            .collect();
        if pool.len() < 2 {
            pool = VOLUNTEER_MEDIATORS
                .iter()
                .map(|m| (*m).to_owned())
                .collect();
        }
        // The fewest cases first, ties in a random order.
        let mut keyed: Vec<(u32, u64, String)> = pool
            .into_iter()
            .map(|name| {
                (
                    self.workload.get(&name).copied().unwrap_or(0),
                    rng.next(),
                    name,
                )
            })
            .collect();
        keyed.sort();
        let pair: Vec<String> = keyed.into_iter().take(2).map(|(_, _, n)| n).collect();
        for name in &pair {
            *self.workload.entry(name.clone()).or_default() += 1;
        }
        pair
    }

    /// Opens a mediation case and scripts its path.
    async fn open_mediation(
        &mut self,
        rng: &mut Rng,
        day: NaiveDate,
        conciliation: bool,
        cases: &[SimCase],
    ) -> Result<SimCase> {
        let coordinator = *rng.pick(&COORDINATORS);
        let (track, source, basis) = if conciliation {
            // The sources name prosecutors; a court applies conciliation
            // now and then (no figure: 5%).
            let source = if rng.chance(0.95) {
                "prosecutor"
            } else {
                "court"
            };
            let basis = if rng.chance(0.15) {
                "krms-201-juvenile"
            } else {
                "krms-203-1"
            };
            ("conciliation", source, basis)
        } else {
            // Schools referred 40 of 167 cases in 2023 (24%); the rest of
            // the mix has no published figure.
            let roll = rng.unit();
            let source = match roll {
                r if r < 0.24 => "school",
                r if r < 0.56 => "police",
                r if r < 0.74 => "child-protection",
                r if r < 0.86 => "local-government",
                r if r < 0.95 => "self",
                _ => "other",
            };
            ("rj-service", source, "oas")
        };
        let minor = if conciliation {
            rng.chance(0.1)
        } else {
            // 86% of the restorative-justice cases of 2023 involved a minor.
            rng.chance(0.86)
        };
        let received = day - Duration::days(rng.range(0, 2));
        let referred_by = plan::partner_of(rng, source).unwrap_or_default();
        let region = plan::region_of(rng, &referred_by);
        let document = if conciliation {
            format!(
                "{} määrus {} nr {}-{}",
                if source == "court" {
                    "kohtu"
                } else {
                    "prokuratuuri"
                },
                received.format("%d.%m.%Y"),
                received.format("%y"),
                rng.range(1000, 9999)
            )
        } else {
            format!("pöördumine {}", received.format("%d.%m.%Y"))
        };
        let input: Vec<(&str, String)> = [
            ("track", track.to_owned()),
            ("region", region.to_owned()),
            ("referral_document", document),
            ("referral_source", source.to_owned()),
            ("referred_by", referred_by),
            ("legal_basis", basis.to_owned()),
            ("received_on", received.to_string()),
            ("minor_involved", minor.to_string()),
            (
                "domestic_violence",
                (conciliation && rng.chance(0.5)).to_string(),
            ),
            ("sexual_offence", rng.chance(0.03).to_string()),
            ("victim_name", plan::person(rng)),
            ("offender_name", plan::person(rng)),
            (
                "victim_contact",
                format!("+372 5{:03} {:04}", rng.range(0, 999), rng.range(0, 9999)),
            ),
        ]
        .into_iter()
        // The pre-review version has no region (the revision asks for it)
        // and no Victim Support Act among the legal bases.
        .filter(|(name, _)| self.revised || *name != "region")
        .map(|(name, value)| match (name, value.as_str()) {
            ("legal_basis", "oas") if !self.revised => (name, "none".to_owned()),
            _ => (name, value),
        })
        .collect();
        // A school conflict in the revised version involves more pupils (no
        // published figure: one to three more, half the time a class teacher
        // taking part), listed with a parent each where they are minors.
        let mut input = input;
        let parties = if self.revised && source == "school" {
            let seed = self.report.opened.get("mediation").copied().unwrap_or(0);
            plan::school_group(seed, minor)
        } else {
            Vec::new()
        };
        // Who of them consents and signs: everyone but a participant.
        let signing: Vec<String> = parties
            .iter()
            .enumerate()
            .filter(|(_, p)| p["role"] != "participant")
            .map(|(i, _)| format!("parties-{}", i + 1))
            .collect();
        if !parties.is_empty() {
            self.report.group_cases += 1;
            self.report.further_parties += parties.len() as u64;
            input.push(("parties", Value::from(parties).to_string()));
        }
        let id = self
            .open_case("mediation", coordinator, &input, day, rng.next())
            .await?;
        *self.report.opened.entry("mediation").or_default() += 1;
        self.mediations.push(id);
        if !self.revised {
            self.legacy.push((id, region, !conciliation));
        }
        let mediators: Vec<String> = if conciliation {
            vec![(*rng.pick(&STAFF_MEDIATORS)).to_owned()]
        } else {
            self.facilitators(rng, day, minor, cases)
        };
        let names: Vec<&str> = mediators.iter().map(String::as_str).collect();
        let plan = plan::mediation_plan(rng, conciliation, minor, &names, &signing);
        Ok(SimCase {
            id,
            coordinator,
            mediator: mediators[0].clone(),
            plan: plan.into(),
            clock: None,
        })
    }

    /// Opens a crisis call-out and scripts it.
    async fn open_crisis(&mut self, rng: &mut Rng, day: NaiveDate) -> Result<SimCase> {
        let coordinator = *rng.pick(&COORDINATORS);
        let occurred = plan::crisis_time(rng, day);
        let requested_by = *rng.pick(&[
            "police",
            "rescue-board",
            "emergency-centre",
            "local-government",
            "school",
        ]);
        let reported = occurred + Duration::minutes(rng.range(10, 60));
        let input = [
            (
                "event_kind",
                (*rng.pick(&[
                    "accident",
                    "accident",
                    "fire",
                    "violent-crime",
                    "suicide",
                    "disaster",
                    "missing-person",
                ]))
                .to_owned(),
            ),
            (
                "occurred_at",
                occurred.format("%Y-%m-%dT%H:%M:00Z").to_string(),
            ),
            (
                "place",
                (*rng.pick(&[
                    "Tallinn",
                    "Tartu",
                    "Narva",
                    "Pärnu",
                    "Viljandi",
                    "Rakvere",
                    "Kuressaare",
                    "Võru",
                ]))
                .to_owned(),
            ),
            (
                "region",
                (*rng.pick(&["north", "south", "east", "west"])).to_owned(),
            ),
            ("affected_estimate", rng.range(3, 200).to_string()),
            ("requested_by", requested_by.to_owned()),
            (
                "requesting_partner",
                plan::partner_of(rng, requested_by).unwrap_or_default(),
            ),
        ];
        let id = self
            .open_case_at("crisis-support", coordinator, &input, reported)
            .await?;
        *self.report.opened.entry("crisis-support").or_default() += 1;
        Ok(SimCase {
            id,
            coordinator,
            mediator: coordinator.to_owned(),
            plan: plan::crisis_plan(rng).into(),
            clock: Some(reported),
        })
    }

    /// Opens an outreach event planned a few weeks ahead and scripts it.
    async fn open_outreach(&mut self, rng: &mut Rng, day: NaiveDate) -> Result<SimCase> {
        let coordinator = *rng.pick(&COORDINATORS);
        let ahead = rng.range(10, 40);
        let (kind, audience, partner) = plan::outreach_kind(rng);
        let topic = *rng.pick(&[
            "Taastav õigus koolis",
            "Lepitus kriminaalmenetluses",
            "Ohvriabi teenused",
            "Kiusamise ennetus",
            "Vabatahtlikuks ohvriabis",
        ]);
        let input = [
            ("kind", kind.to_owned()),
            ("audience", audience.to_owned()),
            ("partner_type", partner.to_owned()),
            (
                "region",
                (*rng.pick(&["north", "north", "south", "east", "west"])).to_owned(),
            ),
            ("topic", topic.to_owned()),
            ("planned_on", (day + Duration::days(ahead)).to_string()),
            ("expected_attendance", rng.range(10, 100).to_string()),
        ];
        let id = self
            .open_case("outreach-event", coordinator, &input, day, rng.next())
            .await?;
        *self.report.opened.entry("outreach-event").or_default() += 1;
        Ok(SimCase {
            id,
            coordinator,
            mediator: coordinator.to_owned(),
            plan: plan::outreach_plan(rng, ahead).into(),
            clock: None,
        })
    }

    /// Opens a volunteer application and scripts its path.
    async fn open_application(&mut self, rng: &mut Rng, day: NaiveDate) -> Result<SimCase> {
        let coordinator = *rng.pick(&COORDINATORS);
        let track = *rng.pick(&[
            "rj-mediator",
            "rj-mediator",
            "marac-support",
            "mh-counsellor",
            "crisis-psk",
            "outreach",
        ]);
        let region = *rng.pick(&["north", "north", "south", "east", "west"]);
        let name = plan::person(rng);
        let input = [
            ("tracks", track.to_owned()),
            ("region", region.to_owned()),
            (
                "languages",
                (*rng.pick(&["et", "et", "ru", "en"])).to_owned(),
            ),
            (
                "committed_months",
                (*rng.pick(&["12", "12", "24", "6"])).to_owned(),
            ),
            (
                "channel",
                (*rng.pick(&["website", "volunteer-portal", "referral", "event"])).to_owned(),
            ),
            ("applied_on", day.to_string()),
            ("applicant_name", name.clone()),
            (
                "applicant_email",
                format!(
                    "{}@example.ee",
                    name.to_lowercase()
                        .replace(' ', ".")
                        .replace(['õ', 'ä', 'ö', 'ü'], "o")
                ),
            ),
        ];
        let id = self
            .open_case("volunteer-onboarding", coordinator, &input, day, rng.next())
            .await?;
        *self
            .report
            .opened
            .entry("volunteer-onboarding")
            .or_default() += 1;
        let plan = plan::application_plan(rng, track);
        Ok(SimCase {
            id,
            coordinator,
            mediator: coordinator.to_owned(),
            plan: plan.into(),
            clock: None,
        })
    }

    /// Four weeks in: the revised mediation (the legal review's, version 2)
    /// is published, and every case still running on the pre-review version
    /// is carried over as processes/README.md's plan says: migrated (every
    /// state is still there), then given the region the revision escalates
    /// by (and a restorative justice case its legal basis, the Victim Support
    /// Act), as a correction with its reason. Closed cases stay on version 1.
    async fn publish_revision(&mut self, day: NaiveDate) -> Result<u64> {
        self.clock.set(moment(day, 0));
        self.app
            .publish(&Request::new("tiina", "def publish"), MEDIATION, false)
            .await?;
        self.revised = true;
        let mut carried = 0;
        for (i, (id, region, rj)) in self.legacy.iter().enumerate() {
            self.clock.set(moment(day, 1 + i as u64));
            let case = id.to_string();
            let migrate = CaseCommand::Migrate {
                migrate: 2,
                map: BTreeMap::new(),
            };
            let request = Request::new("mari", "case migrate");
            match self.app.execute(&request, Some(&case), migrate).await {
                Ok(_) => {}
                Err(err) if err.code() == Some(Code::NotMigratable) => continue,
                Err(err) => return Err(err),
            }
            let mut update = vec![("region", (*region).to_owned())];
            if *rj {
                update.push(("legal_basis", "oas".to_owned()));
            }
            let correct = CaseCommand::Correct {
                update: texts(&update),
                reason: "carried over to the revised process: its region (from the referring partner) and, for the restorative justice service, the Victim Support Act as its legal basis"
                    .to_owned(),
                request: None,
            };
            self.app
                .execute(&Request::new("mari", "case update"), Some(&case), correct)
                .await?;
            carried += 1;
        }
        Ok(carried)
    }

    /// Halfway: version 3 of mediation (reports due sooner) is published, and
    /// every third open case is moved to it; the rest stay on version 2.
    async fn publish_version_two(&self, day: NaiveDate) -> Result<u64> {
        let edits = [
            (
                "    deadline: { within: 10 working days, escalate: regional-lead }\n    transitions:\n      record-feedback:",
                "    deadline: { within: 7 working days, escalate: regional-lead }\n    transitions:\n      record-feedback:",
            ),
            (
                "title: { et: Lepitusmenetlus ja vahendus (taastav õigus), ru: Примирение и медиация (восстановительное правосудие), en: Victim-offender mediation }",
                "title: { et: Lepitusmenetlus ja vahendus (aruanne 7 tööpäevaga), ru: Примирение и медиация (отчёт за 7 рабочих дней), en: Victim-offender mediation (reports in 7 working days) }",
            ),
            (
                "title: { et: Aruanne esitati 10 tööpäeva jooksul, en: Report submitted within 10 working days }",
                "title: { et: Aruanne esitati 7 tööpäeva jooksul, en: Report submitted within 7 working days }",
            ),
        ];
        let mut source = MEDIATION.to_owned();
        for (old, new) in edits {
            if source.matches(old).count() != 1 {
                return Err(Error::Invalid(
                    "the bundled mediation process changed; update the demo's version 3".to_owned(),
                ));
            }
            source = source.replacen(old, new, 1);
        }
        self.clock.set(moment(day, 0));
        self.app
            .publish(&Request::new("tiina", "def publish"), &source, false)
            .await?;
        let mut migrated = 0;
        for (i, id) in self.mediations.iter().enumerate() {
            if i % 3 != 0 {
                continue;
            }
            let command = CaseCommand::Migrate {
                migrate: 3,
                map: BTreeMap::new(),
            };
            // Closed cases are not migrated; that refusal is expected.
            if self
                .app
                .execute(
                    &Request::new("mari", "case migrate"),
                    Some(&id.to_string()),
                    command,
                )
                .await
                .is_ok()
            {
                migrated += 1;
            }
        }
        Ok(migrated)
    }

    /// Today's acts on personal data: coordinators reveal names for a purpose,
    /// a mediator not on the case is refused (and the refusal recorded), a
    /// victim's data is erased on request, a case is put under a legal hold.
    async fn privacy_acts(&mut self, cases: &[SimCase]) -> Result<()> {
        let picked: Vec<&SimCase> = self
            .mediations
            .iter()
            .filter_map(|id| cases.iter().find(|c| c.id == *id))
            .take(3)
            .collect();
        let [first, second, third] = picked.as_slice() else {
            return Ok(());
        };
        let mut caller = None;
        for case in [first, second, third] {
            let view = self
                .app
                .show_case(
                    &Request::new(case.coordinator, "case show --reveal"),
                    &case.id.to_string(),
                    None,
                    Some("writing the report to the prosecutor"),
                )
                .await?;
            if caller.is_none() {
                caller = view
                    .data
                    .get("victim_name")
                    .and_then(|v| v.as_str())
                    .map(|name| (case.coordinator, name.to_owned()));
            }
        }
        self.report
            .privacy
            .push("3 readings of names, each with its purpose".to_owned());
        // The first victim calls; the coordinator finds the case by name.
        if let Some((coordinator, name)) = caller {
            let query = crate::search::FindQuery {
                name: Some(name.clone()),
                phone: None,
            };
            let found = self
                .app
                .find_cases(
                    &Request::new(coordinator, "case find"),
                    &query,
                    "the victim called about the case",
                )
                .await?;
            if found.iter().any(|f| f.case_id == first.id) {
                self.report
                    .privacy
                    .push("1 caller's case found by name, the search recorded".to_owned());
                // She asks what the service holds about her (GDPR art. 15).
                let query = crate::subject::SubjectQuery {
                    name: Some(name.clone()),
                    purpose: "the victim's request for her data (GDPR art. 15)".to_owned(),
                    lang: "et".to_owned(),
                    ..crate::subject::SubjectQuery::default()
                };
                self.app
                    .subject_access(&Request::new(coordinator, "subject access"), &query)
                    .await?;
                self.report
                    .privacy
                    .push("1 person's request for their data answered, and recorded".to_owned());
                self.report.caller = Some(name);
            }
        }
        let outsider = STAFF_MEDIATORS
            .iter()
            .find(|m| **m != first.mediator.as_str())
            .copied()
            .unwrap_or("eve");
        let refused = self
            .app
            .show_case(
                &Request::new(outsider, "case show --reveal"),
                &first.id.to_string(),
                None,
                Some("curious"),
            )
            .await;
        if refused.is_err_and(|err| err.code() == Some(Code::Denied)) {
            self.report
                .privacy
                .push(format!("1 reading denied to {outsider}, and recorded"));
        }
        self.app
            .forget(
                &Request::new(ADMIN, "subject forget"),
                &format!("{}/victim", second.id),
                "the victim's erasure request; no retention duty applies",
            )
            .await?;
        self.report
            .privacy
            .push("1 victim's data erased on request".to_owned());
        self.app
            .hold(
                &Request::new(ADMIN, "case hold"),
                &third.id.to_string(),
                true,
                "complaint to the Chancellor of Justice pending",
            )
            .await?;
        self.report
            .privacy
            .push("1 case under a legal hold".to_owned());
        Ok(())
    }
}

fn texts(pairs: &[(&str, String)]) -> Input {
    Input::texts(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

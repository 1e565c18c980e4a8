//! `kroonika demo`: a store full of believable history, made by the real
//! commands.
//!
//! Setup goes through the CLI itself (init, actors, `def publish`, `case
//! migrate`); the years of casework go through the same desk a coordinator's
//! `case open` / `case do` / `case task` uses, with each step dated in simulated
//! time (`occurred_at`), and deadlines handled by the same code as `timers run`
//! as the simulated clock passes each day. Nothing is inserted behind the
//! engine's back: every step is decided by the engine and could be refused.
//!
//! Volumes and mixes follow `shared/domain/research.md` (d): about 500 criminal
//! conciliations and 200 restorative-justice cases a year across four regions,
//! 100–200 volunteer applications a year; of conciliations about 10 % ineligible
//! or withdrawn, 10 % unreachable, 20 % without consent, 60 % launched, of which
//! 70 % agree and 85–90 % of agreements are fulfilled. Deterministic for a seed.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use kroonika_engine::Rejection;
use kroonika_engine::actors::Actor;
use kroonika_engine::case::{RawInput, RawValue};
use kroonika_store::Store;
use serde_json::json;
use uuid::Uuid;

use crate::args::{Cli, DemoArgs};
use crate::desk::{Act, Change, Desk, Opened};
use crate::exit;

const MEDIATION: &str = include_str!("../../../processes/mediation.yaml");
const VOLUNTEERS: &str = include_str!("../../../processes/volunteer-onboarding.yaml");

/// Who the demo registers: (name, roles).
const PEOPLE: &[(&str, &[&str])] = &[
    ("tiina", &["service-owner"]),
    ("mari", &["coordinator"]),
    ("liis", &["coordinator"]),
    ("kadri", &["coordinator"]),
    ("peeter", &["coordinator"]),
    ("ants", &["mediator"]),
    ("helen", &["mediator"]),
    ("margus", &["mediator"]),
    ("reet", &["mediator", "mentor"]),
    ("tonis", &["mediator", "mentor"]),
    ("maarja", &["mediator"]),
    ("juri", &["mediator"]),
    ("eve", &["mediator"]),
    ("rein", &["regional-lead"]),
    ("signe", &["volunteer-expert"]),
    ("tarmo", &["trainer"]),
    ("aino", &["auditor"]),
];
const COORDINATORS: [&str; 4] = ["mari", "liis", "kadri", "peeter"];
const STAFF_MEDIATORS: [&str; 3] = ["ants", "helen", "margus"];
const VOLUNTEER_MEDIATORS: [&str; 5] = ["reet", "tonis", "maarja", "juri", "eve"];
const FIRST_NAMES: [&str; 16] = [
    "Kadri", "Tõnu", "Mart", "Liina", "Andres", "Kristi", "Priit", "Eha", "Rasmus", "Anu", "Siim",
    "Kertu", "Urmas", "Triin", "Jaan", "Helena",
];
const SURNAMES: [&str; 16] = [
    "Kask", "Tamm", "Saar", "Mägi", "Sepp", "Ilves", "Rebane", "Kukk", "Lepp", "Pärn", "Koppel",
    "Org", "Raud", "Vaher", "Kuusk", "Lill",
];

/// SplitMix64: a tiny generator whose sequence for a seed never changes with a
/// dependency's version, so a seed means the same demo for good.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    /// How many events of a Poisson process with this mean (Knuth).
    fn poisson(&mut self, mean: f64) -> u32 {
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
enum Step {
    Take(&'static str, Vec<(&'static str, String)>),
    Task(&'static str),
}

/// Who takes a step: the case's coordinator, its (first) mediator, or a named actor.
#[derive(Debug, Clone, Copy)]
enum Who {
    Coordinator,
    Mediator,
    Named(&'static str),
}

#[derive(Debug)]
struct SimCase {
    id: Uuid,
    coordinator: &'static str,
    mediator: &'static str,
    /// Steps still to take: (days after the previous step, who, what).
    plan: std::collections::VecDeque<(i64, Who, Step)>,
}

/// What the run made, for the summary.
#[derive(Debug, Default)]
struct Tally {
    opened: BTreeMap<&'static str, u64>,
    steps: u64,
    refused: Vec<String>,
    deadlines: u64,
    migrated: u64,
    /// Mediation cases, in the order they were opened.
    mediations: Vec<Uuid>,
    /// Personal data read, refused, erased, held at the end of the run.
    privacy: Vec<String>,
}

pub(crate) async fn run(
    cli: &Cli,
    args: &DemoArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    if !(0.01..=25.0).contains(&args.scale) {
        return Err(Rejection::new("--scale is a factor from 0.01 to 25").into());
    }
    if !(1..=10).contains(&args.years) {
        return Err(Rejection::new("--years is from 1 to 10").into());
    }
    prepare_store(cli, args).await?;
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().context("a temporary folder for the definitions")?;
    let sh = |args: Vec<String>| async move { command(args).await };
    let base = |actor: &str| -> Vec<String> {
        let mut args = in_store(cli);
        args.extend(["--actor".into(), actor.into()]);
        args
    };
    let mut init = in_store(cli);
    init.extend(["init".into(), "--admin".into(), "anu".into()]);
    sh(init).await?;
    for (name, roles) in PEOPLE {
        let mut add = base("anu");
        add.extend(["actor".into(), "add".into(), (*name).to_owned()]);
        for role in *roles {
            add.extend(["--role".into(), (*role).to_owned()]);
        }
        sh(add).await?;
    }
    for (file, source) in [
        ("mediation.yaml", MEDIATION),
        ("volunteer-onboarding.yaml", VOLUNTEERS),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, source)?;
        let mut publish = base("tiina");
        publish.extend(["def".into(), "publish".into(), path.display().to_string()]);
        sh(publish).await?;
    }

    // Demo data is made again in seconds: commits reach the disk at checkpoints.
    let options = kroonika_store::StoreOptions {
        durable: false,
        ..Default::default()
    };
    let store = Store::open_with(&cli.db, options)
        .await
        .context("opening the store")?;
    let mut desk = Desk::load(&store).await?.with_master(cli, &store).await?;
    let today = Utc::now().date_naive();
    let start = today - Duration::days(365 * i64::from(args.years));
    let mid = start + Duration::days(365 * i64::from(args.years) / 2);
    let mut rng = Rng(args.seed ^ 0x6B72_6F6F_6E69_6B61);
    let mut cases: Vec<SimCase> = Vec::new();
    let mut queue: BinaryHeap<Reverse<(NaiveDate, u64, usize)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut tally = Tally::default();
    let days = (today - start).num_days();
    let bar = indicatif::ProgressBar::new(days as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("simulating {msg} [{bar:30}] {pos}/{len} days")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut sink = std::io::sink();
    let mut day = start;
    while day < today {
        bar.set_message(day.to_string());
        if day == mid {
            tally.migrated = publish_version_two(cli, &store, &mut desk, dir.path()).await?;
        }
        // New referrals and applications of the day.
        let weekday = day.weekday().num_days_from_monday() < 5;
        let (conciliations, rj, applications) = if weekday {
            (500.0 / 250.0, 200.0 / 250.0, 150.0 / 250.0)
        } else {
            (0.0, 0.0, 0.0)
        };
        for _ in 0..rng.poisson(conciliations * args.scale) {
            let case = open_mediation(&store, &mut desk, &mut rng, day, true, &mut tally).await?;
            schedule(&mut queue, &mut seq, &mut cases, case, day);
        }
        for _ in 0..rng.poisson(rj * args.scale) {
            let case = open_mediation(&store, &mut desk, &mut rng, day, false, &mut tally).await?;
            schedule(&mut queue, &mut seq, &mut cases, case, day);
        }
        for _ in 0..rng.poisson(applications * args.scale) {
            let case = open_application(&store, &mut desk, &mut rng, day, &mut tally).await?;
            schedule(&mut queue, &mut seq, &mut cases, case, day);
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
            let actor = match who {
                Who::Coordinator => case.coordinator,
                Who::Mediator => case.mediator,
                Who::Named(name) => name,
            };
            let at = moment(day, seq);
            seq += 1;
            match take(&store, &mut desk, actor, case.id, &step, at).await {
                Ok(()) => tally.steps += 1,
                Err(err) => {
                    // A refused step ends the case's script; the refusal is reported.
                    tally.refused.push(format!("{}: {err:#}", case.id));
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
        tally.deadlines += crate::commands::case::fire_due(&store, end, &mut sink).await? as u64;
        bar.inc(1);
        day += Duration::days(1);
    }
    bar.finish_and_clear();
    privacy_acts(cli, &cases, &mut tally).await?;
    let events = store.head_position().await?;
    store.close().await;
    summary(cli, args, &tally, events, started.elapsed(), out)
}

/// Today's acts on personal data, through the real commands: coordinators
/// reveal names for a purpose, a mediator not on the case is refused (and the
/// refusal recorded), a victim's data is erased on request, a case is put
/// under a legal hold. So `audit access` and `case show` have something to show.
async fn privacy_acts(cli: &Cli, cases: &[SimCase], tally: &mut Tally) -> anyhow::Result<()> {
    let picked: Vec<&SimCase> = tally
        .mediations
        .iter()
        .filter_map(|id| cases.iter().find(|c| c.id == *id))
        .take(3)
        .collect();
    let [first, second, third] = picked.as_slice() else {
        return Ok(());
    };
    let as_actor = |actor: &str, rest: &[String]| -> Vec<String> {
        let mut args = in_store(cli);
        args.extend(["--actor".into(), actor.into()]);
        args.extend(rest.iter().cloned());
        args
    };
    let words = |text: &[&str]| text.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    for case in [first, second, third] {
        let id = case.id.to_string();
        command(as_actor(
            case.coordinator,
            &words(&[
                "case",
                "show",
                &id,
                "--reveal",
                "--purpose",
                "writing the report to the prosecutor",
            ]),
        ))
        .await?;
    }
    tally
        .privacy
        .push("3 readings of names, each with its purpose".to_owned());
    let outsider = STAFF_MEDIATORS
        .iter()
        .find(|m| **m != first.mediator)
        .copied()
        .unwrap_or("eve");
    let (mut sink_out, mut sink_err) = (Vec::new(), Vec::new());
    let refused = in_process(
        as_actor(
            outsider,
            &words(&[
                "case",
                "show",
                &first.id.to_string(),
                "--reveal",
                "--purpose",
                "curious",
            ]),
        ),
        &mut sink_out,
        &mut sink_err,
    )
    .await;
    if refused == exit::INVALID {
        tally
            .privacy
            .push(format!("1 reading denied to {outsider}, and recorded"));
    }
    let victim = format!("{}/victim", second.id);
    command(as_actor(
        "anu",
        &words(&[
            "subject",
            "forget",
            &victim,
            "--reason",
            "the victim's erasure request; no retention duty applies",
        ]),
    ))
    .await?;
    tally
        .privacy
        .push("1 victim's data erased on request".to_owned());
    command(as_actor(
        "anu",
        &words(&[
            "case",
            "hold",
            &third.id.to_string(),
            "--reason",
            "complaint to the Chancellor of Justice pending",
        ]),
    ))
    .await?;
    tally.privacy.push("1 case under a legal hold".to_owned());
    Ok(())
}

/// A store to fill: new, or replaced with --force (an SQLite file is removed;
/// a PostgreSQL store's tables are dropped).
async fn prepare_store(cli: &Cli, args: &DemoArgs) -> anyhow::Result<()> {
    let holds_data = match Store::open(&cli.db).await {
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
    if !args.force {
        return Err(Rejection::new(format!(
            "{} already holds data; give --force to replace it with the demo, or --db for another store",
            cli.db
        ))
        .into());
    }
    let Some(path) = cli.db.strip_prefix("sqlite://") else {
        // PostgreSQL: only a Kroonika store (open checks the mark) is dropped,
        // table by table, never the schema or anything else in it.
        let store = Store::open(&cli.db)
            .await
            .context("opening the store to replace")?;
        store
            .destroy()
            .await
            .context("removing the old demo store")?;
        return Ok(());
    };
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if std::path::Path::new(&file).exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {file}"))?;
        }
    }
    Ok(())
}

/// `kroonika --db URL [--master-key-file FILE]`: the start of every command the
/// demo runs, on its own store with its own key.
fn in_store(cli: &Cli) -> Vec<String> {
    let mut args = vec!["kroonika".to_owned(), "--db".to_owned(), cli.db.clone()];
    if let Some(file) = &cli.master_key_file {
        args.extend(["--master-key-file".to_owned(), file.display().to_string()]);
    }
    args
}

/// Runs one kroonika command in-process; any failure stops the demo.
async fn command(args: Vec<String>) -> anyhow::Result<()> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = in_process(args.clone(), &mut out, &mut err).await;
    if code != 0 {
        anyhow::bail!(
            "`{}` failed: {}",
            args[1..].join(" "),
            String::from_utf8_lossy(&err).trim()
        );
    }
    Ok(())
}

/// `crate::run`, boxed: the demo is itself a command, so the call is recursive.
fn in_process<'a>(
    args: Vec<String>,
    out: &'a mut (dyn Write + Send),
    err: &'a mut (dyn Write + Send),
) -> std::pin::Pin<Box<dyn std::future::Future<Output = u8> + Send + 'a>> {
    Box::pin(crate::run(args, out, err))
}

/// A time on `day` during office hours, spread by `seq` so steps keep their order.
fn moment(day: NaiveDate, seq: u64) -> DateTime<Utc> {
    let minutes = 7 * 60 + (seq % 540) as i64;
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::minutes(minutes)
}

fn schedule(
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

fn actor(desk: &Desk, name: &str) -> anyhow::Result<Actor> {
    desk.actors
        .get(name)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the demo's actor {name} is not registered"))
}

fn raw(pairs: &[(&str, String)]) -> RawInput {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), RawValue::Text(vec![v.clone()])))
        .collect()
}

async fn take(
    store: &Store,
    desk: &mut Desk,
    name: &str,
    id: Uuid,
    step: &Step,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let who = actor(desk, name)?;
    let act = Act {
        actor: &who,
        now: at,
        occurred_at: at,
        command_id: None,
    };
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
    let (change, input, command) = match step {
        Step::Take(t, sets) => (Change::Take(t), raw(&dated(sets)), json!({ "do": t })),
        Step::Task(t) => (Change::Task(t), RawInput::new(), json!({ "task": t })),
    };
    desk.step(store, act, id, change, &input, &command, None)
        .await
        .map(|_| ())
}

fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&SURNAMES))
}

async fn open_case(
    store: &Store,
    desk: &mut Desk,
    process: &'static str,
    coordinator: &str,
    input: &[(&str, String)],
    day: NaiveDate,
    seq: u64,
) -> anyhow::Result<Uuid> {
    let who = actor(desk, coordinator)?;
    let at = moment(day, seq);
    let act = Act {
        actor: &who,
        now: at,
        occurred_at: at,
        command_id: None,
    };
    let command = json!({ "open": process });
    match desk
        .open(store, act, process, &raw(input), &command)
        .await?
    {
        Opened::New { case_id, .. } | Opened::Already { case_id, .. } => Ok(case_id),
    }
}

/// Opens a mediation case and scripts its path.
async fn open_mediation(
    store: &Store,
    desk: &mut Desk,
    rng: &mut Rng,
    day: NaiveDate,
    conciliation: bool,
    tally: &mut Tally,
) -> anyhow::Result<SimCase> {
    let coordinator = *rng.pick(&COORDINATORS);
    let (track, source, basis) = if conciliation {
        let source = if rng.chance(0.8) {
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
        let source = *rng.pick(&[
            "police",
            "school",
            "school",
            "child-protection",
            "local-government",
            "self",
            "other",
        ]);
        ("rj-service", source, "none")
    };
    let minor = if conciliation {
        rng.chance(0.1)
    } else {
        rng.chance(0.85)
    };
    let received = day - Duration::days(rng.range(0, 2));
    let input = [
        ("track", track.to_owned()),
        ("referral_source", source.to_owned()),
        ("legal_basis", basis.to_owned()),
        ("received_on", received.to_string()),
        ("minor_involved", minor.to_string()),
        (
            "domestic_violence",
            (conciliation && rng.chance(0.5)).to_string(),
        ),
        ("sexual_offence", rng.chance(0.03).to_string()),
        ("victim_name", person(rng)),
        ("offender_name", person(rng)),
        (
            "victim_contact",
            format!("+372 5{:03} {:04}", rng.range(0, 999), rng.range(0, 9999)),
        ),
    ];
    let id = open_case(
        store,
        desk,
        "mediation",
        coordinator,
        &input,
        day,
        rng.next(),
    )
    .await?;
    *tally.opened.entry("mediation").or_default() += 1;
    tally.mediations.push(id);
    let mediators: Vec<&'static str> = if conciliation {
        vec![*rng.pick(&STAFF_MEDIATORS)]
    } else {
        let first = *rng.pick(&VOLUNTEER_MEDIATORS);
        let mut second = *rng.pick(&VOLUNTEER_MEDIATORS);
        while second == first {
            second = *rng.pick(&VOLUNTEER_MEDIATORS);
        }
        vec![first, second]
    };
    let plan = mediation_plan(rng, conciliation, minor, &mediators);
    Ok(SimCase {
        id,
        coordinator,
        mediator: mediators[0],
        plan: plan.into(),
    })
}

fn take_step(name: &'static str, sets: &[(&'static str, String)]) -> Step {
    Step::Take(name, sets.to_vec())
}

/// The path of one mediation case, with the delays between its steps.
fn mediation_plan(
    rng: &mut Rng,
    conciliation: bool,
    minor: bool,
    mediators: &[&'static str],
) -> Vec<(i64, Who, Step)> {
    use Who::{Coordinator as C, Mediator as M};
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    let roll = rng.unit();
    plan.push((rng.range(0, 1), C, take_step("start-screening", &[])));
    if roll < 0.07 {
        let reason = *rng.pick(&[
            "excluded-offence",
            "not-second-degree",
            "unsuitable",
            "safety-risk",
        ]);
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
            ],
        )
    };
    plan.push((rng.range(4, 12), M, meeting(rng, "victim")));
    plan.push((rng.range(0, 5), M, meeting(rng, "offender")));
    plan.push((0, M, Step::Task("information-provided")));
    plan.push((0, M, Step::Task("victim-consent")));
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
    plan.push((
        0,
        M,
        take_step(
            "record-risk",
            &[("risk_level", (*rng.pick(&["low", "low", "medium"])).into())],
        ),
    ));
    plan.push((0, M, Step::Task("risk-assessed")));
    plan.push((rng.range(0, 4), M, Step::Task("facts-acknowledged")));
    plan.push((rng.range(1, 5), M, take_step("clear-for-dialogue", &[])));
    let format = *rng.pick(&[
        "face-to-face",
        "face-to-face",
        "face-to-face",
        "indirect",
        "online",
        "conference",
    ]);
    let participants = rng.range(2, 6).to_string();
    plan.push((
        rng.range(5, 25),
        M,
        take_step(
            "dialogue-held",
            &[
                ("format", format.into()),
                ("participants", participants.clone()),
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
    plan.push((
        rng.range(0, 7),
        M,
        take_step(
            "agreement-signed",
            &[
                ("agreement_terms", terms.into()),
                ("terms_due_on", format!("+{due}")),
            ],
        ),
    ));
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

/// Opens a volunteer application and scripts its path.
async fn open_application(
    store: &Store,
    desk: &mut Desk,
    rng: &mut Rng,
    day: NaiveDate,
    tally: &mut Tally,
) -> anyhow::Result<SimCase> {
    use Who::{Coordinator as C, Named as N};
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
    let name = person(rng);
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
    let id = open_case(
        store,
        desk,
        "volunteer-onboarding",
        coordinator,
        &input,
        day,
        rng.next(),
    )
    .await?;
    *tally.opened.entry("volunteer-onboarding").or_default() += 1;
    let mut plan: Vec<(i64, Who, Step)> = Vec::new();
    let minors = rng.chance(0.6);
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
                            ("next_check_due", "+365".into()),
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
                take_step("enrol", &[("cohort", "spring".into())]),
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
                    take_step(
                        "training-completed",
                        &[("training_hours", "48".into()), ("mentors", mentor.into())],
                    ),
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
                    if rng.chance(0.4) {
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
    Ok(SimCase {
        id,
        coordinator,
        mediator: coordinator,
        plan: plan.into(),
    })
}

/// Halfway: version 2 of mediation (reports due sooner) is published, and some
/// open cases are moved to it with `case migrate`; the rest stay on version 1.
async fn publish_version_two(
    cli: &Cli,
    store: &Store,
    desk: &mut Desk,
    dir: &std::path::Path,
) -> anyhow::Result<u64> {
    let old = "  reporting:\n    deadline: { within: 10 working days, escalate: regional-lead }";
    let new = "  reporting:\n    deadline: { within: 7 working days, escalate: regional-lead }";
    anyhow::ensure!(
        MEDIATION.contains(old),
        "the bundled mediation process changed; update the demo's version 2"
    );
    let source = MEDIATION
        .replacen(old, new, 1)
        .replace(
            "title: Victim-offender mediation",
            "title: Victim-offender mediation (reports in 7 working days)",
        )
        .replace(
            "title: Report submitted within 10 working days",
            "title: Report submitted within 7 working days",
        );
    let path = dir.join("mediation-v2.yaml");
    std::fs::write(&path, source)?;
    let db = cli.db.clone();
    command(vec![
        "kroonika".into(),
        "--db".into(),
        db.clone(),
        "--actor".into(),
        "tiina".into(),
        "def".into(),
        "publish".into(),
        path.display().to_string(),
    ])
    .await?;
    desk.load_process(store, "mediation").await?;
    // Migrate every third open case on version 1.
    let mut migrated = 0;
    let mut scan = store.scan(Some("caseref"), kroonika_store::ReadFrom::Start, 1_000);
    let mut ids = Vec::new();
    while let Some(page) = scan.next_page().await? {
        for event in page {
            if event.stream.id().starts_with("LE.") {
                let data = event.data.to_value()?;
                if let Some(id) = data["case_id"].as_str() {
                    ids.push(id.to_owned());
                }
            }
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if i % 3 != 0 {
            continue;
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = [
            "kroonika",
            "--db",
            &db,
            "--actor",
            "mari",
            "case",
            "migrate",
            id,
            "--to-version",
            "2",
        ];
        let code = in_process(
            args.iter().map(|a| (*a).to_owned()).collect(),
            &mut out,
            &mut err,
        )
        .await;
        // Closed cases are not migrated; that refusal is expected.
        if code == 0 {
            migrated += 1;
        }
    }
    Ok(migrated)
}

fn summary(
    cli: &Cli,
    args: &DemoArgs,
    tally: &Tally,
    events: u64,
    took: std::time::Duration,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let db = &cli.db;
    let flag = if db == "sqlite://kroonika.db" {
        String::new()
    } else {
        format!(" --db {db}")
    };
    writeln!(
        out,
        "Kroonika demo: {} years of casework (seed {}, scale {}) in {:.1} s",
        args.years,
        args.seed,
        args.scale,
        took.as_secs_f64()
    )?;
    writeln!(out, "  store         {db}")?;
    for (process, n) in &tally.opened {
        writeln!(out, "  {process:<22} {n} cases opened")?;
    }
    writeln!(
        out,
        "  steps taken   {}, deadlines handled by timers {}",
        tally.steps, tally.deadlines
    )?;
    writeln!(
        out,
        "  definitions   mediation v1 and v2 ({} cases migrated), volunteer-onboarding v1",
        tally.migrated
    )?;
    writeln!(out, "  events        {events}")?;
    writeln!(
        out,
        "  actors        anu (admin), tiina (service owner), mari liis kadri peeter (coordinators),"
    )?;
    writeln!(
        out,
        "                ants helen margus (staff mediators), reet tonis maarja juri eve (volunteer"
    )?;
    writeln!(
        out,
        "                mediators), rein (regional lead), signe (volunteer expert), tarmo (trainer), aino (auditor)"
    )?;
    for (i, line) in tally.privacy.iter().enumerate() {
        let label = if i == 0 { "privacy" } else { "" };
        writeln!(out, "  {label:<13} {line}")?;
    }
    if !tally.refused.is_empty() {
        writeln!(
            out,
            "  refused       {} scripted steps were refused by the engine; the first: {}",
            tally.refused.len(),
            tally.refused[0]
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Try, as the service owner:")?;
    writeln!(
        out,
        "  kroonika{flag} report mediation --period quarter --by track"
    )?;
    writeln!(
        out,
        "  kroonika{flag} report mediation --format html --output report.html"
    )?;
    writeln!(out, "  kroonika{flag} def graph mediation")?;
    writeln!(out, "As a coordinator:")?;
    writeln!(
        out,
        "  kroonika{flag} --actor mari case list --open --overdue"
    )?;
    writeln!(
        out,
        "  kroonika{flag} --actor mari case show LE-{}-0001",
        Utc::now().year() - i32::try_from(args.years).unwrap_or(1)
    )?;
    writeln!(
        out,
        "  kroonika{flag} --actor mari case show LE-{}-0001 --reveal --purpose 'calling the victim'",
        Utc::now().year() - i32::try_from(args.years).unwrap_or(1)
    )?;
    writeln!(out, "As an auditor:")?;
    writeln!(
        out,
        "  kroonika{flag} audit trail --by mari --from {}",
        (Utc::now() - Duration::days(7)).date_naive()
    )?;
    writeln!(out, "  kroonika{flag} audit access")?;
    writeln!(out, "  kroonika{flag} audit verify")?;
    writeln!(out, "  kroonika{flag} log --category definition")?;
    Ok(())
}

//! `kroonika demo`: a store full of believable history, made by the
//! application's own commands (`kroonika_app::demo`), then what to try next.

use std::io::Write;

use chrono::{Datelike, Duration, Utc};
use kroonika_app::demo::{self, DemoOptions, DemoReport};

use crate::args::{Cli, DemoArgs};
use crate::context;

pub(crate) async fn run(
    cli: &Cli,
    args: &DemoArgs,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let options = DemoOptions {
        seed: args.seed,
        years: args.years,
        scale: args.scale,
        force: args.force,
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("simulating {msg} [{bar:30}] {pos}/{len} days")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = demo::run(
        &cli.db,
        &context::key_source(cli),
        &options,
        &mut |day, done, days| {
            bar.set_length(days);
            bar.set_position(done);
            bar.set_message(day.to_string());
        },
    )
    .await;
    bar.finish_and_clear();
    summary(cli, args, &report?, started.elapsed(), out)?;
    if args.serve {
        serve(cli, args, out).await?;
    }
    Ok(())
}

/// The password every demo person signs in with under `demo --serve`. For
/// the demo's made-up people only: a real store's passwords are set one by
/// one (`actor password`).
pub(crate) const DEMO_PASSWORD: &str = "kroonika-demo";

/// Gives every demo person the demo password, says who to sign in as, and
/// serves the web application until interrupted.
async fn serve(cli: &Cli, args: &DemoArgs, out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    let people = context::with_app(cli, false, async |app| {
        let admin = kroonika_app::Request::new("anu", "demo --serve");
        let registry = app.refresh().await?;
        let mut people = Vec::new();
        for (name, actor) in registry.actors() {
            if name == kroonika_engine::actors::SYSTEM {
                continue;
            }
            app.set_password(&admin, name, DEMO_PASSWORD).await?;
            people.push((
                name.clone(),
                actor.roles.iter().cloned().collect::<Vec<_>>().join(", "),
            ));
        }
        Ok(people)
    })
    .await?;
    writeln!(out)?;
    writeln!(
        out,
        "The web application: http://{} (sign in as one of the demo people; their password: {DEMO_PASSWORD}, for this demo only)",
        args.listen
    )?;
    for (name, roles) in &people {
        writeln!(out, "  {name:<8} {roles}")?;
    }
    out.flush()?;
    let serve_args = crate::args::ServeArgs::for_demo(args.listen);
    crate::commands::serve::run(cli, &serve_args, out).await
}

fn summary(
    cli: &Cli,
    args: &DemoArgs,
    tally: &DemoReport,
    took: std::time::Duration,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    let events = tally.events;
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
        "  definitions   mediation v1 (before the 2026 review), v2 (revised; {} running cases\n                carried over) and v3 ({} cases migrated), volunteer-onboarding,\n                crisis-support (kriisiabi call-outs) and outreach-event (teavitusüritused) v1",
        tally.carried_over, tally.migrated
    )?;
    writeln!(
        out,
        "  documents     {} produced (agreements for the parties, reports to the authority)",
        tally.documents
    )?;
    writeln!(
        out,
        "  parties       {} school conflicts with several pupils, {} further parties listed\n                (each a data subject of their own: pupils, their parents, a teacher)",
        tally.group_cases, tally.further_parties
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
        "                mediators), rein (regional lead), signe (volunteer expert), tarmo (trainer), aino (auditor),"
    )?;
    writeln!(
        out,
        "                kaja toomas helle priit siim (crisis volunteers), liina (outreach volunteer)"
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
    writeln!(
        out,
        "  kroonika{flag} --lang et report crisis-support     (kriisiabi, in Estonian)"
    )?;
    writeln!(out, "  kroonika{flag} report outreach-event --by audience")?;
    writeln!(out, "  kroonika{flag} hours --period quarter")?;
    writeln!(out, "As a coordinator:")?;
    writeln!(out, "  kroonika{flag} --actor mari case mine")?;
    writeln!(
        out,
        "  kroonika{flag} --actor mari hours --per-volunteer --purpose 'volunteer recognition'"
    )?;
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
    if let Some(name) = &tally.caller {
        writeln!(
            out,
            "  kroonika{flag} --actor mari case find --name '{}' --purpose 'the victim called'",
            name.to_lowercase()
        )?;
        writeln!(
            out,
            "  kroonika{flag} --actor mari subject access --name '{}' --purpose 'her request for her data' --format html --output andmed.html",
            name.to_lowercase()
        )?;
    }
    writeln!(out, "As an auditor:")?;
    writeln!(
        out,
        "  kroonika{flag} audit trail --by mari --time occurred --from {} --summary",
        (Utc::now() - Duration::days(7)).date_naive()
    )?;
    writeln!(out, "  kroonika{flag} audit access")?;
    writeln!(out, "  kroonika{flag} audit verify")?;
    writeln!(out, "  kroonika{flag} log --category definition")?;
    writeln!(out, "As a team, over HTTP:")?;
    writeln!(
        out,
        "  kroonika{flag} --actor anu token issue mari > mari.token"
    )?;
    writeln!(out, "  kroonika{flag} serve")?;
    writeln!(
        out,
        "  curl -H \"Authorization: Bearer $(cat mari.token)\" 'localhost:8080/api/v1/cases?overdue=true'"
    )?;
    Ok(())
}

//! The README's tour, run as written, so it cannot rot.
//!
//! Every `$ kroonika …` line of the README's `console` blocks runs in-process
//! against a small demo store (`export KROONIKA_ACTOR=…` lines set the actor),
//! and the output shown under it must appear in what the command printed, in
//! order, once numbers, ids and times are normalised (the demo is dated by the
//! day the test runs). A command whose shown output starts with `rejected:`
//! must exit 1, any other 0. The reference the tour's `case open` prints
//! replaces the README's in later commands, as the head hash `audit head`
//! prints replaces the README's. Left out: `--as-of` examples (they
//! name moments of the run the README was made from; time travel has its own
//! tests) and whatever follows a pipe other than `| head -N`.

use crate::support::kroonika;

const README: &str = include_str!("../../README.md");

/// A command of the tour and the output the README shows for it.
#[derive(Debug)]
struct Shown {
    command: String,
    output: Vec<String>,
}

fn tour() -> Vec<Shown> {
    let mut shown: Vec<Shown> = Vec::new();
    let mut in_block = false;
    let mut continued: Option<String> = None;
    for line in README.lines() {
        if line.starts_with("```") {
            in_block = line == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(mut command) = continued.take() {
            command.push(' ');
            command.push_str(line.trim().trim_end_matches('\\').trim());
            if line.ends_with('\\') {
                continued = Some(command);
            } else {
                shown.push(Shown {
                    command,
                    output: Vec::new(),
                });
            }
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            if command.ends_with('\\') {
                continued = Some(command.trim_end_matches('\\').trim().to_owned());
            } else {
                shown.push(Shown {
                    command: command.to_owned(),
                    output: Vec::new(),
                });
            }
        } else if let Some(last) = shown.last_mut()
            && line.trim() != "…"
        {
            last.output.push(line.to_owned());
        }
    }
    shown
}

/// Numbers, ids, hashes and times to placeholders, runs of spaces to one.
fn normalise(text: &str) -> String {
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let hash = regex::Regex::new(r"\b([0-9a-f]{64}|[0-9a-f]{32})\b").unwrap();
    let digits = regex::Regex::new(r"[0-9]+").unwrap();
    let text = uuid.replace_all(text, "ID");
    let text = hash.replace_all(&text, "HASH");
    let text = digits.replace_all(&text, "N");
    text.replace("../", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shell words, with single quotes.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            _ => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

#[tokio::test]
async fn the_readme_tour_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("tour.db").display());
    let (code, _, err) = kroonika(&[
        "--db", &db, "demo", "--years", "1", "--scale", "0.05", "--seed", "3",
    ])
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let steps = tour();
    assert!(steps.len() >= 15, "the tour has {} commands", steps.len());
    let mut actor: Option<String> = None;
    let mut references: Vec<(String, String)> = Vec::new();
    for step in steps {
        let mut command = step.command.clone();
        if let Some(name) = command.strip_prefix("export KROONIKA_ACTOR=") {
            actor = Some(name.split_whitespace().next().unwrap().to_owned());
            continue;
        }
        if command.contains("--as-of") {
            continue;
        }
        if let Some((before, _)) = command.split_once(" #") {
            command = before.trim().to_owned();
        }
        let (command, head) = match command.split_once(" | ") {
            Some((kroonika, pipe)) => {
                let head = pipe
                    .strip_prefix("head -")
                    .and_then(|n| n.trim().parse::<usize>().ok());
                (kroonika.to_owned(), head.or(Some(0)))
            }
            None => (command, None),
        };
        let mut command = command;
        for (shown, actual) in &references {
            command = command.replace(shown.as_str(), actual);
        }
        let mut args = words(&command);
        assert_eq!(
            args.first().map(String::as_str),
            Some("kroonika"),
            "{command}"
        );
        args.remove(0);
        for arg in &mut args {
            if arg.starts_with("processes/") || arg.starts_with("tests/") {
                *arg = format!("../{arg}");
            }
        }
        if let Some(i) = args.iter().position(|a| a == "--output") {
            args[i + 1] = dir.path().join(&args[i + 1]).display().to_string();
        }
        let mut argv: Vec<String> = vec!["--db".into(), db.clone()];
        if let Some(actor) = &actor
            && !args.iter().any(|a| a == "--actor")
        {
            argv.extend(["--actor".into(), actor.clone()]);
        }
        argv.extend(args);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (code, out, err) = kroonika(&argv).await;
        let refused = step
            .output
            .first()
            .is_some_and(|l| l.starts_with("rejected:"));
        let failed = step.output.last().is_some_and(|l| l.starts_with("error: "));
        let expected_code = if refused || failed { 1 } else { 0 };
        assert_eq!(code, expected_code, "`{}`\n{out}{err}", step.command);
        if let Some(opened) = out.strip_prefix("opened ")
            && let Some(shown) = step.output.first().and_then(|l| l.strip_prefix("opened "))
        {
            let actual = opened.split_whitespace().next().unwrap().to_owned();
            let shown = shown.split_whitespace().next().unwrap().to_owned();
            references.push((shown, actual));
        }
        // A head hash the tour shows stands for the one this run printed.
        if let Some(shown) = step.output.iter().find_map(|l| l.strip_prefix("hash "))
            && let Some(actual) = out.lines().find_map(|l| l.strip_prefix("hash "))
        {
            references.push((shown.trim().to_owned(), actual.trim().to_owned()));
        }
        let printed = format!("{out}{err}");
        let mut lines: Vec<String> = printed.lines().map(normalise).collect();
        match head {
            Some(0) => continue,
            Some(n) => lines.truncate(n),
            None => {}
        }
        // Each shown line appears, in order.
        let mut at = 0;
        for expected in step
            .output
            .iter()
            .map(|l| normalise(l))
            .filter(|l| !l.is_empty())
        {
            match lines[at..].iter().position(|l| *l == expected) {
                Some(found) => at += found + 1,
                None => panic!(
                    "`{}` did not print, in order:\n{expected}\n\nit printed:\n{}",
                    step.command,
                    lines.join("\n")
                ),
            }
        }
    }
}

//! Fuzzing inside `cargo test`, bounded: the four ways untrusted text reaches
//! Kroonika's parsers — a definition's YAML, a command's input values, a
//! guard's CEL, an export's lines — fed a committed corpus
//! (`data/fuzz/<target>/`, every file a case that once mattered) and then
//! generated inputs. Nothing may panic; what is accepted must still hold
//! (a value within its field's limits, diagnostics that point inside the
//! file, an import that verifies).
//!
//! `KROONIKA_FUZZ_CASES` sets how many generated inputs each target gets
//! (default 512); a failure prints the smallest input proptest found, which
//! then belongs in the corpus, committed, so it is tried on every run.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kroonika_engine::actors::Actor;
use kroonika_engine::case::guard::{Scope, evaluate};
use kroonika_engine::case::value::{RawValue, parse};
use kroonika_engine::definition::FieldType;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("KROONIKA_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// The committed corpus of a target: (file, bytes).
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from("data/fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no corpus", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// Text built from the pieces a parser cares about, in any order.
fn pieces(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(tokens).prop_map(str::to_owned),
            1 => "[a-z_]{1,8}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

const YAML: &[&str] = &[
    "process: ",
    "states:",
    "fields:",
    "roles: ",
    "type: ",
    "\n",
    "\n  ",
    "\n    ",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "'",
    "\"",
    "&a ",
    "*a",
    "<<: *a",
    "\t",
    "#",
    "|",
    ">",
    "!!str ",
    "~",
    "null",
    "true",
    "1e9",
    "-1",
    "max-length: ",
    "guard: ",
    "to: ",
    "terminal: true",
    "within: 5 working days",
    "personal: victim",
    "text",
    "string",
    "list",
    "of: ",
    "enum",
];

/// A definition's diagnostics point inside the file, on character boundaries.
fn check_definition(source: &str) -> Result<(), String> {
    let checked = kroonika_processes::check(source);
    for diagnostic in &checked.diagnostics {
        let span = &diagnostic.span;
        if span.start > span.end
            || span.end > source.len()
            || !source.is_char_boundary(span.start)
            || !source.is_char_boundary(span.end)
        {
            return Err(format!(
                "{:?} points outside the text: {span:?} of {} bytes",
                diagnostic.message,
                source.len()
            ));
        }
    }
    if checked.definition.is_some() && checked.has_errors() {
        return Err("a definition with errors was accepted".to_owned());
    }
    Ok(())
}

#[test]
fn definitions() {
    for (path, bytes) in corpus("definitions") {
        let source = String::from_utf8_lossy(&bytes);
        if let Err(why) = check_definition(&source) {
            panic!("{}: {why}", path.display());
        }
    }
    let school = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let lines: Vec<String> = school.lines().map(str::to_owned).collect();
    let mutated =
        (0..lines.len(), 0..lines.len(), pieces(YAML, 8)).prop_map(move |(at, cut, insert)| {
            let mut lines = lines.clone();
            lines[at].push_str(&insert);
            if cut % 7 == 0 {
                lines.remove(cut.min(lines.len() - 1));
            }
            lines.join("\n")
        });
    let strategy = prop_oneof![pieces(YAML, 120), mutated];
    runner()
        .run(&strategy, |source| {
            check_definition(&source).map_err(TestCaseError::fail)
        })
        .unwrap();
}

/// Every field type there is, with and without its own limits.
fn field_types() -> Vec<FieldType> {
    let string = FieldType::String {
        pattern: Some("^\\+?[0-9 ]{6,20}$".into()),
        max_length: Some(24),
    };
    let scalars = vec![
        FieldType::String {
            pattern: None,
            max_length: None,
        },
        string,
        FieldType::Text { max_length: None },
        FieldType::Text {
            max_length: Some(10),
        },
        FieldType::Integer {
            min: Some(2),
            max: Some(40),
        },
        FieldType::Number {
            min: Some(-1.5),
            max: None,
        },
        FieldType::Boolean,
        FieldType::Date,
        FieldType::Datetime,
        FieldType::Enum {
            values: vec!["school".into(), "police".into()],
        },
        FieldType::Actors {
            role: "facilitator".into(),
        },
    ];
    let lists: Vec<FieldType> = scalars
        .iter()
        .filter(|t| !matches!(t, FieldType::Actors { .. }))
        .map(|t| FieldType::List {
            of: Box::new(t.clone()),
        })
        .collect();
    scalars.into_iter().chain(lists).collect()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2}))?".prop_map(Value::String),
        (1usize..3000).prop_map(|n| Value::String("õ".repeat(n))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a parsed value must be, whatever it came from.
fn holds(ty: &FieldType, value: &Value) -> Result<(), String> {
    match (ty, value) {
        (FieldType::List { of }, Value::Array(items)) => {
            items.iter().try_for_each(|item| holds(of, item))
        }
        (FieldType::Actors { .. }, Value::Array(_)) => Ok(()),
        (FieldType::String { .. } | FieldType::Text { .. }, Value::String(text)) => {
            let max = ty.max_length().unwrap_or(usize::MAX);
            match text.chars().count() {
                n if n > max => Err(format!("{n} characters accepted, the limit is {max}")),
                _ => Ok(()),
            }
        }
        (FieldType::Integer { min, max }, Value::Number(n)) => match n.as_i64() {
            Some(n) if min.is_none_or(|lo| n >= lo) && max.is_none_or(|hi| n <= hi) => Ok(()),
            _ => Err(format!("{n} accepted out of bounds")),
        },
        (FieldType::Number { .. }, Value::Number(_))
        | (FieldType::Boolean, Value::Bool(_))
        | (FieldType::Date | FieldType::Datetime | FieldType::Enum { .. }, Value::String(_)) => {
            Ok(())
        }
        (ty, value) => Err(format!("{} accepted as {value}", ty.name())),
    }
}

#[test]
fn input_values() {
    let types = field_types();
    let raw = prop_oneof![
        prop::collection::vec(".{0,30}", 0..4).prop_map(RawValue::Text),
        (1usize..70_000).prop_map(|n| RawValue::Text(vec!["a".repeat(n)])),
        json_value().prop_map(RawValue::Json),
    ];
    for (path, bytes) in corpus("values") {
        let text = String::from_utf8_lossy(&bytes);
        for ty in &types {
            for raw in [
                RawValue::Text(vec![text.to_string()]),
                RawValue::Json(
                    serde_json::from_str(&text).unwrap_or(Value::String(text.to_string())),
                ),
            ] {
                if let Ok(value) = parse("f", ty, &raw)
                    && let Err(why) = holds(ty, &value)
                {
                    panic!("{}: {}: {why}", path.display(), ty.name());
                }
            }
        }
    }
    runner()
        .run(&(0..types.len(), raw), |(which, raw)| {
            let ty = &types[which];
            match parse("f", ty, &raw) {
                Ok(value) => holds(ty, &value).map_err(TestCaseError::fail),
                Err(rejection) if rejection.reason().len() > 2_000 => Err(TestCaseError::fail(
                    format!("a refusal of {} bytes", rejection.reason().len()),
                )),
                Err(_) => Ok(()),
            }
        })
        .unwrap();
}

const CEL: &[&str] = &[
    "case.",
    "input.",
    "tasks.",
    "actor.",
    "participants",
    "minor_involved",
    "referral_source",
    "facilitators",
    "size(",
    "has(",
    ")",
    "(",
    " && ",
    " || ",
    "!",
    " == ",
    " != ",
    " >= ",
    " < ",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " in ",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'x'",
    "\"y\"",
    "1",
    "0",
    "-9223372036854775808",
    "1.5",
    "true",
    "null",
    "now",
    "timestamp('2026-11-24T00:00:00Z')",
    "duration('1h')",
    ".exists(x, ",
    ".all(x, ",
    "x",
    " ? ",
    ".size()",
    "complete",
];

#[test]
fn guards() {
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let definition = kroonika_processes::check(&source).definition.unwrap();
    let data: BTreeMap<String, Value> = [
        ("participants", json!(4)),
        ("minor_involved", json!(true)),
        ("referral_source", json!("school")),
        ("facilitators", json!(["jaan", "piret"])),
        ("referred_on", json!("2026-11-19")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let actor = Actor {
        name: "jaan".into(),
        roles: ["facilitator".to_owned()].into(),
        ..Actor::default()
    };
    let nobody = std::collections::BTreeMap::new();
    let run = |expression: &str| {
        // Through the checker, as a service owner would write it…
        let _ = check_definition(&source.replace("size(input.facilitators) >= 2", expression));
        // …and evaluated directly, whatever the checker would have said.
        let scope = Scope {
            definition: &definition,
            data: &data,
            input: Some(&data),
            tasks: Some((false, vec!["victim-consent".into()])),
            actor: &actor,
            actors: &nobody,
            now: chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
                .unwrap()
                .into(),
            state: "preparation",
            entered_at: None,
        };
        let _ = evaluate(expression, &scope);
    };
    for (_, bytes) in corpus("guards") {
        for line in String::from_utf8_lossy(&bytes).lines() {
            run(line);
        }
    }
    runner()
        .run(&pieces(CEL, 24), |expression| {
            run(&expression);
            Ok(())
        })
        .unwrap();
}

/// One change to an export's text: a character replaced, a line dropped,
/// doubled or swapped, the file cut.
#[derive(Debug, Clone)]
enum Mutation {
    Replace { at: usize, with: char },
    Drop(usize),
    Double(usize),
    Swap(usize, usize),
    Cut(usize),
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    match *mutation {
        Mutation::Replace { at, with } => {
            let chars: Vec<char> = text.chars().collect();
            let at = at % chars.len().max(1);
            chars
                .iter()
                .enumerate()
                .map(|(i, c)| if i == at { with } else { *c })
                .collect()
        }
        Mutation::Drop(i) => {
            lines.remove(i % n);
            lines.join("\n") + "\n"
        }
        Mutation::Double(i) => {
            let line = lines[i % n];
            lines.insert(i % n, line);
            lines.join("\n") + "\n"
        }
        Mutation::Swap(a, b) => {
            lines.swap(a % n, b % n);
            lines.join("\n") + "\n"
        }
        Mutation::Cut(at) => {
            let at = at % text.len().max(1);
            let at = (0..=at)
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            text[..at].to_owned()
        }
    }
}

/// Imports `text` into a new store: never a panic; if accepted, the store
/// verifies.
async fn import_holds(text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, text).unwrap();
    let url = format!("sqlite://{}", dir.path().join("copy.db").display());
    if kroonika_app::transfer::import(&url, &file, &[], &mut |_| {})
        .await
        .is_ok()
    {
        let (code, out, err) = crate::support::kroonika_on(&url, None, &["audit", "verify"]).await;
        if code != 0 {
            return Err(format!(
                "an import was accepted that does not verify: {out}{err}"
            ));
        }
    }
    Ok(())
}

#[test]
fn import_lines() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut whole = None;
    for (path, bytes) in corpus("import") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Err(why) = runtime.block_on(import_holds(&text)) {
            panic!("{}: {why}", path.display());
        }
        if path.ends_with("two-cases.jsonl") {
            whole = Some(text);
        }
    }
    let whole = whole.expect("the corpus holds two-cases.jsonl, a whole export");
    let mutation = prop_oneof![
        (any::<usize>(), any::<char>()).prop_map(|(at, with)| Mutation::Replace { at, with }),
        any::<usize>().prop_map(Mutation::Drop),
        any::<usize>().prop_map(Mutation::Double),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        any::<usize>().prop_map(Mutation::Cut),
    ];
    let mut runner = TestRunner::new(Config {
        // A store per case: fewer than the pure targets.
        cases: cases() / 4,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&mutation, |mutation| {
            let text = mutate(&whole, &mutation);
            runtime
                .block_on(import_holds(&text))
                .map_err(TestCaseError::fail)
        })
        .unwrap();
}

//! `kroonika def test`: scenario files run through the application layer,
//! failures located at their line, coverage counted, bad files refused.

use std::path::Path;

use crate::support::kroonika;

const PASSING: &str = "data/scenarios/school-conference.test.yaml";
const FAILING: &str = "data/scenarios/failing.test.yaml";

#[tokio::test]
async fn passing_scenarios_pass_and_coverage_is_what_was_counted_by_hand() {
    let (code, out, err) =
        kroonika(&["def", "test", "--coverage", "--format", "json", PASSING]).await;
    assert_eq!(code, 0, "{err}{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (doc["scenarios"].as_u64(), doc["failed"].as_u64()),
        (Some(3), Some(0))
    );
    // school-conference: 9 states, 8 transitions of states and 1 offered
    // anywhere, 3 tasks, 2 guards (true and false each), and 3 deadlines
    // (referred and preparation escalate: missed; monitoring fires).
    let coverage = &doc["coverage"][0];
    assert_eq!(coverage["process"], "school-conference");
    assert_eq!(coverage["total"], 9 + 9 + 3 + 2 * 2 + 3);
    let missing: Vec<String> = coverage["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["covered"] == false)
        .map(|i| match i["outcome"].as_str() {
            Some(outcome) => format!(
                "{} {}: {outcome}",
                i["kind"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            ),
            None => format!(
                "{} {}",
                i["kind"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            ),
        })
        .collect();
    assert_eq!(
        missing,
        [
            "state closed-not-fulfilled",
            "state closed-no-agreement",
            "state closed-unsuitable",
            "state closed-withdrawn",
            "transition referred → decline",
            "transition conference → no-agreement",
            "transition monitoring → not-fulfilled",
            "transition * → withdraw",
            "task preparation/risk-assessed",
            "deadline preparation: missed",
            "deadline monitoring: fired",
        ]
    );
    assert_eq!(coverage["covered"], 28 - 11);
}

#[tokio::test]
async fn failing_scenarios_say_where_what_was_expected_and_what_happened() {
    let (code, out, err) = kroonika(&["def", "test", FAILING, PASSING]).await;
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("5 of 9 scenarios failed"), "{err}");
    insta::assert_snapshot!("def_test_failing", out);
    let (code, json, _) = kroonika(&["def", "test", "--format", "json", FAILING]).await;
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = &doc["files"][0]["scenarios"][0];
    assert_eq!(first["passed"], false);
    assert_eq!(first["failure"]["line"], 10);
    assert_eq!(first["failure"]["expected"], "taken");
}

#[tokio::test]
async fn bad_scenario_files_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "data/definitions/school-conference.yaml",
        dir.path().join("school-conference.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "process: broken\n").unwrap();
    let head = "definition: school-conference.yaml\nactors: { mari: [coordinator] }\nscenarios:\n  - name: x\n";
    let cases = [
        ("unknown-actor", format!("{head}    open: {{ as: mari }}\n    steps:\n      - {{ do: assign, as: ants }}\n")),
        ("two-acts", format!("{head}    open: {{ as: mari }}\n    steps:\n      - {{ do: assign, task: t, as: mari }}\n")),
        ("backwards", format!("{head}    open: {{ as: mari, at: 2026-02-01T00:00:00Z }}\n    steps:\n      - {{ timers: 2026-01-01 }}\n")),
        ("behind-the-step-before", format!("{head}    open: {{ as: mari, at: 2026-02-01T09:00:00Z }}\n    steps:\n      - {{ do: assign, as: mari }}\n      - {{ do: assign, as: mari, at: 2026-02-01T09:00:30Z }}\n")),
        ("unknown-code", format!("{head}    open: {{ as: mari }}\n    steps:\n      - {{ do: assign, as: mari, expect: {{ rejected: nope }} }}\n")),
        ("unknown-key", format!("{head}    opn: {{ as: mari }}\n")),
        ("bad-time", format!("{head}    open: {{ as: mari, at: yesterday }}\n")),
        ("bad-deadline", format!("{head}    open: {{ as: mari }}\n    then: {{ deadline: late }}\n")),
        ("no-definition", "definition: missing.yaml\nactors: { mari: [coordinator] }\nscenarios:\n  - name: x\n    open: { as: mari }\n".to_owned()),
        ("broken-definition", "definition: broken.yaml\nactors: { mari: [coordinator] }\nscenarios:\n  - name: x\n    open: { as: mari }\n".to_owned()),
        ("not-yaml", "definition: [\n".to_owned()),
    ];
    let mut said = String::new();
    for (name, text) in cases {
        let path = dir.path().join(format!("{name}.test.yaml"));
        std::fs::write(&path, text).unwrap();
        let file = path.to_string_lossy().into_owned();
        let (code, out, err) = kroonika(&["def", "test", &file]).await;
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(out.is_empty(), "{name}: nothing runs: {out}");
        let dir = dir.path().to_string_lossy().into_owned();
        said.push_str(&format!("{name}: {}", err.replace(&dir, "DIR")));
    }
    insta::assert_snapshot!("def_test_bad_files", said);
    assert!(!Path::new("data/scenarios/scenario.db").exists());
}

/// The bundled processes ship with scenarios that walk every path: every
/// state, transition, task, guard outcome and deadline outcome; a process
/// added to `processes/` without such a file fails here.
#[tokio::test]
async fn bundled_processes_pass_their_scenarios_with_every_path_exercised() {
    let mut definitions: Vec<std::path::PathBuf> = std::fs::read_dir("../processes")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".yaml")
                && !name.ends_with(".test.yaml")
                // The partner list is no process.
                && !kroonika_processes::is_partner_list(&std::fs::read_to_string(p).unwrap())
        })
        .collect();
    definitions.sort();
    assert!(definitions.len() >= 4, "{definitions:?}");
    for definition in definitions {
        let file = definition
            .with_extension("test.yaml")
            .to_string_lossy()
            .into_owned();
        assert!(
            Path::new(&file).exists(),
            "{} has no scenario file {file}",
            definition.display()
        );
        let (code, out, err) =
            kroonika(&["def", "test", "--coverage", "--format", "json", &file]).await;
        assert_eq!(code, 0, "{file}: {err}{out}");
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(doc["failed"], 0, "{file}");
        let coverage = &doc["coverage"][0];
        let missing: Vec<&serde_json::Value> = coverage["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["covered"] == false)
            .collect();
        assert!(missing.is_empty(), "{file}: not exercised: {missing:?}");
        assert!(coverage["total"].as_u64().unwrap() > 20, "{file}");
    }
    // `def check processes/*.yaml` checks the scenario files' format too.
    let (code, out, err) = kroonika(&[
        "def",
        "check",
        "../processes/mediation.yaml",
        "../processes/mediation.test.yaml",
    ])
    .await;
    assert_eq!(code, 0, "{out}{err}");
}

crate::store::per_backend!(what_if_replays_recorded_cases_against_a_draft);

/// Three school-conference cases recorded (2 November 2026 is a Monday; no
/// public holiday in November): A agreed and in monitoring with a contact
/// logged, B declined, C still referred. Each draft's answer is worked out by
/// hand from the definition.
async fn what_if_replays_recorded_cases_against_a_draft(backend: kroonika_tests::Backend) {
    use crate::case_cli::{open_named, setup};
    use crate::support::kroonika_on;
    let (url, dir, pg) = setup(backend).await;
    let at = "2026-11-02T09:00:00Z";
    let a = open_named(&url, "Kati Kask", "+372 5555 0001", "2026-11-02", at).await;
    let b = open_named(&url, "Mart Tamm", "+372 5555 0002", "2026-11-02", at).await;
    let c = open_named(&url, "Ülle Saar", "+372 5555 0003", "2026-11-02", at).await;
    let steps: [(&str, &[&str]); 7] = [
        (
            "mari",
            &[
                "case",
                "do",
                &a,
                "assign",
                "--set",
                "facilitators=jaan,piret",
            ],
        ),
        ("jaan", &["case", "task", &a, "victim-consent"]),
        ("jaan", &["case", "task", &a, "respondent-consent"]),
        ("jaan", &["case", "do", &a, "schedule"]),
        (
            "jaan",
            &[
                "case",
                "do",
                &a,
                "agreed",
                "--set",
                "agreement=Repair the door.",
                "--set",
                "participants=4",
            ],
        ),
        (
            "mari",
            &["case", "do", &a, "log-contact", "--set", "channel=phone"],
        ),
        (
            "mari",
            &["case", "do", &b, "decline", "--set", "reason=unsuitable"],
        ),
    ];
    for (actor, args) in steps {
        let (code, out, err) = kroonika_on(&url, Some(actor), args).await;
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let drafts = [
        (
            "stricter-guard",
            source.replace("guard: size(input.facilitators) >= 2", "guard: size(input.facilitators) >= 3"),
            // A's assign named two: refused there; B and C never assigned.
            vec![
                (a.as_str(), "diverges", Some("do: assign"), "guard-failed"),
                (b.as_str(), "same", None, ""),
                (c.as_str(), "same", None, ""),
            ],
        ),
        (
            "longer-deadline",
            source.replace("within: 5 working days, escalate", "within: 10 working days, escalate"),
            // Every case opened into 'referred': due 16 November, not 9.
            vec![
                (a.as_str(), "deadlines", Some("open"), "due 2026-11-16 under the draft, due 2026-11-09 as recorded"),
                (b.as_str(), "deadlines", Some("open"), "due 2026-11-16 under the draft, due 2026-11-09 as recorded"),
                (c.as_str(), "deadlines", Some("open"), "due 2026-11-16 under the draft, due 2026-11-09 as recorded"),
            ],
        ),
        (
            "removed-transition",
            source.replace(
                "      log-contact: { roles: [coordinator], input: { channel: { type: enum, values: [phone, email, meeting] } } }\n",
                "",
            ),
            // Only A logged a contact.
            vec![
                (a.as_str(), "diverges", Some("do: log-contact"), "unknown-transition"),
                (b.as_str(), "same", None, ""),
                (c.as_str(), "same", None, ""),
            ],
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (name, text, expected) in drafts {
        assert_ne!(text, source, "{name}: the draft changes the definition");
        let path = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let file = path.to_string_lossy().into_owned();
        let head_before = kroonika_on(&url, Some("anu"), &["audit", "head"]).await.1;
        let (code, out, err) = kroonika_on(
            &url,
            Some("tiina"),
            &["def", "what-if", &file, "--format", "json"],
        )
        .await;
        assert_eq!(code, 0, "{name}: {err}");
        let rows: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 3, "{name}: {out}");
        for (reference, verdict, step, why) in expected {
            let row = rows
                .iter()
                .find(|r| r["reference"] == reference)
                .unwrap_or_else(|| panic!("{name}: no row for {reference}: {out}"));
            assert_eq!(row["verdict"], verdict, "{name} {reference}: {row}");
            assert_eq!(row["step"].as_str(), step, "{name} {reference}: {row}");
            assert!(
                row["why"].as_str().unwrap_or("").contains(why),
                "{name} {reference}: {row}"
            );
        }
        // Nothing written (the access log aside, nothing at all).
        let head_after = kroonika_on(&url, Some("anu"), &["audit", "head"]).await.1;
        assert_eq!(head_before, head_after, "{name}: what-if wrote to the log");
    }
    let what_if = async |actor: &str, draft: &str| {
        let file = tmp.path().join(draft).to_string_lossy().into_owned();
        kroonika_on(&url, Some(actor), &["def", "what-if", &file]).await
    };
    // The table says it in words, with the counts.
    let (code, out, _) = what_if("tiina", "stricter-guard.yaml").await;
    assert_eq!(code, 0);
    assert!(
        out.ends_with(
            "3 cases of 'school-conference': 2 the same, 1 diverge, 0 with other deadlines\n"
        ),
        "{out}"
    );
    // Only those who may read the process's report (its roles, its service
    // owner, auditors): a mediator of another process may not.
    let (code, _, _) = kroonika_on(
        &url,
        Some("anu"),
        &["actor", "add", "ants", "--role", "mediator", "--force"],
    )
    .await;
    assert_eq!(code, 0);
    let (code, _, err) = what_if("ants", "stricter-guard.yaml").await;
    assert_eq!(code, 1, "{err}");
    // A draft with errors is refused before anything is read.
    std::fs::write(tmp.path().join("broken.yaml"), "process: x\n").unwrap();
    let (code, _, err) = what_if("tiina", "broken.yaml").await;
    assert_eq!(code, 1);
    assert!(err.contains("the draft has errors"), "{err}");
    drop(dir);
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

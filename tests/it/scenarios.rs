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
/// state, transition, task, guard outcome and deadline outcome.
#[tokio::test]
async fn bundled_processes_pass_their_scenarios_with_every_path_exercised() {
    for file in [
        "../processes/mediation.test.yaml",
        "../processes/volunteer-onboarding.test.yaml",
    ] {
        let (code, out, err) =
            kroonika(&["def", "test", "--coverage", "--format", "json", file]).await;
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
        assert!(coverage["total"].as_u64().unwrap() > 60, "{file}");
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

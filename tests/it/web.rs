//! The web application in a real browser: Debian's headless Chromium driven
//! by Python Playwright (`tests/e2e/web_flow.py`), every page checked with
//! axe-core. The Python with Playwright and axe comes from
//! `KROONIKA_E2E_PYTHON` (`.ci/run` makes that virtual environment); without
//! it the test says it is skipped, and fails when `KROONIKA_REQUIRE_BROWSER`
//! is set.

use std::io::Write as _;
use std::process::Stdio;

use kroonika_tests::Backend;
use serde_json::Value;

use crate::server::{PHONE, Stage, VICTIM};

const PASSWORD: &str = "correct horse battery staple";

/// The Python that has Playwright and axe, if configured.
fn e2e_python() -> Option<String> {
    match std::env::var("KROONIKA_E2E_PYTHON") {
        Ok(python) if !python.trim().is_empty() => Some(python),
        _ => {
            assert!(
                std::env::var_os("KROONIKA_REQUIRE_BROWSER").is_none(),
                "KROONIKA_REQUIRE_BROWSER is set but KROONIKA_E2E_PYTHON names no Python with Playwright"
            );
            let _ = std::io::stderr().write_all(
                b"note: web browser tests skipped: set KROONIKA_E2E_PYTHON to a Python with playwright and axe-playwright-python (.ci/run makes one)\n",
            );
            None
        }
    }
}

async fn set_password(stage: &Stage, actor: &str) {
    let mut child =
        crate::crash::child(&stage.url, &["--actor", "anu", "actor", "password", actor])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let done = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// A coordinator signs in, opens a case with the form, is refused with the
/// rule's message, takes the step, keeps a note, shows personal data with a
/// purpose and finds the case by name; a facilitator ticks, unticks and
/// ticks a task. The log holds every act, and the access log the reading and
/// the search.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_work_in_the_browser() {
    let Some(python) = e2e_python() else { return };
    let stage = Stage::new(Backend::Sqlite).await.unwrap();
    for actor in ["mari", "jaan"] {
        set_password(&stage, actor).await;
    }
    let served = stage.serve(&[]).await;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let base = served.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg("e2e/web_flow.py")
            .env("KROONIKA_BASE", base)
            .env("KROONIKA_PASSWORD", PASSWORD)
            .env("KROONIKA_SCREENSHOTS", &shots)
            .env("KROONIKA_VICTIM", VICTIM)
            .env("KROONIKA_PHONE", PHONE)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let log = served.stop().await;
    assert!(
        run.status.success(),
        "the browser run failed:\n{}\n{}\nthe server's log:\n{log}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let said: Value = serde_json::from_slice(&run.stdout).unwrap();
    let reference = said["reference"].as_str().unwrap();
    assert_eq!(said["checked"].as_array().unwrap().len(), 10, "{said}");

    let events = stage.log("case").await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for expected in [
        "CaseOpened",
        "TransitionTaken",
        "NoteAdded",
        "TaskCompleted",
        "TaskUndone",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let actors: Vec<&str> = events
        .iter()
        .map(|e| e["metadata"]["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&"mari") && actors.contains(&"jaan"),
        "{actors:?}"
    );
    let access = stage
        .cli(None, &["audit", "access", "--format", "json"])
        .await;
    let rows = crate::support::json_lines(&access);
    for what in ["revealed", "searched"] {
        assert!(
            rows.iter()
                .any(|r| r["what"] == what && r["actor"] == "mari" && r["case"] == reference),
            "{what}: {access}"
        );
    }
    // Nothing personal in the server's log.
    for secret in [VICTIM, PHONE, "neljapäeval"] {
        assert!(!log.contains(secret), "'{secret}' in the server's log");
    }
    stage.cleanup().await;
}

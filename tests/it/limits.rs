//! How much one value may hold: a field's `max-length` (1,024 characters for
//! a string, 65,536 for a text unless the definition says less), refused by
//! the rules with the field's name; an input file and an import line are
//! bounded before they are read whole; a value at its limit shows in full.

use kroonika_tests::Backend;
use serde_json::json;

use crate::case_cli::setup;
use crate::support::kroonika_on as kroonika;

fn opening(name: &str) -> serde_json::Value {
    json!({
        "referral_source": "school",
        "referred_on": "2026-11-19",
        "minor_involved": false,
        "victim_name": name,
        "victim_phone": "+372 5555 0000",
    })
}

async fn open_with(url: &str, file: &std::path::Path) -> (u8, String, String) {
    kroonika(
        url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--input-file",
            file.to_str().unwrap(),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn values_are_bounded_by_their_field() {
    let (url, dir, _) = setup(Backend::Sqlite).await;
    let dir = dir.unwrap();
    let file = dir.path().join("input.json");

    // A string holds 1,024 characters (counted as characters: 'õ' is one).
    std::fs::write(&file, opening(&"õ".repeat(1024)).to_string()).unwrap();
    let (code, out, err) = open_with(&url, &file).await;
    assert_eq!(code, 0, "{out}{err}");
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    std::fs::write(&file, opening(&"õ".repeat(1025)).to_string()).unwrap();
    let (code, _, err) = open_with(&url, &file).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("field 'victim_name' holds at most 1024 characters, got 1025"),
        "{err}"
    );

    // An input file is cut off at 1 MiB: a device that never ends is refused.
    let (code, _, err) = open_with(&url, std::path::Path::new("/dev/zero")).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("/dev/zero is larger than 1024 KiB"), "{err}");

    // Through to a text field: 65,536 characters are kept and shown whole; a
    // megabyte is refused, and so is one character more than the limit.
    for (actor, args) in [
        (
            "mari",
            vec![
                "case",
                "do",
                &case,
                "assign",
                "--set",
                "facilitators=jaan,piret",
            ],
        ),
        ("jaan", vec!["case", "task", &case, "victim-consent"]),
        ("jaan", vec!["case", "task", &case, "respondent-consent"]),
    ] {
        let (code, out, err) = kroonika(&url, Some(actor), &args).await;
        assert_eq!(code, 0, "{args:?}: {out}{err}");
    }
    let (code, out, err) = kroonika(&url, Some("jaan"), &["case", "do", &case, "schedule"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let agreed = |text: String| json!({ "agreement": text, "participants": 4 }).to_string();
    let megabyte = "words ".repeat(170_000);
    for (text, why) in [
        (megabyte, "a value may be at most 256 KiB"),
        (
            "a".repeat(65_537),
            "field 'agreement' holds at most 65536 characters, got 65537",
        ),
    ] {
        std::fs::write(&file, agreed(text)).unwrap();
        let (code, _, err) = kroonika(
            &url,
            Some("jaan"),
            &[
                "case",
                "do",
                &case,
                "agreed",
                "--input-file",
                file.to_str().unwrap(),
            ],
        )
        .await;
        assert_eq!(code, 1, "{err}");
        assert!(err.contains(why), "{err}");
    }
    let whole: String = "Kokkulepe: ".chars().cycle().take(65_536).collect();
    std::fs::write(&file, agreed(whole.clone())).unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("jaan"),
        &[
            "case",
            "do",
            &case,
            "agreed",
            "--input-file",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--format", "json"],
    )
    .await;
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["data"]["agreement"].as_str(), Some(whole.as_str()));
    let (code, out, _) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!(code, 0);
    // Wrapped to the terminal's width, every word is there.
    assert_eq!(
        out.matches("Kokkulepe:").count(),
        whole.matches("Kokkulepe:").count(),
        "the table shows the whole text"
    );
}

/// A definition narrows a field's limit with `max-length`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_definition_narrows_a_limit() {
    let (url, dir, _) = setup(Backend::Sqlite).await;
    let dir = dir.unwrap();
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml")
        .unwrap()
        .replace(
            "victim_name:     { type: string, personal: victim, searchable: true }",
            "victim_name:     { type: string, personal: victim, searchable: true, max-length: 12 }",
        );
    assert!(source.contains("max-length: 12"));
    let path = dir.path().join("school-conference.yaml");
    std::fs::write(&path, source).unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("tiina"),
        &["def", "publish", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let file = dir.path().join("input.json");
    std::fs::write(&file, opening("Kadri Kaskede-Tamm").to_string()).unwrap();
    let (code, _, err) = open_with(&url, &file).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("field 'victim_name' holds at most 12 characters, got 18"),
        "{err}"
    );
    std::fs::write(&file, opening("Kadri Kask").to_string()).unwrap();
    let (code, out, err) = open_with(&url, &file).await;
    assert_eq!(code, 0, "{out}{err}");
}

/// An import reads a line at most 8 MiB long: a longer one is refused by its
/// line number before it is read whole, and nothing is imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_line_is_bounded() {
    let (url, dir, _) = setup(Backend::Sqlite).await;
    let dir = dir.unwrap();
    let export = dir.path().join("whole.jsonl");
    let (code, _, err) = kroonika(
        &url,
        None,
        &["export", "--output", export.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&export).unwrap();
    let header = text.lines().next().unwrap();
    let huge = dir.path().join("huge.jsonl");
    std::fs::write(
        &huge,
        format!("{header}\n{{\"data\":\"{}\"}}\n", "x".repeat(9 << 20)),
    )
    .unwrap();
    let target = format!("sqlite://{}", dir.path().join("copy.db").display());
    let (code, out, err) = kroonika(&target, None, &["import", huge.to_str().unwrap()]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("huge.jsonl line 2: the line is longer than 8 MiB"),
        "{err}"
    );
    let (_, out, _) = kroonika(&target, None, &["status", "--format", "json"]).await;
    let status: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert!(
        status["events"].as_u64().unwrap_or(0) == 0,
        "nothing imported: {out}"
    );
}

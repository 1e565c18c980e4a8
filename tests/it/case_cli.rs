//! Cases through the CLI, on both backends: references, idempotent command ids,
//! `--expect-version`, rejections that append nothing, and racing coordinators.

use kroonika_tests::{Backend, TestStore};

use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(
    case_lifecycle,
    racing_coordinators_one_winner,
    versions_pin_cases_until_migrated,
    input_files_are_typed,
    case_list_is_current_and_rebuilds_the_same,
    killed_runners_resume_without_double_counting,
    report_counts_with_small_cells_suppressed,
);

/// A store with actors and the school-conference process published.
pub(crate) async fn setup(
    backend: Backend,
) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let (url, dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    assert_eq!(kroonika(&url, None, &["init", "--admin", "anu"]).await.0, 0);
    let actors: [(&str, &str); 7] = [
        ("tiina", "service-owner"),
        ("mari", "coordinator"),
        ("toomas", "coordinator"),
        ("jaan", "facilitator"),
        ("piret", "facilitator"),
        ("kati", "facilitator"),
        ("lead", "regional-lead"),
    ];
    for (name, role) in actors {
        assert_eq!(
            kroonika(&url, Some("anu"), &["actor", "add", name, "--role", role])
                .await
                .0,
            0
        );
    }
    let published = kroonika(
        &url,
        Some("tiina"),
        &["def", "publish", "data/definitions/school-conference.yaml"],
    )
    .await;
    assert_eq!(published.0, 0, "{published:?}");
    (url, dir, pg)
}

pub(crate) async fn open_case(url: &str) -> String {
    open_with_phone(url, "+372 5555 1234").await
}

async fn versions(url: &str, case: &str) -> usize {
    let (_, out, _) = kroonika(url, None, &["case", "history", case, "--format", "json"]).await;
    out.lines().count()
}

async fn case_lifecycle(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    assert_eq!(
        case, "SC-2026-0001",
        "numbered per process and year of occurrence"
    );
    let (_, allocated, _) = kroonika(
        &url,
        None,
        &["log", "--category", "caseref", "--format", "json"],
    )
    .await;
    let allocated: serde_json::Value = serde_json::from_str(allocated.trim()).unwrap();
    insta::assert_json_snapshot!("reference_allocated", allocated, {
        ".id" => "[id]",
        ".recorded_at" => "[recorded_at]",
        ".data.case_id" => "[case_id]",
        ".metadata.command_id" => "[command_id]",
        ".metadata.correlation_id" => "[command_id]",
        ".metadata.causation_id" => "[command_id]",
        ".metadata.occurred_at" => "[occurred_at]",
        ".metadata.extra.decided_at" => "[decided_at: the backdated command's real time]",
        ".position" => "[position]",
    });
    assert_eq!(open_case(&url).await, "SC-2026-0002");

    // Rejections name the rule, exit 1 and append nothing.
    let refusals: [(&str, &[&str], &str); 4] = [
        (
            "mari",
            &["case", "do", &case, "assign", "--set", "facilitators=jaan"],
            "rejected: A conference needs two facilitators. (guard: size(input.facilitators) >= 2)\n",
        ),
        (
            "jaan",
            &[
                "case",
                "do",
                &case,
                "assign",
                "--set",
                "facilitators=jaan,piret",
            ],
            "rejected: actor 'jaan' may not take 'assign': it needs coordinator (has: facilitator)\n",
        ),
        (
            "mari",
            &[
                "case",
                "do",
                &case,
                "assign",
                "--set",
                "facilitators=jaan,piret",
                "--occurred-at",
                "2999-01-01",
            ],
            "rejected: --occurred-at 2999-01-01 is in the future; record what has happened\n",
        ),
        (
            "mari",
            &["case", "do", "SC-2026-0099", "assign"],
            "rejected: there is no case 'SC-2026-0099'; give a reference like SC-2026-0042 or a case id\n",
        ),
    ];
    for (actor, args, message) in refusals {
        let (code, _, err) = kroonika(&url, Some(actor), args).await;
        assert_eq!((code, err.as_str()), (1, message), "{args:?}");
    }
    assert_eq!(
        versions(&url, &case).await,
        1,
        "nothing appended by refusals"
    );

    // A command id makes a retry harmless; reusing it for another command is refused.
    let id = "0193aaaa-0000-7000-8000-00000000abcd";
    let assign: &[&str] = &[
        "case",
        "do",
        &case,
        "assign",
        "--set",
        "facilitators=jaan,piret",
        "--command-id",
        id,
    ];
    let (code, out, _) = kroonika(&url, Some("mari"), assign).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "SC-2026-0001: assign → preparation (version 2)\n")
    );
    let (code, out, _) = kroonika(&url, Some("mari"), assign).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "already done: SC-2026-0001 (version 2)\n")
    );
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "do", &case, "withdraw", "--command-id", id],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "rejected: command id {id} was already used on SC-2026-0001 for a different command\n"
        )
    );
    assert_eq!(versions(&url, &case).await, 2);

    // --expect-version: a stale view is a conflict (exit 3), never retried.
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "do", &case, "withdraw", "--expect-version", "1"],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            3,
            "conflict: SC-2026-0001 changed since version 1 (now 2)\n"
        )
    );

    // Corrections: who may, and with a reason; `--as-of` shows the case as it was.
    let (code, _, err) = kroonika(
        &url,
        Some("jaan"),
        &[
            "case",
            "update",
            &case,
            "--set",
            "referred_on=2026-11-18",
            "--reason",
            "typo",
        ],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: actor 'jaan' may not correct case data: it needs coordinator (has: facilitator)\n"
        )
    );
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "update",
            &case,
            "--set",
            "referred_on=2026-11-18",
            "--reason",
            "the letter is dated the 18th",
        ],
    )
    .await;
    assert_eq!(
        (code, out.as_str()),
        (0, "SC-2026-0001: data corrected (version 3)\n")
    );
    let (_, history, _) =
        kroonika(&url, None, &["case", "history", &case, "--format", "json"]).await;
    let first: serde_json::Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    let opened_at = first["recorded_at"].as_str().unwrap().to_owned();
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case", "show", &case, "--as-of", &opened_at, "--format", "json",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let then: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (then["state"].as_str(), then["data"]["referred_on"].as_str()),
        (Some("referred"), Some("2026-11-19"))
    );
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--as-of", "2020-01-01"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "rejected: case 'SC-2026-0001' was not yet opened at 2020-01-01 23:59:59 UTC"
        ),
        "{err}"
    );

    for task in ["victim-consent", "respondent-consent"] {
        let (code, out, err) = kroonika(&url, Some("jaan"), &["case", "task", &case, task]).await;
        assert_eq!((code, err.as_str()), (0, ""), "{out}");
    }
    let (code, out, _) = kroonika(
        &url,
        Some("kati"),
        &["case", "show", &case, "--format", "json"],
    )
    .await;
    assert_eq!(code, 0);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["state"], "preparation");
    assert_eq!(
        shown["tasks"][2]["required"], false,
        "risk assessment is not required without a minor"
    );
    assert_eq!(
        shown["transitions"][0]["reason"],
        "actor 'kati' is not named in 'facilitators' (named: jaan, piret)"
    );
    let (code, out, _) = kroonika(
        &url,
        Some("jaan"),
        &["case", "do", &case, "schedule", "--expect-version", "5"],
    )
    .await;
    assert_eq!(
        (code, out.as_str()),
        (0, "SC-2026-0001: schedule → conference (version 6)\n")
    );
    let (code, _, _) = kroonika(
        &url,
        Some("piret"),
        &[
            "case",
            "do",
            &case,
            "agreed",
            "--set",
            "agreement=Apology",
            "--set",
            "participants=4",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let (code, _, _) = kroonika(&url, Some("mari"), &["case", "do", &case, "fulfilled"]).await;
    assert_eq!(code, 0);
    let (code, _, err) = kroonika(&url, Some("mari"), &["case", "do", &case, "withdraw"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: case SC-2026-0001 is closed (closed-fulfilled)\n"
        )
    );
    let (code, out, _) = kroonika(&url, None, &["case", "history", &case]).await;
    assert_eq!(code, 0);
    assert!(out.contains("fulfilled → closed-fulfilled"), "{out}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Eight coordinators take different transitions from the same state at once:
/// exactly one succeeds, the others are re-decided on the new state and refused.
async fn racing_coordinators_one_winner(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (url, case) = (url.clone(), case.clone());
        tasks.push(tokio::spawn(async move {
            let actor = if i % 2 == 0 { "mari" } else { "toomas" };
            let args: Vec<String> = if i % 2 == 0 {
                vec!["case".into(), "do".into(), case, "withdraw".into()]
            } else {
                vec![
                    "case".into(),
                    "do".into(),
                    case,
                    "decline".into(),
                    "--set".into(),
                    "reason=unsuitable".into(),
                ]
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            kroonika(&url, Some(actor), &args).await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        let (code, out, err) = task.await.unwrap();
        match code {
            0 => winners += 1,
            1 => assert!(
                err.starts_with("rejected: case SC-2026-0001 is closed"),
                "{err}"
            ),
            other => panic!("exit {other}: {out} {err}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(versions(&url, &case).await, 2, "one transition recorded");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn open_with_phone(url: &str, phone: &str) -> String {
    open_referred(url, phone, "2026-11-19", "2026-11-20").await
}

/// Opens a school-conference case as mari, referred on `referred_on`, and
/// recorded as happening at `occurred`; its reference.
pub(crate) async fn open_referred(
    url: &str,
    phone: &str,
    referred_on: &str,
    occurred: &str,
) -> String {
    open_named(url, "Mari Maasikas", phone, referred_on, occurred).await
}

/// [`open_referred`] for a harmed person of this name.
pub(crate) async fn open_named(
    url: &str,
    name: &str,
    phone: &str,
    referred_on: &str,
    occurred: &str,
) -> String {
    let (code, out, err) = kroonika(
        url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=school",
            "--set",
            &format!("referred_on={referred_on}"),
            "--set",
            "minor_involved=false",
            "--set",
            &format!("victim_name={name}"),
            "--set",
            &format!("victim_phone={phone}"),
            "--occurred-at",
            occurred,
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    out.split_whitespace().nth(1).unwrap().to_owned()
}

/// Version 2 renames 'preparation' and only accepts Estonian phone numbers:
/// a case in 'referred' moves automatically, one in 'preparation' needs a
/// mapping, and one whose phone no longer fits cannot move. Until migrated, a
/// case keeps being decided by the version it was opened with.
async fn versions_pin_cases_until_migrated(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let automatic = open_with_phone(&url, "+372 5555 1234").await;
    let mapped = open_with_phone(&url, "+372 5555 4321").await;
    let stuck = open_with_phone(&url, "5555 9999").await;
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &mapped,
            "assign",
            "--set",
            "facilitators=jaan,piret",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));

    let v1 = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    // Version 2 also stops indexing the name: a migrated case is found by
    // its phone only.
    let v2 = v1
        .replace("preparation", "getting-ready")
        .replace(
            "pattern: '^\\+?[0-9 ]{6,20}$'",
            "pattern: '^\\+372[0-9 ]{6,20}$'",
        )
        .replace("personal: victim, searchable: true }", "personal: victim }");
    assert_ne!(v1, v2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("school-conference.yaml");
    std::fs::write(&path, &v2).unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("tiina"),
        &["def", "publish", path.to_str().unwrap()],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");

    // Still on version 1: 'assign' leads to 'preparation'.
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &automatic, "--format", "json"],
    )
    .await;
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["version"],
        1
    );

    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "def",
            "migrations",
            "school-conference",
            "--to-version",
            "2",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0);
    let verdicts: Vec<(String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["case"].as_str().unwrap().to_owned(),
                v["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            (automatic.clone(), "automatic".to_owned()),
            (mapped.clone(), "needs mapping".to_owned()),
            (stuck.clone(), "cannot".to_owned())
        ]
    );

    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "migrate", &automatic, "--to-version", "2"],
    )
    .await;
    assert_eq!(
        (code, out),
        (
            0,
            format!("{automatic}: now on version 2 in state referred\n")
        )
    );
    let find = |by: &'static str, value: &'static str| {
        let url = url.clone();
        async move {
            let (code, out, err) = kroonika(
                &url,
                Some("mari"),
                &[
                    "case",
                    "find",
                    by,
                    value,
                    "--purpose",
                    "a call",
                    "--format",
                    "json",
                ],
            )
            .await;
            assert_eq!(code, 0, "{err}");
            crate::support::json_lines(&out)
                .iter()
                .map(|f| f["reference"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        find("--phone", "+372 5555 1234").await,
        [automatic.as_str()]
    );
    assert!(
        !find("--name", "Mari Maasikas").await.contains(&automatic),
        "the name is no longer indexed after the migration"
    );
    assert!(find("--name", "Mari Maasikas").await.contains(&mapped));
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &automatic,
            "assign",
            "--set",
            "facilitators=jaan,piret",
        ],
    )
    .await;
    assert_eq!(
        (code, out),
        (
            0,
            format!("{automatic}: assign → getting-ready (version 3)\n")
        )
    );

    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "migrate", &mapped, "--to-version", "2"],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: version 2 has no open state 'preparation'; map it with --map preparation=STATE\n"
        )
    );
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "migrate",
            &mapped,
            "--to-version",
            "2",
            "--map",
            "preparation=getting-ready",
        ],
    )
    .await;
    assert_eq!(
        (code, out),
        (
            0,
            format!("{mapped}: now on version 2 in state getting-ready\n")
        )
    );

    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "migrate", &stuck, "--to-version", "2"],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rejected: the data no longer fits version 2: field 'victim_phone' must match the pattern ^\\+372[0-9 ]{6,20}$, got '5555 9999'\n"
    );
    let (code, _, err) = kroonika(
        &url,
        Some("jaan"),
        &["case", "migrate", &stuck, "--to-version", "2"],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: actor 'jaan' may not migrate cases: it needs coordinator (has: facilitator)\n"
        )
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// `--input-file` takes JSON or YAML with typed values: a boolean must be a
/// boolean there, where `--set` text is parsed by the field's type.
async fn input_files_are_typed(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("referral.json");
    std::fs::write(
        &json,
        r#"{"referral_source": "police", "referred_on": "2026-11-19", "minor_involved": true, "victim_name": "Kadri Kask", "victim_phone": "+372 5555 0000"}"#,
    )
    .unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--input-file",
            json.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let yaml = dir.path().join("referral.yaml");
    std::fs::write(&yaml, "referral_source: police\nreferred_on: 2026-11-19\nminor_involved: 'yes'\nvictim_name: Kadri Kask\n").unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--input-file",
            yaml.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: field 'minor_involved' must be true or false (yes/no, 1/0), got 'yes'; opening a case needs input 'victim_phone'\n"
        )
    );
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--input-file",
            json.to_str().unwrap(),
            "--set",
            "referral_source=school",
        ],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: 'referral_source' is given both in the input file and with --set\n"
        )
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// `case list` catches the projection up first, filters and sorts by the nearest
/// deadline; a rebuild from the first event gives the same documents.
async fn case_list_is_current_and_rebuilds_the_same(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let first = open_case(&url).await;
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &first,
            "assign",
            "--set",
            "facilitators=jaan,piret",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    // Opened three weeks ago: its 5-working-day deadline has passed.
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=police",
            "--set",
            "referred_on=2026-11-02",
            "--set",
            "minor_involved=false",
            "--set",
            "victim_name=Kadri Kask",
            "--set",
            "victim_phone=+372 5555 0101",
            "--occurred-at",
            "2026-11-02",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let late = out.split_whitespace().nth(1).unwrap().to_owned();
    let gone = open_case(&url).await;
    assert_eq!(
        kroonika(&url, Some("mari"), &["case", "do", &gone, "withdraw"])
            .await
            .0,
        0
    );

    let list = |args: &'static [&'static str]| {
        let url = url.clone();
        async move {
            let mut argv = vec!["case", "list", "--format", "json"];
            argv.extend(args);
            let (code, out, err) = kroonika(&url, Some("mari"), &argv).await;
            assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
            out.lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["reference"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(&[]).await,
        [late.clone(), first.clone(), gone.clone()],
        "nearest deadline first"
    );
    assert_eq!(list(&["--assigned-to", "jaan"]).await, vec![first.clone()]);
    assert_eq!(list(&["--overdue"]).await, vec![late.clone()]);
    assert_eq!(
        list(&["--closed", "--outcome", "withdrawn"]).await,
        vec![gone.clone()]
    );
    assert_eq!(
        list(&["--open", "--state", "referred"]).await,
        vec![late.clone()]
    );
    let (code, table, _) = kroonika(&url, Some("mari"), &["case", "list", "--overdue"]).await;
    assert_eq!(code, 0);
    assert!(
        table.contains("2026-11-09 overdue →") && table.contains("regional-lead"),
        "{table}"
    );

    let (_, status, _) = kroonika(&url, None, &["projections", "status", "--format", "json"]).await;
    let status: Vec<(String, u64)> = status
        .lines()
        .map(|line| {
            let s: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                s["name"].as_str().unwrap().to_owned(),
                s["lag"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status[0],
        ("case-list".to_owned(), 0),
        "caught up by the reads above"
    );
    assert_eq!(status[1].0, "case-facts", "not read yet, so not caught up");

    let report = [
        "report",
        "school-conference",
        "--format",
        "json",
        "--as-of",
        "2099-12-31",
    ];
    let (_, before, _) = kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    let (_, report_before, _) = kroonika(&url, Some("mari"), &report).await;
    let (code, out, err) = kroonika(&url, None, &["projections", "rebuild"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with("rebuilt case-list from "), "{out}");
    assert!(out.contains("rebuilt case-facts from "), "{out}");
    let (_, after, _) = kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    assert_eq!(before, after, "rebuild equals incremental");
    let (_, report_after, _) = kroonika(&url, Some("mari"), &report).await;
    assert_eq!(report_before, report_after, "rebuild equals incremental");
    // Time travel: the list as it was known before a later step.
    let (_, history, _) =
        kroonika(&url, None, &["case", "history", &late, "--format", "json"]).await;
    let last: serde_json::Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    let known_then = last["recorded_at"].as_str().unwrap().to_owned();
    assert_eq!(
        kroonika(
            &url,
            Some("mari"),
            &[
                "case",
                "do",
                &late,
                "assign",
                "--set",
                "facilitators=jaan,kati"
            ]
        )
        .await
        .0,
        0
    );
    let state_of = |out: &str, reference: &str| {
        out.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|d| d["reference"] == reference)
            .map(|d| d["state"].as_str().unwrap().to_owned())
    };
    let (_, now, _) = kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    let (code, then, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "list", "--format", "json", "--as-of", &known_then],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(state_of(&now, &late).as_deref(), Some("preparation"));
    assert_eq!(
        state_of(&then, &late).as_deref(),
        Some("referred"),
        "the earlier answer"
    );

    // The audit trail: who did what to which case, in words, with the version.
    let (code, trail, _) = kroonika(
        &url,
        None,
        &["audit", "trail", "--case", &first, "--format", "json"],
    )
    .await;
    assert_eq!(code, 0);
    let trail: Vec<serde_json::Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let said: Vec<(&str, &str)> = trail
        .iter()
        .map(|t| (t["actor"].as_str().unwrap(), t["what"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("mari", "opened SC-2026-0001 in referred"),
            ("mari", "assign → preparation")
        ]
    );
    assert!(
        trail
            .iter()
            .all(|t| t["definition"] == "school-conference@1" && t["case"] == "SC-2026-0001")
    );
    let (_, by_anu, _) = kroonika(
        &url,
        None,
        &["audit", "trail", "--by", "anu", "--format", "json"],
    )
    .await;
    assert!(
        by_anu.lines().all(|l| l.contains("\"actor\":\"anu\""))
            && by_anu.contains("registered actor tiina (service-owner)"),
        "{by_anu}"
    );
    let (code, out, _) = kroonika(&url, None, &["audit", "trail", "--from", "2999-01-01"]).await;
    assert_eq!((code, out.as_str()), (0, "nothing recorded matches\n"));

    let (code, _, err) = kroonika(&url, None, &["projections", "rebuild", "reports"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: there is no projection 'reports'; the projections are: case-list, case-facts, volunteer-hours\n"
        )
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Runners killed at arbitrary points (mid-read, mid-fold, mid-commit) leave
/// either a whole batch or none: after each kill the next catch-up continues,
/// and the result equals a rebuild from the first event.
async fn killed_runners_resume_without_double_counting(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    for _ in 0..12 {
        let case = open_case(&url).await;
        assert_eq!(
            kroonika(
                &url,
                Some("mari"),
                &[
                    "case",
                    "do",
                    &case,
                    "assign",
                    "--set",
                    "facilitators=jaan,piret"
                ]
            )
            .await
            .0,
            0
        );
    }
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 13] {
        let url = url.clone();
        let runner =
            tokio::spawn(async move { kroonika(&url, None, &["projections", "run"]).await });
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        runner.abort();
        let _ = runner.await;
    }
    let (code, _, err) = kroonika(&url, None, &["projections", "run"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    let (_, incremental, _) =
        kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    assert_eq!(incremental.lines().count(), 12);
    assert!(
        incremental.lines().all(|l| l.contains("\"revision\":1")),
        "each case folded exactly twice: {incremental}"
    );
    let facts_incremental = facts_docs(&url).await;
    assert_eq!(facts_incremental.len(), 12);
    assert!(
        facts_incremental
            .iter()
            .all(|doc| doc["steps"].as_array().unwrap().len() == 1),
        "each assignment folded once into the case facts"
    );
    assert_eq!(kroonika(&url, None, &["projections", "rebuild"]).await.0, 0);
    assert_eq!(
        facts_docs(&url).await,
        facts_incremental,
        "rebuild equals incremental"
    );
    let (_, rebuilt, _) = kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    let strip = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut doc: serde_json::Value = serde_json::from_str(l).unwrap();
                doc.as_object_mut().unwrap().remove("updated_at");
                doc
            })
            .collect()
    };
    assert_eq!(strip(&incremental), strip(&rebuilt));
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// The case-facts documents as stored, in key order.
async fn facts_docs(url: &str) -> Vec<serde_json::Value> {
    let store = kroonika_store::Store::open(url).await.unwrap();
    let docs = store.projection_docs("case-facts", None).await.unwrap();
    store.close().await;
    docs.into_iter().map(|(_, doc)| doc).collect()
}

/// The report's funnel against numbers worked out by hand: 7 cases opened on
/// 20 November, 5 assigned (preparation), 1 left in referred, 1 withdrawn.
/// Counts of 1 to 4 are suppressed; periods filter on when cases were opened;
/// `--as-of` gives the report as it could have been made earlier.
async fn report_counts_with_small_cells_suppressed(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let mut cases = Vec::new();
    for _ in 0..7 {
        cases.push(open_case(&url).await);
    }
    for case in &cases[..5] {
        assert_eq!(
            kroonika(
                &url,
                Some("mari"),
                &[
                    "case",
                    "do",
                    case,
                    "assign",
                    "--set",
                    "facilitators=jaan,piret"
                ]
            )
            .await
            .0,
            0
        );
    }
    let (_, history, _) = kroonika(
        &url,
        None,
        &["case", "history", &cases[4], "--format", "json"],
    )
    .await;
    let before_withdrawal = serde_json::from_str::<serde_json::Value>(
        history.lines().last().unwrap(),
    )
    .unwrap()["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        kroonika(&url, Some("mari"), &["case", "do", &cases[6], "withdraw"])
            .await
            .0,
        0
    );

    // Far ahead: every open case is past its deadline by then.
    let (code, csv, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "report",
            "school-conference",
            "--format",
            "csv",
            "--as-of",
            "2099-12-31",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    for line in [
        "total,opened,all,all,cases,7",
        "total,open,all,all,cases,6",
        "total,closed,all,all,cases,<5",
        "total,overdue,all,all,cases,6",
        "state,preparation,all,all,now,5",
        "state,referred,all,all,now,<5",
        "state,referred,all,all,reached,7",
        "outcome,withdrawn,all,all,cases,<5",
        "outcome,fulfilled,all,all,cases,0",
    ] {
        assert!(csv.lines().any(|l| l == line), "{line} in\n{csv}");
    }
    let (_, json, _) = kroonika(
        &url,
        Some("mari"),
        &["report", "school-conference", "--format", "json"],
    )
    .await;
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let funnel = &report["funnel"];
    assert_eq!(
        (funnel["opened"].as_u64(), funnel["open"].as_u64()),
        (Some(7), Some(6))
    );
    assert!(funnel["closed"].is_null(), "1 is suppressed: {funnel}");
    assert!(
        !json.contains("Mari Maasikas") && !json.contains("5555"),
        "no personal data in a report"
    );

    let (_, later, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "report",
            "school-conference",
            "--format",
            "json",
            "--from",
            "2026-11-21",
        ],
    )
    .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&later).unwrap()["funnel"]["opened"],
        0,
        "all were opened on the 20th"
    );
    let (_, then, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "report",
            "school-conference",
            "--format",
            "json",
            "--as-of",
            &before_withdrawal,
        ],
    )
    .await;
    let then: serde_json::Value = serde_json::from_str(&then).unwrap();
    assert_eq!(
        (
            then["funnel"]["open"].as_u64(),
            then["funnel"]["closed"].as_u64()
        ),
        (Some(7), Some(0)),
        "the earlier answer"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.txt");
    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "report",
            "school-conference",
            "--output",
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, ""));
    let table = std::fs::read_to_string(&path).unwrap();
    assert!(
        table.contains(" opened            7")
            && table.contains("counts from 1 to 4 are shown as <5"),
        "{table}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

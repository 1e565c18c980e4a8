//! The coordinator's day: `case mine` on a scripted history (who is linked
//! to which case, in which order), and `case show` saying what the reader
//! can do now, with each step's inputs and the state's guidance.

use kroonika_tests::Backend;
use serde_json::Value;

use crate::case_cli::setup;
use crate::support::{json_lines, kroonika_on as kroonika};

crate::store::per_backend!(my_work_is_ordered_and_linked, a_case_says_what_to_do_next);

async fn open(url: &str, occurred: &str) -> String {
    crate::case_cli::open_referred(url, "+372 5555 1234", occurred, occurred).await
}

async fn mine(url: &str, actor: &str) -> Vec<Value> {
    let (code, out, err) = kroonika(url, Some(actor), &["case", "mine", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    json_lines(&out)
}

fn references(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect()
}

async fn my_work_is_ordered_and_linked(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let today = chrono::Utc::now().date_naive();
    let long_ago = "2026-01-05";
    let yesterday = (today - chrono::Duration::days(1)).to_string();
    // Opened later, yet overdue: listed first.
    let due_soon = open(&url, &yesterday).await;
    let overdue = open(&url, long_ago).await;
    let assigned = open(&url, &yesterday).await;
    let closed = open(&url, &yesterday).await;
    for (case, args) in [
        (
            &assigned,
            vec!["assign", "--set", "facilitators=jaan,piret"],
        ),
        (&closed, vec!["withdraw"]),
    ] {
        let mut argv = vec!["case", "do", case.as_str()];
        argv.extend(args);
        let (code, _, err) = kroonika(&url, Some("mari"), &argv).await;
        assert_eq!(code, 0, "{err}");
    }

    // mari: the two referred cases, overdue first; not the assigned one
    // (she opened it, but its state's steps are the facilitators').
    let items = mine(&url, "mari").await;
    assert_eq!(references(&items), [overdue.as_str(), due_soon.as_str()]);
    assert_eq!(items[0]["urgency"], "overdue");
    assert!(items[0]["working_days_left"].as_i64().unwrap() < 0);
    assert_eq!(items[1]["urgency"], "due-soon");
    assert_eq!(items[0]["steps"], serde_json::json!(["assign", "decline"]));
    assert_eq!(
        items[0]["why"],
        serde_json::json!(["opened", "role coordinator"])
    );
    assert_eq!(
        items[0]["guidance"],
        "Contact the referrer and check suitability."
    );

    // Another coordinator works the referred cases too.
    assert_eq!(
        references(&mine(&url, "toomas").await),
        [overdue.as_str(), due_soon.as_str()]
    );

    // jaan is named on the assigned case: its checklist is what it needs.
    let items = mine(&url, "jaan").await;
    assert_eq!(references(&items), [assigned.as_str()]);
    assert_eq!(
        items[0]["why"],
        serde_json::json!(["named in facilitators"])
    );
    assert_eq!(items[0]["steps"], serde_json::json!(["schedule"]));
    assert_eq!(
        items[0]["needs"],
        serde_json::json!(["victim-consent", "respondent-consent"])
    );
    // kati facilitates, but not this case.
    assert!(mine(&url, "kati").await.is_empty());
    // The regional lead is escalated to when a deadline is missed.
    let items = mine(&url, "lead").await;
    assert_eq!(references(&items), [overdue.as_str()]);
    assert_eq!(
        items[0]["why"],
        serde_json::json!(["escalated to regional-lead"])
    );
    assert!(items[0]["steps"].as_array().unwrap().is_empty());

    // The table says how many and how urgent.
    let (_, table, _) = kroonika(&url, Some("mari"), &["case", "mine"]).await;
    assert!(
        table.contains("2 case(s): 1 overdue, 1 due within 5 working days"),
        "{table}"
    );
    let (_, none, _) = kroonika(&url, Some("kati"), &["case", "mine"]).await;
    assert_eq!(none, "nothing waits for you\n");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn a_case_says_what_to_do_next(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open(&url, "2026-11-20").await;
    let (code, out, err) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!(code, 0, "{err}");
    for line in [
        "guidance  Contact the referrer and check suitability.",
        "you can now",
        &format!(
            "assign    → preparation: kroonika case do {case} assign --set facilitators=NAME,NAME"
        ),
        "inputs: facilitators (names of actors with role facilitator)",
        &format!(
            "decline   → closed-unsuitable: kroonika case do {case} decline --set reason=unsuitable|safety-risk"
        ),
        "inputs: reason (one of unsuitable, safety-risk)",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    // A facilitator sees the same steps as not theirs, with why.
    let (_, out, _) = kroonika(&url, Some("jaan"), &["case", "show", &case]).await;
    assert!(!out.contains("you can now"), "{out}");
    assert!(
        out.contains("not now\n  assign    needs coordinator (has: facilitator)"),
        "{out}"
    );
    // As JSON: every step with its inputs, typed.
    let (_, json, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--format", "json"],
    )
    .await;
    let view: Value = serde_json::from_str(&json).unwrap();
    let decline = view["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "decline")
        .unwrap();
    assert_eq!(decline["to"], "closed-unsuitable");
    assert_eq!(
        decline["inputs"],
        serde_json::json!([{"name": "reason", "type": "enum", "required": true, "values": ["unsuitable", "safety-risk"]}])
    );
    assert!(view["deadline"]["working_days_left"].is_i64());
    assert_eq!(
        view["guidance"],
        "Contact the referrer and check suitability."
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(operators_and_dates_are_told_the_truth);

/// A backdated step that would make a case's history run backwards is
/// refused; a run of the deadlines that leaves one unhandled exits 1.
async fn operators_and_dates_are_told_the_truth(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open(&url, "2026-11-20").await;
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &case,
            "decline",
            "--set",
            "reason=unsuitable",
            "--occurred-at",
            "2026-11-19",
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("rejected: it happened at 2026-11-19 12:00 UTC, before the case's last recorded event (2026-11-20 12:00 UTC)"),
        "{err}"
    );
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "do",
            &case,
            "decline",
            "--set",
            "reason=unsuitable",
            "--occurred-at",
            "2026-11-21",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");

    // A filter that names nothing is refused with what was meant.
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "list", "--state", "prepration"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "rejected: there is no state 'prepration' in any process; did you mean 'preparation'?"
        ),
        "{err}"
    );
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "list", "--process", "school-conferense"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("did you mean 'school-conference'?"), "{err}");

    // Yesterday's file published over today's version is a revert, and only
    // happens when said.
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let changed = dir.path().join("v2.yaml");
    std::fs::write(
        &changed,
        original.replace("within: 5 working days", "within: 4 working days"),
    )
    .unwrap();
    let publish = |file: String, force: bool| {
        let url = url.clone();
        async move {
            let mut args = vec!["def".to_owned(), "publish".to_owned(), file];
            if force {
                args.push("--force".to_owned());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            kroonika(&url, Some("tiina"), &args).await
        }
    };
    assert_eq!(
        publish(changed.to_str().unwrap().to_owned(), false).await.0,
        0
    );
    let (code, _, err) = publish("data/definitions/school-conference.yaml".to_owned(), false).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("rejected: this text is version 1 of 'school-conference'; publishing it again would replace version 2 with it as version 3; say so with --force"),
        "{err}"
    );
    let (code, out, err) =
        publish("data/definitions/school-conference.yaml".to_owned(), true).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("version 3"), "{out}");

    // A wake-up for a case that is not there: the run says so and exits 1.
    let ghost = uuid::Uuid::now_v7();
    let sql = if backend == Backend::Postgres {
        format!(
            "INSERT INTO timers (stream, due_at) VALUES ('case-{ghost}', now() - interval '1 day')"
        )
    } else {
        format!("INSERT INTO timers (stream, due_at) VALUES ('case-{ghost}', 1)")
    };
    kroonika_tests::TestStore::attach(&url, backend)
        .raw_execute(&sql)
        .await
        .unwrap();
    let (code, out, err) = kroonika(&url, None, &["timers", "run"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("{ghost}: not handled: rejected: there is no case")),
        "{out}"
    );
    assert!(
        err.starts_with("error: 1 due deadline(s) could not be handled (listed above)"),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(a_mis_ticked_task_is_undone);

/// `case task … --undo --reason` unticks, the case shows it undone, the
/// audit's replay accepts it, and without a reason it is a usage error.
async fn a_mis_ticked_task_is_undone(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open(&url, "2026-11-20").await;
    for (actor, args) in [
        (
            "mari",
            vec![
                "case",
                "do",
                case.as_str(),
                "assign",
                "--set",
                "facilitators=jaan,piret",
            ],
        ),
        (
            "jaan",
            vec!["case", "task", case.as_str(), "victim-consent"],
        ),
    ] {
        let (code, _, err) = kroonika(&url, Some(actor), &args).await;
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = kroonika(
        &url,
        Some("piret"),
        &["case", "task", &case, "victim-consent", "--undo"],
    )
    .await;
    assert_eq!(code, 2, "--undo needs --reason: {err}");
    let (code, out, err) = kroonika(
        &url,
        Some("piret"),
        &[
            "case",
            "task",
            &case,
            "victim-consent",
            "--undo",
            "--reason",
            "ticked on the wrong case",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!("{case}: task victim-consent undone (version 4)\n")
    );
    let (_, json, _) = kroonika(
        &url,
        Some("jaan"),
        &["case", "show", &case, "--format", "json"],
    )
    .await;
    let view: Value = serde_json::from_str(&json).unwrap();
    let consent = view["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "victim-consent")
        .unwrap();
    assert_eq!(consent["done"], false);
    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = kroonika(
        &url,
        Some("piret"),
        &[
            "case",
            "task",
            &case,
            "victim-consent",
            "--undo",
            "--reason",
            "again",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rejected: task 'victim-consent' is not done; there is nothing to undo\n"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(notes_are_sealed_revealed_on_purpose_and_erased);

/// A note: kept sealed (the raw database never holds its text), hidden in
/// `case show`, read with a purpose (recorded), unreadable once a subject
/// is erased; the audit's replay accepts it.
async fn notes_are_sealed_revealed_on_purpose_and_erased(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open(&url, "2026-11-20").await;
    let secret = "Kadri helistas: kohtumine neljapäeval Tartus";
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "note", &case, "--text", secret],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{case}: note added (version 2)\n"));
    // From standard input, through the real binary.
    let mut running = crate::crash::child(&url, &["--actor", "mari", "case", "note", &case])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut running.stdin.take().unwrap(),
        b"Offender asked to postpone\n",
    )
    .unwrap();
    let done = running.wait_with_output().unwrap();
    // An endless pipe is cut off and refused, not stored.
    let mut flood = crate::crash::child(&url, &["--actor", "mari", "case", "note", &case])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = flood.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut pipe, &vec![b'a'; 3 << 20]);
    });
    let flooded = flood.wait_with_output().unwrap();
    let _ = writer.join();
    assert_eq!(flooded.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&flooded.stderr).contains("a value may be at most 256 KiB"),
        "{}",
        String::from_utf8_lossy(&flooded.stderr)
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );

    let (_, shown, _) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert!(
        shown.contains("notes") && shown.contains("[hidden: --reveal --purpose … to read]"),
        "{shown}"
    );
    assert!(
        !shown.contains("Kadri") && !shown.contains("postpone"),
        "{shown}"
    );
    let (code, shown, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "preparing the meeting",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        shown.contains(secret) && shown.contains("Offender asked to postpone"),
        "{shown}"
    );
    let (_, access, _) = kroonika(&url, None, &["audit", "access", "--format", "json"]).await;
    assert!(
        access.contains("preparing the meeting"),
        "the reading is recorded: {access}"
    );
    // The history: "note added" for anyone who may read the case; the text
    // only with a purpose, recorded.
    let (_, history, _) = kroonika(&url, Some("mari"), &["case", "history", &case]).await;
    assert!(
        history.contains("note added") && !history.contains("Kadri"),
        "{history}"
    );
    let (code, history, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "history",
            &case,
            "--reveal",
            "--purpose",
            "reading the journal",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let texts: Vec<Value> = json_lines(&history)
        .into_iter()
        .filter(|e| e["type"] == "NoteAdded")
        .map(|e| e["note_text"].clone())
        .collect();
    assert_eq!(
        texts,
        [
            serde_json::json!(secret),
            serde_json::json!("Offender asked to postpone")
        ]
    );
    let (_, access, _) = kroonika(&url, None, &["audit", "access", "--format", "json"]).await;
    assert!(access.contains("reading the journal"), "{access}");
    let (code, _, err) = kroonika(
        &url,
        Some("jaan"),
        &["case", "history", &case, "--reveal", "--purpose", "curious"],
    )
    .await;
    assert_eq!(code, 1, "a facilitator may not read the notes: {err}");

    // Nowhere in the database in the clear.
    let raw = kroonika_tests::TestStore::attach(&url, backend);
    if backend == Backend::Postgres {
        let found = raw
            .raw_execute("UPDATE events SET event_type = event_type WHERE data::text LIKE '%Kadri%' OR data::text LIKE '%postpone%'")
            .await
            .unwrap();
        assert_eq!(found, 0);
    } else {
        let path = url.strip_prefix("sqlite://").unwrap();
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains("Kadri") && !text.contains("postpone"),
                    "{file}"
                );
            }
        }
    }

    // Erasing the harmed person makes the notes unreadable.
    let (code, _, err) = kroonika(
        &url,
        Some("anu"),
        &[
            "subject",
            "forget",
            &format!("{case}/victim"),
            "--reason",
            "request of the person",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (_, shown, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "after the erasure",
        ],
    )
    .await;
    assert!(
        !shown.contains(secret) && shown.matches("[erased]").count() >= 2,
        "{shown}"
    );
    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(a_read_only_store_still_answers_reads);

/// On a store that can be read but not written (an auditor's copy), the case
/// list and the report are folded from the log, and say so; writing
/// commands fail with the database's reason.
async fn a_read_only_store_still_answers_reads(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open(&url, "2026-11-20").await;
    let read_only = match backend {
        Backend::Sqlite => format!("{url}?mode=ro"),
        Backend::Postgres => format!("{url}&options[default_transaction_read_only]=on"),
    };
    let (code, out, err) = kroonika(&read_only, Some("mari"), &["case", "list"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&case), "{out}");
    assert!(
        out.contains("note: the store is read-only: the list was folded from the log"),
        "{out}"
    );
    let (code, out, err) = kroonika(
        &read_only,
        Some("tiina"),
        &["report", "school-conference", "--format", "json"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["funnel"]["opened"],
        Value::Null,
        "one case: suppressed, but counted"
    );
    let (code, _, err) =
        kroonika(&read_only, Some("mari"), &["case", "do", &case, "withdraw"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("read"), "{err}");
    // An operator's run that cannot write says so, and fails.
    let (code, _, err) = kroonika(&read_only, None, &["projections", "run"]).await;
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("none of the 3 projections could catch up; the first, case-list"),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(a_caller_is_found_by_name_without_the_name_on_disk);

async fn find(url: &str, actor: &str, args: &[&str]) -> (u8, Vec<Value>, String) {
    let mut argv = vec!["case", "find", "--format", "json"];
    argv.extend_from_slice(args);
    let (code, out, err) = kroonika(url, Some(actor), &argv).await;
    (code, json_lines(&out), err)
}

async fn open_named(url: &str, name: &str, phone: &str) -> String {
    crate::case_cli::open_named(url, name, phone, "2026-11-20", "2026-11-20").await
}

/// Whether the store's files (SQLite) or tables (PostgreSQL) hold `text`
/// anywhere, in any case. A number (digits only) counts where it stands on
/// its own, not inside a longer run of hex or base64 (ciphertext, hashes and
/// ids hold any eight digits now and then).
async fn on_disk(url: &str, backend: Backend, text: &str) -> bool {
    let text = text.to_lowercase();
    let number = text.chars().all(|c| c.is_ascii_digit());
    match backend {
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            [path.to_owned(), format!("{path}-wal")].iter().any(|file| {
                std::fs::read(file).is_ok_and(|bytes| {
                    let haystack = String::from_utf8_lossy(&bytes).to_lowercase();
                    if !number {
                        return haystack.contains(&text);
                    }
                    let encoded = |c: Option<char>| {
                        c.is_some_and(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
                    };
                    haystack.match_indices(&text).any(|(at, _)| {
                        !encoded(haystack[..at].chars().next_back())
                            && !encoded(haystack[at + text.len()..].chars().next())
                    })
                })
            })
        }
        Backend::Postgres => {
            let raw = kroonika_tests::TestStore::attach(url, backend);
            let mut found = 0;
            for table in [
                "events",
                "search_index",
                "store_info",
                "subject_keys",
                "projection_docs",
            ] {
                // A SELECT's row count: the rows whose text holds it.
                let condition = if number {
                    format!("lower(t::text) ~ '(^|[^0-9a-z+/=]){text}($|[^0-9a-z+/=])'")
                } else {
                    format!("lower(t::text) LIKE '%{text}%'")
                };
                found += raw
                    .raw_execute(&format!("SELECT 1 FROM {table} t WHERE {condition}"))
                    .await
                    .unwrap();
            }
            found > 0
        }
    }
}

/// `case find`: a caller's case found by name or phone however written,
/// never showing the name; the search recorded with its purpose; nothing of
/// the name on disk, not even folded; a correction moves the index, an
/// erasure empties it, and a rebuild brings back what may be found.
async fn a_caller_is_found_by_name_without_the_name_on_disk(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let kadri = open_named(&url, "Kadri Kõiv-Kask", "+372 5123 4567").await;
    let other = open_named(&url, "Mari Maasikas", "+372 5555 1234").await;

    let (code, found, err) = find(
        &url,
        "mari",
        &["--name", "kask KOIV, kadri", "--purpose", "she called"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (
            found[0]["reference"].as_str(),
            found[0]["state"].as_str(),
            &found[0]["subjects"]
        ),
        (
            Some(kadri.as_str()),
            Some("referred"),
            &serde_json::json!(["victim"])
        )
    );
    let (_, table, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "find",
            "--phone",
            "00372 5123-4567",
            "--purpose",
            "missed call",
        ],
    )
    .await;
    assert!(
        table.contains(&kadri) && !table.contains(&other) && !table.contains("Kadri"),
        "{table}"
    );
    // Name and phone must be the same person's case.
    let (_, found, _) = find(
        &url,
        "mari",
        &[
            "--name",
            "Kadri Kõiv-Kask",
            "--phone",
            "5555 1234",
            "--purpose",
            "x",
        ],
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
    let (code, found, _) = find(&url, "mari", &["--name", "Kadri", "--purpose", "x"]).await;
    assert_eq!((code, found.len()), (0, 0), "only the whole name finds");

    // Refusals: no purpose, nothing to look for, no right to read.
    let (code, _, err) = find(&url, "mari", &["--name", "Kadri", "--purpose", " "]).await;
    assert_eq!(code, 1);
    assert!(err.contains("needs a purpose"), "{err}");
    let (code, _, err) = find(&url, "mari", &["--phone", "call me", "--purpose", "x"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("--phone 'call me'") && err.contains("not a phone number"),
        "{err}"
    );
    let (code, _, err) = find(&url, "mari", &["--purpose", "x"]).await;
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = find(
        &url,
        "jaan",
        &["--name", "Kadri Kõiv-Kask", "--purpose", "curious"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("may not search for a person"), "{err}");

    // The access log: who searched, why, what it showed; never the name.
    let (_, access, _) = kroonika(&url, None, &["audit", "access", "--format", "json"]).await;
    let rows = json_lines(&access);
    let searched: Vec<&Value> = rows.iter().filter(|r| r["what"] == "searched").collect();
    assert_eq!(searched.len(), 4, "{access}");
    assert_eq!(
        (
            searched[0]["case"].as_str(),
            searched[0]["purpose_or_reason"].as_str()
        ),
        (Some(kadri.as_str()), Some("she called (by name)"))
    );
    assert!(
        rows.iter()
            .any(|r| r["what"] == "refused" && r["actor"] == "jaan")
    );
    assert!(
        !access.contains("Kadri") && !access.contains("5123"),
        "{access}"
    );
    let (_, by_subject, _) = kroonika(
        &url,
        None,
        &[
            "audit",
            "access",
            "--subject",
            &format!("{kadri}/victim"),
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(json_lines(&by_subject).len(), 2, "{by_subject}");

    // Nothing of her on disk: not the name, not its folded form, not the
    // number (while the probe does find what is there).
    assert!(on_disk(&url, backend, "referral_source").await);
    for text in [
        "Kõiv-Kask",
        "koiv",
        "kadri kask",
        "kadri koiv kask",
        "5123 4567",
        "51234567",
    ] {
        assert!(!on_disk(&url, backend, text).await, "'{text}' is on disk");
    }

    // A corrected name is found by the new one only.
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "update",
            &kadri,
            "--set",
            "victim_name=Kadri Tamm",
            "--reason",
            "the name on her ID card",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let (_, found, _) = find(
        &url,
        "mari",
        &["--name", "Kadri Kõiv-Kask", "--purpose", "x"],
    )
    .await;
    assert!(found.is_empty(), "{found:?}");
    let (_, found, _) = find(&url, "mari", &["--name", "kadri tamm", "--purpose", "x"]).await;
    assert_eq!(found.len(), 1, "{found:?}");

    // Erased: found by nothing, and no token of hers is left.
    let (code, _, err) = kroonika(
        &url,
        Some("anu"),
        &[
            "subject",
            "forget",
            &format!("{kadri}/victim"),
            "--reason",
            "her request",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    for args in [["--name", "Kadri Tamm"], ["--phone", "+372 5123 4567"]] {
        let (code, found, _) = find(&url, "mari", &[args[0], args[1], "--purpose", "x"]).await;
        assert_eq!((code, found.len()), (0, 0), "{args:?}");
    }
    let raw = kroonika_tests::TestStore::attach(&url, backend);
    // Counted as rows an idle update touches (on both backends).
    let left = raw
        .raw_execute("UPDATE search_index SET kind = kind")
        .await
        .unwrap();
    assert_eq!(left, 2, "only the other case's name and phone remain");

    // Rebuilt from the log (administrators only): the erased stay unfound.
    let (code, _, err) = kroonika(&url, Some("mari"), &["case", "reindex"]).await;
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = kroonika(&url, Some("anu"), &["case", "reindex"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "search index rebuilt: 2 case(s), 2 token(s)\n");
    let (_, found, _) = find(&url, "mari", &["--name", "maasikas mari", "--purpose", "x"]).await;
    assert_eq!(found[0]["reference"], other.as_str());
    let (_, found, _) = find(&url, "mari", &["--name", "Kadri Tamm", "--purpose", "x"]).await;
    assert!(found.is_empty(), "{found:?}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

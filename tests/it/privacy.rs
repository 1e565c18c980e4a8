//! Personal data end to end, on both backends: sealed in the log, masked unless
//! revealed with a purpose by an allowed role (every reveal and refusal
//! recorded), erased by destroying the subject's key (idempotent, the chain
//! still verifies), and never in the clear in the database files.

use kroonika_tests::Backend;

use crate::case_cli::{open_case, setup};
use crate::support::{json_lines, kroonika_on as kroonika};

crate::store::per_backend!(personal_data_is_sealed_revealed_on_purpose_and_erased);

const NAME: &str = "Mari Maasikas";
const PHONE: &str = "5555 1234";

/// Everything the database holds, as bytes: the SQLite file and its WAL, or
/// every row of every table of the PostgreSQL schema as text, plus `pg_dump`'s
/// dump of the schema where pg_dump is installed.
async fn database_bytes(url: &str, backend: Backend) -> Vec<u8> {
    match backend {
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let mut bytes = std::fs::read(path).unwrap();
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut dump = String::new();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM \"{table}\" t"
                )))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                dump.push_str(&rows.join("\n"));
            }
            // And pg_dump's own dump of the schema, where pg_dump is installed.
            let base = url.split('?').next().unwrap();
            let schema = url.rsplit("search_path]=").next().unwrap();
            if let Ok(out) = std::process::Command::new("pg_dump")
                .args(["--schema", schema, base])
                .output()
                && out.status.success()
            {
                assert!(!out.stdout.is_empty());
                dump.push_str(&String::from_utf8_lossy(&out.stdout));
            }
            dump.into_bytes()
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn personal_data_is_sealed_revealed_on_purpose_and_erased(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;

    // Sealed: neither the log, nor the keys table, nor a projection holds it.
    assert_eq!(kroonika(&url, Some("mari"), &["case", "list"]).await.0, 0);
    let raw = database_bytes(&url, backend).await;
    assert!(
        !contains(&raw, NAME.as_bytes()),
        "the name is stored in the clear"
    );
    assert!(
        !contains(&raw, PHONE.as_bytes()),
        "the phone is stored in the clear"
    );
    let (_, log, _) = kroonika(&url, None, &["log", "--format", "json"]).await;
    assert!(log.contains("$sealed"), "{log}");

    // Masked by default.
    let (code, out, _) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!(code, 0);
    assert!(out.contains("[hidden]") && !out.contains(NAME), "{out}");
    assert!(out.contains("data subjects"), "{out}");

    // Revealed with a purpose by a coordinator (the default readers).
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "calling the victim",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.contains(NAME) && out.contains(PHONE), "{out}");

    // Refused: a facilitator may not; a blank purpose is no purpose.
    let (code, _, err) = kroonika(
        &url,
        Some("jaan"),
        &["case", "show", &case, "--reveal", "--purpose", "curious"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("may not read personal data"), "{err}");
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--reveal", "--purpose", " "],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("needs a purpose"), "{err}");
    // A denial elsewhere in the CLI is recorded too.
    let (code, _, _) = kroonika(
        &url,
        Some("jaan"),
        &[
            "case",
            "do",
            &case,
            "assign",
            "--set",
            "facilitators=jaan,piret",
        ],
    )
    .await;
    assert_eq!(code, 1);

    let (code, out, _) = kroonika(&url, None, &["audit", "access", "--format", "json"]).await;
    assert_eq!(code, 0);
    let records = json_lines(&out);
    let seen: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["what"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("mari", "revealed"),
            ("jaan", "refused"),
            ("mari", "refused"),
            ("jaan", "refused")
        ],
        "{out}"
    );
    assert_eq!(records[0]["purpose_or_reason"], "calling the victim");
    assert_eq!(records[0]["subjects"], "victim");
    assert!(
        records[3]["purpose_or_reason"]
            .as_str()
            .unwrap()
            .starts_with("case do: ")
    );
    let (_, out, _) = kroonika(
        &url,
        None,
        &[
            "audit",
            "access",
            "--subject",
            &format!("{case}/victim"),
            "--format",
            "json",
        ],
    )
    .await;
    // The reading, and the two refusals on the case (jaan's, and mari's
    // without a purpose): each was an attempt at the person's data.
    let what: Vec<String> = json_lines(&out)
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["actor"].as_str().unwrap(),
                r["what"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        what,
        ["mari revealed", "jaan refused", "mari refused"],
        "{out}"
    );

    // A wrong master key is refused with a plain message, never garbage.
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), "cd".repeat(32)).unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "--master-key-file",
            wrong.path().to_str().unwrap(),
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("the master key does not open this store's keys"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // Erasure: by an administrator only, idempotent, and the chain still holds.
    let store = kroonika_store::Store::open(&url).await.unwrap();
    let wrapped = store.subject_keys(None).await.unwrap()[0]
        .wrapped
        .clone()
        .unwrap();
    store.close().await;
    let subject = format!("{case}/victim");
    let forget = [
        "subject",
        "forget",
        subject.as_str(),
        "--reason",
        "request of the data subject",
    ];
    let (code, _, err) = kroonika(&url, Some("mari"), &forget).await;
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = kroonika(&url, Some("anu"), &forget).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with(&format!("erased {case}/victim")), "{out}");
    let (code, out, _) = kroonika(&url, Some("anu"), &forget).await;
    assert_eq!(code, 0);
    assert!(out.contains("was erased already"), "{out}");

    let (code, out, _) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "calling the victim",
        ],
    )
    .await;
    assert_eq!(code, 0);
    assert!(out.contains("[erased]") && !out.contains(NAME), "{out}");
    let (code, out, _) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!(code, 0);
    assert!(out.contains("[erased]"), "{out}");
    let (_, history, _) = kroonika(&url, None, &["case", "history", &case]).await;
    assert!(
        history.contains("erased the personal data of victim"),
        "{history}"
    );
    // The case is still counted: its list row and facts are not personal.
    let (code, list, _) = kroonika(&url, Some("mari"), &["case", "list", "--format", "json"]).await;
    assert_eq!(code, 0);
    assert!(list.contains(&case), "{list}");

    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with("the hash chain holds"), "{out}");
    let raw = database_bytes(&url, backend).await;
    assert!(!contains(&raw, NAME.as_bytes()));
    // The destroyed key is gone from the files too (SQLite overwrites it and
    // empties the WAL; PostgreSQL's visible rows no longer hold it).
    assert!(!contains(&raw, &wrapped), "the erased key is still stored");

    // The head an auditor wrote down still verifies; tampering exits 4.
    let (_, head, _) = kroonika(&url, None, &["audit", "head", "--format", "json"]).await;
    let head: serde_json::Value = serde_json::from_str(&head).unwrap();
    let hash = head["hash"].as_str().unwrap().to_owned();
    let (code, out, _) = kroonika(&url, None, &["audit", "verify", "--against", &hash]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("today's log begins with the log it ended"),
        "{out}"
    );
    let t = kroonika_tests::TestStore::attach(&url, backend);
    let drop = match backend {
        Backend::Sqlite => "DROP TRIGGER events_no_update",
        Backend::Postgres => "DROP TRIGGER events_no_update_or_delete ON events",
    };
    t.raw_execute(drop).await.unwrap();
    t.raw_execute(r#"UPDATE events SET metadata = '{"actor":"nobody"}' WHERE position = 2"#)
        .await
        .unwrap();
    let (code, _, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 4, "{err}");
    assert!(err.starts_with("integrity failure: position 2 "), "{err}");
    let (code, _, err) = kroonika(&url, None, &["audit", "verify", "--against", &hash]).await;
    assert_eq!(code, 4, "{err}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(retention_erases_closed_cases_unless_held);

/// A definition that keeps personal data a year after closing: retention erases
/// every subject of a case closed longer ago, skips a held case until released,
/// and records each erasure like a manual one.
async fn retention_erases_closed_cases_unless_held(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let v1 = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("school-conference.yaml");
    std::fs::write(&path, format!("{v1}\nretention:\n  after_closed: 1 year\n")).unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("tiina"),
        &["def", "publish", path.to_str().unwrap()],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let kept = open_case(&url).await;
    let held = open_case(&url).await;
    let open = open_case(&url).await;
    for case in [&kept, &held] {
        let (code, _, err) = kroonika(
            &url,
            Some("mari"),
            &[
                "case",
                "do",
                case,
                "withdraw",
                "--occurred-at",
                "2026-11-21",
            ],
        )
        .await;
        assert_eq!((code, err.as_str()), (0, ""));
    }
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "hold", &held, "--reason", "court"],
    )
    .await;
    assert_eq!(code, 1, "a coordinator may not place holds: {err}");
    let (code, out, _) = kroonika(
        &url,
        Some("anu"),
        &["case", "hold", &held, "--reason", "court 1-26-1"],
    )
    .await;
    assert_eq!(code, 0, "{out}");

    let run = |now: &'static str| {
        let url = url.clone();
        async move {
            let (code, out, err) = kroonika(
                &url,
                None,
                &["retention", "run", "--now", now, "--format", "json"],
            )
            .await;
            assert_eq!((code, err.as_str()), (0, ""), "{out}");
            json_lines(&out)
                .iter()
                .map(|r| {
                    (
                        r["case"].as_str().unwrap().to_owned(),
                        r["action"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(run("2027-11-20").await, []);
    assert_eq!(
        run("2027-11-21").await,
        [
            (kept.clone(), "erased".to_owned()),
            (held.clone(), "kept".to_owned())
        ]
    );
    assert_eq!(
        run("2027-11-22").await,
        [(held.clone(), "kept".to_owned())],
        "erasure is not repeated"
    );
    let (code, _, _) = kroonika(
        &url,
        Some("anu"),
        &["case", "release", &held, "--reason", "closed"],
    )
    .await;
    assert_eq!(code, 0);
    // Run as a coordinator, who may not erase: the case is listed as failed,
    // the rest of the run goes on, and the run exits 1 for the scheduler.
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "retention",
            "run",
            "--now",
            "2027-11-22",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    let rows = json_lines(&out);
    assert_eq!(
        (
            rows.len(),
            rows[0]["case"].as_str(),
            rows[0]["action"].as_str()
        ),
        (1, Some(held.as_str()), Some("failed")),
        "{out}"
    );
    assert!(
        err.starts_with("error: 1 case(s) could not be erased (listed above)"),
        "{err}"
    );
    assert_eq!(
        run("2027-11-22").await,
        [(held.clone(), "erased".to_owned())]
    );

    let (_, show, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &kept, "--reveal", "--purpose", "check"],
    )
    .await;
    assert!(show.contains("[erased]") && !show.contains(NAME), "{show}");
    let (_, show, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &open, "--reveal", "--purpose", "check"],
    )
    .await;
    assert!(show.contains(NAME), "an open case keeps its data: {show}");
    let (_, trail, _) = kroonika(
        &url,
        None,
        &["audit", "trail", "--case", &kept, "--format", "json"],
    )
    .await;
    let erasures: Vec<_> = json_lines(&trail)
        .into_iter()
        .filter(|r| r["what"].as_str().unwrap().starts_with("erased"))
        .collect();
    assert_eq!(erasures.len(), 2, "victim and respondent: {trail}");
    assert_eq!(erasures[0]["actor"], "system");
    assert!(
        erasures[0]["what"]
            .as_str()
            .unwrap()
            .contains("retention: closed 2026-11-21, kept 1 year"),
        "{trail}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

crate::store::per_backend!(export_import_round_trips_and_refuses_broken_files);

/// Export → import → verify gives the same log, hash for hash; a reordered or
/// edited file is refused with its line, and nothing is imported.
async fn export_import_round_trips_and_refuses_broken_files(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let subject = format!("{case}/victim");
    let forget = ["subject", "forget", subject.as_str(), "--reason", "asked"];
    assert_eq!(kroonika(&url, Some("anu"), &forget).await.0, 0);
    let _second = open_case(&url).await;
    let files = tempfile::tempdir().unwrap();
    let export = files.path().join("export.jsonl");
    let (code, out, err) = kroonika(
        &url,
        None,
        &["export", "--output", export.to_str().unwrap()],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let text = std::fs::read_to_string(&export).unwrap();
    assert!(
        !text.contains(NAME),
        "personal data stays ciphertext in an export"
    );
    assert!(text.lines().any(|l| l.starts_with(r#"{"subject_key":"#)));

    let fresh = |_: ()| async move { kroonika_tests::TestStore::fresh_url(backend).await.unwrap() };
    let (copy, _copy_dir, copy_pg) = fresh(()).await;
    let (code, out, err) = kroonika(&copy, None, &["import", export.to_str().unwrap()]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with("imported "), "{out}");
    // The search index is not exported: built with the master key if the
    // import has it (the PostgreSQL tests' environment gives one), else
    // left for `case reindex`.
    let said = match backend {
        Backend::Sqlite => {
            "the search index is empty: run `kroonika case reindex` with the master key"
        }
        Backend::Postgres => "search index built: 2 token(s) over 2 case(s)",
    };
    assert!(out.contains(said), "{out}");
    assert_eq!(kroonika(&copy, None, &["audit", "verify"]).await.0, 0);
    let again = files.path().join("again.jsonl");
    assert_eq!(
        kroonika(
            &copy,
            None,
            &["export", "--output", again.to_str().unwrap()]
        )
        .await
        .0,
        0
    );
    let body = |t: &str| t.lines().skip(1).map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        body(&std::fs::read_to_string(&again).unwrap()),
        body(&text),
        "the same events, byte for byte, with the same hashes"
    );
    let (_, head_a, _) = kroonika(&url, None, &["audit", "head", "--format", "json"]).await;
    let (_, head_b, _) = kroonika(&copy, None, &["audit", "head", "--format", "json"]).await;
    let hash = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["hash"].clone();
    assert_eq!(hash(&head_a), hash(&head_b));
    // The imported store reads personal data with the same master key, and the
    // erasure stays an erasure.
    let key_file = match backend {
        Backend::Sqlite => format!("{}.key", url.strip_prefix("sqlite://").unwrap()),
        Backend::Postgres => crate::support::pg_key_file().to_owned(),
    };
    let (code, out, err) = kroonika(
        &copy,
        Some("mari"),
        &[
            "--master-key-file",
            &key_file,
            "case",
            "show",
            &case,
            "--reveal",
            "--purpose",
            "check",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("[erased]"), "{out}");
    // Rebuilt with the master key, the index finds the case whose subject
    // was not erased.
    let find = [
        "--master-key-file",
        &key_file,
        "case",
        "find",
        "--name",
        NAME,
        "--purpose",
        "after the move",
        "--format",
        "json",
    ];
    if backend == Backend::Sqlite {
        let (code, out, err) = kroonika(&copy, Some("mari"), &find).await;
        assert_eq!((code, out.as_str()), (0, ""), "{err}");
    }
    let reindex = ["--master-key-file", &key_file, "case", "reindex"];
    let (code, out, err) = kroonika(&copy, Some("anu"), &reindex).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "search index rebuilt: 2 case(s), 2 token(s)\n");
    let (code, out, err) = kroonika(&copy, Some("mari"), &find).await;
    assert_eq!(code, 0, "{err}");
    let found = crate::support::json_lines(&out);
    assert_eq!(found.len(), 1, "{out}");
    assert_ne!(found[0]["reference"], case.as_str());

    // Broken files: two events swapped, or one edited.
    let lines: Vec<&str> = text.lines().collect();
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    let mut edited = lines.clone();
    let changed = edited[5].replacen("\"revision\":", "\"revision\": ", 1);
    edited[5] = &changed;
    for (name, broken, line) in [("swapped", swapped, 4), ("edited", edited, 6)] {
        let file = files.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, broken.join("\n")).unwrap();
        let (target, _target_dir, target_pg) = fresh(()).await;
        let (code, _, err) = kroonika(&target, None, &["import", file.to_str().unwrap()]).await;
        if name == "edited" {
            // Spacing outside the data changes nothing that is hashed.
            assert_eq!(code, 0, "{err}");
        } else {
            assert_eq!(code, 4, "{name}: {err}");
            assert!(err.contains(&format!("line {line}:")), "{name}: {err}");
            assert!(err.ends_with("nothing was imported\n"), "{err}");
            let (_, status, _) = kroonika(&target, None, &["status", "--format", "json"]).await;
            let status: serde_json::Value = serde_json::from_str(&status).unwrap();
            assert_eq!(status["events"], 0, "{name}");
        }
        if let Some((base, schema)) = target_pg {
            kroonika_tests::drop_schema(&base, &schema).await;
        }
    }
    let mut tampered = lines.clone();
    // Granting oneself a role by rewriting history.
    let changed = tampered[5].replacen("\"roles\":[\"facilitator\"]", "\"roles\":[\"admin\"]", 1);
    assert_ne!(changed, tampered[5], "line 6 registers a facilitator");
    tampered[5] = &changed;
    let file = files.path().join("tampered.jsonl");
    std::fs::write(&file, tampered.join("\n")).unwrap();
    let (target, _target_dir, target_pg) = fresh(()).await;
    let (code, _, err) = kroonika(&target, None, &["import", file.to_str().unwrap()]).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("line 6:") && err.contains("was changed after it was written"),
        "{err}"
    );
    for pg in [pg, copy_pg, target_pg].into_iter().flatten() {
        kroonika_tests::drop_schema(&pg.0, &pg.1).await;
    }
}

crate::store::per_backend!(subjects_are_erased_independently);

/// Two subjects in one case: erasing one leaves the other readable; erasing the
/// second too leaves nothing readable, and each erasure is its own record.
async fn subjects_are_erased_independently(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let v1 = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let v2 = v1
        .replace(
            "  victim_phone:",
            "  respondent_name: { type: string, personal: respondent }\n  victim_phone:",
        )
        .replace(
            "input: [referral_source, referred_on, minor_involved, victim_name, victim_phone]",
            "input: [referral_source, referred_on, minor_involved, victim_name, victim_phone, respondent_name]",
        );
    assert_ne!(v1, v2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("school-conference.yaml");
    std::fs::write(&path, v2).unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("tiina"),
        &["def", "publish", path.to_str().unwrap()],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let (code, out, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=school",
            "--set",
            "referred_on=2026-11-19",
            "--set",
            "minor_involved=true",
            "--set",
            "victim_name=Mari Maasikas",
            "--set",
            "victim_phone=+372 5555 1234",
            "--set",
            "respondent_name=Juku Juurikas",
        ],
    )
    .await;
    assert_eq!((code, err.as_str()), (0, ""));
    let case = out.split_whitespace().nth(1).unwrap().to_owned();
    let reveal = [
        "case",
        "show",
        case.as_str(),
        "--reveal",
        "--purpose",
        "planning the conference",
    ];

    let victim = format!("{case}/victim");
    let (code, _, _) = kroonika(
        &url,
        Some("anu"),
        &["subject", "forget", &victim, "--reason", "asked"],
    )
    .await;
    assert_eq!(code, 0);
    let (_, shown, _) = kroonika(&url, Some("mari"), &reveal).await;
    assert!(
        shown.contains("Juku Juurikas") && !shown.contains(NAME),
        "{shown}"
    );
    assert!(
        shown.contains("victim_name") && shown.contains("[erased]"),
        "{shown}"
    );

    // The respondent by id, as `case show` prints it.
    let (_, doc, _) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--format", "json"],
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let respondent = doc["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "respondent")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, out, _) = kroonika(
        &url,
        Some("anu"),
        &["subject", "forget", &respondent, "--reason", "asked"],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (_, shown, _) = kroonika(&url, Some("mari"), &reveal).await;
    assert!(
        !shown.contains("Juku Juurikas") && !shown.contains(NAME),
        "{shown}"
    );
    assert_eq!(
        shown.matches("[erased]").count(),
        3,
        "three fields: {shown}"
    );
    assert_eq!(
        shown.matches("(erased)").count(),
        2,
        "two subjects: {shown}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Without the master key, personal data is neither recorded nor shown: one
/// plain line saying how to provide it.
#[tokio::test]
async fn a_missing_master_key_is_a_clear_refusal() {
    let (url, _dir, _) = setup(Backend::Sqlite).await;
    let case = open_case(&url).await;
    let path = url.strip_prefix("sqlite://").unwrap();
    std::fs::rename(format!("{path}.key"), format!("{path}.key.away")).unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--reveal", "--purpose", "calling"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("rejected: personal data needs the master key: set KROONIKA_MASTER_KEY"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &[
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=school",
            "--set",
            "referred_on=2026-11-19",
            "--set",
            "minor_involved=false",
            "--set",
            "victim_name=Mari Maasikas",
            "--set",
            "victim_phone=5555 0000",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("personal data needs the master key"), "{err}");
    // Masked reading needs no key.
    let (code, out, _) = kroonika(&url, Some("mari"), &["case", "show", &case]).await;
    assert_eq!(code, 0, "{out}");
    // A key file that is not a key says so.
    std::fs::write(format!("{path}.key"), "not a key").unwrap();
    let (code, _, err) = kroonika(
        &url,
        Some("mari"),
        &["case", "show", &case, "--reveal", "--purpose", "x"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("the master key must be 64 hexadecimal digits"),
        "{err}"
    );
}

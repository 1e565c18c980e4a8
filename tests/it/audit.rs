//! Conformance: events written around the rules are found by `audit verify`
//! even when their hashes are right (written through the store itself, as a
//! program with database access could), on both backends.

use kroonika_engine::{ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::Store;
use kroonika_tests::Backend;
use serde_json::json;
use uuid::Uuid;

use crate::case_cli::{open_case, setup};
use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(
    events_the_rules_would_not_allow_are_found,
    a_chain_downgrade_is_found_in_the_store_and_in_an_export,
    subject_keys_are_accounted_for_by_the_log,
    signed_checkpoints_catch_what_the_chain_cannot,
    derived_state_is_checked_against_the_log,
    an_unreadable_event_stops_decisions_not_the_audit
);

/// `kroonika export --output FILE`, which must succeed.
async fn export_to(url: &str, file: &std::path::Path) {
    let args = ["export", "--output", file.to_str().unwrap()];
    let (code, _, err) = kroonika(url, None, &args).await;
    assert_eq!(code, 0, "{err}");
}

async fn case_id(url: &str, reference: &str) -> String {
    let (_, out, _) = kroonika(
        url,
        Some("mari"),
        &["case", "show", reference, "--format", "json"],
    )
    .await;
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    doc["case_id"].as_str().unwrap().to_owned()
}

async fn events_the_rules_would_not_allow_are_found(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let case = open_case(&url).await;
    let (code, out, _) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("every event follows the rules it was decided by (1 case events of 1 cases"),
        "{out}"
    );

    // A facilitator grants themself administration, straight into the store.
    let store = Store::open(&url).await.unwrap();
    let at = chrono::Utc::now();
    let forged_role = NewEvent::new(
        Uuid::now_v7(),
        "RoleGranted",
        &json!({ "role": "admin" }),
        Metadata::for_command("jaan", Uuid::now_v7(), at),
    )
    .unwrap();
    store
        .append(
            &StreamName::new("actor-jaan").unwrap(),
            ExpectedRevision::Any,
            &[forged_role],
        )
        .await
        .unwrap();
    // And closes a case as fulfilled without a conference.
    let id = case_id(&url, &case).await;
    let forged_step = NewEvent::new(
        Uuid::now_v7(),
        "TransitionTaken",
        &json!({ "transition": "fulfilled", "from": "referred", "to": "closed-fulfilled", "closes": true, "outcome": "fulfilled" }),
        Metadata::for_command("mari", Uuid::now_v7(), at),
    )
    .unwrap();
    store
        .append(
            &StreamName::new(format!("case-{id}")).unwrap(),
            ExpectedRevision::Exact(0),
            &[forged_step],
        )
        .await
        .unwrap();
    store.close().await;

    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 4, "{out}");
    assert!(
        out.starts_with("the hash chain holds"),
        "the hashes are right: {out}"
    );
    assert!(
        out.contains("(actor-jaan, revision 1, RoleGranted): the rules refuse it: actor 'jaan' lacks role 'admin' needed to administer actors"),
        "{out}"
    );
    assert!(
        out.contains(&format!("(case-{id}, revision 1, TransitionTaken): the rules refuse it: unknown transition 'fulfilled' in state 'referred'")),
        "{out}"
    );
    assert!(
        err.starts_with("integrity failure: 2 event(s) the rules would not have allowed"),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Moving the chain's start and removing every hash (then editing an event)
/// once passed as "written before the chain existed": now events without a
/// hash are a finding, in the store and in an export.
async fn a_chain_downgrade_is_found_in_the_store_and_in_an_export(backend: Backend) {
    let (url, dir, pg) = setup(backend).await;
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let export = dir.path().join("clean.jsonl");
    export_to(&url, &export).await;

    let raw = kroonika_tests::TestStore::attach(&url, backend);
    raw.drop_append_only_triggers().await;
    let backdate = match backend {
        Backend::Sqlite => {
            "UPDATE events SET recorded_at = recorded_at - 86400000000 WHERE position = 3"
        }
        Backend::Postgres => {
            "UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE position = 3"
        }
    };
    for sql in [
        "UPDATE store_info SET value = '1000000' WHERE key = 'chain_from'",
        "UPDATE events SET hash = NULL",
        backdate,
    ] {
        raw.raw_execute(sql).await.unwrap();
    }
    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(
        err.contains("have no hash, so nothing proves they were not rewritten"),
        "{err}"
    );
    let (_, json, _) = kroonika(&url, None, &["audit", "verify", "--format", "json"]).await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["verified"], false);

    // The same done to an export: the header's chain start moved, every hash
    // removed, an event's time changed.
    let text = std::fs::read_to_string(&export).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[0]["chain_from"] = json!(1_000_000);
    for line in lines.iter_mut().skip(1) {
        if line.get("hash").is_some() {
            line["hash"] = serde_json::Value::Null;
        }
    }
    lines[2]["recorded_at"] = json!("2020-01-01T00:00:00Z");
    let forged = dir.path().join("forged.jsonl");
    let forged_text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&forged, forged_text.join("\n") + "\n").unwrap();
    let copy = format!("sqlite://{}", dir.path().join("copy.db").display());
    let (code, out, err) = kroonika(&copy, None, &["import", forged.to_str().unwrap()]).await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("forged.jsonl line 2"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");

    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// An export ends with a trailer (events, head, a digest of the key lines):
/// a file cut short, added to, or with its key lines removed, changed or
/// duplicated is refused naming the line, and nothing is imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exports_carry_their_own_proof() {
    let (url, dir, _) = setup(Backend::Sqlite).await;
    let dir = dir.unwrap();
    open_case(&url).await;
    open_case(&url).await;
    let export = dir.path().join("whole.jsonl");
    export_to(&url, &export).await;
    let text = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.last().unwrap().starts_with(r#"{"trailer":"#),
        "{}",
        lines.last().unwrap()
    );
    let keys: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].starts_with(r#"{"subject_key":"#))
        .collect();
    assert!(keys.len() >= 2, "{keys:?}");
    let trailer = lines.len() - 1;

    let mut n = 0;
    let mut import = |content: Vec<u8>| {
        n += 1;
        let file = dir.path().join(format!("try-{n}.jsonl"));
        std::fs::write(&file, content).unwrap();
        let target = format!(
            "sqlite://{}",
            dir.path().join(format!("copy-{n}.db")).display()
        );
        async move {
            let (code, _, err) = kroonika(&target, None, &["import", file.to_str().unwrap()]).await;
            (code, err)
        }
    };
    let join = |lines: &[&str]| (lines.join("\n") + "\n").into_bytes();

    let (code, err) = import(text.clone().into_bytes()).await;
    assert_eq!(code, 0, "{err}");

    // Cut short at a line boundary, among the events.
    let (code, err) = import(join(&lines[..10])).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("line 10: the export ends here without its trailer"),
        "{err}"
    );
    // A key line removed.
    let mut without: Vec<&str> = lines.clone();
    without.remove(keys[0]);
    let (code, err) = import(join(&without)).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("the subject key lines are not the ones exported"),
        "{err}"
    );
    // A key marked erased.
    let erased = lines[keys[1]].replace(
        r#""erased_at":null"#,
        r#""erased_at":"2026-01-01T00:00:00Z""#,
    );
    assert_ne!(erased, lines[keys[1]]);
    let mut changed: Vec<&str> = lines.clone();
    changed[keys[1]] = &erased;
    let (code, err) = import(join(&changed)).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("the subject key lines are not the ones exported"),
        "{err}"
    );
    // Two key lines swapped.
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(keys[0], keys[1]);
    let (code, err) = import(join(&swapped)).await;
    assert_eq!(code, 4, "{err}");
    // A key line twice.
    let mut twice: Vec<&str> = lines.clone();
    twice.insert(keys[0], lines[keys[0]]);
    let (code, err) = import(join(&twice)).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("line {}: subject", keys[0] + 2)),
        "{err}"
    );
    assert!(
        err.contains(&format!("has a key line already (line {})", keys[0] + 1)),
        "{err}"
    );
    // The trailer's count changed.
    let recounted = lines[trailer].replacen(r#""events":"#, r#""events":1"#, 1);
    let mut counted: Vec<&str> = lines.clone();
    counted[trailer] = &recounted;
    let (code, err) = import(join(&counted)).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&format!("line {}: the trailer says", trailer + 1)),
        "{err}"
    );
    // A line after the trailer.
    let mut added: Vec<&str> = lines.clone();
    added.push(lines[keys[0]]);
    let (code, err) = import(join(&added)).await;
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&format!(
            "line {}: a line after the trailer",
            lines.len() + 1
        )),
        "{err}"
    );
    // Bytes that are not UTF-8, named by line.
    let mut bytes = join(&lines[..3]);
    bytes.extend_from_slice(b"{\"position\":\xff}\n");
    let (code, err) = import(bytes).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 4:"), "{err}");
    // An export from before the trailer.
    let old = lines[0].replace(r#""version":2"#, r#""version":1"#);
    let mut older: Vec<&str> = lines.clone();
    older[0] = &old;
    let (code, err) = import(join(&older)).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("version 1 has no trailer"), "{err}");
}

/// A key erased without an erasure event, a key copied from another subject,
/// a key row deleted: each is a finding naming the subject and case.
async fn subject_keys_are_accounted_for_by_the_log(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    for _ in 0..4 {
        open_case(&url).await;
    }
    let (code, out, err) = kroonika(&url, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let raw = kroonika_tests::TestStore::attach(&url, backend);
    let store = Store::open(&url).await.unwrap();
    let keys = store.subject_keys(None).await.unwrap();
    store.close().await;
    assert!(keys.len() >= 4, "{keys:?}");
    let id = |k: &kroonika_store::SubjectKeyRow| match backend {
        Backend::Sqlite => format!("'{}'", k.subject),
        Backend::Postgres => format!("'{}'::uuid", k.subject),
    };
    for sql in [
        format!(
            "UPDATE subject_keys SET wrapped = NULL, erased_at = created_at WHERE subject = {}",
            id(&keys[0])
        ),
        format!(
            "UPDATE subject_keys SET wrapped = (SELECT wrapped FROM subject_keys WHERE subject = {}) WHERE subject = {}",
            id(&keys[3]),
            id(&keys[1])
        ),
        format!("DELETE FROM subject_keys WHERE subject = {}", id(&keys[2])),
    ] {
        raw.raw_execute(&sql).await.unwrap();
    }
    let (code, out, err) = kroonika(&url, None, &["audit", "verify", "--format", "json"]).await;
    assert_eq!(code, 4, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verified"], false);
    let text = json["subject_keys"].to_string();
    let (k0, k1, k2, k3) = (&keys[0], &keys[1], &keys[2], &keys[3]);
    let expected = [
        format!(
            "subject {} (victim, {}) has no key, but no SubjectErased event erased it",
            k0.subject, k0.stream
        ),
        format!(
            "subject {} ({}): the log seals data under it, but its key row is gone",
            k2.subject, k2.stream
        ),
    ];
    for finding in expected {
        assert!(text.contains(&finding), "{finding} not in {text}");
    }
    let copied = json["subject_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with("a key was copied"))
        .unwrap_or_else(|| panic!("no copied key in {text}"));
    for subject in [k1.subject, k3.subject] {
        assert!(copied.contains(&subject.to_string()), "{copied}");
    }
    assert!(
        err.contains("subject key(s) the log does not account for"),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// An attacker with the database rewrites history and recomputes every hash
/// after the change, or cuts the log back: the chain still holds, but a
/// checkpoint signed with the auditor's key (kept apart) catches both, in the
/// store and in an export.
async fn signed_checkpoints_catch_what_the_chain_cannot(backend: Backend) {
    let (url, dir, pg) = setup(backend).await;
    let dir = dir.unwrap_or_else(|| tempfile::tempdir().unwrap());
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    open_case(&url).await;
    let (code, out, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "keygen",
            "auditor.example/aino",
            "--out",
            &path("aino.key"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("auditor.example/aino+"), "{out}");
    // Never over an existing key.
    let (code, _, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "keygen",
            "auditor.example/aino",
            "--out",
            &path("aino.key"),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    let signed = kroonika(
        &url,
        None,
        &[
            "audit",
            "checkpoint",
            "--key",
            &path("aino.key"),
            "--out",
            &path("cp"),
        ],
    )
    .await;
    assert_eq!(signed.0, 0, "{signed:?}");
    let note = std::fs::read_to_string(path("cp")).unwrap();
    let position: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    assert!(note.contains("\n\n— auditor.example/aino "), "{note}");
    open_case(&url).await;
    let verify = |extra: &'static [&'static str]| {
        let url = url.clone();
        let (cp, key) = (path("cp"), path("aino.key.pub"));
        async move {
            let mut args = vec!["audit", "verify", "--checkpoint", &cp, "--key", &key];
            args.extend_from_slice(extra);
            kroonika(&url, None, &args).await
        }
    };
    let (code, out, err) = verify(&[]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("the checkpoint auditor.example/aino signed at"),
        "{out}"
    );
    assert!(
        out.contains(&format!("extends its {position} events")),
        "{out}"
    );
    // The signing key is not what checks; a changed note does not verify.
    let (code, _, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "verify",
            "--checkpoint",
            &path("cp"),
            "--key",
            &path("aino.key"),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("that is a signing key"), "{err}");
    std::fs::write(
        path("changed"),
        note.replacen(
            &format!("\n{position}\n"),
            &format!("\n{}\n", position - 1),
            1,
        ),
    )
    .unwrap();
    let (code, _, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "verify",
            "--checkpoint",
            &path("changed"),
            "--key",
            &path("aino.key.pub"),
        ],
    )
    .await;
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("does not verify"), "{err}");
    export_to(&url, &dir.path().join("whole.jsonl")).await;

    // Rewritten history with every later hash recomputed: the chain holds,
    // the checkpoint does not.
    let raw = kroonika_tests::TestStore::attach(&url, backend);
    raw.drop_append_only_triggers().await;
    let store = Store::open(&url).await.unwrap();
    let mut rows = store.read_chain(1, 100_000).await.unwrap();
    store.close().await;
    let target = rows
        .iter()
        .position(|r| r.event_type == "ActorRegistered" && r.data.contains("\"mari\""))
        .unwrap();
    rows[target].data = rows[target].data.replace("coordinator", "auditor");
    let mut previous = if target == 0 {
        kroonika_store::chain::GENESIS
    } else {
        rows[target - 1].hash.unwrap()
    };
    for row in rows.iter_mut().skip(target) {
        let hash = kroonika_store::chain::event_hash(&previous, &row.content());
        row.hash = Some(hash);
        previous = hash;
        let hex = kroonika_store::chain::to_hex(&hash);
        let literal = match backend {
            Backend::Sqlite => format!("X'{hex}'"),
            Backend::Postgres => format!("'\\x{hex}'::bytea"),
        };
        raw.raw_execute(&format!(
            "UPDATE events SET data = '{}', hash = {literal} WHERE position = {}",
            row.data.replace('\'', "''"),
            row.position
        ))
        .await
        .unwrap();
    }
    let (_, out, _) = kroonika(&url, None, &["audit", "verify", "--format", "json"]).await;
    let plain: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(plain["broken"].is_null(), "the chain alone holds: {plain}");
    let (code, out, err) = verify(&["--format", "json"]).await;
    assert_eq!(code, 4, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["checkpoints"][0]["holds"], false, "{json}");
    assert!(
        json["checkpoints"][0]["why"]
            .as_str()
            .unwrap()
            .contains("history up to it was rewritten"),
        "{json}"
    );

    // Cut back to before the checkpoint: the chain holds, the checkpoint does not.
    raw.raw_execute(&format!("DELETE FROM events WHERE position >= {position}"))
        .await
        .unwrap();
    let (code, out, err) = verify(&[]).await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("it was cut back"), "{err}");

    // An export is checked against a checkpoint before anything is imported.
    let import_with = |file: &'static str, target: &'static str| {
        let (cp, key, file, target) = (
            path("cp"),
            path("aino.key.pub"),
            path(file),
            format!("sqlite://{}", path(target)),
        );
        async move {
            kroonika(
                &target,
                None,
                &["import", &file, "--checkpoint", &cp, "--key", &key],
            )
            .await
        }
    };
    let (code, out, err) = import_with("whole.jsonl", "good.db").await;
    assert_eq!(code, 0, "{out}{err}");
    export_to(&url, &dir.path().join("cut.jsonl")).await;
    let (code, out, err) = import_with("cut.jsonl", "cut.db").await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("it was cut back"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");

    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// The case list shows a case closed with an agreement, every wake-up is
/// deleted: `audit verify --derived` folds both again from the log and names
/// the difference; `projections status` shows what an interrupted rebuild
/// left behind.
async fn derived_state_is_checked_against_the_log(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    open_case(&url).await;
    open_case(&url).await;
    let (code, out, err) = kroonika(&url, Some("mari"), &["case", "list"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let derived = || kroonika(&url, None, &["audit", "verify", "--derived"]);
    let (code, out, err) = derived().await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("every projection and wake-up is what the log gives"),
        "{out}"
    );

    let raw = kroonika_tests::TestStore::attach(&url, backend);
    let forged = match backend {
        Backend::Sqlite => {
            r#"UPDATE projection_docs SET doc = replace(doc, '"state":"referred"', '"state":"closed-agreed"') WHERE projection = 'case-list'"#
        }
        Backend::Postgres => {
            r#"UPDATE projection_docs SET doc = replace(doc::text, '"state":"referred"', '"state":"closed-agreed"')::json WHERE projection = 'case-list'"#
        }
    };
    raw.raw_execute(forged).await.unwrap();
    let (code, out, err) = derived().await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("projection case-list"), "{err}");
    assert!(
        err.contains(r#"'state' is stored as "closed-agreed", but the log gives "referred""#),
        "{err}"
    );
    assert!(err.contains("projections rebuild case-list"), "{err}");
    let (code, out, err) = kroonika(&url, None, &["projections", "rebuild", "case-list"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = derived().await;
    assert_eq!(code, 0, "{out}{err}");

    raw.raw_execute("DELETE FROM timers").await.unwrap();
    let (code, out, err) = derived().await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("2 wake-ups differ from the log"), "{err}");
    assert!(
        err.contains("no wake-up is stored (it would never fire)"),
        "{err}"
    );
    let (_, json, _) = kroonika(
        &url,
        None,
        &["audit", "verify", "--derived", "--format", "json"],
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["verified"], false);
    assert_eq!(json["derived"].as_array().unwrap().len(), 1, "{json}");
    assert!(err.contains("`kroonika timers repair`"), "{err}");
    // Only an administrator repairs; then they are what the log gives.
    let (code, _, err) = kroonika(&url, Some("mari"), &["timers", "repair"]).await;
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = kroonika(&url, Some("anu"), &["timers", "repair"]).await;
    assert_eq!(
        (code, out.as_str()),
        (0, "2 wake-up(s) set from the log\n"),
        "{err}"
    );
    let (code, out, err) = derived().await;
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = kroonika(&url, Some("anu"), &["timers", "repair"]).await;
    assert_eq!(
        out,
        "every wake-up is what the log gives; nothing to repair\n"
    );

    let leftover = match backend {
        Backend::Sqlite => {
            "INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ('case-list#rebuild', 3, 0)"
        }
        Backend::Postgres => {
            "INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ('case-list#rebuild', 3, now())"
        }
    };
    raw.raw_execute(leftover).await.unwrap();
    let (code, out, err) = kroonika(&url, None, &["projections", "status"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("case-list#rebuild"), "{out}");
    assert!(
        out.contains("left by a rebuild that did not finish"),
        "{out}"
    );
    let (code, out, err) = kroonika(&url, None, &["projections", "rebuild", "case-list"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let (_, out, _) = kroonika(&url, None, &["projections", "status"]).await;
    assert!(!out.contains("case-list#rebuild"), "{out}");

    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// An actor event changed into something that does not read: every decision
/// refuses with an integrity failure (exit 4), while an auditor can still open
/// the store and `audit verify` names the place.
async fn an_unreadable_event_stops_decisions_not_the_audit(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let raw = kroonika_tests::TestStore::attach(&url, backend);
    raw.drop_append_only_triggers().await;
    assert_eq!(
        kroonika(
            &url,
            Some("anu"),
            &["actor", "add", "aino", "--role", "auditor"]
        )
        .await
        .0,
        0
    );
    raw.raw_execute(
        r#"UPDATE events SET data = '{"nonsense":1}' WHERE stream = 'actor-mari' AND revision = 0"#,
    )
    .await
    .unwrap();
    let (code, out, err) = kroonika(
        &url,
        Some("anu"),
        &["actor", "add", "x", "--role", "coordinator"],
    )
    .await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(err.contains("of stream 'actor-mari'"), "{err}");
    assert!(err.contains("audit verify"), "{err}");
    let (code, out, err) = kroonika(&url, Some("aino"), &["audit", "verify"]).await;
    assert_eq!(code, 4, "{out}{err}");
    assert!(
        err.contains(
            "stream actor-mari, revision 0, ActorRegistered) was changed after it was written"
        ),
        "{err}"
    );
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// `kroonika serve --checkpoint-key … --checkpoint-dir …` signs a checkpoint of
/// the verified log when it starts (and on its schedule after, when the log
/// moved); each one verifies with the key's public half.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_publishes_checkpoints() {
    let (url, dir, _) = setup(Backend::Sqlite).await;
    let dir = dir.unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    open_case(&url).await;
    let (code, _, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "keygen",
            "server.example/kroonika",
            "--out",
            &path("server.key"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let served = crate::server::Served::start(
        &url,
        &[
            "--checkpoint-key",
            &path("server.key"),
            "--checkpoint-dir",
            &path("checkpoints"),
        ],
        &[],
    )
    .await;
    let mut found = None;
    for _ in 0..200 {
        found = std::fs::read_dir(path("checkpoints"))
            .ok()
            .and_then(|mut files| {
                files.find_map(|f| {
                    let f = f.ok()?.path();
                    (f.extension()? == "note").then_some(f)
                })
            });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    served.signal("TERM");
    let (_, log) = served.wait().await;
    let found = found.unwrap_or_else(|| panic!("no checkpoint was signed; the log: {log}"));
    assert!(log.contains("checkpoint signed"), "{log}");
    let (code, out, err) = kroonika(
        &url,
        None,
        &[
            "audit",
            "verify",
            "--checkpoint",
            found.to_str().unwrap(),
            "--key",
            &path("server.key.pub"),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("the checkpoint server.example/kroonika signed at"),
        "{out}"
    );
}

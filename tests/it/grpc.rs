//! The event store protocol (`kroonika serve --grpc`) driven by unmodified
//! official clients: the `kurrentdb` Rust crate here, in-process, and the
//! Python `kurrentdbclient` (`tests/e2e/grpc_client.py`), both over TLS with
//! a certificate made on the spot. The checks follow the Rust client's own
//! `tests/api/streams.rs` where they apply to Kroonika, then what is
//! Kroonika's own: who may append and read what, denials in the access log,
//! case streams read as ciphertext, `audit verify` passing over foreign
//! events, and a server killed with SIGKILL mid-append leaving whole batches.

use std::collections::HashMap;
use std::time::Duration;

use kroonika_tests::Backend;
use kurrentdb::{
    Client, EventData, ReadAllOptions, ReadEvent, ReadStreamOptions, StreamMetadataBuilder,
    StreamPosition, StreamState, SubscribeToAllOptions, SubscribeToStreamOptions,
    SubscriptionEvent, SubscriptionFilter,
};

use crate::server::{Served, Stage, VICTIM};

/// A store with the server's people, plus `intake` (a program granted the
/// `referral` and `filter` categories) and `warehouse` (an auditor, which may
/// read the whole log), and a TLS certificate for 127.0.0.1.
struct Grpc {
    stage: Stage,
    _dir: tempfile::TempDir,
    ca: String,
    served: Served,
}

impl Grpc {
    async fn start(backend: Backend) -> Option<Grpc> {
        let stage = Stage::new(backend).await?;
        stage
            .cli(
                Some("anu"),
                &["actor", "add", "intake", "--role", "coordinator"],
            )
            .await;
        stage
            .cli(
                Some("anu"),
                &["actor", "add", "warehouse", "--role", "auditor"],
            )
            .await;
        let dir = tempfile::tempdir().unwrap();
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
        let served = stage
            .serve(&[
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
                "--grpc",
                "127.0.0.1:0",
                "--grpc-grant",
                "intake=referral,filter",
                "--grpc-grant",
                "warehouse=referral",
            ])
            .await;
        Some(Grpc {
            stage,
            ca: cert.to_str().unwrap().to_owned(),
            _dir: dir,
            served,
        })
    }

    /// The connection string for `actor` with `token`.
    fn url(&self, actor: &str, token: &str) -> String {
        let grpc = self
            .served
            .grpc
            .as_deref()
            .expect("the server listens for gRPC");
        let with_user = grpc.replacen("kurrentdb://", &format!("kurrentdb://{actor}:{token}@"), 1);
        format!("{with_user}&tlsCaFile={}", self.ca)
    }

    async fn client(&self, actor: &str) -> Client {
        let token = self.stage.token(actor).await;
        Client::new(self.url(actor, &token).parse().unwrap()).unwrap()
    }
}

fn fresh(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

fn events(event_type: &str, n: usize) -> Vec<EventData> {
    (1..=n)
        .map(|i| EventData::json(event_type, &serde_json::json!({ "event_index": i })).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_official_rust_client_appends_reads_and_subscribes_on_sqlite() {
    let grpc = Grpc::start(Backend::Sqlite).await.unwrap();
    rust_client_checks(&grpc).await;
    grpc.stage.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_official_rust_client_appends_reads_and_subscribes_on_postgres() {
    let Some(grpc) = Grpc::start(Backend::Postgres).await else {
        return;
    };
    rust_client_checks(&grpc).await;
    grpc.stage.cleanup().await;
}

async fn rust_client_checks(grpc: &Grpc) {
    let intake = grpc.client("intake").await;
    let warehouse = grpc.client("warehouse").await;
    let info = intake.server_info().await.unwrap();
    assert!(info.version() >= (23, 10), "{}", info.version());

    // Writing events: revisions from 0, positions as commit = prepare.
    let stream = fresh("referral");
    let written = intake
        .append_to_stream(stream.as_str(), &Default::default(), events("Referred", 3))
        .await
        .unwrap();
    assert_eq!(written.next_expected_version, 2);
    assert_eq!(written.position.prepare, written.position.commit);

    // Reading it back: the data as sent, created today, the log position.
    let mut read = intake
        .read_stream(stream.as_str(), &Default::default())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(event) = read.next().await.unwrap() {
        let event = event.get_original_event();
        assert_eq!(event.created.date_naive(), chrono::Utc::now().date_naive());
        let data: HashMap<String, i64> = event.as_json().unwrap();
        seen.push((event.revision, data["event_index"], event.position));
    }
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].0, 2);
    assert_eq!(seen[2].1, 3);
    assert_eq!(seen[2].2, written.position);

    // Forwards from the start ends with the stream's last position.
    let options = ReadStreamOptions::default()
        .forwards()
        .position(StreamPosition::Start);
    let mut read = intake.read_stream(stream.as_str(), &options).await.unwrap();
    let mut last = None;
    while let Some(event) = read.next_read_event().await.unwrap() {
        if let ReadEvent::LastStreamPosition(p) = event {
            last = Some(p);
        }
    }
    assert_eq!(last, Some(2));

    // Backwards, two.
    let options = ReadStreamOptions::default()
        .backwards()
        .position(StreamPosition::End)
        .max_count(2);
    let mut read = intake.read_stream(stream.as_str(), &options).await.unwrap();
    let mut revisions = Vec::new();
    while let Some(event) = read.next().await.unwrap() {
        revisions.push(event.get_original_event().revision);
    }
    assert_eq!(revisions, vec![2, 1]);

    // A wrong expected version is a result the client reads, nothing written.
    let wrong = intake
        .append_to_stream(
            stream.as_str(),
            &kurrentdb::AppendToStreamOptions::default()
                .stream_state(StreamState::StreamRevision(7)),
            events("Referred", 1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, kurrentdb::Error::WrongExpectedVersion { .. }),
        "{wrong:?}"
    );
    let wrong = intake
        .append_to_stream(
            stream.as_str(),
            &kurrentdb::AppendToStreamOptions::default().stream_state(StreamState::NoStream),
            events("Referred", 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        wrong,
        kurrentdb::Error::WrongExpectedVersion { .. }
    ));

    // Idempotent by event id: the same events again write nothing.
    let same: Vec<EventData> = events("Retried", 2)
        .into_iter()
        .map(|e| e.id(uuid::Uuid::new_v4()))
        .collect();
    let once = intake
        .append_to_stream(stream.as_str(), &Default::default(), same.clone())
        .await
        .unwrap();
    let twice = intake
        .append_to_stream(stream.as_str(), &Default::default(), same)
        .await
        .unwrap();
    assert_eq!(once.position, twice.position);
    assert_eq!(once.next_expected_version, 4);
    assert_eq!(twice.next_expected_version, 4);

    // A stream that does not exist is not found.
    let mut missing = intake
        .read_stream(fresh("referral").as_str(), &Default::default())
        .await
        .unwrap();
    assert!(matches!(
        missing.next().await,
        Err(kurrentdb::Error::ResourceNotFound)
    ));

    // Stream metadata: set, read back; absent where none was set.
    let expected = StreamMetadataBuilder::new()
        .max_age(Duration::from_secs(2))
        .build();
    intake
        .set_stream_metadata(stream.as_str(), &Default::default(), &expected)
        .await
        .unwrap();
    let actual = intake
        .get_stream_metadata(stream.as_str(), &Default::default())
        .await
        .unwrap();
    match actual {
        kurrentdb::StreamMetadataResult::Success(actual) => {
            assert_eq!(&expected, actual.metadata());
        }
        other => panic!("metadata not read back: {other:?}"),
    }
    let other = fresh("referral");
    intake
        .append_to_stream(other.as_str(), &Default::default(), events("Referred", 1))
        .await
        .unwrap();
    assert!(
        intake
            .get_stream_metadata(other.as_str(), &Default::default())
            .await
            .unwrap()
            .is_not_found()
    );

    // A soft delete hides the stream from stream reads; appending again
    // brings it back with revisions continuing; the events stay in $all.
    intake
        .delete_stream(other.as_str(), &Default::default())
        .await
        .unwrap();
    let mut gone = intake
        .read_stream(other.as_str(), &Default::default())
        .await
        .unwrap();
    assert!(matches!(
        gone.next().await,
        Err(kurrentdb::Error::ResourceNotFound)
    ));
    let again = intake
        .append_to_stream(
            other.as_str(),
            &kurrentdb::AppendToStreamOptions::default().stream_state(StreamState::NoStream),
            events("Referred", 1),
        )
        .await
        .unwrap();
    assert_eq!(again.next_expected_version, 1);
    let mut back = intake
        .read_stream(other.as_str(), &Default::default())
        .await
        .unwrap();
    let mut kept = Vec::new();
    while let Some(event) = back.next().await.unwrap() {
        kept.push(event.get_original_event().revision);
    }
    assert_eq!(kept, vec![1]);

    // A tombstone ends the stream for good.
    let dead = fresh("referral");
    intake
        .append_to_stream(dead.as_str(), &Default::default(), events("Referred", 1))
        .await
        .unwrap();
    intake
        .tombstone_stream(dead.as_str(), &Default::default())
        .await
        .unwrap();
    let read = intake.read_stream(dead.as_str(), &Default::default()).await;
    assert!(
        matches!(read, Err(kurrentdb::Error::ResourceDeleted)),
        "{:?}",
        read.err()
    );
    let append = intake
        .append_to_stream(dead.as_str(), &Default::default(), events("Referred", 1))
        .await;
    assert!(
        matches!(append, Err(kurrentdb::Error::ResourceDeleted)),
        "{append:?}"
    );

    // A catch-up subscription to a stream: history, caught up, then live,
    // with no gap and no repeat.
    let followed = fresh("referral");
    intake
        .append_to_stream(followed.as_str(), &Default::default(), events("Before", 3))
        .await
        .unwrap();
    let mut sub = intake
        .subscribe_to_stream(
            followed.as_str(),
            &SubscribeToStreamOptions::default().start_from(StreamPosition::Start),
        )
        .await;
    let mut got = Vec::new();
    let mut caught_up = false;
    let writer = intake.clone();
    let name = followed.clone();
    let live = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        writer
            .append_to_stream(name.as_str(), &Default::default(), events("After", 3))
            .await
            .unwrap();
    });
    while got.len() < 6 {
        match tokio::time::timeout(Duration::from_secs(30), sub.next_subscription_event())
            .await
            .expect("the subscription delivers within 30 s")
            .unwrap()
        {
            SubscriptionEvent::EventAppeared(event) => {
                let event = event.get_original_event();
                got.push((event.revision, event.event_type.clone()));
            }
            SubscriptionEvent::CaughtUp(_) => caught_up = true,
            _ => {}
        }
    }
    live.await.unwrap();
    assert!(caught_up);
    let revisions: Vec<u64> = got.iter().map(|(r, _)| *r).collect();
    assert_eq!(revisions, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(got[3].1, "After");

    // Batch appends: three streams, three events each.
    let batch = intake.batch_append(&Default::default()).await.unwrap();
    for _ in 0..3 {
        let stream = fresh("referral");
        batch
            .append_to_stream(stream.as_str(), StreamState::Any, events("Batched", 3))
            .await
            .unwrap();
        let mut read = intake
            .read_stream(stream.as_str(), &Default::default())
            .await
            .unwrap();
        let mut n = 0;
        while read.next().await.unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
    }

    // $all is the auditor's: filtered by event type (prefix, regex) and by
    // stream name (prefix), as the client's own test reads it.
    let unique = format!("filter-test-{}", uuid::Uuid::new_v4().simple());
    let prefix = format!("filter-{}", uuid::Uuid::new_v4().simple());
    let (one, two) = (format!("{prefix}-one"), format!("{prefix}-two"));
    let (included, excluded) = (format!("{unique}-include"), format!("{unique}-exclude"));
    let data = |t: &str, i: i64| EventData::json(t, &serde_json::json!({ "index": i })).unwrap();
    intake
        .append_to_stream(
            one.as_str(),
            &Default::default(),
            vec![data(&included, 1), data(&excluded, 2), data(&included, 3)],
        )
        .await
        .unwrap();
    intake
        .append_to_stream(
            two.as_str(),
            &Default::default(),
            vec![data(&included, 4), data(&included, 5)],
        )
        .await
        .unwrap();
    let count = |filter: SubscriptionFilter| {
        let warehouse = warehouse.clone();
        let (one, two) = (one.clone(), two.clone());
        async move {
            let options = ReadAllOptions::default().filter(filter).max_count(100);
            let mut read = warehouse.read_all(&options).await.unwrap();
            let mut n = 0;
            while let Some(event) = read.next().await.unwrap() {
                let stream = event.get_original_stream_id();
                if stream == one || stream == two {
                    n += 1;
                }
            }
            n
        }
    };
    assert_eq!(
        count(SubscriptionFilter::on_event_type().add_prefix(&included)).await,
        4
    );
    assert_eq!(
        count(SubscriptionFilter::on_stream_name().add_prefix(&prefix)).await,
        5
    );
    assert_eq!(
        count(SubscriptionFilter::on_event_type().regex(format!("{unique}.*include"))).await,
        4
    );

    // Subscribing to $all without system events: the first is not '$…'.
    let mut all = warehouse
        .subscribe_to_all(
            &SubscribeToAllOptions::default()
                .position(StreamPosition::Start)
                .filter(SubscriptionFilter::on_event_type().exclude_system_events()),
        )
        .await;
    let first = tokio::time::timeout(Duration::from_secs(30), all.next())
        .await
        .unwrap()
        .unwrap();
    assert!(!first.get_original_event().event_type.starts_with('$'));
    // ... and it starts with Kroonika's own first event.
    assert_eq!(first.get_original_event().position.commit, 1);

    // Forwards from a position includes it; backwards from it reads before it.
    let at = ReadAllOptions::default()
        .position(StreamPosition::Position(written.position))
        .max_count(1);
    let mut read = warehouse.read_all(&at).await.unwrap();
    let event = read.next().await.unwrap().unwrap();
    assert_eq!(event.get_original_event().position, written.position);
    let before = ReadAllOptions::default()
        .position(StreamPosition::Position(written.position))
        .backwards()
        .max_count(1);
    let mut read = warehouse.read_all(&before).await.unwrap();
    let event = read.next().await.unwrap().unwrap();
    assert_eq!(
        event.get_original_event().position.commit,
        written.position.commit - 1
    );

    // Reading everything backwards and forwards agrees on the head.
    let mut back = warehouse
        .read_all(
            &ReadAllOptions::default()
                .position(StreamPosition::End)
                .backwards()
                .max_count(1),
        )
        .await
        .unwrap();
    let head = back.next().await.unwrap().unwrap();
    assert!(head.get_original_event().position.commit > 20);

    security_checks(grpc, &intake, &warehouse).await;
}

/// Who may append and read what, and that refusals are recorded.
async fn security_checks(grpc: &Grpc, intake: &Client, warehouse: &Client) {
    // Kroonika's own streams are written only through its rules.
    let own = intake
        .append_to_stream(
            format!("case-{}", uuid::Uuid::new_v4()).as_str(),
            &Default::default(),
            events("CaseOpened", 1),
        )
        .await
        .unwrap_err();
    assert!(own.is_access_denied(), "{own:?}");
    // A category not granted.
    let other = intake
        .append_to_stream(
            fresh("payments").as_str(),
            &Default::default(),
            events("Paid", 1),
        )
        .await
        .unwrap_err();
    assert!(other.is_access_denied(), "{other:?}");
    // $all is not intake's to read.
    let all = intake.read_all(&Default::default()).await;
    let denied = match all {
        Err(err) => err.is_access_denied(),
        Ok(mut read) => read.next().await.is_err_and(|e| e.is_access_denied()),
    };
    assert!(denied);
    // No credentials, a wrong token, a token under someone else's name.
    let token = grpc.stage.token("intake").await;
    for url in [
        grpc.url("intake", "kroonika_nope_nope"),
        grpc.url("warehouse", &token),
        grpc.served
            .grpc
            .clone()
            .unwrap()
            .replace("?tls=true", &format!("?tls=true&tlsCaFile={}", grpc.ca)),
    ] {
        let client = Client::new(url.parse().unwrap()).unwrap();
        let refused = client
            .append_to_stream(
                fresh("referral").as_str(),
                &Default::default(),
                events("X", 1),
            )
            .await
            .unwrap_err();
        assert!(refused.is_access_denied(), "{url}: {refused:?}");
    }
    // The denials are in the access log, named as what was tried.
    let access = grpc.stage.log("access").await;
    let text = serde_json::to_string(&access).unwrap();
    assert!(
        text.contains("grpc batch append") || text.contains("grpc append"),
        "{text}"
    );
    assert!(text.contains("grpc read"), "{text}");

    // A case stream reads as ciphertext: the victim's name is nowhere.
    let reference = crate::case_cli::open_named(
        &grpc.stage.url,
        VICTIM,
        crate::server::PHONE,
        "2026-11-20",
        "2026-11-20T10:00:00Z",
    )
    .await;
    assert!(reference.contains('-'), "{reference}");
    let mut read = warehouse
        .read_all(
            &ReadAllOptions::default()
                .filter(SubscriptionFilter::on_stream_name().add_prefix("case-")),
        )
        .await
        .unwrap();
    let mut cases = 0;
    while let Some(event) = read.next().await.unwrap() {
        let event = event.get_original_event();
        let data = String::from_utf8_lossy(&event.data).into_owned();
        assert!(!data.contains("Kadri"), "plaintext over gRPC: {data}");
        cases += 1;
    }
    assert!(cases > 0);

    // Foreign events are chained like any other: the log verifies.
    let verified = grpc.stage.cli(Some("aili"), &["audit", "verify"]).await;
    assert!(verified.contains("the hash chain holds"), "{verified}");

    // Bytes that are not HTTP/2 on the port: the connection is dropped, the
    // server carries on.
    let address = grpc
        .served
        .grpc
        .as_deref()
        .unwrap()
        .trim_start_matches("kurrentdb://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let garbage = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut socket = std::net::TcpStream::connect(address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let _ = socket.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0, 0, 0, 7, 7, 7]);
        let mut buffer = [0u8; 64];
        let _ = socket.read(&mut buffer);
    });
    garbage.await.unwrap();
    warehouse.read_all(&Default::default()).await.unwrap();
}

/// An export carries foreign events byte for byte; the import verifies them
/// and reads them back the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn foreign_events_survive_export_and_import() {
    let grpc = Grpc::start(Backend::Sqlite).await.unwrap();
    let intake = grpc.client("intake").await;
    let stream = fresh("referral");
    intake
        .append_to_stream(
            stream.as_str(),
            &Default::default(),
            vec![
                EventData::binary("Scan", vec![0u8, 1, 2, 255].into())
                    .metadata(b"scanner-7".to_vec().into()),
                EventData::json("Referred", &serde_json::json!({"from": "police"})).unwrap(),
            ],
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.jsonl");
    grpc.stage
        .cli(
            Some("aili"),
            &["export", "--output", file.to_str().unwrap()],
        )
        .await;
    let target = format!("sqlite://{}", dir.path().join("copy.db").display());
    let (code, _, err) =
        crate::support::kroonika_on(&target, None, &["import", file.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    let log = |url: String| async move {
        let (code, out, err) = crate::support::kroonika_on(
            &url,
            None,
            &["log", "--category", "referral", "--format", "json"],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        out
    };
    let (before, after) = (log(grpc.stage.url.clone()).await, log(target.clone()).await);
    assert_eq!(before, after);
    assert!(before.contains("\"binary\":\"AAEC/w==\""), "{before}");
    assert!(before.contains("\"content_type\":\"application/octet-stream\""));
    assert!(
        before.contains("\"custom_metadata\":\"c2Nhbm5lci03\""),
        "{before}"
    );
    let (code, verified, err) =
        crate::support::kroonika_on(&target, None, &["audit", "verify"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(verified.contains("the hash chain holds"), "{verified}");
    grpc.stage.cleanup().await;
}

/// The Python client's run (`tests/e2e/grpc_client.py`), with the Python of
/// `KROONIKA_E2E_PYTHON` (`.ci/run` installs kurrentdbclient into it);
/// skipped, saying so, without it, and failing when
/// `KROONIKA_REQUIRE_BROWSER` says the end-to-end Python must be there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_official_python_client_appends_reads_and_subscribes() {
    let python = std::env::var("KROONIKA_E2E_PYTHON").ok().filter(|python| {
        std::process::Command::new(python)
            .args(["-c", "import kurrentdbclient"])
            .status()
            .is_ok_and(|s| s.success())
    });
    let Some(python) = python else {
        assert!(
            std::env::var_os("KROONIKA_REQUIRE_BROWSER").is_none(),
            "KROONIKA_REQUIRE_BROWSER is set but KROONIKA_E2E_PYTHON names no Python with kurrentdbclient"
        );
        use std::io::Write;
        let _ = std::io::stderr().write_all(
            b"note: Python event store client test skipped: set KROONIKA_E2E_PYTHON to a Python with kurrentdbclient (.ci/run makes one)\n",
        );
        return;
    };
    let grpc = Grpc::start(Backend::Sqlite).await.unwrap();
    let intake = grpc.stage.token("intake").await;
    let warehouse = grpc.stage.token("warehouse").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e/grpc_client.py");
    let mut command = std::process::Command::new(python);
    command
        .arg(script)
        .env("INTAKE", grpc.url("intake", &intake))
        .env("WAREHOUSE", grpc.url("warehouse", &warehouse));
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "the Python client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // What it appended is in the log, chained, and the log verifies.
    let referrals = grpc.stage.log("referral").await;
    assert_eq!(referrals.len(), 5, "{referrals:?}");
    let verified = grpc.stage.cli(Some("aili"), &["audit", "verify"]).await;
    assert!(verified.contains("the hash chain holds"), "{verified}");
    grpc.stage.cleanup().await;
}

/// A server killed with SIGKILL while clients append batches of three keeps
/// only whole batches, and the log verifies after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_append_keeps_whole_batches() {
    let grpc = Grpc::start(Backend::Sqlite).await.unwrap();
    let token = grpc.stage.token("intake").await;
    let url = grpc.url("intake", &token);
    let mut writers = Vec::new();
    for _ in 0..4 {
        let client = Client::new(url.parse().unwrap()).unwrap();
        writers.push(tokio::spawn(async move {
            let mut done = 0u32;
            for _ in 0..500 {
                let stream = fresh("referral");
                if client
                    .append_to_stream(stream.as_str(), &Default::default(), events("Referred", 3))
                    .await
                    .is_err()
                {
                    break;
                }
                done += 1;
            }
            done
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    grpc.served.signal("KILL");
    let mut acknowledged = 0;
    for writer in writers {
        acknowledged += writer.await.unwrap();
    }
    assert!(
        acknowledged > 0,
        "no append was acknowledged before the kill"
    );
    let Grpc { stage, served, .. } = grpc;
    let _ = served.wait().await;
    // Every referral stream holds a whole batch, and every acknowledged one is there.
    let referrals = stage.log("referral").await;
    let mut per_stream: HashMap<String, usize> = HashMap::new();
    for event in &referrals {
        *per_stream
            .entry(event["stream"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(per_stream.values().all(|n| *n == 3), "{per_stream:?}");
    assert!(per_stream.len() >= acknowledged as usize);
    let verified = stage.cli(Some("aili"), &["audit", "verify"]).await;
    assert!(verified.contains("the hash chain holds"), "{verified}");
    stage.cleanup().await;
}

/// A grant of Kroonika's own category, or one that does not parse, stops the
/// server before it listens, saying which grant and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_grants_stop_the_server_before_it_listens() {
    let stage = Stage::new(Backend::Sqlite).await.unwrap();
    for (grant, says) in [
        ("intake=case", "'case' is Kroonika's own category"),
        ("intake", "expected ACTOR=CATEGORY"),
        ("intake=refer ral", "'refer ral' is not a category"),
    ] {
        let (code, out, err) = crate::support::kroonika_on(
            &stage.url,
            None,
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--grpc",
                "127.0.0.1:0",
                "--grpc-grant",
                grant,
            ],
        )
        .await;
        assert_eq!(code, 1, "{grant}: {out}{err}");
        assert!(err.contains(says), "{grant}: {err}");
        assert!(!out.contains("listening"), "{out}");
    }
    stage.cleanup().await;
}

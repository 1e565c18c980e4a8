//! Crashes: the real `kroonika` binary killed with SIGKILL at random points
//! while it opens cases (appends), imports a log, rebuilds projections or
//! erases data subjects, many times, on both backends. Afterwards the store
//! holds whole commands only: every reference names its case, a retried
//! command id finds its case or opens it (once), no subject key exists that
//! no event names, an import is there whole, wake-ups included, or not at
//! all, a projection is the old one or the rebuilt one, an erasure is its key
//! destroyed together with its event or neither, a case listing several
//! people has every one's key and index entries or none; and `audit verify
//! --derived` finds nothing.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kroonika_tests::{Backend, TestStore};
use uuid::Uuid;

use crate::binary::binary;
use crate::case_cli::setup;
use crate::support::{json_lines, kroonika_on as kroonika, pg_key_file};

crate::store::per_backend!(
    killed_openings_leave_whole_cases_only,
    killed_imports_leave_all_or_nothing,
    killed_rebuilds_leave_a_whole_projection,
    killed_erasures_leave_key_and_event_together,
    killed_openings_with_several_people_keep_their_keys_whole,
);

/// Kills per test and backend: enough to land before, inside and after the
/// write, few enough to keep the suite quick.
const ROUNDS: usize = 24;

/// Cases in the log an import is killed in.
const OPENED: usize = 300;

/// A small deterministic generator, so a failing round can be run again.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Where the kills landed, for whoever reads the test's output.
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: {text}");
}

/// `kroonika --db URL [--master-key-file F] ARGS…` as a child process.
pub(crate) fn child(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command.args(["--db", url]);
    if url.starts_with("postgres") {
        command.args(["--master-key-file", pg_key_file()]);
    }
    command
        .args(args)
        .env_remove("KROONIKA_DB")
        .env_remove("KROONIKA_ACTOR")
        .env_remove("KROONIKA_MASTER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `command` and kills it (SIGKILL) after `after`, unless it ended
/// first. Returns whether it was killed.
async fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut running = command.spawn().unwrap();
    tokio::time::sleep(after).await;
    let killed = running.try_wait().unwrap().is_none();
    let _ = running.kill();
    let _ = running.wait();
    killed
}

fn opening(id: Uuid) -> Vec<String> {
    [
        "--actor",
        "mari",
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
        "victim_phone=5555 1234",
        "--occurred-at",
        "2026-11-20",
        "--command-id",
        &id.to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

async fn killed_openings_leave_whole_cases_only(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    binary();
    // How long one opening takes here, to spread the kills over it.
    let args = opening(Uuid::now_v7());
    let started = Instant::now();
    let done = child(&url, &args.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let took = started.elapsed().as_micros() as u64;
    let mut rng = Lcg(0x6b72_6f6f_6e69_6b61);
    let mut by_command: BTreeMap<Uuid, String> = BTreeMap::new();
    let (mut killed, mut committed_first) = (0, 0);
    for _ in 0..ROUNDS {
        let id = Uuid::now_v7();
        let args = opening(id);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let after = Duration::from_micros(rng.below(took));
        if kill_after(child(&url, &args), after).await {
            killed += 1;
        }
        // The retry with the same id finds the case, or opens it.
        let retry = child(&url, &args).output().unwrap();
        let out = String::from_utf8_lossy(&retry.stdout).into_owned();
        assert!(
            retry.status.success(),
            "{out}{}",
            String::from_utf8_lossy(&retry.stderr)
        );
        let reference = match out.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["opened", reference, ..] => reference.to_string(),
            ["already", "opened:", reference, ..] => {
                committed_first += 1;
                reference.to_string()
            }
            _ => panic!("{out}"),
        };
        by_command.insert(id, reference);
    }
    note(&format!(
        "{backend:?}: {killed} of {ROUNDS} openings killed while running, {committed_first} had committed"
    ));
    // Every reference names an opened case with that reference, once.
    let (_, refs, _) = kroonika(
        &url,
        None,
        &["log", "--category", "caseref", "--format", "json"],
    )
    .await;
    let (_, cases, _) = kroonika(
        &url,
        None,
        &["log", "--category", "case", "--format", "json"],
    )
    .await;
    let opened: BTreeMap<String, String> = json_lines(&cases)
        .iter()
        .filter(|e| e["type"] == "CaseOpened")
        .map(|e| {
            (
                e["stream"].as_str().unwrap().to_owned(),
                e["data"]["reference"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let allocated = json_lines(&refs);
    assert_eq!(allocated.len(), opened.len(), "one reference per case");
    for allocation in &allocated {
        let stream = format!("case-{}", allocation["data"]["case_id"].as_str().unwrap());
        assert_eq!(
            opened.get(&stream).map(String::as_str),
            allocation["data"]["reference"].as_str(),
            "{allocation}"
        );
    }
    // Each command id opened exactly one case: the one its retry named.
    for (id, reference) in &by_command {
        let mine: Vec<_> = allocated
            .iter()
            .filter(|a| a["metadata"]["command_id"] == id.to_string())
            .collect();
        assert_eq!(mine.len(), 1, "command {id}");
        assert_eq!(mine[0]["data"]["reference"], reference.as_str());
    }
    // No key that no event names.
    let store = kroonika_store::Store::open(&url).await.unwrap();
    let keys = store.subject_keys(None).await.unwrap();
    for key in &keys {
        assert!(
            opened.contains_key(&key.stream),
            "key of {} orphaned",
            key.stream
        );
    }
    assert_eq!(
        keys.len(),
        opened.len(),
        "the victim's key of each case opened"
    );
    // Nor a search index entry: each case's name and phone, no more, no less.
    assert_eq!(
        store.index_size().await.unwrap(),
        2 * opened.len() as u64,
        "two index entries for each case opened"
    );
    store.close().await;
    let (code, _, err) = kroonika(&url, None, &["audit", "verify", "--derived"]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// How many events and wake-ups a store holds (None: no usable store).
async fn contents(url: &str) -> Option<(u64, usize)> {
    let store = kroonika_store::Store::open(url).await.ok()?;
    let head = store.head_position().await.ok()?;
    let timers = store.all_timers().await.ok()?.len();
    store.close().await;
    Some((head, timers))
}

/// Opens `count` cases in-process (quicker than the binary), returning their
/// references.
async fn open_many(backend: Backend, url: &str, count: usize) -> Vec<String> {
    let app = kroonika_app::App::open(url, crate::app::options(backend, url))
        .await
        .unwrap();
    let mut references = Vec::with_capacity(count);
    for _ in 0..count {
        let open = kroonika_app::CaseCommand::Open {
            open: "school-conference".to_owned(),
            input: kroonika_app::Input::texts([
                ("referral_source", "school"),
                ("referred_on", "2026-11-19"),
                ("minor_involved", "false"),
                ("victim_name", "Mari Maasikas"),
                ("victim_phone", "5555 1234"),
            ]),
        };
        let outcome = app
            .execute(&kroonika_app::Request::new("mari", "case open"), None, open)
            .await
            .unwrap();
        references.push(outcome.reference().to_owned());
    }
    app.close().await;
    references
}

async fn killed_imports_leave_all_or_nothing(backend: Backend) {
    let (url, dir, pg) = setup(backend).await;
    // Enough history that an import takes a while.
    open_many(backend, &url, OPENED).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap().to_owned();
    let (code, _, err) = kroonika(&url, None, &["export", "--output", &path]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    let expected = contents(&url).await.unwrap();
    assert_eq!(expected.1, OPENED, "each open case has a wake-up");
    binary();
    // How long one import takes here.
    let (target, _target_dir, target_pg) = TestStore::fresh_url(backend).await.unwrap();
    let started = Instant::now();
    let done = child(&target, &["import", &path]).output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let took = started.elapsed().as_micros() as u64;
    assert_eq!(contents(&target).await, Some(expected));
    let mut rng = Lcg(0x696d_706f_7274);
    let mut targets = vec![target_pg];
    let (mut whole_at_kill, mut killed) = (0, 0);
    for _ in 0..ROUNDS / 2 {
        let (target, target_dir, target_pg) = TestStore::fresh_url(backend).await.unwrap();
        targets.push(target_pg);
        let after = Duration::from_micros(rng.below(took));
        if kill_after(child(&target, &["import", &path]), after).await {
            killed += 1;
        }
        match contents(&target).await {
            // Whole: every event, every wake-up.
            Some((head, _)) if head > 0 => {
                assert_eq!(contents(&target).await, Some(expected));
                whole_at_kill += 1;
            }
            // Nothing: the import runs again, whole.
            _ => {
                let again = child(&target, &["import", &path]).output().unwrap();
                assert!(
                    again.status.success(),
                    "{}",
                    String::from_utf8_lossy(&again.stderr)
                );
                assert_eq!(contents(&target).await, Some(expected));
            }
        }
        drop(target_dir);
    }
    note(&format!(
        "{backend:?}: {killed} of {} imports killed while running, {whole_at_kill} had committed",
        ROUNDS / 2
    ));
    drop(dir);
    for (base, schema) in targets.into_iter().flatten().chain(pg) {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// Runs `args` once to learn how long it takes, in microseconds.
fn timed(url: &str, args: &[&str]) -> u64 {
    let started = Instant::now();
    let done = child(url, args).output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    started.elapsed().as_micros() as u64
}

/// `audit verify --derived` must find nothing.
async fn verifies_whole(url: &str, after: &str) {
    let (code, out, err) = kroonika(url, None, &["audit", "verify", "--derived"]).await;
    assert_eq!(code, 0, "after {after}: {out}{err}");
}

/// A rebuild folds under a staging name and swaps it in: killed anywhere, the
/// projection readers see is the old one or the new one, whole; what the
/// staging name kept is shown, and the next rebuild clears it.
async fn killed_rebuilds_leave_a_whole_projection(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    open_many(backend, &url, OPENED).await;
    binary();
    let rebuild = ["projections", "rebuild"];
    let took = timed(&url, &rebuild);
    let mut rng = Lcg(0x0072_6562_7569_6c64);
    let mut killed = 0;
    for round in 0..ROUNDS / 2 {
        let after = Duration::from_micros(rng.below(took));
        if kill_after(child(&url, &rebuild), after).await {
            killed += 1;
        }
        verifies_whole(&url, &format!("rebuild kill {round}")).await;
    }
    note(&format!(
        "{backend:?}: {killed} of {} rebuilds killed while running",
        ROUNDS / 2
    ));
    timed(&url, &rebuild);
    let (_, status, _) = kroonika(&url, None, &["projections", "status"]).await;
    assert!(!status.contains("#rebuild"), "{status}");
    verifies_whole(&url, "the last rebuild").await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// An erasure destroys the subject's key and records `SubjectErased` in one
/// write: killed anywhere, both happened or neither (the audit accounts for
/// every key), and running it again finishes it.
async fn killed_erasures_leave_key_and_event_together(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let cases = open_many(backend, &url, ROUNDS / 2 + 1).await;
    binary();
    let forget = |case: &str| {
        vec![
            "--actor".to_owned(),
            "anu".to_owned(),
            "subject".to_owned(),
            "forget".to_owned(),
            format!("{case}/victim"),
            "--reason".to_owned(),
            "request of the data subject".to_owned(),
        ]
    };
    let first = forget(&cases[0]);
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let took = timed(&url, &first);
    let mut rng = Lcg(0x0065_7261_7365);
    let mut killed = 0;
    for case in &cases[1..] {
        let args = forget(case);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if kill_after(child(&url, &args), Duration::from_micros(rng.below(took))).await {
            killed += 1;
        }
        verifies_whole(&url, &format!("an erasure of {case} killed")).await;
        // Again: erased now, or already (which is not an error either).
        let again = child(&url, &args).output().unwrap();
        assert!(
            again.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
    }
    note(&format!(
        "{backend:?}: {killed} of {} erasures killed while running",
        cases.len() - 1
    ));
    let store = kroonika_store::Store::open(&url).await.unwrap();
    let keys = store.subject_keys(None).await.unwrap();
    store.close().await;
    let victims_left = keys
        .iter()
        .filter(|k| k.name == "victim" && k.wrapped.is_some())
        .count();
    assert_eq!(victims_left, 0, "every victim erased in the end");
    verifies_whole(&url, "the erasures").await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// A mediation opened with three further parties (five data subjects, one
/// key each, six searchable values), under command id `id`.
fn opening_with_people(id: Uuid) -> Vec<String> {
    let people = r#"parties=[{"role": "victim", "name": "Kristjan Kuusk", "contact": "+372 5123 4567", "minor": true}, {"role": "representative", "name": "Malle Kuusk", "represents": "parties-1"}, {"role": "participant", "name": "Tiina Tamm"}]"#;
    let id = id.to_string();
    let mut args = vec!["--actor", "mari"];
    args.extend(crate::parties::school_conflict(&[people]));
    args.extend(["--command-id", &id]);
    args.into_iter().map(str::to_owned).collect()
}

async fn killed_openings_with_several_people_keep_their_keys_whole(backend: Backend) {
    let (url, _dir, pg) = crate::support::bundled_store(
        backend,
        &["partners", "mediation"],
        &[("mari", "coordinator")],
    )
    .await;
    binary();
    let args = opening_with_people(Uuid::now_v7());
    let took = timed(&url, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut rng = Lcg(0x7061_7274_6965_7321);
    let mut killed = 0;
    for _ in 0..ROUNDS {
        let args = opening_with_people(Uuid::now_v7());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if kill_after(child(&url, &args), Duration::from_micros(rng.below(took))).await {
            killed += 1;
        }
        let retry = child(&url, &args).output().unwrap();
        assert!(
            retry.status.success(),
            "{}",
            String::from_utf8_lossy(&retry.stderr)
        );
    }
    note(&format!(
        "{backend:?}: {killed} of {ROUNDS} openings with several people killed while running"
    ));
    let (_, cases, _) = kroonika(
        &url,
        None,
        &[
            "log",
            "--category",
            "case",
            "--format",
            "json",
            "--limit",
            "1000",
        ],
    )
    .await;
    let opened: Vec<String> = json_lines(&cases)
        .iter()
        .filter(|e| e["type"] == "CaseOpened")
        .map(|e| e["stream"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        opened.len(),
        ROUNDS + 1,
        "each command opened its case once"
    );
    // Every case has the keys of all five of its subjects, no key is
    // orphaned, and the index has each case's six searchable values.
    let store = kroonika_store::Store::open(&url).await.unwrap();
    let keys = store.subject_keys(None).await.unwrap();
    for stream in &opened {
        let mut names: Vec<&str> = keys
            .iter()
            .filter(|k| &k.stream == stream)
            .map(|k| k.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["offender", "parties-1", "parties-2", "parties-3", "victim"],
            "{stream}"
        );
    }
    assert_eq!(
        keys.len(),
        5 * opened.len(),
        "no key outside an opened case"
    );
    assert_eq!(store.index_size().await.unwrap(), 6 * opened.len() as u64);
    store.close().await;
    verifies_whole(&url, "the openings with several people").await;
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

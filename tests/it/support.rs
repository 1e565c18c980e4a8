//! The one place the tests run the `kroonika` command (in-process).

/// A master key file shared by the PostgreSQL tests (each test schema registers
/// it on first use). SQLite stores get the key file `kroonika init` makes.
pub(crate) fn pg_key_file() -> &'static str {
    static FILE: std::sync::OnceLock<tempfile::TempPath> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, "ab".repeat(32).as_bytes()).unwrap();
        file.into_temp_path()
    })
    .to_str()
    .unwrap()
}

/// Runs `kroonika ARGS…`; returns (exit code, stdout, stderr). On a PostgreSQL
/// store the shared test master key is given unless the arguments name one.
pub(crate) async fn kroonika(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let on_postgres = args
        .windows(2)
        .any(|w| w[0] == "--db" && w[1].starts_with("postgres"));
    let mut args = args.to_vec();
    if on_postgres && !args.contains(&"--master-key-file") {
        args.splice(0..0, ["--master-key-file", pg_key_file()]);
    }
    let argv = std::iter::once("kroonika").chain(args.iter().copied());
    // Boxed: a test awaits many commands, and each inline would grow its
    // future past a test thread's stack.
    let code = Box::pin(kroonika_cli::run(argv, &mut out, &mut err)).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Runs `kroonika --db URL [--actor A] ARGS…`.
pub(crate) async fn kroonika_on(
    url: &str,
    actor: Option<&str>,
    args: &[&str],
) -> (u8, String, String) {
    let mut argv = vec!["--db", url];
    if let Some(actor) = actor {
        argv.extend(["--actor", actor]);
    }
    argv.extend(args.iter().copied());
    kroonika(&argv).await
}

/// Output of a `--format json` command that prints one JSON object per line.
pub(crate) fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One field (as text) of each line of JSON-lines output: `type` of each event, say.
pub(crate) fn field_of_lines(text: &str, field: &str) -> Vec<String> {
    json_lines(text)
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs several `kroonika` commands on `url` at once, as several people
/// would: (actor, arguments) each; returns each one's (exit code, stdout,
/// stderr), in the order given.
pub(crate) async fn at_once(
    url: &str,
    runs: Vec<(&str, Vec<String>)>,
) -> Vec<(u8, String, String)> {
    let tasks: Vec<_> = runs
        .into_iter()
        .map(|(actor, args)| {
            let (url, actor) = (url.to_owned(), actor.to_owned());
            tokio::spawn(async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                kroonika_on(&url, Some(&actor), &args).await
            })
        })
        .collect();
    let mut done = Vec::new();
    for task in tasks {
        done.push(task.await.unwrap());
    }
    done
}

/// A fresh store on `backend` with administrator `anu`, service owner
/// `tiina`, the bundled `processes` published (file names without `.yaml`,
/// in order) and `people` registered with one role each: its URL, and what
/// keeps it alive (the SQLite directory; the PostgreSQL base URL and schema,
/// for `kroonika_tests::drop_schema`).
pub(crate) async fn bundled_store(
    backend: kroonika_tests::Backend,
    processes: &[&str],
    people: &[(&str, &str)],
) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    use crate::hours::ok;
    let (url, dir, pg) = kroonika_tests::TestStore::fresh_url(backend).await.unwrap();
    ok(&url, "anu", &["init", "--admin", "anu"]).await;
    ok(
        &url,
        "anu",
        &["actor", "add", "tiina", "--role", "service-owner"],
    )
    .await;
    for process in processes {
        let path = format!("../processes/{process}.yaml");
        ok(&url, "tiina", &["def", "publish", &path]).await;
    }
    for (name, role) in people {
        ok(&url, "anu", &["actor", "add", name, "--role", role]).await;
    }
    (url, dir, pg)
}

/// Replayed against the rules, the store's whole history conforms (and its
/// chain holds).
pub(crate) async fn conforms(url: &str) {
    let (code, out, err) = kroonika_on(url, None, &["audit", "verify", "--format", "json"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verified["conformance"]["findings"], serde_json::json!([]));
}

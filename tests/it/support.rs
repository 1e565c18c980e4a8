//! The one place the tests run the `kroonika` command (in-process).

/// Runs `kroonika ARGS…`; returns (exit code, stdout, stderr).
pub(crate) async fn kroonika(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("kroonika").chain(args.iter().copied());
    let code = kroonika_cli::run(argv, &mut out, &mut err).await;
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

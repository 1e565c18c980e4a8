//! Actors and published definitions, through the CLI, on both backends.

use kroonika_tests::{Backend, TestStore};

use crate::support::kroonika_on as kroonika;

const MEDIATION: &str = "../processes/mediation.yaml";

/// One CLI call and what it must answer: actor, arguments, exit code, stdout, stderr.
type Case<'a> = (Option<&'a str>, &'a [&'a str], u8, &'a str, &'a str);

crate::store::per_backend!(
    actors_and_roles,
    publishing_versions,
    concurrent_publishes_get_distinct_versions
);

async fn setup(backend: Backend) -> (String, Option<tempfile::TempDir>, Option<(String, String)>) {
    let (url, dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    let (code, out, err) = kroonika(&url, None, &["init", "--admin", "anu"]).await;
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(
        out.ends_with("registered the first administrator: anu\n"),
        "{out}"
    );
    for (name, role) in [("tiina", "service-owner"), ("mari", "coordinator")] {
        let (code, _, err) =
            kroonika(&url, Some("anu"), &["actor", "add", name, "--role", role]).await;
        assert_eq!((code, err.as_str()), (0, ""));
    }
    (url, dir, pg)
}

async fn cleanup(pg: Option<(String, String)>) {
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

async fn actors_and_roles(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let cases: [Case<'_>; 9] = [
        (
            Some("anu"),
            &["actor", "grant", "mari", "mediator"],
            0,
            "granted: mari (coordinator, mediator)\n",
            "",
        ),
        (
            Some("anu"),
            &["actor", "grant", "mari", "mediator"],
            0,
            "unchanged: mari (coordinator, mediator)\n",
            "",
        ),
        (
            Some("anu"),
            &["actor", "revoke", "mari", "mediator"],
            0,
            "revoked: mari (coordinator)\n",
            "",
        ),
        (
            Some("anu"),
            &["actor", "revoke", "mari", "mediator"],
            1,
            "",
            "rejected: actor 'mari' does not hold role 'mediator'\n",
        ),
        (
            Some("anu"),
            &["actor", "add", "mari"],
            1,
            "",
            "rejected: actor 'mari' is registered already; grant roles with `actor grant`\n",
        ),
        (
            Some("anu"),
            &["actor", "revoke", "anu", "admin"],
            1,
            "",
            "rejected: an administrator cannot revoke their own 'admin' role; ask another administrator\n",
        ),
        (
            Some("mari"),
            &["actor", "add", "jaan", "--role", "mediator"],
            1,
            "",
            "rejected: actor 'mari' lacks role 'admin' needed to administer actors (has: coordinator)\n",
        ),
        (
            Some("ghost"),
            &["actor", "list"],
            1,
            "",
            "rejected: unknown actor 'ghost'; an administrator registers actors with `kroonika actor add`\n",
        ),
        (
            None,
            &["actor", "list"],
            1,
            "",
            "rejected: say who is acting: --actor NAME (or set KROONIKA_ACTOR)\n",
        ),
    ];
    for (actor, args, code, out, err) in cases {
        let got = kroonika(&url, actor, args).await;
        assert_eq!(
            got,
            (code, out.to_owned(), err.to_owned()),
            "{actor:?} {args:?}"
        );
    }
    let (code, out, _) = kroonika(&url, Some("anu"), &["actor", "list", "--format", "json"]).await;
    assert_eq!(code, 0);
    let listed: Vec<(String, String, bool)> = crate::support::json_lines(&out)
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["roles"].to_string(),
                a["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("anu".to_owned(), r#"["admin"]"#.to_owned(), true),
            ("mari".to_owned(), r#"["coordinator"]"#.to_owned(), true),
            ("tiina".to_owned(), r#"["service-owner"]"#.to_owned(), true),
        ]
    );
    let (code, _, err) = kroonika(&url, Some("nobody"), &["log"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: unknown actor 'nobody'; an administrator registers actors with `kroonika actor add`\n"
        )
    );
    let (code, _, err) = kroonika(&url, None, &["init", "--admin", "bob"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rejected: the store has actors already; an administrator adds more with `kroonika actor add`\n"
    );
    // Actor changes are events like any other.
    let (_, log, _) = kroonika(
        &url,
        None,
        &["log", "--category", "actor", "--format", "json"],
    )
    .await;
    let types = crate::support::field_of_lines(&log, "type");
    assert_eq!(
        types,
        [
            "ActorRegistered",
            "ActorRegistered",
            "ActorRegistered",
            "RoleGranted",
            "RoleRevoked"
        ]
    );
    cleanup(pg).await;
}

async fn publishing_versions(backend: Backend) {
    let (url, dir, pg) = setup(backend).await;
    let scratch = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(MEDIATION).unwrap();
    let changed_path = scratch.path().join("mediation.yaml");
    std::fs::write(
        &changed_path,
        format!("{original}# A comment makes a new version.\n"),
    )
    .unwrap();
    let changed = changed_path.to_str().unwrap();

    let (code, out, err) = kroonika(&url, Some("tiina"), &["def", "publish", MEDIATION]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.starts_with("published mediation version 1 (sha256:"),
        "{out}"
    );
    let (code, out, _) = kroonika(&url, Some("tiina"), &["def", "publish", MEDIATION]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "mediation is unchanged: identical to the published version 1; no new version\n"
    );
    let (code, out, _) = kroonika(&url, Some("anu"), &["def", "publish", changed]).await;
    assert_eq!(code, 0, "an administrator may publish too");
    assert!(out.starts_with("published mediation version 2"), "{out}");

    let (code, _, err) = kroonika(&url, Some("mari"), &["def", "publish", MEDIATION]).await;
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rejected: actor 'mari' lacks role 'service-owner' or 'admin' needed to publish definitions (has: coordinator)\n"
    );
    let broken = "data/definitions/broken/13-unknown-state.yaml";
    let (code, out, err) = kroonika(&url, Some("tiina"), &["def", "publish", broken]).await;
    assert_eq!(code, 1);
    assert!(
        out.contains("unknown-state") && out.contains("did you mean 'meeting'?"),
        "{out}"
    );
    assert_eq!(
        err,
        format!("rejected: {broken} has errors (shown above) and was not published\n")
    );

    let (code, out, _) =
        kroonika(&url, None, &["def", "show", "mediation", "--version", "1"]).await;
    assert_eq!(code, 0);
    assert!(out.contains(" by            tiina\n"), "{out}");
    assert!(
        out.ends_with(&original),
        "version 1 keeps the original text exactly"
    );
    let (code, out, _) = kroonika(&url, None, &["def", "list", "--format", "json"]).await;
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (listed["process"].as_str(), listed["version"].as_u64()),
        (Some("mediation"), Some(2))
    );
    let (code, _, err) =
        kroonika(&url, None, &["def", "show", "mediation", "--version", "3"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: process 'mediation' has no version 3; its versions are 1 to 2\n"
        )
    );
    let (code, _, err) = kroonika(&url, None, &["def", "show", "medation"]).await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: no process 'medation' is published; did you mean 'mediation'? `kroonika def list` shows what is\n"
        )
    );

    let (code, by_name, _) =
        kroonika(&url, None, &["def", "graph", "mediation", "--version", "1"]).await;
    assert_eq!(code, 0);
    let (_, from_file, _) = kroonika(&url, None, &["def", "graph", MEDIATION]).await;
    assert_eq!(by_name, from_file);
    drop(dir);
    cleanup(pg).await;
}

/// Four service owners publish four different texts at once: every one becomes
/// a version, numbered 1 to 4 without a gap or a duplicate (conflicting appends
/// are decided again on the fresh history).
async fn concurrent_publishes_get_distinct_versions(backend: Backend) {
    let (url, _dir, pg) = setup(backend).await;
    let scratch = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(MEDIATION).unwrap();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let path = scratch.path().join(format!("mediation-{i}.yaml"));
        std::fs::write(&path, format!("{original}# variant {i}\n")).unwrap();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            kroonika(
                &url,
                Some("tiina"),
                &["def", "publish", path.to_str().unwrap()],
            )
            .await
        }));
    }
    let mut versions = Vec::new();
    for task in tasks {
        let (code, out, err) = task.await.unwrap();
        assert_eq!((code, err.as_str()), (0, ""), "{out}");
        let version: u32 = out.split_whitespace().nth(3).unwrap().parse().unwrap();
        versions.push(version);
    }
    versions.sort_unstable();
    assert_eq!(versions, [1, 2, 3, 4]);
    cleanup(pg).await;
}

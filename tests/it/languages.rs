//! `--lang`: a definition's words and the CLI's own in Estonian and English,
//! snapshotted for `def show`, `case show` and a report; and nothing changes
//! when no language is asked for.

use kroonika_tests::{Backend, TestStore};

use crate::support::kroonika_on as kroonika;

use crate::hours::ok;

/// Times, ids and the definition's hash (which changes with the bundled
/// file, shown wrapped over two lines) replaced.
fn steady(text: &str, case_id: &str) -> String {
    let mut hash_wraps = false;
    text.lines()
        .filter_map(|line| {
            let wrapped = std::mem::take(&mut hash_wraps);
            if line.contains("sha256:") {
                hash_wraps = true;
                let at = line.find("sha256:").unwrap_or(0);
                return Some(line[..at].to_owned() + "<hash>");
            }
            (!wrapped).then(|| line.to_owned())
        })
        .map(|line| {
            let line = line.replace(case_id, "<case id>");
            if line.contains("avaldatud") || line.contains("published") {
                let at = line
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(line.len());
                line[..at].to_owned() + "<time>"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The overview and header of `def show`, without the source.
fn header_and_overview(text: &str) -> String {
    text.split("\nlähtetekst\n")
        .next()
        .unwrap()
        .split("\nsource\n")
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_cli_speaks_estonian_and_english_when_asked() {
    let (url, _dir, _) = TestStore::fresh_url(Backend::Sqlite).await.unwrap();
    let url = url.as_str();
    ok(url, "anu", &["init", "--admin", "anu"]).await;
    for (name, role) in [
        ("tiina", "service-owner"),
        ("mari", "coordinator"),
        ("kaja", "crisis-volunteer"),
    ] {
        ok(url, "anu", &["actor", "add", name, "--role", role]).await;
    }
    let publish = ["def", "publish", "../processes/crisis-support.yaml"];
    ok(url, "tiina", &publish).await;
    let opened = crate::hours::open_crisis(url, "fire").await;
    let reference = opened.split_whitespace().nth(1).unwrap().to_owned();
    let case_id = opened
        .split("(case ")
        .nth(1)
        .unwrap()
        .trim_end()
        .trim_end_matches(')')
        .to_owned();
    for (step, at, sets) in [
        ("call-out", "2026-01-05T07:10:00Z", vec!["volunteers=kaja"]),
        ("arrived", "2026-01-05T08:15:00Z", vec![]),
    ] {
        let mut args = vec!["case", "do", &reference, step, "--occurred-at", at];
        for set in &sets {
            args.extend(["--set", set]);
        }
        ok(url, "mari", &args).await;
    }

    for lang in ["et", "en"] {
        let def = ok(
            url,
            "mari",
            &["--lang", lang, "def", "show", "crisis-support"],
        )
        .await;
        insta::assert_snapshot!(
            format!("def_show_{lang}"),
            steady(&header_and_overview(&def), &case_id)
        );
        let case = ok(url, "mari", &["--lang", lang, "case", "show", &reference]).await;
        insta::assert_snapshot!(format!("case_show_{lang}"), steady(&case, &case_id));
        let report = ok(
            url,
            "tiina",
            &[
                "--lang",
                lang,
                "report",
                "crisis-support",
                "--as-of",
                "2099-12-31",
            ],
        )
        .await;
        insta::assert_snapshot!(format!("report_{lang}"), report);
    }

    // Asked for nothing: ids and the source, as the CLI always showed them.
    let plain = ok(url, "mari", &["case", "show", &reference]).await;
    assert!(
        plain.contains(" state     on-site since 2026-01-05 08:15"),
        "{plain}"
    );
    let def = ok(url, "mari", &["def", "show", "crisis-support"]).await;
    assert!(
        def.contains(" by            tiina\n\n# Psychosocial"),
        "{def}"
    );
    // The language can come from the environment or the settings file too.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kroonika.toml");
    std::fs::write(&config, "lang = \"et\"\n").unwrap();
    let from_file = ok(
        url,
        "mari",
        &[
            "--config",
            config.to_str().unwrap(),
            "case",
            "show",
            &reference,
        ],
    )
    .await;
    assert!(from_file.contains(" seis "), "{from_file}");
    let (code, _, err) = kroonika(
        url,
        Some("mari"),
        &["--lang", "fi", "case", "show", &reference],
    )
    .await;
    assert_eq!(code, 2, "{err}");
}

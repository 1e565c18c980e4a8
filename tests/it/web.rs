//! The web application in a real browser: Debian's headless Chromium driven
//! by Python Playwright (`tests/e2e/web_flow.py`), every page checked with
//! axe-core. The Python with Playwright and axe comes from
//! `KROONIKA_E2E_PYTHON` (`.ci/run` makes that virtual environment); without
//! it the test says it is skipped, and fails when `KROONIKA_REQUIRE_BROWSER`
//! is set.

use std::io::Write as _;
use std::process::Stdio;

use kroonika_tests::Backend;
use serde_json::Value;

use crate::server::{PHONE, Stage, VICTIM};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The Python that has Playwright and axe, if configured.
pub(crate) fn e2e_python() -> Option<String> {
    match std::env::var("KROONIKA_E2E_PYTHON") {
        Ok(python) if !python.trim().is_empty() => Some(python),
        _ => {
            assert!(
                std::env::var_os("KROONIKA_REQUIRE_BROWSER").is_none(),
                "KROONIKA_REQUIRE_BROWSER is set but KROONIKA_E2E_PYTHON names no Python with Playwright"
            );
            let _ = std::io::stderr().write_all(
                b"note: web browser tests skipped: set KROONIKA_E2E_PYTHON to a Python with playwright and axe-playwright-python (.ci/run makes one)\n",
            );
            None
        }
    }
}

async fn set_password(stage: &Stage, actor: &str) {
    set_password_on(&stage.url, actor).await;
}

/// Sets `actor`'s password (as anu) on the store at `url`.
pub(crate) async fn set_password_on(url: &str, actor: &str) {
    let mut child = crate::crash::child(url, &["--actor", "anu", "actor", "password", actor])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let done = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

/// A coordinator signs in, opens a case with the form, is refused with the
/// rule's message, takes the step, keeps a note, shows personal data with a
/// purpose and finds the case by name; a facilitator ticks, unticks and
/// ticks a task; the service owner sees a broken definition's diagnostics,
/// publishes the fixed one, reads the migration plan and the report (and its
/// CSV); the administrator's page; an auditor verifies the log. My work, a
/// case and the report fit a phone's width. The log holds
/// every act, and the access log the reading and the search.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_work_in_the_browser() {
    let Some(python) = e2e_python() else { return };
    let stage = Stage::new(Backend::Sqlite).await.unwrap();
    for actor in ["mari", "jaan", "tiina", "aili", "anu"] {
        set_password(&stage, actor).await;
    }
    let served = stage.serve(&[]).await;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let base = served.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg("e2e/web_flow.py")
            .env("KROONIKA_BASE", base)
            .env("KROONIKA_PASSWORD", PASSWORD)
            .env("KROONIKA_SCREENSHOTS", &shots)
            .env("KROONIKA_VICTIM", VICTIM)
            .env("KROONIKA_PHONE", PHONE)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let log = served.stop().await;
    assert!(
        run.status.success(),
        "the browser run failed:\n{}\n{}\nthe server's log:\n{log}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let said: Value = serde_json::from_slice(&run.stdout).unwrap();
    let reference = said["reference"].as_str().unwrap();
    assert_eq!(said["checked"].as_array().unwrap().len(), 17, "{said}");
    let published = stage.log("definition").await;
    assert_eq!(
        (published.len(), published[1]["metadata"]["actor"].as_str()),
        (2, Some("tiina")),
        "the fixed definition published from the editor"
    );

    let events = stage.log("case").await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for expected in [
        "CaseOpened",
        "TransitionTaken",
        "NoteAdded",
        "TaskCompleted",
        "TaskUndone",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let actors: Vec<&str> = events
        .iter()
        .map(|e| e["metadata"]["actor"].as_str().unwrap())
        .collect();
    assert!(
        actors.contains(&"mari") && actors.contains(&"jaan"),
        "{actors:?}"
    );
    let access = stage
        .cli(None, &["audit", "access", "--format", "json"])
        .await;
    let rows = crate::support::json_lines(&access);
    for what in ["revealed", "searched"] {
        assert!(
            rows.iter()
                .any(|r| r["what"] == what && r["actor"] == "mari" && r["case"] == reference),
            "{what}: {access}"
        );
    }
    // Nothing personal in the server's log.
    for secret in [VICTIM, PHONE, "neljapäeval"] {
        assert!(!log.contains(secret), "'{secret}' in the server's log");
    }
    stage.cleanup().await;
}

/// Signs `name` in through the sign-in form; the session cookie to send.
/// A browser that does not follow redirects, and `name` signed in to the
/// server at `base` (of the store at `url`) with it: the session's cookie.
pub(crate) async fn browser_for(url: &str, base: &str, name: &str) -> (reqwest::Client, String) {
    set_password_on(url, name).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = signed_in(&browser, base, name).await;
    (browser, cookie)
}

/// A page as the person signed in with `cookie` sees it.
pub(crate) async fn page(browser: &reqwest::Client, url: &str, cookie: &str) -> String {
    let answer = browser.get(url).header("cookie", cookie).send().await;
    answer.unwrap().text().await.unwrap()
}

pub(crate) async fn signed_in(client: &reqwest::Client, base: &str, name: &str) -> String {
    let signed = client
        .post(format!("{base}/login"))
        .form(&[("name", name), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303, "{name} signs in");
    signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// The CSRF token a page's forms carry.
/// The page a form posted with `cookie` answers with (its text).
pub(crate) async fn posted(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> String {
    let answer = client.post(url).header("cookie", cookie).form(form).send();
    answer.await.unwrap().text().await.unwrap()
}

pub(crate) fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// Without a browser: a page without a session goes to sign in (and only
/// ever back to this site), a form without the session's token or from
/// another site's page is refused and changes nothing, and what a case holds
/// is escaped on the page, never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_refuse_forgery_and_escape_what_cases_hold() {
    let stage = Stage::new(Backend::Sqlite).await.unwrap();
    set_password(&stage, "mari").await;
    let served = stage.serve(&[]).await;
    let base = served.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = |r: &reqwest::Response| {
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };

    let anonymous = client.get(format!("{base}/work")).send().await.unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(location(&anonymous), "/login?next=/work");
    let signed = client
        .post(format!("{base}/login"))
        .form(&[
            ("name", "mari"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    assert_eq!(location(&signed), "/work", "never to another site");
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let wrong = client
        .post(format!("{base}/login"))
        .form(&[("name", "mari"), ("password", "not the password at all")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Vale kasutajanimi või parool")
    );

    // A case whose data holds markup.
    let hostile = "<script>alert(1)</script>";
    let reference = crate::case_cli::open_named(
        &stage.url,
        hostile,
        "+372 5123 4567",
        "2026-11-20",
        "2026-11-20",
    )
    .await;
    let page = client
        .get(format!("{base}/cases/{reference}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    let csrf = csrf_of(&html);
    let shown = posted(
        &client,
        &format!("{base}/cases/{reference}/reveal"),
        &cookie,
        &[("csrf", csrf.as_str()), ("purpose", "checking the page")],
    )
    .await;
    assert!(!shown.contains(hostile), "the markup is escaped");
    assert!(
        shown.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{shown}"
    );

    // Forged forms change nothing.
    let before = stage.log("case").await.len();
    for (token, origin) in [
        ("", None),
        ("forged", None),
        (csrf.as_str(), Some("https://evil.example")),
    ] {
        let mut request = client
            .post(format!("{base}/cases/{reference}/steps/withdraw"))
            .header("cookie", &cookie)
            .form(&[("csrf", token)]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), 403, "token {token:?}, origin {origin:?}");
    }
    assert_eq!(stage.log("case").await.len(), before);
    // The genuine form works.
    let done = client
        .post(format!("{base}/cases/{reference}/steps/withdraw"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), format!("/cases/{reference}"));
    assert_eq!(stage.log("case").await.len(), before + 1);

    // The administrator's page: for administrators only; a role granted
    // there is in the directory.
    let refused = client
        .get(format!("{base}/people"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "mari is no administrator");
    set_password(&stage, "anu").await;
    let admin_cookie = signed_in(&client, &base, "anu").await;
    let people = client
        .get(format!("{base}/people"))
        .header("cookie", &admin_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let admin_csrf = csrf_of(&people);
    let granted = client
        .post(format!("{base}/people/mari/roles"))
        .header("cookie", &admin_cookie)
        .form(&[
            ("csrf", admin_csrf.as_str()),
            ("change", "grant"),
            ("role", "regional-lead"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 303);
    // A region, set on the page (and cleared with an empty one).
    let placed = client
        .post(format!("{base}/people/mari/region"))
        .header("cookie", &admin_cookie)
        .form(&[("csrf", admin_csrf.as_str()), ("region", "south")])
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 303);
    let refused = posted(
        &client,
        &format!("{base}/people/mari/region"),
        &admin_cookie,
        &[("csrf", admin_csrf.as_str()), ("region", "Lõuna")],
    )
    .await;
    assert!(refused.contains("not a valid region"), "{refused}");
    let listed = stage
        .cli(Some("anu"), &["actor", "list", "--format", "json"])
        .await;
    assert!(
        crate::support::json_lines(&listed)
            .iter()
            .any(|a| a["name"] == "mari"
                && a["roles"].to_string().contains("regional-lead")
                && a["region"] == "south"),
        "{listed}"
    );
    served.stop().await;
    stage.cleanup().await;
}

/// The fixture with Estonian and English words for its first state, a step,
/// its rule's message, a field and its values; its regional lead may erase
/// (and so hold).
fn bilingual_school_conference() -> String {
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let edits = [
        (
            "fields:                               # typed case data",
            "privacy: { erase: [regional-lead] }\nfields:",
        ),
        (
            "  referral_source: { type: enum, values: [school, police, child-protection, self] }",
            "  referral_source: { type: enum, values: [school, police, child-protection, self], title: { et: Suunaja, en: Referred by }, labels: { school: { et: Kool, en: School } } }",
        ),
        (
            "  referred:\n    guidance: Contact the referrer and check suitability.",
            "  referred:\n    title: { et: Suunatud, en: Referred }\n    guidance: { et: Võta suunajaga ühendust., en: Contact the referrer. }",
        ),
        (
            "      assign:\n        to: preparation",
            "      assign:\n        title: { et: Määra juhendajad, en: Assign facilitators }\n        to: preparation",
        ),
        (
            "        message: A conference needs two facilitators.",
            "        message: { et: Nõupidamisel on kaks juhendajat., en: A conference needs two facilitators. }",
        ),
    ];
    let mut out = source;
    for (old, new) in edits {
        assert!(out.contains(old), "the fixture changed: {old}");
        out = out.replacen(old, new, 1);
    }
    out
}

/// Pages speak the definition's words in the reader's language (a refusal
/// too); the service owner reads the report with its filters and the
/// migration plan as counts, a coordinator the plan case by case; an
/// administrator places a legal hold from the case page.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_speak_the_definitions_words_and_show_reports_and_plans() {
    let stage = Stage::new(Backend::Sqlite).await.unwrap();
    for actor in ["mari", "tiina", "lead"] {
        set_password(&stage, actor).await;
    }
    // One case stays on version 1; version 2 has the words.
    let older =
        crate::case_cli::open_named(&stage.url, VICTIM, PHONE, "2026-11-20", "2026-11-20").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("school-conference.yaml");
    std::fs::write(&file, bilingual_school_conference()).unwrap();
    stage
        .cli(Some("tiina"), &["def", "publish", file.to_str().unwrap()])
        .await;
    let newer =
        crate::case_cli::open_named(&stage.url, VICTIM, PHONE, "2026-11-21", "2026-11-21").await;
    let served = stage.serve(&[]).await;
    let base = served.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mari = signed_in(&client, &base, "mari").await;
    let get = |path: String, cookie: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let response = client
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };

    let (status, et) = get(format!("/cases/{newer}"), mari.clone()).await;
    assert_eq!(status, 200);
    for words in [
        "Suunatud",
        "Võta suunajaga ühendust.",
        "Määra juhendajad",
        "Suunaja",
        "Kool",
    ] {
        assert!(et.contains(words), "'{words}' on the Estonian page");
    }
    let (_, en) = get(
        format!("/cases/{newer}"),
        format!("{mari}; kroonika_lang=en"),
    )
    .await;
    for words in [
        "Referred",
        "Contact the referrer.",
        "Assign facilitators",
        "Referred by",
        "School",
    ] {
        assert!(en.contains(words), "'{words}' on the English page");
    }
    let (_, drawn) = get(format!("/cases/{newer}/diagram.svg"), mari.clone()).await;
    assert!(
        drawn.contains("▶ Suunatud (praegu)") && drawn.contains("Määra juhendajad"),
        "{drawn}"
    );
    let (_, work) = get("/work".to_owned(), mari.clone()).await;
    assert!(work.contains("Suunatud"), "my work names the state");
    // A rule's refusal in the reader's language.
    let refused = client
        .post(format!("{base}/cases/{newer}/steps/assign"))
        .header("cookie", &mari)
        .form(&[("csrf", csrf_of(&et).as_str()), ("in.facilitators", "jaan")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Nõupidamisel on kaks juhendajat.")
    );

    // The report, with filters; a filter that does not parse is named.
    let tiina = signed_in(&client, &base, "tiina").await;
    let (status, report) = get(
        "/reports?process=school-conference&period=month&by=referral_source&from=2026-01-01"
            .to_owned(),
        tiina.clone(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    for words in [
        "Juhtumite teekond",
        "Suunatud",
        "Suunaja",
        "Laadi alla CSV",
        "format=csv&amp;from=2026-01-01&amp;period=month&amp;by=referral_source",
    ] {
        assert!(report.contains(words), "'{words}' in the report page");
    }
    assert!(!report.contains(VICTIM), "a report names nobody");
    let (status, bad) = get(
        "/reports?process=school-conference&period=week".to_owned(),
        tiina.clone(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(bad.contains("period takes month, quarter or year"), "{bad}");
    let (status, _) = get(
        "/reports?process=school-conference".to_owned(),
        mari.clone(),
    )
    .await;
    assert_eq!(status, 200, "a coordinator of the process reads its report");

    // The migration plan: counts for the service owner, cases for a coordinator.
    let (status, counts) = get(
        "/definitions/school-conference/migrations".to_owned(),
        tiina.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !counts.contains(&older),
        "the service owner is not shown cases"
    );
    assert!(
        counts.contains("Suunatud") && counts.contains("saab viia ise"),
        "{counts}"
    );
    let (status, cases) = get(
        "/definitions/school-conference/migrations".to_owned(),
        mari.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(cases.contains(&older) && !cases.contains(&newer), "{cases}");

    // A legal hold: offered to whoever may place it (here the regional
    // lead), not to the coordinator.
    assert!(
        !et.contains("Sea säilitamiskohustus"),
        "mari may not place holds"
    );
    let before = stage.log("case").await.len();
    let refused = client
        .post(format!("{base}/cases/{newer}/hold"))
        .header("cookie", &mari)
        .form(&[
            ("csrf", csrf_of(&et).as_str()),
            ("change", "place"),
            ("reason", "trying"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422, "refused in place");
    assert!(refused.text().await.unwrap().contains("place legal holds"));
    assert_eq!(stage.log("case").await.len(), before, "nothing appended");
    let lead = signed_in(&client, &base, "lead").await;
    let (_, page) = get(format!("/cases/{newer}"), lead.clone()).await;
    assert!(page.contains("Sea säilitamiskohustus"), "{page}");
    let held = client
        .post(format!("{base}/cases/{newer}/hold"))
        .header("cookie", &lead)
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("change", "place"),
            ("reason", "court order 1-26-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 303);
    let (_, page) = get(format!("/cases/{newer}"), lead.clone()).await;
    assert!(page.contains("court order 1-26-123") && page.contains("Lõpeta säilitamiskohustus"));
    let events = stage.log("case").await;
    assert!(events.iter().any(|e| e["type"] == "LegalHoldPlaced"));
    served.stop().await;
    stage.cleanup().await;
}

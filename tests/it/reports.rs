//! Reports and declared metrics through the CLI, on both backends: every metric
//! kind against numbers worked out by hand from a scripted history, the table,
//! CSV and JSON forms snapshotted, and the HTML page parsed and opened in a
//! headless Chromium where one is installed.
//!
//! The history (school-conference with the metrics in `METRICS`), every step
//! dated with `--occurred-at`:
//!
//! | cases  | opened (referred_on)     | assigned | conference | then                                  |
//! |--------|--------------------------|----------|------------|---------------------------------------|
//! | A1–A4  | 2025-12-01 (2025-12-01)  | 12-03    | 12-10      | agreed 12-11 (participants 4, 5, 3, 6)|
//! | A5     | 2025-12-01 (2025-12-01)  | 12-03    | 12-10      | no agreement 12-11                    |
//! | A6     | 2025-12-01 (2025-12-01)  | 12-03    | 12-10      | still in conference                   |
//! | A7     | 2025-12-01 (2025-12-01)  | 12-10 (late) | 12-22  | agreed 12-23 (2), fulfilled 2026-01-05|
//! | B1–B5  | 2026-01-05 (2026-01-02)  | 01-06    | 01-08      | agreed 01-09 (5, 5, 4, 2, 3); B1–B3 fulfilled, B4 not, 01-20; B5 monitoring; contacts B1 phone, B2 email |
//! | B6     | 2026-01-05 (2026-01-02)  | –        | –          | withdrawn 01-06                       |

use kroonika_tests::{Backend, TestStore};
use serde_json::Value;

use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(metrics_match_hand_computed_figures);

/// Metrics added to the school-conference process for these tests.
const METRICS: &str = r#"
metrics:
  referrals:
    title: Referrals
    count: opened
    cohort: referred_on
  agreement:
    title: Agreement, per conference held
    rate: { of: { entered: monitoring }, per: { entered: conference } }
    mature: closed
  to-conference:
    title: Working days from referral to conference
    duration: { from: { field: referred_on }, to: { entered: conference }, days: working }
    cohort: referred_on
  assigned-on-time:
    title: Assigned within 5 working days
    deadline: referred
  phone-contact:
    title: Contacted by phone, per case monitored
    rate: { of: { took: log-contact, with: { channel: phone } }, per: { entered: monitoring } }
  participants:
    title: Participants per conference agreed
    score: { input: participants, from: { took: agreed }, threshold: 4, per: { entered: conference } }
"#;

/// Far enough ahead that every deadline in the history has passed, and fixed,
/// so the figures never depend on the day the test runs.
const AS_OF: &str = "2099-12-31";

struct History {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

async fn ok(url: &str, actor: &str, args: &[&str]) -> String {
    let (code, out, err) = kroonika(url, Some(actor), args).await;
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    out
}

async fn open(url: &str, opened: &str, referred_on: &str) -> String {
    let out = ok(
        url,
        "mari",
        &[
            "case",
            "open",
            "school-conference",
            "--set",
            "referral_source=school",
            "--set",
            &format!("referred_on={referred_on}"),
            "--set",
            "minor_involved=false",
            "--set",
            "victim_name=Mari Maasikas",
            "--set",
            "victim_phone=+372 5555 1234",
            "--occurred-at",
            opened,
        ],
    )
    .await;
    out.split_whitespace().nth(1).unwrap().to_owned()
}

async fn step(url: &str, actor: &str, case: &str, transition: &str, at: &str, sets: &[&str]) {
    let mut args = vec!["case", "do", case, transition, "--occurred-at", at];
    for set in sets {
        args.extend(["--set", set]);
    }
    ok(url, actor, &args).await;
}

/// Assigned on `assigned`, consents recorded, conference scheduled on `conference`.
async fn to_conference(url: &str, case: &str, assigned: &str, conference: &str) {
    step(
        url,
        "mari",
        case,
        "assign",
        assigned,
        &["facilitators=jaan,piret"],
    )
    .await;
    for task in ["victim-consent", "respondent-consent"] {
        ok(
            url,
            "jaan",
            &["case", "task", case, task, "--occurred-at", assigned],
        )
        .await;
    }
    step(url, "jaan", case, "schedule", conference, &[]).await;
}

async fn agreed(url: &str, case: &str, at: &str, participants: u32) {
    let participants = format!("participants={participants}");
    step(
        url,
        "jaan",
        case,
        "agreed",
        at,
        &["agreement=Apology and repair", &participants],
    )
    .await;
}

async fn history(backend: Backend) -> History {
    let (url, dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    ok(&url, "anu", &["init", "--admin", "anu"]).await;
    for (name, role) in [
        ("tiina", "service-owner"),
        ("mari", "coordinator"),
        ("jaan", "facilitator"),
        ("piret", "facilitator"),
    ] {
        ok(&url, "anu", &["actor", "add", name, "--role", role]).await;
    }
    let source = std::fs::read_to_string("data/definitions/school-conference.yaml").unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("{source}{METRICS}")).unwrap();
    ok(
        &url,
        "tiina",
        &["def", "publish", file.path().to_str().unwrap()],
    )
    .await;

    let mut a = Vec::new();
    for _ in 0..7 {
        a.push(open(&url, "2025-12-01", "2025-12-01").await);
    }
    for case in &a[..6] {
        to_conference(&url, case, "2025-12-03", "2025-12-10").await;
    }
    for (case, participants) in a[..4].iter().zip([4, 5, 3, 6]) {
        agreed(&url, case, "2025-12-11", participants).await;
    }
    step(&url, "jaan", &a[4], "no-agreement", "2025-12-11", &[]).await;
    to_conference(&url, &a[6], "2025-12-10", "2025-12-22").await;
    agreed(&url, &a[6], "2025-12-23", 2).await;
    step(&url, "mari", &a[6], "fulfilled", "2026-01-05", &[]).await;

    let mut b = Vec::new();
    for _ in 0..6 {
        b.push(open(&url, "2026-01-05", "2026-01-02").await);
    }
    for (case, participants) in b[..5].iter().zip([5, 5, 4, 2, 3]) {
        to_conference(&url, case, "2026-01-06", "2026-01-08").await;
        agreed(&url, case, "2026-01-09", participants).await;
    }
    step(
        &url,
        "mari",
        &b[0],
        "log-contact",
        "2026-01-15",
        &["channel=phone"],
    )
    .await;
    step(
        &url,
        "mari",
        &b[1],
        "log-contact",
        "2026-01-15",
        &["channel=email"],
    )
    .await;
    for case in &b[..3] {
        step(&url, "mari", case, "fulfilled", "2026-01-20", &[]).await;
    }
    step(&url, "mari", &b[3], "not-fulfilled", "2026-01-20", &[]).await;
    step(&url, "mari", &b[5], "withdraw", "2026-01-06", &[]).await;
    History { url, _dir: dir, pg }
}

async fn report(url: &str, args: &[&str]) -> String {
    let mut all = vec!["report", "school-conference", "--as-of", AS_OF];
    all.extend_from_slice(args);
    ok(url, "tiina", &all).await
}

fn metric<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no metric {id}"))
}

/// The cell of a metric for a period and group.
fn cell<'a>(report: &'a Value, id: &str, period: &str, group: &str) -> &'a Value {
    metric(report, id)["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["period"] == period && c["group"] == group)
        .unwrap_or_else(|| panic!("no cell {period}/{group} of {id}"))
}

async fn metrics_match_hand_computed_figures(backend: Backend) {
    let h = history(backend).await;
    let json: Value = serde_json::from_str(&report(&h.url, &["--format", "json"]).await).unwrap();

    // Funnel: 13 opened; closed are A5, A7, B1–B4, B6 = 7; open 6.
    assert_eq!(json["funnel"]["opened"], 13);
    assert_eq!(json["funnel"]["closed"], 7);
    assert_eq!(json["funnel"]["open"], 6);

    // count: every case, cohort by referral date.
    assert_eq!(cell(&json, "referrals", "all", "all")["cases"], 13);

    // rate, closed cases only: closed cases that had a conference are A5, A7,
    // B1–B4 (6); of them A7 and B1–B4 agreed (5). A1–A4 and A6 are open and do
    // not count, whatever they did.
    let agreement = cell(&json, "agreement", "all", "all");
    assert_eq!(
        (agreement["of"].as_u64(), agreement["per"].as_u64()),
        (Some(5), Some(6))
    );
    assert_eq!(agreement["rate"].as_f64(), Some(0.8333));

    // duration in working days from referred_on to entering conference:
    // A1–A6: 2 to 10 Dec = 7 (2, 3, 4, 5, 8, 9, 10); A7: 2 to 22 Dec = 15;
    // B1–B5: referred Fri 2 Jan, conference 8 Jan = 4 (5, 6, 7, 8).
    let mut days = vec![7, 7, 7, 7, 7, 7, 15, 4, 4, 4, 4, 4];
    days.sort_unstable();
    let median = f64::from(days[5] + days[6]) / 2.0;
    let p90 = f64::from(days[(days.len() * 9).div_ceil(10) - 1]);
    let mean = f64::from(days.iter().sum::<i32>()) / days.len() as f64;
    let duration = cell(&json, "to-conference", "all", "all");
    assert_eq!(duration["cases"], 12);
    assert_eq!(duration["median"].as_f64(), Some(median));
    assert_eq!(duration["p90"].as_f64(), Some(p90));
    assert_eq!(
        duration["mean"].as_f64(),
        Some((mean * 10.0).round() / 10.0)
    );

    // deadline: referred within 5 working days of opening. A1–A6 and B1–B5
    // assigned in time (11); A7 assigned 10 Dec, due 8 Dec (missed); B6 left
    // by withdrawal on its second day (met). 12 met, 1 missed.
    let deadline = cell(&json, "assigned-on-time", "all", "all");
    assert_eq!(
        (deadline["met"].as_u64(), deadline["missed"].as_u64()),
        (Some(12), None),
        "1 missed is suppressed"
    );
    assert_eq!(
        deadline["met_share"].as_f64(),
        Some(0.9231),
        "a share over 13 cases is shown, though its missed count is suppressed"
    );

    // rate with input values: of the 10 cases that reached monitoring, 1 was
    // contacted by phone: a count of 1 is suppressed; the rate over 10 is not.
    let phone = cell(&json, "phone-contact", "all", "all");
    assert_eq!(
        (
            phone["of"].clone(),
            phone["per"].as_u64(),
            phone["rate"].as_f64()
        ),
        (Value::Null, Some(10), Some(0.1))
    );

    // score over a field input: answers 4, 5, 3, 6, 2, 5, 5, 4, 2, 3 (10);
    // mean 3.9; at 4 or more: 4, 5, 6, 5, 5, 4 = 6; cases that reached the
    // conference: A1–A7 and B1–B5 = 12, of which 10 answered.
    let answers = [4.0, 5.0, 3.0, 6.0, 2.0, 5.0, 5.0, 4.0, 2.0, 3.0];
    let score = cell(&json, "participants", "all", "all");
    assert_eq!(score["answers"], 10);
    assert_eq!(
        score["mean"].as_f64(),
        Some(answers.iter().sum::<f64>() / 10.0)
    );
    assert_eq!(score["at_or_above"], 6);
    assert_eq!(score["at_or_above_share"].as_f64(), Some(0.6));
    assert_eq!(
        (score["per"].as_u64(), score["responded"].as_u64()),
        (Some(12), Some(10))
    );

    // The four formats of the same report, fixed by --as-of.
    insta::assert_snapshot!("report_table", report(&h.url, &[]).await);
    insta::assert_snapshot!("report_csv", report(&h.url, &["--format", "csv"]).await);
    insta::assert_snapshot!("report_json", report(&h.url, &["--format", "json"]).await);
    insta::assert_snapshot!(
        "report_table_by_quarter_and_source",
        report(&h.url, &["--period", "quarter", "--by", "referral_source"]).await
    );
    html_report(&h.url).await;

    // Cohorts and periods: by month of referral, December has A1–A7 (7),
    // January B1–B6 (6). With a breakdown, each period has its 'all' cell too.
    let by_month: Value = serde_json::from_str(
        &report(
            &h.url,
            &[
                "--format",
                "json",
                "--period",
                "month",
                "--by",
                "referral_source",
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        cell(&by_month, "referrals", "2025-12", "school")["cases"],
        7
    );
    assert_eq!(cell(&by_month, "referrals", "2026-01", "all")["cases"], 6);
    // December's agreement rate: closed with a conference A5, A7 (2) -> suppressed.
    assert_eq!(
        cell(&by_month, "agreement", "2025-12", "all")["per"],
        Value::Null
    );
    // --from/--to pick cohorts by the metric's cohort date: referred_on 2 Jan.
    let january: Value =
        serde_json::from_str(&report(&h.url, &["--format", "json", "--from", "2026-01-01"]).await)
            .unwrap();
    assert_eq!(cell(&january, "referrals", "all", "all")["cases"], 6);
    assert_eq!(
        cell(&january, "to-conference", "all", "all")["median"].as_f64(),
        Some(4.0)
    );

    // An open case counts as soon as it closes: A6 leaves the conference without
    // agreement, and the rate's basis grows to 7 (5 of 7).
    let list = ok(
        &h.url,
        "mari",
        &["case", "list", "--state", "conference", "--format", "json"],
    )
    .await;
    let a6 = serde_json::from_str::<Value>(list.lines().next().unwrap()).unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&h.url, "jaan", &a6, "no-agreement", "2025-12-12", &[]).await;
    let after: Value = serde_json::from_str(&report(&h.url, &["--format", "json"]).await).unwrap();
    let agreement = cell(&after, "agreement", "all", "all");
    assert_eq!(
        (agreement["of"].as_u64(), agreement["per"].as_u64()),
        (Some(5), Some(7))
    );

    // Breakdowns only by reportable fields; only published processes.
    let (code, _, err) = kroonika(
        &h.url,
        Some("tiina"),
        &["report", "school-conference", "--by", "victim_name"],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "rejected: --by victim_name: a report breaks down by an enum, boolean or partner field that is not personal, or a partner's kind (FIELD.kind); school-conference has: referral_source, minor_involved\n"
        )
    );
    let (code, _, err) = kroonika(&h.url, Some("tiina"), &["report", "no-such-process"]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("no process 'no-such-process' is published"),
        "{err}"
    );

    assert_no_personal_data(&h.url).await;
    if let Some((base, schema)) = h.pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

/// The HTML page: one well-formed document with the figures of the JSON form,
/// three kinds of chart, and nothing fetched from anywhere; then opened in
/// headless Chromium for a screenshot and a PDF, where Chromium is installed.
async fn html_report(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    let out = report(
        url,
        &["--format", "html", "--output", path.to_str().unwrap()],
    )
    .await;
    assert_eq!(out, "", "--output writes the file only");
    let html = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|err| panic!("the report is not well-formed: {err}"));
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("|");
    for figure in [
        "Agreement, per conference held",
        "83.3%",
        "5 of 6",
        "median 7",
        "p90 7, mean 6.4, 12 cases",
        "mean 3.9",
        "<5",
    ] {
        assert!(text.contains(figure), "the page does not show {figure:?}");
    }
    let svgs: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "svg")))
        .map(|n| n.attribute("aria-label").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        svgs,
        ["funnel", "cases", "cases"],
        "funnel, monthly trend, one duration"
    );
    for node in doc.descendants() {
        assert!(
            !node.has_tag_name("script") && !node.has_tag_name("img") && !node.has_tag_name("link")
        );
        assert!(node.attribute("src").is_none() && node.attribute("href").is_none());
    }
    assert!(!html.contains("url(http") && !html.contains("@import"));

    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("KROONIKA_REQUIRE_CHROMIUM").is_none(),
            "KROONIKA_REQUIRE_CHROMIUM is set but no chromium is installed"
        );
        // Straight to stderr, past the harness's capture: the skip must be seen.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"note: Chromium is not installed; the HTML report was parsed but not opened (apt-get install chromium)\n",
        );
        return;
    };
    let shot = dir.path().join("report.png");
    let pdf = dir.path().join("report.pdf");
    for arg in [
        format!("--screenshot={}", shot.display()),
        format!("--print-to-pdf={}", pdf.display()),
    ] {
        let status = std::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1100,1600",
            ])
            .arg(&arg)
            .arg(format!("file://{}", path.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "chromium {arg}: {status}");
    }
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    let pdf = std::fs::read(&pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 5_000, "it prints");
    if let Some(keep) = std::env::var_os("KROONIKA_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// Debian's Chromium, or another on the PATH.
fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// Neither the report in any format nor the case-facts documents it is built
/// from hold a personal field or free text (the agreement).
async fn assert_no_personal_data(url: &str) {
    let secret = |text: &str| {
        ["Mari Maasikas", "5555", "Apology"]
            .iter()
            .any(|s| text.contains(s))
    };
    for format in ["table", "json", "csv", "html"] {
        let out = report(url, &["--format", format]).await;
        assert!(!secret(&out), "{format} holds personal data");
    }
    // Without --as-of the report catches the stored projection up.
    ok(url, "tiina", &["report", "school-conference"]).await;
    let store = kroonika_store::Store::open(url).await.unwrap();
    let docs = store.projection_docs("case-facts", None).await.unwrap();
    store.close().await;
    assert_eq!(docs.len(), 13);
    let texts: Vec<String> = docs.iter().map(|(_, doc)| doc.to_string()).collect();
    for text in &texts {
        assert!(!secret(text), "case facts hold personal data: {text}");
    }
    assert_eq!(
        texts
            .iter()
            .filter(|t| t.contains("\"participants\":"))
            .count(),
        10,
        "numeric inputs are kept"
    );
}

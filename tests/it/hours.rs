//! The volunteer hours report and the crisis-support metrics, on both
//! backends, against figures worked out by hand from a scripted history of
//! the bundled crisis-support and outreach-event processes.
//!
//! | case | what                                                                 | day        |
//! |------|----------------------------------------------------------------------|------------|
//! | C1   | fire at 06:30; kaja, toomas, helle, priit, eha called out; on site 10:15 | 2026-01-05 |
//! |      | shift kaja+toomas+helle 4 h (12 supported, 3 referred on); shift priit+eha 3.5 h (5, 0) | 2026-01-05 |
//! |      | debrief, all five, 2 h                                               | 2026-01-07 |
//! | C2–C5| accident at 06:30; kaja called out; on site after 1, 2, 3, 4 hours; shift kaja 1 h (2, 1) | 2026-01-05 |
//! | O1   | information session; kaja and siim; held (30); kaja outreach 2 h, siim outreach 2 h, siim preparation 1.5 h | 2026-02-10 |
//!
//! By hand: crisis 4·3 + 3.5·2 + 1·4 = 23 h from 5 people in 9 entries;
//! supervision 2·5 = 10 h from 5 in 5; outreach 4 h from 2 (hidden);
//! preparation 1.5 h from 1 (hidden); in all 38.5 h from 6 people in 17
//! entries. Each: kaja 4+4 crisis, 2 supervision, 2 outreach = 12; toomas
//! and helle 6; priit and eha 5.5; siim 3.5. Hours to the first volunteer on
//! site: 1, 2, 3, 3.75, 4 → median 3, p90 4, mean 2.75 (2.8 shown).

use kroonika_tests::{Backend, TestStore};
use serde_json::{Value, json};

use crate::support::kroonika_on as kroonika;

crate::store::per_backend!(volunteer_hours_match_hand_computed_totals);

pub(crate) async fn ok(url: &str, actor: &str, args: &[&str]) -> String {
    let (code, out, err) = kroonika(url, Some(actor), args).await;
    assert_eq!((code, err.as_str()), (0, ""), "{args:?}");
    out
}

/// A command's JSON output.
async fn json_of(url: &str, actor: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(url, actor, args).await).unwrap()
}

async fn step(url: &str, actor: &str, case: &str, transition: &str, at: &str, sets: &[&str]) {
    let mut args = vec!["case", "do", case, transition, "--occurred-at", at];
    for set in sets {
        args.extend(["--set", set]);
    }
    ok(url, actor, &args).await;
}

/// Opens a crisis-support case (a `kind` of event in Tartu at 06:30 on
/// 5 January 2026, opened at 07:00): what `case open` printed.
pub(crate) async fn open_crisis(url: &str, kind: &str) -> String {
    ok(
        url,
        "mari",
        &[
            "case",
            "open",
            "crisis-support",
            "--set",
            &format!("event_kind={kind}"),
            "--set",
            "occurred_at=2026-01-05T06:30:00Z",
            "--set",
            "place=Tartu",
            "--set",
            "region=south",
            "--set",
            "affected_estimate=40",
            "--set",
            "requested_by=rescue-board",
            "--occurred-at",
            "2026-01-05T07:00:00Z",
        ],
    )
    .await
}

async fn crisis(url: &str, kind: &str) -> String {
    let out = open_crisis(url, kind).await;
    out.split_whitespace().nth(1).unwrap().to_owned()
}

async fn history(url: &str) {
    ok(url, "anu", &["init", "--admin", "anu"]).await;
    ok(
        url,
        "anu",
        &["actor", "add", "tiina", "--role", "service-owner"],
    )
    .await;
    ok(
        url,
        "anu",
        &["actor", "add", "mari", "--role", "coordinator"],
    )
    .await;
    ok(url, "anu", &["actor", "add", "aino", "--role", "auditor"]).await;
    for name in ["kaja", "toomas", "helle", "priit", "eha", "siim"] {
        ok(
            url,
            "anu",
            &[
                "actor",
                "add",
                name,
                "--role",
                "crisis-volunteer",
                "--role",
                "volunteer",
            ],
        )
        .await;
    }
    for file in ["crisis-support.yaml", "outreach-event.yaml"] {
        ok(
            url,
            "tiina",
            &["def", "publish", &format!("../processes/{file}")],
        )
        .await;
    }
    let c1 = crisis(url, "fire").await;
    let day = "2026-01-05T";
    step(
        url,
        "mari",
        &c1,
        "call-out",
        &format!("{day}07:10:00Z"),
        &["volunteers=kaja,toomas,helle,priit,eha"],
    )
    .await;
    step(url, "kaja", &c1, "arrived", &format!("{day}10:15:00Z"), &[]).await;
    step(
        url,
        "kaja",
        &c1,
        "shift-logged",
        &format!("{day}15:00:00Z"),
        &[
            "shift_volunteers=kaja,toomas,helle",
            "hours=4",
            "people_supported=12",
            "referred_on=3",
        ],
    )
    .await;
    step(
        url,
        "mari",
        &c1,
        "shift-logged",
        &format!("{day}19:00:00Z"),
        &[
            "shift_volunteers=priit,eha",
            "hours=3.5",
            "people_supported=5",
            "referred_on=0",
        ],
    )
    .await;
    step(
        url,
        "mari",
        &c1,
        "support-ended",
        &format!("{day}20:00:00Z"),
        &[],
    )
    .await;
    step(
        url,
        "mari",
        &c1,
        "debrief-held",
        "2026-01-07T16:00:00Z",
        &[
            "attendees=kaja,toomas,helle,priit,eha",
            "debrief_hours=2",
            "further_support=1",
        ],
    )
    .await;
    for k in 1..=4 {
        let case = crisis(url, "accident").await;
        step(
            url,
            "mari",
            &case,
            "call-out",
            &format!("{day}07:10:00Z"),
            &["volunteers=kaja"],
        )
        .await;
        step(
            url,
            "mari",
            &case,
            "arrived",
            &format!("{day}{:02}:30:00Z", 6 + k),
            &[],
        )
        .await;
        step(
            url,
            "mari",
            &case,
            "shift-logged",
            &format!("{day}20:00:00Z"),
            &[
                "shift_volunteers=kaja",
                "hours=1",
                "people_supported=2",
                "referred_on=1",
            ],
        )
        .await;
    }
    let out = ok(
        url,
        "mari",
        &[
            "case",
            "open",
            "outreach-event",
            "--set",
            "kind=information-session",
            "--set",
            "audience=professionals",
            "--set",
            "partner_type=police",
            "--set",
            "region=north",
            "--set",
            "topic=Restorative justice for juvenile cases",
            "--set",
            "planned_on=2026-02-10",
            "--occurred-at",
            "2026-01-20",
        ],
    )
    .await;
    let o1 = out.split_whitespace().nth(1).unwrap().to_owned();
    step(
        url,
        "mari",
        &o1,
        "prepared",
        "2026-02-01",
        &["volunteers=kaja,siim"],
    )
    .await;
    for task in ["programme-agreed", "materials-ready", "volunteers-briefed"] {
        ok(
            url,
            "mari",
            &["case", "task", &o1, task, "--occurred-at", "2026-02-05"],
        )
        .await;
    }
    step(
        url,
        "mari",
        &o1,
        "held",
        "2026-02-10T16:00:00Z",
        &["attendance=30", "materials=presentation,leaflets"],
    )
    .await;
    step(
        url,
        "kaja",
        &o1,
        "hours-logged",
        "2026-02-10T17:00:00Z",
        &["volunteer=kaja", "activity=outreach", "hours=2"],
    )
    .await;
    step(
        url,
        "mari",
        &o1,
        "hours-logged",
        "2026-02-10T17:00:00Z",
        &["volunteer=siim", "activity=outreach", "hours=2"],
    )
    .await;
    step(
        url,
        "mari",
        &o1,
        "hours-logged",
        "2026-02-10T17:00:00Z",
        &["volunteer=siim", "activity=preparation", "hours=1.5"],
    )
    .await;
}

fn rows(report: &Value) -> Vec<Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["period"],
                r["activity"],
                r["hours"],
                r["volunteers"],
                r["entries"]
            ])
        })
        .collect()
}

async fn volunteer_hours_match_hand_computed_totals(backend: Backend) {
    let (url, _dir, pg) = TestStore::fresh_url(backend).await.unwrap();
    let url = url.as_str();
    history(url).await;

    let report: Value = json_of(url, "tiina", &["hours", "--format", "json"]).await;
    assert_eq!(
        rows(&report),
        vec![
            json!(["all", "preparation", null, null, null]),
            json!(["all", "crisis", 23.0, 5, 9]),
            json!(["all", "outreach", null, null, null]),
            json!(["all", "supervision", 10.0, 5, 5]),
            json!(["all", "all", 38.5, 6, 17]),
        ]
    );
    assert!(report["volunteers"].is_null(), "{report}");
    assert_eq!(
        report["processes"],
        json!(["crisis-support", "outreach-event"])
    );

    let by_month: Value = json_of(
        url,
        "tiina",
        &["hours", "--period", "month", "--format", "json"],
    )
    .await;
    assert_eq!(
        rows(&by_month),
        vec![
            json!(["2026-01", "crisis", 23.0, 5, 9]),
            json!(["2026-01", "supervision", 10.0, 5, 5]),
            json!(["2026-01", "all", 33.0, 5, 14]),
            json!(["2026-02", "preparation", null, null, null]),
            json!(["2026-02", "outreach", null, null, null]),
            json!(["2026-02", "all", null, null, null]),
        ]
    );
    let later: Value = json_of(
        url,
        "tiina",
        &["hours", "--from", "2026-01-06", "--format", "json"],
    )
    .await;
    assert_eq!(
        rows(&later).last().unwrap(),
        &json!(["all", "all", 15.5, 6, 8])
    );

    // Each volunteer's own totals: a coordinator, with a purpose, recorded.
    let each: Value = json_of(
        url,
        "mari",
        &[
            "hours",
            "--per-volunteer",
            "--purpose",
            "Annual recognition",
            "--format",
            "json",
        ],
    )
    .await;
    let totals: Vec<(String, f64)> = each["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["volunteer"].as_str().unwrap().to_owned(),
                v["total"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, f64)> = [
        ("eha", 5.5),
        ("helle", 6.0),
        ("kaja", 12.0),
        ("priit", 5.5),
        ("siim", 3.5),
        ("toomas", 6.0),
    ]
    .map(|(n, h)| (n.to_owned(), h))
    .to_vec();
    assert_eq!(totals, expected);
    assert_eq!(
        each["volunteers"][2]["hours"],
        json!({ "crisis": 8.0, "outreach": 2.0, "supervision": 2.0 })
    );
    let table = ok(
        url,
        "mari",
        &[
            "--lang",
            "et",
            "hours",
            "--per-volunteer",
            "--purpose",
            "Annual recognition",
        ],
    )
    .await;
    assert!(
        table.contains("Kriisiabi") && table.contains("vabatahtlik"),
        "{table}"
    );

    // Others may not see each person's hours; a volunteer not even the totals.
    let (code, _, err) = kroonika(
        url,
        Some("tiina"),
        &["hours", "--per-volunteer", "--purpose", "Curious"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("coordinator"), "{err}");
    let (code, _, err) = kroonika(url, Some("kaja"), &["hours"]).await;
    assert_eq!(code, 1, "{err}");
    let (code, _, err) = kroonika(url, Some("mari"), &["hours", "--per-volunteer"]).await;
    assert_eq!(code, 2, "{err}");

    let access = ok(url, "aino", &["audit", "access", "--format", "json"]).await;
    let shown: Vec<&str> = access
        .lines()
        .filter(|line| line.contains("hours shown"))
        .collect();
    assert_eq!(shown.len(), 2, "{access}");
    assert!(
        shown[0].to_string().contains("kaja")
            && shown[0].to_string().contains("Annual recognition"),
        "{shown:?}"
    );
    let refused = access.matches("see each volunteer's hours").count();
    assert_eq!(refused, 1, "{access}");

    // The crisis-support metrics: hours to the first on site, and totals.
    let crisis: Value = json_of(
        url,
        "tiina",
        &[
            "report",
            "crisis-support",
            "--as-of",
            "2099-12-31",
            "--format",
            "json",
        ],
    )
    .await;
    let metric = |id: &str| -> Value {
        crisis["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()["cells"][0]
            .clone()
    };
    let on_site = metric("hours-to-first-on-site");
    assert_eq!(
        (
            &on_site["cases"],
            &on_site["median"],
            &on_site["p90"],
            &on_site["mean"]
        ),
        (&json!(5), &json!(3.0), &json!(4.0), &json!(2.8))
    );
    let supported = metric("people-supported");
    assert_eq!(
        (
            &supported["total"],
            &supported["cases"],
            &supported["steps"]
        ),
        (&json!(25.0), &json!(5), &json!(6))
    );
    assert_eq!(metric("referred-on")["total"], json!(7.0));
    assert_eq!(metric("volunteer-hours")["total"], json!(11.5));
    let outreach: Value = json_of(
        url,
        "tiina",
        &["report", "outreach-event", "--format", "json"],
    )
    .await;
    let attendance = outreach["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "attendance")
        .unwrap()["cells"][0]
        .clone();
    // One event: a total about fewer than five cases is not shown.
    assert_eq!(
        (&attendance["cases"], &attendance["total"]),
        (&Value::Null, &Value::Null)
    );

    // Over HTTP, the same report: the server checks the caller's token.
    let token = async |name: &str| {
        kroonika(url, Some("anu"), &["token", "issue", name])
            .await
            .1
    };
    let (mari, kaja) = (token("mari").await, token("kaja").await);
    let served = crate::server::Served::start(url, &[], &[]).await;
    let mari = crate::server::Client::new(&served, Some(mari.trim()));
    let answer = mari.get("/api/v1/hours?period=month").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(rows(&answer.json), rows(&by_month));
    let answer = mari
        .get("/api/v1/hours?per_volunteer_purpose=Annual%20recognition")
        .await;
    assert_eq!(answer.json["volunteers"].as_array().map(Vec::len), Some(6));
    let answer = mari.get("/api/v1/hours?format=csv").await;
    assert!(
        answer
            .text
            .starts_with("section,period,activity,volunteer,measure,value\n")
            && answer.text.contains("activity,all,crisis,,hours,23.0\n"),
        "{}",
        answer.text
    );
    assert_eq!(mari.get("/api/v1/hours?period=week").await.status, 400);
    let kaja = crate::server::Client::new(&served, Some(kaja.trim()));
    assert_eq!(kaja.get("/api/v1/hours").await.status, 403);
    let nobody = crate::server::Client::new(&served, None);
    assert_eq!(nobody.get("/api/v1/hours").await.status, 401);
    served.stop().await;

    // The projection folds the same from the first event as it did as events came.
    let (code, out, err) = kroonika(url, Some("aino"), &["audit", "verify", "--derived"]).await;
    assert_eq!(code, 0, "{out}{err}");
    if let Some((base, schema)) = pg {
        kroonika_tests::drop_schema(&base, &schema).await;
    }
}

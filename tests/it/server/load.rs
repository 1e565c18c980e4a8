//! Many callers at once, a server stopped or killed under load, and two
//! servers sharing one PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::{Client, Served, Stage, answer, on_both, opening};

on_both!(
    two_hundred_requests_from_sixteen_clients,
    sigterm_under_load_loses_nothing_acknowledged,
    sigkill_under_load_leaves_whole_commands,
    sigkill_during_group_commits_keeps_every_acknowledged_step,
);

/// Each case stream's event types, in order, from the whole log.
async fn streams(stage: &Stage) -> BTreeMap<String, Vec<String>> {
    let mut streams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in stage.log("case").await {
        streams
            .entry(event["stream"].as_str().unwrap().to_owned())
            .or_default()
            .push(event["type"].as_str().unwrap().to_owned());
    }
    streams
}

/// 16 clients, 200 requests: each opens cases and declines them (each with
/// an Idempotency-Key), some read the list. No 5xx; every acknowledged
/// opening and step is in the log.
async fn two_hundred_requests_from_sixteen_clients(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let token = stage.token("mari").await;
    let mut clients = Vec::new();
    for n in 0..16 {
        let mari = Client::new(&served, Some(&token));
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut statuses = Vec::new();
            for round in 0..6 {
                let opened = answer(
                    mari.request(Method::POST, "/api/v1/cases")
                        .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
                        .json(&opening()),
                )
                .await;
                statuses.push(opened.status);
                if opened.status != StatusCode::CREATED {
                    continue;
                }
                let id = opened.json["id"].as_str().unwrap().to_owned();
                let reference = opened.json["reference"].as_str().unwrap().to_owned();
                let declined = answer(
                    mari.request(Method::POST, &format!("/api/v1/cases/{reference}/steps"))
                        .header("Idempotency-Key", format!("decline-{n}-{round}"))
                        .json(&json!({"transition": "decline", "input": {"reason": "unsuitable"}})),
                )
                .await;
                statuses.push(declined.status);
                acknowledged.push((id, declined.status == StatusCode::OK, declined.text));
            }
            if n < 8 {
                statuses.push(mari.get("/api/v1/cases?limit=20").await.status);
            }
            (acknowledged, statuses)
        }));
    }
    let mut acknowledged = Vec::new();
    let mut statuses = Vec::new();
    for client in clients {
        let (a, s) = client.await.unwrap();
        acknowledged.extend(a);
        statuses.extend(s);
    }
    assert_eq!(statuses.len(), 200);
    assert!(
        statuses.iter().all(|s| !s.is_server_error()),
        "{statuses:?}"
    );
    let refused: Vec<_> = statuses.iter().filter(|s| !s.is_success()).collect();
    assert!(refused.is_empty(), "every request succeeds: {refused:?}");
    let streams = streams(stage).await;
    for (id, declined, answer) in &acknowledged {
        let events = &streams[&format!("case-{id}")];
        assert_eq!(events[0], "CaseOpened");
        if *declined {
            assert!(
                events.iter().any(|e| e == "TransitionTaken"),
                "{id}: {events:?} after {answer}"
            );
        }
    }
    assert_eq!(streams.len(), 96, "96 cases, each opened once");
    served.stop().await;
}

/// Callers open cases until the server stops answering. Returns the case
/// ids it acknowledged.
fn hammer(
    served: &Served,
    token: &str,
    clients: usize,
) -> (Arc<Mutex<Vec<String>>>, tokio::task::JoinSet<()>) {
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let mari = Client::new(served, Some(token));
        let acknowledged = acknowledged.clone();
        set.spawn(async move {
            loop {
                let sent = mari
                    .request(Method::POST, "/api/v1/cases")
                    .header("Idempotency-Key", uuid::Uuid::now_v7().to_string())
                    .json(&opening())
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                let status = response.status();
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                match status {
                    StatusCode::CREATED => acknowledged
                        .lock()
                        .await
                        .push(body["id"].as_str().unwrap().to_owned()),
                    // Shutting down: refused before being decided.
                    StatusCode::SERVICE_UNAVAILABLE => break,
                    other => panic!("{other}: {body}"),
                }
            }
        });
    }
    (acknowledged, set)
}

/// Waits until `n` cases are acknowledged (at most a minute).
async fn until_acknowledged(acknowledged: &Mutex<Vec<String>>, n: usize) {
    for _ in 0..3000 {
        if acknowledged.lock().await.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server acknowledged fewer than {n} cases in a minute");
}

/// SIGTERM while 8 clients open cases: the server finishes what it took,
/// exits 0, and every case it acknowledged is in the log, whole.
async fn sigterm_under_load_loses_nothing_acknowledged(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let token = stage.token("mari").await;
    let (acknowledged, mut clients) = hammer(&served, &token, 8);
    until_acknowledged(&acknowledged, 20).await;
    served.signal("TERM");
    while let Some(client) = clients.join_next().await {
        client.unwrap();
    }
    let (code, log) = served.wait().await;
    assert_eq!(code, Some(0), "exit after SIGTERM; its log:\n{log}");
    assert!(log.contains("stopped"), "{log}");
    let acknowledged = acknowledged.lock().await.clone();
    let streams = streams(stage).await;
    for id in &acknowledged {
        assert_eq!(
            streams.get(&format!("case-{id}")).map(|e| e[0].as_str()),
            Some("CaseOpened"),
            "{id}"
        );
    }
    let verified = stage.cli(Some("aili"), &["audit", "verify"]).await;
    assert!(verified.contains("holds"), "{verified}");
}

/// SIGKILL while 8 clients open cases: every acknowledged case is there,
/// nothing half-written (the chain and the references verify), and the
/// server starts again on the same store.
async fn sigkill_under_load_leaves_whole_commands(stage: &Stage) {
    let served = stage.serve(&[]).await;
    let token = stage.token("mari").await;
    let (acknowledged, mut clients) = hammer(&served, &token, 8);
    until_acknowledged(&acknowledged, 20).await;
    served.signal("KILL");
    while let Some(client) = clients.join_next().await {
        client.unwrap();
    }
    let (code, _) = served.wait().await;
    assert_eq!(code, Some(-1), "killed");
    let acknowledged: BTreeSet<String> = acknowledged.lock().await.iter().cloned().collect();
    let streams = streams(stage).await;
    for id in &acknowledged {
        assert!(
            streams.contains_key(&format!("case-{id}")),
            "{id} acknowledged but lost"
        );
    }
    // Every case has its reference, and every reference its case.
    let references = stage.log("caseref").await;
    assert_eq!(references.len(), streams.len());
    let (code, out, err) =
        crate::support::kroonika_on(&stage.url, Some("aili"), &["audit", "verify"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let again = stage.serve(&[]).await;
    let mari = Client::new(&again, Some(&token));
    mari.open_case().await;
    again.stop().await;
}

/// SIGKILL while 16 clients add notes to cases of their own, the commands
/// arriving together and committed in groups (the status says so before the
/// kill): every note the server acknowledged is in the log (each case reaches
/// at least the version its last answer gave), and the log verifies, derived
/// state included.
async fn sigkill_during_group_commits_keeps_every_acknowledged_step(stage: &Stage) {
    const CLIENTS: usize = 16;
    let served = stage.serve(&[]).await;
    let token = stage.token("mari").await;
    let mari = Client::new(&served, Some(&token));
    let mut cases = Vec::new();
    for _ in 0..CLIENTS {
        let opened = mari.post("/api/v1/cases", opening()).await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
        cases.push((
            opened.json["id"].as_str().unwrap().to_owned(),
            opened.json["reference"].as_str().unwrap().to_owned(),
        ));
    }
    // Each case's last acknowledged version.
    let acknowledged: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let mut clients = tokio::task::JoinSet::new();
    for (id, reference) in cases {
        let (mari, acknowledged) = (mari.clone(), acknowledged.clone());
        clients.spawn(async move {
            for n in 0.. {
                let sent = mari
                    .request(Method::POST, &format!("/api/v1/cases/{reference}/notes"))
                    .json(&json!({"text": format!("Call {n}: spoke with the school.")}))
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                let status = response.status();
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                match status {
                    StatusCode::OK => {
                        let version = body["version"].as_u64().unwrap();
                        acknowledged.lock().await.insert(id.clone(), version);
                    }
                    StatusCode::SERVICE_UNAVAILABLE => break,
                    other => panic!("{other}: {body}"),
                }
            }
        });
    }
    // Until commands share commits, and a few hundred are acknowledged.
    let anu = Client::new(&served, Some(&stage.token("anu").await));
    let mut grouped = Value::Null;
    for _ in 0..3000 {
        let status = anu.get("/api/v1/status").await.json;
        let writes = status["group_commit"]["writes"].as_u64().unwrap_or(0);
        let groups = status["group_commit"]["groups"].as_u64().unwrap_or(0);
        if writes >= 150 && writes > groups + 20 {
            grouped = status["group_commit"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !grouped.is_null(),
        "no commands shared a commit in a minute"
    );
    served.signal("KILL");
    while let Some(client) = clients.join_next().await {
        client.unwrap();
    }
    let (code, _) = served.wait().await;
    assert_eq!(code, Some(-1), "killed");
    let acknowledged = acknowledged.lock().await.clone();
    assert_eq!(acknowledged.len(), CLIENTS, "every client was answered");
    let streams = streams(stage).await;
    for (id, version) in &acknowledged {
        let stored = streams.get(&format!("case-{id}")).map_or(0, Vec::len) as u64;
        assert!(
            stored >= *version,
            "case {id}: version {version} acknowledged, {stored} events stored ({grouped})"
        );
    }
    let (code, out, err) =
        crate::support::kroonika_on(&stage.url, Some("aili"), &["audit", "verify", "--derived"])
            .await;
    assert_eq!(code, 0, "{out}{err}");
}

/// Two servers on one PostgreSQL, both running the deadlines in the
/// background and on demand at once: each missed deadline recorded once, and
/// both see the same case list.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_fire_each_deadline_once() {
    let Some(stage) = Stage::new(kroonika_tests::Backend::Postgres).await else {
        return;
    };
    const CASES: usize = 12;
    for _ in 0..CASES {
        stage
            .cli(
                Some("mari"),
                &[
                    "case",
                    "open",
                    "school-conference",
                    "--set",
                    "referral_source=police",
                    "--set",
                    "referred_on=2026-01-05",
                    "--set",
                    "minor_involved=false",
                    "--set",
                    "victim_name=Kadri Kask-Tamm",
                    "--set",
                    "victim_phone=+372 5123 9876",
                    "--occurred-at",
                    "2026-01-05",
                ],
            )
            .await;
    }
    let token = stage.token("anu").await;
    let (one, two) = tokio::join!(stage.serve(&[]), stage.serve(&[]));
    let mut runs = tokio::task::JoinSet::new();
    for served in [&one, &two] {
        for _ in 0..4 {
            let anu = Client::new(served, Some(&token));
            runs.spawn(async move {
                let run = anu.post("/api/v1/timers/run", json!({})).await;
                assert_eq!(run.status, StatusCode::OK, "{}", run.text);
                run.json["handled"].as_u64().unwrap()
            });
        }
    }
    let mut on_demand = 0;
    while let Some(handled) = runs.join_next().await {
        on_demand += handled.unwrap();
    }
    let missed = || async {
        stage
            .log("case")
            .await
            .iter()
            .filter(|e| e["type"] == "DeadlineMissed")
            .count()
    };
    for _ in 0..100 {
        if missed().await >= CASES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let both servers' first background runs finish.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(missed().await, CASES, "each deadline recorded once");

    // Both servers' projections reach the same list.
    let mut lists = Vec::new();
    for served in [&one, &two] {
        let anu = Client::new(served, Some(&stage.token("lead").await));
        let mut list = Value::Null;
        for _ in 0..100 {
            list = anu.get("/api/v1/cases?overdue=true").await.json;
            if list["cases"].as_array().is_some_and(|c| c.len() == CASES) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut references: Vec<String> = list["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap().to_owned())
            .collect();
        references.sort();
        lists.push(references);
    }
    assert_eq!(lists[0].len(), CASES, "{:?}", lists[0]);
    assert_eq!(lists[0], lists[1]);
    let logs = [one.stop().await, two.stop().await];
    let handled: Vec<&str> = logs
        .iter()
        .flat_map(|log| log.lines())
        .filter(|line| line.contains("deadlines handled"))
        .collect();
    let in_background: u64 = handled
        .iter()
        .filter_map(|line| line.split("handled=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(
        in_background + on_demand,
        CASES as u64,
        "handled once in all: {on_demand} on demand, and {handled:?}"
    );
    stage.cleanup().await;
}

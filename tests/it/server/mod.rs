//! `kroonika serve`: the real binary on `127.0.0.1:0`, called over HTTP, on
//! both backends.
//!
//! - `api`: each status the API promises, tokens issued, expired and revoked,
//!   idempotent retries, `If-Match`, denials in the access log, personal data
//!   never in a response without a reveal nor in the server's log;
//! - `sessions`: signing in and out, lock-out, the per-address limit, CSRF;
//! - `load`: 200 requests from 16 clients, SIGTERM and SIGKILL under load,
//!   two servers on one PostgreSQL firing each deadline once;
//! - `safety`: owner-only files, the key file check, TLS, the OpenAPI
//!   document against the routes served.

mod api;
mod load;
mod safety;
mod sessions;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kroonika_tests::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::kroonika_on;

/// People in every server test's store: anu administers, mari coordinates,
/// jaan and piret facilitate, aili audits.
const PEOPLE: [(&str, &str); 6] = [
    ("tiina", "service-owner"),
    ("mari", "coordinator"),
    ("jaan", "facilitator"),
    ("piret", "facilitator"),
    ("aili", "auditor"),
    ("lead", "regional-lead"),
];

/// The victim's name and phone every test case is opened with: searched for
/// in responses and logs.
pub(crate) const VICTIM: &str = "Kadri Kask-Tamm";
pub(crate) const PHONE: &str = "+372 5123 9876";

/// A store with people and the school-conference process; None when the
/// backend is not configured. The PostgreSQL schema is dropped with it.
pub(crate) struct Stage {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Stage {
    pub(crate) async fn new(backend: Backend) -> Option<Stage> {
        let (url, dir, pg) = kroonika_tests::TestStore::fresh_url(backend).await?;
        let stage = Stage { url, _dir: dir, pg };
        stage.cli(None, &["init", "--admin", "anu"]).await;
        for (name, role) in PEOPLE {
            stage
                .cli(Some("anu"), &["actor", "add", name, "--role", role])
                .await;
        }
        stage
            .cli(
                Some("tiina"),
                &["def", "publish", "data/definitions/school-conference.yaml"],
            )
            .await;
        Some(stage)
    }

    /// Runs a CLI command that must succeed; its standard output.
    pub(crate) async fn cli(&self, actor: Option<&str>, args: &[&str]) -> String {
        let (code, out, err) = kroonika_on(&self.url, actor, args).await;
        assert_eq!(code, 0, "kroonika {args:?}: {err}");
        out
    }

    /// A token for `actor`, issued by anu.
    pub(crate) async fn token(&self, actor: &str) -> String {
        self.cli(Some("anu"), &["token", "issue", actor])
            .await
            .trim()
            .to_owned()
    }

    /// The store's events of one category, as JSON.
    pub(crate) async fn log(&self, category: &str) -> Vec<Value> {
        let out = self
            .cli(
                None,
                &[
                    "log",
                    "--category",
                    category,
                    "--limit",
                    "1000000",
                    "--format",
                    "json",
                ],
            )
            .await;
        crate::support::json_lines(&out)
    }

    pub(crate) async fn serve(&self, args: &[&str]) -> Served {
        Served::start(&self.url, args, &[]).await
    }

    pub(crate) async fn cleanup(self) {
        if let Some((base, schema)) = &self.pg {
            kroonika_tests::drop_schema(base, schema).await;
        }
    }
}

/// A running `kroonika serve`, its standard error captured.
pub(crate) struct Served {
    child: Child,
    pub base: String,
    /// The event store clients' connection string (`kurrentdb://…`), with `--grpc`.
    pub grpc: Option<String>,
    log: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Served {
    /// Starts the server on `url`, waits until it says where it listens.
    pub(crate) async fn start(url: &str, args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut command = crate::crash::child(url, &["serve", "--listen", "127.0.0.1:0"]);
        command
            .args(args)
            .env_remove("KROONIKA_LISTEN")
            .env_remove("KROONIKA_GRPC")
            .env_remove("KROONIKA_GRPC_GRANTS")
            .env("KROONIKA_LOG", "debug");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let errors = std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let grpc_asked = args.iter().any(|a| a.starts_with("--grpc"));
        let lines = std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = tx.send(line.clone());
            if line.starts_with("listening on ") && grpc_asked {
                let mut grpc = String::new();
                let _ = stdout.read_line(&mut grpc);
                let _ = tx.send(grpc);
            }
            // Keep draining, so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let (line, grpc) = tokio::task::spawn_blocking(move || {
            let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
            let grpc =
                grpc_asked.then(|| rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default());
            (line, grpc)
        })
        .await
        .unwrap();
        let grpc = grpc.and_then(|g| {
            g.trim()
                .strip_prefix("event store clients: ")
                .map(str::to_owned)
        });
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "the server did not start: {line:?}; its log: {}",
                    String::from_utf8_lossy(&log.lock().unwrap())
                )
            })
            .to_owned();
        Served {
            child,
            base,
            grpc,
            log,
            readers: vec![errors, lines],
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`TERM`, `KILL`) to the server.
    pub(crate) fn signal(&self, signal: &str) {
        // The shell's own `kill`: no procps needed.
        let status = Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", self.pid())])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the server to end (at most a minute); its exit code and log.
    pub(crate) async fn wait(mut self) -> (Option<i32>, String) {
        let mut status = None;
        for _ in 0..600 {
            if let Some(ended) = self.child.try_wait().unwrap() {
                status = Some(ended);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if status.is_none() {
            let _ = self.child.kill();
        }
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let log = String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned();
        // Ended by a signal: no code, -1.
        (status.map(|s| s.code().unwrap_or(-1)), log)
    }

    /// Stops the server with SIGTERM; its log. It must exit 0.
    pub(crate) async fn stop(self) -> String {
        self.signal("TERM");
        let (code, log) = self.wait().await;
        assert_eq!(
            code,
            Some(0),
            "the server's exit after SIGTERM; its log:\n{log}"
        );
        log
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for one caller: a bearer token, or none.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// A response: status, headers, and the body as JSON (Null if it is not).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// The problem's stable code.
    pub(crate) fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }
}

impl Client {
    pub(crate) fn new(served: &Served, token: Option<&str>) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            base: served.base.clone(),
            token: token.map(str::to_owned),
        }
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        answer(self.request(Method::GET, path)).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        answer(self.request(Method::POST, path).json(&body)).await
    }

    /// Opens a school-conference case as the caller; its reference.
    pub(crate) async fn open_case(&self) -> String {
        let opened = self.post("/api/v1/cases", opening()).await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
        opened.json["reference"].as_str().unwrap().to_owned()
    }
}

/// Sends a request; the answer (a transport failure panics).
pub(crate) async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    read(response).await
}

pub(crate) async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

/// The body that opens a school-conference case.
pub(crate) fn opening() -> Value {
    json!({
        "process": "school-conference",
        "input": {
            "referral_source": "school",
            "referred_on": "2026-11-19",
            "minor_involved": false,
            "victim_name": VICTIM,
            "victim_phone": PHONE,
        },
        "occurred_at": "2026-11-20",
    })
}

/// Runs `test` on a fresh stage of the backend, then drops the stage.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let stage = super::super::Stage::new(kroonika_tests::Backend::Sqlite).await.unwrap();
                    super::$name(&stage).await;
                    stage.cleanup().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(stage) = super::super::Stage::new(kroonika_tests::Backend::Postgres).await else {
                        return;
                    };
                    super::$name(&stage).await;
                    stage.cleanup().await;
                }
            }
        )*
    };
}
pub(crate) use on_both;

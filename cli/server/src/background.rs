//! What a long-running process owes the store, through the application's
//! services: projections kept current as the log moves, deadlines handled
//! every minute, retention run daily, the directory and definitions followed,
//! expired sessions swept. Each service that fails (the database restarting,
//! say) is logged and started again after a pause; none takes the server
//! down. Every server on a shared store runs them all: the store makes each
//! deadline fire once and each projection batch apply once.

use std::future::Future;
use std::time::Duration;

use kroonika_app::App;
use kroonika_app::checkpoint::{Published, Publishing};
use kroonika_app::services::Shutdown;
use tokio::task::JoinSet;

/// How often each service runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub projections_poll: Duration,
    pub timers: Duration,
    pub retention: Duration,
    pub registry: Duration,
    pub sessions: Duration,
    /// How long a failed service waits before starting again.
    pub restart: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            projections_poll: Duration::from_secs(1),
            timers: Duration::from_secs(60),
            retention: Duration::from_secs(24 * 60 * 60),
            registry: Duration::from_secs(5),
            sessions: Duration::from_secs(60 * 60),
            restart: Duration::from_secs(5),
        }
    }
}

/// Starts every service; they stop when `shutdown` is asked. With
/// `checkpoints`, one more signs the verified log's head on its schedule.
pub fn start(
    app: &App,
    shutdown: &Shutdown,
    schedule: &Schedule,
    checkpoints: Option<&Publishing>,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let restart = schedule.restart;
    let spawn = |set: &mut JoinSet<()>,
                 name: &'static str,
                 run: Box<dyn Fn() -> Service + Send + Sync>| {
        let shutdown = shutdown.clone();
        set.spawn(async move {
            while !shutdown.is_stopped() {
                match run().await {
                    Ok(()) => break,
                    Err(err) => {
                        tracing::error!(service = name, error = %err, "stopped; starting again shortly");
                        if shutdown.sleep_or_stop(restart).await {
                            break;
                        }
                    }
                }
            }
        });
    };
    {
        let (app, shutdown, poll) = (app.clone(), shutdown.clone(), schedule.projections_poll);
        spawn(
            &mut set,
            "projections",
            Box::new(move || {
                let (app, shutdown) = (app.clone(), shutdown.clone());
                Box::pin(async move { app.run_projections(&shutdown, poll).await })
            }),
        );
    }
    {
        let (app, shutdown, every) = (app.clone(), shutdown.clone(), schedule.timers);
        spawn(
            &mut set,
            "timers",
            Box::new(move || {
                let (app, shutdown) = (app.clone(), shutdown.clone());
                Box::pin(async move {
                    app.run_timers_service(&shutdown, every, &mut |run| {
                        if run.handled > 0 || !run.failed.is_empty() {
                            tracing::info!(
                                handled = run.handled,
                                failed = run.failed.len(),
                                "deadlines handled"
                            );
                        }
                    })
                    .await
                })
            }),
        );
    }
    {
        let (app, shutdown, every) = (app.clone(), shutdown.clone(), schedule.retention);
        spawn(
            &mut set,
            "retention",
            Box::new(move || {
                let (app, shutdown) = (app.clone(), shutdown.clone());
                Box::pin(async move {
                    app.run_retention_service(&shutdown, every, &mut |rows| {
                        if !rows.is_empty() {
                            tracing::info!(cases = rows.len(), "retention ran");
                        }
                    })
                    .await
                })
            }),
        );
    }
    {
        let (app, shutdown, every) = (app.clone(), shutdown.clone(), schedule.registry);
        spawn(
            &mut set,
            "registry",
            Box::new(move || {
                let (app, shutdown) = (app.clone(), shutdown.clone());
                Box::pin(async move { app.run_registry(&shutdown, every).await })
            }),
        );
    }
    {
        let (app, shutdown, every) = (app.clone(), shutdown.clone(), schedule.sessions);
        spawn(
            &mut set,
            "sessions",
            Box::new(move || {
                let (app, shutdown) = (app.clone(), shutdown.clone());
                Box::pin(async move {
                    loop {
                        let swept = app.sweep_sessions().await?;
                        if swept > 0 {
                            tracing::info!(swept, "expired sessions deleted");
                        }
                        if shutdown.sleep_or_stop(every).await {
                            return Ok(());
                        }
                    }
                })
            }),
        );
    }
    if let Some(publishing) = checkpoints {
        let (app, shutdown, publishing) = (app.clone(), shutdown.clone(), publishing.clone());
        spawn(
            &mut set,
            "checkpoints",
            Box::new(move || {
                let (app, shutdown, publishing) =
                    (app.clone(), shutdown.clone(), publishing.clone());
                Box::pin(async move {
                    app.run_checkpoints(&shutdown, &publishing, &mut |round| match round {
                        Published::Signed(checkpoint, file) => tracing::info!(
                            position = checkpoint.position,
                            file = %file.display(),
                            "checkpoint signed"
                        ),
                        Published::Refused(err) => tracing::error!(
                            error = %err,
                            "the log does not verify: no checkpoint signed"
                        ),
                    })
                    .await
                })
            }),
        );
    }
    set
}

type Service = std::pin::Pin<Box<dyn Future<Output = kroonika_app::Result<()>> + Send>>;

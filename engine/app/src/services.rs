//! Long-running work as services: each a `run(shutdown)` loop the process owns
//! (the CLI's `--follow` modes now, the server later), which does its work as
//! the log moves (or at an interval) and returns cleanly when told to stop,
//! never in the middle of a write.

use std::time::Duration;

use tokio::sync::watch;

use crate::App;
use crate::error::Result;

/// Tells services to stop. Cheap to clone; every clone sees the same signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    sender: std::sync::Arc<watch::Sender<bool>>,
    receiver: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        let (sender, receiver) = watch::channel(false);
        Shutdown {
            sender: std::sync::Arc::new(sender),
            receiver,
        }
    }

    /// Asks every service holding a clone to stop.
    pub fn stop(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_stopped(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Waits until stop is asked.
    pub async fn stopped(&self) {
        let mut receiver = self.receiver.clone();
        // An error means every sender is gone: nobody can ask any more.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }

    /// Waits for `wait` unless stop is asked first; true if asked.
    pub async fn sleep_or_stop(&self, wait: Duration) -> bool {
        tokio::select! {
            () = self.stopped() => true,
            () = tokio::time::sleep(wait) => self.is_stopped(),
        }
    }
}

impl App {
    /// Keeps every projection current until `shutdown`: catches up, then
    /// again whenever the log moves (this process's commits at once, other
    /// processes' within `poll`).
    pub async fn run_projections(&self, shutdown: &Shutdown, poll: Duration) -> Result<()> {
        let store = &self.inner.store;
        self.catch_up_all().await?;
        let mut subscription = store.subscribe(store.head_position().await?);
        while !shutdown.is_stopped() {
            tokio::select! {
                () = shutdown.stopped() => break,
                next = tokio::time::timeout(poll, subscription.next()) => {
                    if let Ok(event) = next {
                        event?;
                    }
                }
            }
            self.catch_up_all().await?;
        }
        Ok(())
    }

    /// Keeps the registry (actors, published definitions) current until
    /// `shutdown`, reading what moved every `every`: one indexed query, so
    /// that what a long-lived process shows (who may take which step) follows
    /// changes made elsewhere. Writes never depend on it: each carries the
    /// registry's position as a precondition.
    pub async fn run_registry(&self, shutdown: &Shutdown, every: Duration) -> Result<()> {
        while !shutdown.sleep_or_stop(every).await {
            self.refresh().await?;
        }
        Ok(())
    }

    /// Handles due deadlines every `every` until `shutdown`. Each run is one
    /// [`App::run_timers`]; `each` is told what it did.
    pub async fn run_timers_service(
        &self,
        shutdown: &Shutdown,
        every: Duration,
        each: &mut (dyn FnMut(crate::timers::TimerRun) + Send),
    ) -> Result<()> {
        while !shutdown.is_stopped() {
            let run = self.run_timers(None).await?;
            each(run);
            if shutdown.sleep_or_stop(every).await {
                break;
            }
        }
        Ok(())
    }

    /// Runs retention every `every` until `shutdown`, as the system.
    pub async fn run_retention_service(
        &self,
        shutdown: &Shutdown,
        every: Duration,
        each: &mut (dyn FnMut(Vec<crate::privacy::RetentionRow>) + Send),
    ) -> Result<()> {
        while !shutdown.is_stopped() {
            let rows = self.run_retention(None, None).await?;
            each(rows);
            if shutdown.sleep_or_stop(every).await {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_reaches_every_clone() {
        let shutdown = Shutdown::new();
        let other = shutdown.clone();
        assert!(!other.is_stopped());
        let waiter = tokio::spawn(async move { other.stopped().await });
        assert!(!shutdown.sleep_or_stop(Duration::from_millis(10)).await);
        shutdown.stop();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(shutdown.sleep_or_stop(Duration::from_secs(60)).await);
    }
}

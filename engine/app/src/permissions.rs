//! Who may read what. Commands are judged by the engine's rules (a step's
//! roles, a definition's privacy section, the directory's administrators);
//! reads are judged here, once, for every front end:
//!
//! - a process's **cases** (the list, a case, its history) and its **report**:
//!   an actor holding a role the process names, or an auditor (and, for
//!   reports, the service owner who authors processes);
//! - the **whole log** (the audit trail, the access log, verification, the
//!   head, the raw log, an export): an auditor.
//!
//! Definitions, the store's status and projection progress are for every
//! registered actor. A refusal is recorded in the access log like any denial.
//! The store's operator ([`Request::operator`]) is not asked.

use kroonika_engine::Rejection;
use kroonika_engine::actors::{self, Actor};

use crate::App;
use crate::command::Request;
use crate::error::Result;

/// What a read touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading<'a> {
    /// Cases of this process.
    Cases(&'a str),
    /// The report of this process.
    Report(&'a str),
    /// The whole log.
    Log,
}

impl App {
    /// The actor asking to read `what`, if allowed; None for the operator. A
    /// refusal is recorded.
    pub(crate) async fn reader(
        &self,
        request: &Request,
        what: Reading<'_>,
    ) -> Result<Option<Actor>> {
        if request.operator && request.actor.is_empty() {
            return Ok(None);
        }
        let done = async {
            let (actor, _) = match what {
                Reading::Log => self.acting_on_any(&request.actor).await?,
                _ => self.acting(&request.actor).await?,
            };
            if let Reading::Cases(process) | Reading::Report(process) = what {
                // An unknown process is not found, for everyone alike.
                let mut registry = self.registry();
                if registry.versions(process).is_empty() {
                    registry = self.refresh().await?;
                }
                registry.definition(process, None)?;
            }
            self.may_read(&actor, what)?;
            Ok(Some(actor))
        }
        .await;
        let reference = None;
        self.recorded(request, reference, done).await
    }

    /// Whether `actor` may read `what` (no record kept: for filtering lists).
    pub(crate) fn may_read(&self, actor: &Actor, what: Reading<'_>) -> Result<(), Rejection> {
        match what {
            Reading::Log => actor.require_any(&[actors::AUDITOR], "read the whole log"),
            Reading::Cases(process) | Reading::Report(process) => {
                let mut roles: Vec<String> =
                    self.registry().process_roles(process).into_iter().collect();
                roles.push(actors::AUDITOR.to_owned());
                if matches!(what, Reading::Report(_)) {
                    roles.push(actors::SERVICE_OWNER.to_owned());
                }
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                let to = match what {
                    Reading::Report(_) => format!("read the report of '{process}'"),
                    _ => format!("read cases of '{process}'"),
                };
                actor.require_any(&roles, &to)
            }
        }
    }

    /// Whether the request may run an administrator's chore now (timers,
    /// retention, a projection rebuild) rather than wait for the background
    /// services: administrators, and the operator. A refusal is recorded.
    pub async fn may_administer(&self, request: &Request, to: &str) -> Result<()> {
        if request.operator && request.actor.is_empty() {
            return Ok(());
        }
        let done = self.administrator(request, to).await.map(|_| ());
        self.recorded(request, None, done).await
    }
}

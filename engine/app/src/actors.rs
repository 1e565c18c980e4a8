//! The actor directory: registering actors, granting and revoking roles, and
//! listing them; and the first administrator, who needs nobody's permission.
//! Registry writes, decided inside the store's write lock (see
//! `definitions.rs`).

use kroonika_engine::actors::{self, Actor, ActorCommand, ActorEvent};
use kroonika_engine::{Code, ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::Write;

use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};

/// What an actor command came to: whether anything changed, and the actor after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administered {
    pub changed: bool,
    pub actor: Actor,
}

impl App {
    /// An administrator's command on the directory.
    pub async fn administer(
        &self,
        request: &Request,
        command: &ActorCommand,
    ) -> Result<Administered> {
        let done = async {
            let (_, registry) = self.acting(&request.actor).await?;
            self.apply_actor(&registry, command, Some(&request.actor))
                .await
        }
        .await;
        self.recorded(request, None, done).await
    }

    /// Registers the first administrator of a store that has no actors yet.
    pub async fn register_first_admin(&self, name: &str) -> Result<Administered> {
        let registry = self.refresh().await?;
        let command = ActorCommand::Register {
            name: name.to_owned(),
            roles: vec![actors::ADMIN.to_owned()],
        };
        self.apply_actor(&registry, &command, None).await
    }

    async fn apply_actor(
        &self,
        registry: &crate::Registry,
        command: &ActorCommand,
        by: Option<&str>,
    ) -> Result<Administered> {
        let name = match command {
            ActorCommand::Register { name, .. }
            | ActorCommand::Grant { name, .. }
            | ActorCommand::Revoke { name, .. } => name,
        };
        actors::check_name(name)?;
        let stream =
            StreamName::from_parts(actors::CATEGORY, name).map_err(kroonika_store::Error::from)?;
        let command_id = self.new_id();
        let (changed, registry) = self
            .registry_write(registry, &stream, |registry, revision| {
                let by = match by {
                    Some(by) => Some(registry.acting(by)?),
                    None if !registry.actors().is_empty() => {
                        return Err(reject(
                            Code::AlreadyExists,
                            "the store has actors already; an administrator adds more with `kroonika actor add`",
                        ));
                    }
                    None => None,
                };
                let events = actors::decide(command, registry.actor(name), by.as_ref())?;
                if events.is_empty() {
                    return Ok((false, None));
                }
                let issuer = by.as_ref().map_or(name.as_str(), |by| by.name.as_str());
                let metadata = Metadata::for_command(issuer, command_id, self.now());
                let new = events
                    .iter()
                    .map(|event: &ActorEvent| {
                        NewEvent::new(self.new_id(), event.event_type(), &event.data(), metadata.clone())
                            .map_err(|err| Error::Invalid(err.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                Ok((true, Some(Write::append(&stream, expected, new))))
            })
            .await?;
        Ok(Administered {
            changed,
            actor: registry.actor(name).cloned().unwrap_or_default(),
        })
    }

    /// Every registered actor (administrators only).
    pub async fn list_actors(&self, request: &Request) -> Result<Vec<Actor>> {
        let done = async {
            let (by, _) = self.acting(&request.actor).await?;
            by.require_any(&[actors::ADMIN], "list actors")?;
            let registry = self.refresh().await?;
            Ok(registry.actors().values().cloned().collect())
        }
        .await;
        self.recorded(request, None, done).await
    }
}

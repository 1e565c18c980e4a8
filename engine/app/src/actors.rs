//! The actor directory: registering actors, granting and revoking roles, and
//! listing them; and the first administrator, who needs nobody's permission.
//! Registry writes, decided inside the store's write lock (see
//! `definitions.rs`).

use chrono::{DateTime, Utc};
use kroonika_engine::actors::{self, Actor, ActorCommand, ActorEvent};
use kroonika_engine::auth::AuthEvent;
use kroonika_engine::{Code, ExpectedRevision, Metadata, NewEvent, StreamName};
use kroonika_store::{CredentialChange, Write};
use uuid::Uuid;

use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};

/// What an actor command came to: whether anything changed, and the actor after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Administered {
    pub changed: bool,
    pub actor: Actor,
    /// Tokens revoked with a deactivation.
    pub tokens_revoked: usize,
}

/// An actor as `actor list` shows them: their roles, whether active, and when
/// they last did anything recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRow {
    pub actor: Actor,
    /// The last event recorded with them as its actor (any stream).
    pub last_active: Option<DateTime<Utc>>,
}

impl App {
    /// An administrator's command on the directory. A role that no published
    /// definition declares is refused unless `force` (a typo would otherwise
    /// give a role nothing asks for).
    pub async fn administer(
        &self,
        request: &Request,
        command: &ActorCommand,
        force: bool,
    ) -> Result<Administered> {
        let done = async {
            let (_, registry) = self.acting(&request.actor).await?;
            roles_declared(&registry, command, force)?;
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
        let name = command.name();
        actors::check_name(name)?;
        let stream =
            StreamName::from_parts(actors::CATEGORY, name).map_err(kroonika_store::Error::from)?;
        // A deactivation ends the actor's tokens and sessions in the same
        // write; a token issued meanwhile is refused anyway, since
        // authentication asks whether its actor is active.
        let tokens: Vec<Uuid> = match command {
            ActorCommand::Deactivate { .. } => self
                .inner
                .store
                .tokens()
                .await?
                .into_iter()
                .filter(|t| t.actor == name && t.hash.is_some())
                .map(|t| t.id)
                .collect(),
            _ => Vec::new(),
        };
        let command_id = self.new_id();
        let ((changed, revoked), registry) = self
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
                    return Ok(((false, 0), None));
                }
                let issuer = by.as_ref().map_or(name, |by| by.name.as_str());
                let now = self.now();
                let metadata = Metadata::for_command(issuer, command_id, now);
                let new = events
                    .iter()
                    .map(|event: &ActorEvent| {
                        NewEvent::new(self.new_id(), event.event_type(), &event.data(), metadata.clone())
                            .map_err(|err| Error::Invalid(err.to_string()))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
                let mut write = Write::append(&stream, expected, new);
                if matches!(events[0], ActorEvent::ActorDeactivated { .. }) {
                    let ended = self.auth_write(
                        name,
                        issuer,
                        &tokens
                            .iter()
                            .map(|id| AuthEvent::TokenRevoked { token: *id })
                            .collect::<Vec<_>>(),
                        tokens
                            .iter()
                            .map(|id| CredentialChange::RevokeToken { id: *id, at: now })
                            .chain([CredentialChange::CloseSessionsOf {
                                actor: name.to_owned(),
                            }])
                            .collect(),
                    )?;
                    write.streams.extend(ended.streams.into_iter().filter(|s| !s.events.is_empty()));
                    write.credentials = ended.credentials;
                }
                Ok(((true, tokens.len()), Some(write)))
            })
            .await?;
        Ok(Administered {
            changed,
            actor: registry.actor(name).cloned().unwrap_or_default(),
            tokens_revoked: if changed { revoked } else { 0 },
        })
    }

    /// Every registered actor, with when they last did anything recorded
    /// (administrators only). Reads the whole log once.
    pub async fn list_actors(&self, request: &Request) -> Result<Vec<ActorRow>> {
        let done = async {
            self.administrator(request, "list actors").await?;
            let registry = self.refresh().await?;
            let last = self.inner.store.last_activity().await?;
            Ok(registry
                .actors()
                .values()
                .map(|actor| ActorRow {
                    last_active: last.get(&actor.name).copied(),
                    actor: actor.clone(),
                })
                .collect())
        }
        .await;
        self.recorded(request, None, done).await
    }
}

/// Refuses a role that no published definition declares, unless `force`.
/// Before anything is published there is nothing to judge a role by (a new
/// store registers its people first), so every well-formed role is taken.
fn roles_declared(registry: &crate::Registry, command: &ActorCommand, force: bool) -> Result<()> {
    let roles: Vec<&String> = match command {
        ActorCommand::Register { roles, .. } => roles.iter().collect(),
        ActorCommand::Grant { role, .. } => vec![role],
        _ => return Ok(()),
    };
    let Some(known) = registry.known_roles().filter(|_| !force) else {
        return Ok(());
    };
    for role in roles {
        if !known.contains(role.as_str()) {
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(reject(
                Code::InvalidInput,
                format!(
                    "no published definition declares role '{role}' (known roles: {}); check the spelling, or give --force for a role a definition will declare",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

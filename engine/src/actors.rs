//! Actors and their roles: who may do what.
//!
//! Each actor has a stream, `actor-<name>`, holding `ActorRegistered`,
//! `RoleGranted` and `RoleRevoked` events; [`Actor::evolve`] folds them into the
//! actor's current roles, and [`decide`] turns an administrator's command into
//! events or a [`Rejection`]. Role names are global (a definition's
//! `coordinator` is the actor's `coordinator`); `admin` administers actors and
//! `service-owner` publishes definitions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::rejection::{Code, Rejection};

/// The role that administers actors.
pub const ADMIN: &str = "admin";
/// The role that publishes process definitions.
pub const SERVICE_OWNER: &str = "service-owner";
/// The role that reads the whole log: the audit trail, the access log,
/// verification, exports.
pub const AUDITOR: &str = "auditor";
/// The name the system acts under (timers); never a registered actor.
pub const SYSTEM: &str = "system";
/// The stream category of actors.
pub const CATEGORY: &str = "actor";

/// Events of an actor's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ActorEvent {
    ActorRegistered {
        name: String,
        roles: Vec<String>,
    },
    RoleGranted {
        role: String,
    },
    RoleRevoked {
        role: String,
    },
    /// The actor may do nothing until reactivated; their history stays.
    ActorDeactivated {
        reason: String,
    },
    ActorReactivated {},
    /// The region the actor works in (a regional lead sees the overdue cases
    /// of their region); None: every region.
    RegionSet {
        #[serde(default)]
        region: Option<String>,
    },
    /// A case recorded what the service needs to know of the actor (the
    /// definition's `profile`): written with the case's step, by the same
    /// command, never by an administrator.
    ProfileRecorded {
        profile: String,
        process: String,
        case: String,
        #[serde(default)]
        values: BTreeMap<String, serde_json::Value>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        roles: Vec<String>,
    },
}

impl ActorEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            ActorEvent::ActorRegistered { .. } => "ActorRegistered",
            ActorEvent::RoleGranted { .. } => "RoleGranted",
            ActorEvent::RoleRevoked { .. } => "RoleRevoked",
            ActorEvent::ActorDeactivated { .. } => "ActorDeactivated",
            ActorEvent::ActorReactivated { .. } => "ActorReactivated",
            ActorEvent::RegionSet { .. } => "RegionSet",
            ActorEvent::ProfileRecorded { .. } => "ProfileRecorded",
        }
    }

    /// The payload alone, as stored (the type goes in the envelope).
    pub fn data(&self) -> serde_json::Value {
        let tagged = serde_json::to_value(self).unwrap_or_default();
        tagged.get("data").cloned().unwrap_or_default()
    }

    /// Reads an event back from its envelope's type and payload.
    pub fn from_parts(event_type: &str, data: &str) -> Result<ActorEvent, serde_json::Error> {
        // One parse, straight into the enum: the tag first lets serde read the
        // payload into its variant without an intermediate `Value`.
        let tagged = format!(
            "{{\"type\":{},\"data\":{data}}}",
            serde_json::to_string(event_type)?
        );
        serde_json::from_str(&tagged)
    }
}

/// An actor as its events leave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    /// The roles granted: kept while the actor is deactivated, in effect
    /// again when reactivated.
    pub roles: BTreeSet<String>,
    /// Why the actor was deactivated, while they are: they hold no role in
    /// effect, so every rule refuses them.
    pub deactivated: Option<String>,
    /// What cases recorded of the actor, by profile name.
    pub profiles: BTreeMap<String, ActorProfile>,
    /// The region they work in; None: all of them.
    pub region: Option<String>,
}

/// A profile as the latest step recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorProfile {
    pub process: String,
    /// The reference of the case that recorded it.
    pub case: String,
    /// The case's state and the recorded fields' values.
    pub values: BTreeMap<String, serde_json::Value>,
    /// The roles it grants now.
    pub roles: Vec<String>,
}

impl Actor {
    /// Folds one event in. No rules here: events are facts.
    pub fn evolve(&mut self, event: &ActorEvent) {
        match event {
            ActorEvent::ActorRegistered { name, roles } => {
                self.name.clone_from(name);
                self.roles = roles.iter().cloned().collect();
            }
            ActorEvent::RoleGranted { role } => {
                self.roles.insert(role.clone());
            }
            ActorEvent::RoleRevoked { role } => {
                self.roles.remove(role);
            }
            ActorEvent::ActorDeactivated { reason } => {
                self.deactivated = Some(reason.clone());
            }
            ActorEvent::ActorReactivated {} => {
                self.deactivated = None;
            }
            ActorEvent::RegionSet { region } => {
                self.region.clone_from(region);
            }
            ActorEvent::ProfileRecorded {
                profile,
                process,
                case,
                values,
                roles,
            } => {
                self.profiles.insert(
                    profile.clone(),
                    ActorProfile {
                        process: process.clone(),
                        case: case.clone(),
                        values: values.clone(),
                        roles: roles.clone(),
                    },
                );
            }
        }
    }

    /// Whether the actor holds `role` in effect: granted by an administrator
    /// or by a profile, and never while deactivated.
    pub fn has_role(&self, role: &str) -> bool {
        self.deactivated.is_none()
            && (self.roles.contains(role)
                || self
                    .profiles
                    .values()
                    .any(|p| p.roles.iter().any(|r| r == role)))
    }

    /// Whether an administrator granted `role` and it is in effect (a
    /// profile's roles are not theirs to grant or revoke).
    fn holds_granted(&self, role: &str) -> bool {
        self.deactivated.is_none() && self.roles.contains(role)
    }

    /// Whether a case of `region` is in this actor's region: theirs, or any
    /// when either has none.
    pub fn works_in(&self, region: Option<&str>) -> bool {
        match (self.region.as_deref(), region) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        }
    }

    /// The roles profiles give beyond an administrator's grants, each with
    /// the profile giving it (whether or not the actor is active now).
    pub fn profile_roles(&self) -> Vec<(&str, &str)> {
        self.profiles
            .iter()
            .flat_map(|(name, profile)| {
                profile
                    .roles
                    .iter()
                    .filter(|role| !self.roles.contains(*role))
                    .map(move |role| (role.as_str(), name.as_str()))
            })
            .collect()
    }

    /// Every role in effect, administrators' grants and profiles' together.
    pub fn roles_in_effect(&self) -> BTreeSet<String> {
        if self.deactivated.is_some() {
            return BTreeSet::new();
        }
        let mut all = self.roles.clone();
        all.extend(self.profiles.values().flat_map(|p| p.roles.iter().cloned()));
        all
    }

    pub fn is_active(&self) -> bool {
        self.deactivated.is_none()
    }

    /// Refuses unless the actor holds one of `roles`, naming what it has.
    pub fn require_any(&self, roles: &[&str], to: &str) -> Result<(), Rejection> {
        if roles.iter().any(|r| self.has_role(r)) {
            return Ok(());
        }
        if let Some(reason) = &self.deactivated {
            return Err(Rejection::denied(format!(
                "actor '{}' is deactivated ({reason}) and may not {to}",
                self.name
            )));
        }
        let has = if self.roles.is_empty() {
            "no roles".to_owned()
        } else {
            self.roles.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        let needed = roles
            .iter()
            .map(|r| format!("'{r}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        Err(Rejection::denied(format!(
            "actor '{}' lacks role {needed} needed to {to} (has: {has})",
            self.name
        )))
    }
}

/// An actor as its stream's events leave them; None when the stream is empty
/// (never registered).
pub fn fold(
    events: &[crate::event::RecordedEvent],
) -> Result<Option<Actor>, crate::event::DecodeError> {
    if events.is_empty() {
        return Ok(None);
    }
    let mut actor = Actor::default();
    for event in events {
        let decoded =
            ActorEvent::from_parts(&event.event_type, event.data.as_str()).map_err(|source| {
                crate::event::DecodeError {
                    position: event.position,
                    stream: event.stream.to_string(),
                    source,
                }
            })?;
        actor.evolve(&decoded);
    }
    Ok(Some(actor))
}

/// What an administrator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorCommand {
    Register {
        name: String,
        roles: Vec<String>,
    },
    Grant {
        name: String,
        role: String,
    },
    Revoke {
        name: String,
        role: String,
    },
    Deactivate {
        name: String,
        reason: String,
    },
    Reactivate {
        name: String,
    },
    /// Sets (or with None clears) the region an actor works in.
    SetRegion {
        name: String,
        region: Option<String>,
    },
}

impl ActorCommand {
    /// The actor the command is about.
    pub fn name(&self) -> &str {
        match self {
            ActorCommand::Register { name, .. }
            | ActorCommand::Grant { name, .. }
            | ActorCommand::Revoke { name, .. }
            | ActorCommand::Deactivate { name, .. }
            | ActorCommand::Reactivate { name }
            | ActorCommand::SetRegion { name, .. } => name,
        }
    }
}

/// Checks an actor name: lowercase letters, digits, '.', '_' and '-', starting
/// with a letter, at most 64 characters; `system` is reserved.
pub fn check_name(name: &str) -> Result<(), Rejection> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && name.len() <= 64;
    if !ok {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{name}' is not a valid actor name: use lowercase letters, digits, '.', '_' and '-', starting with a letter"
            ),
        ));
    }
    if name == SYSTEM {
        return Err(Rejection::new(
            Code::InvalidInput,
            "'system' is reserved for the system's own actions",
        ));
    }
    Ok(())
}

/// Checks a role name: lowercase letters, digits and single '-'.
pub fn check_role(role: &str) -> Result<(), Rejection> {
    let mut chars = role.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !role.ends_with('-')
        && !role.contains("--")
        && role.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{role}' is not a valid role name: use lowercase letters, digits and single '-'"
            ),
        ))
    }
}

/// Decides an actor command. `target` is the named actor's current state (None
/// if it has no stream); `by` is who asks. The first administrator is
/// registered by `kroonika init --admin`, which passes `by = None`.
pub fn decide(
    command: &ActorCommand,
    target: Option<&Actor>,
    by: Option<&Actor>,
) -> Result<Vec<ActorEvent>, Rejection> {
    if let Some(by) = by {
        by.require_any(&[ADMIN], "administer actors")?;
    }
    match command {
        ActorCommand::Register { name, roles } => {
            check_name(name)?;
            if target.is_some() {
                return Err(Rejection::new(
                    Code::AlreadyExists,
                    format!("actor '{name}' is registered already; grant roles with `actor grant`"),
                ));
            }
            let mut unique: Vec<String> = Vec::new();
            for role in roles {
                check_role(role)?;
                if !unique.contains(role) {
                    unique.push(role.clone());
                }
            }
            Ok(vec![ActorEvent::ActorRegistered {
                name: name.clone(),
                roles: unique,
            }])
        }
        ActorCommand::Grant { name, role } => {
            check_role(role)?;
            let target = target.ok_or_else(|| unknown(name))?;
            if target.holds_granted(role) {
                return Ok(Vec::new());
            }
            Ok(vec![ActorEvent::RoleGranted { role: role.clone() }])
        }
        ActorCommand::Revoke { name, role } => {
            let target = target.ok_or_else(|| unknown(name))?;
            if !target.holds_granted(role) {
                return Err(Rejection::new(
                    Code::NotFound,
                    format!("actor '{name}' does not hold role '{role}'"),
                ));
            }
            if role == ADMIN && by.is_some_and(|by| by.name == *name) {
                return Err(Rejection::new(
                    Code::Rule,
                    "an administrator cannot revoke their own 'admin' role; ask another administrator",
                ));
            }
            Ok(vec![ActorEvent::RoleRevoked { role: role.clone() }])
        }
        ActorCommand::Deactivate { name, reason } => {
            let target = target.ok_or_else(|| unknown(name))?;
            if reason.trim().is_empty() {
                return Err(Rejection::new(
                    Code::MissingInput,
                    "deactivating an actor needs a reason: --reason TEXT (it is recorded)",
                ));
            }
            if by.is_some_and(|by| by.name == *name) {
                return Err(Rejection::new(
                    Code::Rule,
                    "an administrator cannot deactivate themself; ask another administrator",
                ));
            }
            if target.deactivated.is_some() {
                return Ok(Vec::new());
            }
            Ok(vec![ActorEvent::ActorDeactivated {
                reason: reason.trim().to_owned(),
            }])
        }
        ActorCommand::Reactivate { name } => {
            let target = target.ok_or_else(|| unknown(name))?;
            if target.deactivated.is_none() {
                return Ok(Vec::new());
            }
            Ok(vec![ActorEvent::ActorReactivated {}])
        }
        ActorCommand::SetRegion { name, region } => {
            let target = target.ok_or_else(|| unknown(name))?;
            if let Some(region) = region {
                check_role(region).map_err(|_| {
                    Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "'{region}' is not a valid region: use lowercase letters, digits and single '-' (north, south, ...)"
                        ),
                    )
                })?;
            }
            if target.region == *region {
                return Ok(Vec::new());
            }
            Ok(vec![ActorEvent::RegionSet {
                region: region.clone(),
            }])
        }
    }
}

fn unknown(name: &str) -> Rejection {
    Rejection::new(
        Code::NotFound,
        format!("there is no actor '{name}'; register it with `actor add`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(name: &str, roles: &[&str]) -> Actor {
        Actor {
            name: name.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Actor::default()
        }
    }

    #[test]
    fn given_when_then() {
        let admin = actor("anu", &[ADMIN]);
        let mari = actor("mari", &["coordinator"]);
        let register = ActorCommand::Register {
            name: "mari".into(),
            roles: vec!["coordinator".into(), "coordinator".into()],
        };
        // The first administrator needs nobody's permission.
        assert_eq!(
            decide(
                &ActorCommand::Register {
                    name: "anu".into(),
                    roles: vec![ADMIN.into()]
                },
                None,
                None
            ),
            Ok(vec![ActorEvent::ActorRegistered {
                name: "anu".into(),
                roles: vec![ADMIN.into()]
            }])
        );
        assert_eq!(
            decide(&register, None, Some(&admin)),
            Ok(vec![ActorEvent::ActorRegistered {
                name: "mari".into(),
                roles: vec!["coordinator".into()]
            }])
        );
        let cases: Vec<(ActorCommand, Option<&Actor>, &Actor, &str)> = vec![
            (
                register.clone(),
                None,
                &mari,
                "actor 'mari' lacks role 'admin' needed to administer actors (has: coordinator)",
            ),
            (
                register.clone(),
                Some(&mari),
                &admin,
                "actor 'mari' is registered already; grant roles with `actor grant`",
            ),
            (
                ActorCommand::Register {
                    name: "Mari K".into(),
                    roles: vec![],
                },
                None,
                &admin,
                "'Mari K' is not a valid actor name: use lowercase letters, digits, '.', '_' and '-', starting with a letter",
            ),
            (
                ActorCommand::Register {
                    name: "system".into(),
                    roles: vec![],
                },
                None,
                &admin,
                "'system' is reserved for the system's own actions",
            ),
            (
                ActorCommand::Grant {
                    name: "jaan".into(),
                    role: "mediator".into(),
                },
                None,
                &admin,
                "there is no actor 'jaan'; register it with `actor add`",
            ),
            (
                ActorCommand::Grant {
                    name: "mari".into(),
                    role: "Mediator".into(),
                },
                Some(&mari),
                &admin,
                "'Mediator' is not a valid role name: use lowercase letters, digits and single '-'",
            ),
            (
                ActorCommand::Revoke {
                    name: "mari".into(),
                    role: "mediator".into(),
                },
                Some(&mari),
                &admin,
                "actor 'mari' does not hold role 'mediator'",
            ),
            (
                ActorCommand::Revoke {
                    name: "anu".into(),
                    role: ADMIN.into(),
                },
                Some(&admin),
                &admin,
                "an administrator cannot revoke their own 'admin' role; ask another administrator",
            ),
        ];
        for (command, target, by, message) in cases {
            assert_eq!(
                decide(&command, target, Some(by)).map_err(|r| r.to_string()),
                Err(message.to_owned()),
                "{command:?}"
            );
        }
        // Granting a role already held changes nothing.
        assert_eq!(
            decide(
                &ActorCommand::Grant {
                    name: "mari".into(),
                    role: "coordinator".into()
                },
                Some(&mari),
                Some(&admin)
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn a_deactivated_actor_holds_no_role_until_reactivated() {
        let admin = actor("anu", &[ADMIN]);
        let mut mari = actor("mari", &["coordinator"]);
        let deactivate = |reason: &str| ActorCommand::Deactivate {
            name: "mari".into(),
            reason: reason.into(),
        };
        assert_eq!(
            decide(&deactivate(" "), Some(&mari), Some(&admin)).map_err(|r| r.to_string()),
            Err("deactivating an actor needs a reason: --reason TEXT (it is recorded)".into())
        );
        assert_eq!(
            decide(
                &ActorCommand::Deactivate {
                    name: "anu".into(),
                    reason: "left".into()
                },
                Some(&admin),
                Some(&admin)
            )
            .map_err(|r| r.to_string()),
            Err("an administrator cannot deactivate themself; ask another administrator".into())
        );
        let events = decide(&deactivate(" left the service "), Some(&mari), Some(&admin)).unwrap();
        assert_eq!(
            events,
            vec![ActorEvent::ActorDeactivated {
                reason: "left the service".into()
            }]
        );
        mari.evolve(&events[0]);
        assert!(!mari.has_role("coordinator"));
        assert_eq!(
            mari.require_any(&["coordinator"], "open cases")
                .map_err(|r| (r.code(), r.to_string())),
            Err((
                Code::Denied,
                "actor 'mari' is deactivated (left the service) and may not open cases".into()
            ))
        );
        // A deactivated administrator administers nothing.
        let mut gone = admin.clone();
        gone.evolve(&ActorEvent::ActorDeactivated { reason: "x".into() });
        assert!(decide(&deactivate("y"), Some(&mari), Some(&gone)).is_err());
        // Again: nothing; reactivated: the roles are back.
        assert_eq!(
            decide(&deactivate("again"), Some(&mari), Some(&admin)),
            Ok(vec![])
        );
        let back = ActorCommand::Reactivate {
            name: "mari".into(),
        };
        let events = decide(&back, Some(&mari), Some(&admin)).unwrap();
        assert_eq!(events, vec![ActorEvent::ActorReactivated {}]);
        mari.evolve(&events[0]);
        assert!(mari.has_role("coordinator"));
        assert_eq!(decide(&back, Some(&mari), Some(&admin)), Ok(vec![]));
    }

    #[test]
    fn evolve_folds_roles() {
        let mut mari = Actor::default();
        for event in [
            ActorEvent::ActorRegistered {
                name: "mari".into(),
                roles: vec!["coordinator".into()],
            },
            ActorEvent::RoleGranted {
                role: "mediator".into(),
            },
            ActorEvent::RoleRevoked {
                role: "coordinator".into(),
            },
        ] {
            let back =
                ActorEvent::from_parts(event.event_type(), &event.data().to_string()).unwrap();
            assert_eq!(back, event);
            mari.evolve(&event);
        }
        assert_eq!(mari, actor("mari", &["mediator"]));
    }

    #[test]
    fn event_json_is_stable() {
        let events = [
            ActorEvent::ActorRegistered {
                name: "mari".into(),
                roles: vec!["coordinator".into(), "mediator".into()],
            },
            ActorEvent::RoleGranted {
                role: "regional-lead".into(),
            },
            ActorEvent::RoleRevoked {
                role: "mediator".into(),
            },
        ];
        let json: Vec<_> = events
            .iter()
            .map(|e| serde_json::json!({ "type": e.event_type(), "data": e.data() }))
            .collect();
        insta::assert_json_snapshot!(json, @r#"
        [
          {
            "data": {
              "name": "mari",
              "roles": [
                "coordinator",
                "mediator"
              ]
            },
            "type": "ActorRegistered"
          },
          {
            "data": {
              "role": "regional-lead"
            },
            "type": "RoleGranted"
          },
          {
            "data": {
              "role": "mediator"
            },
            "type": "RoleRevoked"
          }
        ]
        "#);
    }

    #[test]
    fn a_region_is_set_checked_and_cleared_and_profiles_roles_are_not_an_administrators() {
        let admin = actor("anu", &[ADMIN]);
        let mut rein = actor("rein", &["regional-lead"]);
        let set = |region: Option<&str>| ActorCommand::SetRegion {
            name: "rein".into(),
            region: region.map(str::to_owned),
        };
        assert_eq!(
            decide(&set(Some("south")), Some(&rein), Some(&admin)),
            Ok(vec![ActorEvent::RegionSet {
                region: Some("south".into())
            }])
        );
        assert_eq!(
            decide(&set(Some("Lõuna")), Some(&rein), Some(&admin))
                .unwrap_err()
                .code(),
            Code::InvalidInput
        );
        assert_eq!(
            decide(&set(Some("south")), Some(&rein), Some(&rein))
                .unwrap_err()
                .code(),
            Code::Denied
        );
        rein.evolve(&ActorEvent::RegionSet {
            region: Some("south".into()),
        });
        assert!(rein.works_in(Some("south")) && !rein.works_in(Some("north")));
        assert!(
            rein.works_in(None),
            "a case of no region reaches every lead"
        );
        assert_eq!(
            decide(&set(Some("south")), Some(&rein), Some(&admin)),
            Ok(vec![])
        );
        assert_eq!(
            decide(&set(None), Some(&rein), Some(&admin)),
            Ok(vec![ActorEvent::RegionSet { region: None }])
        );
        // A role a profile gives is in effect, but not the administrator's to
        // revoke; granting it makes it the administrator's too.
        let mut kaja = actor("kaja", &["volunteer"]);
        kaja.evolve(&ActorEvent::ProfileRecorded {
            profile: "volunteer".into(),
            process: "volunteer-onboarding".into(),
            case: "VA-2026-0001".into(),
            values: BTreeMap::new(),
            roles: vec!["mediator".into()],
        });
        assert!(kaja.has_role("mediator"));
        let revoke = ActorCommand::Revoke {
            name: "kaja".into(),
            role: "mediator".into(),
        };
        assert_eq!(
            decide(&revoke, Some(&kaja), Some(&admin))
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        let grant = ActorCommand::Grant {
            name: "kaja".into(),
            role: "mediator".into(),
        };
        assert_eq!(
            decide(&grant, Some(&kaja), Some(&admin)),
            Ok(vec![ActorEvent::RoleGranted {
                role: "mediator".into()
            }])
        );
    }
}

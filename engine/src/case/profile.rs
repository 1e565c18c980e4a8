//! Profiles: what a case records on the actors it is about.
//!
//! A volunteer's onboarding case knows what an assignment elsewhere must check
//! (the volunteer is active, trained for the track, their criminal-record check
//! is still valid). The definition's `profile` names the actor-list field the
//! case is about, the fields to copy and the roles it grants; after every step
//! that changes any of it, the step's `TransitionTaken` (or a correction's
//! `CaseDataCorrected`) carries a [`ProfileRecord`] and the application writes a `ProfileRecorded` to each
//! named actor's stream with it, in the same write. Guards of any process read
//! profiles as `people[NAME].PROFILE.FIELD`.
//!
//! Deciding what to record is a rule over the case as the step leaves it and
//! the actors as they are: pure, and decided again by conformance like the rest
//! of the step.

use std::collections::BTreeMap;

use serde_json::Value;

use super::decide::{Context, condition};
use super::event::ProfileRecord;
use crate::rejection::{Code, Rejection};

/// The state the profile records itself under, besides the fields.
pub const STATE: &str = "state";

/// What the step leaving the case in `state` with `data` records, for the
/// named actors whose recorded profile it changes; None when it changes no
/// one's (or the definition keeps no profile).
pub fn after_step(
    cx: &Context<'_>,
    data: &BTreeMap<String, Value>,
    state: &str,
) -> Result<Option<ProfileRecord>, Rejection> {
    let Some(profile) = &cx.definition.profile else {
        return Ok(None);
    };
    let named: Vec<&str> = data
        .get(&profile.of)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if named.is_empty() {
        return Ok(None);
    }
    let mut values = BTreeMap::from([(STATE.to_owned(), Value::from(state))]);
    for field in &profile.record {
        values.insert(
            field.clone(),
            data.get(field).cloned().unwrap_or(Value::Null),
        );
    }
    let mut roles = Vec::new();
    for granted in &profile.roles {
        let holds = match &granted.when {
            None => true,
            Some(when) => condition(cx, when, data, state, None).map_err(|why| {
                Rejection::new(
                    Code::GuardError,
                    format!(
                        "the condition of role '{}' in profile '{}' could not be evaluated: {why}",
                        granted.role, profile.name
                    ),
                )
            })?,
        };
        if holds {
            roles.push(granted.role.clone());
        }
    }
    let actors: Vec<String> = named
        .into_iter()
        .filter(|name| {
            cx.actors.get(*name).is_some_and(|actor| {
                actor.profiles.get(&profile.name).is_none_or(|known| {
                    known.process != cx.definition.id
                        || known.values != values
                        || known.roles != roles
                })
            })
        })
        .map(str::to_owned)
        .collect();
    if actors.is_empty() {
        return Ok(None);
    }
    Ok(Some(ProfileRecord {
        profile: profile.name.clone(),
        actors,
        values,
        roles,
    }))
}

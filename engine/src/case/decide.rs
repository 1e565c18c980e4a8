//! Deciding case commands: (definition, case, command, actor, time) → events or
//! a rejection. Pure: no clock, no ids, no I/O; the caller passes the time and
//! the actor directory, and appends what comes back.
//!
//! The rules are checked in the order a user would want to hear about them:
//! is the case open, does the step exist here, may this actor take it, is the
//! input complete and well-typed, does the guard (or the checklist) allow it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::event::{CaseEvent, ScheduledDeadline};
use super::guard::{self, Scope};
use super::state::Case;
use super::value::{self, RawValue};
use crate::actors::Actor;
use crate::definition::{
    FieldType, Input, InputSource, ProcessDefinition, RoleRef, State, Transition,
};
use crate::rejection::{Code, Rejection};

/// What a command is decided against.
#[derive(Debug)]
pub struct Context<'a> {
    pub definition: &'a ProcessDefinition,
    /// The version of the definition (a case keeps the version it opened with).
    pub version: u32,
    pub actor: &'a Actor,
    /// Every registered actor, to check the people named in actor lists.
    pub actors: &'a BTreeMap<String, Actor>,
    /// When the decision is made (guards' `now`).
    pub now: DateTime<Utc>,
    /// When the thing happened in the world; deadlines count from it.
    pub occurred_at: DateTime<Utc>,
}

/// A command's inputs by name, as they arrived.
pub type RawInput = BTreeMap<String, RawValue>;

/// Values by field or input name, parsed and checked.
pub type Values = BTreeMap<String, Value>;

/// Opens a case with the reference the caller allocated.
pub fn open(
    cx: &Context<'_>,
    reference: &str,
    input: &RawInput,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    allowed(cx, &def.open.roles, &BTreeMap::new(), "open a case")?;
    let (mut data, local) = read_inputs(cx, &def.open.input, input, "opening a case")?;
    super::people::settle(def, &BTreeMap::new(), &def.open.input, &mut data, &local)?;
    let state = def.state(&def.initial).ok_or_else(|| {
        Rejection::new(
            Code::InvalidDefinition,
            "the definition has no initial state",
        )
    })?;
    let deadline = schedule(cx, state, &data)?;
    Ok(vec![CaseEvent::CaseOpened {
        process: def.id.clone(),
        version: cx.version,
        reference: reference.to_owned(),
        state: state.name.clone(),
        data,
        deadline,
    }])
}

/// Takes a transition.
pub fn take(
    cx: &Context<'_>,
    case: &Case,
    transition: &str,
    input: &RawInput,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    let state = current_state(def, case)?;
    let available: Vec<&Transition> = def.transitions_in(state).collect();
    let Some(step) = available.iter().find(|t| t.name == transition) else {
        // The steps this actor may take first; the others only named.
        let (mine, others): (Vec<&&Transition>, Vec<&&Transition>) = available
            .iter()
            .partition(|t| allowed(cx, &t.roles, &case.data, "").is_ok());
        let names = |steps: &[&&Transition]| {
            steps
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let yours = if mine.is_empty() {
            "none of its steps is yours to take".to_owned()
        } else {
            format!("you can take: {}", names(&mine))
        };
        let rest = if others.is_empty() {
            String::new()
        } else {
            format!(" (others' steps here: {})", names(&others))
        };
        return Err(Rejection::new(
            Code::UnknownTransition,
            format!(
                "unknown transition '{transition}' in state '{}'; {yours}{rest}",
                state.name
            ),
        ));
    };
    allowed(cx, &step.roles, &case.data, &format!("take '{transition}'"))?;
    let (mut data, local) = read_inputs(cx, &step.input, input, &format!("'{transition}'"))?;
    super::people::settle(def, &case.data, &step.input, &mut data, &local)?;
    if let Some(guard) = &step.guard {
        let mut inputs = local.clone();
        inputs.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
        let (complete, done, missing) = checklist(cx, case, state)?;
        let scope = Scope {
            definition: def,
            data: &case.data,
            input: Some(&inputs),
            tasks: Some((complete, done)),
            actor: cx.actor,
            actors: cx.actors,
            now: cx.now,
            state: &state.name,
            entered_at: case.entered_at,
        };
        let holds = guard::evaluate(&guard.expression, &scope).map_err(|why| {
            Rejection::new(
                Code::GuardError,
                format!(
                    "the guard of '{transition}' could not be evaluated: {why} (guard: {})",
                    guard.expression
                ),
            )
        })?;
        if !holds {
            if !complete && guard.expression.contains("tasks.complete") {
                return Err(Rejection::new(
                    Code::ChecklistIncomplete,
                    format!(
                        "'{transition}' needs the checklist complete; missing: {}",
                        missing.join(", ")
                    ),
                ));
            }
            let message = guard
                .message
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_else(|| format!("'{transition}' is not allowed now."));
            return Err(Rejection::new(
                Code::GuardFailed,
                format!("{message} (guard: {})", guard.expression),
            ));
        }
    }
    let to_name = step.to.clone().unwrap_or_else(|| state.name.clone());
    let to = def.state(&to_name).ok_or_else(|| {
        Rejection::new(
            Code::InvalidDefinition,
            format!("the definition has no state '{to_name}'"),
        )
    })?;
    let moving = to.name != state.name;
    let mut merged = case.data.clone();
    merged.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let deadline = if moving || recounts(to, case, &data) {
        schedule(cx, to, &merged)?
    } else {
        None
    };
    let notices = super::notices::due_after(cx, case, transition, &merged, &to.name)?;
    let profile = super::profile::after_step(cx, &merged, &to.name)?;
    Ok(vec![CaseEvent::TransitionTaken {
        transition: transition.to_owned(),
        from: state.name.clone(),
        to: to.name.clone(),
        data,
        input: local,
        deadline,
        closes: to.terminal,
        outcome: to.outcome.clone(),
        notices,
        profile,
    }])
}

/// Whether a step that stays in `state` gives the field its deadline counts
/// from a new value (a yearly check recorded again): the deadline is counted
/// again from it.
fn recounts(state: &State, case: &Case, data: &BTreeMap<String, Value>) -> bool {
    state
        .deadline
        .as_ref()
        .and_then(|d| d.from.as_ref())
        .is_some_and(|from| {
            data.get(from)
                .is_some_and(|v| case.data.get(from) != Some(v))
        })
}

/// Completes a checklist task of the current state. Completing a done task
/// changes nothing.
pub fn complete_task(
    cx: &Context<'_>,
    case: &Case,
    task: &str,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    let state = current_state(def, case)?;
    if !state.tasks.iter().any(|t| t.id == task) {
        let ids: Vec<&str> = state.tasks.iter().map(|t| t.id.as_str()).collect();
        return Err(Rejection::new(
            Code::UnknownTask,
            format!(
                "state '{}' has no task '{task}'; {}",
                state.name,
                if ids.is_empty() {
                    "it has no tasks".to_owned()
                } else {
                    format!("its tasks: {}", ids.join(", "))
                }
            ),
        ));
    }
    allowed(
        cx,
        &tick_roles(state),
        &case.data,
        &format!("complete tasks in state '{}'", state.name),
    )?;
    if case.tasks_done.contains(task) {
        return Ok(Vec::new());
    }
    // What must come first: a required task not yet done.
    let (_, _, missing) = checklist(cx, case, state)?;
    let first: Vec<&str> = state
        .tasks
        .iter()
        .filter(|t| t.id == task)
        .flat_map(|t| t.after.iter())
        .filter(|before| missing.contains(before))
        .map(String::as_str)
        .collect();
    if !first.is_empty() {
        return Err(Rejection::new(
            Code::ChecklistIncomplete,
            format!(
                "task '{task}' comes after {}: do that first",
                quoted(&first)
            ),
        ));
    }
    Ok(vec![CaseEvent::TaskCompleted {
        state: state.name.clone(),
        task: task.to_owned(),
    }])
}

/// Refuses a date no case can mean (before 1900 or after 2200: a typo such as
/// 0001-01-01), and, for a field declared `past`, one later than the command
/// records or longer ago than the field allows.
fn plausible_date(
    cx: &Context<'_>,
    name: &str,
    value: &Value,
    past: Option<crate::calendar::Duration>,
) -> Result<(), Rejection> {
    use chrono::Datelike;
    let Some(day) = value.as_str().and_then(|text| {
        text.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }) else {
        return Ok(());
    };
    let shown = value.as_str().unwrap_or_default();
    if !(1900..=2200).contains(&day.year()) {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!("field '{name}': {shown} is not a plausible date (years 1900 to 2200)"),
        ));
    }
    let Some(back) = past else {
        return Ok(());
    };
    let recorded = cx.occurred_at.date_naive();
    if day > recorded {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "field '{name}' says when something happened: {shown} is after {recorded}, the day this records"
            ),
        ));
    }
    if back.after(day) < recorded {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "field '{name}': {shown} is more than {back} before {recorded}; check the year"
            ),
        ));
    }
    Ok(())
}

/// Unticks a task ticked by mistake: only in the state it was ticked in
/// (once the case moved on, what was decided on it stands), by whoever may
/// tick, with a reason.
pub fn undo_task(
    cx: &Context<'_>,
    case: &Case,
    task: &str,
    reason: &str,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    let state = current_state(def, case)?;
    if !state.tasks.iter().any(|t| t.id == task) {
        return Err(Rejection::new(
            Code::UnknownTask,
            format!(
                "state '{}' has no task '{task}'; a task can be undone only while its state is current",
                state.name
            ),
        ));
    }
    allowed(
        cx,
        &tick_roles(state),
        &case.data,
        &format!("undo tasks in state '{}'", state.name),
    )?;
    if reason.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "undoing a task needs a reason",
        ));
    }
    if !case.tasks_done.contains(task) {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!("task '{task}' is not done; there is nothing to undo"),
        ));
    }
    // What was done on the strength of it is undone first.
    let resting: Vec<&str> = state
        .tasks
        .iter()
        .filter(|t| t.after.iter().any(|a| a == task) && case.tasks_done.contains(&t.id))
        .map(|t| t.id.as_str())
        .collect();
    if !resting.is_empty() {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "{} came after task '{task}' and {} done: undo {} first",
                quoted(&resting),
                if resting.len() == 1 { "is" } else { "are" },
                if resting.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    Ok(vec![CaseEvent::TaskUndone {
        state: state.name.clone(),
        task: task.to_owned(),
        reason: reason.trim().to_owned(),
    }])
}

/// Task ids as a refusal names them: `'a' and 'b'`.
fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Who may tick a state's checklist: whoever may take one of the state's own
/// steps.
fn tick_roles(state: &State) -> Vec<RoleRef> {
    state
        .transitions
        .iter()
        .flat_map(|t| t.roles.iter().cloned())
        .collect()
}

/// Whether the actor may tick the case's checklist now (for a case view).
pub fn may_tick(cx: &Context<'_>, case: &Case) -> bool {
    !case.closed
        && current_state(cx.definition, case).is_ok_and(|state| {
            !state.tasks.is_empty() && allowed(cx, &tick_roles(state), &case.data, "").is_ok()
        })
}

/// Corrects case data, outside any step, with a reason. Allowed on closed cases
/// too: a wrong date stays wrong after closure.
pub fn correct(
    cx: &Context<'_>,
    case: &Case,
    input: &RawInput,
    reason: &str,
    request: Option<&str>,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    allowed(cx, &def.corrections, &case.data, "correct case data")?;
    let request = request.map(str::trim).filter(|r| !r.is_empty());
    if let Some(request) = request
        && request.chars().count() > 200
    {
        return Err(Rejection::new(
            Code::InvalidInput,
            "a request's reference is at most 200 characters",
        ));
    }
    if reason.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "a correction needs a reason: --reason TEXT",
        ));
    }
    if input.is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "say what to correct: --set FIELD=VALUE",
        ));
    }
    let mut data = BTreeMap::new();
    for (name, raw) in input {
        let Some(field) = def.field(name) else {
            let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
            return Err(Rejection::new(
                Code::InvalidInput,
                format!(
                    "there is no field '{name}' to correct; the fields are: {}",
                    names.join(", ")
                ),
            ));
        };
        data.insert(name.clone(), value::parse(name, &field.ty, raw)?);
    }
    super::people::settle(def, &case.data, &[], &mut data, &BTreeMap::new())?;
    data.retain(|name, value| case.data.get(name) != Some(value));
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let mut merged = case.data.clone();
    merged.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let profile = super::profile::after_step(cx, &merged, &case.state)?;
    Ok(vec![CaseEvent::CaseDataCorrected {
        data,
        reason: reason.trim().to_owned(),
        request: request.map(str::to_owned),
        profile,
    }])
}

/// Whether a case can move to version `to_version` (definition `to`): the state
/// it would be in, or why not. `map` renames states that the new version lacks.
pub fn migration_target(
    case: &Case,
    to: &ProcessDefinition,
    to_version: u32,
    map: &BTreeMap<String, String>,
) -> Result<String, Migration> {
    if case.closed {
        return Err(Migration::Impossible(format!(
            "case {} is closed ({}); closed cases keep their version",
            case.reference, case.state
        )));
    }
    if to_version <= case.version {
        return Err(Migration::Impossible(format!(
            "case {} is on version {} already",
            case.reference, case.version
        )));
    }
    let target = match map.get(&case.state) {
        Some(mapped) => match to.state(mapped) {
            None => {
                return Err(Migration::Impossible(format!(
                    "--map {}={mapped}: version {to_version} has no state '{mapped}'",
                    case.state
                )));
            }
            Some(state) if state.terminal => {
                return Err(Migration::Impossible(format!(
                    "--map {}={mapped}: '{mapped}' is terminal; close cases with a step, not a migration",
                    case.state
                )));
            }
            Some(state) => state.name.clone(),
        },
        None => match to.state(&case.state) {
            Some(state) if !state.terminal => state.name.clone(),
            _ => {
                return Err(Migration::NeedsMapping(format!(
                    "version {to_version} has no open state '{}'; map it with --map {}=STATE",
                    case.state, case.state
                )));
            }
        },
    };
    for (name, value) in &case.data {
        // Sealed personal data the caller could not open is not judged here.
        if crate::sealed::is_sealed(value) && to.field(name).is_some() {
            continue;
        }
        let Some(field) = to.field(name) else {
            return Err(Migration::Impossible(format!(
                "field '{name}' holds data but does not exist in version {to_version}"
            )));
        };
        let raw = if crate::sealed::holds_sealed(value) {
            RawValue::Sealed(value.clone())
        } else {
            RawValue::Json(value.clone())
        };
        if let Err(why) = value::parse(name, &field.ty, &raw) {
            return Err(Migration::Impossible(format!(
                "the data no longer fits version {to_version}: {why}"
            )));
        }
    }
    Ok(target)
}

/// Why a case cannot move to a newer version automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Migration {
    /// Its state is not in the new version: give `--map OLD=NEW`.
    NeedsMapping(String),
    /// It cannot move at all (closed, data that no longer fits, …).
    Impossible(String),
}

impl Migration {
    pub fn reason(&self) -> &str {
        match self {
            Migration::NeedsMapping(reason) | Migration::Impossible(reason) => reason,
        }
    }
}

/// Moves a case to a newer version of its definition. `cx.definition` is the
/// new version. Who may: those who may correct case data, and administrators.
pub fn migrate(
    cx: &Context<'_>,
    case: &Case,
    map: &BTreeMap<String, String>,
) -> Result<Vec<CaseEvent>, Rejection> {
    if !cx.actor.has_role(crate::actors::ADMIN) {
        allowed(cx, &cx.definition.corrections, &case.data, "migrate cases")?;
    }
    let target = migration_target(case, cx.definition, cx.version, map)
        .map_err(|m| Rejection::new(Code::NotMigratable, m.reason().to_owned()))?;
    let deadline = if target == case.state {
        None
    } else {
        let state = cx.definition.state(&target).ok_or_else(|| {
            Rejection::new(Code::InvalidDefinition, format!("no state '{target}'"))
        })?;
        schedule(cx, state, &case.data)?
    };
    Ok(vec![CaseEvent::CaseMigrated {
        from_version: case.version,
        to_version: cx.version,
        from_state: case.state.clone(),
        to_state: target,
        deadline,
    }])
}

/// What the system does when a case's wake-up comes (`cx.now`, actor `system`):
/// warn, or at the deadline take its `fire` transition (if its guard allows;
/// otherwise, or without `fire`, mark the case overdue). Nothing if nothing is
/// due yet (a racing runner got there first).
/// A notice whose due date passed unsent is marked overdue, one at a time
/// after the state's deadline (in id order), the case closed or not.
pub fn on_timer(cx: &Context<'_>, case: &Case) -> Result<Vec<CaseEvent>, Rejection> {
    let events = on_deadline(cx, case)?;
    if !events.is_empty() {
        return Ok(events);
    }
    Ok(super::notices::missed(cx, case).into_iter().collect())
}

/// The state deadline's part of a wake-up.
fn on_deadline(cx: &Context<'_>, case: &Case) -> Result<Vec<CaseEvent>, Rejection> {
    let Some(deadline) = case
        .deadline
        .as_ref()
        .filter(|_| !case.closed && !case.deadline_missed)
    else {
        return Ok(Vec::new());
    };
    let today = cx.now.date_naive();
    if today > deadline.due_on {
        if let Some(fire) = &deadline.fire {
            // If the guard says no (or the step is gone), escalate instead.
            if let Ok(events) = take(cx, case, fire, &RawInput::new()) {
                return Ok(events);
            }
        }
        return Ok(vec![CaseEvent::DeadlineMissed {
            state: case.state.clone(),
            due_on: deadline.due_on,
            escalate: deadline.escalate.clone(),
        }]);
    }
    if let Some(warn_on) = deadline.warn_on
        && today >= warn_on
        && !case.deadline_warned
    {
        return Ok(vec![CaseEvent::DeadlineWarned {
            state: case.state.clone(),
            due_on: deadline.due_on,
        }]);
    }
    Ok(Vec::new())
}

fn current_state<'a>(def: &'a ProcessDefinition, case: &Case) -> Result<&'a State, Rejection> {
    if case.closed {
        return Err(Rejection::new(
            Code::Closed,
            format!("case {} is closed ({})", case.reference, case.state),
        ));
    }
    def.state(&case.state).ok_or_else(|| {
        Rejection::new(
            Code::InvalidDefinition,
            format!(
                "case {} is in state '{}', which its definition does not have",
                case.reference, case.state
            ),
        )
    })
}

/// The checklist of `state`: complete?, done ids, missing required ids.
fn checklist(
    cx: &Context<'_>,
    case: &Case,
    state: &State,
) -> Result<(bool, Vec<String>, Vec<String>), Rejection> {
    let mut missing = Vec::new();
    for task in &state.tasks {
        let required = match &task.when {
            None => true,
            Some(when) => {
                condition(cx, when, &case.data, &state.name, case.entered_at).map_err(|why| {
                    Rejection::new(
                        Code::GuardError,
                        format!(
                            "the condition of task '{}' could not be evaluated: {why}",
                            task.id
                        ),
                    )
                })?
            }
        };
        if required && !case.tasks_done.contains(&task.id) {
            missing.push(task.id.clone());
        }
    }
    let done = case.tasks_done.iter().cloned().collect();
    Ok((missing.is_empty(), done, missing))
}

pub(super) fn condition(
    cx: &Context<'_>,
    expression: &str,
    data: &BTreeMap<String, Value>,
    state: &str,
    entered_at: Option<DateTime<Utc>>,
) -> Result<bool, String> {
    let scope = Scope {
        definition: cx.definition,
        data,
        input: None,
        tasks: None,
        actor: cx.actor,
        actors: cx.actors,
        now: cx.now,
        state,
        entered_at,
    };
    guard::evaluate(expression, &scope)
}

/// The deadline of `state` as entered now (None if it has none or its `when`
/// does not hold).
fn schedule(
    cx: &Context<'_>,
    state: &State,
    data: &BTreeMap<String, Value>,
) -> Result<Option<ScheduledDeadline>, Rejection> {
    let Some(deadline) = &state.deadline else {
        return Ok(None);
    };
    if let Some(when) = &deadline.when {
        let applies =
            condition(cx, when, data, &state.name, Some(cx.occurred_at)).map_err(|why| {
                Rejection::new(
                    Code::GuardError,
                    format!(
                        "the deadline condition of state '{}' could not be evaluated: {why}",
                        state.name
                    ),
                )
            })?;
        if !applies {
            return Ok(None);
        }
    }
    let start: NaiveDate = match &deadline.from {
        Some(field) => match data.get(field).and_then(Value::as_str) {
            Some(text) => NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
                .map_err(|_| {
                    Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "field '{field}' holds '{text}', not a date to count the deadline from"
                        ),
                    )
                })?,
            None => {
                return Err(Rejection::new(
                    Code::MissingInput,
                    format!(
                        "the deadline of state '{}' counts from '{field}', which has no value",
                        state.name
                    ),
                ));
            }
        },
        None => cx.occurred_at.date_naive(),
    };
    Ok(Some(ScheduledDeadline {
        due_on: deadline.within.after(start),
        warn_on: deadline.warn.map(|warn| warn.after(start)),
        escalate: deadline.escalate.clone(),
        fire: deadline.fire.clone(),
    }))
}

/// Refuses unless the actor satisfies one of `roles`. Roles do not apply to the
/// system (a deadline's `fire`); no registered actor can be called `system`.
pub fn allowed(
    cx: &Context<'_>,
    roles: &[RoleRef],
    data: &BTreeMap<String, Value>,
    to: &str,
) -> Result<(), Rejection> {
    let actor = cx.actor;
    if actor.name == crate::actors::SYSTEM {
        return Ok(());
    }
    let named_in = |field: &str| -> Vec<String> {
        data.get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let ok = roles.iter().any(|r| match r {
        RoleRef::Role { role } => actor.has_role(role),
        RoleRef::Assigned { role, field } => {
            actor.has_role(role) && named_in(field).contains(&actor.name)
        }
    });
    if ok {
        return Ok(());
    }
    if let Some(reason) = &actor.deactivated {
        return Err(Rejection::denied(format!(
            "actor '{}' is deactivated ({reason}) and may not {to}",
            actor.name
        )));
    }
    let has = if actor.roles.is_empty() {
        "no roles".to_owned()
    } else {
        actor.roles.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    if let [RoleRef::Assigned { role, field }] = roles
        && actor.has_role(role)
    {
        let named = named_in(field);
        return Err(Rejection::denied(format!(
            "actor '{}' is not named in '{field}' (named: {})",
            actor.name,
            if named.is_empty() {
                "nobody".to_owned()
            } else {
                named.join(", ")
            }
        )));
    }
    let mut needed: Vec<String> = Vec::new();
    for role in roles.iter().map(ToString::to_string) {
        if !needed.contains(&role) {
            needed.push(role);
        }
    }
    Err(Rejection::denied(format!(
        "actor '{}' may not {to}: it needs {} (has: {has})",
        actor.name,
        if needed.is_empty() {
            "a role nobody has".to_owned()
        } else {
            needed.join(" or ")
        }
    )))
}

/// Parses the inputs a step declares; returns (case-field data, step-only
/// inputs). Every problem is reported at once: one alone as it is, several
/// in one refusal (missing inputs named together), so that nobody learns the
/// required fields one attempt at a time.
fn read_inputs(
    cx: &Context<'_>,
    specs: &[Input],
    raw: &RawInput,
    step: &str,
) -> Result<(Values, Values), Rejection> {
    let mut problems: Vec<Rejection> = Vec::new();
    let unknown: Vec<&String> = raw
        .keys()
        .filter(|k| !specs.iter().any(|s| &s.name == *k))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let quoted: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        problems.push(Rejection::new(
            Code::InvalidInput,
            format!(
                "{step} takes no input {}; {}",
                quoted.join(", "),
                if names.is_empty() {
                    "it takes no input".to_owned()
                } else {
                    format!("it takes: {}", names.join(", "))
                }
            ),
        ));
    }
    let mut missing: Vec<&str> = Vec::new();
    let mut data = BTreeMap::new();
    let mut local = BTreeMap::new();
    for spec in specs {
        let Some(raw) = raw.get(&spec.name) else {
            if spec.required {
                missing.push(&spec.name);
            }
            continue;
        };
        match read_input(cx, spec, raw) {
            Ok(parsed) => {
                match spec.source {
                    InputSource::CaseField => data.insert(spec.name.clone(), parsed),
                    InputSource::Local { .. } => local.insert(spec.name.clone(), parsed),
                };
            }
            Err(problem) => problems.push(problem),
        }
    }
    match missing.as_slice() {
        [] => {}
        [one] => problems.push(Rejection::new(
            Code::MissingInput,
            format!("{step} needs input '{one}'"),
        )),
        [many @ .., last] => {
            let quoted: Vec<String> = many.iter().map(|n| format!("'{n}'")).collect();
            problems.push(Rejection::new(
                Code::MissingInput,
                format!("{step} needs inputs {} and '{last}'", quoted.join(", ")),
            ));
        }
    }
    match problems.len() {
        0 => Ok((data, local)),
        1 => Err(problems.remove(0)),
        _ => {
            // Missing inputs last, so the code says what to fix first: a
            // value given wrong.
            let code = problems[0].code();
            let reasons: Vec<&str> = problems.iter().map(Rejection::reason).collect();
            Err(Rejection::new(code, reasons.join("; ")))
        }
    }
}

/// One input's value, parsed by its type; actors named must hold the role.
fn read_input(
    cx: &Context<'_>,
    spec: &Input,
    raw: &RawValue,
) -> Result<serde_json::Value, Rejection> {
    let ty = match &spec.source {
        InputSource::CaseField => {
            &cx.definition
                .field(&spec.name)
                .ok_or_else(|| {
                    Rejection::new(
                        Code::InvalidDefinition,
                        format!("the definition has no field '{}'", spec.name),
                    )
                })?
                .ty
        }
        InputSource::Local { ty } => ty,
    };
    let parsed = value::parse(&spec.name, ty, raw)?;
    if matches!(ty, FieldType::Date | FieldType::Datetime) {
        let past = match &spec.source {
            InputSource::CaseField => cx.definition.field(&spec.name).and_then(|f| f.past),
            InputSource::Local { .. } => None,
        };
        plausible_date(cx, &spec.name, &parsed, past)?;
    }
    if let FieldType::Actors { role } = ty {
        for name in parsed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            match cx.actors.get(name) {
                None => {
                    return Err(Rejection::new(
                        Code::InvalidInput,
                        format!("there is no actor '{name}' (named in '{}')", spec.name),
                    ));
                }
                Some(named) if named.deactivated.is_some() => {
                    return Err(Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "actor '{name}' is deactivated, so cannot be named in '{}'",
                            spec.name
                        ),
                    ));
                }
                Some(named) if !named.has_role(role) => {
                    let has = if named.roles.is_empty() {
                        "no roles".to_owned()
                    } else {
                        named.roles.iter().cloned().collect::<Vec<_>>().join(", ")
                    };
                    return Err(Rejection::new(
                        Code::InvalidInput,
                        format!(
                            "actor '{name}' lacks role '{role}' named in '{}' (has: {has})",
                            spec.name
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(parsed)
}

/// For `case show`: each transition offered in the case's state, and why this
/// actor cannot take it now (None: it can, given the right input). Guards that
/// read the step's input are judged only when the step is taken.
pub fn availability(
    cx: &Context<'_>,
    case: &Case,
) -> Result<Vec<(String, Option<String>)>, Rejection> {
    let def = cx.definition;
    let state = current_state(def, case)?;
    let (complete, done, missing) = checklist(cx, case, state)?;
    let mut out = Vec::new();
    for step in def.transitions_in(state) {
        // "actor 'x' may not take 't': it needs …" reads as just "needs …" here.
        let mut reason = allowed(
            cx,
            &step.roles,
            &case.data,
            &format!("take '{}'", step.name),
        )
        .err()
        .map(|r| {
            r.reason()
                .split_once(": it ")
                .map_or_else(|| r.reason().to_owned(), |(_, rest)| rest.to_owned())
        });
        if reason.is_none()
            && let Some(guard) = &step.guard
            && !guard.expression.contains("input.")
        {
            let scope = Scope {
                definition: def,
                data: &case.data,
                input: Some(&BTreeMap::new()),
                tasks: Some((complete, done.clone())),
                actor: cx.actor,
                actors: cx.actors,
                now: cx.now,
                state: &state.name,
                entered_at: case.entered_at,
            };
            reason = match guard::evaluate(&guard.expression, &scope) {
                Ok(true) => None,
                Ok(false) if !complete && guard.expression.contains("tasks.complete") => {
                    Some(format!(
                        "needs the checklist complete; missing: {}",
                        missing.join(", ")
                    ))
                }
                Ok(false) => Some(
                    guard
                        .message
                        .as_ref()
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_else(|| format!("guard: {}", guard.expression)),
                ),
                Err(why) => Some(format!("the guard cannot be evaluated: {why}")),
            };
        }
        out.push((step.name.clone(), reason));
    }
    Ok(out)
}

/// For `case show`: each task of the current state and whether it is done and
/// required.
pub fn tasks(
    cx: &Context<'_>,
    case: &Case,
) -> Result<Vec<(String, String, bool, bool)>, Rejection> {
    let def = cx.definition;
    let state = current_state(def, case)?;
    let mut out = Vec::new();
    for task in &state.tasks {
        let required = match &task.when {
            None => true,
            Some(when) => {
                condition(cx, when, &case.data, &state.name, case.entered_at).unwrap_or(true)
            }
        };
        out.push((
            task.id.clone(),
            task.title.as_str().to_owned(),
            case.tasks_done.contains(&task.id),
            required,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! Given a case's history, when a command is decided, then these events
    //! or this refusal (its code and words).

    use super::*;
    use crate::case::fixture::{Given, input};
    use crate::rejection::Code;

    fn refusal<T: std::fmt::Debug>(result: Result<T, Rejection>) -> (Code, String) {
        let rejection = result.expect_err("a refusal");
        (rejection.code(), rejection.reason().to_owned())
    }

    #[test]
    fn opening_checks_the_role_then_the_inputs() {
        let given = Given::opened(false);
        let open = |actor: &str, pairs: &[(&str, &str)]| {
            super::open(&given.cx(actor), "TP-2026-0002", &input(pairs))
        };
        assert_eq!(
            refusal(open("jaan", &[])),
            (
                Code::Denied,
                "actor 'jaan' may not open a case: it needs coordinator (has: facilitator)"
                    .to_owned()
            )
        );
        assert_eq!(
            refusal(open("mari", &[("minor_involved", "false")])),
            (
                Code::MissingInput,
                "opening a case needs inputs 'referred_on' and 'victim_name'".to_owned()
            )
        );
        // Every problem at once: a value given wrong first, then what is missing.
        assert_eq!(
            refusal(open("mari", &[("minor_involved", "perhaps"), ("colour", "red")])),
            (
                Code::InvalidInput,
                "opening a case takes no input 'colour'; it takes: referred_on, minor_involved, victim_name; \
                 field 'minor_involved' must be true or false (yes/no, 1/0), got 'perhaps'; \
                 opening a case needs inputs 'referred_on' and 'victim_name'"
                    .to_owned()
            )
        );
        assert_eq!(
            refusal(open("mari", &[("colour", "red")])).0,
            Code::InvalidInput
        );
        assert_eq!(
            refusal(open(
                "mari",
                &[
                    ("referred_on", "yesterday"),
                    ("minor_involved", "false"),
                    ("victim_name", "x")
                ]
            ))
            .0,
            Code::InvalidInput
        );
        // Opened: in the initial state, its deadline counted in working days
        // from Monday, with the warning before it.
        let Some(CaseEvent::CaseOpened {
            state, deadline, ..
        }) = given.events.first()
        else {
            panic!("{:?}", given.events)
        };
        assert_eq!(state, "referred");
        let deadline = deadline.as_ref().unwrap();
        assert_eq!(deadline.due_on.to_string(), "2026-11-30");
        assert_eq!(deadline.warn_on.unwrap().to_string(), "2026-11-26");
        assert_eq!(deadline.escalate.as_deref(), Some("regional-lead"));
    }

    #[test]
    fn steps_are_refused_in_the_order_a_user_wants_to_hear_about_them() {
        let given = Given::opened(false);
        let case = given.case();
        let take = |actor: &str, step: &str, pairs: &[(&str, &str)]| {
            super::take(&given.cx(actor), &case, step, &input(pairs))
        };
        assert_eq!(
            refusal(take("mari", "agreed", &[])),
            (
                Code::UnknownTransition,
                "unknown transition 'agreed' in state 'referred'; you can take: assign, withdraw"
                    .to_owned()
            )
        );
        assert_eq!(
            refusal(take("jaan", "agreed", &[])).1,
            "unknown transition 'agreed' in state 'referred'; none of its steps is yours to take (others' steps here: assign, withdraw)",
            "a facilitator is not offered the coordinator's steps"
        );
        assert_eq!(refusal(take("jaan", "assign", &[])).0, Code::Denied);
        assert_eq!(
            refusal(take("mari", "assign", &[])),
            (
                Code::MissingInput,
                "'assign' needs input 'facilitators'".to_owned()
            )
        );
        assert_eq!(
            refusal(take("mari", "assign", &[("facilitators", "jaan,nobody")])),
            (
                Code::InvalidInput,
                "there is no actor 'nobody' (named in 'facilitators')".to_owned()
            )
        );
        assert_eq!(
            refusal(take("mari", "assign", &[("facilitators", "jaan,mari")])).0,
            Code::InvalidInput,
            "mari is not a facilitator"
        );
        assert_eq!(
            refusal(take("mari", "assign", &[("facilitators", "jaan")])),
            (
                Code::GuardFailed,
                "A meeting needs two facilitators. (guard: size(input.facilitators) >= 2)"
                    .to_owned()
            )
        );
        let events = take("mari", "assign", &[("facilitators", "jaan,piret")]).unwrap();
        assert!(matches!(
            &events[..],
            [CaseEvent::TransitionTaken { from, to, deadline: None, closes: false, .. }]
                if from == "referred" && to == "meeting"
        ));
    }

    #[test]
    fn a_checklist_gates_its_step_and_only_the_named_may_tick_it() {
        let given = Given::opened(true).then("mari", "assign", &[("facilitators", "jaan,piret")]);
        let case = given.case();
        assert_eq!(
            refusal(super::take(
                &given.cx("jaan"),
                &case,
                "agreed",
                &input(&[("participants", "4")])
            )),
            (
                Code::ChecklistIncomplete,
                "'agreed' needs the checklist complete; missing: consent, risk".to_owned()
            )
        );
        assert_eq!(
            refusal(super::complete_task(&given.cx("kati"), &case, "consent")),
            (
                Code::Denied,
                "actor 'kati' may not complete tasks in state 'meeting': it needs facilitator@facilitators or coordinator (has: facilitator)".to_owned()
            )
        );
        assert_eq!(
            refusal(super::complete_task(&given.cx("jaan"), &case, "coffee")),
            (
                Code::UnknownTask,
                "state 'meeting' has no task 'coffee'; its tasks: consent, risk".to_owned()
            )
        );
        let given = given.ticked("jaan", "consent").ticked("piret", "risk");
        let case = given.case();
        assert_eq!(
            super::complete_task(&given.cx("jaan"), &case, "consent"),
            Ok(Vec::new()),
            "a task done is done"
        );
        let closed = super::take(
            &given.cx("piret"),
            &case,
            "agreed",
            &input(&[("participants", "4")]),
        )
        .unwrap();
        assert!(matches!(
            &closed[..],
            [CaseEvent::TransitionTaken { closes: true, outcome: Some(o), .. }] if o == "agreed"
        ));
        let after = case.after(&closed, given.now);
        assert!(after.closed);
        assert_eq!(
            refusal(super::take(
                &given.cx("mari"),
                &after,
                "withdraw",
                &input(&[])
            )),
            (
                Code::Closed,
                "case TP-2026-0001 is closed (closed-agreed)".to_owned()
            )
        );
    }

    #[test]
    fn a_task_ticked_by_mistake_is_undone_with_a_reason_while_its_state_is_current() {
        let given = Given::opened(true)
            .then("mari", "assign", &[("facilitators", "jaan,piret")])
            .ticked("jaan", "consent");
        let case = given.case();
        // Given a ticked task, when a facilitator of the case undoes it with a
        // reason, then it is undone and the checklist is incomplete again.
        let undone =
            super::undo_task(&given.cx("piret"), &case, "consent", " wrong case ").unwrap();
        assert_eq!(
            undone,
            vec![CaseEvent::TaskUndone {
                state: "meeting".into(),
                task: "consent".into(),
                reason: "wrong case".into(),
            }]
        );
        let after = case.after(&undone, given.now);
        assert!(!after.tasks_done.contains("consent"));
        // Refused: without a reason, by someone who may not tick, a task not
        // done, a task of no state of the case's.
        assert_eq!(
            refusal(super::undo_task(&given.cx("jaan"), &case, "consent", "  ")),
            (
                Code::MissingInput,
                "undoing a task needs a reason".to_owned()
            )
        );
        assert_eq!(
            refusal(super::undo_task(
                &given.cx("kati"),
                &case,
                "consent",
                "oops"
            ))
            .0,
            Code::Denied
        );
        assert_eq!(
            refusal(super::undo_task(&given.cx("jaan"), &case, "risk", "oops")),
            (
                Code::InvalidInput,
                "task 'risk' is not done; there is nothing to undo".to_owned()
            )
        );
        // Once the case moved on, its old state's tasks stand.
        let given = given.ticked("piret", "risk");
        let moved = given.case().after(
            &super::take(
                &given.cx("jaan"),
                &given.case(),
                "agreed",
                &input(&[("participants", "4")]),
            )
            .unwrap(),
            given.now,
        );
        assert_eq!(
            refusal(super::undo_task(
                &given.cx("jaan"),
                &moved,
                "consent",
                "oops"
            ))
            .0,
            Code::Closed
        );
    }

    #[test]
    fn notes_are_kept_by_whoever_may_read_personal_data() {
        use super::super::privacy::add_note;
        let given = Given::opened(false);
        let case = given.case();
        let note = |text: &str| serde_json::Value::String(text.to_owned());
        // Given an open case, when a coordinator (privacy: read) writes a
        // note, then a NoteAdded event holds its text (sealed later, by the vault).
        assert_eq!(
            add_note(&given.cx("mari"), &case, &note("  Called the victim  ")),
            Ok(vec![CaseEvent::NoteAdded {
                note: note("Called the victim")
            }])
        );
        assert_eq!(
            refusal(add_note(&given.cx("jaan"), &case, &note("hello"))).0,
            Code::Denied,
            "a facilitator may not read personal data here, so may not write it"
        );
        assert_eq!(
            refusal(add_note(&given.cx("mari"), &case, &note("   "))),
            (Code::MissingInput, "a note needs its text".to_owned())
        );
        let mut no_subjects = given;
        no_subjects.definition.subjects.clear();
        let case = no_subjects.case();
        assert_eq!(
            refusal(add_note(&no_subjects.cx("mari"), &case, &note("x"))).0,
            Code::Rule
        );
    }

    #[test]
    fn dates_must_be_plausible_and_past_ones_in_the_past() {
        let mut given = Given::opened(false);
        let open = |given: &Given, day: &str| {
            super::open(
                &given.cx("mari"),
                "TP-2026-0002",
                &input(&[
                    ("referred_on", day),
                    ("minor_involved", "no"),
                    ("victim_name", "Mari Maasikas"),
                ]),
            )
        };
        assert_eq!(
            refusal(open(&given, "0001-01-01")),
            (
                Code::InvalidInput,
                "field 'referred_on': 0001-01-01 is not a plausible date (years 1900 to 2200)"
                    .to_owned()
            )
        );
        // Not declared `past`: a future date is a plan, and allowed.
        assert!(open(&given, "2027-01-15").is_ok());
        for field in &mut given.definition.fields {
            if field.name == "referred_on" {
                field.past = Some(crate::calendar::Duration::parse("2 years").unwrap());
            }
        }
        let today = given.now.date_naive();
        assert_eq!(
            refusal(open(&given, "2027-01-15")),
            (
                Code::InvalidInput,
                format!(
                    "field 'referred_on' says when something happened: 2027-01-15 is after {today}, the day this records"
                )
            )
        );
        assert_eq!(
            refusal(open(&given, "2020-01-15")),
            (
                Code::InvalidInput,
                format!(
                    "field 'referred_on': 2020-01-15 is more than 2 years before {today}; check the year"
                )
            )
        );
        assert!(open(&given, "2026-11-20").is_ok());
    }

    #[test]
    fn a_step_that_stays_keeps_state_checklist_and_deadline() {
        let given = Given::opened(false)
            .then("mari", "assign", &[("facilitators", "jaan,piret")])
            .ticked("jaan", "consent")
            .then("mari", "note", &[("channel", "phone")]);
        let case = given.case();
        assert_eq!(case.state, "meeting");
        assert!(case.tasks_done.contains("consent"), "the checklist stays");
        let Some(CaseEvent::TransitionTaken {
            from, to, input, ..
        }) = given.events.last()
        else {
            panic!()
        };
        assert_eq!((from.as_str(), to.as_str()), ("meeting", "meeting"));
        assert_eq!(input["channel"], "phone");
        assert!(
            !case.data.contains_key("channel"),
            "a local input is not case data"
        );
    }

    #[test]
    fn corrections_need_a_reason_and_a_change() {
        let given = Given::opened(false);
        let case = given.case();
        let correct = |pairs: &[(&str, &str)], reason: &str| {
            super::correct(&given.cx("mari"), &case, &input(pairs), reason, None)
        };
        assert_eq!(
            refusal(correct(&[("referred_on", "2026-11-19")], " ")).0,
            Code::MissingInput
        );
        assert_eq!(refusal(correct(&[], "typo")).0, Code::MissingInput);
        assert_eq!(
            refusal(correct(&[("colour", "red")], "typo")).0,
            Code::InvalidInput
        );
        assert_eq!(
            correct(&[("referred_on", "2026-11-20")], "same"),
            Ok(Vec::new())
        );
        assert!(matches!(
            &correct(&[("referred_on", "2026-11-19")], "typo").unwrap()[..],
            [CaseEvent::CaseDataCorrected { reason, request: None, .. }] if reason == "typo"
        ));
        // The request it answers is kept, trimmed; an empty one is none.
        let answering = |request: &str| {
            super::correct(
                &given.cx("mari"),
                &case,
                &input(&[("referred_on", "2026-11-19")]),
                "the person's request",
                Some(request),
            )
        };
        assert!(matches!(
            &answering(" SKA-2026/17 ").unwrap()[..],
            [CaseEvent::CaseDataCorrected { request: Some(r), .. }] if r == "SKA-2026/17"
        ));
        assert!(matches!(
            &answering("  ").unwrap()[..],
            [CaseEvent::CaseDataCorrected { request: None, .. }]
        ));
        assert_eq!(refusal(answering(&"x".repeat(201))).0, Code::InvalidInput);
        assert_eq!(
            refusal(super::correct(
                &given.cx("jaan"),
                &case,
                &input(&[("referred_on", "2026-11-19")]),
                "typo",
                None
            ))
            .0,
            Code::Denied
        );
    }

    #[test]
    fn a_deadline_warns_then_passes_once() {
        let at =
            |day: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, day, 1, 0, 0).unwrap();
        let given = Given::opened(false);
        let case = given.case();
        let early = given.at(at(25));
        assert_eq!(super::on_timer(&early.system(), &case), Ok(Vec::new()));
        let warned = early.at(at(26));
        let warning = super::on_timer(&warned.system(), &case).unwrap();
        assert!(matches!(&warning[..], [CaseEvent::DeadlineWarned { .. }]));
        let case = case.after(&warning, at(26));
        assert_eq!(
            super::on_timer(&warned.system(), &case),
            Ok(Vec::new()),
            "warned once"
        );
        let late =
            warned.at(chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 1, 0, 0).unwrap());
        let missed = super::on_timer(&late.system(), &case).unwrap();
        assert!(matches!(
            &missed[..],
            [CaseEvent::DeadlineMissed { escalate: Some(role), .. }] if role == "regional-lead"
        ));
        let case = case.after(&missed, late.now);
        assert!(case.deadline_missed);
        assert_eq!(case.next_wake(), None, "nothing more to wake up for");
    }

    #[test]
    fn availability_says_why_a_step_cannot_be_taken_now() {
        let given = Given::opened(false).then("mari", "assign", &[("facilitators", "jaan,piret")]);
        let case = given.case();
        let steps = super::availability(&given.cx("jaan"), &case).unwrap();
        assert_eq!(
            steps,
            [
                (
                    "agreed".to_owned(),
                    Some("needs the checklist complete; missing: consent".to_owned())
                ),
                (
                    "note".to_owned(),
                    Some("needs coordinator (has: facilitator)".to_owned())
                ),
                (
                    "withdraw".to_owned(),
                    Some("needs coordinator (has: facilitator)".to_owned())
                ),
            ]
        );
        let tasks = super::tasks(&given.cx("jaan"), &case).unwrap();
        assert_eq!(
            tasks,
            [
                ("consent".to_owned(), "Both consent".to_owned(), false, true),
                ("risk".to_owned(), "Risk assessed".to_owned(), false, false),
            ]
        );
    }

    #[test]
    fn migrating_keeps_a_state_the_new_version_has_and_needs_a_map_for_one_it_lacks() {
        let given = Given::opened(false).then("mari", "assign", &[("facilitators", "jaan,piret")]);
        let case = given.case();
        let mut v2 = given.definition.clone();
        v2.programs = Default::default();
        // Version 2 renames 'meeting' to 'dialogue'.
        for state in v2.states.iter_mut().filter(|s| s.name == "meeting") {
            state.name = "dialogue".to_owned();
        }
        for state in &mut v2.states {
            for step in state
                .transitions
                .iter_mut()
                .filter(|t| t.to.as_deref() == Some("meeting"))
            {
                step.to = Some("dialogue".to_owned());
            }
        }
        let cx = Context {
            definition: &v2,
            version: 2,
            ..given.cx("mari")
        };
        let none = BTreeMap::new();
        assert_eq!(
            refusal(super::migrate(&cx, &case, &none)),
            (
                Code::NotMigratable,
                "version 2 has no open state 'meeting'; map it with --map meeting=STATE".to_owned()
            )
        );
        let to_closed: BTreeMap<String, String> =
            [("meeting".to_owned(), "closed-agreed".to_owned())].into();
        assert_eq!(
            refusal(super::migrate(&cx, &case, &to_closed)).0,
            Code::NotMigratable
        );
        let mapped: BTreeMap<String, String> =
            [("meeting".to_owned(), "dialogue".to_owned())].into();
        let events = super::migrate(&cx, &case, &mapped).unwrap();
        assert!(matches!(
            &events[..],
            [CaseEvent::CaseMigrated { from_version: 1, to_version: 2, to_state, .. }] if to_state == "dialogue"
        ));
        let moved = case.after(&events, given.now);
        assert_eq!((moved.version, moved.state.as_str()), (2, "dialogue"));
        assert_eq!(
            refusal(super::migrate(&cx, &moved, &mapped)),
            (
                Code::NotMigratable,
                "case TP-2026-0001 is on version 2 already".to_owned()
            )
        );
        // Only those who may correct data (and administrators) migrate.
        assert_eq!(
            refusal(super::migrate(
                &Context {
                    actor: &given.actors["jaan"],
                    ..cx
                },
                &case,
                &mapped
            ))
            .0,
            Code::Denied
        );
    }
}

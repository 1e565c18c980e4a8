//! My work: the open cases where the asking person can act now, or that
//! escalate to them, most urgent first, each with what it needs and the
//! state's guidance. Read from the case list (the projection), judged
//! against the case's definition version; no case's events are read.
//!
//! A person is linked to a case when they opened it, are named in one of its
//! actor-list fields (the mediators, say), or hold a role one of the current
//! state's own steps needs (a coordinator, for the states coordinators work).
//! Steps offered in every state (`anywhere`: withdrawing, stopping) link
//! nobody: they would put every case on every coordinator's list. A missed
//! deadline that escalates to a role the person holds links them too.
//!
//! A notice the case owes outside the service (to the referring authority)
//! puts it on the list of whoever may record it sent, and once overdue of
//! whoever it escalates to, closed or not: the obligation outlives the case.

use chrono::NaiveDate;
use kroonika_engine::actors::Actor;
use kroonika_engine::calendar::working_days_between;
use kroonika_engine::definition::{ProcessDefinition, RoleRef, State};
use serde::Serialize;
use serde_json::Value;

use crate::App;
use crate::cases::view::{CaseFilter, overdue};
use crate::command::Request;
use crate::error::Result;

/// How urgent a case is, in the order the list shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// Its deadline has passed.
    Overdue,
    /// Warned, or due within five working days.
    DueSoon,
    /// Anything else.
    Later,
}

/// One case on a person's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkItem {
    pub reference: String,
    pub process: String,
    pub state: String,
    pub urgency: Urgency,
    pub due_on: Option<NaiveDate>,
    /// Working days to the due day (negative: how many late).
    pub working_days_left: Option<i64>,
    /// Why it is on the list: `opened`, `named in FIELD`, `role ROLE`,
    /// `escalated to ROLE`.
    pub why: Vec<String>,
    /// The state's own steps this person may take.
    pub steps: Vec<String>,
    /// Checklist items not yet done (those without a condition; a
    /// conditional one shows on the case).
    pub needs: Vec<String>,
    /// The state's guidance, its first line.
    pub guidance: Option<String>,
    /// Notices the case owes (ids) that this person may record sent, or
    /// that escalate to them.
    pub notices: Vec<String>,
}

/// Cases due within this many working days are due soon.
const SOON: i64 = 5;

impl App {
    /// The open cases `request.actor` is linked to and can act on now (or
    /// that escalate to them), overdue first, then due soon, then the rest;
    /// within each, the nearest deadline first.
    pub async fn my_work(&self, request: &Request) -> Result<Vec<WorkItem>> {
        let (actor, _) = self.acting(&request.actor).await?;
        let list = self
            .list_cases(
                request,
                &CaseFilter {
                    open: true,
                    ..CaseFilter::default()
                },
            )
            .await?;
        let registry = self.registry();
        let mut items = Vec::new();
        // Closed cases stay on a list while they owe a notice.
        let closed = self
            .list_cases(
                request,
                &CaseFilter {
                    closed: true,
                    ..CaseFilter::default()
                },
            )
            .await?;
        for doc in closed.cases.iter().filter(|d| owes(d)) {
            let text = |field: &str| doc[field].as_str().unwrap_or_default().to_owned();
            let process = text("process");
            let version = doc["version"].as_u64().and_then(|v| u32::try_from(v).ok());
            let Ok((definition, _)) = registry.definition(&process, version) else {
                continue;
            };
            let Some(owed) = notices(&actor, doc, &definition, closed.today) else {
                continue;
            };
            items.push(WorkItem {
                reference: text("reference"),
                process,
                state: text("state"),
                urgency: owed.urgency,
                due_on: Some(owed.due_on),
                working_days_left: Some(working_days_between(closed.today, owed.due_on)),
                why: owed.why,
                steps: Vec::new(),
                needs: Vec::new(),
                guidance: None,
                notices: owed.ids,
            });
        }
        for doc in &list.cases {
            let text = |field: &str| doc[field].as_str().unwrap_or_default().to_owned();
            let (process, state_name) = (text("process"), text("state"));
            let version = doc["version"].as_u64().and_then(|v| u32::try_from(v).ok());
            let Ok((definition, _)) = registry.definition(&process, version) else {
                continue;
            };
            let Some(state) = definition.state(&state_name) else {
                continue;
            };
            let due_on = doc["deadline"]["due_on"]
                .as_str()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let overdue = list.is_overdue(doc);
            let owed = notices(&actor, doc, &definition, list.today);
            let item = judge(&actor, doc, state, overdue);
            let (why, steps) = match (item, &owed) {
                (Some((mut why, steps)), Some(owed)) => {
                    why.extend(
                        owed.why
                            .iter()
                            .filter(|w| !why.contains(w))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                    (why, steps)
                }
                (Some(item), None) => item,
                (None, Some(owed)) => (owed.why.clone(), Vec::new()),
                (None, None) => continue,
            };
            let left = due_on.map(|due| working_days_between(list.today, due));
            let mut urgency = if overdue {
                Urgency::Overdue
            } else if doc["deadline_warned"] == Value::Bool(true) || left.is_some_and(|l| l <= SOON)
            {
                Urgency::DueSoon
            } else {
                Urgency::Later
            };
            let mut due_on = due_on;
            if let Some(owed) = &owed {
                urgency = urgency.min(owed.urgency);
                due_on = Some(due_on.map_or(owed.due_on, |d| d.min(owed.due_on)));
            }
            let left = due_on.map(|due| working_days_between(list.today, due));
            let done: Vec<&str> = doc["tasks_done"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            items.push(WorkItem {
                reference: text("reference"),
                process,
                state: state_name,
                urgency,
                due_on,
                working_days_left: left,
                why,
                steps,
                needs: state
                    .tasks
                    .iter()
                    .filter(|t| t.when.is_none() && !done.contains(&t.id.as_str()))
                    .map(|t| t.id.clone())
                    .collect(),
                guidance: state
                    .guidance
                    .as_ref()
                    .map(|g| g.as_str())
                    .and_then(|g| g.trim().lines().next())
                    .map(str::to_owned),
                notices: owed.map(|o| o.ids).unwrap_or_default(),
            });
        }
        items.sort_by(|a, b| {
            (a.urgency, a.due_on.is_none(), a.due_on, &a.reference).cmp(&(
                b.urgency,
                b.due_on.is_none(),
                b.due_on,
                &b.reference,
            ))
        });
        Ok(items)
    }
}

/// Whether an overdue case escalates to `actor` by region: the case is in
/// the region they work in, or either has none (a lead of every region, a
/// process without regions, a case listed before regions were kept).
fn in_region(actor: &Actor, doc: &Value) -> bool {
    actor.works_in(doc["region"].as_str())
}

/// Whether a case-list document has notices due.
fn owes(doc: &Value) -> bool {
    doc["notices"].as_object().is_some_and(|n| !n.is_empty())
}

/// The notices a case owes that are `actor`'s to send or to chase.
struct Owed {
    ids: Vec<String>,
    why: Vec<String>,
    /// The earliest due date among them.
    due_on: NaiveDate,
    urgency: Urgency,
}

/// The notices of `doc` that `actor` may record sent (by the notice's roles,
/// on a case they are linked to) or that went overdue and escalate to a role
/// they hold.
fn notices(
    actor: &Actor,
    doc: &Value,
    definition: &ProcessDefinition,
    today: NaiveDate,
) -> Option<Owed> {
    let pending = doc["notices"].as_object()?;
    let named_in = |field: &str| {
        doc["assigned"][field]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(&actor.name)))
    };
    let linked = doc["opened_by"].as_str() == Some(actor.name.as_str())
        || doc["assigned"]
            .as_object()
            .is_some_and(|fields| fields.keys().any(|f| named_in(f)));
    let mut owed: Option<Owed> = None;
    for (id, notice) in pending {
        let Some(due_on) = notice["due_on"]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let late = overdue(
            notice["missed"].as_bool() == Some(true),
            Some(due_on),
            today,
        );
        // Whoever may send it and is linked to the case (opened it, or is
        // named in it): not every coordinator for every case.
        let sends = linked
            && definition.notice(id).is_some_and(|n| {
                n.roles.iter().any(|role| match role {
                    RoleRef::Role { role } => actor.has_role(role),
                    RoleRef::Assigned { role, field } => actor.has_role(role) && named_in(field),
                })
            });
        let escalated = notice["escalate"]
            .as_str()
            .filter(|role| late && actor.has_role(role) && in_region(actor, doc));
        if !sends && escalated.is_none() {
            continue;
        }
        let urgency = if late {
            Urgency::Overdue
        } else if working_days_between(today, due_on) <= SOON {
            Urgency::DueSoon
        } else {
            Urgency::Later
        };
        let entry = owed.get_or_insert_with(|| Owed {
            ids: Vec::new(),
            why: Vec::new(),
            due_on,
            urgency,
        });
        entry.ids.push(id.clone());
        entry.due_on = entry.due_on.min(due_on);
        entry.urgency = entry.urgency.min(urgency);
        let why = match escalated {
            Some(role) => format!("notice {id} escalated to {role}"),
            None => format!("notice {id} due"),
        };
        entry.why.push(why);
    }
    owed
}

/// Why `actor` is linked to the case and which of its state's own steps
/// they may take; None when the case is not theirs to act on now.
fn judge(
    actor: &Actor,
    doc: &Value,
    state: &State,
    overdue: bool,
) -> Option<(Vec<String>, Vec<String>)> {
    let named_in = |field: &str| {
        doc["assigned"][field]
            .as_array()
            .is_some_and(|names| names.iter().any(|n| n.as_str() == Some(&actor.name)))
    };
    let may = |role: &RoleRef| match role {
        RoleRef::Role { role } => actor.has_role(role),
        RoleRef::Assigned { role, field } => actor.has_role(role) && named_in(field),
    };
    let mut why = Vec::new();
    if doc["opened_by"].as_str() == Some(actor.name.as_str()) {
        why.push("opened".to_owned());
    }
    if let Some(fields) = doc["assigned"].as_object() {
        for field in fields.keys() {
            if named_in(field) {
                why.push(format!("named in {field}"));
            }
        }
    }
    let steps: Vec<String> = state
        .transitions
        .iter()
        .filter(|t| t.roles.iter().any(may))
        .map(|t| t.name.clone())
        .collect();
    for step in &state.transitions {
        for role in &step.roles {
            if let RoleRef::Role { role } = role
                && actor.has_role(role)
                && !why.iter().any(|w| w == &format!("role {role}"))
            {
                why.push(format!("role {role}"));
            }
        }
    }
    let escalated = doc["deadline"]["escalate"]
        .as_str()
        .filter(|role| overdue && actor.has_role(role) && in_region(actor, doc));
    if let Some(role) = escalated {
        why.push(format!("escalated to {role}"));
    }
    let linked = !why.is_empty();
    (linked && (!steps.is_empty() || escalated.is_some())).then_some((why, steps))
}

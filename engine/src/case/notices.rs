//! Notices the service owes someone outside it: the prosecutor or court that
//! referred a case must hear of the mediator appointed, of every ending and
//! of a breach, since only it decides what becomes of the criminal case.
//!
//! A definition's `notices` say after which steps a notice is due and within
//! how long. Taking such a step records the notice as due in the step's own
//! event (one command, one event), a person records it sent (a command of its
//! own, allowed on a closed case: the obligation outlives the case), and the
//! timers mark an unsent one overdue for its `escalate` role. Deciding stays
//! pure: the day is the command's, the partner the case's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::decide::{Context, allowed, condition};
use super::event::{CaseEvent, NoticeDue};
use super::state::Case;
use crate::rejection::{Code, Rejection};

/// At most this many characters in a notice's reference (a letter's number).
const REFERENCE_MAX: usize = 200;

/// The notices taking `transition` makes due, on the case's data as the step
/// leaves it (`data`) and in the state it leads to. A notice still pending is
/// not made due again: the earlier due date stands.
pub(super) fn due_after(
    cx: &Context<'_>,
    case: &Case,
    transition: &str,
    data: &BTreeMap<String, Value>,
    state: &str,
) -> Result<Vec<NoticeDue>, Rejection> {
    let mut due = Vec::new();
    for notice in &cx.definition.notices {
        let pending = case.notices.contains_key(&notice.id) && !notice.renew;
        if !notice.after.iter().any(|t| t == transition) || pending {
            continue;
        }
        if let Some(when) = &notice.when {
            let owed = condition(cx, when, data, state, Some(cx.occurred_at)).map_err(|why| {
                Rejection::new(
                    Code::GuardError,
                    format!(
                        "the condition of notice '{}' could not be evaluated: {why}",
                        notice.id
                    ),
                )
            })?;
            if !owed {
                continue;
            }
        }
        due.push(NoticeDue {
            notice: notice.id.clone(),
            due_on: notice.within.after(cx.occurred_at.date_naive()),
            to: notice
                .to
                .as_ref()
                .and_then(|field| data.get(field))
                .and_then(Value::as_str)
                .map(str::to_owned),
            escalate: notice.escalate.clone(),
            renews: notice.renew,
        });
    }
    Ok(due)
}

/// Records a due notice sent on `sent_on` (not after the day this records),
/// by one of the notice's roles, with the service's reference of the letter
/// if given. Allowed on a closed case.
pub fn send_notice(
    cx: &Context<'_>,
    case: &Case,
    notice: &str,
    sent_on: NaiveDate,
    reference: Option<&str>,
) -> Result<Vec<CaseEvent>, Rejection> {
    let def = cx.definition;
    let Some(declared) = def.notice(notice) else {
        let ids: Vec<&str> = def.notices.iter().map(|n| n.id.as_str()).collect();
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "process '{}' has no notice '{notice}'; {}",
                def.id,
                if ids.is_empty() {
                    "it declares none".to_owned()
                } else {
                    format!("its notices: {}", ids.join(", "))
                }
            ),
        ));
    };
    allowed(
        cx,
        &declared.roles,
        &case.data,
        &format!("record notice '{notice}' sent"),
    )?;
    if declared.renew {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{notice}' is a recurring duty: it is fulfilled by taking {}, not recorded sent",
                declared.after.join(" or ")
            ),
        ));
    }
    if !case.notices.contains_key(notice) {
        let pending: Vec<&str> = case.notices.keys().map(String::as_str).collect();
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "notice '{notice}' is not due on case {} (no step has made it due, or it was recorded sent); {}",
                case.reference,
                if pending.is_empty() {
                    "no notice is due".to_owned()
                } else {
                    format!("due: {}", pending.join(", "))
                }
            ),
        ));
    }
    let today = cx.occurred_at.date_naive();
    if sent_on > today {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!("notice '{notice}': sent on {sent_on} is after {today}, the day this records"),
        ));
    }
    let reference = reference.map(str::trim).filter(|r| !r.is_empty());
    if let Some(text) = reference
        && (text.chars().count() > REFERENCE_MAX || text.chars().any(char::is_control))
    {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "notice '{notice}': the reference must be one line of at most {REFERENCE_MAX} characters"
            ),
        ));
    }
    Ok(vec![CaseEvent::NoticeSent {
        notice: notice.to_owned(),
        sent_on,
        reference: reference.map(str::to_owned),
    }])
}

/// The first pending notice (by id) whose due date has passed unsent, marked
/// overdue; None when none is (a racing runner got there first).
pub(super) fn missed(cx: &Context<'_>, case: &Case) -> Option<CaseEvent> {
    let today = cx.now.date_naive();
    case.notices
        .iter()
        .find(|(_, n)| !n.missed && today > n.due_on)
        .map(|(id, n)| CaseEvent::NoticeMissed {
            notice: id.clone(),
            due_on: n.due_on,
            escalate: n.escalate.clone(),
        })
}

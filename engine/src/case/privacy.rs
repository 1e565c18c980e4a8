//! Decisions about personal data: who may read it in the clear, erase it, or
//! hold it against erasure, and when retention erases it. Pure, like the rest of
//! `decide`: the vault and the store do the cryptography and the key deletion.

use chrono::NaiveDate;
use serde_json::Value;
use uuid::Uuid;

use super::decide::{Context, allowed};
use super::event::CaseEvent;
use super::state::Case;
use crate::actors::ADMIN;
use crate::definition::ProcessDefinition;
use crate::rejection::{Code, Rejection};

/// Refuses unless the actor may read this case's personal data in the clear, for
/// a stated purpose. A refusal for want of a role is a denial (recorded).
pub fn may_reveal(cx: &Context<'_>, case: &Case, purpose: &str) -> Result<(), Rejection> {
    allowed(
        cx,
        &cx.definition.privacy.read,
        &case.data,
        "read personal data",
    )?;
    if purpose.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "reading personal data needs a purpose: --purpose TEXT (it is recorded)",
        ));
    }
    Ok(())
}

/// Refuses unless the actor may export everything the case holds about a
/// data subject (a subject access request): administrators, and the roles the
/// definition's `privacy: export` declares; with a stated purpose. A refusal
/// for want of a role is a denial (recorded).
pub fn may_export(cx: &Context<'_>, case: &Case, purpose: &str) -> Result<(), Rejection> {
    if !cx.actor.has_role(ADMIN) {
        if cx.definition.privacy.export.is_empty() {
            return Err(Rejection::denied(format!(
                "only administrators may export a data subject's data from '{}' cases (its definition's privacy: export names no role)",
                cx.definition.id
            )));
        }
        allowed(
            cx,
            &cx.definition.privacy.export,
            &case.data,
            "export a data subject's data",
        )
        .map_err(|r| Rejection::denied(format!("{r} (administrators may always)")))?;
    }
    if purpose.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "exporting a data subject's data needs a purpose: --purpose TEXT (it is recorded)",
        ));
    }
    Ok(())
}

/// A note in the case's journal, by whoever may read the case's personal
/// data (the note is personal data itself). `note` is the text, or (when an
/// auditor replays the log) the text as sealed. A process that declares no
/// data subjects has nobody to seal a note for, and keeps none.
pub fn add_note(cx: &Context<'_>, case: &Case, note: &Value) -> Result<Vec<CaseEvent>, Rejection> {
    allowed(
        cx,
        &cx.definition.privacy.read,
        &case.data,
        "keep notes on the case",
    )?;
    if cx.definition.subjects.is_empty() {
        return Err(Rejection::new(
            Code::Rule,
            format!(
                "process '{}' declares no data subjects; a note is personal data and would have nobody to be erased for",
                cx.definition.id
            ),
        ));
    }
    match note {
        Value::String(text) if text.trim().is_empty() => {
            Err(Rejection::new(Code::MissingInput, "a note needs its text"))
        }
        Value::String(text) => {
            // A note is a text, with a text's limit.
            super::value::within(
                "note",
                &crate::definition::FieldType::Text { max_length: None },
                text.trim(),
            )?;
            Ok(vec![CaseEvent::NoteAdded {
                note: Value::String(text.trim().to_owned()),
            }])
        }
        sealed if crate::sealed::is_sealed(sealed) => Ok(vec![CaseEvent::NoteAdded {
            note: sealed.clone(),
        }]),
        _ => Err(Rejection::new(Code::InvalidInput, "a note is text")),
    }
}

/// Whether the actor may place and release the case's legal hold (the
/// process's erasers and administrators), for a page to offer it.
pub fn may_hold(cx: &Context<'_>, case: &Case) -> bool {
    may_erase(cx, case, "place legal holds").is_ok()
}

/// Administrators, and the roles the definition lets erase.
fn may_erase(cx: &Context<'_>, case: &Case, to: &str) -> Result<(), Rejection> {
    if cx.actor.has_role(ADMIN) {
        return Ok(());
    }
    allowed(cx, &cx.definition.privacy.erase, &case.data, to)
        .map_err(|r| Rejection::denied(format!("{r} (administrators may always)")))
}

/// Erases data subject `subject` (a name the definition declares) of the case,
/// whose id is `subject_id`. Nothing to do if it is erased already.
pub fn erase(
    cx: &Context<'_>,
    case: &Case,
    subject: &str,
    subject_id: Uuid,
    reason: &str,
) -> Result<Vec<CaseEvent>, Rejection> {
    may_erase(cx, case, "erase personal data")?;
    check_subject(cx.definition, case, subject)?;
    if reason.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "an erasure needs a reason: --reason TEXT",
        ));
    }
    if let Some(hold) = &case.hold {
        return Err(Rejection::new(
            Code::LegalHold,
            format!(
                "{} is under a legal hold ({hold}); release it first",
                case.reference
            ),
        ));
    }
    if case.erased.contains(subject) {
        return Ok(Vec::new());
    }
    Ok(vec![CaseEvent::SubjectErased {
        subject: subject.to_owned(),
        subject_id,
        reason: reason.trim().to_owned(),
    }])
}

fn check_subject(def: &ProcessDefinition, case: &Case, subject: &str) -> Result<(), Rejection> {
    let names = super::people::subjects(def, &case.data);
    if names.iter().any(|s| s == subject) {
        return Ok(());
    }
    Err(Rejection::new(
        Code::NotFound,
        format!(
            "process '{}' has no data subject '{subject}'; its subjects: {}",
            def.id,
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ),
    ))
}

/// Places a legal hold: retention and manual erasure wait until it is released.
pub fn hold(cx: &Context<'_>, case: &Case, reason: &str) -> Result<Vec<CaseEvent>, Rejection> {
    may_erase(cx, case, "place legal holds")?;
    if reason.trim().is_empty() {
        return Err(Rejection::new(
            Code::MissingInput,
            "a legal hold needs a reason: --reason TEXT",
        ));
    }
    if case.hold.is_some() {
        return Ok(Vec::new());
    }
    Ok(vec![CaseEvent::LegalHoldPlaced {
        reason: reason.trim().to_owned(),
    }])
}

/// Releases the legal hold, if there is one.
pub fn release(cx: &Context<'_>, case: &Case, reason: &str) -> Result<Vec<CaseEvent>, Rejection> {
    may_erase(cx, case, "release legal holds")?;
    if case.hold.is_none() {
        return Ok(Vec::new());
    }
    Ok(vec![CaseEvent::LegalHoldReleased {
        reason: reason.trim().to_owned(),
    }])
}

/// The subjects retention erases from this case on `today`: all not yet erased,
/// once the case has been closed for the definition's retention period, unless
/// it is held.
pub fn retention_due(def: &ProcessDefinition, case: &Case, today: NaiveDate) -> Vec<String> {
    let (Some(keep), true, None, Some(closed)) =
        (def.retention, case.closed, &case.hold, case.entered_at)
    else {
        return Vec::new();
    };
    if keep.after(closed.date_naive()) > today {
        return Vec::new();
    }
    super::people::subjects(def, &case.data)
        .into_iter()
        .filter(|s| !case.erased.contains(s))
        .collect()
}

//! Documents produced from a case: the agreement the parties sign, the report
//! to the referring authority, the information sheet a party is given. The
//! coordinator's duty is documentation (job description 2.3); a document
//! printed from the case says what the case says, and the case records that
//! it was produced, in which language, for whom and from which template.
//!
//! Rendering is the application's (it reads personal data in the clear and
//! records that reading); what is decided here is whether this actor may
//! produce this document now, and what the case records of it. The template's
//! hash is the engine's to compute: the record names the exact text the
//! definition's version held, and replay checks it.

use super::decide::{Context, allowed};
use super::event::CaseEvent;
use super::state::Case;
use crate::definition::{Document, ProcessDefinition};
use crate::rejection::{Code, Rejection};

/// The content hash of a template's text: `sha256:<hex>`, as definitions'
/// own hashes are written.
pub fn template_hash(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The documents `cx.actor` may produce on `case` now: in the case's state,
/// by the document's roles.
pub fn available<'d>(cx: &Context<'d>, case: &Case) -> Vec<&'d Document> {
    cx.definition
        .documents
        .iter()
        .filter(|d| in_state(d, case) && allowed(cx, &d.roles, &case.data, "").is_ok())
        .collect()
}

/// Refuses unless `cx.actor` may produce `document` in `language` for `to`
/// on `case` now; the document declared. A refusal for want of a role is a
/// denial (recorded by the caller).
/// Whom `document` may be addressed to in `case`: its `to`, each people
/// field in it standing for every person that field lists.
pub fn addressees(def: &ProcessDefinition, case: &Case, document: &Document) -> Vec<String> {
    document
        .to
        .iter()
        .flat_map(|to| match def.field(to).map(|f| &f.ty) {
            Some(crate::definition::FieldType::People { .. }) => case
                .data
                .get(to)
                .map(super::people::ids)
                .unwrap_or_default(),
            _ => vec![to.clone()],
        })
        .collect()
}

pub fn may_produce<'d>(
    cx: &Context<'d>,
    case: &Case,
    document: &str,
    language: &str,
    to: Option<&str>,
) -> Result<&'d Document, Rejection> {
    let def: &'d ProcessDefinition = cx.definition;
    let Some(declared) = def.document(document) else {
        let ids: Vec<&str> = def.documents.iter().map(|d| d.id.as_str()).collect();
        return Err(Rejection::new(
            Code::NotFound,
            format!(
                "process '{}' has no document '{document}'; {}",
                def.id,
                if ids.is_empty() {
                    "it declares none".to_owned()
                } else {
                    format!("its documents: {}", ids.join(", "))
                }
            ),
        ));
    };
    allowed(
        cx,
        &declared.roles,
        &case.data,
        &format!("produce document '{document}'"),
    )?;
    if !declared.templates.contains_key(language) {
        let written: Vec<&str> = declared.templates.keys().map(String::as_str).collect();
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "document '{document}' is not written in '{language}'; it is written in {}",
                written.join(", ")
            ),
        ));
    }
    if !in_state(declared, case) {
        return Err(Rejection::new(
            Code::GuardFailed,
            format!(
                "document '{document}' is produced in {}; case {} is in '{}'",
                declared.states.join(", "),
                case.reference,
                case.state
            ),
        ));
    }
    let may_address = addressees(cx.definition, case, declared);
    let addressed = |to: &str| may_address.iter().any(|a| a == to);
    match to {
        Some(to) if addressed(to) && case.erased.contains(to) => {
            return Err(Rejection::new(
                Code::Erased,
                format!(
                    "document '{document}' cannot be addressed to {to}: their personal data in case {} was erased",
                    case.reference
                ),
            ));
        }
        Some(to) if !addressed(to) => {
            return Err(Rejection::new(
                Code::InvalidInput,
                format!(
                    "document '{document}' is not addressed to '{to}'; {}",
                    if declared.to.is_empty() {
                        "it is addressed to nobody in particular".to_owned()
                    } else {
                        format!("it may be addressed to {}", declared.to.join(", "))
                    }
                ),
            ));
        }
        _ => {}
    }
    Ok(declared)
}

/// What the case records of producing `document` in `language` for `to`:
/// the template's hash as this version of the definition holds it.
pub fn produce(
    cx: &Context<'_>,
    case: &Case,
    document: &str,
    language: &str,
    to: Option<&str>,
) -> Result<Vec<CaseEvent>, Rejection> {
    let declared = may_produce(cx, case, document, language, to)?;
    Ok(vec![CaseEvent::DocumentProduced {
        document: document.to_owned(),
        language: language.to_owned(),
        to: to.map(str::to_owned),
        template: template_hash(&declared.templates[language]),
    }])
}

fn in_state(document: &Document, case: &Case) -> bool {
    document.states.is_empty() || document.states.contains(&case.state)
}

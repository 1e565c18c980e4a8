//! Partner ids in a decision: each partner a decided event records (a field
//! or a step's input of type `partner`) must be listed, active and of a kind
//! the field allows, in the partner list in force. Judged here, on what the
//! engine decided, because the list is the registry's like the actor
//! directory: a decision made on one list is written only if the registry is
//! still where it was (the write's precondition).

use std::collections::BTreeMap;

use kroonika_engine::case::CaseEvent;
use kroonika_engine::definition::{FieldType, InputSource, ProcessDefinition};
use kroonika_engine::partners;
use serde_json::Value;

use crate::error::Result;
use crate::registry::Registry;

/// Refuses a decision that names a partner the list does not allow.
pub(crate) fn check(
    registry: &Registry,
    definition: &ProcessDefinition,
    events: &[CaseEvent],
) -> Result<()> {
    let mut list = None;
    for event in events {
        let (data, input, step) = match event {
            CaseEvent::CaseOpened { data, .. } => (data, None, None),
            CaseEvent::CaseDataCorrected { data, .. } => (data, None, None),
            CaseEvent::TransitionTaken {
                data,
                input,
                transition,
                from,
                ..
            } => (data, Some(input), Some((from, transition))),
            _ => continue,
        };
        let mut named: BTreeMap<&str, (&Vec<String>, &Value)> = BTreeMap::new();
        for (name, value) in data {
            if let Some(field) = definition.field(name)
                && let FieldType::Partner { kinds } = &field.ty
            {
                named.insert(name, (kinds, value));
            }
        }
        if let (Some(input), Some((from, transition))) = (input, step)
            && let Some(spec) = definition
                .state(from)
                .and_then(|s| definition.transitions_in(s).find(|t| &t.name == transition))
        {
            for i in &spec.input {
                if let InputSource::Local {
                    ty: FieldType::Partner { kinds },
                } = &i.source
                    && let Some(value) = input.get(&i.name)
                {
                    named.insert(&i.name, (kinds, value));
                }
            }
        }
        for (name, (kinds, value)) in named {
            let Some(id) = value.as_str() else { continue };
            if list.is_none() {
                list = Some(registry.partners()?);
            }
            partners::check(list.as_ref().and_then(|l| l.as_deref()), name, kinds, id)?;
        }
    }
    Ok(())
}

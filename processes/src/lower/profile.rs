//! `profile`: what a case records on the actor it is about (a volunteer's
//! account), checked against the fields and roles the file declares. Roles a
//! profile grants are in effect while their condition holds, so they must be
//! the file's own roles, never one that administers the system.

use kroonika_engine::actors::{ADMIN, AUDITOR, SERVICE_OWNER};
use kroonika_engine::definition::{FieldType, Profile, ProfileRole};

use super::cx::{Cx, IdStyle};
use super::fields::{unknown_field, unknown_role};
use super::states::{Known, condition};
use crate::diagnostic::Code;
use crate::tree::Kind;
use crate::tree::Node;

pub(crate) const PROFILE_KEYS: [&str; 4] = ["name", "of", "record", "roles"];

/// Lowers the `profile` map.
pub(crate) fn profile(cx: &mut Cx, node: &Node, known: &Known<'_>) -> Option<Profile> {
    let what = "'profile'";
    let map = cx.map(node, what, &PROFILE_KEYS)?;
    let name = cx.required(map, "name", what).and_then(|n| {
        let name = cx.text(n, "the profile's 'name'")?;
        cx.id(&name, &n.span, "profile name", IdStyle::Snake)
            .then_some(name)
    });
    let of = cx.required(map, "of", what).and_then(|n| {
        let field = cx.text(n, "'of'")?;
        match known.fields.iter().find(|f| f.name == field) {
            None => {
                unknown_field(cx, &field, &n.span, what, known.fields);
                None
            }
            Some(f) if matches!(f.ty, FieldType::Actors { .. }) => Some(field),
            Some(f) => {
                cx.error(
                    Code::InvalidFieldType,
                    n.span.clone(),
                    format!(
                        "the profile is of the actors field '{field}' names, but '{field}' is of type {}, not a list of actors",
                        f.ty.name()
                    ),
                );
                None
            }
        }
    });
    let mut record = Vec::new();
    if let Some(n) = map.get("record") {
        for (field, span) in cx.id_list(n, "field", IdStyle::Snake) {
            match known.fields.iter().find(|f| f.name == field) {
                None => unknown_field(cx, &field, &span, what, known.fields),
                Some(f) if f.holds_personal() => cx.error(
                    Code::GuardPersonalField,
                    span,
                    format!(
                        "the profile records '{field}', which is personal data: a profile is read by other processes in the clear, so it records only facts about the work (dates, results, tracks)"
                    ),
                ),
                Some(_) if field == kroonika_engine::case::profile::STATE => cx.error(
                    Code::DuplicateId,
                    span,
                    "a profile records the case's state as 'state' already; rename the field",
                ),
                Some(_) => record.push(field),
            }
        }
    }
    let mut roles = Vec::new();
    if let Some(n) = map.get("roles")
        && let Some(granted) = cx.named(n, "the profile's 'roles'")
    {
        for (key, condition_node) in granted.entries {
            let role = key.name.clone();
            if [ADMIN, SERVICE_OWNER, AUDITOR].contains(&role.as_str()) {
                cx.error(
                        Code::InvalidRoleRef,
                        key.span.clone(),
                        format!(
                            "a profile may not grant '{role}': only an administrator grants the roles that run the system"
                        ),
                    );
                continue;
            }
            if !known.roles.contains(&role) {
                unknown_role(cx, &role, &key.span, known.roles);
                continue;
            }
            let when = match &condition_node.kind {
                Kind::Bool(true) | Kind::Null => None,
                _ => match condition(cx, condition_node, known) {
                    Some(c) => Some(c),
                    None => continue,
                },
            };
            roles.push(ProfileRole { role, when });
        }
    }
    Some(Profile {
        name: name?,
        of: of?,
        record,
        roles,
    })
}

//! The partner list as the service owner writes it: the kinds of partner and
//! each partner with its kind, checked into the engine's `PartnerList` with
//! located diagnostics, like a definition.
//!
//! ```yaml
//! partners: { et: Koostööpartnerid, en: Partners }   # the list's title
//! kinds:
//!   prosecutor: { et: Prokuratuur, en: Prosecutor's office }
//! list:
//!   pohja-prokuratuur: { title: Põhja Ringkonnaprokuratuur, kind: prosecutor, region: north }
//!   old-school: { title: Vana kool, kind: school, active: false }   # kept for its cases
//! ```

use kroonika_engine::partners::{Kind as PartnerKind, Partner, PartnerList};

use crate::diagnostic::{Code, Diagnostic};
use crate::lower::cx::Cx;
use crate::suggest::did_you_mean;
use crate::tree::{self, Kind};

pub(crate) const TOP_KEYS: [&str; 3] = ["partners", "kinds", "list"];
pub(crate) const PARTNER_KEYS: [&str; 4] = ["title", "kind", "region", "active"];

/// The result of checking a partner list.
#[derive(Debug)]
pub struct CheckedPartners {
    /// Present when there are no errors.
    pub list: Option<PartnerList>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `source` is a partner list rather than a process definition: its
/// top level says `partners:`. Broken YAML is not.
pub fn is_partner_list(source: &str) -> bool {
    source.len() <= crate::MAX_SOURCE_LEN
        && tree::parse(source).is_ok_and(|root| match &root.kind {
            Kind::Map(entries) => entries.iter().any(|(k, _)| k.name == "partners"),
            _ => false,
        })
}

/// Checks a partner list's text. Never panics, whatever the text.
pub fn check_partners(source: &str) -> CheckedPartners {
    if source.len() > crate::MAX_SOURCE_LEN {
        return CheckedPartners {
            list: None,
            diagnostics: vec![Diagnostic::error(
                Code::YamlSyntax,
                0..0,
                format!(
                    "the file is {} bytes; a list may be at most {}",
                    source.len(),
                    crate::MAX_SOURCE_LEN
                ),
            )],
        };
    }
    let root = match tree::parse(source) {
        Ok(root) => root,
        Err(err) => {
            return CheckedPartners {
                list: None,
                diagnostics: vec![
                    Diagnostic::error(Code::YamlSyntax, err.span, err.message).with_help(err.help),
                ],
            };
        }
    };
    let mut cx = Cx::default();
    let list = lower(&mut cx, &root).filter(|_| !cx.has_errors());
    let mut diagnostics = cx.diagnostics;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    CheckedPartners { list, diagnostics }
}

fn lower(cx: &mut Cx, root: &tree::Node) -> Option<PartnerList> {
    let what = "the partner list";
    let map = cx.map(root, what, &TOP_KEYS)?;
    let title = cx
        .required(map, "partners", what)
        .and_then(|n| cx.words(n, "'partners' (the list's title)"));
    let mut kinds: Vec<PartnerKind> = Vec::new();
    if let Some(node) = cx.required(map, "kinds", what)
        && let Some(entries) = cx.named(node, "'kinds'")
    {
        for (key, text) in cx.declared(entries, "partner kind", "") {
            if let Some(title) = cx.words(text, &format!("the title of kind '{}'", key.name)) {
                kinds.push(PartnerKind {
                    id: key.name.clone(),
                    title,
                });
            }
        }
    }
    let mut partners: Vec<Partner> = Vec::new();
    if let Some(node) = cx.required(map, "list", what)
        && let Some(entries) = cx.named(node, "'list'")
    {
        for (key, spec) in cx.declared(entries, "partner", " in the list") {
            let what = format!("partner '{}'", key.name);
            let Some(spec) = cx.map(spec, &what, &PARTNER_KEYS) else {
                continue;
            };
            let title = cx
                .required(spec, "title", &what)
                .and_then(|n| cx.words(n, "'title'"));
            let kind = cx.required(spec, "kind", &what).and_then(|n| {
                let kind = cx.text(n, "'kind'")?;
                if kinds.iter().any(|k| k.id == kind) {
                    return Some(kind);
                }
                let known: Vec<&str> = kinds.iter().map(|k| k.id.as_str()).collect();
                let mut d = Diagnostic::error(
                    Code::UnknownKey,
                    n.span.clone(),
                    format!("{what} is of kind '{kind}', which 'kinds' does not declare"),
                );
                d = match did_you_mean(&kind, known.iter().copied()) {
                    Some(help) => d.with_help(help),
                    None => d.with_help(format!("the kinds are: {}", known.join(", "))),
                };
                cx.push(d);
                None
            });
            let region = spec.get("region").and_then(|n| cx.text(n, "'region'"));
            let active = match spec.get("active") {
                Some(n) => cx.bool(n, "'active'"),
                None => Some(true),
            };
            if let (Some(title), Some(kind), Some(active)) = (title, kind, active) {
                partners.push(Partner {
                    id: key.name.clone(),
                    title,
                    kind,
                    region,
                    active,
                });
            }
        }
    }
    Some(PartnerList {
        title: title?,
        kinds,
        partners,
    })
}

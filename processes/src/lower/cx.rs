//! The lowering context: collects diagnostics and reads tree nodes as the shapes
//! a definition expects (maps with known keys, lists, text, ids), reporting
//! every mismatch instead of stopping at the first.

use std::ops::Range;

use kroonika_engine::definition::{LANGUAGES, Text};

use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::{Key, Kind, Node};

/// In `Cx::broken`: the `roles` list itself could not be read.
pub(crate) const ROLES_BROKEN: &str = "$roles";

#[derive(Debug, Default)]
pub(crate) struct Cx {
    pub diagnostics: Vec<Diagnostic>,
    /// Names declared with a problem already reported (a field with a bad type,
    /// say): references to them are not reported again as unknown.
    pub broken: std::collections::HashSet<String>,
    /// The file's text, where a diagnostic points inside a value (a line of a
    /// document's template); empty when not given.
    pub source: String,
}

impl Cx {
    /// The span of line `line` (1-based) of a block text whose value starts
    /// at `span`: where the file holds it line for line (a `|` block); else
    /// `span` itself.
    pub fn line_in(&self, span: &Range<usize>, line: usize) -> Range<usize> {
        let Some(text) = self.source.get(span.clone()) else {
            return span.clone();
        };
        let mut start = span.start;
        for (i, part) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let trimmed = part.trim_end();
                let indent = trimmed.len() - trimmed.trim_start().len();
                return start + indent..start + trimmed.len();
            }
            start += part.len();
        }
        span.clone()
    }
}

/// The entries of a map node whose keys were checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Map<'a> {
    pub span: &'a Range<usize>,
    pub entries: &'a [(Key, Node)],
}

impl<'a> Map<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// How an id may be spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdStyle {
    /// `preparation`, `closed-no-agreement`: states, transitions, roles, tasks.
    Kebab,
    /// `referred_on`: fields and inputs, which guards read as `case.referred_on`.
    Snake,
}

pub(crate) fn is_id(name: &str, style: IdStyle) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let separator = match style {
        IdStyle::Kebab => '-',
        IdStyle::Snake => '_',
    };
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == separator);
    first_ok && rest_ok && !name.ends_with(separator) && !name.contains("--") && name.len() <= 64
}

impl Cx {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn error(&mut self, code: Code, span: Range<usize>, message: impl Into<String>) {
        self.push(Diagnostic::error(code, span, message));
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            Code::WrongType,
            node.span.clone(),
            format!("{what} should be {expected}, not {}", node.kind.describe()),
        );
    }

    /// Reads a map whose keys must be among `allowed`; nothing (`key:` with no
    /// value) counts as an empty map.
    pub fn map<'a>(&mut self, node: &'a Node, what: &str, allowed: &[&str]) -> Option<Map<'a>> {
        let entries: &[(Key, Node)] = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => &[],
            _ => {
                self.wrong_type(node, what, "a map of keys and values");
                return None;
            }
        };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                let mut diagnostic = Diagnostic::error(
                    Code::UnknownKey,
                    key.span.clone(),
                    format!("unknown key '{}' in {what}", key.name),
                );
                diagnostic = match did_you_mean(&key.name, allowed.iter().copied()) {
                    Some(help) => diagnostic.with_help(help),
                    // In `{ title: a, b c }` YAML reads `b c` as a key: the text had a comma.
                    None if key.name.contains(' ') => diagnostic.with_help(format!(
                        "if this is the rest of a text that contains a comma, put the whole text in quotes; {what} may have: {}",
                        allowed.join(", ")
                    )),
                    None => {
                        diagnostic.with_help(format!("{what} may have: {}", allowed.join(", ")))
                    }
                };
                self.push(diagnostic);
            }
        }
        Some(Map {
            span: &node.span,
            entries,
        })
    }

    /// Reads a map whose keys are names the author chooses (states, fields),
    /// not keys of the format.
    pub fn named<'a>(&mut self, node: &'a Node, what: &str) -> Option<Map<'a>> {
        let entries: &[(Key, Node)] = match &node.kind {
            Kind::Map(entries) => entries,
            Kind::Null => &[],
            _ => {
                self.wrong_type(node, what, "a map of names and their settings");
                return None;
            }
        };
        Some(Map {
            span: &node.span,
            entries,
        })
    }

    /// The entries of a map of author-chosen names (metrics, subjects, a
    /// state's transitions) whose names are valid ids, each once: a bad id or a
    /// second declaration is reported (`twice{place}`) and left out.
    pub fn declared<'a>(&mut self, map: Map<'a>, what: &str, place: &str) -> Vec<&'a (Key, Node)> {
        let mut out: Vec<&'a (Key, Node)> = Vec::new();
        for entry in map.entries {
            let key = &entry.0;
            if !self.id(&key.name, &key.span, what, IdStyle::Kebab) {
                continue;
            }
            if out.iter().any(|(seen, _)| seen.name == key.name) {
                self.error(
                    Code::DuplicateId,
                    key.span.clone(),
                    format!("{what} '{}' is declared twice{place}", key.name),
                );
                continue;
            }
            out.push(entry);
        }
        out
    }

    /// A key that must be present.
    pub fn required<'a>(&mut self, map: Map<'a>, key: &str, what: &str) -> Option<&'a Node> {
        let found = map.get(key);
        if found.is_none() {
            let start = map.span.start;
            self.error(
                Code::MissingKey,
                start..start,
                format!("{what} needs '{key}'"),
            );
        }
        found
    }

    /// A list; a single value where a list is expected is reported.
    pub fn list<'a>(&mut self, node: &'a Node, what: &str) -> Option<&'a [Node]> {
        match &node.kind {
            Kind::Seq(items) => Some(items),
            Kind::Null => Some(&[]),
            _ => {
                self.wrong_type(node, what, "a list");
                None
            }
        }
    }

    /// Text; numbers and booleans are accepted as their text where text is
    /// expected (a title of `2026` is fine), maps and lists are not.
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => {
                self.wrong_type(node, what, "text");
                None
            }
        }
    }

    /// Words a person reads: text, or the text in each language
    /// (`{ et: Ootel, en: Waiting }`), at least one.
    pub fn words(&mut self, node: &Node, what: &str) -> Option<Text> {
        if !matches!(node.kind, Kind::Map(_)) {
            return self.text(node, what).map(Text::Plain);
        }
        let map = self.map(
            node,
            &format!("{what} (a text in each language)"),
            &LANGUAGES,
        )?;
        let mut by = std::collections::BTreeMap::new();
        for (key, value) in map.entries {
            if !LANGUAGES.contains(&key.name.as_str()) {
                continue;
            }
            if let Some(text) = self.text(value, &format!("{what} in '{}'", key.name)) {
                by.insert(key.name.clone(), text);
            }
        }
        if by.is_empty() {
            if map.entries.is_empty() {
                self.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        node.span.clone(),
                        format!("{what} is empty"),
                    )
                    .with_help("write the text, or the text in each language: { et: …, en: … }"),
                );
            }
            return None;
        }
        Some(Text::Languages(by))
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.kind {
            Kind::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(node, what, "true or false");
                None
            }
        }
    }

    /// Checks an id's spelling, reporting it if wrong.
    pub fn id(&mut self, name: &str, span: &Range<usize>, what: &str, style: IdStyle) -> bool {
        if is_id(name, style) {
            return true;
        }
        let rule = match style {
            IdStyle::Kebab => {
                "lowercase letters, digits and single '-' between them, starting with a letter (e.g. 'closed-no-agreement')"
            }
            IdStyle::Snake => {
                "lowercase letters, digits and '_', starting with a letter (e.g. 'referred_on'), so that conditions can read it"
            }
        };
        self.push(
            Diagnostic::error(
                Code::InvalidId,
                span.clone(),
                format!("'{name}' is not a valid {what} id"),
            )
            .with_help(format!("use {rule}")),
        );
        false
    }

    /// A list of ids (roles: `[coordinator, facilitator]`), each checked, with
    /// duplicates reported.
    pub fn id_list(
        &mut self,
        node: &Node,
        what: &str,
        style: IdStyle,
    ) -> Vec<(String, Range<usize>)> {
        let mut out: Vec<(String, Range<usize>)> = Vec::new();
        for item in self
            .list(node, &format!("the {what} list"))
            .unwrap_or_default()
        {
            let Some(name) = self.text(item, &format!("a {what}")) else {
                continue;
            };
            if !self.id(&name, &item.span, what, style) {
                continue;
            }
            if out.iter().any(|(seen, _)| *seen == name) {
                self.error(
                    Code::DuplicateId,
                    item.span.clone(),
                    format!("{what} '{name}' is listed twice"),
                );
                continue;
            }
            out.push((name, item.span.clone()));
        }
        out
    }
}

//! The first stage: YAML text into a tree of spanned nodes.
//!
//! The tree is as loose as YAML itself (maps, lists, scalars), with the byte
//! range of every node and key. Reading the file into typed structs directly
//! would stop at the first unknown key or wrong type; reading it into this tree
//! never fails on a well-formed YAML file, so lowering can then report every
//! problem at once, each at its place.

use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML node and where it is in the file (byte offsets).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

impl Kind {
    /// What a service owner would call this kind of value, for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "nothing",
            Kind::Bool(_) => "true/false",
            Kind::Int(_) => "a whole number",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "text",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a map",
        }
    }
}

impl Kind {
    /// A scalar as a message quotes it (`'victim'`, `true`, `3`); other kinds
    /// as [`Kind::describe`] names them.
    pub fn describe_value(&self) -> String {
        match self {
            Kind::Bool(b) => b.to_string(),
            Kind::Int(i) => i.to_string(),
            Kind::Float(f) => f.to_string(),
            Kind::Str(s) => format!("'{s}'"),
            other => other.describe().to_owned(),
        }
    }

    /// The node as JSON (a value to compare with what events carry).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => Value::from(*f),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(|n| n.kind.to_json()).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, n)| (k.name.clone(), n.kind.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A YAML syntax error: what is wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
    pub help: String,
}

/// Parses `source` into a tree.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    match serde_saphyr::from_str::<Spanned<Raw>>(source) {
        Ok(spanned) => Ok(spanned.value.into_node(raw_span(&spanned.referenced))),
        Err(err) => {
            let span = err
                .location()
                .map_or(0..0, |location| span_of(&location, source));
            Err(explain(plain_message(&err.to_string()), span, source))
        }
    }
}

/// The parser's message turned into one a service owner can act on, pointed
/// at the place to change: the tab itself, the bracket never closed, the
/// alias that expands without end.
fn explain(message: String, span: Range<usize>, source: &str) -> SyntaxError {
    let error = |message: String, span: Range<usize>, help: &str| SyntaxError {
        message,
        span,
        help: help.to_owned(),
    };
    if message.contains("tabs disallowed") || message.contains("tab") && message.contains("indent")
    {
        let line_start = source[..span.start.min(source.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |i| line_start + i);
        let tab = source[line_start..line_end]
            .find('\t')
            .map_or(span.clone(), |i| line_start + i..line_start + i + 1);
        return error(
            "this is not valid YAML: a tab in the indentation".to_owned(),
            tab,
            "YAML indents with spaces only: replace the tab with spaces (two per level, as the lines around it)",
        );
    }
    if message.contains("budget breached") {
        return error(
            "this is not valid YAML here: anchors and aliases expand to more values than a definition can hold".to_owned(),
            span,
            "a definition needs no anchors (&name) or aliases (*name): write the values out where they are used",
        );
    }
    // The parser says "unclosed" at the end of the input, or stumbles on
    // something later: either way, the bracket left open is the place.
    let scan_to = if message.contains("unclosed") {
        source.len()
    } else {
        span.start
    };
    if let Some(open) = unclosed_bracket(source, scan_to) {
        let bracket = &source[open..open + 1];
        let (what, close) = if bracket == "[" {
            ("list", "]")
        } else {
            ("map", "}")
        };
        return SyntaxError {
            message: format!("this is not valid YAML: this '{bracket}' is never closed"),
            span: open..open + 1,
            help: format!(
                "close the {what} with '{close}' (the parser stumbled further on: {message})"
            ),
        };
    }
    if let Some((duplicate, _)) = message.split_once(", set DuplicateKeyPolicy") {
        return error(
            format!("this is not valid YAML: {duplicate}"),
            span,
            "a key may appear once in a map: remove or rename one of them",
        );
    }
    error(
        format!("this is not valid YAML: {message}"),
        span,
        "check the indentation and that every ':' after a key is followed by a space",
    )
}

/// The last '[' or '{' before `end` that is not closed before it (outside
/// quotes and comments): where a flow collection was left open.
fn unclosed_bracket(source: &str, end: usize) -> Option<usize> {
    let end = end.min(source.len());
    let mut open: Vec<usize> = Vec::new();
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for (i, c) in source[..end].char_indices() {
        match (quote, c) {
            _ if comment => comment = c != '\n',
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '#') if previous.is_whitespace() => comment = true,
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => open.push(i),
            (None, ']' | '}') => {
                open.pop();
            }
            _ => {}
        }
        previous = c;
    }
    open.pop()
}

/// The byte range of an error's location, clamped to the source: by its byte
/// offset when the parser knows it, else by its line and column.
fn span_of(location: &serde_saphyr::Location, source: &str) -> Range<usize> {
    let span = raw_span(location);
    if location.span().byte_offset().is_some() {
        return crate::diagnostic::clamp(span, source);
    }
    let (line, column) = (location.line() as usize, location.column() as usize);
    if line == 0 {
        return 0..0;
    }
    let start: usize = source
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let line_text = source[start.min(source.len())..]
        .lines()
        .next()
        .unwrap_or("");
    let offset = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    crate::diagnostic::clamp(start + offset..start + offset + 1, source)
}

/// The parser's message without its "error: line N column M: " prefix (the
/// diagnostic shows the place itself).
fn plain_message(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let stripped = first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .map_or(first, |(_, message)| message);
    stripped.trim().to_owned()
}

/// The tree as serde-saphyr hands it over, before spans become byte ranges.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl Raw {
    fn into_node(self, span: Range<usize>) -> Node {
        let kind = match self {
            Raw::Null => Kind::Null,
            Raw::Bool(b) => Kind::Bool(b),
            Raw::Int(i) => Kind::Int(i),
            Raw::Float(f) => Kind::Float(f),
            Raw::Str(s) => Kind::Str(s),
            Raw::Seq(items) => Kind::Seq(
                items
                    .into_iter()
                    .map(|item| {
                        let span = raw_span(&item.referenced);
                        item.value.into_node(span)
                    })
                    .collect(),
            ),
            Raw::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key_span = raw_span(&key.referenced);
                        let value_span = raw_span(&value.referenced);
                        let key = Key {
                            name: key.value,
                            span: key_span,
                        };
                        (key, value.value.into_node(value_span))
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
    }
}

fn raw_span(location: &serde_saphyr::Location) -> Range<usize> {
    let span = location.span();
    let start = span
        .byte_offset()
        .and_then(|o| usize::try_from(o).ok())
        .unwrap_or(0);
    let len = span
        .byte_len()
        .and_then(|l| usize::try_from(l).ok())
        .unwrap_or(0);
    start..start.saturating_add(len)
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let source = "process: x\nstates:\n  a: { to: b }\n";
        let root = parse(source).unwrap();
        let Kind::Map(entries) = &root.kind else {
            panic!("{root:?}")
        };
        assert_eq!(&source[entries[0].0.span.clone()], "process");
        assert_eq!(&source[entries[0].1.span.clone()], "x");
        let Kind::Map(states) = &entries[1].1.kind else {
            panic!()
        };
        assert_eq!(&source[states[0].0.span.clone()], "a");
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("a: [1, 2\n").unwrap_err();
        assert_eq!(
            err.message,
            "this is not valid YAML: this '[' is never closed"
        );
        assert_eq!(err.span, 3..4);
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(err.span, 3..4, "{}", err.message);
        let err = parse("a:\n\t- 1\n").unwrap_err();
        assert_eq!(err.span, 3..4, "the tab itself: {}", err.message);
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert!(
            err.message
                .starts_with("this is not valid YAML: duplicate mapping key: a"),
            "{}",
            err.message
        );
        assert_eq!(err.span.start, 5);
    }
}

//! Diagnostics: what is wrong in a definition, where, and what to do about it.
//!
//! Every diagnostic has a stable code (editors and CI match on it, and each code
//! has a broken example in the test corpus), a severity, a byte range in the
//! file, a plain-language message for a service owner, and often a help line.
//! They implement `miette::Diagnostic` so the CLI can draw the excerpt; their
//! JSON form (`to_json`) is for editors and CI.

use std::ops::Range;

use serde::Serialize;

/// How bad a problem is. Errors stop a definition from being published;
/// warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the file.
    pub span: Range<usize>,
    /// What to write instead, when there is something useful to say.
    pub help: Option<String>,
}

/// The stable diagnostic codes. Adding one is fine; renaming one breaks editors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    YamlSyntax,
    WrongType,
    UnknownKey,
    MissingKey,
    InvalidId,
    DuplicateId,
    UnknownState,
    UnknownRole,
    UnknownField,
    UnknownSubject,
    UnknownTransition,
    UnknownTask,
    InvalidFieldType,
    InvalidRegex,
    InvalidDuration,
    InvalidBounds,
    InvalidEnum,
    InvalidRoleRef,
    GuardSyntax,
    GuardUnknownVariable,
    GuardUnknownField,
    GuardPersonalField,
    GuardNotBoolean,
    FireUnavailable,
    FireNeedsInput,
    DeadlineFromNotDate,
    UnreachableState,
    NoWayOut,
    NoTransitions,
    TerminalWithTransitions,
    MissingOutcome,
    InvalidMetric,
    UnknownOutcome,
    InvalidHours,
    InvalidTemplate,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "yaml-syntax",
            Code::WrongType => "wrong-type",
            Code::UnknownKey => "unknown-key",
            Code::MissingKey => "missing-key",
            Code::InvalidId => "invalid-id",
            Code::DuplicateId => "duplicate-id",
            Code::UnknownState => "unknown-state",
            Code::UnknownRole => "unknown-role",
            Code::UnknownField => "unknown-field",
            Code::UnknownSubject => "unknown-subject",
            Code::UnknownTransition => "unknown-transition",
            Code::UnknownTask => "unknown-task",
            Code::InvalidFieldType => "invalid-field-type",
            Code::InvalidRegex => "invalid-regex",
            Code::InvalidDuration => "invalid-duration",
            Code::InvalidBounds => "invalid-bounds",
            Code::InvalidEnum => "invalid-enum",
            Code::InvalidRoleRef => "invalid-role-ref",
            Code::GuardSyntax => "guard-syntax",
            Code::GuardUnknownVariable => "guard-unknown-variable",
            Code::GuardUnknownField => "guard-unknown-field",
            Code::GuardPersonalField => "guard-personal-field",
            Code::GuardNotBoolean => "guard-not-boolean",
            Code::FireUnavailable => "fire-unavailable",
            Code::FireNeedsInput => "fire-needs-input",
            Code::DeadlineFromNotDate => "deadline-from-not-date",
            Code::UnreachableState => "unreachable-state",
            Code::NoWayOut => "no-way-out",
            Code::NoTransitions => "no-transitions",
            Code::TerminalWithTransitions => "terminal-with-transitions",
            Code::MissingOutcome => "missing-outcome",
            Code::InvalidMetric => "invalid-metric",
            Code::UnknownOutcome => "unknown-outcome",
            Code::InvalidHours => "invalid-hours",
            Code::InvalidTemplate => "invalid-template",
        }
    }

    /// Every code, for documentation and for the test that each has an example.
    pub const ALL: [Code; 35] = [
        Code::YamlSyntax,
        Code::WrongType,
        Code::UnknownKey,
        Code::MissingKey,
        Code::InvalidId,
        Code::DuplicateId,
        Code::UnknownState,
        Code::UnknownRole,
        Code::UnknownField,
        Code::UnknownSubject,
        Code::UnknownTransition,
        Code::UnknownTask,
        Code::InvalidFieldType,
        Code::InvalidRegex,
        Code::InvalidDuration,
        Code::InvalidBounds,
        Code::InvalidEnum,
        Code::InvalidRoleRef,
        Code::GuardSyntax,
        Code::GuardUnknownVariable,
        Code::GuardUnknownField,
        Code::GuardPersonalField,
        Code::GuardNotBoolean,
        Code::FireUnavailable,
        Code::FireNeedsInput,
        Code::DeadlineFromNotDate,
        Code::UnreachableState,
        Code::NoWayOut,
        Code::NoTransitions,
        Code::TerminalWithTransitions,
        Code::MissingOutcome,
        Code::InvalidMetric,
        Code::UnknownOutcome,
        Code::InvalidHours,
        Code::InvalidTemplate,
    ];
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Diagnostic {
    pub fn error(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
        }
    }

    pub fn warning(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub fn line_column(&self, source: &str) -> (usize, usize) {
        let start = clamp(self.span.clone(), source).start;
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// The JSON form: stable, for editors and CI.
    pub fn to_json(&self, file: &str, source: &str) -> serde_json::Value {
        let (line, column) = self.line_column(source);
        let span = clamp(self.span.clone(), source);
        serde_json::json!({
            "file": file,
            "line": line,
            "column": column,
            "start": span.start,
            "end": span.end,
            "code": self.code.as_str(),
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
        })
    }

    /// The diagnostic with its source, ready for miette to draw.
    pub fn report(&self, file: &str, source: &str) -> Report {
        Report {
            diagnostic: self.clone(),
            source: miette::NamedSource::new(file, source.to_owned()),
        }
    }
}

/// A span clamped to the source and to character boundaries, so that no
/// diagnostic can make rendering panic, whatever the input.
pub fn clamp(span: Range<usize>, source: &str) -> Range<usize> {
    let mut start = span.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    start..end.max(start)
}

/// A diagnostic joined with its file, for miette.
#[derive(Debug)]
pub struct Report {
    diagnostic: Diagnostic,
    source: miette::NamedSource<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = clamp(self.diagnostic.span.clone(), self.source.inner());
        let label = miette::LabeledSpan::new_with_span(Some("here".to_owned()), span);
        Some(Box::new(std::iter::once(label)))
    }
}

//! Stream names and expected revisions: the addressing half of the event envelope.
//!
//! A stream holds the events of one thing (a case, a volunteer, a definition) and is
//! named `<category>-<id>`, as in KurrentDB: the category is everything before the
//! first `-`, so `mediation-0193a7c2-…` is in category `mediation`. Reading by
//! category is how projections find every case of one kind without a stream list.
//! Names starting with `$` are reserved for the system (`$all` is the global log),
//! so a stream can never be confused with a system view of the log.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest stream name accepted, in bytes. Long enough for any category plus a
/// UUID or a case reference; short enough to keep the (stream, revision) index small.
pub const MAX_STREAM_NAME_LEN: usize = 200;

/// A validated stream name. Construct it with [`StreamName::new`] or `parse()`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StreamName(String);

/// Why a string is not a usable stream name. Each message quotes the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamNameError {
    #[error("stream name is empty")]
    Empty,
    #[error("stream name '{name}' is {len} bytes long; the limit is {MAX_STREAM_NAME_LEN}")]
    TooLong { name: String, len: usize },
    #[error("stream name '{name}' starts with '$', which is reserved for the system")]
    Reserved { name: String },
    #[error(
        "stream name '{name}' has no category: expected '<category>-<id>', e.g. 'mediation-0193a7c2'"
    )]
    NoCategory { name: String },
    #[error(
        "stream name '{name}' has an invalid category '{category}': use letters, digits, '_' or '.'"
    )]
    BadCategory { name: String, category: String },
    #[error("stream name '{name}' contains whitespace or a control character at byte {at}")]
    BadCharacter { name: String, at: usize },
}

impl StreamName {
    /// Validates `name` as `<category>-<id>`.
    pub fn new(name: impl Into<String>) -> Result<Self, StreamNameError> {
        let name = name.into();
        if name.is_empty() {
            return Err(StreamNameError::Empty);
        }
        if name.len() > MAX_STREAM_NAME_LEN {
            let len = name.len();
            return Err(StreamNameError::TooLong { name, len });
        }
        if name.starts_with('$') {
            return Err(StreamNameError::Reserved { name });
        }
        if let Some((at, _)) = name
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || c.is_control())
        {
            return Err(StreamNameError::BadCharacter { name, at });
        }
        let Some((category, id)) = name.split_once('-') else {
            return Err(StreamNameError::NoCategory { name });
        };
        if category.is_empty() || id.is_empty() {
            return Err(StreamNameError::NoCategory { name });
        }
        if !category
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            let category = category.to_owned();
            return Err(StreamNameError::BadCategory { name, category });
        }
        Ok(StreamName(name))
    }

    /// Builds `<category>-<id>`; the same rules as [`StreamName::new`] apply.
    pub fn from_parts(category: &str, id: impl fmt::Display) -> Result<Self, StreamNameError> {
        Self::new(format!("{category}-{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-`.
    pub fn category(&self) -> &str {
        // Validated in `new`: there is always a '-' after a non-empty category.
        self.0
            .split_once('-')
            .map_or(&self.0, |(category, _)| category)
    }

    /// The part after the first `-`.
    pub fn id(&self) -> &str {
        self.0.split_once('-').map_or("", |(_, id)| id)
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StreamName {
    type Err = StreamNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StreamName::new(s)
    }
}

impl AsRef<str> for StreamName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for StreamName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        StreamName::new(name).map_err(serde::de::Error::custom)
    }
}

/// What the writer believes about the stream it appends to. A mismatch is a
/// conflict: nothing is written and the caller learns the actual revision, re-reads
/// and decides again (optimistic concurrency, as in KurrentDB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "revision")]
pub enum ExpectedRevision {
    /// Append whatever the stream holds. Use only where order does not matter.
    Any,
    /// The stream must not exist yet (creating a case).
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last event must have exactly this revision.
    Exact(u64),
}

impl ExpectedRevision {
    /// Whether a stream whose last revision is `actual` (None: no stream) satisfies
    /// this expectation.
    pub fn is_satisfied_by(self, actual: Option<u64>) -> bool {
        match (self, actual) {
            (ExpectedRevision::Any, _) => true,
            (ExpectedRevision::NoStream, None) => true,
            (ExpectedRevision::StreamExists, Some(_)) => true,
            (ExpectedRevision::Exact(expected), Some(actual)) => expected == actual,
            _ => false,
        }
    }

    /// The revision the first appended event would get, if the expectation is met
    /// by a stream whose last revision is `actual`.
    pub fn next_revision(actual: Option<u64>) -> u64 {
        actual.map_or(0, |revision| revision + 1)
    }
}

impl fmt::Display for ExpectedRevision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedRevision::Any => f.write_str("any revision"),
            ExpectedRevision::NoStream => f.write_str("no stream"),
            ExpectedRevision::StreamExists => f.write_str("an existing stream"),
            ExpectedRevision::Exact(revision) => write!(f, "revision {revision}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_category_and_id() {
        let name = StreamName::new("mediation-0193a7c2-7f00-7000-8000-000000000000").unwrap();
        assert_eq!(name.category(), "mediation");
        assert_eq!(name.id(), "0193a7c2-7f00-7000-8000-000000000000");
    }

    #[test]
    fn rejects_bad_names_with_the_name_in_the_message() {
        let cases = [
            ("", "stream name is empty"),
            (
                "$all",
                "stream name '$all' starts with '$', which is reserved for the system",
            ),
            (
                "mediation",
                "stream name 'mediation' has no category: expected '<category>-<id>', e.g. 'mediation-0193a7c2'",
            ),
            (
                "-42",
                "stream name '-42' has no category: expected '<category>-<id>', e.g. 'mediation-0193a7c2'",
            ),
            (
                "case-",
                "stream name 'case-' has no category: expected '<category>-<id>', e.g. 'mediation-0193a7c2'",
            ),
            (
                "ca/se-1",
                "stream name 'ca/se-1' has an invalid category 'ca/se': use letters, digits, '_' or '.'",
            ),
            (
                "case-1 2",
                "stream name 'case-1 2' contains whitespace or a control character at byte 6",
            ),
        ];
        for (name, message) in cases {
            let err = StreamName::new(name).unwrap_err();
            assert_eq!(err.to_string(), message, "for {name:?}");
        }
        let long = format!("case-{}", "x".repeat(MAX_STREAM_NAME_LEN));
        assert!(matches!(
            StreamName::new(long),
            Err(StreamNameError::TooLong { .. })
        ));
    }

    #[test]
    fn expected_revision_rules() {
        use ExpectedRevision::*;
        let table = [
            (Any, None, true),
            (Any, Some(3), true),
            (NoStream, None, true),
            (NoStream, Some(0), false),
            (StreamExists, None, false),
            (StreamExists, Some(0), true),
            (Exact(2), Some(2), true),
            (Exact(2), Some(3), false),
            (Exact(0), None, false),
        ];
        for (expected, actual, ok) in table {
            assert_eq!(
                expected.is_satisfied_by(actual),
                ok,
                "{expected:?} vs {actual:?}"
            );
        }
    }
}

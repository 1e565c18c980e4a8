//! Filters on the log, as event store clients send them: on the stream name
//! or the event type, by prefixes or by a regular expression. Clients send
//! look-around expressions (the Python client's default excludes system
//! events with `^(?!(\$.+$|…))`), so the regex engine is `fancy-regex`, with
//! a bound on the pattern's length and on backtracking.

use kroonika_engine::{Code, RecordedEvent};

use crate::error::{Result, reject};
use crate::streams::client_name;

/// The longest pattern or prefix list accepted, in bytes.
pub const MAX_PATTERN: usize = 4_096;

/// What a filter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOn {
    /// The stream's name, as a client knows it (`$$name` for metadata).
    StreamName,
    EventType,
}

#[derive(Debug, Clone)]
enum Matcher {
    Prefixes(Vec<String>),
    Regex(Box<fancy_regex::Regex>),
}

/// Which events of the log a reader wants.
#[derive(Debug, Clone)]
pub struct Filter {
    on: FilterOn,
    matcher: Matcher,
}

impl Filter {
    /// Events whose name or type starts with one of `prefixes`.
    pub fn prefixes(on: FilterOn, prefixes: Vec<String>) -> Result<Filter> {
        if prefixes.iter().map(String::len).sum::<usize>() > MAX_PATTERN {
            return Err(reject(
                Code::InvalidInput,
                format!("the filter's prefixes are longer than {MAX_PATTERN} bytes"),
            ));
        }
        Ok(Filter {
            on,
            matcher: Matcher::Prefixes(prefixes),
        })
    }

    /// Events whose name or type matches `pattern` (anywhere, as KurrentDB
    /// reads it: anchor it to match the whole).
    pub fn regex(on: FilterOn, pattern: &str) -> Result<Filter> {
        if pattern.len() > MAX_PATTERN {
            return Err(reject(
                Code::InvalidInput,
                format!("the filter's pattern is longer than {MAX_PATTERN} bytes"),
            ));
        }
        let regex = fancy_regex::RegexBuilder::new(pattern)
            .backtrack_limit(100_000)
            .build()
            .map_err(|err| {
                reject(
                    Code::InvalidInput,
                    format!("the filter's pattern '{pattern}' is not a regular expression: {err}"),
                )
            })?;
        Ok(Filter {
            on,
            matcher: Matcher::Regex(Box::new(regex)),
        })
    }

    /// Whether `event` passes. A pattern that gives up (too much
    /// backtracking) does not match.
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        let name;
        let subject = match self.on {
            FilterOn::EventType => event.event_type.as_str(),
            FilterOn::StreamName => {
                name = client_name(&event.stream);
                name.as_str()
            }
        };
        match &self.matcher {
            Matcher::Prefixes(prefixes) => prefixes.iter().any(|p| subject.starts_with(p.as_str())),
            Matcher::Regex(regex) => regex.is_match(subject).unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kroonika_engine::{EventData, Metadata, StreamName};

    fn event(stream: &str, event_type: &str) -> RecordedEvent {
        RecordedEvent {
            position: 1,
            stream: StreamName::new(stream).unwrap(),
            revision: 0,
            id: uuid::Uuid::nil(),
            event_type: event_type.to_owned(),
            data: EventData::from_stored("{}".to_owned()),
            metadata: Metadata::for_command("x", uuid::Uuid::nil(), chrono::Utc::now()),
            recorded_at: chrono::Utc::now(),
            foreign: None,
        }
    }

    #[test]
    fn the_python_clients_default_exclusion_passes_all_but_system_events() {
        let filter = Filter::regex(
            FilterOn::EventType,
            r"^(?!(\$.+$|PersistentConfig\d+$|Result$))",
        )
        .unwrap();
        assert!(filter.matches(&event("order-1", "OrderPlaced")));
        assert!(filter.matches(&event("case-1", "CaseOpened")));
        assert!(!filter.matches(&event("streammeta-order-1", "$metadata")));
        assert!(!filter.matches(&event("order-1", "Result")));
        assert!(filter.matches(&event("order-1", "Results")));
    }

    #[test]
    fn stream_names_are_the_clients_and_prefixes_match_starts() {
        let filter = Filter::prefixes(FilterOn::StreamName, vec!["$$order".into()]).unwrap();
        assert!(filter.matches(&event("streammeta-order-1", "$metadata")));
        assert!(!filter.matches(&event("order-1", "OrderPlaced")));
        let filter = Filter::regex(FilterOn::StreamName, "^order-").unwrap();
        assert!(filter.matches(&event("order-1", "OrderPlaced")));
    }

    #[test]
    fn bad_patterns_are_refused_with_the_pattern_named() {
        let err = Filter::regex(FilterOn::EventType, "(unclosed").unwrap_err();
        assert_eq!(err.code(), Some(Code::InvalidInput));
        assert!(err.to_string().contains("(unclosed"), "{err}");
        assert!(Filter::regex(FilterOn::EventType, &"a".repeat(MAX_PATTERN + 1)).is_err());
    }
}

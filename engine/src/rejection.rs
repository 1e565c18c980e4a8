//! A rejection: a rule refused a command. Nothing is appended, and the message
//! names the rule in words the user can act on.
//!
//! Every rejection carries a [`Code`]: a stable, machine-readable name of the
//! kind of refusal. Front ends branch on the code (the CLI's exit code, an HTTP
//! status, a translated message), never on the text, which is for people and may
//! be reworded. [`Code::ALL`] is the one list of codes; each is documented on its
//! variant, and ARCHITECTURE.md's table is checked against it by a test.

use std::fmt;

/// The kind of a refusal, stable across releases: codes are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The thing named does not exist: a case, a process or one of its
    /// versions, an actor, a data subject, a projection.
    NotFound,
    /// Nobody says who is acting, or the name given is not a registered actor.
    UnknownActor,
    /// The actor lacks a role the rule needs, or is not named on the case.
    /// Denials are recorded in the access log.
    Denied,
    /// A value is malformed or out of its bounds, an input is not one the step
    /// takes, a time is in the future or unreadable.
    InvalidInput,
    /// A required input, reason or purpose is missing.
    MissingInput,
    /// The step is not one the case's current state offers.
    UnknownTransition,
    /// The task is not one of the current state's checklist.
    UnknownTask,
    /// The step's guard does not allow it now (its message says why).
    GuardFailed,
    /// A guard or condition of the definition could not be evaluated.
    GuardError,
    /// The step needs the state's checklist complete, and it is not.
    ChecklistIncomplete,
    /// The case is closed: no more steps.
    Closed,
    /// The case cannot move to that version of its definition.
    NotMigratable,
    /// The case is under a legal hold: nothing of it is erased until released.
    LegalHold,
    /// The data subject was erased; their personal data can no longer be recorded.
    Erased,
    /// It exists already: an actor registered, a store that holds data.
    AlreadyExists,
    /// A command id was used before for a different command.
    CommandIdReused,
    /// Personal data is involved and no master key is at hand.
    MasterKeyNeeded,
    /// A definition has errors (one being published, or a published version
    /// this build no longer accepts).
    InvalidDefinition,
    /// Another rule of the system refused it (an administrator revoking their
    /// own administration, too many versions).
    Rule,
    /// No valid credentials: none given, a wrong password, an unknown,
    /// expired or revoked token, an ended session.
    Unauthenticated,
    /// Signing in is locked for a while after repeated failures.
    LockedOut,
}

impl Code {
    /// Every code, in the order of the documentation.
    pub const ALL: &'static [Code] = &[
        Code::NotFound,
        Code::UnknownActor,
        Code::Denied,
        Code::InvalidInput,
        Code::MissingInput,
        Code::UnknownTransition,
        Code::UnknownTask,
        Code::GuardFailed,
        Code::GuardError,
        Code::ChecklistIncomplete,
        Code::Closed,
        Code::NotMigratable,
        Code::LegalHold,
        Code::Erased,
        Code::AlreadyExists,
        Code::CommandIdReused,
        Code::MasterKeyNeeded,
        Code::InvalidDefinition,
        Code::Rule,
        Code::Unauthenticated,
        Code::LockedOut,
    ];

    /// The code as it appears in JSON and documentation: `not-found`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotFound => "not-found",
            Code::UnknownActor => "unknown-actor",
            Code::Denied => "denied",
            Code::InvalidInput => "invalid-input",
            Code::MissingInput => "missing-input",
            Code::UnknownTransition => "unknown-transition",
            Code::UnknownTask => "unknown-task",
            Code::GuardFailed => "guard-failed",
            Code::GuardError => "guard-error",
            Code::ChecklistIncomplete => "checklist-incomplete",
            Code::Closed => "closed",
            Code::NotMigratable => "not-migratable",
            Code::LegalHold => "legal-hold",
            Code::Erased => "erased",
            Code::AlreadyExists => "already-exists",
            Code::CommandIdReused => "command-id-reused",
            Code::MasterKeyNeeded => "master-key-needed",
            Code::InvalidDefinition => "invalid-definition",
            Code::Rule => "rule",
            Code::Unauthenticated => "unauthenticated",
            Code::LockedOut => "locked-out",
        }
    }

    /// The code named by its text, for front ends that read one back.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A command refused by a rule. Displayed as the reason alone; the CLI prefixes
/// `rejected: `. A refusal because the actor lacks a right is a *denial*
/// ([`Code::Denied`]): front ends record denials, so auditors can see attempted
/// misuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    code: Code,
    reason: String,
}

impl Rejection {
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Rejection {
            code,
            reason: reason.into(),
        }
    }

    /// A refusal because the actor lacks a role or is not named on the case.
    pub fn denied(reason: impl Into<String>) -> Self {
        Rejection::new(Code::Denied, reason)
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn is_denial(&self) -> bool {
        self.code == Code::Denied
    }

    /// The same refusal with another reason (the code kept): for a front end
    /// that words it for its own audience.
    pub fn with_reason(self, reason: impl Into<String>) -> Self {
        Rejection::new(self.code, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_read_back() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{code}"
            );
        }
        assert_eq!(Code::parse("no-such-code"), None);
    }

    #[test]
    fn a_denial_is_a_rejection_with_the_denied_code() {
        let denied = Rejection::denied("actor 'x' may not");
        assert!(denied.is_denial());
        assert_eq!(denied.code(), Code::Denied);
        assert_eq!(denied.to_string(), "actor 'x' may not");
        assert!(!Rejection::new(Code::Closed, "closed").is_denial());
    }
}

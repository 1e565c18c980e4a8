//! A rejection: a rule refused a command. Nothing is appended, and the message
//! names the rule in words the user can act on.

/// A command refused by a rule. Displayed as the reason alone; the CLI prefixes
/// `rejected: `. A refusal because the actor lacks a right is a *denial*: the
/// CLI records denials, so auditors can see attempted misuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    reason: String,
    denied: bool,
}

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Self {
        Rejection {
            reason: reason.into(),
            denied: false,
        }
    }

    /// A refusal because the actor lacks a role or is not named on the case.
    pub fn denied(reason: impl Into<String>) -> Self {
        Rejection {
            reason: reason.into(),
            denied: true,
        }
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn is_denial(&self) -> bool {
        self.denied
    }
}

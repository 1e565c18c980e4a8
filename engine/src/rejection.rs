//! A rejection: a rule refused a command. Nothing is appended, and the message
//! names the rule in words the user can act on.

/// A command refused by a rule. Displayed as the reason alone; the CLI prefixes
/// `rejected: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejection(pub String);

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Self {
        Rejection(reason.into())
    }
}

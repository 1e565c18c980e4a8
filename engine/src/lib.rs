//! Kroonika's pure core.
//!
//! Everything in this crate is a value or a function of values: it never reads a
//! clock, draws a random number, touches a file or talks to a database. Time and
//! ids arrive as inputs. That is what lets the rules of a process be tested
//! given/when/then without a database, and lets an auditor replay history and get
//! the same answer the engine gave when the history was written.
//!
//! Today the crate holds the event envelope shared by the store and every reader of
//! the log ([`stream`], [`event`]), the validated model of a process definition
//! ([`definition`]) and the calendar deadlines are counted in ([`calendar`]).
//! Deciding and evolving cases land here next.

pub mod access;
pub mod actors;
pub mod auth;
pub mod calendar;
pub mod case;
pub mod conformance;
pub mod definition;
pub mod event;
pub mod partners;
pub mod publishing;
pub mod rejection;
pub mod sealed;
pub mod stream;
pub mod whatif;

pub use event::{ContentType, EventData, Foreign, Metadata, NewEvent, RecordedEvent};
pub use rejection::{Code, Rejection};
pub use stream::{ExpectedRevision, StreamName, StreamNameError};

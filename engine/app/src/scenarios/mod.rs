//! Scenario files: a service owner writes down how a process must behave (who
//! opens a case, which steps are taken, which are refused and why, where the
//! case must stand at the end) and `kroonika def test` checks it.
//!
//! Each scenario runs through this application layer, not a model of it: on a
//! throw-away SQLite store of its own, with the file's actors registered, the
//! definition published, a clock that is set to each step's time, and a
//! throw-away master key that seals any personal input. What passes here is
//! what the engine does in production; nothing of it touches a real store.
//!
//! A scenario stops at its first failure (later steps would only report its
//! consequences); each failure carries the line of the step in the file.
//!
//! Beside them, [`App::what_if`](crate::App::what_if): the recorded cases of
//! a process replayed against a draft, before it is published.

mod coverage;
mod format;
mod run;
mod whatif;

pub use coverage::{Coverage, Item, coverage};
pub use format::{Act, DEFAULT_START, Expect, File, Open, Scenario, Step, Then, parse};
pub use run::{Failure, FileReport, ScenarioReport, Trace, run_file};
pub use whatif::WhatIfReport;

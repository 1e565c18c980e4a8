//! Kroonika's integration tests, in one binary (one link, one place to look).
//!
//! - `store`: the event store's contract. Every case runs on SQLite and, when
//!   `KROONIKA_TEST_POSTGRES` is set, on PostgreSQL, through the same function, so
//!   the backends cannot drift apart. Add a store behaviour here, as a function
//!   taking `&TestStore`, and list it in its module's `contract!`.
//! - `audit`: events written around the rules (valid hashes) found by
//!   `audit verify`'s conformance replay, on both backends.
//! - `binary`: the real `kroonika` binary: exit codes, JSON, colour on a
//!   (pseudo-)terminal and never with NO_COLOR; and the benchmark binary, run
//!   quick in each mode so it cannot rot.
//! - `cases`: case decisions given/when/then, pure (no database);
//!   `case_cli`: the same through the CLI on both backends, with racing writers;
//!   `mediation`: the bundled mediation process to each terminal outcome;
//!   `notices`: what a case owes the referring authority, sent and chased.
//! - `cli`: the `kroonika` command end to end, in-process, asserting exit codes and
//!   what it prints.
//! - `demo`: `kroonika demo` on both backends, through the real commands.
//! - `definitions`: the definition checker over the bundled processes and the
//!   broken corpus in `data/definitions/broken` (one file per problem, each
//!   output snapshotted), plus mutations that must never make it panic.
//! - `privacy`: personal data sealed (the raw database searched for it),
//!   revealed on purpose, erased, retained; export and import.
//! - `publishing`: actors, roles and published definition versions through the
//!   CLI, on both backends.
//! - `readme`: the README's tour, run as written.
//! - `reports`: the report's funnel and declared metrics against figures worked
//!   out by hand, its four formats snapshotted, the HTML opened in Chromium.
//! - `timers`: deadlines warned, missed and fired, exactly once under racing runners.
//! - `work`: the coordinator's day: `case mine` and what `case show` says to do next.
//! - `fuzz`: the parsers of definitions, input values, guards and import
//!   lines fed a committed corpus and generated inputs, bounded.
//! - `limits`: how much one value, input file or import line may hold.
//! - `server`: `kroonika serve` over HTTP (see its module).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod audit;
mod binary;
mod case_cli;
mod cases;
mod cli;
mod crash;
mod definitions;
mod demo;
mod documents;
mod fuzz;
mod grpc;
mod hours;
mod languages;
mod limits;
mod mediation;
mod migration;
mod notices;
mod parties;
mod partners;
mod privacy;
mod profiles;
mod publishing;
mod readme;
mod reports;
mod rights;
mod scenarios;
mod server;
mod store;
mod support;
mod timers;
mod web;
mod work;

//! One file per command: parse what was typed, call the application once,
//! render what comes back.

pub(crate) mod actor;
pub(crate) mod audit;
pub(crate) mod case;
pub(crate) mod def;
pub(crate) mod demo;
pub(crate) mod hours;
pub(crate) mod init;
pub(crate) mod log;
pub(crate) mod privacy;
pub(crate) mod projections;
pub(crate) mod publish;
pub(crate) mod report;
pub(crate) mod scenarios;
pub(crate) mod serve;
pub(crate) mod status;
pub(crate) mod timers;
pub(crate) mod token;
pub(crate) mod transfer;

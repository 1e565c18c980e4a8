//! One file per command.

pub(crate) mod def;
pub(crate) mod init;
pub(crate) mod log;
pub(crate) mod status;

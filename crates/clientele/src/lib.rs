//! The `clientele` binary's library half: configuration, startup and the command-line
//! commands, so that tests start the very same server as `clientele serve`.

pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_data;
pub mod startup;
pub mod transfer;

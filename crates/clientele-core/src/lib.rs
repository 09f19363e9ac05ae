//! Clientele's core: the domain (valid-by-construction types and business rules), the
//! permission checkpoint and the services (use cases) built on a storage interface.
//! No HTTP, no SQL.

pub mod authz;
pub mod comms;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;

pub use error::{Error, FieldError, Result};
pub mod effects;

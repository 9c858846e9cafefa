//! siyu's application, with no HTTP in it: the shared state, the [`caller::Caller`] every service
//! takes, the services (each with its permission, data scope and audit entry), typed background jobs,
//! the audience engine host, customer import and the WeCom glue. `siyu-web` puts HTTP in front of it;
//! the `siyu` binary starts it. See ARCHITECTURE.md.

pub mod auth;
pub mod caller;
pub mod config;
pub mod engine;
pub mod error;
pub mod import;
pub mod jobs;
pub mod links;
pub mod metrics;
pub mod outbound;
pub mod records;
pub mod services;
pub mod state;
pub mod stored_text;
pub mod wecom;

//! siyu (私域): the server, console and jobs of a customer-operations platform for banks.
//!
//! Layering, outside in: `console` and `api` (HTTP shells) → `services` (permission, data scope,
//! audit) → `siyu_store::Store` (persistence) and `siyu_domain` (rules). See ARCHITECTURE.md.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod console;
pub mod demo;
pub mod engine;
pub mod error;
pub mod headers;
pub mod health;
pub mod import;
pub mod jobs;
pub mod metrics;
pub mod serve;
pub mod services;
pub mod startup;
pub mod wecom;

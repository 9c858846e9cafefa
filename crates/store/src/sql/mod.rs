//! SQL shared by the backends, as macros each backend expands against its own `sqlx` driver.
//!
//! Why macros: `sqlx` types differ per database (`SqliteRow` vs `PgRow`), and code generic over
//! `sqlx::Database` drowns in trait bounds. The statements below use only syntax both SQLite (3.39+) and
//! PostgreSQL accept (`$n` parameters, `ON CONFLICT`, `RETURNING`, `IS DISTINCT FROM`), so one text serves
//! both, and the conformance suite proves it on each. Backend-specific SQL (schema, job claiming) stays in
//! the backend crates.

#[macro_use]
mod support;
#[macro_use]
mod org;
#[macro_use]
mod staff;
#[macro_use]
mod customers;
#[macro_use]
mod imports;
#[macro_use]
mod jobs;
#[macro_use]
mod audit;
#[macro_use]
mod sessions;
#[macro_use]
mod wecom;
#[macro_use]
mod channels;
#[macro_use]
mod groups;
#[macro_use]
mod tags;
#[macro_use]
mod audiences;
#[macro_use]
mod figures;
mod compliance;
mod content;
mod handovers;
mod links;
mod media;
mod products;
mod sends;

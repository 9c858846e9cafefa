//! siyu's HTTP surface (axum only): the router, the authentication middleware and extractors, the JSON
//! API with its endpoint table and OpenAPI document, the console pages and their templates, health,
//! metrics and the WeCom callback URL. Every handler is a thin shell over `siyu_app`: it reads the
//! request, calls one service with the caller, and renders the answer. See ARCHITECTURE.md.

pub mod api;
pub mod auth;
pub mod console;
pub mod error;
pub mod headers;
pub mod health;
pub mod links;
pub mod media;
pub mod observe;
pub mod router;
pub mod serve;
pub mod wecom_callback;

pub use router::router;

//! The service layer: every action a person or system can take, with its permission check, data scope
//! and audit entry. Console pages and API endpoints are thin shells over these functions, so a rule
//! enforced here holds on every surface.

pub mod audiences;
pub mod audit;
pub mod channel_controls;
pub mod channel_poster;
pub mod channels;
pub mod content;
pub mod content_article;
pub mod content_lint;
pub mod content_review;
pub mod content_stats;
pub mod customers;
pub mod download;
pub mod export;
pub mod handover;
pub mod health;
pub mod home;
pub mod imports;
pub mod jobs;
pub mod links;
pub mod media;
pub mod org;
pub mod products;
pub mod scripts;
pub mod sessions;
pub mod staff;
pub mod tags;
pub mod tokens;
pub mod wecom;
pub mod welcome;

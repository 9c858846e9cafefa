//! The `siyu` binary's integration tests, one binary: each module starts real servers over fresh
//! SQLite databases (`common::spawn_app`) and drives them over HTTP as a browser, an API client or
//! WeCom would.

mod api;
mod architecture;
mod audiences;
mod auth;
mod browser;
mod channel_controls;
mod common;
mod console_forms;
mod content;
mod content_lint;
mod data_scope;
mod demo;
mod home;
mod http_limits;
mod imports;
mod imports_friendly;
mod jobs;
mod language;
mod links;
mod media;
mod migrations;
mod org_tree;
mod products;
mod scripts;
mod staff;
mod wecom;

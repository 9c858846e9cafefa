//! The `siyu` binary's library: configuration loading, startup (store, vault, WeCom), and the demo
//! bank. The application is `siyu_app`, its HTTP surface `siyu_web`. See ARCHITECTURE.md.

pub mod clock;
pub mod config;
pub mod demo;
pub mod startup;

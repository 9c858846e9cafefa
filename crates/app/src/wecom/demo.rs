//! The demo's customers: something that plays a customer scanning a channel code, so an operator can
//! watch the welcome message, tags and figures without a phone. The `siyu` binary implements it over
//! the fake WeCom it runs for the demo; the application only knows this trait, so it carries no fake
//! (and no HTTP server) of its own.

use async_trait::async_trait;

/// Why a demo customer could not scan (the fake's own words).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoScanFailed(pub String);

/// Made-up customers who scan channel codes.
#[async_trait]
pub trait DemoCustomers: Send + Sync + std::fmt::Debug {
    /// A new, made-up customer scans the contact way `config_id` and adds its staff member, as a
    /// phone would; returns the customer's name and their WeCom external userid.
    async fn customer_scans(&self, config_id: &str) -> Result<(String, String), DemoScanFailed>;
}

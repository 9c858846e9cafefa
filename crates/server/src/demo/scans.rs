//! The demo's "simulate a customer scan": the fake WeCom plays a customer, with a made-up name, who
//! scans a channel code. The application asks for it through [`DemoCustomers`] and never sees the fake.

use async_trait::async_trait;
use siyu_app::wecom::demo::{DemoCustomers, DemoScanFailed};
use siyu_wecom::fake::FakeWecom;
use siyu_wecom::fake::names::random_customer_name;

/// Made-up customers who scan through the demo's fake WeCom.
#[derive(Debug, Clone)]
pub struct FakeCustomers(pub FakeWecom);

#[async_trait]
impl DemoCustomers for FakeCustomers {
    async fn customer_scans(&self, config_id: &str) -> Result<(String, String), DemoScanFailed> {
        let name = random_customer_name();
        let (external_userid, ..) = self.0.customer_scans(config_id, &name).await.map_err(DemoScanFailed)?;
        Ok((name, external_userid))
    }
}

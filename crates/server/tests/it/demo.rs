//! The demo bank: its built-in fake WeCom knows every staff member with a WeCom account, however many.

use std::sync::Arc;

use siyu::config::Config;
use siyu_domain::Clock;
use siyu_store::Store;
use siyu_wecom::client::{RetryPolicy, WecomClient};

#[tokio::test]
async fn the_demo_wecom_knows_every_staff_member_past_the_first_500() {
    let dir = tempfile::tempdir().unwrap();
    let store = siyu_store_sqlite::SqliteStore::open(&dir.path().join("siyu.db")).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = siyu::clock::SystemClock.now();
    siyu::demo::seed_organisation(&*store, "unused", now).await.unwrap();
    let unit = store.org_units().await.unwrap()[0].id;
    crate::common::extra_staff(&*store, unit, 600, now).await;
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    let _fake =
        siyu::demo::fake_wecom(&mut config, &*store).await.unwrap().expect("the fake, with no WeCom configured");
    let w = &config.wecom;
    let client = WecomClient::new(&w.api_base, &w.corp_id, w.secret.expose(), RetryPolicy::default());
    let members = client.follow_users().await.unwrap();
    assert!(members.iter().any(|u| u == "wx_extra_0599"), "the last of {} members", members.len());
    assert!(members.iter().any(|u| u == "wx_cm_sh01_1"), "and the demo's own");
}

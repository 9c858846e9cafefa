//! A contact way's QR image: the fake serves a real, readable QR code at the way's `qr_code` URL, and
//! the client fetches it only from WeCom's addresses, bounded in size, checked by type and content.

use std::time::Duration;

use siyu_wecom::api::ContactWay;
use siyu_wecom::client::{MAX_QR_BYTES, RetryPolicy, WecomClient, WecomError};
use siyu_wecom::fake::{FakeConfig, FakeWecom};

async fn setup() -> (FakeWecom, WecomClient, String) {
    let fake = FakeWecom::new(FakeConfig::default());
    fake.add_staff("cm_sh01_1");
    let base = fake.spawn().await;
    let policy = RetryPolicy { timeout: Duration::from_secs(2), ..RetryPolicy::default() };
    let client = WecomClient::new(&base, &fake.config().corp_id, &fake.config().secret, policy);
    let way = ContactWay {
        config_id: String::new(),
        kind: 1,
        scene: 2,
        remark: "陆家嘴海报".into(),
        skip_verify: true,
        state: "ch_1".into(),
        user: vec!["cm_sh01_1".into()],
        qr_code: String::new(),
    };
    let created = client.add_contact_way(&way).await.unwrap();
    (fake, client, created.qr_code)
}

/// What a phone reads in a PNG.
fn read_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_qr_image_is_a_readable_png_of_the_contact_way() {
    let (_fake, client, url) = setup().await;
    let img = client.fetch_qr_image(&url).await.unwrap();
    assert_eq!(img.content_type, "image/png");
    let text = read_qr(&img.bytes);
    assert!(text.starts_with("https://work.weixin.qq.com/fake/contact/cfg"), "{text}");
}

#[tokio::test]
async fn a_qr_image_that_is_not_one_is_refused() {
    let (fake, client, url) = setup().await;
    let refused = |e: WecomError| matches!(e, WecomError::Image(_));
    fake.serve_qr_as(Some((200, "text/html", b"<html>login</html>".to_vec())));
    assert!(refused(client.fetch_qr_image(&url).await.unwrap_err()), "a page, not an image");
    fake.serve_qr_as(Some((200, "image/png", b"<html>login</html>".to_vec())));
    assert!(refused(client.fetch_qr_image(&url).await.unwrap_err()), "said PNG, is not one");
    fake.serve_qr_as(Some((404, "image/png", Vec::new())));
    assert!(refused(client.fetch_qr_image(&url).await.unwrap_err()), "not served");
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(MAX_QR_BYTES + 1, 0);
    fake.serve_qr_as(Some((200, "image/png", huge)));
    assert!(refused(client.fetch_qr_image(&url).await.unwrap_err()), "over 1 MiB");
    fake.serve_qr_as(None);
    assert!(client.fetch_qr_image(&url).await.is_ok(), "the real image again");
    // Only WeCom's own (HTTPS) addresses, or the client's base: never another plain-HTTP host.
    assert!(refused(client.fetch_qr_image("http://169.254.169.254/latest").await.unwrap_err()));
    assert!(refused(client.fetch_qr_image("file:///etc/passwd").await.unwrap_err()));
}

#[tokio::test]
async fn a_qr_image_is_fetched_only_from_wecom_image_hosts_and_never_through_a_redirect() {
    let (fake, client, url) = setup().await;
    let refused = |e: WecomError| matches!(e, WecomError::Image(_));
    // Another server on the bank's network that would answer with a real image.
    let (_elsewhere, _other_client, elsewhere_url) = setup().await;
    assert!(elsewhere_url.starts_with("http://127.0.0.1:") && !elsewhere_url.starts_with(client.base()));
    assert!(refused(client.fetch_qr_image(&elsewhere_url).await.unwrap_err()), "another host, even one serving");
    fake.redirect_qr_to(Some(&elsewhere_url));
    assert!(refused(client.fetch_qr_image(&url).await.unwrap_err()), "a redirect is not followed");
    fake.redirect_qr_to(None);
    assert!(client.fetch_qr_image(&url).await.is_ok());
    // HTTPS alone is not enough: the host must be WeCom's (here nothing listens, so a fetch that
    // was tried fails as a transport error, not as a refusal).
    for url in [
        "https://127.0.0.1:1/wwpic/0",
        "https://intranet.bank.example/qr.png",
        "https://wework.qpic.cn.bank.example/wwpic/0",
        "https://wework.qpic.cn:8443/wwpic/0",
        "https://user:pw@wework.qpic.cn/wwpic/0",
    ] {
        assert!(refused(client.fetch_qr_image(url).await.unwrap_err()), "{url}");
    }
    for (given, fetched) in [
        ("https://wework.qpic.cn/wwpic/59117_x/0", "https://wework.qpic.cn/wwpic/59117_x/0"),
        ("http://p4.qpic.cn/wwpic/59117_x/0", "https://p4.qpic.cn/wwpic/59117_x/0"),
        ("https://P.QPIC.CN/wwpic/1", "https://p.qpic.cn/wwpic/1"),
    ] {
        assert_eq!(client.qr_fetch_url(given).unwrap().as_str(), fetched);
    }
}

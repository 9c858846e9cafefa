//! The content library's images and files over HTTP: uploads checked by their bytes (a program named
//! `.png`, HTML, SVG, a mislabelled name refused with their own codes and nothing stored), the size
//! limits answered before the body is read and the permission before that, serving with immutable
//! caching and the SHA-256 as ETag, the customer-facing signed URL; and against the fake WeCom, the
//! copies renewed before their three days run out and a welcome's uploaded cover sent by its current
//! `media_id`.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use siyu_domain::{Clock, MediaId};

use crate::common::{Session, TestApp, spawn_app_with, spawn_app_with_wecom};
use siyu_wecom::fake::{FakeConfig, FakeWecom};

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-a-small-cover";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 2, 3];

pub async fn upload(app: &TestApp, s: &Session, name: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let r = s.client.post(app.url("/api/v1/media")).header("x-csrf-token", &s.csrf).multipart(form).send().await;
    match r {
        Ok(r) => {
            let status = r.status();
            (status, r.json().await.unwrap_or(serde_json::Value::Null))
        }
        // A server that refuses before reading may close while the client still sends.
        Err(_) => (StatusCode::from_u16(0).unwrap_or(StatusCode::IM_A_TEAPOT), serde_json::Value::Null),
    }
}

async fn stored(app: &TestApp) -> i64 {
    app.state.store.media_list(None, siyu_store::Page::first(10)).await.unwrap().total
}

#[tokio::test]
async fn png_and_jpeg_are_stored_once_and_served_with_caching_headers() {
    let app = spawn_app_with(1).await;
    let hq = app.login("hq01").await;
    let (s, png) = upload(&app, &hq, "封面.png", PNG.to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{png}");
    assert_eq!((png["kind"].as_str(), png["content_type"].as_str()), (Some("image"), Some("image/png")));
    let (s, again) = upload(&app, &hq, "another-name.png", PNG.to_vec()).await;
    assert_eq!((s, &again["id"], again["created"].as_bool()), (StatusCode::OK, &png["id"], Some(false)), "stored once");
    let (s, jpeg) = upload(&app, &hq, "photo.JPG", JPEG.to_vec()).await;
    assert_eq!((s, jpeg["content_type"].as_str()), (StatusCode::CREATED, Some("image/jpeg")), "{jpeg}");
    assert_eq!(stored(&app).await, 2);

    let url = png["url"].as_str().unwrap();
    let r = hq.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", png["sha256"].as_str().unwrap()));
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "private, max-age=31536000, immutable", "a staff session's: no shared cache");
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert!(h["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''%E5%B0%81%E9%9D%A2.png"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = hq.client.get(app.url(url)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());

    // A customer's phone, with no session, reads the image by its signed URL only.
    let public = png["public_url"].as_str().unwrap();
    let anyone = reqwest::Client::new();
    let r = anyone.get(app.url(public)).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "image/png"));
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable",
        "a customer's page image caches anywhere"
    );
    let tampered = format!("{}0", &public[..public.len() - 1]);
    let tampered = if tampered == public { format!("{}1", &public[..public.len() - 1]) } else { tampered };
    assert_eq!(anyone.get(app.url(&tampered)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let other = jpeg["id"].as_str().unwrap();
    let sig = public.split("sig=").nth(1).unwrap();
    let r = anyone.get(app.url(&format!("/h5/media/{other}?sig={sig}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a signature names one medium");
    let r = crate::common::client().get(app.url(url)).send().await.unwrap();
    assert!(r.status().is_redirection(), "staff URLs need a session: {}", r.status());

    // Every role reads the library; metadata and the list agree.
    let cm = app.login("cm_sh01_1").await;
    let (s, one) = cm.get_json(&app, &format!("/api/v1/media/{}", png["id"].as_str().unwrap())).await;
    assert_eq!((s, &one["sha256"]), (StatusCode::OK, &png["sha256"]));
    let (s, list) = cm.get_json(&app, "/api/v1/media?kind=image&per_page=1").await;
    assert_eq!((s, list["total"].as_i64(), list["items"].as_array().unwrap().len()), (StatusCode::OK, Some(2), 1));
    assert_eq!(list["items"][0]["id"], jpeg["id"], "newest first");
}

#[tokio::test]
async fn programs_markup_and_mislabelled_files_are_refused_saying_what_they_are() {
    let app = spawn_app_with(1).await;
    let hq = app.login("hq01").await;
    let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec();
    pe.extend_from_slice(&[0u8; 64]);
    let (s, v) = upload(&app, &hq, "cat.png", pe.clone()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("media_executable")), "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("cat.png") && msg.contains("可执行程序") && msg.contains("PE"), "{msg}");
    // In English for a reader who chose it.
    hq.client.get(app.url("/lang/en")).send().await.unwrap();
    let (_, v) = upload(&app, &hq, "cat.png", pe).await;
    assert!(v["error"]["message"].as_str().unwrap().contains("executable program (PE)"), "{v}");
    for (name, bytes, code) in [
        ("page.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(), "media_script"),
        (
            "logo.svg",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"x()\"/>".to_vec(),
            "media_script",
        ),
        ("tool.pdf", b"\x7fELF\x02\x01\x01\0\0\0\0\0".to_vec(), "media_executable"),
        ("photo.png", JPEG.to_vec(), "media_mislabelled"),
        ("notes.txt", b"just some words".to_vec(), "media_unsupported"),
    ] {
        let (s, v) = upload(&app, &hq, name, bytes).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{name}: {v}");
    }
    assert_eq!(stored(&app).await, 0, "nothing refused is stored");
}

#[tokio::test]
async fn oversized_uploads_are_refused_and_a_customer_manager_before_the_body_is_read() {
    let app = spawn_app_with(1).await;
    let hq = app.login("hq01").await;
    // Past the route's 10 MiB body limit: cut off by the limit, not read to the end.
    let mut huge = PNG.to_vec();
    huge.resize(11 << 20, 0);
    let (s, _) = upload(&app, &hq, "huge.png", huge.clone()).await;
    assert!(s == StatusCode::PAYLOAD_TOO_LARGE || s.as_u16() == 0 || s == StatusCode::IM_A_TEAPOT, "{s}");
    // Under the body limit but past an image's 2 MiB.
    let mut big = PNG.to_vec();
    big.resize(3 << 20, 0);
    let (s, v) = upload(&app, &hq, "big.png", big).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{v}");
    // A customer manager may not author content: refused before a byte is read (403 even past the limit).
    let cm = app.login("cm_sh01_1").await;
    let (s, _) = upload(&app, &cm, "huge.png", huge).await;
    assert!(s == StatusCode::FORBIDDEN || s.as_u16() == 0 || s == StatusCode::IM_A_TEAPOT, "{s}");
    let (s, v) = upload(&app, &cm, "ok.png", PNG.to_vec()).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    assert_eq!(stored(&app).await, 0);
}

async fn with_wecom() -> (FakeWecom, TestApp, Session) {
    let fake = FakeWecom::new(FakeConfig::default());
    for u in ["wx_cm_sh01_1", "wx_cm_sh01_2"] {
        fake.add_staff(u);
    }
    let base = fake.spawn().await;
    let app = spawn_app_with_wecom(5, &fake, &base).await;
    let hq = app.login("hq01").await;
    (fake, app, hq)
}

fn id_of(v: &serde_json::Value) -> MediaId {
    v["id"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn copies_on_wecom_are_renewed_before_their_three_days_run_out() {
    use siyu_app::jobs::{Nothing, Options, media::RenewWecomMedia};
    use siyu_app::services::media::wecom_media_id;
    let (fake, app, hq) = with_wecom().await;
    let (_, a) = upload(&app, &hq, "a.png", PNG.to_vec()).await;
    let (_, b) = upload(&app, &hq, "b.jpg", JPEG.to_vec()).await;
    let (a, b) = (id_of(&a), id_of(&b));
    let first = wecom_media_id(&app.state, a).await.unwrap();
    assert_eq!(wecom_media_id(&app.state, a).await.unwrap(), first, "a live copy is reused");
    assert_eq!(fake.media_uploads().len(), 1);

    // Two and a half days on (on both sides), `a` has 11 hours left; `b` goes up now, fresh.
    app.clock.advance_secs(61 * 3600);
    fake.advance_secs(61 * 3600);
    let fresh = wecom_media_id(&app.state, b).await.unwrap();
    let renew = || async {
        let row = siyu_app::jobs::row::<RenewWecomMedia>(&Nothing, &Options::now(), app.clock.now());
        app.state.store.enqueue(&row).await.unwrap();
        app.run_jobs().await
    };
    assert!(renew().await >= 1);
    let ups = fake.media_uploads();
    assert_eq!(ups.len(), 3, "only the copy near its expiry went up again: {ups:?}");
    assert_eq!(ups[2].file_name, "a.png");
    let renewed = app.state.store.wecom_media(a).await.unwrap().unwrap();
    assert_ne!(renewed.wecom_media_id, first);
    assert!(renewed.expires_at > app.clock.now().plus_secs(2 * 86_400), "three days from the renewal");
    assert_eq!(app.state.store.wecom_media(b).await.unwrap().unwrap().wecom_media_id, fresh);
    // Run again at once: nothing is due, nothing is uploaded.
    renew().await;
    assert_eq!(fake.media_uploads().len(), 3, "idempotent");
    assert_eq!(wecom_media_id(&app.state, a).await.unwrap(), renewed.wecom_media_id);
}

#[tokio::test]
async fn a_welcome_with_an_uploaded_cover_sends_its_current_media_id() {
    let (fake, app, hq) = with_wecom().await;
    let sh01 = app.state.store.org_units().await.unwrap().into_iter().find(|u| u.code == "SH01").unwrap();
    let (_, cover) = upload(&app, &hq, "cover.png", PNG.to_vec()).await;
    let (_, pdf) = upload(&app, &hq, "brochure.pdf", b"%PDF-1.7 a brochure".to_vec()).await;
    let card = |cover: &serde_json::Value| {
        serde_json::json!({"kind": "mini_program", "category": "benefit", "draft": {
            "title": "新客礼", "body": "您好", "mini_appid": "wx123", "mini_page": "pages/index",
            "media_id": cover, "channels": ["one_to_one"]}})
    };
    // A file is no cover: the library refuses the card.
    let (s, v) = hq.post_json(&app, "/api/v1/content/items", card(&pdf["id"])).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_cover")), "{v}");
    let comp = app.login("comp01").await;
    let item = hq.published_item(&app, &comp, card(&cover["id"])).await;
    let body = serde_json::json!({
        "name": "小程序欢迎语",
        "kind": "branch_poster",
        "assignment": { "mode": "round_robin", "sub_branch_id": sh01.id },
        "welcome": { "item": item },
    });
    let (s, code) = hq.post_json(&app, "/api/v1/channels", body).await;
    assert_eq!(s, StatusCode::CREATED, "{code}");
    let (_, _, _, status) = fake.customer_scans(code["config_id"].as_str().unwrap(), "王芳").await.unwrap();
    assert_eq!(status, StatusCode::OK);
    for _ in 0..3 {
        app.run_jobs().await;
    }
    let sent = fake.welcomes_sent();
    assert_eq!(sent.len(), 1);
    let ups = fake.media_uploads();
    assert_eq!(ups.len(), 1, "the cover went up to WeCom when first needed");
    let card = sent[0].attachments.iter().find(|a| a["msgtype"] == "miniprogram").unwrap();
    assert_eq!(card["miniprogram"]["pic_media_id"], ups[0].media_id.as_str());
    assert_eq!(card["miniprogram"]["appid"], "wx123");
}

#[tokio::test]
async fn the_media_page_shows_a_refused_upload_in_its_language() {
    let app = spawn_app_with(1).await;
    let hq = app.login("hq01").await;
    let form = || Form::new().part("file", Part::bytes(b"MZ\x90\0\x03\0\0\0".to_vec()).file_name("cat.png"));
    let url = app.url(&format!("/media?csrf={}", hq.csrf));
    let html = hq.client.post(&url).multipart(form()).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"media-error\"") && html.contains("可执行程序（PE）"), "{html}");
    hq.client.get(app.url("/lang/en")).send().await.unwrap();
    let html = hq.client.post(&url).multipart(form()).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("executable program (PE)"), "{html}");
    let ok = Form::new().part("file", Part::bytes(PNG.to_vec()).file_name("logo.png"));
    let r = hq.client.post(&url).multipart(ok).send().await.unwrap();
    assert!(r.status().is_redirection());
    let html = hq.client.get(app.url("/media?kind=image")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("logo.png") && html.contains("<img src=\"/media/med_"), "{html}");
    // A customer manager sees the library but no upload form.
    let cm = app.login("cm_sh01_1").await;
    let html = cm.client.get(app.url("/media")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("logo.png") && !html.contains("id=\"media-upload\""), "{html}");
}

//! Conformance check for the content library's media: the same bytes stored once, each upload audited,
//! kinds filtered and paged; WeCom copies replaced on renewal and found by how soon they expire.

use std::sync::Arc;

use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::media::MediaKind;

use super::{T0, seed_bank};
use crate::*;

fn medium(bytes: &[u8], kind: MediaKind, name: &str) -> NewMedia {
    // Any unique text serves as the digest here: the store trusts the service's SHA-256.
    let sha256 = bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    NewMedia {
        sha256,
        content_type: if kind == MediaKind::Image { "image/png".into() } else { "application/pdf".into() },
        kind,
        bytes: bytes.to_vec(),
        file_name: name.into(),
    }
}

fn audit(at: siyu_domain::Timestamp) -> NewAuditEntry {
    NewAuditEntry {
        at,
        staff_id: None,
        actor: "hq".into(),
        action: AuditAction::MediaUploaded,
        target: String::new(),
        detail: "d".into(),
        ip: None,
    }
}

/// The same bytes uploaded twice are one row (the first upload's name), both uploads audited against
/// it; bytes come back as they went in; lists filter by kind, newest first, and page.
pub async fn media_are_stored_once_per_content_and_listed_by_kind(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x01\x02\xff".to_vec();
    let (first, added) =
        s.store_media(&medium(&png, MediaKind::Image, "a.png"), Some(b.cm1.id), T0, &audit(T0)).await.unwrap();
    assert!(added);
    assert_eq!((first.size, first.kind, first.file_name.as_str()), (12, MediaKind::Image, "a.png"));
    assert_eq!(first.uploaded_by, Some(b.cm1.id));
    let (again, added) =
        s.store_media(&medium(&png, MediaKind::Image, "b.png"), None, T0.plus_secs(5), &audit(T0)).await.unwrap();
    assert!(!added, "the same bytes are not stored twice");
    assert_eq!(again, first);
    let (rec, bytes) = s.media_bytes(first.id).await.unwrap().unwrap();
    assert_eq!((rec, bytes), (first.clone(), png));
    assert_eq!(s.media(first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(s.media(siyu_domain::MediaId::new(first.id.get() + 99)).await.unwrap(), None);

    let (pdf, _) = s.store_media(&medium(b"%PDF-1", MediaKind::File, "r.pdf"), None, T0, &audit(T0)).await.unwrap();
    let (png2, _) = s.store_media(&medium(b"\x89PNG2", MediaKind::Image, "c.png"), None, T0, &audit(T0)).await.unwrap();
    let all = s.media_list(None, Page::first(10)).await.unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.items.iter().map(|m| m.id).collect::<Vec<_>>(), [png2.id, pdf.id, first.id], "newest first");
    let images = s.media_list(Some(MediaKind::Image), Page { offset: 1, limit: 1 }).await.unwrap();
    assert_eq!((images.total, images.items.len(), images.items[0].id), (2, 1, first.id));
    let audited = s
        .search_audit(&AuditFilter { action: Some(AuditAction::MediaUploaded), ..Default::default() }, Page::first(10))
        .await
        .unwrap();
    assert_eq!(audited.total, 4, "every upload is audited, a repeat included");
    assert!(audited.items.iter().filter(|e| e.target == first.id.to_string()).count() == 2);
}

/// A medium has one WeCom copy, replaced on renewal; the expiring ones are found soonest first.
pub async fn wecom_copies_are_replaced_and_found_by_expiry(s: Arc<dyn Store>) {
    let (a, _) = s.store_media(&medium(b"\x89PNGa", MediaKind::Image, "a.png"), None, T0, &audit(T0)).await.unwrap();
    let (b, _) = s.store_media(&medium(b"\x89PNGb", MediaKind::Image, "b.png"), None, T0, &audit(T0)).await.unwrap();
    assert_eq!(s.wecom_media(a.id).await.unwrap(), None);
    let copy = |m: siyu_domain::MediaId, id: &str, at: siyu_domain::Timestamp| WecomMedia {
        media: m,
        wecom_media_id: id.into(),
        uploaded_at: at,
        expires_at: at.plus_secs(3 * 86_400),
    };
    s.set_wecom_media(&copy(a.id, "wx_a1", T0)).await.unwrap();
    s.set_wecom_media(&copy(b.id, "wx_b1", T0.plus_secs(86_400))).await.unwrap();
    let soon = s.wecom_media_expiring(T0.plus_secs(3 * 86_400 + 60), 10).await.unwrap();
    assert_eq!(soon, [copy(a.id, "wx_a1", T0)]);
    let both = s.wecom_media_expiring(T0.plus_secs(9 * 86_400), 10).await.unwrap();
    assert_eq!(both.iter().map(|c| c.media).collect::<Vec<_>>(), [a.id, b.id], "soonest first");
    s.set_wecom_media(&copy(a.id, "wx_a2", T0.plus_secs(2 * 86_400))).await.unwrap();
    assert_eq!(s.wecom_media(a.id).await.unwrap(), Some(copy(a.id, "wx_a2", T0.plus_secs(2 * 86_400))));
    assert_eq!(s.wecom_media_expiring(T0.plus_secs(3 * 86_400 + 60), 10).await.unwrap(), []);
}

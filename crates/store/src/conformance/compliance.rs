//! Conformance check for HQ compliance's own word list for the content lint.

use std::sync::Arc;

use siyu_domain::audit::{AuditAction, NewAuditEntry};

use super::{T0, seed_bank};
use crate::*;

/// Setting the list replaces it whole and writes its audit entry with it; a word left as it was keeps
/// who changed it last, a changed or new word is stamped with the new author and time.
pub async fn compliance_words_are_replaced_whole_with_their_audit_entry(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    assert!(s.compliance_words().await.unwrap().is_empty(), "no list until HQ sets one");
    let w = |word: &str, class: &str, blocking: bool| NewComplianceWord {
        word: word.into(),
        class: class.into(),
        blocking,
        unless_followed_by: String::new(),
    };
    let audit = |at| NewAuditEntry {
        at,
        staff_id: Some(b.cm1.id),
        actor: "comp".into(),
        action: AuditAction::ComplianceRulesChanged,
        target: "compliance_rules".into(),
        detail: "d".into(),
        ip: None,
    };
    s.set_compliance_words(&[w("保底", "listed", true), w("秒杀", "listed", false)], Some(b.cm1.id), T0, &audit(T0))
        .await
        .unwrap();
    let t1 = T0.plus_secs(60);
    s.set_compliance_words(
        &[w("保底", "listed", true), w("秒杀", "listed", true), w("高额返利", "guaranteed", true)],
        Some(b.cm2.id),
        t1,
        &audit(t1),
    )
    .await
    .unwrap();
    let got = s.compliance_words().await.unwrap();
    let row = |word: &str| got.iter().find(|g| g.word.word == word).cloned().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!((row("保底").changed_by, row("保底").changed_at), (Some(b.cm1.id), T0), "unchanged: kept");
    assert_eq!((row("秒杀").changed_by, row("秒杀").changed_at, row("秒杀").word.blocking), (Some(b.cm2.id), t1, true));
    assert_eq!(row("高额返利").word.class, "guaranteed");

    s.set_compliance_words(&[w("秒杀", "listed", true)], None, t1, &audit(t1)).await.unwrap();
    let got = s.compliance_words().await.unwrap();
    assert_eq!(got.iter().map(|g| g.word.word.as_str()).collect::<Vec<_>>(), ["秒杀"], "the others are gone");
    let log = s
        .search_audit(
            &AuditFilter { action: Some(AuditAction::ComplianceRulesChanged), ..Default::default() },
            Page::first(50),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 3, "each change wrote its entry");

    let bad = NewComplianceWord { class: "nonsense".into(), ..w("x词", "listed", true) };
    assert!(s.set_compliance_words(&[bad], None, t1, &audit(t1)).await.is_err(), "the class is checked");
    assert_eq!(s.compliance_words().await.unwrap().len(), 1, "a refused change changes nothing");
    let log = s
        .search_audit(
            &AuditFilter { action: Some(AuditAction::ComplianceRulesChanged), ..Default::default() },
            Page::first(50),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 3, "nor writes its entry");
}

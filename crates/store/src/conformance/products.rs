//! Conformance check for the product catalogue: upserts by the bank's code, previews, filters, lookups,
//! and an import that lands whole or not at all.

use std::sync::Arc;

use siyu_domain::ProductId;
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::product::{ProductRiskGrade, ProductType};

use super::{T0, seed_bank};
use crate::*;

fn product(code: &str, name: &str, kind: ProductType, grade: Option<u8>) -> NewProduct {
    NewProduct {
        code: code.into(),
        name: name.into(),
        kind,
        risk_grade: grade.and_then(ProductRiskGrade::new),
        issuer: String::new(),
        on_sale: true,
    }
}

fn audit(at: siyu_domain::Timestamp) -> NewAuditEntry {
    NewAuditEntry {
        at,
        staff_id: None,
        actor: "hq".into(),
        action: AuditAction::ProductsImported,
        target: "products".into(),
        detail: "d".into(),
        ip: None,
    }
}

/// A second import matches rows by code: a changed row is updated and stamped, an equal row is left
/// as it was, a new one added; the preview counts exactly what the upsert then does.
pub async fn products_are_upserted_by_code_and_filtered(s: Arc<dyn Store>) {
    let b = seed_bank(&*s).await;
    let first = [
        product("WM001", "稳享理财 90 天", ProductType::Wealth, Some(2)),
        product("FD010", "沪深300指数基金", ProductType::Fund, Some(4)),
        product("DP100", "三年期大额存单", ProductType::Deposit, None),
    ];
    assert_eq!(s.preview_products(&first).await.unwrap(), ProductCounts { added: 3, updated: 0, unchanged: 0 });
    assert_eq!(
        s.products(&ProductFilter::default(), Page::first(10)).await.unwrap().total,
        0,
        "a preview writes nothing"
    );
    let c = s.upsert_products(&first, Some(b.cm1.id), T0, &audit(T0)).await.unwrap();
    assert_eq!(c, ProductCounts { added: 3, updated: 0, unchanged: 0 });

    let t1 = T0.plus_secs(60);
    let mut second = first.clone();
    second[0].name = "稳享理财 180 天".into();
    second[1].on_sale = false;
    let second = [
        second[0].clone(),
        second[1].clone(),
        second[2].clone(),
        product("CD1", "白金信用卡", ProductType::Card, None),
    ];
    let expected = ProductCounts { added: 1, updated: 2, unchanged: 1 };
    assert_eq!(s.preview_products(&second).await.unwrap(), expected);
    assert_eq!(s.upsert_products(&second, Some(b.cm2.id), t1, &audit(t1)).await.unwrap(), expected);

    let all = s.products(&ProductFilter::default(), Page::first(10)).await.unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items.iter().map(|p| p.product.code.as_str()).collect::<Vec<_>>(),
        ["CD1", "DP100", "FD010", "WM001"]
    );
    let by = |code: &str| all.items.iter().find(|p| p.product.code == code).unwrap().clone();
    assert_eq!((by("DP100").updated_by, by("DP100").updated_at), (Some(b.cm1.id), T0), "unchanged keeps its stamp");
    assert_eq!((by("WM001").updated_by, by("WM001").updated_at), (Some(b.cm2.id), t1));
    assert_eq!(by("WM001").product.name, "稳享理财 180 天");
    assert_eq!(by("FD010").product.risk_grade, ProductRiskGrade::new(4));
    assert_eq!(by("DP100").product.risk_grade, None);

    let f = |f: ProductFilter| {
        let s = s.clone();
        async move {
            s.products(&f, Page::first(10)).await.unwrap().items.into_iter().map(|p| p.product.code).collect::<Vec<_>>()
        }
    };
    assert_eq!(f(ProductFilter { kind: Some(ProductType::Fund), ..Default::default() }).await, ["FD010"]);
    assert_eq!(f(ProductFilter { risk_grade: ProductRiskGrade::new(2), ..Default::default() }).await, ["WM001"]);
    assert_eq!(f(ProductFilter { on_sale: Some(false), ..Default::default() }).await, ["FD010"]);
    assert_eq!(f(ProductFilter { query: Some("wm0".into()), ..Default::default() }).await, ["WM001"], "code, any case");
    assert_eq!(f(ProductFilter { query: Some("信用卡".into()), ..Default::default() }).await, ["CD1"], "name");
    let page2 = s.products(&ProductFilter::default(), Page { offset: 2, limit: 2 }).await.unwrap();
    assert_eq!((page2.total, page2.items.len()), (4, 2));

    let ids = [by("CD1").id, by("FD010").id, ProductId::new(999_999)];
    let mut found: Vec<_> = s.products_by_ids(&ids).await.unwrap().into_iter().map(|p| p.product.code).collect();
    found.sort();
    assert_eq!(found, ["CD1", "FD010"], "an unknown id is absent");
    assert_eq!(by("FD010").as_product().kind, ProductType::Fund);

    let log = s
        .search_audit(
            &AuditFilter { action: Some(AuditAction::ProductsImported), ..Default::default() },
            Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 2, "each import wrote its entry");
}

/// A file whose rows cannot all be stored leaves the catalogue and the audit log as they were: two rows
/// with one code are refused (the second would silently win), and so is a row the schema refuses.
pub async fn a_product_import_lands_whole_or_not_at_all(s: Arc<dyn Store>) {
    seed_bank(&*s).await;
    s.upsert_products(&[product("WM001", "稳享", ProductType::Wealth, Some(2))], None, T0, &audit(T0)).await.unwrap();
    let bad = [
        product("WM001", "稳享 改", ProductType::Wealth, Some(3)),
        product("NEW1", "新产品", ProductType::Loan, None),
        product("NEW1", "新产品重复", ProductType::Loan, None),
    ];
    assert!(matches!(
        s.upsert_products(&bad, None, T0.plus_secs(1), &audit(T0.plus_secs(1))).await,
        Err(StoreError::Conflict(_))
    ));
    // A staff id that does not exist fails on its foreign key after the first rows were written.
    let ghost = Some(siyu_domain::StaffId::new(999_999));
    assert!(s.upsert_products(&bad[..2], ghost, T0.plus_secs(2), &audit(T0.plus_secs(2))).await.is_err());
    let all = s.products(&ProductFilter::default(), Page::first(10)).await.unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(all.items[0].product.name, "稳享", "the first row rolled back with the rest");
    let log = s
        .search_audit(
            &AuditFilter { action: Some(AuditAction::ProductsImported), ..Default::default() },
            Page::first(10),
        )
        .await
        .unwrap();
    assert_eq!(log.total, 1);
}

//! The demo bank's product catalogue: two dozen products over all six types, named and graded as a
//! Chinese bank's would be (wealth and funds R1–R5, insurance graded, deposits graded R1, a loan and
//! a card left ungraded as the import allows), one wealth product no longer on sale.

use siyu_domain::Timestamp;
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::lang::Text;
use siyu_domain::product::{ProductRiskGrade, ProductType};
use siyu_store::{NewProduct, Store, StoreError};

/// Code, name, type, grade (0: none), issuer, on sale.
type ProductSeed = (&'static str, &'static str, ProductType, u8, &'static str, bool);

const PRODUCTS: [ProductSeed; 24] = [
    ("CD3Y2026", "三年期大额存单", ProductType::Deposit, 1, "本行", true),
    ("CD1Y2026", "一年期大额存单", ProductType::Deposit, 1, "本行", true),
    ("TD5Y", "五年期整存整取定期存款", ProductType::Deposit, 1, "本行", true),
    ("DD-SMART", "智能通知存款", ProductType::Deposit, 0, "本行", true),
    ("WM-WX90", "稳享系列理财 90天", ProductType::Wealth, 2, "本行理财子公司", true),
    ("WM-WX180", "稳享系列理财 180天", ProductType::Wealth, 2, "本行理财子公司", true),
    ("WM-TTL", "天天利现金管理理财", ProductType::Wealth, 1, "本行理财子公司", true),
    ("WM-YL5Y", "安心养老理财 五年封闭", ProductType::Wealth, 3, "本行理财子公司", true),
    ("WM-ZY365", "卓越增利一年期理财", ProductType::Wealth, 3, "本行理财子公司", false),
    ("FD-HS300", "沪深300指数基金", ProductType::Fund, 4, "华夏基金", true),
    ("FD-ZZ500", "中证500指数增强基金", ProductType::Fund, 4, "易方达基金", true),
    ("FD-HB", "货币市场基金A", ProductType::Fund, 1, "天弘基金", true),
    ("FD-ZQ", "纯债债券基金", ProductType::Fund, 2, "博时基金", true),
    ("FD-KJ", "科技创新混合基金", ProductType::Fund, 5, "广发基金", true),
    ("IN-NJ", "年金保险 十年交", ProductType::Insurance, 2, "中国人寿", true),
    ("IN-ZJ", "终身寿险 增额版", ProductType::Insurance, 2, "平安人寿", true),
    ("IN-WN", "万能型两全保险", ProductType::Insurance, 3, "太平洋人寿", true),
    ("IN-YL", "百万医疗险", ProductType::Insurance, 1, "泰康养老", true),
    ("LN-XF", "消费贷", ProductType::Loan, 0, "本行", true),
    ("LN-FD", "个人住房贷款", ProductType::Loan, 0, "本行", true),
    ("LN-JY", "小微经营贷", ProductType::Loan, 0, "本行", true),
    ("CC-PT", "白金信用卡", ProductType::Card, 0, "本行信用卡中心", true),
    ("CC-YL", "银联标准金卡", ProductType::Card, 0, "本行信用卡中心", true),
    ("DC-SB", "社保借记卡", ProductType::Card, 0, "本行", true),
];

/// Seeds the catalogue in one upsert with its audit entry, as an import by the system would.
pub async fn seed(store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
    let rows: Vec<NewProduct> = PRODUCTS
        .iter()
        .map(|(code, name, kind, grade, issuer, on_sale)| NewProduct {
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            kind: *kind,
            risk_grade: ProductRiskGrade::new(*grade),
            issuer: (*issuer).to_owned(),
            on_sale: *on_sale,
        })
        .collect();
    let detail = Text::new("audit.products_imported")
        .arg("file", "demo")
        .arg("added", rows.len())
        .arg("updated", 0)
        .arg("unchanged", 0);
    let audit = NewAuditEntry {
        at: now,
        staff_id: None,
        actor: "system".into(),
        action: AuditAction::ProductsImported,
        target: "products".into(),
        detail: siyu_app::stored_text::encode(&detail),
        ip: None,
    };
    store.upsert_products(&rows, None, now, &audit).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_covers_every_type_and_passes_the_imports_rules() {
        for t in ProductType::ALL {
            assert!(PRODUCTS.iter().any(|p| p.2 == t), "{t:?}");
        }
        for (code, _, kind, grade, _, _) in PRODUCTS {
            if siyu_app::services::products::grade_required(kind) {
                assert!(ProductRiskGrade::new(grade).is_some(), "{code} needs a grade");
            }
        }
        let mut codes: Vec<&str> = PRODUCTS.iter().map(|p| p.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PRODUCTS.len());
    }
}

//! The demo bank's tags and saved audiences: imported product tags and hand-set interest tags spread
//! over the customers from a fixed seed, two rule tags, and three audiences an HQ operator would save.
//! Rule tags and audiences get their members from the refresh job the server queues at start.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use siyu_domain::tag::TagKind;
use siyu_domain::{CustomerId, Timestamp};
use siyu_store::{NewAudience, NewTag, Store, StoreError};

/// Group, tag, kind, share of customers who carry it (imported and manual tags only), rule.
type TagSeed = (&'static str, &'static str, TagKind, f64, Option<&'static str>);

const TAGS: [TagSeed; 12] = [
    ("产品持有", "持有理财", TagKind::Imported, 0.30, None),
    ("产品持有", "持有基金", TagKind::Imported, 0.22, None),
    ("产品持有", "持有保险", TagKind::Imported, 0.12, None),
    ("产品持有", "大额存单到期", TagKind::Imported, 0.06, None),
    ("客户兴趣", "关注教育金", TagKind::Manual, 0.08, None),
    ("客户兴趣", "关注养老", TagKind::Manual, 0.10, None),
    ("客户兴趣", "偏好线下活动", TagKind::Manual, 0.05, None),
    ("客户兴趣", "高意向", TagKind::Manual, 0.03, None),
    ("价值分层", "高净值客户", TagKind::Rule, 0.0, Some("aum_tier >= 4")),
    ("价值分层", "代发中青年", TagKind::Rule, 0.0, Some("payroll = true and age between 25 and 45")),
    ("内容兴趣", "理财资讯读者", TagKind::Behavioural, 0.0, None),
    ("内容兴趣", "答题达人", TagKind::Behavioural, 0.0, None),
];

const AUDIENCES: [(&str, &str, &str); 3] = [
    (
        "代发客户理财转化",
        "payroll = true and not tag(\"持有理财\") and aum_tier >= 2",
        "代发工资客户中尚未持有理财的，发薪日前后推送理财产品",
    ),
    ("养老规划潜客", "tag(\"关注养老\") and age >= 45 and risk_grade >= 2", "关注养老的中老年客户，推荐养老理财与保险"),
    ("高净值未购基金", "tag(\"高净值客户\") and not tag(\"持有基金\")", "高净值客户中尚未持有基金的，安排理财经理面谈"),
];

/// Seeds tags, their assignments and saved audiences.
pub async fn seed(store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
    let customers: Vec<CustomerId> = store.customer_facts(0, i64::MAX, None).await?.into_iter().map(|f| f.id).collect();
    let mut rng = StdRng::seed_from_u64(404);
    let mut groups = std::collections::HashMap::new();
    for (group, name, kind, share, rule) in TAGS {
        let gid = match groups.get(group) {
            Some(g) => *g,
            None => {
                let g = store.create_tag_group(group, now).await?.id;
                groups.insert(group, g);
                g
            }
        };
        let new =
            NewTag { group_id: gid, name: name.into(), kind, sync_to_wecom: false, rule_text: rule.map(Into::into) };
        let tag = store.create_tag(&new, now).await?;
        if share > 0.0 {
            let chosen: Vec<CustomerId> = customers.iter().copied().filter(|_| rng.gen_bool(share)).collect();
            let source = if kind == TagKind::Imported { "import" } else { "manual:demo" };
            store.tag_customers(tag.id, &chosen, source, now).await?;
        }
    }
    for (name, expr, description) in AUDIENCES {
        let a = NewAudience { name: name.into(), expr: expr.into(), description: description.into(), created_by: None };
        store.create_audience(&a, now).await?;
    }
    Ok(())
}

//! The demo bank's content library: what a customer manager finds on the first day — a published
//! investor-education article and a link to the mobile bank's wealth page, both approved by
//! compliance; an invitation waiting in the review queue; and a draft whose claim the lint flags.
//!
//! Written through the store as the review would leave each version (author HQ operations, reviewer
//! compliance, each step audited), with words that pass the lint, so what the demo shows is what the
//! console would have made.

use siyu_content::{Category, Channel, ItemKind, Status};
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::{ContentVersionId, StaffId, Timestamp};
use siyu_store::{ContentDraft, NewContentItem, ReviewStep, Store, StoreError};

/// The review steps from a draft to `until`, each with who takes it and its audit action.
fn steps(until: Status, author: StaffId, reviewer: StaffId) -> Vec<(Status, Status, StaffId, AuditAction)> {
    let all = [
        (Status::Draft, Status::Submitted, author, AuditAction::ContentSubmitted),
        (Status::Submitted, Status::Approved, reviewer, AuditAction::ContentApproved),
        (Status::Approved, Status::Published, author, AuditAction::ContentPublished),
    ];
    let n = match until {
        Status::Submitted => 1,
        Status::Approved => 2,
        Status::Published => 3,
        _ => 0,
    };
    all[..n].to_vec()
}

/// One item with its first version, taken through the review up to `until`.
pub async fn seed_item(
    store: &dyn Store,
    (kind, category): (ItemKind, Category),
    draft: ContentDraft,
    until: Status,
    (author, reviewer): (StaffId, StaffId),
    now: Timestamp,
) -> Result<ContentVersionId, StoreError> {
    let audit = |action| NewAuditEntry {
        at: now,
        staff_id: None,
        actor: "demo".into(),
        action,
        target: "content".into(),
        detail: String::new(),
        ip: None,
    };
    let item = NewContentItem { kind, category, owner_unit: None, variant_of: None, created_by: Some(author) };
    let (_, v) = store.create_content_item(&item, &draft, author, now, &audit(AuditAction::ContentDraftSaved)).await?;
    for (from, to, by, action) in steps(until, author, reviewer) {
        let step = ReviewStep::new(from, to, by, now);
        store.step_content_version(v.id, &step, &audit(action)).await?;
    }
    Ok(v.id)
}

/// HQ operations' and compliance's demo logins, who write and review the demo's items.
pub async fn authors(store: &dyn Store) -> Result<(StaffId, StaffId), StoreError> {
    Ok((store.staff_credentials("hq01").await?.staff.id, store.staff_credentials("comp01").await?.staff.id))
}

/// The demo's welcome items, by title.
pub const WELCOME_TEXT: &str = "网点新客欢迎语";
pub const WELCOME_LINK: &str = "新客专享权益";

/// The published item titled `title`, for the channel codes' welcomes.
pub async fn item_titled(store: &dyn Store, title: &str) -> Result<Option<siyu_domain::ContentItemId>, StoreError> {
    let filter = siyu_store::ContentFilter { query: Some(title.into()), ..Default::default() };
    let rows = store.content_items(&filter, siyu_store::Page::first(10)).await?;
    Ok(rows.items.into_iter().find(|r| r.latest.draft.title == title).map(|r| r.item.id))
}

/// A week of the article's life: some of 陆家嘴's managers sent it to a few customers and to their
/// Moments, and some of those opened it, so its figures page shows what the console measures (and
/// which managers have not sent it yet).
async fn seed_sends(store: &dyn Store, version: ContentVersionId, now: Timestamp) -> Result<(), StoreError> {
    use siyu_domain::scope::DataScope;
    let item = store.content_version(version).await?.item_id;
    let customers = store.list_customers(DataScope::All, &Default::default(), siyu_store::Page::first(40)).await?.items;
    let mut events = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let Some(staff) = c.owner_id else { continue };
        // Two managers in three send; each send a day or more ago, some opened twice.
        if staff.get() % 3 == 0 {
            continue;
        }
        let at = now.plus_secs(-(((i % 6) as i64) * 86_400 + 3_600));
        let send = siyu_store::NewContentSend {
            item_id: item,
            version_id: version,
            staff_id: staff,
            customer_id: Some(c.id),
            channel: "one_to_one".into(),
            at,
        };
        store.record_content_send(&send).await?;
        for k in 0..(i % 3) {
            events.push(siyu_store::NewLinkEvent {
                version_id: version,
                customer_id: Some(c.id),
                staff_id: staff,
                channel: "one_to_one".into(),
                visitor: format!("demo{i:018}"),
                kind: siyu_store::LinkEventKind::Open,
                seconds: 0,
                at: at.plus_secs(600 * (k as i64 + 1)),
                interests: Vec::new(),
            });
        }
    }
    store.record_link_events(&events).await?;
    Ok(())
}

/// Seeds the library.
pub async fn seed(store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
    let who = authors(store).await?;
    let all = vec![Channel::OneToOne, Channel::Moments, Channel::Group];
    let article = ContentDraft {
        title: "读懂理财产品的净值波动".into(),
        body: "<p>理财产品打破刚性兑付后，净值每天都会变化。</p><h2>为什么会波动</h2>\
               <p>产品持有的债券、存款和股票价格随市场变化，净值随之起伏。</p>\
               <h2>怎样看待</h2><ul><li>看业绩比较基准，也看历史回撤</li><li>按自己的风险承受能力选择</li></ul>\
               <p>有疑问可以随时问您的客户经理。</p>"
            .into(),
        channels: all.clone(),
        ..Default::default()
    };
    let read = seed_item(store, (ItemKind::Article, Category::InvestorEducation), article, Status::Published, who, now)
        .await?;
    seed_sends(store, read, now).await?;
    let link = ContentDraft {
        title: "手机银行理财专区".into(),
        body: "在手机银行查看在售理财产品和持仓。".into(),
        link_url: "https://bank.example.com/wealth".into(),
        link_desc: "随时查看净值与持仓".into(),
        channels: all.clone(),
        ..Default::default()
    };
    seed_item(store, (ItemKind::Link, Category::FinanceTips), link, Status::Published, who, now).await?;
    // The channel codes' welcomes (`super::seed_channels` finds them by these titles).
    let hello = ContentDraft {
        title: WELCOME_TEXT.into(),
        body: "{客户称呼}好！我是您在{网点}的专属客户经理{客户经理}，理财、贷款、信用卡问题都可以随时问我。".into(),
        channels: vec![Channel::OneToOne],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Text, Category::Persona), hello, Status::Published, who, now).await?;
    let perks = ContentDraft {
        title: WELCOME_LINK.into(),
        body: "欢迎关注！已为您匹配最近网点的客户经理。".into(),
        link_url: "https://bank.example.com/welcome".into(),
        link_desc: "添加即领新客礼".into(),
        channels: vec![Channel::OneToOne],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Link, Category::Benefit), perks, Status::Published, who, now).await?;
    // Two scripts for the library (话术): an ice-breaker and a 3W script for a customer at Action.
    let ice = ContentDraft {
        title: "工资到账提醒破冰".into(),
        body: "{客户称呼}好，我是{网点}的{客户经理}。看到您的工资这两天到账了，活期放着收益很低，\
               需要的话我帮您看看适合的存款和现金管理安排。"
            .into(),
        stage: Some(siyu_content::AidaStage::Attention),
        channels: vec![Channel::OneToOne],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Text, Category::IceBreaker), ice, Status::Published, who, now).await?;
    let three_w = ContentDraft {
        title: "3W话术：为什么现在、为什么是这款、为什么找我".into(),
        body: "{客户称呼}，您之前问的定期存款，我整理了三点：一是现在锁定利率比较合适；二是这款三年期\
               大额存单起存门槛和期限都符合您的安排；三是我在{网点}，随时可以帮您办理和答疑。"
            .into(),
        stage: Some(siyu_content::AidaStage::Action),
        channels: vec![Channel::OneToOne],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Text, Category::ThreeW), three_w, Status::Published, who, now).await?;
    let invite = ContentDraft {
        title: "周末理财小课堂邀请".into(),
        body: "{客户称呼}您好，我是{客户经理}。本周六下午{网点}有一场理财小课堂，欢迎您来坐坐。".into(),
        channels: vec![Channel::OneToOne],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Text, Category::Activity), invite, Status::Submitted, who, now).await?;
    let draft = ContentDraft {
        title: "新客专享".into(),
        body: "新客专享理财，稳赚不赔，名额有限。".into(),
        channels: vec![Channel::Moments],
        ..Default::default()
    };
    seed_item(store, (ItemKind::Text, Category::Benefit), draft, Status::Draft, who, now).await?;
    Ok(())
}

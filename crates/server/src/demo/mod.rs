//! The demo bank: head office, 3 branches, 9 sub-branches with real coordinates, ~30 staff in every
//! role, and customers with believable Chinese names, segments, AUM tiers and risk grades. Generated
//! from a fixed seed, so every demo looks the same.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use siyu_domain::customer::{AumTier, Consent, CustomerDraft, Gender, RiskAssessment, RiskGrade, Segments};
use siyu_domain::org::{GeoPoint, OrgUnitKind, Role, Staff};
use siyu_domain::validate::id_check_digit;
use siyu_domain::{OrgUnitId, Timestamp};
use siyu_store::{NewOrgUnit, NewStaff, Store, StoreError, UpsertFields};
use siyu_vault::Vault;
use siyu_wecom::fake::FakeWecom;
use siyu_wecom::fake::names::random_customer_name;

pub mod content;
pub mod products;
pub mod scans;
pub mod tags;

/// Every demo login's password.
pub const DEMO_PASSWORD: &str = "siyu-demo-2026";

/// A sub-branch: code, name, latitude, longitude.
type SubBranchSeed = (&'static str, &'static str, f64, f64);

/// Branch code, name, ID-number region code, and its sub-branches.
const BRANCHES: [(&str, &str, &str, [SubBranchSeed; 3]); 3] = [
    (
        "SH",
        "上海分行",
        "310101",
        [
            ("SH01", "陆家嘴支行", 31.2397, 121.4998),
            ("SH02", "徐家汇支行", 31.1950, 121.4370),
            ("SH03", "静安支行", 31.2290, 121.4480),
        ],
    ),
    (
        "HZ",
        "杭州分行",
        "330106",
        [
            ("HZ01", "西湖支行", 30.2590, 120.1480),
            ("HZ02", "钱江新城支行", 30.2450, 120.2100),
            ("HZ03", "滨江支行", 30.2080, 120.2110),
        ],
    ),
    (
        "NJ",
        "南京分行",
        "320102",
        [
            ("NJ01", "新街口支行", 32.0410, 118.7840),
            ("NJ02", "河西支行", 32.0030, 118.7280),
            ("NJ03", "仙林支行", 32.1040, 118.9290),
        ],
    ),
];

/// A demo login and what it is for, printed when the demo starts.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub unit: String,
}

/// A name for a demo person of `gender`.
pub fn person_name(rng: &mut StdRng, gender: Gender) -> String {
    siyu_wecom::fake::names::person_name(rng, gender == Gender::Female)
}

pub fn phone(rng: &mut StdRng) -> String {
    const PREFIXES: [&str; 12] = ["138", "139", "137", "136", "135", "150", "151", "158", "159", "186", "188", "177"];
    format!("{}{:08}", PREFIXES[rng.gen_range(0..PREFIXES.len())], rng.gen_range(0..100_000_000u32))
}

pub fn id_number(rng: &mut StdRng, region: &str, birthday: NaiveDate, gender: Gender) -> String {
    let mut seq = rng.gen_range(0..500u32) * 2;
    if gender == Gender::Male {
        seq += 1;
    }
    let first17 = format!("{region}{}{seq:03}", birthday.format("%Y%m%d"));
    let check = id_check_digit(&first17) as char;
    format!("{first17}{check}")
}

/// One synthetic customer at `sub_branch`, owned by one of `managers` (or nobody, 5% of the time).
pub fn customer(
    rng: &mut StdRng,
    no: u64,
    region: &str,
    sub_branch: OrgUnitId,
    managers: &[&Staff],
    today: NaiveDate,
) -> CustomerDraft {
    let gender = if rng.gen_bool(0.5) { Gender::Female } else { Gender::Male };
    let birthday = NaiveDate::from_ymd_opt(rng.gen_range(1952..2004), rng.gen_range(1..=12), rng.gen_range(1..=28))
        .expect("valid date");
    let tier = match rng.gen_range(0..100) {
        0..60 => 1,
        60..85 => 2,
        85..95 => 3,
        95..99 => 4,
        _ => 5,
    };
    let risk = rng.gen_bool(0.7).then(|| {
        let days_ago = rng.gen_range(0..730);
        RiskAssessment {
            grade: RiskGrade::new(rng.gen_range(1..=5)).expect("1-5"),
            assessed_on: today - chrono::Duration::days(days_ago),
        }
    });
    let payroll_day = rng.gen_bool(0.35).then(|| [5u8, 10, 15, 20, 25][rng.gen_range(0..5)]);
    let owner = (!managers.is_empty() && rng.gen_bool(0.95)).then(|| managers[rng.gen_range(0..managers.len())].id);
    CustomerDraft {
        customer_no: format!("C{}{no:06}", today.year()),
        name: person_name(rng, gender),
        phone: Some(phone(rng)),
        id_number: Some(id_number(rng, region, birthday, gender)),
        id_type: Some(siyu_domain::customer::IdType::ResidentId),
        gender,
        birthday: Some(birthday),
        sub_branch_id: sub_branch,
        owner_id: owner,
        aum_tier: AumTier::new(tier).expect("1-5"),
        segments: Segments {
            payroll_day,
            credit_card: rng.gen_bool(0.45),
            wealth: tier >= 2 && rng.gen_bool(0.6),
            loan: rng.gen_bool(0.15),
        },
        risk,
        consent: Consent {
            one_to_one: rng.gen_bool(0.9),
            moments: rng.gen_bool(0.8),
            group: rng.gen_bool(0.6),
            personalised: rng.gen_bool(0.7),
        },
        wecom_external_userid: None,
        wechat_unionid: None,
    }
}

/// The organisation and staff of the demo bank. Returns the logins.
pub async fn seed_organisation(
    store: &dyn Store,
    password_hash: &str,
    now: Timestamp,
) -> Result<Vec<DemoLogin>, StoreError> {
    let mut logins = Vec::new();
    let unit = |kind, parent, code: &str, name: &str, loc: Option<(f64, f64)>| NewOrgUnit {
        kind,
        parent_id: parent,
        code: code.into(),
        name: name.into(),
        location: loc.map(|(lat, lng)| GeoPoint { lat, lng }),
    };
    let hq = store
        .create_org_unit(&unit(OrgUnitKind::HeadOffice, None, "HQ", "示范银行总行", Some((31.2304, 121.4737))), now)
        .await?;
    let mut staff = |username: &str, name: &str, role, unit: &siyu_domain::org::OrgUnit| {
        logins.push(DemoLogin { username: username.into(), role, unit: unit.name.clone() });
        NewStaff {
            username: username.into(),
            display_name: name.into(),
            role,
            org_unit_id: unit.id,
            wecom_userid: (role == Role::CustomerManager).then(|| format!("wx_{username}")),
            password_hash: password_hash.into(),
        }
    };
    let mut people = vec![
        staff("admin", "系统管理员", Role::Admin, &hq),
        staff("hq01", "周敏", Role::HqOperator, &hq),
        staff("hq02", "孙浩", Role::HqOperator, &hq),
        staff("comp01", "钱静", Role::ComplianceReviewer, &hq),
        staff("comp02", "郑磊", Role::ComplianceReviewer, &hq),
    ];
    let mut rng = StdRng::seed_from_u64(7);
    for (code, name, _, subs) in BRANCHES {
        let branch = store.create_org_unit(&unit(OrgUnitKind::Branch, Some(hq.id), code, name, None), now).await?;
        let lower = code.to_lowercase();
        people.push(staff(&format!("bm_{lower}"), &person_name(&mut rng, Gender::Male), Role::BranchManager, &branch));
        for (i, (scode, sname, lat, lng)) in subs.iter().enumerate() {
            let sub = store
                .create_org_unit(&unit(OrgUnitKind::SubBranch, Some(branch.id), scode, sname, Some((*lat, *lng))), now)
                .await?;
            let s = scode.to_lowercase();
            if i == 0 {
                people.push(staff(
                    &format!("bm_{s}"),
                    &person_name(&mut rng, Gender::Female),
                    Role::BranchManager,
                    &sub,
                ));
            }
            for n in 1..=2 {
                let g = if n == 1 { Gender::Female } else { Gender::Male };
                people.push(staff(&format!("cm_{s}_{n}"), &person_name(&mut rng, g), Role::CustomerManager, &sub));
            }
        }
    }
    for p in &people {
        store.create_staff(p, now).await?;
    }
    Ok(logins)
}

/// `count` customers spread over the sub-branches, sealed and stored in batches.
pub async fn seed_customers(store: &dyn Store, vault: &Vault, count: u64, now: Timestamp) -> Result<(), StoreError> {
    let units = store.org_units().await?;
    let cms = store
        .list_staff(
            &siyu_store::StaffFilter { role: Some(Role::CustomerManager), ..Default::default() },
            siyu_store::Page::first(500),
        )
        .await?
        .items;
    let subs: Vec<_> = BRANCHES
        .iter()
        .flat_map(|(_, _, region, subs)| subs.iter().map(move |s| (s.0, *region)))
        .filter_map(|(code, region)| units.iter().find(|u| u.code == code).map(|u| (u.id, region)))
        .collect();
    let today = now.bank_date();
    let mut rng = StdRng::seed_from_u64(2026);
    let mut batch = Vec::new();
    for no in 1..=count {
        let (sub, region) = subs[rng.gen_range(0..subs.len())];
        let managers: Vec<&Staff> = cms.iter().filter(|c| c.org_unit_id == sub).collect();
        batch.push(vault.seal_customer(customer(&mut rng, no, region, sub, &managers, today)));
        if batch.len() == 2_000 || no == count {
            store.upsert_customers(&batch, &UpsertFields::all(), now).await?;
            batch.clear();
        }
    }
    Ok(())
}

/// Seeds the whole demo bank into an empty store; `None` if the store already has an organisation.
pub async fn seed_if_empty(
    store: &dyn Store,
    vault: &Vault,
    customers: u64,
    now: Timestamp,
) -> Result<Option<Vec<DemoLogin>>, StoreError> {
    if !store.org_units().await?.is_empty() {
        return Ok(None);
    }
    let hash = siyu_app::auth::password::hash_password(DEMO_PASSWORD);
    let logins = seed_organisation(store, &hash, now).await?;
    seed_customers(store, vault, customers, now).await?;
    tags::seed(store, now).await?;
    products::seed(store, now).await?;
    content::seed(store, now).await?;
    Ok(Some(logins))
}

/// The demo logins of an already seeded bank (for printing on later starts).
pub async fn logins(store: &dyn Store) -> Result<Vec<DemoLogin>, StoreError> {
    let units = store.org_units().await?;
    let staff = store.list_staff(&Default::default(), siyu_store::Page::first(100)).await?.items;
    Ok(staff
        .into_iter()
        .map(|s| DemoLogin {
            unit: units.iter().find(|u| u.id == s.org_unit_id).map(|u| u.name.clone()).unwrap_or_default(),
            username: s.username,
            role: s.role,
        })
        .collect())
}

/// Starts the built-in fake WeCom for the demo and points the configuration at it, unless a real
/// WeCom is configured. Every staff member with a WeCom userid becomes a member of the fake corp.
pub async fn fake_wecom(
    config: &mut crate::config::Config,
    store: &dyn siyu_store::Store,
) -> anyhow::Result<Option<siyu_wecom::fake::FakeWecom>> {
    use siyu_wecom::fake::{FakeConfig, FakeWecom};
    if config.wecom.enabled {
        return Ok(None);
    }
    let fake = FakeWecom::new(FakeConfig::default());
    // WeCom waits 24 hours before a successor takes a customer over; the demo's two minutes let a
    // hand-over be watched to the end.
    fake.set_transfer_delay_secs(120);
    for s in store.all_staff(&Default::default()).await? {
        if let Some(u) = s.wecom_userid {
            fake.add_staff(&u);
        }
    }
    let base = fake.spawn().await;
    let f = fake.config();
    config.wecom = crate::config::WecomConfig {
        enabled: true,
        api_base: base.clone(),
        corp_id: f.corp_id.clone(),
        secret: crate::config::Secret(f.secret.clone()),
        agent_id: f.agent_id,
        callback_token: crate::config::Secret(f.callback_token.clone()),
        callback_aes_key: crate::config::Secret(f.encoding_aes_key.clone()),
        callback_window_secs: 300,
    };
    let local = config.server.bind.replace("0.0.0.0", "127.0.0.1");
    fake.set_callback_url(&format!("http://{local}/wecom/callback"));
    eprintln!("demo WeCom: the built-in fake at {base}");
    Ok(Some(fake))
}

/// The demo's WeCom: every customer manager already has some of their customers as WeCom contacts
/// (remarked with the customer's mobile, as managers do), found and matched by a full sync; and two
/// channel codes, each scanned by a few new customers through the fake WeCom.
pub async fn seed_wecom(state: &siyu_app::state::AppState, fake: &FakeWecom) -> anyhow::Result<()> {
    let f = siyu_store::StaffFilter { role: Some(Role::CustomerManager), ..Default::default() };
    let cms = state.store.all_staff(&f).await?;
    let mut contacts: Vec<(String, String)> = Vec::new();
    for cm in cms.iter().filter(|c| c.wecom_userid.is_some()) {
        let mine = siyu_store::CustomerFilter { owner_id: Some(cm.id), ..Default::default() };
        let customers =
            state.store.list_customers(siyu_domain::scope::DataScope::All, &mine, siyu_store::Page::first(12)).await?;
        for c in &customers.items {
            // Seeding only: the demo plays the manager who typed the number into the remark.
            let Ok(sealed) = state
                .store
                .customer_pii(siyu_domain::scope::DataScope::All, c.id, siyu_domain::customer::PiiField::Phone)
                .await
            else {
                continue;
            };
            let Ok(phone) = state.vault.open(siyu_domain::customer::PiiField::Phone, &sealed) else { continue };
            let ext = fake.add_contact(cm.wecom_userid.as_deref().unwrap_or_default(), &c.name, &[&phone]);
            contacts.push((cm.wecom_userid.clone().unwrap_or_default(), ext));
        }
    }
    // One customer group per Shanghai manager, with a few of their contacts in it.
    for cm in cms.iter().filter(|c| c.username.starts_with("cm_sh")) {
        let Some(userid) = cm.wecom_userid.as_deref() else { continue };
        let chat = fake.create_group(userid, &format!("{}的理财交流群", cm.display_name));
        for (_, ext) in contacts.iter().filter(|(u, _)| u == userid).take(5) {
            // The fake adds them to the group; the sync below reads the groups whole.
            fake.add_group_member(&chat, ext);
        }
    }
    // The administrator asks for the sync, as they would on the WeCom page.
    siyu_app::services::wecom::request_sync(state, &admin(state).await?).await?;
    seed_channels(state, fake).await
}

/// The demo bank's administrator, as a caller.
async fn admin(state: &siyu_app::state::AppState) -> anyhow::Result<siyu_app::caller::Caller> {
    let admin = state.store.staff_credentials("admin").await?.staff;
    Ok(siyu_app::caller::Caller {
        actor: siyu_domain::scope::Actor::Staff { id: admin.id, role: admin.role, org_unit_id: admin.org_unit_id },
        staff: Some(admin),
        csrf: None,
        ip: "demo".into(),
    })
}

/// Two demo channel codes, each scanned by a few customers through the fake WeCom (demo only).
async fn seed_channels(state: &siyu_app::state::AppState, fake: &FakeWecom) -> anyhow::Result<()> {
    use siyu_domain::channel::{Assignment, ChannelKind, Welcome};

    let caller = admin(state).await?;
    let hello = content::item_titled(&*state.store, content::WELCOME_TEXT).await?;
    let perks = content::item_titled(&*state.store, content::WELCOME_LINK).await?;
    let units = state.store.org_units().await?;
    let sh01 = units.iter().find(|u| u.code == "SH01").context("no SH01")?.id;
    let codes = [
        siyu_app::services::channels::ChannelInput {
            name: "陆家嘴支行大堂海报".into(),
            kind: ChannelKind::BranchPoster,
            assignment: Assignment::RoundRobin { sub_branch_id: sh01 },
            welcome: Welcome { item: hello },
            tags: vec!["网点海报".into(), "陆家嘴".into()],
            // What a branch sets: 20 adds a day each, friend requests accepted without confirmation
            // in the evening and at weekends, when the managers are away.
            controls: siyu_domain::channel_controls::ChannelControls {
                daily_cap: Some(20),
                skip_verify_windows: vec![
                    siyu_domain::channel_controls::Window {
                        days: vec![1, 2, 3, 4, 5],
                        from: "18:00".into(),
                        to: "24:00".into(),
                    },
                    siyu_domain::channel_controls::Window {
                        days: vec![6, 7],
                        from: "00:00".into(),
                        to: "24:00".into(),
                    },
                ],
                ..Default::default()
            },
        },
        siyu_app::services::channels::ChannelInput {
            name: "公众号菜单·就近网点".into(),
            kind: ChannelKind::OfficialAccountMenu,
            assignment: Assignment::Nearest { location: GeoPoint { lat: 30.25, lng: 120.17 } },
            welcome: Welcome { item: perks },
            tags: vec!["公众号".into()],
            controls: Default::default(),
        },
    ];
    // Give the listener a moment: the fake's callbacks come straight back to this server.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for (i, input) in codes.into_iter().enumerate() {
        let code = siyu_app::services::channels::create(state, &caller, input).await?;
        let config_id = code.config_id.clone().unwrap_or_default();
        for _ in 0..(6 - i * 2) {
            fake.customer_scans(&config_id, &random_customer_name()).await.map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_people_pass_the_import_rules() {
        let mut rng = StdRng::seed_from_u64(1);
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        for no in 0..500 {
            let c = customer(&mut rng, no, "310101", OrgUnitId::new(1), &[], today);
            siyu_domain::validate::normalize_phone(c.phone.as_deref().unwrap()).unwrap();
            siyu_domain::validate::normalize_id_number(c.id_number.as_deref().unwrap()).unwrap();
            siyu_domain::validate::normalize_name(&c.name).unwrap();
            siyu_domain::validate::normalize_customer_no(&c.customer_no).unwrap();
        }
    }
}

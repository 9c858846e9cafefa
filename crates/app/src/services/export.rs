//! Exporting an audience's members as CSV or XLSX: masked numbers only, within the caller's data scope,
//! written to the audit log before the file is handed over, and written page by page as it is sent.
//! Headed in the viewer's language with headers the customer import knows, so the file re-imports.

use std::collections::HashMap;

use siyu_domain::audit::AuditAction;
use siyu_domain::customer::Customer;
use siyu_domain::import_template::FileLang;
use siyu_domain::scope::DataScope;
use siyu_domain::scope::Permission;
use siyu_domain::{AudienceId, OrgUnitId, StaffId};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::services::{audiences, audit};
use crate::state::AppState;

pub use crate::services::download::{Download, Format};

/// The columns, in Chinese and in English. Each is a header the import knows, so a file exported here
/// imports back unchanged: the masked numbers are marked so and skipped (a mask never overwrites the
/// number the bank holds), the manager is named by login (which maps) and by name (which is skipped),
/// a risk grade comes with its date and the payroll flag with its day, as the import requires.
const HEADER: [(&str, &str); 13] = [
    ("客户号", "customer_no"),
    ("姓名", "name"),
    ("手机号(脱敏)", "phone (masked)"),
    ("证件号(脱敏)", "id_number (masked)"),
    ("网点", "sub_branch"),
    ("客户经理工号", "owner"),
    ("客户经理姓名", "owner_name"),
    ("资产层级", "aum_tier"),
    ("风险等级", "risk_grade"),
    ("风评日期", "risk_assessed_on"),
    ("代发", "payroll"),
    ("代发日", "payroll_day"),
    ("已加企业微信", "on_wecom"),
];

/// Members read per query.
const CHUNK: usize = 2000;

/// An audience's members the caller may see, as a file written while it is sent (see
/// [`crate::services::download`]). The audit entry, with the number of customers, is written before
/// the first byte goes out.
pub async fn audience(
    state: &AppState,
    caller: &Caller,
    id: AudienceId,
    format: Format,
    lang: FileLang,
) -> ServiceResult<Download> {
    caller.require(Permission::ExportCustomers)?;
    let a = state.store.audience(id).await?;
    let scope = audiences::scope_bitmap(state, caller.scope()).await?;
    let members = state.engine.audience_members(id, scope.as_ref());
    let units: HashMap<OrgUnitId, String> =
        state.store.org_units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let rows = members.len();
    let file_name = format!("{}-{}.{}", a.id, state.clock.now().bank_date(), format.extension());
    audit::record(
        state,
        caller,
        AuditAction::Export,
        &a.id.to_string(),
        &format!("audience “{}” as {}: {} customers (masked)", a.name, format.extension(), rows),
    )
    .await?;
    let pages = Members {
        state: state.clone(),
        scope: caller.scope(),
        ids: members.into_iter(),
        units,
        managers: HashMap::new(),
        lang,
    };
    let header = HEADER.iter().map(|(zh, en)| if lang == FileLang::En { *en } else { *zh }.to_owned()).collect();
    Ok(crate::services::download::start(file_name, format, rows, &a.name, header, pages))
}

/// The members still to write, read from the store a chunk at a time.
struct Members {
    state: AppState,
    scope: DataScope,
    ids: roaring::bitmap::IntoIter,
    units: HashMap<OrgUnitId, String>,
    /// Managers' logins and names, looked up once each.
    managers: HashMap<StaffId, (String, String)>,
    lang: FileLang,
}

#[async_trait::async_trait]
impl crate::services::download::Pages for Members {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
        let chunk: Vec<_> = self.ids.by_ref().take(CHUNK).map(crate::engine::customer_of).collect();
        if chunk.is_empty() {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(chunk.len());
        for c in self.state.store.customers_by_ids(self.scope, &chunk).await? {
            if let Some(o) = c.owner_id
                && !self.managers.contains_key(&o)
            {
                let m = self.state.store.staff(o).await.map(|s| (s.username, s.display_name)).unwrap_or_default();
                self.managers.insert(o, m);
            }
            rows.push(row(&c, &self.units, &self.managers, self.lang));
        }
        Ok(Some(rows))
    }
}

fn row(
    c: &Customer,
    units: &HashMap<OrgUnitId, String>,
    managers: &HashMap<StaffId, (String, String)>,
    lang: FileLang,
) -> Vec<String> {
    let yes = |b: bool| match (b, lang) {
        (true, FileLang::Zh) => "是",
        (false, FileLang::Zh) => "否",
        (true, FileLang::En) => "yes",
        (false, FileLang::En) => "no",
    };
    let manager = c.owner_id.and_then(|o| managers.get(&o));
    vec![
        c.customer_no.clone(),
        c.name.clone(),
        c.phone_masked.clone().unwrap_or_default(),
        c.id_number_masked.clone().unwrap_or_default(),
        units.get(&c.sub_branch_id).cloned().unwrap_or_default(),
        manager.map(|m| m.0.clone()).unwrap_or_default(),
        manager.map(|m| m.1.clone()).unwrap_or_default(),
        c.aum_tier.get().to_string(),
        c.risk.as_ref().map(|r| format!("C{}", r.grade.get())).unwrap_or_default(),
        c.risk.as_ref().map(|r| r.assessed_on.to_string()).unwrap_or_default(),
        yes(c.segments.is_payroll()).to_owned(),
        c.segments.payroll_day.map(|d| d.to_string()).unwrap_or_default(),
        yes(c.wecom_external_userid.is_some()).to_owned(),
    ]
}

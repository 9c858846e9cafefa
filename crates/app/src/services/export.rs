//! Exporting an audience's members as CSV or XLSX: masked numbers only, within the caller's data scope,
//! written to the audit log before the file is handed over, and written page by page as it is sent.

use std::collections::HashMap;

use siyu_domain::audit::AuditAction;
use siyu_domain::customer::Customer;
use siyu_domain::scope::DataScope;
use siyu_domain::scope::Permission;
use siyu_domain::{AudienceId, OrgUnitId, StaffId};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::services::{audiences, audit};
use crate::state::AppState;

pub use crate::services::download::{Download, Format};

const HEADER: [&str; 10] =
    ["客户号", "姓名", "手机号(脱敏)", "证件号(脱敏)", "网点", "客户经理", "AUM等级", "风险等级", "代发", "企业微信"];

/// Members read per query.
const CHUNK: usize = 2000;

/// An audience's members the caller may see, as a file written while it is sent (see
/// [`crate::services::download`]). The audit entry, with the number of customers, is written before
/// the first byte goes out.
pub async fn audience(state: &AppState, caller: &Caller, id: AudienceId, format: Format) -> ServiceResult<Download> {
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
    let pages =
        Members { state: state.clone(), scope: caller.scope(), ids: members.into_iter(), units, names: HashMap::new() };
    let header = HEADER.iter().map(|h| (*h).to_owned()).collect();
    Ok(crate::services::download::start(file_name, format, rows, &a.name, header, pages))
}

/// The members still to write, read from the store a chunk at a time.
struct Members {
    state: AppState,
    scope: DataScope,
    ids: roaring::bitmap::IntoIter,
    units: HashMap<OrgUnitId, String>,
    /// Managers' names, looked up once each.
    names: HashMap<StaffId, String>,
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
                && !self.names.contains_key(&o)
            {
                let n = self.state.store.staff(o).await.map(|s| s.display_name).unwrap_or_default();
                self.names.insert(o, n);
            }
            rows.push(row(&c, &self.units, &self.names));
        }
        Ok(Some(rows))
    }
}

fn row(c: &Customer, units: &HashMap<OrgUnitId, String>, names: &HashMap<StaffId, String>) -> Vec<String> {
    let yes = |b: bool| if b { "是" } else { "否" }.to_owned();
    vec![
        c.customer_no.clone(),
        c.name.clone(),
        c.phone_masked.clone().unwrap_or_default(),
        c.id_number_masked.clone().unwrap_or_default(),
        units.get(&c.sub_branch_id).cloned().unwrap_or_default(),
        c.owner_id.and_then(|o| names.get(&o).cloned()).unwrap_or_default(),
        c.aum_tier.get().to_string(),
        c.risk.as_ref().map(|r| r.grade.get().to_string()).unwrap_or_default(),
        yes(c.segments.is_payroll()),
        yes(c.wecom_external_userid.is_some()),
    ]
}

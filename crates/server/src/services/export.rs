//! Exporting an audience's members as CSV or XLSX: masked numbers only, within the caller's data scope,
//! and written to the audit log before the file is handed over.

use std::collections::HashMap;

use siyu_domain::audit::AuditAction;
use siyu_domain::customer::Customer;
use siyu_domain::scope::Permission;
use siyu_domain::{AudienceId, OrgUnitId, StaffId};

use crate::app::AppState;
use crate::auth::extract::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::{audiences, audit};

/// The file formats an export can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// An export ready to send.
#[derive(Debug)]
pub struct ExportFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub rows: usize,
}

const HEADER: [&str; 10] =
    ["客户号", "姓名", "手机号(脱敏)", "证件号(脱敏)", "网点", "客户经理", "AUM等级", "风险等级", "代发", "企业微信"];

/// Members read per query.
const CHUNK: usize = 2000;

pub async fn audience(state: &AppState, caller: &Caller, id: AudienceId, format: Format) -> ServiceResult<ExportFile> {
    caller.require(Permission::ExportCustomers)?;
    let a = state.store.audience(id).await?;
    let scope = audiences::scope_bitmap(state, caller.scope()).await?;
    let members = audiences::ids_of(&state.engine.audience_members(id, scope.as_ref()));
    let units: HashMap<OrgUnitId, String> =
        state.store.org_units().await?.into_iter().map(|u| (u.id, u.name)).collect();
    let mut names: HashMap<StaffId, String> = HashMap::new();
    let mut rows: Vec<[String; 10]> = Vec::with_capacity(members.len());
    for chunk in members.chunks(CHUNK) {
        for c in state.store.customers_by_ids(caller.scope(), chunk).await? {
            if let Some(o) = c.owner_id
                && !names.contains_key(&o)
            {
                let n = state.store.staff(o).await.map(|s| s.display_name).unwrap_or_default();
                names.insert(o, n);
            }
            rows.push(row(&c, &units, &names));
        }
    }
    let bytes = match format {
        Format::Csv => csv_bytes(&rows)?,
        Format::Xlsx => xlsx_bytes(&a.name, &rows)?,
    };
    let file_name = format!("{}-{}.{}", a.id, state.clock.now().bank_date(), format.extension());
    audit::record(
        state,
        caller,
        AuditAction::Export,
        &a.id.to_string(),
        &format!("audience “{}” as {}: {} customers (masked)", a.name, format.extension(), rows.len()),
    )
    .await?;
    Ok(ExportFile { file_name, rows: rows.len(), bytes })
}

fn row(c: &Customer, units: &HashMap<OrgUnitId, String>, names: &HashMap<StaffId, String>) -> [String; 10] {
    let yes = |b: bool| if b { "是" } else { "否" }.to_owned();
    [
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

/// CSV with a byte-order mark, so Excel on a Chinese Windows opens it as UTF-8, not GBK.
fn csv_bytes(rows: &[[String; 10]]) -> ServiceResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let fail = |e: csv::Error| ServiceError::Internal(format!("csv: {e}"));
    w.write_record(HEADER).map_err(fail)?;
    for r in rows {
        // A cell starting with = + - @ would be a formula in Excel; a leading quote keeps it text.
        w.write_record(r.iter().map(|c| defuse(c))).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ServiceError::Internal(format!("csv: {e}")))
}

fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}") } else { cell.to_owned() }
}

fn xlsx_bytes(sheet: &str, rows: &[[String; 10]]) -> ServiceResult<Vec<u8>> {
    use rust_xlsxwriter::{Format as Cell, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| ServiceError::Internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    // Sheet names are at most 31 characters, may not hold []:*?/\ and may not start or end with '.
    let name: String = sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let name = name.trim_matches('\'');
    if !name.is_empty() {
        ws.set_name(name).map_err(fail)?;
    }
    let bold = Cell::new().set_bold();
    for (col, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, *h, &bold).map_err(fail)?;
    }
    for (i, r) in rows.iter().enumerate() {
        for (col, v) in r.iter().enumerate() {
            // Strings, never formulas: a cell reading "=…" stays text.
            ws.write_string(i as u32 + 1, col as u16, v).map_err(fail)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

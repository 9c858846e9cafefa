//! The dry run and the commit of a customer file.
//!
//! Both walk the file with the same validator, so the good rows a commit writes are exactly the ones the
//! dry run counted (given the same organisation). Both judge dates on the same day, the bank date the
//! file was uploaded on: a commit the next morning (or resumed a week later) must not find a birthday
//! "in the future" good that the dry run refused, or its checkpoint would count other rows. Parsing, validating and sealing run on a blocking
//! thread that hands batches to the async side, so the CPU work of one batch overlaps the database write
//! of the previous one.

use siyu_domain::lang::Text;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::NaiveDate;
use siyu_domain::import::{Field, HeaderMapping, ImportLookups, RowValidator, UnitByName};
use siyu_domain::import_template::is_note_row;
use siyu_domain::org::Role;
use siyu_domain::{OrgUnitId, StaffId};
use siyu_store::{
    ImportProblem, ImportStatus, ImportValidation, NewCustomer, StaffFilter, Store, StoreError, UpsertCounts,
    UpsertFields,
};
use siyu_vault::Vault;
use tokio::sync::mpsc;

use super::reader::Table;

/// At most this many problems are kept for the report; all are counted.
pub const MAX_STORED_PROBLEMS: usize = 100_000;
/// At most this many bytes of sealed rejected rows are kept for the report (each problem of a row keeps
/// its own copy); past it, problems are kept without their row, whose cells the report then leaves
/// empty. A row is at most `Limits::max_row_bytes`, so this bounds what a dry run holds.
pub const MAX_KEPT_ROW_BYTES: usize = 64 << 20;
/// A problem's message quotes the bad value; kept to this many characters, since a file's cell may be
/// long and a dry run keeps up to [`MAX_STORED_PROBLEMS`] messages.
const MAX_MESSAGE_CHARS: usize = 300;

fn bounded(message: Text) -> String {
    crate::stored_text::encode(&message.with_values_cut(MAX_MESSAGE_CHARS))
}

/// Good rows per commit transaction.
pub const BATCH_ROWS: usize = 50_000;
/// The vault label of rejected rows kept for the report.
pub const ROW_LABEL: &str = "import_row";

/// Sub-branch codes and names and customer-manager logins, loaded once per run.
#[derive(Debug, Default)]
pub struct Lookups {
    sub_branches: HashMap<String, OrgUnitId>,
    /// By name; `None` where several units share the name.
    names: HashMap<String, Option<OrgUnitId>>,
    managers: HashMap<String, (StaffId, OrgUnitId)>,
}

impl Lookups {
    pub async fn load(store: &dyn Store) -> Result<Self, StoreError> {
        let units = store.org_units().await?;
        let mut names: HashMap<String, Option<OrgUnitId>> = HashMap::new();
        for u in &units {
            names.entry(u.name.trim().to_owned()).and_modify(|id| *id = None).or_insert(Some(u.id));
        }
        let sub_branches = units.into_iter().map(|u| (u.code, u.id)).collect();
        let mut managers = HashMap::new();
        let filter = StaffFilter { role: Some(Role::CustomerManager), ..Default::default() };
        for s in store.all_staff(&filter).await?.into_iter().filter(|s| s.active) {
            managers.insert(s.username, (s.id, s.org_unit_id));
        }
        Ok(Self { sub_branches, names, managers })
    }
}

impl ImportLookups for Lookups {
    fn sub_branch_by_code(&self, code: &str) -> Option<OrgUnitId> {
        self.sub_branches.get(code).copied()
    }

    fn sub_branch_by_name(&self, name: &str) -> UnitByName {
        match self.names.get(name) {
            None => UnitByName::Unknown,
            Some(Some(id)) => UnitByName::One(*id),
            Some(None) => UnitByName::Shared,
        }
    }

    fn customer_manager(&self, username: &str) -> Option<(StaffId, OrgUnitId)> {
        // Logins are stored lower case; most files write them so, and need no copy.
        if username.chars().any(char::is_uppercase) {
            self.managers.get(&username.to_lowercase()).copied()
        } else {
            self.managers.get(username).copied()
        }
    }
}

/// The dry run's verdict and the problems to store.
#[derive(Debug)]
pub struct DryRun {
    pub validation: ImportValidation,
    pub problems: Vec<ImportProblem>,
}

fn refused(status: ImportStatus, message: Text, headers_json: String) -> DryRun {
    let validation = ImportValidation {
        status,
        headers_json,
        file_error: Some(crate::stored_text::encode(&message)),
        total_rows: 0,
        good_rows: 0,
        bad_rows: 0,
        preview: UpsertCounts::default(),
        remembered_mapping: None,
    };
    DryRun { validation, problems: Vec::new() }
}

/// A row with non-empty cells beyond the header has lost its alignment: its values would land in the
/// wrong fields, so it is rejected rather than guessed at.
fn misaligned(cells: &[&str], headers: usize) -> bool {
    cells.len() > headers && cells[headers..].iter().any(|c| !c.trim().is_empty())
}

/// Whom the dry run tells as it goes (it runs on a blocking thread; the job relays to the store).
pub trait DryRunSink {
    /// Rows read so far.
    fn progress(&self, rows: i64);
    /// The mapping remembered for this header row (JSON header → field), asked only when the import
    /// brought none of its own.
    fn remembered(&self, headers: &[String]) -> Option<String>;
    /// The fields the file fills, then its good rows sealed in batches, for the preview of what a
    /// commit would do. `false` when nobody listens any more.
    fn good_rows(&self, produced: Produced) -> bool;
}

/// Validates every row, judging dates on `today`; nothing is written. A template's notes and example
/// rows are skipped (and not counted), as the commit skips them.
pub fn dry_run(
    bytes: &[u8],
    overrides: &HashMap<String, Field>,
    lookups: &Lookups,
    vault: &Vault,
    today: NaiveDate,
    sink: &dyn DryRunSink,
) -> DryRun {
    let table = match Table::open(bytes) {
        Ok(t) => t,
        Err(e) => return refused(ImportStatus::Rejected, e.text(), "[]".into()),
    };
    let headers = table.headers().to_vec();
    let headers_json = serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into());
    // The import's own mapping wins; without one, the mapping last chosen for these headers is used,
    // and recorded as the import's, so the commit reads the file the same way.
    let remembered = if overrides.is_empty() {
        sink.remembered(&headers).filter(|json| parse_mapping(json).is_ok_and(|m| !m.is_empty()))
    } else {
        None
    };
    let remembered_overrides = remembered.as_deref().map(|json| parse_mapping(json).unwrap_or_default());
    let overrides = remembered_overrides.as_ref().unwrap_or(overrides);
    let mapping = match HeaderMapping::new(&headers, overrides) {
        Ok(m) => m,
        Err(e) => {
            let mut d = refused(ImportStatus::NeedsMapping, e.text(), headers_json);
            d.validation.remembered_mapping = remembered;
            return d;
        }
    };
    let mut listening = sink.good_rows(Produced::Fields(UpsertFields(mapping.fields())));
    let mut validator = RowValidator::new(mapping, lookups, today);
    let (mut total, mut good, mut bad) = (0i64, 0i64, 0i64);
    let mut problems = Vec::new();
    let mut kept_row_bytes = 0usize;
    let mut batch = Vec::new();
    let read = table.for_each_row(&mut |line, cells| {
        if is_note_row(cells) {
            return ControlFlow::Continue(());
        }
        total += 1;
        let result = if misaligned(cells, headers.len()) {
            Err(vec![siyu_domain::import::RowProblem {
                column: "*".into(),
                code: "wrong_column_count".into(),
                message: Text::new("import.row_too_wide").arg("cells", cells.len()).arg("header", headers.len()),
            }])
        } else {
            validator.validate(cells)
        };
        match result {
            Ok(draft) => {
                good += 1;
                if listening {
                    batch.push(vault.seal_customer(draft));
                    if batch.len() == PREVIEW_BATCH_ROWS {
                        listening = sink.good_rows(Produced::Batch(std::mem::take(&mut batch)));
                    }
                }
            }
            Err(ps) => {
                bad += 1;
                if problems.len() < MAX_STORED_PROBLEMS {
                    let raw = if kept_row_bytes < MAX_KEPT_ROW_BYTES {
                        vault.seal_text(ROW_LABEL, &serde_json::to_string(cells).unwrap_or_default())
                    } else {
                        vault.seal_text(ROW_LABEL, "[]")
                    };
                    kept_row_bytes = kept_row_bytes.saturating_add(raw.len() * ps.len());
                    for p in ps {
                        problems.push(ImportProblem {
                            row_no: line,
                            column: p.column,
                            code: p.code,
                            message: bounded(p.message),
                            raw_json: raw.clone(),
                        });
                    }
                }
            }
        }
        if total % 10_000 == 0 {
            sink.progress(total);
        }
        ControlFlow::Continue(())
    });
    if let Err(e) = read {
        return refused(ImportStatus::Rejected, e.text(), headers_json);
    }
    if listening && !batch.is_empty() {
        sink.good_rows(Produced::Batch(batch));
    }
    sink.progress(total);
    let validation = ImportValidation {
        status: ImportStatus::Validated,
        headers_json,
        file_error: None,
        total_rows: total,
        good_rows: good,
        bad_rows: bad,
        preview: UpsertCounts::default(),
        remembered_mapping: remembered,
    };
    DryRun { validation, problems }
}

/// Good rows per preview question to the store: small enough that a batch waiting for the store
/// holds little, large enough that a million rows are a few hundred questions.
const PREVIEW_BATCH_ROWS: usize = 5_000;

/// Operator overrides of header → field, as JSON `{"手机": "phone", "备注": "ignore"}`, bounded
/// before they are parsed: at most [`MAX_MAPPING_BYTES`] of text and [`MAX_MAPPING_COLUMNS`] columns.
pub fn parse_mapping(json: &str) -> Result<HashMap<String, Field>, MappingError> {
    if json.trim().is_empty() {
        return Ok(HashMap::new());
    }
    if json.len() > MAX_MAPPING_BYTES {
        return Err(MappingError::TooLong);
    }
    let m: HashMap<String, Field> = serde_json::from_str(json).map_err(|e| MappingError::Unreadable(e.to_string()))?;
    if m.len() > MAX_MAPPING_COLUMNS {
        return Err(MappingError::TooMany);
    }
    Ok(m)
}

/// The longest mapping text read (the API's `mapping` field, a remembered mapping): the console's
/// whole form is at most 64 KiB too.
pub const MAX_MAPPING_BYTES: usize = 64 << 10;
/// The most columns a mapping may name: as many as a file may have (`reader::Limits::max_columns`).
pub const MAX_MAPPING_COLUMNS: usize = 512;

/// Why a column mapping was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the mapping is longer than {MAX_MAPPING_BYTES} bytes")]
    TooLong,
    #[error("the mapping names more than {MAX_MAPPING_COLUMNS} columns")]
    TooMany,
    #[error("{0}")]
    Unreadable(String),
}

/// What the producer thread sends to the committer.
#[derive(Debug)]
pub enum Produced {
    /// First message: which fields the file fills (so absent ones are left alone on existing customers).
    Fields(UpsertFields),
    Batch(Vec<NewCustomer>),
    Failed(String),
}

/// Walks the file on the calling (blocking) thread, skipping the first `skip` good rows (already
/// committed), and sends sealed batches of good rows. Stops early if the receiver is gone. `today` must
/// be the day the dry run judged on.
pub fn produce(
    bytes: &[u8],
    overrides: &HashMap<String, Field>,
    lookups: &Lookups,
    vault: &Vault,
    today: NaiveDate,
    skip: i64,
    tx: &mpsc::Sender<Produced>,
) {
    let table = match Table::open(bytes) {
        Ok(t) => t,
        Err(e) => {
            let _ = tx.blocking_send(Produced::Failed(e.to_string()));
            return;
        }
    };
    let headers = table.headers().len();
    let mapping = match HeaderMapping::new(table.headers(), overrides) {
        Ok(m) => m,
        Err(e) => {
            let _ = tx.blocking_send(Produced::Failed(e.to_string()));
            return;
        }
    };
    if tx.blocking_send(Produced::Fields(UpsertFields(mapping.fields()))).is_err() {
        return;
    }
    let mut validator = RowValidator::new(mapping, lookups, today);
    let mut seen_good = 0i64;
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let read = table.for_each_row(&mut |_, cells| {
        if is_note_row(cells) || misaligned(cells, headers) {
            return ControlFlow::Continue(());
        }
        // Every row goes through the validator, even skipped ones: it remembers customer numbers, and
        // a duplicate must be caught the same way on a resumed run.
        let Ok(draft) = validator.validate(cells) else { return ControlFlow::Continue(()) };
        seen_good += 1;
        if seen_good <= skip {
            return ControlFlow::Continue(());
        }
        batch.push(vault.seal_customer(draft));
        if batch.len() == BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if tx.blocking_send(Produced::Batch(full)).is_err() {
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    match read {
        Err(e) => {
            let _ = tx.blocking_send(Produced::Failed(e.to_string()));
        }
        Ok(()) if !batch.is_empty() => {
            let _ = tx.blocking_send(Produced::Batch(batch));
        }
        Ok(()) => {}
    }
}

/// Starts [`produce`] on a blocking thread and returns the receiving end.
pub fn spawn_producer(
    bytes: Arc<Vec<u8>>,
    overrides: HashMap<String, Field>,
    lookups: Arc<Lookups>,
    vault: Arc<Vault>,
    today: NaiveDate,
    skip: i64,
) -> mpsc::Receiver<Produced> {
    // Two batches in flight: one being written, one being prepared.
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || produce(&bytes, &overrides, &lookups, &vault, today, skip, &tx));
    rx
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_problem_quoting_a_long_cell_is_kept_short() {
        use siyu_domain::lang::{Lang, Text};
        let long = Text::new("value.bad_customer_no").arg("value", "9".repeat(30_000));
        let kept = crate::stored_text::decode(&super::bounded(long)).render(Lang::En);
        assert!(kept.chars().count() < super::MAX_MESSAGE_CHARS + 60, "{}", kept.len());
        assert!(kept.ends_with('…') && kept.starts_with("Customer number"), "{kept}");
        assert_eq!(crate::stored_text::decode(&super::bounded(Text::from("短"))).render(Lang::Zh), "短");
    }
}

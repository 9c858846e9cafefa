//! Customer file import: reading CSV/XLSX bytes in any encoding banks use, the dry run, and the
//! checkpointed commit. The rules for a good row live in `siyu_domain::import`.

pub mod pipeline;
pub mod reader;
mod xlsx_guard;

use siyu_store::ImportRecord;

/// The vault label of uploaded files.
pub(crate) const UPLOAD_LABEL: &str = "upload";

/// The day an import's rows are judged on ("is this date in the future?"): the bank date of the upload,
/// the same for its dry run, a re-mapped dry run and its commit, however long after they run.
pub fn judged_on(rec: &ImportRecord) -> chrono::NaiveDate {
    rec.created_at.bank_date()
}

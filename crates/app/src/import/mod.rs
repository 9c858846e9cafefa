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

/// The key a header row's remembered column mapping is stored under: a SHA-256 of the headers as the
/// import compares them (`siyu_domain::import::header_set_key`), so the key is short however long the
/// headers, and two spellings of one header row (`ＡＵＭ 等级`, `aum等级`) share it.
pub fn header_key(headers: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(siyu_domain::import::header_set_key(headers).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

//! Customer file import: reading CSV/XLSX bytes in any encoding banks use, the dry run, and the
//! checkpointed commit. The rules for a good row live in `siyu_domain::import`.

pub mod pipeline;
pub mod reader;
mod xlsx_guard;

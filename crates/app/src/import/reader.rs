//! Turns uploaded bytes into a header row and data rows of text, within bounds checked before the work.
//!
//! CSV arrives as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or GBK/GB18030 (most
//! Chinese bank exports). Encoding is detected, never guessed into mojibake: bytes that are valid in none
//! of these are refused. XLSX is streamed cell by cell with calamine; numbers that Excel stored as floats
//! (phone numbers, customer numbers) come back as plain digits.
//!
//! A spreadsheet is hostile until proven otherwise. calamine's ranges allocate every cell between `A1`
//! and the farthest cell a sheet names, so a 5 KB file naming `XFD1048576` asks for gigabytes; and a
//! zip may unpack a thousand times larger than it is. So: before calamine sees a workbook, every part of
//! the zip is unpacked once into nothing, counting bytes and the longest XML token ([`check_xlsx`]); then
//! the sheet is read as a stream of cells ([`Table::for_each_row`]), one row in memory at a time, with
//! rows, columns and cell length bounded ([`Limits`]). Legacy `.xls` and other formats calamine reads
//! only whole are refused with a message asking for XLSX or CSV.

use siyu_domain::lang::Text;
use std::borrow::Cow;
use std::io::Cursor;
use std::ops::ControlFlow;

use calamine::{DataRef, Reader, Xlsx};

/// How much of a file siyu will read at most. Checked as the file is read, before the work a larger
/// file would cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Data rows with any content.
    pub max_rows: usize,
    /// Columns, counted from the first (A).
    pub max_columns: usize,
    /// Characters in one cell (Excel's own limit is 32,767).
    pub max_cell_chars: usize,
    /// Bytes of all cells of one row together (what a kept row, such as a rejected one, costs).
    pub max_row_bytes: usize,
    /// Bytes an XLSX may unpack to, all parts together.
    pub max_unpacked_bytes: u64,
    /// Bytes of any part outside `xl/worksheets/`: the shared-string table above all, which calamine
    /// holds in memory whole.
    pub max_part_bytes: u64,
    /// Entries of the shared-string table.
    pub max_shared_strings: u64,
    /// The longest XML tag or text an XLSX part may hold (the XML reader buffers one whole).
    pub max_xml_token_bytes: usize,
    /// The most XML between two cell, row or shared-string boundaries (calamine joins a cell's runs).
    pub max_cell_xml_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 5_000_000,
            max_columns: 512,
            max_cell_chars: 32_767,
            max_row_bytes: 128 << 10,
            max_unpacked_bytes: 1 << 30,
            max_part_bytes: 128 << 20,
            max_shared_strings: 4_000_000,
            // A full cell of four-byte characters, every one escaped as an entity, fits well within.
            max_xml_token_bytes: 1 << 20,
            // A full cell in rich text (a run of formatting around every character) fits within.
            max_cell_xml_bytes: 4 << 20,
        }
    }
}

/// Why a file as a whole could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.text())]
pub enum FileError {
    Encoding,
    Empty,
    Spreadsheet(String),
    UnsupportedFormat,
    Csv(String),
    TooManyRows { limit: usize },
    TooManyColumns { line: i64, limit: usize },
    CellTooLong { line: i64, limit: usize },
    RowTooLong { line: i64, limit_kib: usize },
    Unpacked { limit_mib: u64 },
    RowsOutOfOrder { line: i64 },
}

impl FileError {
    /// What to tell the operator, in words of the catalogue (`file.*`).
    pub fn text(&self) -> Text {
        match self {
            Self::Encoding => Text::new("file.encoding"),
            Self::Empty => Text::new("file.empty"),
            Self::Spreadsheet(d) => Text::new("file.spreadsheet").arg("detail", d),
            Self::UnsupportedFormat => Text::new("file.unsupported_format"),
            Self::Csv(d) => Text::new("file.csv").arg("detail", d),
            Self::TooManyRows { limit } => Text::new("file.too_many_rows").arg("limit", limit),
            Self::TooManyColumns { line, limit } => {
                Text::new("file.too_many_columns").arg("line", line).arg("limit", limit)
            }
            Self::CellTooLong { line, limit } => Text::new("file.cell_too_long").arg("line", line).arg("limit", limit),
            Self::RowTooLong { line, limit_kib } => {
                Text::new("file.row_too_long").arg("line", line).arg("limit_kib", limit_kib)
            }
            Self::Unpacked { limit_mib } => Text::new("file.unpacked").arg("limit_mib", limit_mib),
            Self::RowsOutOfOrder { line } => Text::new("file.rows_out_of_order").arg("line", line),
        }
    }
}

/// Text from bytes: BOMs honoured, UTF-8 tried first, then GB18030 (a superset of GBK and GB2312).
pub fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), FileError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(|s| (Cow::Borrowed(s), "UTF-8")).map_err(|_| FileError::Encoding);
    }
    for (bom, enc) in [(&b"\xFF\xFE"[..], encoding_rs::UTF_16LE), (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE)] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, had_errors) = enc.decode_without_bom_handling(rest);
            return if had_errors { Err(FileError::Encoding) } else { Ok((text, enc.name())) };
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(s), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors { Err(FileError::Encoding) } else { Ok((text, "GBK")) }
}

/// Whether the bytes are a zip (as XLSX is).
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Whether the bytes are an OLE compound file (legacy `.xls`, or an encrypted workbook).
fn is_ole(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Whether the bytes are a spreadsheet rather than text.
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    is_zip(bytes) || is_ole(bytes)
}

pub use super::xlsx_guard::check_xlsx;

/// One data row: its line number as a spreadsheet or editor shows it (first line = 1) and its cells.
pub type RowVisitor<'a> = dyn FnMut(i64, &[&str]) -> ControlFlow<()> + 'a;

/// What a walk over a file's rows calls for each row with content; an error stops the walk.
type Walker<'a> = dyn FnMut(i64, &[&str]) -> Result<ControlFlow<()>, FileError> + 'a;

/// A readable file: the header row and a way to walk the data rows without holding them all.
pub enum Table<'a> {
    /// `header_line` is the line of the header; rows before it (a title) are skipped.
    Csv { text: Cow<'a, str>, headers: Vec<String>, header_line: i64, encoding: &'static str, limits: Limits },
    /// The first sheet of an XLSX, read again from the bytes for each walk.
    Sheet { bytes: &'a [u8], sheet: String, headers: Vec<String>, header_line: i64, limits: Limits },
}

impl std::fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("headers", &self.headers()).finish_non_exhaustive()
    }
}

fn cell_text(d: &DataRef<'_>) -> Cow<'static, str> {
    match d {
        DataRef::Empty => Cow::Borrowed(""),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cow::Owned(s.clone()),
        DataRef::SharedString(s) => Cow::Owned((*s).to_owned()),
        DataRef::Int(i) => Cow::Owned(i.to_string()),
        // Excel keeps 13812341234 as 1.3812341234E10; integers print without a fraction.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => Cow::Owned(format!("{}", *f as i64)),
        DataRef::Float(f) => Cow::Owned(f.to_string()),
        DataRef::Bool(b) => Cow::Borrowed(if *b { "是" } else { "否" }),
        DataRef::DateTime(dt) => {
            Cow::Owned(dt.as_datetime().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default())
        }
        DataRef::Error(e) => Cow::Owned(format!("#{e:?}")),
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes())
}

/// A file's title rows come before its header; the header is the first row, within this many rows
/// with content, that looks like one.
pub const HEADER_SEARCH_ROWS: usize = 10;

/// Whether a row looks like a header: at least two cells name known fields, or all of a row's one or
/// two filled cells do (a one-column list headed 客户号).
pub fn looks_like_header(cells: &[&str]) -> bool {
    let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
    let known = siyu_domain::import::header_score(cells);
    known >= 1 && known >= filled.min(2)
}

/// Checks a CSV record against the column, cell and row bounds (an XLSX row is checked as it is built,
/// in [`walk_sheet`], before it is whole).
fn check_row(line: i64, cells: &[&str], limits: &Limits) -> Result<(), FileError> {
    if cells.len() > limits.max_columns && cells[limits.max_columns..].iter().any(|c| !c.trim().is_empty()) {
        return Err(FileError::TooManyColumns { line, limit: limits.max_columns });
    }
    // Bytes bound characters from above, so most cells are checked without counting.
    if cells.iter().any(|c| c.len() > limits.max_cell_chars && c.chars().count() > limits.max_cell_chars) {
        return Err(FileError::CellTooLong { line, limit: limits.max_cell_chars });
    }
    if cells.iter().map(|c| c.len()).sum::<usize>() > limits.max_row_bytes {
        return Err(FileError::RowTooLong { line, limit_kib: limits.max_row_bytes >> 10 });
    }
    Ok(())
}

/// Walks the rows with content of an XLSX sheet, in order, one row in memory at a time; cells beyond
/// `max_columns` must be empty and are never stored.
fn walk_sheet(bytes: &[u8], sheet: &str, limits: &Limits, visit: &mut Walker<'_>) -> Result<(), FileError> {
    let unreadable = |e: calamine::XlsxError| FileError::Spreadsheet(e.to_string());
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut cells = wb.worksheet_cells_reader(sheet).map_err(unreadable)?;
    let mut row: Vec<String> = Vec::new();
    let mut row_bytes = 0usize;
    let mut current: Option<u32> = None;
    let mut flush = |r: u32, row: &mut Vec<String>| -> Result<ControlFlow<()>, FileError> {
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        let flow = if refs.iter().all(|c| c.trim().is_empty()) {
            ControlFlow::Continue(())
        } else {
            visit(i64::from(r) + 1, &refs)?
        };
        row.clear();
        Ok(flow)
    };
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        let line = i64::from(r) + 1;
        if current != Some(r) {
            if let Some(prev) = current {
                if r < prev {
                    return Err(FileError::RowsOutOfOrder { line });
                }
                if flush(prev, &mut row)?.is_break() {
                    return Ok(());
                }
            }
            current = Some(r);
            row_bytes = 0;
        }
        let text = cell_text(cell.get_value());
        if text.trim().is_empty() {
            continue;
        }
        let c = c as usize;
        if c >= limits.max_columns {
            return Err(FileError::TooManyColumns { line, limit: limits.max_columns });
        }
        if text.len() > limits.max_cell_chars && text.chars().count() > limits.max_cell_chars {
            return Err(FileError::CellTooLong { line, limit: limits.max_cell_chars });
        }
        // Counted as the row is built, so a row of many long cells is refused before it is whole.
        row_bytes += text.len();
        if row_bytes > limits.max_row_bytes {
            return Err(FileError::RowTooLong { line, limit_kib: limits.max_row_bytes >> 10 });
        }
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text.into_owned();
    }
    if let Some(prev) = current {
        let _done = flush(prev, &mut row)?;
    }
    Ok(())
}

/// The header among the first rows: the first that `is_header` accepts, else the first.
fn pick_header(
    first: Vec<(i64, Vec<String>)>,
    is_header: &dyn Fn(&[&str]) -> bool,
) -> Result<(i64, Vec<String>), FileError> {
    let pos = first
        .iter()
        .position(|(_, cells)| is_header(&cells.iter().map(String::as_str).collect::<Vec<_>>()))
        .unwrap_or(0);
    let (line, headers) = first.into_iter().nth(pos).ok_or(FileError::Empty)?;
    let headers = headers.into_iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
    Ok((line, headers))
}

impl<'a> Table<'a> {
    /// Reads the header row (see [`pick_header`]) with the default limits; data rows are read by
    /// [`Table::for_each_row`].
    pub fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        Self::open_with(bytes, Limits::default())
    }

    pub fn open_with(bytes: &'a [u8], limits: Limits) -> Result<Self, FileError> {
        Self::open_finding(bytes, limits, &looks_like_header)
    }

    /// As [`Table::open_with`], for a file of another kind than customers: `is_header` says which of
    /// the first rows is its header (the product catalogue knows its own column names).
    pub fn open_finding(
        bytes: &'a [u8],
        limits: Limits,
        is_header: &dyn Fn(&[&str]) -> bool,
    ) -> Result<Self, FileError> {
        let mut first = Vec::new();
        let mut keep = |line: i64, cells: &[&str]| {
            first.push((line, cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()));
            Ok(if first.len() == HEADER_SEARCH_ROWS { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        };
        if is_ole(bytes) {
            return Err(FileError::UnsupportedFormat);
        }
        if is_zip(bytes) {
            check_xlsx(bytes, &limits)?;
            let wb = Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
                calamine::XlsxError::Zip(_) | calamine::XlsxError::FileNotFound(_) => FileError::UnsupportedFormat,
                other => FileError::Spreadsheet(other.to_string()),
            })?;
            let sheet = wb.sheet_names().first().cloned().ok_or(FileError::Empty)?;
            // Its shared strings go before the walk reads them again.
            drop(wb);
            walk_sheet(bytes, &sheet, &limits, &mut keep)?;
            let (header_line, headers) = pick_header(first, is_header)?;
            return Ok(Table::Sheet { bytes, sheet, headers, header_line, limits });
        }
        let (text, encoding) = decode_text(bytes)?;
        walk_csv(&text, &limits, &mut keep)?;
        let (header_line, headers) = pick_header(first, is_header)?;
        Ok(Table::Csv { text, headers, header_line, encoding, limits })
    }

    pub fn headers(&self) -> &[String] {
        match self {
            Table::Csv { headers, .. } | Table::Sheet { headers, .. } => headers,
        }
    }

    /// The line the header was found on (1 unless the file opens with a title).
    pub fn header_line(&self) -> i64 {
        match self {
            Table::Csv { header_line, .. } | Table::Sheet { header_line, .. } => *header_line,
        }
    }

    /// "UTF-8", "GBK", "UTF-16LE", or "XLSX".
    pub fn encoding(&self) -> &'static str {
        match self {
            Table::Csv { encoding, .. } => encoding,
            Table::Sheet { .. } => "XLSX",
        }
    }

    /// Calls `visit` for each data row (after the header) that has any content, in file order. Blank
    /// rows (common at the end of exported sheets) are skipped; more than `max_rows` of them is an error
    /// once the next one is reached.
    pub fn for_each_row(&self, visit: &mut RowVisitor<'_>) -> Result<(), FileError> {
        let (header_line, limits) = match self {
            Table::Csv { header_line, limits, .. } | Table::Sheet { header_line, limits, .. } => {
                (*header_line, *limits)
            }
        };
        let mut rows = 0usize;
        let mut each = |line: i64, cells: &[&str]| {
            if line <= header_line {
                return Ok(ControlFlow::Continue(()));
            }
            rows += 1;
            if rows > limits.max_rows {
                return Err(FileError::TooManyRows { limit: limits.max_rows });
            }
            Ok(visit(line, cells))
        };
        match self {
            Table::Csv { text, .. } => walk_csv(text, &limits, &mut each),
            Table::Sheet { bytes, sheet, .. } => walk_sheet(bytes, sheet, &limits, &mut each),
        }
    }
}

/// Walks the records of a CSV text that have any content, with their line numbers, each checked
/// against the bounds before it is visited.
fn walk_csv(text: &str, limits: &Limits, visit: &mut Walker<'_>) -> Result<(), FileError> {
    let mut rdr = csv_reader(text);
    let mut rec = csv::StringRecord::new();
    // Line numbers are counted from byte offsets: the csv reader skips blank lines without counting
    // them, and an operator looks rows up by the line their editor shows.
    let (mut line, mut counted_to) = (1i64, 0usize);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(FileError::Csv(e.to_string())),
        }
        let mut start = rec.position().map(|p| p.byte() as usize).unwrap_or(counted_to).min(text.len());
        // The reported position is where reading began, before any blank lines it skipped.
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start].iter().filter(|&&b| b == b'\n').count() as i64;
        counted_to = start;
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<&str> = rec.iter().collect();
        check_row(line, &cells, limits)?;
        if visit(line, &cells)?.is_break() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests;

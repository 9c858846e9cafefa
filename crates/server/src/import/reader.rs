//! Turns uploaded bytes into a header row and data rows of text.
//!
//! CSV arrives as UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") or GBK/GB18030 (most
//! Chinese bank exports). Encoding is detected, never guessed into mojibake: bytes that are valid in none
//! of these are refused. XLSX/XLS are read with calamine; numbers that Excel stored as floats (phone
//! numbers, customer numbers) come back as plain digits.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Reader};

/// Why a file as a whole could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("文件编码无法识别（支持 UTF-8、UTF-16、GBK）/ the file is not UTF-8, UTF-16 or GBK text")]
    Encoding,
    #[error("文件为空或没有表头 / the file is empty or has no header row")]
    Empty,
    #[error("无法读取表格文件 / not a readable spreadsheet: {0}")]
    Spreadsheet(String),
    #[error("CSV 格式错误 / malformed CSV: {0}")]
    Csv(String),
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

/// Whether the bytes are a spreadsheet (a zip, as XLSX is, or an OLE file, as XLS is) rather than text.
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// One data row: its line number as a spreadsheet shows it (header = 1) and its cells.
pub type RowVisitor<'a> = dyn FnMut(i64, &[&str]) -> std::ops::ControlFlow<()> + 'a;

/// A readable file: the header row and a way to walk the data rows without holding them all.
pub enum Table<'a> {
    Csv { text: Cow<'a, str>, headers: Vec<String>, encoding: &'static str },
    Sheet { rows: Vec<Vec<String>>, headers: Vec<String> },
}

impl std::fmt::Debug for Table<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("headers", &self.headers()).finish_non_exhaustive()
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Excel keeps 13812341234 as 1.3812341234E10; integers print without a fraction.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(dt) => dt.as_datetime().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes())
}

impl<'a> Table<'a> {
    /// Reads the header row; data rows are read by [`Table::for_each_row`].
    pub fn open(bytes: &'a [u8]) -> Result<Self, FileError> {
        if is_spreadsheet(bytes) {
            let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
                .map_err(|e| FileError::Spreadsheet(e.to_string()))?;
            let range =
                wb.worksheet_range_at(0).ok_or(FileError::Empty)?.map_err(|e| FileError::Spreadsheet(e.to_string()))?;
            let mut rows = range.rows().map(|r| r.iter().map(cell_text).collect::<Vec<_>>());
            let headers = rows.next().ok_or(FileError::Empty)?;
            if headers.iter().all(|h| h.trim().is_empty()) {
                return Err(FileError::Empty);
            }
            return Ok(Table::Sheet { rows: rows.collect(), headers });
        }
        let (text, encoding) = decode_text(bytes)?;
        let mut rdr = csv_reader(&text);
        let mut rec = csv::StringRecord::new();
        let got = rdr.read_record(&mut rec).map_err(|e| FileError::Csv(e.to_string()))?;
        if !got || rec.iter().all(|h| h.trim().is_empty()) {
            return Err(FileError::Empty);
        }
        let headers = rec.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
        Ok(Table::Csv { text, headers, encoding })
    }

    pub fn headers(&self) -> &[String] {
        match self {
            Table::Csv { headers, .. } | Table::Sheet { headers, .. } => headers,
        }
    }

    /// "UTF-8", "GBK", "UTF-16LE", or "XLSX".
    pub fn encoding(&self) -> &'static str {
        match self {
            Table::Csv { encoding, .. } => encoding,
            Table::Sheet { .. } => "XLSX",
        }
    }

    /// Calls `visit` for each data row that has any content, in file order. Blank rows (common at the end
    /// of exported sheets) are skipped.
    pub fn for_each_row(&self, visit: &mut RowVisitor<'_>) -> Result<(), FileError> {
        match self {
            Table::Csv { text, .. } => {
                let mut rdr = csv_reader(text);
                let mut rec = csv::StringRecord::new();
                rdr.read_record(&mut rec).map_err(|e| FileError::Csv(e.to_string()))?;
                // Line numbers are counted from byte offsets: the csv reader skips blank lines without
                // counting them, and an operator looks rows up by the line their editor shows.
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
                    if visit(line, &cells).is_break() {
                        return Ok(());
                    }
                }
            }
            Table::Sheet { rows, .. } => {
                for (i, row) in rows.iter().enumerate() {
                    if row.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let cells: Vec<&str> = row.iter().map(String::as_str).collect();
                    if visit(i as i64 + 2, &cells).is_break() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &Table) -> Vec<(i64, Vec<String>)> {
        let mut out = Vec::new();
        t.for_each_row(&mut |line, cells| {
            out.push((line, cells.iter().map(|c| c.to_string()).collect()));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        out
    }

    #[test]
    fn gbk_csv_is_decoded_not_garbled() {
        let (bytes, _, _) = encoding_rs::GBK.encode("客户号,姓名\nC1,王芳\n");
        let t = Table::open(&bytes).unwrap();
        assert_eq!(t.encoding(), "GBK");
        assert_eq!(t.headers(), ["客户号", "姓名"]);
        assert_eq!(rows(&t), [(2, vec!["C1".to_string(), "王芳".to_string()])]);
    }

    #[test]
    fn utf8_bom_and_utf16_are_read() {
        let t = Table::open("\u{feff}客户号,姓名\r\nC1,李雷\r\n\r\n,\r\nC2,韩梅梅\r\n".as_bytes()).unwrap();
        assert_eq!(t.headers(), ["客户号", "姓名"]);
        let r = rows(&t);
        assert_eq!((r.len(), r[1].0), (2, 5), "blank rows skipped, line numbers kept");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "客户号,姓名\nC1,王芳\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(rows(&Table::open(&utf16).unwrap())[0].1[1], "王芳");
    }

    #[test]
    fn undecodable_and_empty_files_are_refused() {
        assert_eq!(Table::open(&[0x81, 0x20, 0xFF, 0xFF, 0x30]).unwrap_err(), FileError::Encoding);
        assert_eq!(Table::open(b"").unwrap_err(), FileError::Empty);
        assert_eq!(Table::open(b" , \n").unwrap_err(), FileError::Empty);
        assert!(matches!(Table::open(b"PK\x03\x04garbage").unwrap_err(), FileError::Spreadsheet(_)));
    }
}

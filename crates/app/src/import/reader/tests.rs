//! Reader tests: encodings, title rows, and hostile spreadsheets refused within their bounds.

use std::io::Write;

use super::*;

fn rows(t: &Table) -> Vec<(i64, Vec<String>)> {
    let mut out = Vec::new();
    t.for_each_row(&mut |line, cells| {
        out.push((line, cells.iter().map(|c| c.to_string()).collect()));
        ControlFlow::Continue(())
    })
    .unwrap();
    out
}

/// Every data row, or the first error opening or walking the file.
fn read_all(bytes: &[u8], limits: Limits) -> Result<usize, FileError> {
    let mut n = 0;
    Table::open_with(bytes, limits)?.for_each_row(&mut |_, _| {
        n += 1;
        ControlFlow::Continue(())
    })?;
    Ok(n)
}

/// An XLSX with the given cells on its first sheet.
fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, c, v) in cells {
        ws.write_string(*r, *c, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// A zip holding the given parts, deflated.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in parts {
        w.start_file(*name, opts).unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
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

#[test]
fn legacy_xls_and_other_zips_ask_for_xlsx_or_csv() {
    let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0];
    assert_eq!(Table::open(&ole).unwrap_err(), FileError::UnsupportedFormat);
    let not_a_workbook = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")]);
    assert_eq!(Table::open(&not_a_workbook).unwrap_err(), FileError::UnsupportedFormat);
}

#[test]
fn a_title_above_the_header_is_skipped() {
    let csv = "某银行客户导出 2026-11-24\n\n客户号,姓名,手机号\nC1,王芳,13812341234\n";
    let t = Table::open(csv.as_bytes()).unwrap();
    assert_eq!((t.header_line(), t.headers()), (3, &["客户号".to_owned(), "姓名".into(), "手机号".into()][..]));
    assert_eq!(rows(&t), [(4, vec!["C1".to_string(), "王芳".into(), "13812341234".into()])]);
    let sheet = xlsx(&[(0, 0, "某银行客户导出"), (1, 0, "客户号"), (1, 1, "姓名"), (2, 0, "C1"), (2, 1, "王芳")]);
    let t = Table::open(&sheet).unwrap();
    assert_eq!((t.header_line(), t.headers().len()), (2, 2));
    assert_eq!(rows(&t), [(3, vec!["C1".to_string(), "王芳".into()])]);
    // No row within the first ten looks like a header: the first row is the header, as before.
    let t = Table::open("编号,名称\nC1,王芳\n".as_bytes()).unwrap();
    assert_eq!((t.header_line(), t.headers()[0].as_str()), (1, "编号"));
}

#[test]
fn a_sheet_naming_its_farthest_cell_is_refused_without_allocating() {
    // A1 and XFD1048576: a dense range would be 17 billion cells.
    let bomb = xlsx(&[(0, 0, "客户号"), (1, 0, "C1"), (1_048_575, 16_383, "x")]);
    assert!(bomb.len() < 10_000, "a few kilobytes");
    assert_eq!(Table::open(&bomb).unwrap_err(), FileError::TooManyColumns { line: 1_048_576, limit: 512 });
    // Past the rows the header is looked for in, the good rows come one at a time before the refusal.
    let mut cells: Vec<(u32, u16, String)> = vec![(0, 0, "客户号".into())];
    cells.extend((1..=20).map(|r| (r, 0, format!("C{r}"))));
    cells.push((1_048_575, 16_383, "x".into()));
    let bomb = xlsx(&cells.iter().map(|(r, c, v)| (*r, *c, v.as_str())).collect::<Vec<_>>());
    let t = Table::open(&bomb).unwrap();
    let mut seen = 0;
    let err = t
        .for_each_row(&mut |_, _| {
            seen += 1;
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert_eq!((err, seen), (FileError::TooManyColumns { line: 1_048_576, limit: 512 }, 20));
    // The last row alone, within the columns, is just a row far down.
    let far = xlsx(&[(0, 0, "客户号"), (1_048_575, 0, "C9")]);
    assert_eq!(rows(&Table::open(&far).unwrap()), [(1_048_576, vec!["C9".to_string()])]);
}

#[test]
fn rows_columns_and_cells_are_bounded() {
    let small = Limits { max_rows: 2, max_columns: 3, max_cell_chars: 5, ..Limits::default() };
    assert_eq!(read_all(b"a,b\n1,2\n3,4\n", small), Ok(2));
    assert_eq!(read_all(b"a,b\n1,2\n3,4\n5,6\n", small), Err(FileError::TooManyRows { limit: 2 }));
    assert_eq!(read_all(b"a,b\n1,2,,,\n", small), Ok(1), "empty cells past the limit are fine");
    assert_eq!(read_all(b"a,b\n1,2,,,\n1,2,,,9\n", small), Err(FileError::TooManyColumns { line: 3, limit: 3 }));
    assert_eq!(read_all("a,b\n王芳王芳王,1\n".as_bytes(), small), Ok(1), "characters are counted, not bytes");
    assert_eq!(read_all("a,b\n王芳王芳王芳,2\n".as_bytes(), small), Err(FileError::CellTooLong { line: 2, limit: 5 }));
    let sheet = xlsx(&[(0, 0, "a"), (1, 0, "123456")]);
    assert_eq!(read_all(&sheet, small), Err(FileError::CellTooLong { line: 2, limit: 5 }));
    let sheet = xlsx(&[(0, 0, "a"), (1, 3, "1")]);
    assert_eq!(read_all(&sheet, small), Err(FileError::TooManyColumns { line: 2, limit: 3 }));
    // A row of many long cells: each within its bound, the row not.
    let narrow = Limits { max_row_bytes: 10, ..Limits::default() };
    assert_eq!(read_all(b"a,b,c\n1234,5678,90\n", narrow), Ok(1));
    assert_eq!(read_all(b"a,b,c\n1234,5678,901\n", narrow), Err(FileError::RowTooLong { line: 2, limit_kib: 0 }));
    let sheet = xlsx(&[(0, 0, "a"), (1, 0, "123456"), (1, 1, "12345")]);
    assert_eq!(read_all(&sheet, narrow), Err(FileError::RowTooLong { line: 2, limit_kib: 0 }));
}

#[test]
fn a_zip_that_unpacks_too_far_is_refused_before_calamine_reads_it() {
    let limits = Limits { max_unpacked_bytes: 4 << 20, max_part_bytes: 1 << 20, ..Limits::default() };
    let mut strings = b"<sst>".to_vec();
    strings.extend(std::iter::repeat_n(b"<si><t>a</t></si>".as_slice(), 70_000).flatten());
    let bomb = zip_of(&[("xl/sharedStrings.xml", &strings)]);
    assert!(bomb.len() < strings.len() / 50, "deflate packs it small");
    assert_eq!(check_xlsx(&bomb, &limits).unwrap_err(), FileError::Unpacked { limit_mib: 4 });
    let five_mib = vec![b'<'; 5 << 20];
    let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &five_mib)]);
    assert_eq!(check_xlsx(&bomb, &limits).unwrap_err(), FileError::Unpacked { limit_mib: 4 });
    let refused = |parts: &[(&str, &[u8])]| check_xlsx(&zip_of(parts), &limits).unwrap_err();
    let unpacked = FileError::Unpacked { limit_mib: 4 };
    // One XML token longer than the reader should ever buffer.
    let long_text = [b"<v>".as_slice(), &vec![b'7'; 2 << 20], b"</v>"].concat();
    assert_eq!(refused(&[("xl/worksheets/sheet1.xml", &long_text)]), unpacked);
    // One cell's text in many short runs, which calamine would join into one string.
    let runs =
        [b"<sheetData><row><c t=\"str\"><v>".as_slice(), &b"aaaaaaaaaa<x/>".repeat(150_000), b"</v></c>"].concat();
    assert!(runs.len() < 4 << 20, "within the unpacked bound: refused for the cell");
    let small = Limits { max_cell_xml_bytes: 1 << 20, ..limits };
    assert_eq!(check_xlsx(&zip_of(&[("xl/worksheets/sheet1.xml", &runs)]), &small).unwrap_err(), unpacked);
    // The same with cell tags between the runs, which calamine skips inside a value.
    let runs =
        [b"<sheetData><row><c t=\"str\"><v>".as_slice(), &b"aaaaaaaaaa<c/>".repeat(150_000), b"</v></c>"].concat();
    assert_eq!(check_xlsx(&zip_of(&[("xl/worksheets/sheet1.xml", &runs)]), &small).unwrap_err(), unpacked);
    // Outside <sheetData> many small elements are fine (merged cells after the data), and binary
    // parts (a logo) are counted, not read as XML.
    let merges = [
        b"<worksheet><sheetData/><mergeCells>".as_slice(),
        &b"<mergeCell ref=\"A1:B2\"/>".repeat(100_000),
        b"</mergeCells></worksheet>",
    ]
    .concat();
    let logo: Vec<u8> = (0..200_000u32)
        .map(|i| {
            if i % 1000 == 0 {
                b'<'
            } else if i % 1000 == 1 {
                b'!'
            } else {
                (i % 251) as u8
            }
        })
        .collect();
    assert!(
        check_xlsx(&zip_of(&[("xl/worksheets/sheet1.xml", &merges), ("xl/media/image1.png", &logo)]), &small).is_ok()
    );
    // A '>' inside a quoted attribute value does not end the tag for the XML reader, nor here.
    let quoted = [b"<c r=\"".as_slice(), &b"x>".repeat(600_000), b"\"/>"].concat();
    assert_eq!(refused(&[("xl/worksheets/sheet1.xml", &quoted)]), unpacked);
    // Comments, CDATA and DOCTYPEs are buffered whole by the reader: none is accepted.
    for bad in
        [&b"<sheetData><!-- x --></sheetData>"[..], b"<v><![CDATA[x]]></v>", b"<!DOCTYPE x><a/>", b"<a/><?pi x?>"]
    {
        assert_eq!(refused(&[("xl/worksheets/sheet1.xml", bad)]), unpacked, "{}", String::from_utf8_lossy(bad));
    }
    // The shared strings under another spelling of their name are still the shared strings.
    let mut strings = b"<sst>".to_vec();
    strings.extend(std::iter::repeat_n(b"<si><t>a</t></si>".as_slice(), 70_000).flatten());
    assert_eq!(refused(&[("XL\\SharedStrings.xml", &strings)]), unpacked);
    // Too many entries, however short.
    let few = Limits { max_shared_strings: 1000, ..limits };
    let many = [b"<sst>".as_slice(), &b"<si/>".repeat(1001), b"</sst>"].concat();
    assert_eq!(check_xlsx(&zip_of(&[("xl/sharedStrings.xml", &many)]), &few).unwrap_err(), unpacked);
    let enough = [b"<sst>".as_slice(), &b"<si/>".repeat(1000), b"</sst>"].concat();
    assert!(check_xlsx(&zip_of(&[("xl/sharedStrings.xml", &enough)]), &few).is_ok(), "1,000 entries are fine");
    assert!(check_xlsx(&xlsx(&[(0, 0, "客户号")]), &limits).is_ok(), "an ordinary workbook passes");
}

//! Before calamine sees a workbook: every part of the zip is unpacked once into nothing, and what
//! calamine would later hold is bounded by what passed here.
//!
//! calamine reads the shared-string table whole, and its XML reader buffers one whole event (a tag, a
//! text, a comment) and joins every text run of a cell into one string before siyu can look at it. So
//! the scan below refuses a workbook when, counted on the unpacked bytes:
//! - the parts together pass `max_unpacked_bytes`, or any part outside `xl/worksheets/` (the shared
//!   strings above all) passes `max_part_bytes`, or the shared strings hold more than
//!   `max_shared_strings` entries;
//! - any tag or text run is longer than `max_xml_token_bytes` (a `>` inside a quoted attribute value
//!   does not end a tag, as it does not for the XML reader);
//! - in a worksheet's `<sheetData>` or the shared strings, the bytes between two cell, row or string
//!   boundaries (`<c`, `</c>`, `<row`, `<si`, …; none counts inside a `v`, `t`, `f` or `is`, whose text
//!   calamine joins across any tag) pass `max_cell_xml_bytes`: one cell's text cannot be split into
//!   many short runs that calamine joins into one huge string;
//! - any part holds `<!` (comments, CDATA, a DOCTYPE: Excel writes none, and the reader buffers each
//!   whole) or `<?` after its first element.
//!
//! Only XML parts (`.xml`, `.rels`, `.vml`) are scanned; pictures and other binary parts are counted.
//! Part names are compared as calamine finds them: case-insensitive, `\` as `/`.

use std::io::{Cursor, Read};

use super::reader::{FileError, Limits};

/// Where the scanner is in the XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Text,
    /// Just after `<`.
    Open,
    /// Inside a tag; `quote` is the quote character of an attribute value being read.
    Tag {
        quote: Option<u8>,
    },
}

/// One part's scan: a byte at a time, so no state is lost between reads.
struct Scan<'l> {
    limits: &'l Limits,
    /// Whether cell boundaries are counted: always in the shared strings, inside `<sheetData>` in a
    /// worksheet (elsewhere every tag end is a boundary: merges, hyperlinks and the like are many small
    /// elements).
    cells: bool,
    sheet: bool,
    /// The value element being read (`v`, `t`, `f`, `is`): calamine joins all text up to its end tag
    /// and skips any other tag in between, so no tag inside it is a boundary.
    in_value: Option<[u8; 2]>,
    /// The last byte of the tag so far was `/` (a self-closing tag, once `>` follows).
    slash: bool,
    at: At,
    token: usize,
    since_boundary: usize,
    /// The start of the tag's name, enough to tell `c`, `row` and `si` (a namespace prefix dropped).
    name: [u8; 16],
    name_len: usize,
    name_done: bool,
    seen_element: bool,
    strings: u64,
}

impl<'l> Scan<'l> {
    fn new(limits: &'l Limits, strings: bool, sheet: bool) -> Self {
        Scan {
            limits,
            cells: strings,
            sheet,
            in_value: None,
            slash: false,
            at: At::Text,
            token: 0,
            since_boundary: 0,
            name: [0; 16],
            name_len: 0,
            name_done: false,
            seen_element: false,
            strings: 0,
        }
    }

    fn end_of_tag(&mut self) {
        let raw = &self.name[..self.name_len];
        let (closing, rest) = match raw.strip_prefix(b"/") {
            Some(r) => (true, r),
            None => (false, raw),
        };
        let local = match rest.iter().position(|&b| b == b':') {
            Some(i) => &rest[i + 1..],
            None => rest,
        };
        // Copied out of `self.name`, so the state below can change while it is looked at.
        let mut copy = [0u8; 16];
        copy[..local.len()].copy_from_slice(local);
        let local = &copy[..local.len()];
        let self_closing = self.slash;
        let key = |l: &[u8]| -> Option<[u8; 2]> {
            matches!(l, b"v" | b"t" | b"f" | b"is").then(|| [l[0], l.get(1).copied().unwrap_or(0)])
        };
        match self.in_value {
            Some(k) if closing && key(local) == Some(k) => self.in_value = None,
            Some(_) => {}
            None if !closing && !self_closing && key(local).is_some() => self.in_value = key(local),
            None if matches!(local, b"c" | b"row" | b"si") => self.since_boundary = 0,
            None => {}
        }
        if self.sheet && local == b"sheetData" && !self_closing {
            self.cells = !closing;
        }
        if !self.cells {
            self.since_boundary = 0;
        }
        if local == b"si" && !closing {
            self.strings += 1;
        }
    }

    fn byte(&mut self, b: u8) -> Result<(), ()> {
        self.token += 1;
        self.since_boundary += 1;
        match self.at {
            At::Text if b == b'<' => {
                self.at = At::Open;
                self.token = 0;
                (self.name_len, self.name_done) = (0, false);
            }
            At::Text => {}
            At::Open => {
                if b == b'!' || (b == b'?' && self.seen_element) {
                    return Err(());
                }
                self.seen_element |= b != b'?';
                self.at = At::Tag { quote: None };
                self.slash = false;
                self.name_char(b);
            }
            At::Tag { quote: Some(q) } => {
                if b == q {
                    self.at = At::Tag { quote: None };
                }
            }
            At::Tag { quote: None } => match b {
                b'"' | b'\'' => {
                    self.name_done = true;
                    self.slash = false;
                    self.at = At::Tag { quote: Some(b) };
                }
                b'>' => {
                    self.end_of_tag();
                    self.at = At::Text;
                    self.token = 0;
                    self.slash = false;
                }
                _ => {
                    self.slash = b == b'/';
                    self.name_char(b);
                }
            },
        }
        let too_long = self.token > self.limits.max_xml_token_bytes
            || (self.cells && self.since_boundary > self.limits.max_cell_xml_bytes)
            || self.strings > self.limits.max_shared_strings;
        if too_long { Err(()) } else { Ok(()) }
    }

    fn name_char(&mut self, b: u8) {
        if self.name_done || b.is_ascii_whitespace() || (b == b'/' && self.name_len > 0) {
            self.name_done = true;
        } else if self.name_len < self.name.len() {
            self.name[self.name_len] = b;
            self.name_len += 1;
        }
    }
}

/// Unpacks every part of a zip into nothing and refuses it past any of the bounds above.
pub fn check_xlsx(bytes: &[u8], limits: &Limits) -> Result<(), FileError> {
    let unreadable = |e: &dyn std::fmt::Display| FileError::Spreadsheet(e.to_string());
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let too_big = FileError::Unpacked { limit_mib: limits.max_unpacked_bytes >> 20 };
    let mut total = 0u64;
    let mut strings = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        let name = part.name().replace('\\', "/").to_ascii_lowercase();
        let sheet = name.starts_with("xl/worksheets/");
        // Pictures, printer settings and macros are not XML: counted, not scanned.
        let xml = [".xml", ".rels", ".vml"].iter().any(|e| name.ends_with(e));
        let mut scan = Scan::new(limits, name == "xl/sharedstrings.xml", sheet);
        let mut size = 0u64;
        loop {
            let n = part.read(&mut buf).map_err(|e| unreadable(&e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if total > limits.max_unpacked_bytes || (!sheet && size > limits.max_part_bytes) {
                return Err(too_big);
            }
            if xml {
                for &b in &buf[..n] {
                    scan.byte(b).map_err(|()| too_big.clone())?;
                }
            }
        }
        strings += scan.strings;
        if strings > limits.max_shared_strings {
            return Err(too_big);
        }
    }
    Ok(())
}

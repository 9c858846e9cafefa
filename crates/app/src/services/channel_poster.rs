//! A channel code's printable poster: one A4 PDF page with the code's name, its sub-branch's name, the
//! QR image WeCom serves for it and a line telling the customer what to do.
//!
//! Chinese text is set in STSong-Light, one of the standard CJK fonts every PDF reader supplies
//! (Adobe-GB1 character collection, `UniGB-UCS2-H` encoding), and is not embedded: siyu ships no font
//! file and fetches none, the PDF stays a few kilobytes plus the image, and Chromium's viewer, Acrobat
//! and poppler draw it with the reader's own Chinese font. The QR image goes in as it came: a JPEG as
//! is, a PNG's compressed data with PNG predictors (or, with an alpha channel, flattened onto white).

use std::fmt::Write as _;
use std::io::{Read, Write};

/// What went wrong reading the QR image for the poster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable QR image: {0}")]
pub struct BadImage(pub &'static str);

/// The words on the poster, in the reader's language.
#[derive(Debug, Clone)]
pub struct PosterText<'a> {
    pub title: &'a str,
    pub sub_branch: &'a str,
    pub call_to_action: &'a str,
}

/// An image as a PDF XObject: its dictionary entries and its stream.
struct PdfImage {
    width: u32,
    height: u32,
    dict: String,
    data: Vec<u8>,
}

/// A4 in points.
const PAGE_W: f64 = 595.28;
const PAGE_H: f64 = 841.89;
/// Width kept clear at each side of a line of text.
const MARGIN: f64 = 48.0;

/// The PDF of a poster with `image` (a PNG or JPEG) as its QR code.
pub fn poster_pdf(text: &PosterText<'_>, image: &[u8]) -> Result<Vec<u8>, BadImage> {
    let img = if image.starts_with(&[0xFF, 0xD8, 0xFF]) { jpeg(image)? } else { png(image)? };
    let mut content = String::new();
    let mut line = |s: &str, size: f64, y: f64| {
        let size = size.min((PAGE_W - 2.0 * MARGIN) * 1000.0 / width_units(s).max(1) as f64);
        let x = (PAGE_W - width_units(s) as f64 * size / 1000.0) / 2.0;
        let _ = writeln!(content, "BT /F1 {size:.1} Tf {x:.1} {y:.1} Td <{}> Tj ET", ucs2_hex(s));
    };
    line(text.title, 30.0, 740.0);
    line(text.sub_branch, 20.0, 700.0);
    line(text.call_to_action, 16.0, 300.0);
    // The QR as a 340-point square (about 12 cm), centred, with a thin frame.
    let side = 340.0;
    let (x, y) = ((PAGE_W - side) / 2.0, 330.0);
    let _ = writeln!(content, "0.6 w {:.1} {:.1} {:.1} {:.1} re S", x - 10.0, y - 10.0, side + 20.0, side + 20.0);
    let scale_h = side * f64::from(img.height) / f64::from(img.width.max(1));
    let _ = writeln!(content, "q {side:.1} 0 0 {scale_h:.1} {x:.1} {y:.1} cm /Im1 Do Q");

    let mut out = Pdf::default();
    out.object("<< /Type /Catalog /Pages 2 0 R >>");
    out.object("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    out.object(&format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> /XObject << /Im1 8 0 R >> >> >>"
    ));
    out.stream("", content.as_bytes());
    out.object(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
    );
    // Half-width Latin (CIDs 1-95) at 500, everything else at the default 1000.
    out.object(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>",
    );
    out.object(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    );
    let dict = format!("/Type /XObject /Subtype /Image /Width {} /Height {} {}", img.width, img.height, img.dict);
    out.stream(&dict, &img.data);
    Ok(out.finish())
}

/// Text width in thousandths of the font size: half-width for ASCII, full width for the rest.
fn width_units(s: &str) -> u32 {
    s.chars().map(|c| if (' '..='~').contains(&c) { 500 } else { 1000 }).sum()
}

/// The text as UCS-2 big-endian hex for `UniGB-UCS2-H` (a character beyond the BMP becomes `?`).
fn ucs2_hex(s: &str) -> String {
    let mut hex = String::with_capacity(s.len() * 4);
    for c in s.chars() {
        let u = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
        let _ = write!(hex, "{u:04X}");
    }
    hex
}

/// Numbered objects and the cross-reference table that finds them.
#[derive(Default)]
struct Pdf {
    body: Vec<u8>,
    offsets: Vec<usize>,
}

impl Pdf {
    fn start(&mut self) {
        if self.body.is_empty() {
            // A binary comment line tells transfer tools the file is binary.
            self.body.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
        }
        self.offsets.push(self.body.len());
        let n = self.offsets.len();
        self.body.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
    }

    fn object(&mut self, dict: &str) {
        self.start();
        self.body.extend_from_slice(dict.as_bytes());
        self.body.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, dict: &str, data: &[u8]) {
        self.start();
        self.body.extend_from_slice(format!("<< {dict} /Length {} >>\nstream\n", data.len()).as_bytes());
        self.body.extend_from_slice(data);
        self.body.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn finish(mut self) -> Vec<u8> {
        let xref = self.body.len();
        let n = self.offsets.len() + 1;
        let mut table = format!("xref\n0 {n}\n0000000000 65535 f \n");
        for o in &self.offsets {
            let _ = writeln!(table, "{o:010} 00000 n ");
        }
        let _ = write!(table, "trailer\n<< /Size {n} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        self.body.extend_from_slice(table.as_bytes());
        self.body
    }
}

/// A JPEG goes in as it is (`DCTDecode`); its size and colours come from its frame header.
fn jpeg(b: &[u8]) -> Result<PdfImage, BadImage> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return Err(BadImage("JPEG markers"));
        }
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        // SOF0-SOF3, SOF5-SOF7, SOF9-SOF11, SOF13-SOF15 carry the frame's size.
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let height = u32::from(u16::from_be_bytes([b[i + 5], b[i + 6]]));
            let width = u32::from(u16::from_be_bytes([b[i + 7], b[i + 8]]));
            let space = match b[i + 9] {
                1 => "/DeviceGray",
                3 => "/DeviceRGB",
                4 => "/DeviceCMYK",
                _ => return Err(BadImage("JPEG colour components")),
            };
            let dict = format!("/ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode");
            return Ok(PdfImage { width, height, dict, data: b.to_vec() });
        }
        i += 2 + len;
    }
    Err(BadImage("JPEG without a frame header"))
}

/// A PNG's compressed rows go in as they are, with the PNG predictors that undo its filters; an image
/// with an alpha channel is unpacked and flattened onto white first (PDF keeps alpha apart).
fn png(b: &[u8]) -> Result<PdfImage, BadImage> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(BadImage("not a PNG"));
    }
    let (mut i, mut ihdr, mut palette, mut idat) = (8, None, Vec::new(), Vec::new());
    while i + 8 <= b.len() {
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        let data = b.get(i + 8..i + 8 + len).ok_or(BadImage("PNG chunk past the end"))?;
        match kind {
            b"IHDR" if len == 13 => ihdr = Some(data.to_vec()),
            b"PLTE" => palette = data.to_vec(),
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        i += 12 + len;
    }
    let h = ihdr.ok_or(BadImage("PNG without a header"))?;
    let width = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let height = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let (depth, color, interlace) = (h[8], h[9], h[12]);
    if width == 0 || height == 0 || width > 4096 || height > 4096 {
        return Err(BadImage("PNG size"));
    }
    if interlace != 0 {
        return Err(BadImage("interlaced PNG"));
    }
    let (colors, space) = match color {
        0 => (1, "/DeviceGray".to_owned()),
        2 => (3, "/DeviceRGB".to_owned()),
        3 if !palette.is_empty() && palette.len() % 3 == 0 => {
            let hex: String = palette.iter().map(|p| format!("{p:02X}")).collect();
            (1, format!("[/Indexed /DeviceRGB {} <{hex}>]", palette.len() / 3 - 1))
        }
        4 | 6 if depth == 8 => return flatten_alpha(&idat, width, height, color == 6),
        _ => return Err(BadImage("PNG colour type")),
    };
    let dict = format!(
        "/ColorSpace {space} /BitsPerComponent {depth} /Filter /FlateDecode \
         /DecodeParms << /Predictor 15 /Colors {colors} /BitsPerComponent {depth} /Columns {width} >>"
    );
    Ok(PdfImage { width, height, dict, data: idat })
}

/// Unpacks an 8-bit grey+alpha or RGBA PNG, lays it on white, and packs it again without alpha.
fn flatten_alpha(idat: &[u8], width: u32, height: u32, rgb: bool) -> Result<PdfImage, BadImage> {
    let channels = if rgb { 4 } else { 2 };
    let stride = width as usize * channels;
    let mut raw = Vec::new();
    let limit = (stride + 1) as u64 * u64::from(height);
    flate2::read::ZlibDecoder::new(idat).take(limit).read_to_end(&mut raw).map_err(|_| BadImage("PNG data"))?;
    if raw.len() as u64 != limit {
        return Err(BadImage("PNG data length"));
    }
    let mut prev = vec![0u8; stride];
    let mut out = Vec::with_capacity((width * height) as usize * (channels - 1));
    for row in raw.chunks_exact(stride + 1) {
        let mut cur = row[1..].to_vec();
        unfilter(row[0], &mut cur, &prev, channels)?;
        for px in cur.chunks_exact(channels) {
            let (colour, alpha) = px.split_at(channels - 1);
            let a = u16::from(alpha[0]);
            out.extend(colour.iter().map(|&c| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8));
        }
        prev = cur;
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&out).map_err(|_| BadImage("PNG data"))?;
    let data = z.finish().map_err(|_| BadImage("PNG data"))?;
    let space = if rgb { "/DeviceRGB" } else { "/DeviceGray" };
    Ok(PdfImage { width, height, dict: format!("/ColorSpace {space} /BitsPerComponent 8 /Filter /FlateDecode"), data })
}

/// Undoes one PNG row filter in place (`bpp` bytes per pixel).
fn unfilter(filter: u8, cur: &mut [u8], prev: &[u8], bpp: usize) -> Result<(), BadImage> {
    for i in 0..cur.len() {
        let a = if i >= bpp { cur[i - bpp] } else { 0 };
        let (b, c) = (prev[i], if i >= bpp { prev[i - bpp] } else { 0 });
        cur[i] = cur[i].wrapping_add(match filter {
            0 => 0,
            1 => a,
            2 => b,
            3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
            4 => {
                let p = i16::from(a) + i16::from(b) - i16::from(c);
                let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
                if pa <= pb && pa <= pc {
                    a
                } else if pb <= pc {
                    b
                } else {
                    c
                }
            }
            _ => return Err(BadImage("PNG filter")),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 PNG of `color` type with `channels` bytes a pixel, rows unfiltered.
    fn tiny_png(color: u8, pixels: &[u8]) -> Vec<u8> {
        let mut raw = vec![0];
        raw.extend_from_slice(pixels);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&raw).unwrap();
        let idat = z.finish().unwrap();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&2u32.to_be_bytes());
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, color, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(&b"IHDR"[..], &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&[0; 4]);
        }
        out
    }

    fn text() -> PosterText<'static> {
        PosterText {
            title: "陆家嘴支行海报", sub_branch: "陆家嘴支行", call_to_action: "微信扫一扫 添加客户经理"
        }
    }

    #[test]
    fn a_poster_is_a_pdf_with_the_text_in_the_standard_chinese_font_and_the_image() {
        let pdf = poster_pdf(&text(), &tiny_png(0, &[0, 255])).unwrap();
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.starts_with("%PDF-1.4"));
        assert!(s.contains("/BaseFont /STSong-Light /Encoding /UniGB-UCS2-H"));
        assert!(s.contains(&format!("<{}> Tj", ucs2_hex("陆家嘴支行"))), "the sub-branch's name");
        assert!(s.contains("/Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns 2"));
        assert!(!s.contains("FontFile"), "no font is embedded");
        // Every offset in the cross-reference table points at its object.
        let xref = s.rfind("xref\n").unwrap();
        for (n, line) in s[xref..].lines().skip(3).take(8).enumerate() {
            let at: usize = line[..10].parse().unwrap();
            assert!(s[at..].starts_with(&format!("{} 0 obj", n + 1)), "object {}", n + 1);
        }
    }

    #[test]
    fn alpha_is_flattened_onto_white_and_jpeg_goes_in_as_is() {
        // One opaque black pixel, one fully transparent one.
        let pdf = poster_pdf(&text(), &tiny_png(4, &[0, 255, 0, 0])).unwrap();
        let s = String::from_utf8_lossy(&pdf);
        let start = s.find("/Subtype /Image").unwrap();
        assert!(s[start..].contains("/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length"));
        let data_at = pdf.windows(10).rposition(|w| w == b">>\nstream\n").unwrap() + 10;
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&pdf[data_at..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw, [0, 255], "black stays black; transparent becomes white");

        let jpeg_bytes = [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 7, 0, 9, 3, 0, 0, 0, 0xFF, 0xD9];
        let pdf = poster_pdf(&text(), &jpeg_bytes).unwrap();
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/Width 9 /Height 7 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode"));
    }

    #[test]
    fn what_is_not_an_image_is_refused() {
        assert_eq!(poster_pdf(&text(), b"<html>").unwrap_err(), BadImage("not a PNG"));
        assert!(poster_pdf(&text(), &[0xFF, 0xD8, 0xFF, 0xD9]).is_err());
        let mut interlaced = tiny_png(0, &[0, 255]);
        interlaced[8 + 8 + 12] = 1;
        assert_eq!(poster_pdf(&text(), &interlaced).unwrap_err(), BadImage("interlaced PNG"));
    }

    #[test]
    fn long_titles_shrink_to_the_page() {
        assert_eq!(width_units("AB陆"), 2000);
        let long = "很".repeat(40);
        let t = PosterText { title: &long, ..text() };
        let pdf = String::from_utf8_lossy(&poster_pdf(&t, &tiny_png(0, &[0, 255])).unwrap()).into_owned();
        let first = pdf.lines().find(|l| l.starts_with("BT /F1")).unwrap();
        let size: f64 = first.split(' ').nth(2).unwrap().parse().unwrap();
        assert!(size * 40.0 <= PAGE_W - 2.0 * MARGIN + 1.0, "{first}");
    }
}

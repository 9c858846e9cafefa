//! The QR image the fake WeCom serves at a contact way's `qr_code` URL: a real, scannable QR code of
//! the way's address, as an 8-bit greyscale PNG, so siyu's fetch, page and poster see what WeCom sends.

use std::io::Write;

use qrcode::{Color, QrCode};

/// Pixels per module and the quiet zone in modules around the code (the QR standard's four).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// A PNG of a QR code that reads `text`.
pub fn png(text: &str) -> Vec<u8> {
    let code = QrCode::new(text.as_bytes()).expect("a short URL fits a QR code");
    let n = code.width();
    let side = (n + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter: none
        for x in 0..side {
            let (mx, my) = ((x / SCALE).wrapping_sub(QUIET), (y / SCALE).wrapping_sub(QUIET));
            let dark = mx < n && my < n && colors[my * n + mx] == Color::Dark;
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("writing to memory");
    let idat = z.finish().expect("writing to memory");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit, greyscale, deflate, adaptive filtering, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    }
    out
}

//! What an uploaded image or file of the content library really is, read from its bytes and never from
//! its name: an allow-list of images (PNG, JPEG, GIF, WebP) and files (PDF, Office DOCX/XLSX/PPTX),
//! each recognised by its own magic bytes (an Office file by the entries its zip names), and every
//! other thing refused saying what it is — a program (PE, ELF), a page or drawing that can carry
//! script (HTML, SVG), a file whose name claims another type. Pure: the upload service calls it
//! before anything is stored.

use crate::lang::Text;

/// The most an image may be: WeCom takes temporary images up to 10 MB, and a phone page should not
/// wait for more than 2 MiB.
pub const MAX_IMAGE_BYTES: usize = 2 << 20;
/// The most a file may be (WeCom takes temporary files up to 20 MB).
pub const MAX_FILE_BYTES: usize = 10 << 20;
/// The most of an upload's name kept, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most central-directory entries read of a zip to tell an Office file: an Office document has
/// tens; the directory is read from the end of the file, never the compressed data.
const MAX_ZIP_ENTRIES: usize = 5_000;

/// Whether a medium is shown (an image) or downloaded (a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    File,
}

impl MediaKind {
    pub const ALL: [Self; 2] = [Self::Image, Self::File];

    pub fn code(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The most bytes a medium of this kind may have.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Image => MAX_IMAGE_BYTES,
            Self::File => MAX_FILE_BYTES,
        }
    }
}

/// A type siyu accepts, as found in the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
}

impl MediaType {
    pub const ALL: [Self; 8] =
        [Self::Png, Self::Jpeg, Self::Gif, Self::Webp, Self::Pdf, Self::Docx, Self::Xlsx, Self::Pptx];

    /// The type as served (`Content-Type`) and stored.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.mime() == mime)
    }

    pub fn kind(self) -> MediaKind {
        match self {
            Self::Png | Self::Jpeg | Self::Gif | Self::Webp => MediaKind::Image,
            _ => MediaKind::File,
        }
    }

    /// The names a file of this type may end in (lower case, without the dot).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            Self::Gif => &["gif"],
            Self::Webp => &["webp"],
            Self::Pdf => &["pdf"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
            Self::Pptx => &["pptx"],
        }
    }

    /// The type's everyday name, the same in both languages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
            Self::Pdf => "PDF",
            Self::Docx => "Word (DOCX)",
            Self::Xlsx => "Excel (XLSX)",
            Self::Pptx => "PowerPoint (PPTX)",
        }
    }
}

/// Why an upload is refused; each has a stable `code` and a message in the reader's language that
/// names what the bytes really are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRefusal {
    Empty,
    /// A program: `what` is `PE` (Windows, `MZ`) or `ELF` (Linux), or `Mach-O`.
    Executable {
        what: &'static str,
    },
    /// A page or drawing a browser runs script in: `HTML` or `SVG`.
    Script {
        what: &'static str,
    },
    /// Its name says one type and its bytes another (`ext` as named; `actual` the type found).
    Mislabelled {
        ext: String,
        actual: MediaType,
    },
    /// Past the kind's limit.
    TooLarge {
        kind: MediaKind,
        max_mib: usize,
    },
    /// None of the accepted types; `what` is what it looks like, when known (`zip`, `text`).
    Unsupported {
        what: &'static str,
    },
}

impl MediaRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "media_empty",
            Self::Executable { .. } => "media_executable",
            Self::Script { .. } => "media_script",
            Self::Mislabelled { .. } => "media_mislabelled",
            Self::TooLarge { .. } => "media_too_large",
            Self::Unsupported { .. } => "media_unsupported",
        }
    }

    /// The message, naming the upload as `name`.
    pub fn message(&self, name: &str) -> Text {
        match self {
            Self::Empty => Text::new("media.empty").arg("name", name),
            Self::Executable { what } => Text::new("media.executable").arg("name", name).arg("what", what),
            Self::Script { what } => Text::new("media.script").arg("name", name).arg("what", what),
            Self::Mislabelled { ext, actual } => {
                Text::new("media.mislabelled").arg("name", name).arg("ext", ext).arg("actual", actual.label())
            }
            Self::TooLarge { kind, max_mib } => {
                Text::new("media.too_large").arg("name", name).text("kind", kind_text(*kind)).arg("max", max_mib)
            }
            Self::Unsupported { what } => {
                Text::new("media.unsupported").arg("name", name).text("what", Text::new(&format!("media.what_{what}")))
            }
        }
    }
}

/// The kind's name in the reader's language.
pub fn kind_text(kind: MediaKind) -> Text {
    Text::new(&format!("media.kind_{}", kind.code()))
}

/// What `bytes` are, if siyu accepts them, checked against the extension of `name` and the kind's
/// size limit.
pub fn check(name: &str, bytes: &[u8]) -> Result<MediaType, MediaRefusal> {
    let t = sniff(bytes)?;
    if let Some(ext) = extension(name)
        && !t.extensions().contains(&ext.as_str())
    {
        return Err(MediaRefusal::Mislabelled { ext, actual: t });
    }
    if bytes.len() > t.kind().max_bytes() {
        return Err(MediaRefusal::TooLarge { kind: t.kind(), max_mib: t.kind().max_bytes() >> 20 });
    }
    Ok(t)
}

/// The lower-case extension of a name, if it has one (`report.PDF` → `pdf`).
fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && ext.len() <= 10).then(|| ext.to_ascii_lowercase())
}

/// What `bytes` are, by content alone.
pub fn sniff(bytes: &[u8]) -> Result<MediaType, MediaRefusal> {
    if bytes.is_empty() {
        return Err(MediaRefusal::Empty);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(MediaType::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(MediaType::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(MediaType::Gif);
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Ok(MediaType::Webp);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(MediaType::Pdf);
    }
    if bytes.starts_with(b"MZ") {
        return Err(MediaRefusal::Executable { what: "PE" });
    }
    if bytes.starts_with(b"\x7fELF") {
        return Err(MediaRefusal::Executable { what: "ELF" });
    }
    let macho: [[u8; 4]; 4] =
        [[0xFE, 0xED, 0xFA, 0xCE], [0xFE, 0xED, 0xFA, 0xCF], [0xCE, 0xFA, 0xED, 0xFE], [0xCF, 0xFA, 0xED, 0xFE]];
    if macho.iter().any(|m| bytes.starts_with(m)) {
        return Err(MediaRefusal::Executable { what: "Mach-O" });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office_type(bytes).ok_or(MediaRefusal::Unsupported { what: "zip" });
    }
    if let Some(what) = markup(bytes) {
        return Err(MediaRefusal::Script { what });
    }
    if bytes.starts_with(b"#!") {
        return Err(MediaRefusal::Unsupported { what: "script" });
    }
    let head = &bytes[..bytes.len().min(512)];
    if std::str::from_utf8(head).is_ok() || head.iter().all(|b| b.is_ascii()) {
        return Err(MediaRefusal::Unsupported { what: "text" });
    }
    Err(MediaRefusal::Unsupported { what: "unknown" })
}

/// `HTML` or `SVG` when the start of the bytes (after a byte-order mark, white space and an XML
/// declaration or comments) is markup a browser would run script in.
fn markup(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text: String = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = text.trim_start();
    if !t.starts_with('<') {
        return None;
    }
    if t.contains("<svg") {
        return Some("SVG");
    }
    const HTML: [&str; 9] = ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta", "<div", "<a "];
    if HTML.iter().any(|h| t.contains(h)) { Some("HTML") } else { None }
}

/// DOCX, XLSX or PPTX when the zip's central directory names `[Content_Types].xml` and the part
/// that makes it one (`word/document.xml`, `xl/workbook.xml`, `ppt/presentation.xml`). Only the
/// directory at the end of the file is read, at most [`MAX_ZIP_ENTRIES`] entries of it.
fn office_type(bytes: &[u8]) -> Option<MediaType> {
    let names = zip_names(bytes)?;
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return None;
    }
    let has = |p: &str| names.iter().any(|n| n == p);
    if has("word/document.xml") {
        Some(MediaType::Docx)
    } else if has("xl/workbook.xml") {
        Some(MediaType::Xlsx)
    } else if has("ppt/presentation.xml") {
        Some(MediaType::Pptx)
    } else {
        None
    }
}

fn le16(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|s| usize::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).and_then(|s| usize::try_from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok())
}

/// The entry names of a zip's central directory, found through its end record (within the last
/// 64 KiB + 22 bytes, the most a comment allows).
fn zip_names(bytes: &[u8]) -> Option<Vec<String>> {
    let from = bytes.len().saturating_sub(0xFFFF + 22);
    let tail = &bytes[from..];
    let eocd = from + tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let entries = le16(bytes, eocd + 10)?.min(MAX_ZIP_ENTRIES);
    let mut at = le32(bytes, eocd + 16)?;
    let mut names = Vec::with_capacity(entries);
    for _ in 0..entries {
        if bytes.get(at..at + 4)? != b"PK\x01\x02" {
            return None;
        }
        let (name_len, extra, comment) = (le16(bytes, at + 28)?, le16(bytes, at + 30)?, le16(bytes, at + 32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra + comment;
    }
    Some(names)
}

/// An upload's name as kept: its last path part, without control characters or leading dots, at most
/// [`MAX_NAME_CHARS`] characters (the extension kept), `upload` when nothing is left.
pub fn sanitise_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':')).collect();
    let clean = clean.trim().trim_start_matches('.').trim();
    if clean.is_empty() {
        return "upload".to_owned();
    }
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean.to_owned();
    }
    let ext = match clean.rsplit_once('.') {
        Some((_, e)) if e.chars().count() <= 10 => format!(".{e}"),
        _ => String::new(),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    clean.chars().take(keep).collect::<String>() + &ext
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip holding empty stored entries with these names (what `office_type` reads).
    pub fn zip_of(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for n in names {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(n.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(n.as_bytes());
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[0u8; 24]);
            central.extend_from_slice(&(n.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0u8; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(n.as_bytes());
        }
        let cd_at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn images_and_files_are_told_by_their_bytes() {
        assert_eq!(check("a.png", b"\x89PNG\r\n\x1a\nrest"), Ok(MediaType::Png));
        assert_eq!(check("a.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 1]), Ok(MediaType::Jpeg));
        assert_eq!(check("a", b"GIF89a..."), Ok(MediaType::Gif));
        assert_eq!(check("a.webp", b"RIFF\0\0\0\0WEBPVP8 "), Ok(MediaType::Webp));
        assert_eq!(check("a.pdf", b"%PDF-1.7\n"), Ok(MediaType::Pdf));
        let docx = zip_of(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        assert_eq!(check("a.docx", &docx), Ok(MediaType::Docx));
        assert_eq!(sniff(&zip_of(&["[Content_Types].xml", "xl/workbook.xml"])), Ok(MediaType::Xlsx));
        assert_eq!(sniff(&zip_of(&["[Content_Types].xml", "ppt/presentation.xml"])), Ok(MediaType::Pptx));
    }

    #[test]
    fn programs_markup_and_mislabels_are_refused_saying_what_they_are() {
        assert_eq!(check("cat.png", b"MZ\x90\0\x03"), Err(MediaRefusal::Executable { what: "PE" }));
        assert_eq!(check("cat.pdf", b"\x7fELF\x02\x01"), Err(MediaRefusal::Executable { what: "ELF" }));
        assert_eq!(check("a.png", b"<!DOCTYPE html><script>"), Err(MediaRefusal::Script { what: "HTML" }));
        let svg = b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>";
        assert_eq!(check("a.svg", svg), Err(MediaRefusal::Script { what: "SVG" }));
        assert_eq!(
            check("photo.png", &[0xFF, 0xD8, 0xFF, 0xE0]),
            Err(MediaRefusal::Mislabelled { ext: "png".into(), actual: MediaType::Jpeg })
        );
        assert_eq!(sniff(&zip_of(&["a.txt"])), Err(MediaRefusal::Unsupported { what: "zip" }));
        assert_eq!(sniff(b"hello"), Err(MediaRefusal::Unsupported { what: "text" }));
        assert_eq!(sniff(b""), Err(MediaRefusal::Empty));
        // A zip whose directory points past its end is not read out of bounds.
        let mut broken = zip_of(&["[Content_Types].xml", "word/document.xml"]);
        let n = broken.len();
        broken[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(sniff(&broken), Err(MediaRefusal::Unsupported { what: "zip" }));
    }

    #[test]
    fn each_kind_has_its_size_limit() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(check("a.png", &png), Err(MediaRefusal::TooLarge { kind: MediaKind::Image, max_mib: 2 }));
        let mut pdf = b"%PDF-".to_vec();
        pdf.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(check("a.pdf", &pdf), Ok(MediaType::Pdf));
    }

    #[test]
    fn names_are_cut_to_their_last_part_and_bounded() {
        assert_eq!(sanitise_name("C:\\Users\\x\\..\\年报\u{0}.pdf"), "年报.pdf");
        assert_eq!(sanitise_name("../../etc/.passwd"), "passwd");
        assert_eq!(sanitise_name("   "), "upload");
        let long = format!("{}.docx", "长".repeat(300));
        let cut = sanitise_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with(".docx"));
    }
}

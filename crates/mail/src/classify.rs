//! File-type classification by content, not by name.
//!
//! The content is sniffed first (magic bytes, then the container: ZIP central directory for
//! OOXML, compound-file streams for legacy Office). The name's extension only tells which type
//! the sender *claims*; when the claim and the content disagree the file is rejected.

use serde::{Deserialize, Serialize};

use crate::reason::{ReasonCode, Rejection};

/// The accepted document formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Txt,
    Csv,
}

impl FileType {
    /// Canonical extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Doc => "doc",
            FileType::Docx => "docx",
            FileType::Xls => "xls",
            FileType::Xlsx => "xlsx",
            FileType::Txt => "txt",
            FileType::Csv => "csv",
        }
    }

    /// IANA media type.
    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Doc => "application/msword",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xls => "application/vnd.ms-excel",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Txt => "text/plain",
            FileType::Csv => "text/csv",
        }
    }

    /// The type a (lower-case) extension claims, if it is an accepted one.
    pub fn from_extension(ext: &str) -> Option<FileType> {
        Some(match ext {
            "pdf" => FileType::Pdf,
            "png" => FileType::Png,
            "jpg" | "jpeg" | "jpe" | "jfif" => FileType::Jpeg,
            "doc" => FileType::Doc,
            "docx" => FileType::Docx,
            "xls" => FileType::Xls,
            "xlsx" => FileType::Xlsx,
            "txt" => FileType::Txt,
            "csv" => FileType::Csv,
            _ => return None,
        })
    }

    fn describe(self) -> &'static str {
        match self {
            FileType::Pdf => "a PDF document",
            FileType::Png => "a PNG image",
            FileType::Jpeg => "a JPEG image",
            FileType::Doc => "a Word 97-2003 document (.doc)",
            FileType::Docx => "a Word document (.docx)",
            FileType::Xls => "an Excel 97-2003 workbook (.xls)",
            FileType::Xlsx => "an Excel workbook (.xlsx)",
            FileType::Txt | FileType::Csv => "plain text",
        }
    }
}

/// Character encoding of an accepted text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Windows1252,
}

/// What the content is, regardless of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sniffed {
    Pdf,
    Png,
    Jpeg,
    Doc,
    Xls,
    Docx,
    Xlsx,
    Text(TextEncoding),
    Empty,
    Html,
    /// XML; `true` when it is an Excel 2003 "XML Spreadsheet".
    Xml(bool),
    Utf16Text,
    Tnef,
    Archive(&'static str),
    EncryptedArchive,
    Executable(&'static str),
    EncryptedOoxml,
    /// OOXML marker present, main part missing.
    IncompleteOoxml,
    MacroOffice(&'static str),
    /// A known, non-accepted format (with a human name).
    Other(&'static str),
    Unknown,
}

impl Sniffed {
    fn accepted(&self) -> Option<FileType> {
        Some(match self {
            Sniffed::Pdf => FileType::Pdf,
            Sniffed::Png => FileType::Png,
            Sniffed::Jpeg => FileType::Jpeg,
            Sniffed::Doc => FileType::Doc,
            Sniffed::Xls => FileType::Xls,
            Sniffed::Docx => FileType::Docx,
            Sniffed::Xlsx => FileType::Xlsx,
            Sniffed::Text(_) => FileType::Txt,
            _ => return None,
        })
    }

    fn describe(&self) -> &'static str {
        match self {
            Sniffed::Text(_) => "plain text",
            Sniffed::Empty => "nothing (the file is empty)",
            Sniffed::Html => "a web page (HTML)",
            Sniffed::Xml(true) => "an Excel 2003 XML spreadsheet",
            Sniffed::Xml(false) => "XML data",
            Sniffed::Utf16Text => "UTF-16 text",
            Sniffed::Tnef => "an Outlook winmail.dat (TNEF) wrapper",
            Sniffed::Archive(k) => k,
            Sniffed::EncryptedArchive => "a password-protected ZIP archive",
            Sniffed::Executable(k) => k,
            Sniffed::EncryptedOoxml => "a password-protected Office document",
            Sniffed::IncompleteOoxml => "a ZIP archive that is not a complete Office document",
            Sniffed::MacroOffice(k) => k,
            Sniffed::Other(k) => k,
            Sniffed::Unknown => "unrecognised data",
            other => other
                .accepted()
                .map_or("unrecognised data", FileType::describe),
        }
    }
}

/// Result of classifying one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    pub file_type: FileType,
    /// For txt/csv: how the bytes decode.
    pub text_encoding: Option<TextEncoding>,
    /// The name had no accepted extension and the detected one was appended.
    pub extension_corrected: bool,
}

const PDF_WINDOW: usize = 1024;
const TEXT_WINDOW: usize = 64 * 1024;
/// Bound on ZIP central-directory entries read (OOXML documents have a few dozen).
const MAX_ZIP_ENTRIES: usize = 10_000;

/// Sniff the content: magic bytes, then container structure.
pub fn sniff(data: &[u8]) -> Sniffed {
    if data.is_empty() {
        return Sniffed::Empty;
    }
    let head = &data[..data.len().min(PDF_WINDOW)];
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Png;
    }
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return sniff_cfb(data);
    }
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        return sniff_zip(data);
    }
    if data.starts_with(&[0x78, 0x9F, 0x3E, 0x22]) {
        return Sniffed::Tnef;
    }
    if data.starts_with(b"MZ") {
        return Sniffed::Executable("a Windows program");
    }
    if data.starts_with(b"\x7fELF") {
        return Sniffed::Executable("a Linux program (ELF)");
    }
    if [
        &[0xFE, 0xED, 0xFA, 0xCE][..],
        &[0xFE, 0xED, 0xFA, 0xCF],
        &[0xCE, 0xFA, 0xED, 0xFE],
        &[0xCF, 0xFA, 0xED, 0xFE],
        &[0xCA, 0xFE, 0xBA, 0xBE],
    ]
    .iter()
    .any(|m| data.starts_with(m))
    {
        return Sniffed::Executable("a macOS program (Mach-O)");
    }
    for (magic, kind) in [
        (&b"Rar!\x1a\x07"[..], "a RAR archive"),
        (&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C][..], "a 7-Zip archive"),
        (&[0x1F, 0x8B][..], "a gzip archive"),
        (&b"BZh"[..], "a bzip2 archive"),
        (&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00][..], "an xz archive"),
        (&b"MSCF"[..], "a Windows cabinet archive"),
    ] {
        if data.starts_with(magic) {
            return Sniffed::Archive(kind);
        }
    }
    if data.get(257..262) == Some(b"ustar") {
        return Sniffed::Archive("a tar archive");
    }
    // PDF: the header may sit anywhere in the first 1024 bytes (PDF Reference, implementation note).
    if find(head, b"%PDF-").is_some() {
        return Sniffed::Pdf;
    }
    for (magic, kind) in [
        (&b"GIF87a"[..], "a GIF image"),
        (&b"GIF89a"[..], "a GIF image"),
        (&b"II*\x00"[..], "a TIFF image"),
        (&b"MM\x00*"[..], "a TIFF image"),
        (&b"BM"[..], "a BMP image"),
        (&b"{\\rtf"[..], "a rich text (RTF) document"),
        (&b"%!PS"[..], "a PostScript file"),
    ] {
        if data.starts_with(magic) {
            // "BM" is two letters: require a plausible BMP header size too.
            if magic == b"BM" && data.len() < 26 {
                continue;
            }
            return Sniffed::Other(kind);
        }
    }
    if data.get(8..12) == Some(b"WEBP") && data.starts_with(b"RIFF") {
        return Sniffed::Other("a WebP image");
    }
    if data.get(4..8) == Some(b"ftyp") {
        let brand = data.get(8..12).unwrap_or_default();
        if [b"heic", b"heix", b"mif1", b"msf1", b"hevc"]
            .iter()
            .any(|b| brand == *b)
        {
            return Sniffed::Other("a HEIC photo");
        }
        return Sniffed::Other("a video or media file");
    }
    if data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]) {
        return Sniffed::Utf16Text;
    }
    sniff_text(data)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn sniff_text(data: &[u8]) -> Sniffed {
    let window = &data[..data.len().min(TEXT_WINDOW)];
    if window.contains(&0) {
        return Sniffed::Unknown;
    }
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    // Markup first: a "spreadsheet" exported by a website is often an HTML table.
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(1024)
        .map(u8::to_ascii_lowercase)
        .collect();
    if start.starts_with(b"<") {
        let is_html = [
            &b"<!doctype html"[..],
            b"<html",
            b"<table",
            b"<head",
            b"<body",
            b"<meta",
        ]
        .iter()
        .any(|m| find(&start, m).is_some());
        if is_html {
            return Sniffed::Html;
        }
        if start.starts_with(b"<?xml") {
            let spreadsheet = find(&start, b"urn:schemas-microsoft-com:office:spreadsheet")
                .is_some()
                || find(&start, b"<workbook").is_some();
            return Sniffed::Xml(spreadsheet);
        }
    }
    // Control characters other than tab, CR, LF, FF and SUB (DOS end-of-file) mean binary data.
    let controls = window
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A)) || b == 0x7F)
        .count();
    if controls * 100 > window.len() {
        return Sniffed::Unknown;
    }
    if std::str::from_utf8(body).is_ok() {
        return Sniffed::Text(TextEncoding::Utf8);
    }
    // Windows-1252 leaves five bytes undefined; their presence means another encoding or binary.
    if body
        .iter()
        .any(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Sniffed::Unknown;
    }
    Sniffed::Text(TextEncoding::Windows1252)
}

fn sniff_cfb(data: &[u8]) -> Sniffed {
    let Ok(cf) = cfb::CompoundFile::open(std::io::Cursor::new(data)) else {
        return Sniffed::Other("a damaged Office 97-2003 file (compound file)");
    };
    let has = |name: &str| cf.is_stream(format!("/{name}"));
    if has("EncryptionInfo") && has("EncryptedPackage") {
        return Sniffed::EncryptedOoxml;
    }
    if has("WordDocument") {
        if cf.is_storage("/Macros") {
            return Sniffed::MacroOffice("a Word 97-2003 document with macros");
        }
        return Sniffed::Doc;
    }
    if has("Workbook") || has("Book") {
        if cf.is_storage("/_VBA_PROJECT_CUR") {
            return Sniffed::MacroOffice("an Excel 97-2003 workbook with macros");
        }
        return Sniffed::Xls;
    }
    if has("PowerPoint Document") {
        return Sniffed::Other("a PowerPoint presentation");
    }
    let is_msg = cf
        .read_root_storage()
        .any(|e| e.name().starts_with("__substg1.0_"));
    if is_msg {
        return Sniffed::Other("an Outlook message (.msg)");
    }
    Sniffed::Other("a compound file that is neither a Word nor an Excel document")
}

fn u16_at(d: &[u8], at: usize) -> Option<usize> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]) as usize)
}

fn u32_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// Entry names of a ZIP read from its central directory (robust to entry order), and whether any
/// entry is encrypted. `None` when there is no readable central directory.
pub(crate) fn zip_entries(data: &[u8]) -> Option<(Vec<String>, bool)> {
    // End of central directory: 22 bytes + comment (≤ 65535), searched backwards.
    let min_start = data.len().saturating_sub(22 + 65_535);
    let mut eocd = None;
    let mut pos = data.len().checked_sub(22)?;
    loop {
        if data.get(pos..pos + 4) == Some(b"PK\x05\x06") {
            eocd = Some(pos);
            break;
        }
        if pos == min_start {
            break;
        }
        pos -= 1;
    }
    let eocd = eocd?;
    let mut cd_size = u32_at(data, eocd + 12)?;
    let mut cd_offset = u32_at(data, eocd + 16)?;
    if cd_offset == 0xFFFF_FFFF || cd_size == 0xFFFF_FFFF {
        // ZIP64: the locator sits just before the EOCD.
        let loc = eocd.checked_sub(20)?;
        if data.get(loc..loc + 4) != Some(b"PK\x06\x07") {
            return None;
        }
        let z64 = usize::try_from(u64_at(data, loc + 8)?).ok()?;
        if data.get(z64..z64.checked_add(4)?) != Some(b"PK\x06\x06") {
            return None;
        }
        cd_size = u64_at(data, z64 + 40)?;
        cd_offset = u64_at(data, z64 + 48)?;
    }
    // Data prepended to the archive shifts offsets: fall back to "just before the EOCD".
    let mut start = usize::try_from(cd_offset).ok()?;
    if data.get(start..start.saturating_add(4)) != Some(b"PK\x01\x02") {
        start = eocd.checked_sub(usize::try_from(cd_size).ok()?)?;
    }
    let mut names = Vec::new();
    let mut encrypted = false;
    let mut p = start;
    while names.len() < MAX_ZIP_ENTRIES && data.get(p..p.saturating_add(4)) == Some(b"PK\x01\x02") {
        let flags = u16_at(data, p + 8)?;
        let name_len = u16_at(data, p + 28)?;
        let extra_len = u16_at(data, p + 30)?;
        let comment_len = u16_at(data, p + 32)?;
        let name = data.get(p + 46..p + 46 + name_len)?;
        encrypted |= flags & 1 == 1;
        names.push(String::from_utf8_lossy(name).into_owned());
        p += 46 + name_len + extra_len + comment_len;
    }
    Some((names, encrypted))
}

fn sniff_zip(data: &[u8]) -> Sniffed {
    let Some((names, encrypted)) = zip_entries(data) else {
        return Sniffed::Other("a damaged or truncated ZIP archive");
    };
    let has = |n: &str| names.iter().any(|e| e == n);
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            if has("word/vbaProject.bin") {
                return Sniffed::MacroOffice("a Word document with macros (.docm)");
            }
            return Sniffed::Docx;
        }
        if has("xl/workbook.xml") {
            if has("xl/vbaProject.bin") {
                return Sniffed::MacroOffice("an Excel workbook with macros (.xlsm)");
            }
            return Sniffed::Xlsx;
        }
        if has("xl/workbook.bin") {
            return Sniffed::Other("an Excel binary workbook (.xlsb)");
        }
        if has("ppt/presentation.xml") {
            return Sniffed::Other("a PowerPoint presentation (.pptx)");
        }
        return Sniffed::IncompleteOoxml;
    }
    if has("mimetype") && has("content.xml") {
        return Sniffed::Other("an OpenDocument file (LibreOffice .odt/.ods)");
    }
    if encrypted {
        return Sniffed::EncryptedArchive;
    }
    Sniffed::Archive("a ZIP archive")
}

/// Lower-case extension of a file name, if the name has one (and a non-empty stem).
pub fn extension_of(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() || ext.len() > 10 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Classify `data` sent under `name` (the sanitized name, if any).
pub fn classify(data: &[u8], name: Option<&str>) -> Result<Classified, Rejection> {
    let sniffed = sniff(data);
    let ext = name.and_then(extension_of);
    let claimed = ext.as_deref().and_then(FileType::from_extension);
    let shown = name.unwrap_or("(unnamed)");
    let text_encoding = match &sniffed {
        Sniffed::Text(e) => Some(*e),
        _ => None,
    };

    if let Some(found) = sniffed.accepted() {
        return match (found, claimed) {
            (FileType::Txt, Some(c @ (FileType::Txt | FileType::Csv))) => Ok(Classified {
                file_type: c,
                text_encoding,
                extension_corrected: false,
            }),
            (FileType::Txt, claimed) => Err(match (claimed, ext.as_deref()) {
                (Some(c), _) => mismatch(shown, c, &sniffed),
                (None, Some(e)) => Rejection::new(
                    ReasonCode::UnsupportedFormat,
                    format!("“{shown}” is a text file of type .{e}, which is not accepted."),
                    "Ask the sender to resend it as PDF, or as .txt/.csv if it is data.",
                ),
                (None, None) => Rejection::new(
                    ReasonCode::UnsupportedFormat,
                    format!("“{shown}” is plain text with no file name or type."),
                    "Ask the sender to attach the document as a named file (PDF preferred).",
                ),
            }),
            (found, Some(c)) if c == found => Ok(Classified {
                file_type: found,
                text_encoding,
                extension_corrected: false,
            }),
            (_, Some(c)) => Err(mismatch(shown, c, &sniffed)),
            (found, None) => Ok(Classified {
                file_type: found,
                text_encoding,
                extension_corrected: true,
            }),
        };
    }

    let what = sniffed.describe();
    let is_spreadsheet_name = matches!(claimed, Some(FileType::Xls | FileType::Xlsx));
    Err(match sniffed {
        Sniffed::Empty => Rejection::new(
            ReasonCode::EmptyFile,
            format!("“{shown}” is empty (0 bytes)."),
            "Ask the sender to resend the file; it was lost before sending.",
        ),
        Sniffed::Html | Sniffed::Xml(_) if is_spreadsheet_name => Rejection::new(
            ReasonCode::HtmlSpreadsheet,
            format!(
                "“{shown}” is named as an Excel workbook but is {what} (typically a bank or website export)."
            ),
            "Open it in Excel and save it as a real .xlsx (or export as PDF or CSV), then resend.",
        ),
        Sniffed::Tnef => tnef_rejection(shown),
        Sniffed::Archive(_) => Rejection::new(
            ReasonCode::Archive,
            format!("“{shown}” is {what}; archives are not accepted."),
            "Ask the sender to send the documents inside as separate PDF files.",
        ),
        Sniffed::EncryptedArchive | Sniffed::EncryptedOoxml => Rejection::new(
            ReasonCode::EncryptedDocument,
            format!("“{shown}” is {what}; it cannot be read without its password."),
            "Ask the sender to resend the file without a password (or as an unprotected PDF).",
        ),
        Sniffed::Executable(_) => Rejection::new(
            ReasonCode::Executable,
            format!("“{shown}” is {what}, not a document."),
            "Do not open it. No action needed unless the sender confirms it meant to send a document.",
        ),
        Sniffed::MacroOffice(_) => Rejection::new(
            ReasonCode::MacroDocument,
            format!("“{shown}” is {what}; documents with macros are not accepted."),
            "Ask the sender to resend it as PDF, or saved without macros (.docx/.xlsx).",
        ),
        Sniffed::IncompleteOoxml => Rejection::new(
            ReasonCode::DamagedOfficeDocument,
            format!(
                "“{shown}” is a ZIP archive with an Office marker but without the main document part ({}); it is damaged or not a Word/Excel file.",
                match claimed {
                    Some(FileType::Xlsx | FileType::Xls) => "xl/workbook.xml",
                    _ => "word/document.xml",
                }
            ),
            "Ask the sender to open the file in Word or Excel, save it again and resend it (or send a PDF).",
        ),
        _ => match claimed {
            Some(c) => mismatch(shown, c, &sniffed),
            None if matches!(sniffed, Sniffed::Unknown) => Rejection::new(
                ReasonCode::UnknownFormat,
                format!(
                    "“{shown}” is not a recognised document (pdf, png, jpeg, doc, docx, xls, xlsx, txt, csv)."
                ),
                "Ask the sender to resend the document as PDF.",
            ),
            None => Rejection::new(
                ReasonCode::UnsupportedFormat,
                format!(
                    "“{shown}” is {what}, which is not an accepted format (pdf, png, jpeg, doc, docx, xls, xlsx, txt, csv)."
                ),
                "Ask the sender to resend the document as PDF.",
            ),
        },
    })
}

fn mismatch(shown: &str, claimed: FileType, sniffed: &Sniffed) -> Rejection {
    let actual = sniffed.describe();
    let action = match sniffed.accepted() {
        Some(t) if t != FileType::Txt => format!(
            "Ask the sender to resend the file under its real type (.{}), or as a PDF.",
            t.extension()
        ),
        _ => format!(
            "Ask the sender to resend a real {} (or a PDF).",
            claimed
                .describe()
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        ),
    };
    Rejection::new(
        ReasonCode::ContentMismatch,
        format!(
            "“{shown}” is named as {} but its content is {actual}.",
            claimed.describe()
        ),
        action,
    )
}

pub(crate) fn tnef_rejection(shown: &str) -> Rejection {
    Rejection::new(
        ReasonCode::Tnef,
        format!(
            "“{shown}” is an Outlook winmail.dat (TNEF) wrapper; the attachments inside cannot be read."
        ),
        "Ask the sender to switch Outlook to HTML or plain-text format for this address and resend.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_magic_found_after_junk_within_1024_bytes() {
        let mut data = vec![b' '; 1000];
        data.extend_from_slice(b"%PDF-1.7\n");
        assert_eq!(sniff(&data), Sniffed::Pdf);
        let mut late = vec![b'x'; 1100];
        late.extend_from_slice(b"%PDF-1.7\n");
        assert_ne!(sniff(&late), Sniffed::Pdf);
    }

    #[test]
    fn jpg_and_jpeg_extensions_both_accept_jpeg() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'];
        for n in ["a.jpg", "a.JPEG", "scan.Jpg"] {
            assert_eq!(
                classify(&jpeg, Some(n)).map(|c| c.file_type),
                Ok(FileType::Jpeg)
            );
        }
    }

    #[test]
    fn accepted_content_with_unknown_extension_gets_extension_corrected() {
        let c = classify(b"%PDF-1.4\n%%EOF\n", Some("facture.bin")).expect("accepted");
        assert_eq!(c.file_type, FileType::Pdf);
        assert!(c.extension_corrected);
    }

    #[test]
    fn text_with_foreign_extension_is_not_accepted() {
        let r = classify(b"-----BEGIN PGP MESSAGE-----\n", Some("encrypted.asc")).unwrap_err();
        assert_eq!(r.code, ReasonCode::UnsupportedFormat);
    }

    #[test]
    fn windows_1252_text_is_detected() {
        let c = classify(b"Soci\xe9t\xe9;Montant\nCaf\xe9;12,50\n", Some("x.csv")).expect("csv");
        assert_eq!(c.file_type, FileType::Csv);
        assert_eq!(c.text_encoding, Some(TextEncoding::Windows1252));
    }

    #[test]
    fn zip_reader_survives_truncation_at_every_length() {
        let data = b"PK\x03\x04 some bytes PK\x01\x02 PK\x05\x06 trailing";
        for n in 0..data.len() {
            let _ = sniff(&data[..n]);
            let _ = zip_entries(&data[..n]);
        }
        assert_eq!(extension_of(".bashrc"), None);
        assert_eq!(extension_of("a.B"), Some("b".into()));
    }
}

//! What a file's bytes are, regardless of its name: magic bytes, then the container (ZIP
//! central directory and `[Content_Types].xml` for OOXML, compound-file streams for legacy
//! Office), then text.

use crate::container;
use crate::filetype::{FileType, TextEncoding};
use crate::pdf;

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
    /// `%PDF-` found, but this many bytes after the start.
    MisplacedPdf(usize),
    /// A known, non-accepted format (with a human name).
    Other(&'static str),
    Unknown,
}

impl Sniffed {
    pub(crate) fn accepted(&self) -> Option<FileType> {
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

    pub(crate) fn describe(&self) -> &'static str {
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
            Sniffed::MisplacedPdf(_) => "a file with other data before its PDF header",
            Sniffed::Other(k) => k,
            Sniffed::Unknown => "unrecognised data",
            other => other
                .accepted()
                .map_or("unrecognised data", FileType::describe),
        }
    }
}

const TEXT_WINDOW: usize = 64 * 1024;
/// How far a misplaced PDF header is looked for (to name it in the rejection).
const PDF_WINDOW: usize = 1024;

/// Sniff the content: magic bytes, then container structure.
pub fn sniff(data: &[u8]) -> Sniffed {
    if data.is_empty() {
        return Sniffed::Empty;
    }
    // PDF: `%PDF-` at offset 0, after a BOM or white space only (ISO 32000-1 §7.5.2).
    if pdf::header_at_start(data) {
        return Sniffed::Pdf;
    }
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
    // A PDF header after other bytes: readers may still open it, but the bytes before it can
    // make it something else (a web page, a script). Named for the rejection.
    if let Some(at) = find(&data[..data.len().min(PDF_WINDOW)], b"%PDF-") {
        return Sniffed::MisplacedPdf(at);
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

/// OOXML main-part content types (ECMA-376 Part 1, §11.3.10, §12.3.23; MS-OFFMACRO2 for the
/// macro-enabled ones).
const WORD_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
const EXCEL_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";

/// What a main-part content type says the document is, when it is not the plain Word or
/// Excel document.
fn ooxml_other(content_type: &str) -> Sniffed {
    let t = content_type.to_ascii_lowercase();
    if t.contains("macroenabled") {
        return Sniffed::MacroOffice(if t.contains("word") {
            "a Word document with macros (.docm)"
        } else if t.contains("excel") {
            "an Excel workbook with macros (.xlsm)"
        } else {
            "an Office document with macros"
        });
    }
    match t.as_str() {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml" => {
            Sniffed::Other("a Word template (.dotx)")
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml" => {
            Sniffed::Other("an Excel template (.xltx)")
        }
        t if t.contains("presentationml") => Sniffed::Other("a PowerPoint presentation (.pptx)"),
        _ => Sniffed::IncompleteOoxml,
    }
}

fn sniff_zip(data: &[u8]) -> Sniffed {
    let Some(entries) = container::directory(data) else {
        return Sniffed::Other("a damaged or truncated ZIP archive");
    };
    let has = |n: &str| entries.iter().any(|e| e.name == n);
    if has("[Content_Types].xml") {
        // The main part's declared content type decides (it is what Office opens it as); the
        // part it names must be there.
        for (part, main, kind, macros, with_macros) in [
            (
                "word/document.xml",
                WORD_MAIN,
                Sniffed::Docx,
                "word/vbaProject.bin",
                "a Word document with macros (.docm)",
            ),
            (
                "xl/workbook.xml",
                EXCEL_MAIN,
                Sniffed::Xlsx,
                "xl/vbaProject.bin",
                "an Excel workbook with macros (.xlsm)",
            ),
        ] {
            if !has(part) {
                continue;
            }
            return match container::content_type_of(data, &entries, &format!("/{part}")) {
                Ok(Some(t)) if t.eq_ignore_ascii_case(main) => {
                    if has(macros) {
                        Sniffed::MacroOffice(with_macros)
                    } else {
                        kind
                    }
                }
                Ok(Some(t)) => ooxml_other(&t),
                Ok(None) | Err(()) => Sniffed::IncompleteOoxml,
            };
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
    if entries.iter().any(|e| e.encrypted) {
        return Sniffed::EncryptedArchive;
    }
    Sniffed::Archive("a ZIP archive")
}

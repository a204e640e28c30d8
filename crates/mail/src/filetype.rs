//! The accepted document formats and text encodings (a leaf: classify and sniff both use it).

use serde::{Deserialize, Serialize};

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
    /// A CII or UBL e-invoice (EN 16931); other XML is refused.
    Xml,
}

impl FileType {
    /// Every accepted format, in the order messages list them.
    pub const ALL: [FileType; 10] = [
        FileType::Pdf,
        FileType::Png,
        FileType::Jpeg,
        FileType::Doc,
        FileType::Docx,
        FileType::Xls,
        FileType::Xlsx,
        FileType::Txt,
        FileType::Csv,
        FileType::Xml,
    ];

    /// The accepted formats as messages name them: "pdf, png, jpeg, …, xml (e-invoice)",
    /// built from [`FileType::ALL`] so that a message never omits one.
    pub fn accepted_list() -> String {
        FileType::ALL
            .iter()
            .map(|t| match t {
                FileType::Jpeg => "jpeg",
                FileType::Xml => "xml (e-invoice CII or UBL)",
                t => t.extension(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

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
            FileType::Xml => "xml",
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
            FileType::Xml => "application/xml",
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
            "xml" => FileType::Xml,
            _ => return None,
        })
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            FileType::Pdf => "a PDF document",
            FileType::Png => "a PNG image",
            FileType::Jpeg => "a JPEG image",
            FileType::Doc => "a Word 97-2003 document (.doc)",
            FileType::Docx => "a Word document (.docx)",
            FileType::Xls => "an Excel 97-2003 workbook (.xls)",
            FileType::Xlsx => "an Excel workbook (.xlsx)",
            FileType::Txt | FileType::Csv => "plain text",
            FileType::Xml => "an e-invoice (CII or UBL XML)",
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

#[cfg(test)]
mod tests {
    use super::FileType;

    #[test]
    fn the_accepted_list_names_every_format_an_extension_claims() {
        let list = FileType::accepted_list();
        for t in FileType::ALL {
            assert_eq!(FileType::from_extension(t.extension()), Some(t));
            let name = if t == FileType::Jpeg {
                "jpeg"
            } else {
                t.extension()
            };
            assert!(
                list.split(", ").any(|n| n.starts_with(name)),
                "{name} in {list}"
            );
        }
        assert!(list.contains("xml (e-invoice"), "{list}");
    }

    #[test]
    fn a_refused_format_is_told_every_accepted_one_xml_included() {
        // Unrecognised data under an unknown extension: the message lists the formats.
        let refused =
            crate::classify::classify(&[0x8f, 0x01, 0x02, 0x03, 0x00, 0xfe], Some("x.bin"))
                .expect_err("refused");
        assert!(
            refused.message.contains(", csv, xml"),
            "{}",
            refused.message
        );
    }
}

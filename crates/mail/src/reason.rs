//! Why a mail, a recipient or a part was rejected or skipped, in stable codes and plain words.

use serde::{Deserialize, Serialize};

/// Stable machine code of a rejection. The integration log and the tests key on these; the
/// serialized form (`snake_case`) is part of the crate's contract and must not be renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // ---- whole mail ----
    /// The raw message is larger than [`crate::MAX_MESSAGE_BYTES`].
    MessageTooLarge,
    /// The bytes are not an Internet message at all.
    Unparseable,
    /// No `From` mailbox.
    MissingFrom,
    /// Several `From` headers or several mailboxes in `From`.
    MultipleFrom,
    /// The receiving service flagged a virus.
    VirusDetected,
    /// The envelope carries no recipient.
    NoRecipient,
    /// The `From` field is not exactly one valid mailbox (group, trailing text, encoded word
    /// spelling an address, domain literal, bad syntax).
    InvalidFrom,
    /// A header section is too large or has too many fields (checked on the raw bytes).
    HeadersTooLarge,
    /// Too many MIME parts or multipart boundaries (checked on the raw bytes).
    TooManyParts,
    // ---- one recipient (collection address) ----
    /// The recipient is not of the form `<prefix>.<slug>@<domain>`.
    NotACollectionAddress,
    /// The prefix is not one of achat, vente, ndf, admin.
    UnknownMailbox,
    /// No dossier has this slug at this domain.
    UnknownDossier,
    /// The From address is not on the dossier's allow-list.
    SenderNotAllowed,
    /// DMARC failed for the From domain: the From is likely forged.
    DmarcFailed,
    /// A DKIM signature verified, but for a domain that is not the From domain.
    DkimNotAligned,
    /// Neither DMARC pass nor an aligned DKIM pass: the From cannot be trusted.
    NotAuthenticated,
    /// Authorized, but no part of the mail is a file in an accepted format.
    NoAcceptedAttachment,
    // ---- one part ----
    /// The part decodes to zero bytes.
    EmptyFile,
    /// The part is larger than [`crate::MAX_FILE_BYTES`], or the mail's decoded total is exceeded.
    FileTooLarge,
    /// More than [`crate::MAX_CANDIDATES`] candidate files in the mail.
    TooManyAttachments,
    /// The name says one accepted type, the content is another type (or unrecognised data).
    ContentMismatch,
    /// A `.xls`/`.xlsx` that is really an HTML (or XML) table exported by a website.
    HtmlSpreadsheet,
    /// A ZIP with the OOXML marker but without the main part (`word/document.xml`, `xl/workbook.xml`).
    DamagedOfficeDocument,
    /// Password-protected document (encrypted OOXML, encrypted ZIP).
    EncryptedDocument,
    /// Office document carrying macros.
    MacroDocument,
    /// `winmail.dat` / TNEF (Outlook rich text wrapper).
    Tnef,
    /// An archive (zip, rar, 7z, gzip…).
    Archive,
    /// A program (Windows PE, ELF, Mach-O…).
    Executable,
    /// A known format that is not accepted (gif, rtf, odt, pptx, html…).
    UnsupportedFormat,
    /// XML that is no CII or UBL e-invoice, or XML refused as hostile (a DTD, too deep, too big).
    NotAnEInvoice,
    /// No accepted type recognised in the content.
    UnknownFormat,
    /// A forwarded message nested deeper than [`crate::MAX_NESTING`], or MIME nesting deeper
    /// than [`crate::limits::MAX_MIME_DEPTH`].
    NestedTooDeep,
    /// A "PDF" that does not start with its header or does not end with `%%EOF`.
    DamagedPdf,
    /// A file that is also another kind of file (a PDF or image that is also a ZIP, an HTML
    /// page or a script).
    Polyglot,
    /// The mail (or a part) is S/MIME or PGP encrypted.
    EncryptedMail,
    /// A MIME section is damaged (e.g. multipart without its boundary) and cannot be split.
    MalformedPart,
}

/// A rejection: stable code, what happened in plain words, and what a person should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub code: ReasonCode,
    /// What happened, for a person (the firm's dashboard, the integration log).
    pub message: String,
    /// The action to take ("ask the sender to resend the file as PDF", …).
    pub action: String,
}

impl Rejection {
    pub fn new(code: ReasonCode, message: impl Into<String>, action: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
            action: action.into(),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (action: {})", self.message, self.action)
    }
}

/// Why a part was not considered a candidate document at all (not an error, listed for completeness).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Unnamed text or HTML: the body of the message.
    MessageBody,
    /// S/MIME or PGP signature.
    Signature,
    /// Calendar invitation (`text/calendar`, `application/ics`).
    CalendarInvite,
    /// Unnamed inline image, or an image referenced from the HTML by `cid:` (logos).
    InlineImage,
    /// Delivery or read report machinery (`message/delivery-status`, …).
    DeliveryReport,
    /// A forwarded message: its own parts are listed after it.
    ForwardedMessage,
}
